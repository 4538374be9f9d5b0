"""部门设置: a department's back-office settings, as the chief representative keeps them (a ``SettingsPage``).

审批环节时限, 领取保留时间, 暂停接件 (the members who take no new cases), 容缺材料补齐前可先发证, the decision
documents' number prefix and whether licence decisions need the approval seal.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import backoffice, limits
from app.auth import Actor
from app.backoffice import DeptSettings
from app.context import HallDesk
from ui.settings import SettingsPage
from ui.widgets import buddy_label, limit_line


class DeptSettingsPage(SettingsPage[DeptSettings]):
    """The settings box of the chief representative's page.

    Signals:
        saved(DeptSettings): the settings were stored.
        status_message(str): for the main window's status bar.
    """

    what = "部门设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.dept = actor.dept_code or ""
        self._members: dict[str, str] = {}  # username -> name: who may be paused
        self.review_days_spin = QSpinBox()
        self.review_days_spin.setRange(1, 60)
        self.review_days_spin.setSuffix(" 个工作日")
        self.lease_spin = QSpinBox()
        self.lease_spin.setRange(1, 480)
        self.lease_spin.setSuffix(" 分钟")
        self.paused_list = QListWidget()
        self.paused_list.setMaximumHeight(110)
        self.issue_early_check = QCheckBox("容缺材料补齐前可先发证(&F)")
        self.issue_early_check.setToolTip("勾选后，统一出件窗口可在容缺材料补交前发放证照；默认补齐后才发放")
        self.doc_prefix_edit = limit_line(QLineEdit(), limits.DEPT_DOC_PREFIX)
        self.doc_prefix_edit.setPlaceholderText("按部门名称，如 新建市场监管局")
        self.doc_prefix_edit.setToolTip("本部门决定书和办理结果通知书的文书编号前缀，如 新建市监准许〔2026〕0001号 中的“新建市监”")
        self.licence_seal_check = QCheckBox("行政许可决定书须加盖审批专用章(&K)")
        self.licence_seal_check.setChecked(True)
        self.licence_seal_check.setToolTip("勾选后（默认），行政许可事项的准予或不予许可决定须加盖审批专用章，"
                                           "审批人员须先经首席代表授权本办件用章")
        self.save_button = QPushButton("保存设置(&S)")
        self.save_widgets = [self.save_button]
        box = QGroupBox("部门设置")
        form = QFormLayout(box)
        form.addRow(buddy_label("审批环节时限(&D)", self.review_days_spin), self.review_days_spin)
        form.addRow(buddy_label("领取保留时间(&L)", self.lease_spin), self.lease_spin)
        form.addRow(buddy_label("暂停接件(&P)", self.paused_list), self.paused_list)
        form.addRow("", self.issue_early_check)
        form.addRow(buddy_label("决定书编号前缀(&X)", self.doc_prefix_edit), self.doc_prefix_edit)
        form.addRow("", self.licence_seal_check)
        form.addRow(self.error_label)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        form.addRow(save_row)
        for spin in (self.review_days_spin, self.lease_spin):
            spin.setMaximumWidth(spin.sizeHint().width() + 24)  # as wide as the numbers, not the column
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        self.save_button.clicked.connect(self.save)

    def fetch(self, hall: HallDesk) -> DeptSettings:
        return backoffice.get_dept_settings(hall.uow(), self.dept)

    def store(self, hall: HallDesk, actor: Actor, settings: DeptSettings) -> DeptSettings:
        return backoffice.save_dept_settings(hall.uow(), actor, self.dept, settings)

    def show_settings(self, settings: DeptSettings) -> None:
        self.review_days_spin.setValue(settings.review_days)
        self.lease_spin.setValue(settings.lease_minutes)
        self.issue_early_check.setChecked(settings.issue_before_supplement)
        self.doc_prefix_edit.setText(settings.doc_prefix)
        self.licence_seal_check.setChecked(settings.licence_seal)
        self._fill_paused(settings.paused)

    def form_settings(self) -> DeptSettings:
        checked = self.paused()
        before = self.stored.paused if self.stored else ()
        # In the stored order, newly paused ones after: the same choice compares equal to what was loaded.
        paused = tuple(u for u in before if u in checked) + tuple(u for u in checked if u not in before)
        return DeptSettings(review_days=self.review_days_spin.value(), lease_minutes=self.lease_spin.value(),
                            paused=paused, issue_before_supplement=self.issue_early_check.isChecked(),
                            doc_prefix=self.doc_prefix_edit.text(), licence_seal=self.licence_seal_check.isChecked())

    def set_members(self, members: dict[str, str]) -> None:
        """The department's back office (username -> name), as the page's workload lists them."""
        self._members = members
        self._fill_paused(self.paused() if self.paused_list.count() else (self.stored.paused if self.stored else ()))

    def _fill_paused(self, paused: tuple[str, ...]) -> None:
        # Names, not usernames; someone paused who is no longer listed still shows (by the stored name).
        names = dict(self._members) or {u: u for u in paused}
        self.paused_list.clear()
        for username, name in names.items():
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, username)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Checked if username in paused else Qt.CheckState.Unchecked)
            self.paused_list.addItem(item)

    def paused(self) -> tuple[str, ...]:
        items = (self.paused_list.item(i) for i in range(self.paused_list.count()))
        return tuple(str(i.data(Qt.ItemDataRole.UserRole)) for i in items if i.checkState() == Qt.CheckState.Checked)
