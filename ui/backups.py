"""The daily backup of a SQLite-backed HallDesk (a counter's own store, the embedded file) while the GUI runs.

``DailyBackup`` asks ``app.backup.daily`` when the main window opens and every hour after, on a pool thread
(``run_op``): it copies the file once a day with SQLite's online backup API, which never makes the clerk's writes
wait (WAL), and deletes the copies beyond the hall's retention (大厅设置, ``hall backup-set``).  A server has no
such copy: its backup is the database administrator's (``db backup``, README).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app import backup
from app.backup import BackupResult
from app.context import HallDesk
from app.errors import HallDeskError
from ui.errors import show_error
from ui.ops import run_op


def applies(hall: HallDesk) -> bool:
    return hall.url.startswith("sqlite") and backup.sqlite_file(hall.url) is not None


class DailyBackup(QObject):
    """Signals:
    done(object): the ``BackupResult`` of a copy made (None when today's existed already).
    trouble_changed(str): why the day's backup could not be made (a full disk, a busy file), "" once it could.
    """

    done = Signal(object)
    trouble_changed = Signal(str)
    INTERVAL_MS = 3600 * 1000

    def __init__(self, hall: HallDesk, owner: QWidget) -> None:
        super().__init__(owner)
        self._hall = hall
        self._owner = owner
        self.busy = False
        self.last_error = ""
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.run)

    def start(self) -> None:
        self.timer.start()
        self.run()

    def stop(self) -> None:
        self.timer.stop()

    def run(self) -> None:
        if self.busy:
            return
        self.busy = True
        engine = self._hall.engine
        run_op(lambda: backup.daily(engine), self._finished, self._failed, owner=self._owner)

    def _finished(self, result: BackupResult | None) -> None:
        self.busy = False
        if self.last_error:
            self.last_error = ""
            self.trouble_changed.emit("")
        self.done.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        if isinstance(exc, HallDeskError):
            # A full disk or a busy file: logged by app.backup and shown in the status bar, for the clerk to tell
            # the hall's IT; the clerk's work goes on, and the next hour tries again.
            self.last_error = exc.message
            self.trouble_changed.emit(exc.message)
            return
        self.stop()
        show_error(self._owner, exc)
