"""A measuring point for ``bench/bench_startup.py``: how long until the login window, or the workspace, is on screen.

Set ``HALLDESK_STARTUP_PROBE`` to ``login`` or ``workspace``; the GUI then prints one line ``HALLDESK-PAINTED
<what>`` on stdout at the first paint of that window and quits.  For ``workspace`` it logs in as
``HALLDESK_PROBE_USER`` with ``HALLDESK_PROBE_PASSWORD`` as soon as the login window is painted.  Without the
variable nothing here runs.  The benchmark measures the empty PySide6 window with the same first-paint mark.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ENV_PROBE = "HALLDESK_STARTUP_PROBE"
ENV_USER = "HALLDESK_PROBE_USER"
ENV_PASSWORD = "HALLDESK_PROBE_PASSWORD"
MARK = "HALLDESK-PAINTED"


def wanted() -> str | None:
    value = os.environ.get(ENV_PROBE, "")
    return value if value in ("login", "workspace") else None


class FirstPaint(QObject):
    """Calls ``then`` once, at the first paint event of ``window``."""

    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then: Callable[[], None] | None = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._then is not None:
            then, self._then = self._then, None
            watched.removeEventFilter(self)
            QTimer.singleShot(0, then)  # after this paint has finished
        return False


def painted(what: str) -> None:
    print(f"{MARK} {what}", flush=True)
    sys.stdout.flush()
    app = QApplication.instance()
    if app is not None:
        app.quit()
