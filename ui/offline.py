"""The offline counter in the GUI: a 离线 banner over the workspace and the background sync that feeds it.

On a counter PC started with ``--local`` (see ``app.infra.counter_store``) every case is written to the PC's own
store first.  ``SyncWorker`` runs one sync round (pull when due, push the outbox) every ``INTERVAL_MS`` on a
pool thread, and at once after each case; ``OfflineBanner`` shows what the clerk must know: red while the
shared database is out of reach (with the number of cases and 电子件 kept on this PC), amber while cases or
files are still being uploaded, hidden once everything is in the shared database; a store past the hall's
size budget adds a warning (the case is still taken).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from app.errors import HallDeskError
from app.infra.counter_store import CounterStore, last_sync_text
from app.infra.sync import SyncStatus
from ui.errors import show_error
from ui.ops import run_op

OFFLINE_STYLE = "color: #ffffff; background: #c0392b; font-weight: bold; padding: 6px 10px;"
SYNCING_STYLE = "color: #3d2c00; background: #f5b041; font-weight: bold; padding: 6px 10px;"


def banner_text(status: SyncStatus, online: bool | None) -> str:
    """What the banner says ('' when it is hidden), with the store's budget warning after it."""
    text = _sync_text(status, online)
    if status.budget_warning:
        text = f"{text} {status.budget_warning}" if text else status.budget_warning
    return text


def _files_text(status: SyncStatus) -> str:
    if not status.files_pending:
        return ""
    return f"，电子件 {status.files_pending} 个（{status.files_pending_bytes / 1048576:.1f} MB）"


def _sync_text(status: SyncStatus, online: bool | None) -> str:
    if online is False and status.last_error_kind:
        # The server answered and refused this PC (its stored password, its database): waiting will not mend it.
        return (f"离线：共享数据库拒绝了本机的连接，已在本机保存 {status.pending} 件待同步{_files_text(status)}。"
                f"{status.last_error}")
    if online is False:
        return (
            f"离线：共享数据库无法连接，已在本机保存 {status.pending} 件待同步{_files_text(status)}"
            f"（上次同步：{last_sync_text(status)}）。受理、回执、通知书照常进行，恢复连接后自动上传。"
        )
    if status.pending > 0 and status.last_error:
        # Online, yet some cases are refused (e.g. a second store for this counter): say why, not "syncing".
        return f"同步受阻：{status.pending} 件未能上传到共享数据库——{status.last_error}"
    if status.pending > 0:
        return f"正在同步：还有 {status.pending} 件待上传到共享数据库"
    if status.files_pending > 0:
        # Cases first, files after: every case is in the back office; its scans are still on their way.
        return (f"正在上传电子件：还有 {status.files_pending} 个（{status.files_pending_bytes / 1048576:.1f} MB）"
                "，办件已全部上传")
    return ""


class OfflineBanner(QLabel):
    """A full-width bar: red 离线 while the shared database is out of reach, amber while uploading."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setWordWrap(True)
        self.offline = False
        self.hide()

    def show_status(self, status: SyncStatus, online: bool | None) -> None:
        text = banner_text(status, online)
        self.offline = online is False
        self.setText(text)
        self.setStyleSheet(OFFLINE_STYLE if self.offline else SYNCING_STYLE)
        self.setToolTip(status.last_error if self.offline else "")
        self.setVisible(bool(text))


class SyncWorker(QObject):
    """One sync round every ``INTERVAL_MS`` (and ``sync_soon()`` after a case), never two at once.

    Signals:
        status_changed(object, object): (SyncStatus, online: bool | None) after each round.
    """

    status_changed = Signal(object, object)
    INTERVAL_MS = 5000

    def __init__(self, store: CounterStore, owner: QWidget) -> None:
        super().__init__(owner)
        self._store = store
        self._owner = owner
        self._busy = False
        self._again = False
        self.status: SyncStatus | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.sync_soon)

    def start(self) -> None:
        self.timer.start()
        self.sync_soon()

    def stop(self) -> None:
        self.timer.stop()

    def is_busy(self) -> bool:
        return self._busy

    def sync_soon(self) -> None:
        """Start a round now; if one is running, run another right after it (it may have missed a case)."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        store = self._store
        run_op(lambda: (store.sync(), store.online), self._done, self._failed, owner=self._owner)

    def _done(self, result: tuple[SyncStatus, bool | None]) -> None:
        self._busy = False
        self.status = result[0]
        self.status_changed.emit(result[0], result[1])
        if self._again:
            self._again = False
            self.sync_soon()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        if isinstance(exc, HallDeskError):
            return  # the local store busy for a moment: the next round tries again
        self.stop()  # a bug would otherwise open a crash report every few seconds
        show_error(self._owner, exc)
