"""大厅设置: the hall's name, code, address and the 复议机关/诉讼法院 printed on every page, as a settings page;
below it the 电子件 limits (``FileLimitsPage``, a settings page of its own with its own save button)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import hall_settings, limits
from app.auth import Actor
from app.context import HallDesk
from app.hall_settings import HallSettings
from ui.admin.backup_settings import BackupSettingsPage
from ui.admin.file_limits import FileLimitsPage
from ui.admin.settings import page_layout, page_title
from ui.settings import SettingsPage
from ui.shortcuts import describe
from ui.widgets import (
    buddy_label,
    hint_label,
    limit_line,
    set_tab_order,
)

# ---- 大厅设置 ---------------------------------------------------------------------------------------


class HallSettingsPage(SettingsPage[HallSettings]):
    """The hall's name, code, area code, address and phone, as printed on every page (a ``SettingsPage``).

    Signals:
        saved(HallSettings): the settings were stored.
        status_message(str): something the main window's status bar should show for a while.
    """

    what = "大厅设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.name_edit = limit_line(QLineEdit(), limits.HALL_NAME)
        self.code_edit = limit_line(QLineEdit(), limits.HALL_CODE)
        self.code_edit.setValidator(QRegularExpressionValidator(r"[A-Za-z]{0,4}"))
        self.code_edit.setToolTip("1–4位大写字母，用于办件编号，如 XJ")
        self.area_edit = limit_line(QLineEdit(), limits.HALL_AREA_CODE)
        self.area_edit.setValidator(QRegularExpressionValidator(r"\d{0,6}"))
        self.area_edit.setToolTip("GB/T 2260 六位行政区划代码，新建区为 360112")
        self.address_edit = limit_line(QLineEdit(), limits.HALL_ADDRESS)
        self.phone_edit = limit_line(QLineEdit(), limits.HALL_PHONE)
        self.phone_edit.setValidator(QRegularExpressionValidator(r"[0-9\-]{0,20}"))
        # Named on every 不予受理通知书 and 不予行政许可决定书; while either is empty no denial can be made.
        self.review_authority_edit = limit_line(QLineEdit(), limits.HALL_REVIEW_AUTHORITY)
        self.review_authority_edit.setToolTip("申请人申请行政复议的机关，如 南昌市新建区人民政府；为空时不能作出不予许可决定")
        self.court_edit = limit_line(QLineEdit(), limits.HALL_COURT)
        self.court_edit.setToolTip("申请人提起行政诉讼的法院，如 南昌市新建区人民法院；为空时不能作出不予许可决定")
        form = QFormLayout()
        form.addRow(buddy_label("大厅名称(&N)", self.name_edit), self.name_edit)
        form.addRow(buddy_label("大厅代码(&C)", self.code_edit), self.code_edit)
        form.addRow(buddy_label("行政区划代码(&Q)", self.area_edit), self.area_edit)
        form.addRow(buddy_label("地址(&D)", self.address_edit), self.address_edit)
        form.addRow(buddy_label("电话(&T)", self.phone_edit), self.phone_edit)
        form.addRow(buddy_label("复议机关(&R)", self.review_authority_edit), self.review_authority_edit)
        form.addRow(buddy_label("诉讼法院(&U)", self.court_edit), self.court_edit)
        note = hint_label("这些信息会印在每一张受理回执、通知书和签收单上；大厅代码是办件编号的开头，"
                          "已打印的编号不会随之改变。复议机关和诉讼法院印在不予受理通知书和不予许可决定书上，"
                          "任一项为空时不能作出不予许可决定。")
        self.save_button = QPushButton("保存(&S)")
        self.revert_button = QPushButton("还原(&Z)")
        self.revert_button.setToolTip("放弃未保存的修改，重新读取")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        box = QGroupBox("大厅信息")
        box.setLayout(form)
        # Form, note and buttons in one column of reading width, not spread over a wide screen.
        column = QWidget()
        column.setMaximumWidth(760)
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.addWidget(box)
        column_layout.addWidget(self.error_label)
        column_layout.addWidget(note)
        column_layout.addLayout(buttons)
        layout = page_layout(self)
        layout.addWidget(page_title("大厅设置"))
        layout.addWidget(column)
        self.files_page = FileLimitsPage(hall, actor)
        self.files_page.setMaximumWidth(760)
        self.files_page.status_message.connect(self.status_message)
        layout.addWidget(self.files_page)
        self.backup_page = BackupSettingsPage(hall, actor)
        self.backup_page.setMaximumWidth(760)
        self.backup_page.status_message.connect(self.status_message)
        layout.addWidget(self.backup_page)
        layout.addStretch(1)
        set_tab_order(self.name_edit, self.code_edit, self.area_edit, self.address_edit, self.phone_edit,
                      self.review_authority_edit, self.court_edit, self.revert_button, self.save_button)
        self.save_widgets = [self.save_button]
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)
        describe(QShortcut(QKeySequence.StandardKey.Save, self, self.save,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "保存")

    def refresh(self) -> None:
        super().refresh()
        self.files_page.refresh()
        self.backup_page.refresh()

    def unsaved_work(self) -> str:
        return "；".join(text for text in (super().unsaved_work(), self.files_page.unsaved_work(),
                                           self.backup_page.unsaved_work()) if text)

    def fetch(self, hall: HallDesk) -> HallSettings:
        return hall_settings.get_hall_settings(hall.uow())

    def store(self, hall: HallDesk, actor: Actor, settings: HallSettings) -> HallSettings:
        return hall_settings.save_hall_settings(hall.uow(), actor, settings)

    def form_settings(self) -> HallSettings:
        # Settings this page does not show (the document-number prefix) stay as stored.
        return replace(
            self.stored or HallSettings(), name=self.name_edit.text(), code=self.code_edit.text().upper(),
            area_code=self.area_edit.text(), address=self.address_edit.text(), phone=self.phone_edit.text(),
            review_authority=self.review_authority_edit.text(), court=self.court_edit.text(),
        )

    def show_settings(self, settings: HallSettings) -> None:
        self.name_edit.setText(settings.name)
        self.code_edit.setText(settings.code)
        self.area_edit.setText(settings.area_code)
        self.address_edit.setText(settings.address)
        self.phone_edit.setText(settings.phone)
        self.review_authority_edit.setText(settings.review_authority)
        self.court_edit.setText(settings.court)

    def problems(self) -> list[str]:
        return [exc.message for exc in hall_settings.hall_problems(self.form_settings())]
