"""The reviewer's dialogs for a case's clocks: 特别程序 (中止计时) and 延期.

Both ask ``app.lifecycle`` what the entry still lacks (the same checks the services make) and save through
``app.clock_actions``; a refusal by the service shows under the form and nothing is saved.  The rules are in
``app.clocks``: a 特别程序 of 行政许可法第45条 stops both clocks; a 延期 (第42条) moves the legal due date once.
"""


from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import clock_actions, lifecycle, limits
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from ui.errors import show_error
from ui.ops import Change, Op, run_op
from ui.unsaved import watch_form
from ui.widgets import (
    buddy_label,
    dialog_buttons,
    error_label,
    hint_label,
    limit_line,
    limit_text,
    set_error,
)


def _reason_edit() -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)  # Tab leaves the field: the dialog is usable from the keyboard alone
    edit.setFixedHeight(72)
    return edit


class _ClockDialog(QDialog):
    """The common frame: a form, a hint, the error line and 保存/取消.

    Signals:
        saved(object): the service's result (a ``ClockChange``).
        failed(): the service refused for a reason the form cannot fix (stale claim, no permission).
    """

    saved = Signal(object)
    failed = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, title: str, ok_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self.case_no = case_no
        self.setWindowTitle(f"{title} — {case_no}")
        self.form = QFormLayout()
        self.hint = hint_label()
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, ok_text, on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def problems(self) -> list[lifecycle.Problem]:
        raise NotImplementedError

    def job(self) -> Callable[[], object]:
        """The service call with the form's values read now (the call itself runs off the GUI thread)."""
        raise NotImplementedError

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "已填写的内容尚未保存" if self._form.changed() else ""

    def save(self) -> Op[object] | None:
        """Start the service call (None when the form's own checks refuse); ``saved`` or ``failed`` follows."""
        if problems := self.problems():
            set_error(self.error_label, "；".join(p.message for p in problems))
            return None
        set_error(self.error_label, "")
        return run_op(self.job(), self._done, self._refused, owner=self, changes={Change.CASES},
                      busy="正在保存…", form=self.error_label, disable=[self.ok_button])

    def _done(self, result: object) -> None:
        self.saved.emit(result)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        show_error(self, exc)
        if isinstance(exc, HallDeskError):
            self.failed.emit()


class SuspendDialog(_ClockDialog):
    """特别程序: which procedure of 第45条 and why; both clocks stop and a 特别程序告知书 is issued."""

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, token: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, case_no, "特别程序（中止计时）", "中止计时", parent)
        self._token = token
        self.procedure_combo = QComboBox()
        self.procedure_combo.addItem("（请选择特别程序）", None)
        for procedure in lifecycle.PROCEDURES:
            self.procedure_combo.addItem(procedure, procedure)
        self.reason_edit = _reason_edit()
        self.reason_limit = limit_text(self.reason_edit, limits.SPECIAL_REASON)
        self.form.addRow(buddy_label("特别程序(&P)", self.procedure_combo), self.procedure_combo)
        self.form.addRow(buddy_label("理由(&R)", self.reason_edit), self.reason_edit)
        self.form.addRow("", self.reason_limit)
        self.hint.setText("行政许可法第四十五条：听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审所需时间不计算在期限内。"
                          "承诺时限和法定期限同时暂停，恢复计时后按剩余工作日重新计算；特别程序告知书送受理窗口打印。")
        self.procedure_combo.setFocus()

    def problems(self) -> list[lifecycle.Problem]:
        return lifecycle.suspend_problems(self.procedure_combo.currentData() or "", self.reason_edit.toPlainText())

    def job(self) -> Callable[[], object]:
        hall, actor, case_no, token = self._hall, self._actor, self.case_no, self._token
        procedure, reason = self.procedure_combo.currentData(), self.reason_edit.toPlainText().strip()
        return lambda: clock_actions.suspend(hall.uow(), actor, case_no, procedure, reason, token=token)


class ExtendDialog(_ClockDialog):
    """延期: 1–10 working days, the approving head, the reason told to the applicant (once per case)."""

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, case_no, "延期", "延期", parent)
        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, lifecycle.MAX_EXTENSION_DAYS)
        self.days_spin.setValue(lifecycle.MAX_EXTENSION_DAYS)
        self.days_spin.setSuffix(" 个工作日")
        self.approver_edit = limit_line(QLineEdit(), limits.EXTENSION_APPROVER)
        self.approver_edit.setPlaceholderText("批准延期的本行政机关负责人")
        self.reason_edit = _reason_edit()
        self.reason_limit = limit_text(self.reason_edit, limits.EXTENSION_REASON)
        self.form.addRow(buddy_label("延长(&N)", self.days_spin), self.days_spin)
        self.form.addRow(buddy_label("批准人(&A)", self.approver_edit), self.approver_edit)
        self.form.addRow(buddy_label("理由(&R)", self.reason_edit), self.reason_edit)
        self.form.addRow("", self.reason_limit)
        self.hint.setText("行政许可法第四十二条：经本行政机关负责人批准，可以延长十日，并将延长期限的理由告知申请人。"
                          "每件只能延期一次，只适用于行政许可事项；法定办结日期按大厅工作日顺延。")
        self.days_spin.setFocus()

    def problems(self) -> list[lifecycle.Problem]:
        return lifecycle.extension_problems(self.days_spin.value(), self.approver_edit.text(),
                                            self.reason_edit.toPlainText())

    def job(self) -> Callable[[], object]:
        hall, actor, case_no, days = self._hall, self._actor, self.case_no, self.days_spin.value()
        approver, reason = self.approver_edit.text().strip(), self.reason_edit.toPlainText().strip()
        return lambda: clock_actions.extend(hall.uow(), actor, case_no, days, approver, reason)
