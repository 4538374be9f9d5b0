"""The applicant's part of the 综合受理 form: the enterprise (looked up by its 统一社会信用代码) and the agent.

Enter moves on field by field (a scanner or a card reader "types" and ends with Enter); a valid code looks the
enterprise up in the background, and what the register knows is filled in read-only.  The checks are the
services' own (``app.validators``, ``app.intake``); every field has its message line, so nothing moves.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QVBoxLayout, QWidget

from app import intake, limits
from app.auth import Actor
from app.context import HallDesk
from app.intake import AgentInput, EnterpriseInput
from app.validators import check_id_number, check_mobile, check_uscc
from ui.ops import run_op, supersede
from ui.widgets import CheckedField, MessageLine, Page, buddy_label, limit_line

RED = "#c0392b"


class ApplicantForm(Page):
    """统一社会信用代码, 企业名称, 法定代表人, 住所, and the agent's name, ID number and phone.

    Signals:
        changed(): a field changed, or the enterprise lookup started or answered (the outcomes re-check).
        finished(): Enter in the last field (the counter moves on to the materials).
        status_message(str): for the main window's status bar (unused here, from ``Page``).
    """

    changed = Signal()
    finished = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self._known: EnterpriseInput | None = None
        self._lookup_pending = False
        self._advance_after_lookup = False
        self.uscc_field = CheckedField(check_uscc, 18, placeholder="18位，可扫码枪录入；个人申请留空", optional=True,
                                       ok_text="✓ 代码有效")
        self.uscc_edit = limit_line(self.uscc_field.edit, limits.USCC)
        self.enterprise_status = MessageLine()
        self.ent_name_edit = limit_line(QLineEdit(), limits.ENTERPRISE_NAME)
        self.ent_name_message = MessageLine()  # the name's problem, after a submit found one
        ent_name_box = QWidget()
        ent_name_layout = QVBoxLayout(ent_name_box)
        ent_name_layout.setContentsMargins(0, 0, 0, 0)
        ent_name_layout.setSpacing(1)
        ent_name_layout.addWidget(self.ent_name_edit)
        ent_name_layout.addWidget(self.ent_name_message)
        self.ent_rep_edit = limit_line(QLineEdit(), limits.LEGAL_REP)
        self.ent_address_edit = limit_line(QLineEdit(), limits.ENTERPRISE_ADDRESS)
        self.agent_name_field = CheckedField(intake.check_agent_name, placeholder="经办人姓名", ok_text="")
        self.agent_name_edit = limit_line(self.agent_name_field.edit, limits.AGENT_NAME)
        self.id_field = CheckedField(check_id_number, 18, placeholder="18位，末位 x 大小写均可（可读卡录入）",
                                     ok_text="✓ 身份证号码有效")
        self.id_edit = limit_line(self.id_field.edit, limits.AGENT_ID_NUMBER)
        self.phone_field = CheckedField(check_mobile, 11, placeholder="11位手机号码", ok_text="✓")
        self.phone_edit = limit_line(self.phone_field.edit, limits.AGENT_PHONE)
        box = QGroupBox("申请人")
        form = QFormLayout(box)
        form.setVerticalSpacing(4)
        form.addRow(buddy_label("统一社会信用代码(&U)", self.uscc_edit), self.uscc_field)
        form.addRow("", self.enterprise_status)
        form.addRow(buddy_label("企业名称(&Q)", self.ent_name_edit), ent_name_box)
        form.addRow(buddy_label("法定代表人", self.ent_rep_edit), self.ent_rep_edit)
        form.addRow(buddy_label("住所", self.ent_address_edit), self.ent_address_edit)
        form.addRow(buddy_label("经办人姓名(&J)", self.agent_name_edit), self.agent_name_field)
        form.addRow(buddy_label("身份证号(&I)", self.id_edit), self.id_field)
        form.addRow(buddy_label("手机号码(&D)", self.phone_edit), self.phone_field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)

        self.uscc_edit.textChanged.connect(self._uscc_changed)
        self.uscc_edit.returnPressed.connect(self._uscc_entered)
        self.ent_name_edit.returnPressed.connect(self.ent_rep_edit.setFocus)
        self.ent_rep_edit.returnPressed.connect(self.ent_address_edit.setFocus)
        self.ent_address_edit.returnPressed.connect(self.agent_name_edit.setFocus)
        self.agent_name_edit.returnPressed.connect(self.id_edit.setFocus)
        self.id_edit.returnPressed.connect(self.phone_edit.setFocus)
        self.id_edit.editingFinished.connect(self._normalise_id)
        self.phone_edit.returnPressed.connect(self.finished)
        for edit in self.edits():
            edit.textChanged.connect(self._field_changed)

    def edits(self) -> tuple[QLineEdit, ...]:
        """The inputs in form (and Tab) order."""
        return (self.uscc_edit, self.ent_name_edit, self.ent_rep_edit, self.ent_address_edit, self.agent_name_edit,
                self.id_edit, self.phone_edit)

    def checked_fields(self) -> dict[str, CheckedField]:
        """The fields that check themselves as typed, by the service's field names."""
        return {"agent.name": self.agent_name_field, "agent.id_number": self.id_field,
                "agent.phone": self.phone_field, "enterprise.uscc": self.uscc_field,
                "enterprise.phone": self.uscc_field}

    # ---- the form as the service's input ----------------------------------------------------------
    def enterprise_input(self) -> EnterpriseInput | None:
        uscc = self.uscc_field.text()
        if not uscc:
            return None
        # No phone: the form has none, and a registered enterprise's stored one is not the clerk's to fix.
        return EnterpriseInput(uscc=uscc, name=self.ent_name_edit.text().strip(),
                               legal_rep=self.ent_rep_edit.text().strip(),
                               address=self.ent_address_edit.text().strip())

    def agent_input(self) -> AgentInput:
        return AgentInput(name=self.agent_name_edit.text().strip(), id_number=self.id_field.text(),
                          phone=self.phone_field.text())

    def dirty(self) -> bool:
        """Something typed that a new applicant would throw away."""
        return any(e.text().strip() for e in (self.uscc_edit, self.ent_name_edit, self.agent_name_edit,
                                              self.id_edit, self.phone_edit))

    def clear(self) -> None:
        supersede(self, "lookup")
        self._known = None
        self._lookup_pending = False
        self._advance_after_lookup = False
        for edit in (self.ent_name_edit, self.ent_rep_edit, self.ent_address_edit):
            edit.clear()
            edit.setReadOnly(False)
        for field in (self.uscc_field, self.agent_name_field, self.id_field, self.phone_field):
            field.clear()
        self.say_enterprise("", "")
        self.ent_name_message.set_message("", RED)

    def recheck(self) -> None:
        """Show every self-checking field's problem now (a submit found problems)."""
        for field in (self.uscc_field, self.agent_name_field, self.id_field, self.phone_field):
            field.recheck()

    def show_name_problem(self, message: str) -> None:
        self.ent_name_message.set_message(message, RED)

    def focus_field(self, field: str, message: str = "") -> bool:
        """Focus the input a problem names (and show ``message`` there); False if it is not one of these."""
        checked = self.checked_fields()
        if field in checked:
            if message:
                checked[field].show_problem(message)
            checked[field].edit.setFocus()
            return True
        edits = {"enterprise.name": self.ent_name_edit, "enterprise.legal_rep": self.ent_rep_edit,
                 "enterprise.address": self.ent_address_edit}
        if field in edits:
            if message and field == "enterprise.name":
                self.show_name_problem(message)
            edits[field].setFocus()
            return True
        return False

    # ---- the enterprise -------------------------------------------------------------------------------
    def enterprise_known(self) -> bool | None:
        """Whether the typed USCC's enterprise is on record; None while that is not known (no valid code yet, or
        the lookup still on its way)."""
        if self._lookup_pending or not self.uscc_field.is_valid():
            return None
        return self._known is not None

    def known_enterprise(self) -> EnterpriseInput | None:
        return self._known

    def say_enterprise(self, text: str, colour: str) -> None:
        self.enterprise_status.set_message(text, colour)

    def _say_unknown_enterprise(self) -> None:
        if self.ent_name_edit.text().strip():
            self.say_enterprise("未登记的企业：受理时按所填名称、法定代表人和住所登记", "#5b6b7f")
        else:
            self.say_enterprise("未登记的企业：请填写企业名称（必填）、法定代表人和住所", "#9a6200")

    def _field_changed(self) -> None:
        if self.enterprise_known() is False:
            self._say_unknown_enterprise()
        self.changed.emit()

    def _uscc_changed(self) -> None:
        supersede(self, "lookup")  # a lookup still on its way is for the old code
        if self._known is not None:
            # A different code: what the lookup filled in belongs to the other enterprise.
            self._known = None
            for edit in (self.ent_name_edit, self.ent_rep_edit, self.ent_address_edit):
                edit.clear()
                edit.setReadOnly(False)
        if not self.uscc_field.is_valid():
            self._lookup_pending = False
            self.say_enterprise("", "")
            return
        hall, uscc = self._hall, self.uscc_field.text()
        self._lookup_pending = True
        self.changed.emit()
        run_op(lambda: intake.lookup_enterprise(hall.uow(), uscc), self._enterprise_found, owner=self, key="lookup")

    def _enterprise_found(self, found: EnterpriseInput | None) -> None:
        self._lookup_pending = False
        self._known = found
        if found is not None:
            for edit, value in ((self.ent_name_edit, found.name), (self.ent_rep_edit, found.legal_rep),
                                (self.ent_address_edit, found.address)):
                edit.setText(value)
                # What the register knows is not retyped at the counter; only its gaps can be filled.
                edit.setReadOnly(bool(value))
            self.say_enterprise("已登记企业：名称、法定代表人和住所已自动带出", "#1e7d45")
        else:
            self._say_unknown_enterprise()
        self.changed.emit()
        if self._advance_after_lookup:
            self._advance_after_lookup = False
            (self.agent_name_edit if found is not None else self.ent_name_edit).setFocus()

    def _uscc_entered(self) -> None:
        """Enter (typed, or the scanner's last key) moves on; it never submits the form."""
        if not self.uscc_field.text():
            self.agent_name_edit.setFocus()
        elif not self.uscc_field.is_valid():
            self.uscc_field.recheck()
        elif self._lookup_pending:
            self._advance_after_lookup = True
        else:
            (self.agent_name_edit if self._known is not None else self.ent_name_edit).setFocus()

    def _normalise_id(self) -> None:
        # A lower-case x is fine to type; the form shows the number as it will be stored.
        text = self.id_edit.text()
        if text != text.upper() and not self.id_field.problem():
            self.id_edit.setText(text.strip().upper())
