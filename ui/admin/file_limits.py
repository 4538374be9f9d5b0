"""电子件设置: the hall's limits on scanned materials (``files.FileLimits``), a settings page shown inside 大厅设置."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QSpinBox, QWidget

from app import files
from app.auth import Actor
from app.context import HallDesk
from app.files import FileLimits
from ui.settings import SettingsPage
from ui.widgets import buddy_label


def _mb_spin(low: int, high: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(" MB")
    spin.setGroupSeparatorShown(True)
    return spin


class FileLimitsPage(SettingsPage[FileLimits]):
    """Per file, per case, and an offline counter's store budget (a ``SettingsPage``).

    Signals:
        saved(FileLimits): the limits were stored.
        status_message(str): something the main window's status bar should show for a while.
    """

    what = "电子件设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        # The spin boxes' ranges are wider than the rule's: the rule (files.limit_problems) speaks, not the box.
        self.file_spin = _mb_spin(0, 100_000)
        self.file_spin.setToolTip("窗口添加的每个扫描件不得超过此大小")
        self.case_spin = _mb_spin(0, 100_000)
        self.case_spin.setToolTip("一件申请的全部电子件合计不得超过此大小")
        self.budget_spin = _mb_spin(0, 1_000_000)
        self.budget_spin.setToolTip("离线窗口本机暂存尚未上传的电子件，超过此大小时提醒（不会拒绝受理）")
        form = QFormLayout()
        form.addRow(buddy_label("每个文件上限(&F)", self.file_spin), self.file_spin)
        form.addRow(buddy_label("每件合计上限(&J)", self.case_spin), self.case_spin)
        form.addRow(buddy_label("窗口本机存储预算(&B)", self.budget_spin), self.budget_spin)
        self.build_section(
            "电子件（扫描材料）", form,
            "扫描件超过上限时，窗口会提示“请降低扫描分辨率或分成几个文件”，不会保存。A4 彩色扫描 200 dpi 每页约 0.3–0.8 MB。",
            "保存电子件设置(&E)", "还原(&Y)", [self.file_spin, self.case_spin, self.budget_spin])

    def fetch(self, hall: HallDesk) -> FileLimits:
        return files.get_limits(hall.uow())

    def store(self, hall: HallDesk, actor: Actor, settings: FileLimits) -> FileLimits:
        return files.save_limits(hall.uow(), actor, settings)

    def show_settings(self, settings: FileLimits) -> None:
        self.file_spin.setValue(settings.max_file_mb)
        self.case_spin.setValue(settings.max_case_mb)
        self.budget_spin.setValue(settings.store_budget_mb)

    def form_settings(self) -> FileLimits:
        return FileLimits(self.file_spin.value(), self.case_spin.value(), self.budget_spin.value())

    def problems(self) -> list[str]:
        return [exc.message for exc in files.limit_problems(self.form_settings())]
