"""Qt's own warnings (a style sheet it cannot parse, a font it cannot load, a multimedia backend's trouble) into
HallDesk's log (``app.logs``, scrubbed like every record) instead of a console the hall never sees."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
          QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
          QtMsgType.QtFatalMsg: logging.CRITICAL}

log = logging.getLogger("ui.qt")


def forward_qt_messages() -> None:
    """Install the handler (the GUI's start calls it once); the handler before it still gets every message."""
    previous: Any = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        log.log(LEVELS.get(mode, logging.WARNING), "%s [%s]", message, context.category or "default")
        if previous is not None:
            previous(mode, context, message)

    previous = qInstallMessageHandler(handler)
