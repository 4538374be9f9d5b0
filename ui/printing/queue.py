"""打印队列: this counter's print jobs, the clerk's actions on them, and the background print worker.

Every print is a job row (``app.printing.queue``).  ``PrintWorker`` sends the counter's due jobs every
few seconds off the GUI thread — one pass at a time, never two at once — and tells the main window when
a job is stuck with a printer error.  ``PrintQueuePage`` lists the jobs: 立即重试, 取消, 改派到…, 预览.
"""


from __future__ import annotations

import logging
import threading
import uuid

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import limits
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from app.printing import desk, queue
from app.printing.queue import JobContent, JobView
from ui.errors import confirm, show_error
from ui.models import NOTICE_NAMES
from ui.ops import Change, Op, run_op, subscribe
from ui.printing.chooser import PrinterChooser
from ui.printing.models import JobTableModel
from ui.printing.preview import notice_preview
from ui.printing.receipt_preview import ReceiptPreviewDialog, receipt_image
from ui.shortcuts import describe, guarded, set_available
from ui.widgets import (
    Page,
    banner,
    buddy_label,
    current_row,
    dialog_buttons,
    fit_columns,
    hint_label,
    limit_line,
    open_dialog,
    restore_current,
    select_key,
    set_tab_order,
    table_view,
)

SEND_TIMEOUT = 3.0
RECEIPT_HEAD_START = 0.3  # seconds the intake's result waits for its receipt to go out
log = logging.getLogger(__name__)


def printer_trouble(jobs: list[JobView]) -> str:
    """The error to raise the alarm for: a waiting job that a printer refused.

    A notice without an A4 printer is not trouble: it waits to be printed from the preview.
    """
    stuck = [j for j in jobs if j.status in ("pending", "failed") and j.last_error
             and (j.printer or j.kind != "notice")]
    if not stuck:
        return ""
    more = f"（{len(stuck)}个任务待打印）" if len(stuck) > 1 else ""
    return stuck[0].last_error + more


# Receipts being sent by ``print_slips_now``, by case number; ``send_pending`` waits for them.
_slips_in_flight: dict[str, threading.Thread] = {}


def print_slips_now(hall: HallDesk, case_id: uuid.UUID, case_no: str) -> None:
    """Send a case's receipt at once (``queue.send_slips_now``), from the background job that just committed
    the case, before the page shows the result.  It runs on a thread of its own that this job waits for up to
    ``RECEIPT_HEAD_START``: a printer that answers in time has the receipt before the page starts its own work
    (which would otherwise share the interpreter with it); one that is off or slow holds up the result no longer.

    Nothing here may make the intake look failed: a send that fails leaves the job in the queue with its error,
    and ``send_pending`` and the print worker take it from there.
    """

    def run() -> None:
        try:
            queue.send_slips_now(hall.uow, case_id, timeout=SEND_TIMEOUT)
        except Exception:
            log.exception("sending the receipt at once failed; it waits in the print queue")
        finally:
            _slips_in_flight.pop(case_no, None)

    # Not a daemon: a program closing meanwhile lets the receipt finish and be marked printed.
    thread = threading.Thread(target=run, name=f"receipt {case_no}")
    _slips_in_flight[case_no] = thread
    thread.start()
    thread.join(RECEIPT_HEAD_START)


def send_pending(hall: HallDesk, case_no: str, *, force: bool = False) -> list[JobView]:
    """Send a case's waiting jobs now, the receipt first (``queue.send_case_jobs``); runs in the background.

    A receipt that ``print_slips_now`` is sending is waited for, so the A4 notice still follows it and the jobs
    returned show how it went.
    """
    thread = _slips_in_flight.get(case_no)
    if thread is not None:
        thread.join()
    return queue.send_case_jobs(hall.uow, case_no, force=force, timeout=SEND_TIMEOUT)


