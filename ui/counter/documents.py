"""Printing at the counter: a case's documents (sent, the receipt reprinted, a notice previewed, 补正后受理) and
the counter's printer settings.

The same actions serve the result panel after an intake and the case selected in 今日办件; ``CounterPage``
takes them from ``CaseDocuments`` (a mixin without Qt state of its own).
"""

from __future__ import annotations

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from app import cases, catalog, hall_settings, intake
from app.auth import Actor
from app.cases import CaseView
from app.catalog import Assessment, Item
from app.context import HallDesk
from app.intake import IntakeRequest
from app.printing import desk, queue
from app.printing.queue import JobView
from app.workdays import WorkCalendar
from ui.counter.dialogs import ResubmitDialog
from ui.counter.summary import CaseSummary
from ui.counter.today import TodayCases
from ui.errors import show_error
from ui.models import NOTICE_NAMES
from ui.ops import Change, run_op
from ui.printing.preview import ReprintReasonDialog, notice_preview
from ui.printing.printers import PrinterSettingsDialog
from ui.printing.queue import print_slips_now, printer_trouble, send_pending


def take_and_print(hall: HallDesk, actor: Actor, req: IntakeRequest) -> CaseView:
    """The intake, and its receipt started at once from the same background job: the applicant waits for the
    receipt, not for the page to show the result or for the A4 notice (``send_documents`` sends that after)."""
    view = intake.take_application(hall.uow(), actor, req)
    print_slips_now(hall, view.id, view.case_no)
    return view


