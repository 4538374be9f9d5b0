"""The back office's clock buttons: 特别程序… (stop both clocks), 恢复计时 (restart them and take the case in
hand), 延期… (move the legal due date once, by up to 10 working days).  Which is allowed comes from the
lifecycle; ``BackOfficePage`` takes these from ``ClockButtons`` (a mixin without Qt state of its own)."""

from __future__ import annotations

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QPushButton, QWidget

from app import clock_actions, lifecycle
from app.auth import Actor
from app.backoffice import QueueRow
from app.claims import HeldCase
from app.clock_actions import ClockChange
from app.context import HallDesk
from ui.backoffice.clocks import ExtendDialog, SuspendDialog
from ui.ops import Change, run_op
from ui.widgets import open_dialog


class ClockButtons:
    """The queue page's clock actions; the page provides what is declared here."""

    _hall: HallDesk
    _actor: Actor
    _select: str | None
    claim: HeldCase | None
    clock_dialog: QDialog | None
    resume_button: QPushButton
    status_message: SignalInstance
    claim_changed: SignalInstance

    def owner_widget(self) -> QWidget:
        """The page: the owner of the ops and the parent of the dialogs."""
        raise NotImplementedError

    def selected_row(self) -> QueueRow | None:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

    def _set_claim(self, claim: HeldCase | None) -> None:
        raise NotImplementedError

    def _renew_case(self, case_no: str, token: int | None) -> None:
        raise NotImplementedError

    def _action_failed(self, exc: BaseException) -> None:
        raise NotImplementedError

    def _decision_failed(self) -> None:
        raise NotImplementedError

    def clock_target(self) -> tuple[str, str] | None:
        """(case number, status) the clock buttons act on: the case in hand, else the selected row."""
        if self.claim is not None:
            return self.claim.case.case_no, self.claim.case.status
        row = self.selected_row()
        return (row.case_no, row.status) if row is not None else None

    def open_suspend(self) -> SuspendDialog | None:
        claim = self.claim
        if claim is None or lifecycle.Action.SUSPEND not in lifecycle.allowed_actions(claim.case.status):
            return None
        dialog = SuspendDialog(self._hall, self._actor, claim.case.case_no, claim.token, self.owner_widget())
        dialog.saved.connect(self._suspended)
        dialog.failed.connect(self._decision_failed)
        self.clock_dialog = dialog
        return open_dialog(dialog, self._clock_dialog_closed)

    def open_extend(self) -> ExtendDialog | None:
        target = self.clock_target()
        if target is None or lifecycle.Action.EXTEND not in lifecycle.allowed_actions(target[1]):
            return None
        dialog = ExtendDialog(self._hall, self._actor, target[0], self.owner_widget())
        dialog.saved.connect(self._extended)
        dialog.failed.connect(self._decision_failed)
        self.clock_dialog = dialog
        return open_dialog(dialog, self._clock_dialog_closed)

    def _clock_dialog_closed(self) -> None:
        self.clock_dialog = None

    def _suspended(self, change: ClockChange) -> None:
        # The case waits in 我的在办 (特别程序中) without a lease: the panel is free for another case.
        self._set_claim(None)
        self.status_message.emit(f"{change.case.case_no}：已中止计时（{change.case.clock.procedure}），"
                                 f"特别程序告知书 {change.notice.doc_no}")
        self.claim_changed.emit()
        self.refresh()

    def _extended(self, change: ClockChange) -> None:
        self.status_message.emit(f"{change.case.case_no}：已延期{change.case.clock.extension_days}个工作日，"
                                 f"延期告知书 {change.notice.doc_no}")
        if self.claim is not None:
            self._renew_case(self.claim.case.case_no, self.claim.token)  # the panel shows the new dates
        self.refresh()

    def resume_selected(self) -> None:
        """The selected case's 特别程序 is over: restart its clocks and take it in hand."""
        row = self.selected_row()
        if row is None or self.claim is not None or lifecycle.Action.RESUME not in lifecycle.allowed_actions(row.status):
            return
        hall, actor, case_no = self._hall, self._actor, row.case_no
        self.resume_button.setEnabled(False)
        run_op(lambda: clock_actions.resume(hall.uow(), actor, case_no), self._resumed,
                          self._action_failed, changes={Change.CASES}, owner=self.owner_widget())

    def _resumed(self, held: HeldCase) -> None:
        self._set_claim(held)
        self.status_message.emit(f"{held.case.case_no}：已恢复计时，承诺办结 {held.case.promised_due}")
        self._select = held.case.case_no
        self.claim_changed.emit()
        self.refresh()

