"""改派…: hand a claimed case to another reviewer of the department."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from app import backoffice
from app.auth import Actor
from app.backoffice import Claim, Workload
from app.context import HallDesk
from ui.ops import Change, Op, run_op
from ui.widgets import (
    buddy_label,
    dialog_buttons,
)


class ReassignDialog(QDialog):
    """The chief representative picks the reviewer who takes a case.

    Signals:
        reassigned(object): the new Claim.
    """

    reassigned = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, members: list[Workload],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self._case_no = case_no
        self.setWindowTitle(f"改派 — {case_no}")
        self.member_combo = QComboBox()
        for m in members:
            self.member_combo.addItem(f"{m.full_name}（{m.username}），在办{m.in_hand}件", m.username)
        form = QFormLayout()
        form.addRow(buddy_label("改派给(&T)", self.member_combo), self.member_combo)
        buttons, self.ok_button = dialog_buttons(self, "改派", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.member_combo.setFocus()

    def save(self) -> Op[Claim] | None:
        username = self.member_combo.currentData()
        if username is None:
            return None
        hall, actor, case_no = self._hall, self._actor, self._case_no
        return run_op(lambda: backoffice.reassign(hall.uow(), actor, case_no, username), self._reassigned,
                      owner=self, changes={Change.CASES}, disable=[self.ok_button])

    def _reassigned(self, claim: Claim) -> None:
        self.reassigned.emit(claim)
        self.accept()