class CaseDocuments:
    """The counter page's case actions; the page provides what is declared here."""

    _hall: HallDesk
    _actor: Actor
    _case: CaseView | None
    _dialog_case_no: str
    result: CaseSummary
    result_note: QLabel
    today: TodayCases
    status_message: SignalInstance
    jobs_changed: SignalInstance

    def owner_widget(self) -> QWidget:
        """The page: the owner of the ops and the parent of the dialogs."""
        raise NotImplementedError

    def _open(self, dialog: QDialog) -> None:
        raise NotImplementedError

    def show_result(self, view: CaseView, message: str) -> None:
        raise NotImplementedError

    def send_documents(self, case_no: str, *, force: bool = False) -> None:
        """Send what is still to print for ``case_no`` (the receipt went first, from the intake's job)."""
        hall = self._hall
        run_op(lambda: send_pending(hall, case_no, force=force),
                          lambda jobs: self._documents_sent(case_no, jobs), self._send_failed, changes={Change.PRINT_JOBS}, owner=self.owner_widget())

    def _documents_sent(self, case_no: str, jobs: list[JobView]) -> None:
        for summary in (self.result, self.today.summary):
            if summary.case is not None and summary.case.case_no == case_no:
                summary.set_jobs(jobs)
        trouble = printer_trouble(jobs)
        if trouble:
            self.status_message.emit(f"打印机错误：{trouble}。任务已留在打印队列，将自动重试")
            note = "打印机错误：任务留在打印队列，将自动重试（也可在“打印队列”中立即重试）"
        else:
            waiting = [j for j in jobs if j.status == "pending"]
            note = "回执已打印" if not waiting else "通知书待在预览中打印（未配置A4打印机）"
        if self._case is not None and self._case.case_no == case_no:
            self.result_note.setText(f"{note}　按 F2 接待下一位申请人")
        self.jobs_changed.emit()

    def _send_failed(self, exc: BaseException) -> None:
        show_error(self.owner_widget(), exc)
        self.jobs_changed.emit()

    # ---- case actions (result panel and 今日办件) -----------------------------------------------------
    def _summary_for(self, case_no: str) -> CaseSummary | None:
        for summary in (self.result, self.today.summary):
            if summary.case is not None and summary.case.case_no == case_no:
                return summary
        return None

    def print_receipt(self, case_no: str) -> ReprintReasonDialog | None:
        """打印回执 while the original waits (sent now); 补打回执 once it printed (a reason, marked 补打)."""
        summary = self._summary_for(case_no)
        if summary is not None and not summary.receipt_printed() and summary.jobs():
            self._send_receipt(case_no, reprint=False, reason="")
            return None
        dialog = ReprintReasonDialog(f"受理回执 {case_no}", self.owner_widget())
        self._dialog_case_no = case_no
        dialog.chosen.connect(self._reprint_reason)
        self._open(dialog)
        return dialog

    # Dialogs report back to bound methods (see ui.admin): the case they are about waits in _dialog_case_no.
    def _reprint_reason(self, reason: str) -> None:
        self._send_receipt(self._dialog_case_no, reprint=True, reason=reason)

    def _send_receipt(self, case_no: str, *, reprint: bool, reason: str) -> None:
        hall, actor = self._hall, self._actor

        def run() -> list[JobView]:
            job_id = desk.receipt_job(hall.uow(), actor, case_no, reprint=reprint, reason=reason)
            queue.send_job(hall.uow, job_id, force=True, timeout=3.0)
            return queue.list_jobs(hall.uow(), case_no=case_no)

        self.status_message.emit(f"正在{'补打' if reprint else '打印'}回执：{case_no}")
        run_op(run, lambda jobs: self._documents_sent(case_no, jobs), self._send_failed, changes={Change.PRINT_JOBS}, owner=self.owner_widget())

    def preview_notice(self, case_no: str, kind: str) -> None:
        hall, actor = self._hall, self._actor

        def load() -> tuple[bytes, list[JobView]]:
            return desk.notice_pdf(hall.uow(), actor, case_no, kind), queue.list_jobs(hall.uow(), case_no=case_no)

        run_op(load, lambda data: self._show_preview(case_no, kind, *data), owner=self.owner_widget())

    def _show_preview(self, case_no: str, kind: str, pdf: bytes, jobs: list[JobView]) -> None:
        # The original notice's job (not a 补打): printing from the preview completes it.
        job = next((j for j in jobs if j.kind == "notice" and j.notice_kind == kind and not j.reprint), None)
        title = f"{NOTICE_NAMES.get(kind, kind)} {case_no}"
        dialog = notice_preview(self._hall, self._actor, case_no, kind, pdf, title, job, self.owner_widget())
        self._dialog_case_no = case_no
        dialog.printed.connect(self._notice_printed)
        self._open(dialog)

    def _notice_printed(self) -> None:
        hall, case_no = self._hall, self._dialog_case_no
        run_op(lambda: queue.list_jobs(hall.uow(), case_no=case_no),
                          lambda jobs: self._documents_sent(case_no, jobs), owner=self.owner_widget())

    def start_resubmit(self, case_no: str) -> None:
        """补正后受理: the case's checklist as it was left, in a dialog; 受理 there accepts it today."""
        hall, actor = self._hall, self._actor

        def load() -> tuple[CaseView, Item, list[Assessment], WorkCalendar]:
            case = cases.get_case(hall.uow(), actor, case_no)
            return (case, catalog.get_item(hall.uow(), case.item), catalog.list_assessments(hall.uow()),
                    hall_settings.work_calendar(hall.uow()))

        run_op(load, lambda data: self._open_resubmit(*data), owner=self.owner_widget())

    def _open_resubmit(self, case: CaseView, item: Item, assessments: list[Assessment], cal: WorkCalendar) -> None:
        promised = cal.add_workdays(hall_settings.today(), item.promised_days)
        dialog = ResubmitDialog(self._hall, self._actor, case, item, assessments, promised, self.owner_widget())
        dialog.saved.connect(self._resubmitted)
        self._open(dialog)

    def _resubmitted(self, view: CaseView) -> None:
        self.show_result(view, "补正后已受理")

    # ---- the counter's printers
    def open_printer_settings(self) -> PrinterSettingsDialog | None:
        number = self._actor.counter_number
        if number is None:
            return None
        dialog = PrinterSettingsDialog(self._hall, self._actor, number, self.owner_widget())
        dialog.saved.connect(self._printers_saved)
        self._open(dialog)
        return dialog

    def _printers_saved(self) -> None:
        self.status_message.emit("打印机设置已保存")
        self.jobs_changed.emit()
