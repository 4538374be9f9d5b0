"""决定…: the reviewer's decision on the case in hand (准予 / 不予 / 退回补正 / 转办), with reason, basis and seal."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app import decisions, lifecycle, limits
from app.auth import Actor
from app.backoffice import DECISIONS
from app.cases import CaseView
from app.catalog import DepartmentView
from app.claims import HeldCase
from app.context import HallDesk
from app.errors import HallDeskError
from ui.errors import confirm, show_error
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


class DecisionDialog(QDialog):
    """准予 / 不予许可 / 退回补正 / 转办 the claimed case, optionally under the 审批专用章.

    Nothing is preselected and every decision needs its reasons (``lifecycle.decision_problems``); before
    saving, the reviewer confirms a one-line summary (事项, 决定, 是否用章) whose default answer is 否, so no
    single keystroke decides a case.  The token of the claim goes with the decision: if the case was claimed
    again meanwhile, nothing is saved.

    Signals:
        decided(object): the CaseView after a saved decision.
        failed(): the service refused (stale claim, no permission); the page should refresh.
    """

    decided = Signal(object)
    failed = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, claim: HeldCase, departments: list[DepartmentView],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self._claim = claim
        self.setWindowTitle(f"审批决定 — {claim.case.case_no} {claim.case.item_name}")
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        radios = QHBoxLayout()
        for key, mnemonic in zip(DECISIONS, "AFTZ", strict=True):
            label = "准予" if key == "approve" else DECISIONS[key]
            button = QRadioButton(f"{label}(&{mnemonic})")
            self.radios[key] = button
            self.group.addButton(button)
            radios.addWidget(button)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(72)
        self.reason_limit = limit_text(self.reason_edit, limits.DECISION_REASON)
        self.basis_edit = limit_line(QLineEdit(), limits.DECISION_BASIS)
        self.basis_edit.setPlaceholderText("如：《中华人民共和国行政许可法》第三十八条")
        self.dept_combo = QComboBox()
        self.dept_combo.addItem("（请选择接收部门）", None)
        for d in departments:
            if d.code != claim.case.dept:
                self.dept_combo.addItem(d.name, d.code)
        self.seal_check = QCheckBox("加盖审批专用章(&S)")
        # 退回补正: the materials the 补正通知书 lists (Space ticks one).
        self.supply_list = QListWidget()
        self.supply_list.setFixedHeight(84)
        for m in claim.case.materials:
            entry = QListWidgetItem(m.name)
            entry.setData(Qt.ItemDataRole.UserRole, m.code)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.supply_list.addItem(entry)
        form = QFormLayout()
        form.addRow("决定：", radios)
        form.addRow(buddy_label("理由(&R)", self.reason_edit), self.reason_edit)
        form.addRow("", self.reason_limit)
        form.addRow(buddy_label("法律依据(&B)", self.basis_edit), self.basis_edit)
        form.addRow(buddy_label("接收部门(&D)", self.dept_combo), self.dept_combo)
        form.addRow(buddy_label("需补正材料(&M)", self.supply_list), self.supply_list)
        form.addRow("", self.seal_check)
        self.hint = hint_label()
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "保存决定(&V)…", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.group.buttonToggled.connect(self._update)
        self._update()
        self.radios["approve"].setFocus()

    def decision(self) -> str:
        """The chosen decision; "" while none is chosen."""
        return next((key for key, button in self.radios.items() if button.isChecked()), "")

    def choose(self, decision: str) -> None:
        self.radios[decision].setChecked(True)

    def _update(self, *_: object) -> None:
        decision = self.decision()
        self.basis_edit.setEnabled(decision in ("approve", "deny"))
        self.dept_combo.setEnabled(decision == "transfer")
        self.seal_check.setEnabled(decision in ("approve", "deny"))
        self.supply_list.setEnabled(decision == "return")
        if decision not in ("approve", "deny"):
            self.seal_check.setChecked(False)
        elif self._claim.seal_required:
            self.seal_check.setChecked(True)  # the department's rule: the reviewer sees it and may not forget it
        if self._claim.seal_required and decision in ("approve", "deny"):
            self.hint.setText("本部门规定行政许可决定书须加盖审批专用章（须事先经首席代表授权）；"
                              + ("须写明理由和法律依据。" if decision == "deny" else "须写明理由。"))
            return
        self.hint.setText({
            "": "请选择决定：准予(Alt+A)、不予许可(Alt+F)、退回补正(Alt+T)或转办(Alt+Z)，并写明理由。",
            "approve": "准予许可：写明审查意见（理由）；加盖审批专用章须事先经首席代表授权（首席代表本人除外）。",
            "deny": "不予许可：须写明理由和法律依据，并告知申请人依法申请行政复议或提起行政诉讼的权利。",
            "return": "退回补正：写明需补正的内容；补正期间承诺时限暂停计算，法定期限照常计算（行政许可法第四十五条）。",
            "transfer": "转办：选择接收部门并写明理由；办件回到接收部门的队列。",
        }[decision])

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "审批决定已填写，尚未保存" if self._form.changed() else ""

    def problem(self) -> str:
        """What the decision still lacks, as the service says it (``lifecycle.decision_problems``)."""
        problems = lifecycle.decision_problems(
            self.decision(), reason=self.reason_edit.toPlainText(), legal_basis=self.basis_edit.text(),
            transfer_to=self.dept_combo.currentData() if self.decision() == "transfer" else None,
            seal=self.seal_check.isChecked(), needs_seal=self._claim.seal_required)
        return "；".join(p.message for p in problems)

    def supply(self) -> tuple[str, ...]:
        """The material codes ticked for the 补正通知书 (退回补正 only)."""
        if self.decision() != "return":
            return ()
        items = (self.supply_list.item(i) for i in range(self.supply_list.count()))
        return tuple(str(i.data(Qt.ItemDataRole.UserRole)) for i in items if i.checkState() == Qt.CheckState.Checked)

    def summary(self) -> str:
        """The one line the reviewer confirms before the decision is saved."""
        decision = self.decision()
        name = lifecycle.DECISION_NAMES.get(decision, "")
        if decision == "transfer":
            name += f"（转{self.dept_combo.currentText()}）"
        elif decision == "return" and self.supply():
            name += f"（补正材料{len(self.supply())}项）"
        return (f"事项：{self._claim.case.item_name}（{self._claim.case.case_no}）；决定：{name}；"
                f"加盖审批专用章：{'是' if self.seal_check.isChecked() else '否'}")

    def save(self) -> Op[CaseView] | None:
        """Confirm and start saving the decision (None when refused or declined); ``decided`` follows."""
        if problem := self.problem():
            set_error(self.error_label, problem)
            return None
        set_error(self.error_label, "")
        # The default answer is 否: Enter twice does not decide a case.
        if not confirm(self, f"{self.summary()}。确定保存此决定？", "确认审批决定"):
            return None
        decision = self.decision()
        hall, actor, claim = self._hall, self._actor, self._claim
        reason, basis = self.reason_edit.toPlainText().strip(), self.basis_edit.text().strip()
        transfer_to = self.dept_combo.currentData() if decision == "transfer" else None
        seal, supply = self.seal_check.isChecked(), self.supply()
        legal_basis = basis if decision in ("approve", "deny") else ""
        return run_op(lambda: decisions.decide(hall.uow(), actor, claim.case.case_no, decision, token=claim.token,
                                                reason=reason, legal_basis=legal_basis, transfer_to=transfer_to,
                                                seal=seal, supply=supply),
                      self._decided, self._refused, owner=self, changes={Change.CASES}, busy="正在保存审批决定…",
                      form=self.error_label, disable=[self.ok_button])

    def _decided(self, view: CaseView) -> None:
        self.decided.emit(view)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        show_error(self, exc)
        if isinstance(exc, HallDeskError):
            self.failed.emit()
