"""领取方式: who collects the result — the agent on record, another person with a 委托书 (ID checked as typed), or
an EMS mailing — as the output window's form shows it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import limits
from app.errors import ValidationError
from app.output import Collector, Mailing
from app.validators import check_id_number, check_mobile
from ui.unsaved import typed
from ui.widgets import CheckedField, buddy_label, error_label, limit_line, set_error


def _check_name(text: str) -> str:
    if not text.strip():
        raise ValidationError("collector.name", "请填写领取人姓名")
    return text.strip()


def _check_recipient(text: str) -> str:
    if not text.strip():
        raise ValidationError("mail.recipient", "请填写收件人")
    return text.strip()


class CollectorForm(QWidget):
    """The three ways of collecting, one page each, and the form's message line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agent_radio = QRadioButton("经办人本人(&1)")
        self.proxy_radio = QRadioButton("他人代领(&2)")
        self.mail_radio = QRadioButton("EMS邮寄(&3)")
        self.method_group = QButtonGroup(self)
        for i, radio in enumerate((self.agent_radio, self.proxy_radio, self.mail_radio)):
            self.method_group.addButton(radio, i)
        self.agent_radio.setChecked(True)
        methods = QHBoxLayout()
        for radio in (self.agent_radio, self.proxy_radio, self.mail_radio):
            methods.addWidget(radio)
        methods.addStretch(1)
        self.agent_info = QLabel()
        self.agent_info.setWordWrap(True)
        agent_page = QWidget()
        agent_layout = QVBoxLayout(agent_page)
        agent_layout.setContentsMargins(0, 0, 0, 0)
        agent_layout.addWidget(self.agent_info)
        agent_layout.addStretch(1)

        self.proxy_name_field = CheckedField(_check_name, placeholder="领取人姓名", ok_text="")
        self.proxy_name_edit = limit_line(self.proxy_name_field.edit, limits.COLLECTOR_NAME)
        self.proxy_id_field = CheckedField(
            check_id_number, 18, placeholder="18位身份证号码（可读卡录入）", ok_text="✓ 身份证号码有效"
        )
        self.proxy_id_edit = limit_line(self.proxy_id_field.edit, limits.COLLECTOR_ID_NUMBER)
        self.attorney_check = QCheckBox("已核验委托书（原件留存）(&W)")
        self.note_edit = limit_line(QLineEdit(), limits.PROXY_NOTE)
        self.note_edit.setPlaceholderText("备注，如委托书编号")
        proxy_page = QWidget()
        proxy_form = QFormLayout(proxy_page)
        proxy_form.setContentsMargins(0, 0, 0, 0)
        proxy_form.addRow(buddy_label("领取人姓名", self.proxy_name_edit), self.proxy_name_field)
        proxy_form.addRow(buddy_label("身份证号", self.proxy_id_edit), self.proxy_id_field)
        proxy_form.addRow("", self.attorney_check)
        proxy_form.addRow(buddy_label("备注", self.note_edit), self.note_edit)

        self.recipient_field = CheckedField(_check_recipient, placeholder="收件人", ok_text="")
        self.recipient_edit = limit_line(self.recipient_field.edit, limits.MAIL_RECIPIENT)
        self.mail_phone_field = CheckedField(check_mobile, 11, placeholder="11位手机号码", ok_text="✓")
        self.mail_phone_edit = limit_line(self.mail_phone_field.edit, limits.MAIL_PHONE)
        self.address_edit = limit_line(QLineEdit(), limits.MAIL_ADDRESS)
        self.address_edit.setPlaceholderText("省市区街道门牌")
        self.tracking_edit = limit_line(QLineEdit(), limits.TRACKING_NO)
        self.tracking_edit.setPlaceholderText("EMS单号：13位数字，或如 EA123456789CN（可扫码）")
        mail_page = QWidget()
        mail_form = QFormLayout(mail_page)
        mail_form.setContentsMargins(0, 0, 0, 0)
        mail_form.addRow(buddy_label("收件人", self.recipient_edit), self.recipient_field)
        mail_form.addRow(buddy_label("手机号码", self.mail_phone_edit), self.mail_phone_field)
        mail_form.addRow(buddy_label("邮寄地址", self.address_edit), self.address_edit)
        mail_form.addRow(buddy_label("EMS单号", self.tracking_edit), self.tracking_edit)

        self.collector_stack = QStackedWidget()
        for widget in (agent_page, proxy_page, mail_page):
            self.collector_stack.addWidget(widget)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(methods)
        layout.addWidget(self.collector_stack)
        layout.addWidget(self.error)
        self.method_group.idToggled.connect(self._method_changed)
        self.proxy_name_edit.returnPressed.connect(self.proxy_id_edit.setFocus)
        self.proxy_id_edit.returnPressed.connect(self.attorney_check.setFocus)
        self.proxy_id_edit.editingFinished.connect(self._normalise_id)
        self.recipient_edit.returnPressed.connect(self.mail_phone_edit.setFocus)
        self.mail_phone_edit.returnPressed.connect(self.address_edit.setFocus)
        self.address_edit.returnPressed.connect(self.tracking_edit.setFocus)

    def _method_changed(self, *_: object) -> None:
        self.collector_stack.setCurrentIndex(max(self.method_group.checkedId(), 0))
        set_error(self.error, "")
        if self.proxy_radio.isChecked():
            self.proxy_name_edit.setFocus()
        elif self.mail_radio.isChecked():
            self.recipient_edit.setFocus()

    def _normalise_id(self) -> None:
        text = self.proxy_id_edit.text()
        if text != text.upper() and not self.proxy_id_field.problem():
            self.proxy_id_edit.setText(text.strip().upper())

    def typed(self) -> bool:
        """Something typed for a proxy or a mailing (what leaving would throw away)."""
        return typed(self.proxy_name_edit, self.proxy_id_edit, self.note_edit, self.recipient_edit,
                     self.mail_phone_edit, self.address_edit, self.tracking_edit)

    def problem(self) -> str:
        """What the form still lacks for the chosen way of handing over ('' when it can go to the service)."""
        if self.proxy_radio.isChecked():
            for field in (self.proxy_name_field, self.proxy_id_field):
                if problem := field.problem():
                    field.recheck()
                    field.edit.setFocus()
                    return problem
            if not self.attorney_check.isChecked():
                self.attorney_check.setFocus()
                return "他人代领须核验并留存委托书：请勾选“已核验委托书”"
        elif self.mail_radio.isChecked():
            for field in (self.recipient_field, self.mail_phone_field):
                if problem := field.problem():
                    field.recheck()
                    field.edit.setFocus()
                    return problem
        return ""

    def collector(self) -> Collector | None:
        if not self.proxy_radio.isChecked():
            return None
        return Collector(
            self.proxy_name_field.text(),
            self.proxy_id_field.text(),
            by_proxy=True,
            proxy_note=self.note_edit.text().strip(),
        )

    def mailing(self) -> Mailing | None:
        if not self.mail_radio.isChecked():
            return None
        return Mailing(
            self.recipient_field.text(),
            self.mail_phone_field.text(),
            self.address_edit.text().strip(),
            self.tracking_edit.text().strip(),
        )

    def clear(self) -> None:
        """Back to 经办人本人, every field empty."""
        self.agent_radio.setChecked(True)
        for field in (
            self.proxy_name_field,
            self.proxy_id_field,
            self.recipient_field,
            self.mail_phone_field,
        ):
            field.clear()
        for edit in (self.note_edit, self.address_edit, self.tracking_edit):
            edit.clear()
        self.attorney_check.setChecked(False)
        set_error(self.error, "")