class PrintWorker(QObject):
    """Sends the counter's due jobs every ``INTERVAL_MS`` in the background and watches for printer trouble.

    Signals:
        jobs_changed(): a pass finished; jobs may have printed or failed.
        trouble_changed(str): the printer error of a waiting job of this counter, '' once there is none.
    """

    jobs_changed = Signal()
    trouble_changed = Signal(str)
    INTERVAL_MS = 5000

    def __init__(self, hall: HallDesk, counter_number: int, owner: QWidget) -> None:
        super().__init__(owner)
        self._hall = hall
        self._owner = owner
        self.counter_number = counter_number
        self.trouble = ""
        self._busy = False
        self._check_again = False
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.timer.start()
        self.check()  # jobs left stuck by an earlier session show at once

    def stop(self) -> None:
        self.timer.stop()

    def is_busy(self) -> bool:
        return self._busy

    def tick(self) -> bool:
        """One pass: send what is due, then re-read the waiting jobs.  False when a pass is still running."""
        return self._run(send=True)

    def check(self) -> None:
        """Re-read the waiting jobs (after the clerk printed or retried something); no sending."""
        if not self._run(send=False):
            self._check_again = True  # the running pass may have read the jobs before the change

    def _run(self, *, send: bool) -> bool:
        if self._busy:
            return False
        self._busy = True
        hall, number = self._hall, self.counter_number

        def work() -> list[JobView]:
            if send:
                queue.process_due(hall.uow, number)
            return queue.list_jobs(hall.uow(), status="pending", counter_number=number)

        run_op(work, self._done, self._failed, changes={Change.PRINT_JOBS}, owner=self._owner)
        return True

    def _done(self, pending: list[JobView]) -> None:
        self._busy = False
        trouble = printer_trouble(pending)
        if trouble != self.trouble:
            self.trouble = trouble
            self.trouble_changed.emit(trouble)
        self.jobs_changed.emit()
        if self._check_again:
            self._check_again = False
            self.check()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        if isinstance(exc, HallDeskError):
            return  # e.g. the database is unreachable for a moment: the next pass tries again
        self.stop()  # a bug would otherwise open a crash report every few seconds
        show_error(self._owner, exc)


