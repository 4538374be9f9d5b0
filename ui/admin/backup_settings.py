"""备份设置: how many days of daily backups each PC keeps of its own SQLite file (``backup.BackupSettings``), a
settings page shown inside 大厅设置 below the 电子件 limits."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QSpinBox, QWidget

from app import backup
from app.auth import Actor
from app.backup import BackupSettings
from app.context import HallDesk
from ui.settings import SettingsPage
from ui.widgets import buddy_label


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
        self.build_section(
            "备份", form,
            "程序运行时每天把每台电脑本机的数据库（窗口本机库、单机数据库）备份到该电脑数据文件夹中的备份文件夹，"
            "超过保留天数的旧备份自动删除。备份含申请人信息，只保留需要的天数。共享数据库由数据库管理员备份。",
            "保存备份设置(&V)", "还原(&W)", [self.keep_spin])

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
