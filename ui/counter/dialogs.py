"""The counter's dialogs: 不予受理 (reason and legal basis) and 补正后受理 (the resubmitted materials)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import (
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import intake, limits
from app.auth import Actor
from app.cases import CaseView
from app.catalog import Assessment, Item
from app.context import HallDesk
from app.errors import ValidationError
from app.intake import REFUSAL_REASONS
from app.printing.documents import DEFAULT_REFUSAL_BASIS
from app.workdays import DueDate
from ui.counter.capture import CapturePanel
from ui.counter.checklist import MaterialChecklist
from ui.counter.models import IntakeMaterialModel
from ui.errors import show_error
from ui.models import local_time
from ui.ops import Change, Op, run_op
from ui.shortcuts import describe
from ui.unsaved import watch_form
from ui.widgets import (
    dialog_buttons,
    error_label,
    fit_to_screen,
    hint_label,
    limit_text,
    set_error,
    tint,
)


class RefusalDialog(QDialog):
    """不予受理: a statutory reason and/or the clerk's own words, and the legal basis.

    The notice tells the applicant of their right to 行政复议 or 行政诉讼 (the service adds it).

    Signals:
        chosen(str, str): the reason and the legal basis, when the clerk confirmed.
    """

    chosen = Signal(str, str)

    def __init__(self, item_name: str, parent: QWidget | None = None, *,
                 legal_basis: str = DEFAULT_REFUSAL_BASIS) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self.setWindowTitle(f"不予受理 — {item_name}")
        self.reason_combo = QComboBox()
        self.reason_combo.addItem("（选择法定理由，或在下面写明）", "")
        for reason in REFUSAL_REASONS:
            self.reason_combo.addItem(reason, reason)
        self.detail_edit = QPlainTextEdit()
        self.detail_edit.setTabChangesFocus(True)
        self.detail_edit.setPlaceholderText("具体说明（如：申请事项属于市级权限，请向市行政审批局申请）")
        self.detail_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 16)
        # The reason stored is "法定理由：具体说明": the detail gets what the longest standard reason leaves.
        room = limits.INTAKE_REASON.chars - max(len(r) for r in REFUSAL_REASONS) - 1
        self.detail_limit = limit_text(self.detail_edit, replace(limits.INTAKE_REASON, label="具体说明", chars=room))
        # By the item's kind: 行政许可法 for a licence, the item's own 设定依据 otherwise (documents.default_refusal_basis).
        self.basis_edit = QPlainTextEdit(legal_basis)
        self.basis_edit.setTabChangesFocus(True)
        self.basis_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 14)
        self.basis_limit = limit_text(self.basis_edit, limits.REFUSAL_BASIS)
        form = QFormLayout()
        for text, widget, counter in (("不予受理理由(&R)", self.reason_combo, None),
                                      ("具体说明(&T)", self.detail_edit, self.detail_limit),
                                      ("法律依据(&L)", self.basis_edit, self.basis_limit)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
            if counter is not None:
                form.addRow("", counter)
        note = hint_label("将打印不予受理通知书，告知申请人依法申请行政复议或者提起行政诉讼的权利；不打印受理回执。")
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "不予受理(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.reason_combo.setFocus()

    def reason(self) -> str:
        standard = str(self.reason_combo.currentData() or "")
        detail = self.detail_edit.toPlainText().strip()
        if standard and detail:
            return f"{standard}：{detail}"
        return standard or detail

    def legal_basis(self) -> str:
        return self.basis_edit.toPlainText().strip()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "不予受理的理由已填写，尚未提交" if self._form.changed() else ""

    def save(self) -> tuple[str, str] | None:
        reason = self.reason()
        if not reason:
            set_error(self.error_label, "不予受理必须写明理由：请选择法定理由或写明具体说明")
            self.reason_combo.setFocus()
            return None
        result = (reason, self.legal_basis())
        self.chosen.emit(*result)
        self.accept()
        return result


class ResubmitDialog(QDialog):
    """补正后受理: the applicant is back with the corrections; the checklist as the case left it.

    The clerk marks what was brought (Space/1–5 as at the counter); 受理 calls ``intake.resubmit``, which
    accepts the case today and issues the acceptance notice.  A refusal keeps the dialog open.

    Signals:
        saved(CaseView): the case as accepted.
    """

    saved = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, case: CaseView, item: Item, assessments: Sequence[Assessment],
                 promised: DueDate | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self._item = item
        self.case = case
        self.setWindowTitle(f"补正后受理 — {case.case_no}")
        title = QLabel(f"{case.case_no}　{case.item_name}")
        title.setObjectName("detailTitle")
        who = QLabel(f"{case.enterprise_name or '个人申请'} · 经办人 {case.agent_name} · "
                     f"收件 {local_time(case.received_at, with_date=True)}")
        who.setObjectName("hintLabel")
        asked = [f"{m.name}（{m.state_name}{'：' + m.note if m.note else ''}）" for m in case.materials
                 if m.state in ("missing", "defective")]
        asked_label = QLabel("补正通知书所列：" + ("；".join(asked) if asked else "无"))
        asked_label.setWordWrap(True)
        self.checklist = MaterialChecklist()
        rows = IntakeMaterialModel.rows_from_case(item.materials, assessments, case.materials)
        self.checklist.set_rows(rows, promised)
        self.checklist.mark_all_button.hide()  # only the first intake's audit records it
        # The corrected materials' scans: E, a drop on a row, 添加扫描件… or 拍照, as at the counter.
        self.capture = CapturePanel(hall, actor)
        self.capture.bind(self.checklist, self, None)
        self.capture.refresh()
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "受理(&A)", on_accept=self.save)
        self.ok_button.setToolTip("Ctrl+Enter")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(who)
        layout.addWidget(asked_label)
        layout.addWidget(self.checklist, 1)
        layout.addWidget(self.capture)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            describe(QShortcut(QKeySequence(keys), self, self.save), "受理")
        self.checklist.changed.connect(self._update)
        fit_to_screen(self, 900, 720)
        self._update()
        self.checklist.focus_material()

    def _update(self) -> None:
        problems = self.checklist.model.problems("accept", self._item)
        tolerated = self.checklist.model.any_state("tolerated")
        self.ok_button.setEnabled(not problems)
        self.ok_button.setText("容缺受理(&A)" if tolerated else "受理(&A)")
        if problems:
            self.hint_label.setText(problems[0].message)
            tint(self.hint_label, "#c0392b")
        else:
            self.hint_label.setText("材料已补齐，受理日期为今天，承诺时限自今天起算")
            tint(self.hint_label, "#1e7d45")

    def save(self) -> Op[CaseView] | None:
        """Start 受理 of the resubmitted materials (None when the checklist refuses); ``saved`` follows."""
        self.checklist.commit_editing()
        if problems := self.checklist.model.problems("accept", self._item):
            self._update()
            field = problems[0].field
            if field.startswith("materials."):
                self.checklist.focus_material(field.partition(".")[2])
            return None
        hall, actor, case_no = self._hall, self._actor, self.case.case_no
        materials, due, scans = self.checklist.materials_input(), self.checklist.supplement_due(), self.capture.files()
        return run_op(lambda: intake.resubmit(hall.uow(), actor, case_no, materials, due, scans=scans),
                      self._resubmitted,
                      owner=self, changes={Change.CASES, Change.PRINT_JOBS}, busy="正在受理补交材料…",
                      form=self._field_error, disable=[self.ok_button])

    def _field_error(self, field: str, message: str) -> None:
        set_error(self.error_label, message)
        show_error(self, ValidationError(field, message))
        if field.startswith("materials"):
            self.checklist.focus_material(field.partition(".")[2] or None)

    def _resubmitted(self, view: CaseView) -> None:
        self.saved.emit(view)
        self.accept()