class RedirectDialog(QDialog):
    """改派到…: another printer for a waiting job, picked from the printers found on this PC (``PrinterChooser``;
    the address itself under 高级).

    Signals:
        chosen(str): the address, checked by ``parse_printer_uri``.
    """

    chosen = Signal(str)

    def __init__(self, job: JobView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"改派打印任务 — {JobTableModel.kind_text(job)} {job.case_no or ''}")
        self.chooser = PrinterChooser("a4" if job.kind == "notice" else "thermal")
        self.chooser.test_button.hide()  # a test page here would print at a printer the job may not go to
        self.chooser.test_label.hide()
        self.chooser.set_uri(job.printer)
        self.uri_field = self.chooser.uri_field
        limit_line(self.uri_field.edit, limits.JOB_PRINTER_URI)
        buttons, self.ok_button = dialog_buttons(self, "改派并打印(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.chooser.way_combo.setFocus()

    def save(self) -> str | None:
        problem = self.uri_field.problem() or ("" if self.uri_field.text() else "请选择打印机")
        if problem:
            self.chooser.show_problem(problem)
            return None
        uri = self.uri_field.text()
        self.chosen.emit(uri)
        self.accept()
        return uri


class PrintQueuePage(Page):
    """This counter's print jobs, waiting ones first; retry, cancel, redirect, preview a notice.

    Signals:
        status_message(str): something the main window's status bar should show for a while.
        jobs_changed(): the clerk changed or printed a job (the print worker re-checks for trouble).
    """

    jobs_changed = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.PRINT_JOBS}, self.refresh)  # what other pages change
        self._select: object = None
        self._redirect_id: uuid.UUID | None = None
        self.dialog: QDialog | None = None
        number = actor.counter_number

        title = QLabel(f"打印队列 — {number}号窗口" if number is not None else "打印队列")
        title.setObjectName("pageTitle")
        self.filter_combo = QComboBox()
        self.filter_combo.addItem("待打印", "pending")
        self.filter_combo.addItem("全部", None)
        self.retry_button = QPushButton("立即重试(&R)")
        self.cancel_button = QPushButton("取消(&C)")
        self.redirect_button = QPushButton("改派到…(&T)")
        self.preview_button = QPushButton("预览(&V)")
        self.preview_button.setToolTip("回执：按打印机设置画出打印效果；A4 通知书：预览，并可用本机打印机打印")
        self.refresh_button = QPushButton("刷新(F5)")
        tools = QHBoxLayout()
        tools.addWidget(title, 1)
        tools.addWidget(buddy_label("显示(&F)", self.filter_combo))
        tools.addWidget(self.filter_combo)
        for b in (self.retry_button, self.cancel_button, self.redirect_button, self.preview_button,
                  self.refresh_button):
            tools.addWidget(b)
        self.warning = banner("您的账户没有分配窗口：没有本窗口的打印任务。" if number is None else "")
        self.folder_note = hint_label()
        self.folder_note.setObjectName("printFolderNote")
        self.folder_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_note.hide()
        self.model = JobTableModel(parent=self)
        self.view = table_view(self.model, empty="暂无打印任务。本窗口打印的受理回执、通知书和取件凭条会在这里排队；"
                                                "打印失败的任务可在这里重试、改派或取消。")
        fit_columns(self.view, stretch=6)
        note = hint_label("打印失败的任务保留在队列中，每隔几秒自动重试；也可立即重试或改派到其他打印机。"
                          "没有配置 A4 打印机时，通知书请在预览中用本机打印机打印。")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.warning)
        layout.addWidget(self.folder_note)
        layout.addWidget(self.view, 1)
        layout.addWidget(note)
        set_tab_order(self.filter_combo, self.retry_button, self.cancel_button, self.redirect_button,
                      self.preview_button, self.refresh_button, self.view)

        self.filter_combo.currentIndexChanged.connect(self.refresh)
        self.retry_button.clicked.connect(self.retry_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.redirect_button.clicked.connect(self.redirect_selected)
        self.preview_button.clicked.connect(self.preview_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "刷新")
        describe(QShortcut(QKeySequence(Qt.Key.Key_Delete), self.view, guarded(self.cancel_button, self.cancel_selected),
                           context=Qt.ShortcutContext.WidgetShortcut), "取消所选任务（列表中）")
        self._update_buttons()

    # ---- loading
    def refresh(self) -> None:
        number = self._actor.counter_number
        if number is None:
            self._loaded = True
            return
        hall = self._hall
        status = self.filter_combo.currentData()
        if self._select is None:
            job = self.selected_job()
            self._select = job.id if job else None
        def load() -> tuple[list[JobView], list[str]]:
            jobs = queue.list_jobs(hall.uow(), status=status, counter_number=number)
            return jobs, queue.counter_folders(hall.uow(), number)

        run_op(load, self._loaded_data, owner=self, key="load")

    def _loaded_data(self, data: tuple[list[JobView], list[str]]) -> None:
        jobs, folders = data
        self.folder_note.setText(
            f"本窗口的打印机是文件夹：回执（.bin）和通知书（.pdf）保存在 {'、'.join(folders)}；选中任务后按“预览”查看打印效果。"
            if folders else "")
        self.folder_note.setVisible(bool(folders))
        self.model.set_rows(jobs)
        self._loaded = True
        restore_current(self.view, self.model, self._select)
        self._select = None
        self._update_buttons()

    def show_all(self, everything: bool = True) -> None:
        self.filter_combo.setCurrentIndex(1 if everything else 0)

    # ---- selection
    def selected_job(self) -> JobView | None:
        return current_row(self.view, self.model)

    def select_job(self, job_id: object) -> bool:
        return select_key(self.view, self.model, job_id)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        waiting = job is not None and job.status in ("pending", "failed")
        self.retry_button.setEnabled(waiting)
        set_available(self.cancel_button, "" if waiting else "请先选择打印任务" if job is None
                      else "只能取消等待中或出错的打印任务")
        self.redirect_button.setEnabled(waiting)
        self.preview_button.setEnabled(job is not None and (job.kind != "notice" or bool(job.case_no)))

    # ---- actions
    def retry_selected(self) -> bool:
        """立即重试: make the job due and send it now, in the background."""
        job = self.selected_job()
        if job is None:
            return False
        hall, actor, job_id = self._hall, self._actor, job.id

        def run() -> JobView:
            queue.retry_job(hall.uow(), actor, job_id)
            return queue.send_job(hall.uow, job_id, force=True, timeout=SEND_TIMEOUT)

        self.retry_button.setEnabled(False)
        run_op(run, self._sent, self._action_failed, changes={Change.PRINT_JOBS}, owner=self)
        return True

    def redirect_selected(self) -> RedirectDialog | None:
        job = self.selected_job()
        if job is None:
            return None
        dialog = RedirectDialog(job, self)
        self._redirect_id = job.id  # the selection may move (a refresh) while the dialog is open
        dialog.chosen.connect(self._redirect_chosen)
        self._open(dialog)
        return dialog

    def _redirect_chosen(self, uri: str) -> None:
        hall, actor, job_id = self._hall, self._actor, self._redirect_id
        if job_id is None:
            return

        def run() -> JobView:
            queue.redirect_job(hall.uow(), actor, job_id, uri)
            return queue.send_job(hall.uow, job_id, force=True, timeout=SEND_TIMEOUT)

        run_op(run, self._sent, self._action_failed, changes={Change.PRINT_JOBS}, owner=self)

    def _sent(self, job: JobView) -> None:
        what = f"{JobTableModel.kind_text(job)}{' ' + job.case_no if job.case_no else ''}"
        if job.status == "printed":
            self.status_message.emit(f"已打印：{what}")
        else:
            self.status_message.emit(f"打印机错误：{job.last_error}（{what} 仍在队列中）")
        self._changed(job.id)

    def _action_failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        self._changed(None)

    def _changed(self, select: object) -> None:
        self._select = select
        self.refresh()
        self.jobs_changed.emit()

    def cancel_selected(self) -> Op[None] | None:
        job = self.selected_job()
        if job is None or job.status not in ("pending", "failed"):
            return None
        what = f"{JobTableModel.kind_text(job)}{' ' + job.case_no if job.case_no else ''}"
        if not confirm(self, f"取消打印任务“{what}”？\n取消后不会再自动打印；如需打印可在今日办件中补打。", "取消打印任务"):
            return None
        hall, actor, job_id = self._hall, self._actor, job.id

        def cancelled(_none: None) -> None:
            self.status_message.emit(f"已取消打印任务：{what}")
            self._changed(job_id)

        return run_op(lambda: queue.cancel_job(hall.uow(), actor, job_id, "窗口人员取消"), cancelled, owner=self,
                      changes={Change.PRINT_JOBS})

    def preview_selected(self) -> bool:
        """预览: a notice's pages (printing it from the preview marks the job printed); a receipt, hand-over slip
        or test page as the paper would look, drawn from the bytes it sends."""
        job = self.selected_job()
        if job is None:
            return False
        hall, actor, case_no, kind = self._hall, self._actor, job.case_no, job.notice_kind
        if job.kind == "notice" and case_no:
            run_op(lambda: desk.notice_pdf(hall.uow(), actor, case_no, kind),
                   lambda pdf: self._show_preview(job, pdf), owner=self)
            return True
        job_id = job.id

        def draw() -> tuple[JobContent, QImage]:
            content = queue.job_content(hall.uow(), actor, job_id)
            return content, receipt_image(content)

        run_op(draw, lambda drawn: self._show_receipt(job, *drawn), owner=self)
        return True

    def _show_receipt(self, job: JobView, content: JobContent, image: QImage) -> None:
        title = f"{JobTableModel.kind_text(job)}{' ' + job.case_no if job.case_no else ''}"
        self._open(ReceiptPreviewDialog(title, image, content, self))

    def _show_preview(self, job: JobView, pdf: bytes) -> None:
        title = f"{NOTICE_NAMES.get(job.notice_kind, '通知书')} {job.case_no}"
        dialog = notice_preview(self._hall, self._actor, job.case_no or "", job.notice_kind, pdf, title, job, self)
        dialog.printed.connect(self._preview_printed)
        self._open(dialog)

    def _preview_printed(self) -> None:
        self._changed(None)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None
        self.view.setFocus()
