"""备份设置: how many days of daily backups each PC keeps of its own SQLite file (``backup.BackupSettings``), a
settings page shown inside 大厅设置 below the 电子件 limits."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from app import backup
from app.auth import Actor
from app.backup import BackupSettings
from app.context import HallDesk
from ui.settings import SettingsPage
from ui.widgets import buddy_label, hint_label, set_tab_order


class BackupSettingsPage(SettingsPage[BackupSettings]):
    """The retention of the daily backups (a ``SettingsPage``).

    Signals:
        saved(BackupSettings): the setting was stored.
        status_message(str): something the main window's status bar should show for a while.
    """

    what = "备份设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.keep_spin = QSpinBox()
        self.keep_spin.setRange(0, 10_000)  # wider than the rule: backup.settings_problems speaks, not the box
        self.keep_spin.setSuffix(" 天")
        self.keep_spin.setToolTip("窗口本机库和内置数据库每天自动备份一次，保留最近这些天的备份")
        form = QFormLayout()
        form.addRow(buddy_label("每日备份保留(&K)", self.keep_spin), self.keep_spin)
        note = hint_label("程序运行时每天把每台电脑本机的数据库（窗口本机库、单机数据库）备份到该电脑数据文件夹中的备份文件夹，"
                          "超过保留天数的旧备份自动删除。备份含申请人信息，只保留需要的天数。共享数据库由数据库管理员备份。")
        self.save_button = QPushButton("保存备份设置(&V)")
        self.revert_button = QPushButton("还原(&W)")
        self.revert_button.setToolTip("放弃未保存的修改，重新读取")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        box = QGroupBox("备份")
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.error_label)
        inner.addWidget(note)
        inner.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        set_tab_order(self.keep_spin, self.revert_button, self.save_button)
        self.save_widgets = [self.save_button]
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)

    def fetch(self, hall: HallDesk) -> BackupSettings:
        return backup.get_settings(hall.uow())

    def store(self, hall: HallDesk, actor: Actor, settings: BackupSettings) -> BackupSettings:
        return backup.save_settings(hall.uow(), actor, settings)

    def show_settings(self, settings: BackupSettings) -> None:
        self.keep_spin.setValue(settings.keep_days)

    def form_settings(self) -> BackupSettings:
        return BackupSettings(self.keep_spin.value())

    def problems(self) -> list[str]:
        return [exc.message for exc in backup.settings_problems(self.form_settings())]
