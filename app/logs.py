"""The log files an administrator can send: ``<data folder>/logs/<shell>.log``, rotated by size.

``start(shell)`` is called once by the entry point (``app.__main__``) for the GUI (``"gui"``) and the CLI
(``"cli"``); until then HallDesk logs nothing to a file, which is what the tests and library use want.  Each shell
writes its own file (``gui.log``, ``cli.log``) beside the crash reports ``crashlog`` writes there
(``E20261207-3F9A2C.log``); a file is rotated at ``MAX_BYTES`` and ``BACKUPS`` older ones are kept
(``gui.log.1`` … ``gui.log.5``), so the folder never holds more than about 12 MB of logs.

What is logged: start and stop with the versions, the database (kind and host, never the user or password),
schema upgrades and their revisions, sync rounds that moved something and every change between reachable and
out of reach, print failures, backups and restores, Qt's warnings (``ui.main``), and HallDesk's own warnings.

No personal data: every record passes ``Scrub`` before it is written, the scrubbing of the crash reports
(``crashlog.scrub``): hanzi, quoted values with digits, ID numbers, mobile numbers and pickup codes (any run of
six or more digits) become ``…`` or ``######``.  So a log message is English and carries counts, ids and reasons,
never a name; SQLAlchemy's errors carry no bound values either (``hide_parameters``, ``db.engine``).

Cheap to import (the standard library and ``crashlog``'s patterns only): the entry point calls it first.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import logging.handlers
import os
import platform
from pathlib import Path

from app import crashlog

MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 5
LEVEL = logging.INFO
# Loggers whose INFO records an administrator wants; everything else only from WARNING up (a library's chatter).
INFO_LOGGERS = ("app", "db", "ui", "cli", "halldesk", "alembic.runtime.migration")
FORMAT = "%(asctime)s %(levelname)s [%(shell)s %(process)d] %(name)s: %(message)s"

_ALEMBIC_CHATTER = ("Context impl", "Will assume")

_handler: logging.Handler | None = None


def log_path(shell: str, folder: Path | None = None) -> Path:
    return (folder or crashlog.log_folder()) / f"{shell}.log"


class Scrub(logging.Filter):
    """Turns a record's message (and its traceback) into text without personal data (``crashlog.scrub``)."""

    def __init__(self, shell: str) -> None:
        super().__init__()
        self.shell = shell

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "alembic.runtime.migration" and str(record.msg).startswith(_ALEMBIC_CHATTER):
            return False  # said every time the schema revision is read
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record, nor leak its arguments
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg = crashlog.scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Scrubbed once more: the crash report's Chinese line between chained exceptions becomes "…" too.
            record.exc_text = crashlog.scrub(crashlog.scrubbed_traceback(record.exc_info[1])).rstrip("\n")
            record.exc_info = None
        if record.stack_info:
            record.stack_info = crashlog.scrub(record.stack_info)
        record.shell = self.shell
        return True


class _Rotating(logging.handlers.RotatingFileHandler):
    """A rotation that fails (Windows: another HallDesk program has the file open) is skipped: logging goes on
    in the current file and the next record tries again."""

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            if self.stream is None:
                self.stream = self._open()


def versions() -> dict[str, str]:
    """HallDesk's, Python's and the platform's versions (the libraries: ``app.diagnostics``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("halldesk")
    except PackageNotFoundError:
        own = "dev"
    return {"halldesk": own, "python": platform.python_version(), "platform": platform.platform()}


def start(shell: str, *, folder: Path | None = None) -> Path | None:
    """Log to ``<folder or data folder>/logs/<shell>.log`` from now on; the path, or None when the folder cannot
    be written (HallDesk then runs without a log file rather than not at all).  A second call does nothing."""
    global _handler
    if _handler is not None:
        name = getattr(_handler, "baseFilename", None)
        return Path(name) if name else None
    try:
        path = log_path(shell, folder)
        handler = _Rotating(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        return None
    if os.name == "posix":
        with contextlib.suppress(OSError):
            path.touch(mode=0o600)
    handler.addFilter(Scrub(shell))
    handler.setLevel(LEVEL)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in INFO_LOGGERS:
        logging.getLogger(name).setLevel(LEVEL)
    logging.captureWarnings(True)
    _handler = handler
    v = versions()
    logging.getLogger("halldesk").info("start %s: HallDesk %s, Python %s, %s", shell, v["halldesk"], v["python"],
                                       v["platform"])
    atexit.register(stop)
    return path


def stop() -> None:
    """Write the stop line and close the file (at exit; tests call it to detach)."""
    global _handler
    handler, _handler = _handler, None
    if handler is None:
        return
    logging.getLogger("halldesk").info("stop")
    logging.getLogger().removeHandler(handler)
    handler.close()
    atexit.unregister(stop)


def log_files(folder: Path | None = None) -> list[Path]:
    """Every log file in the log folder: the rotating logs and the crash reports, oldest first."""
    where = folder or crashlog.log_folder()
    found = [p for p in where.iterdir() if p.is_file() and (p.suffix == ".log" or ".log." in p.name)]
    return sorted(found, key=lambda p: p.stat().st_mtime)
