"""限时督办设置: the default deadline, in working days, of a grievance handed to a department without one of
its own (the supervisor's, a ``SettingsPage``)."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from app import grievance
from app.auth import Actor
from app.context import HallDesk
from app.grievance import MAX_DAYS, MIN_DAYS, GrievanceSettings
from ui.settings import SettingsPage
from ui.widgets import buddy_label, hint_label


class GrievanceSettingsPage(SettingsPage[GrievanceSettings]):
    """The box under the supervisor's grievance list.

    Signals:
        saved(GrievanceSettings): the settings were stored.
        status_message(str): for the main window's status bar.
    """

    what = "限时督办设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.days_spin = QSpinBox()
        self.days_spin.setRange(MIN_DAYS, MAX_DAYS)
        self.days_spin.setSuffix(" 个工作日")
        self.save_button = QPushButton("保存(&S)")
        self.save_widgets = [self.save_button]
        box = QGroupBox("限时督办设置")
        row = QHBoxLayout()
        row.addWidget(buddy_label("限时督办天数(&L)", self.days_spin))
        row.addWidget(self.days_spin)
        row.addWidget(self.save_button)
        row.addWidget(hint_label("转办时未另定期限的，承办部门须在此天数内办结。"), 1)
        box_layout = QVBoxLayout(box)
        box_layout.addLayout(row)
        box_layout.addWidget(self.error_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        self.save_button.clicked.connect(self.save)

    def fetch(self, hall: HallDesk) -> GrievanceSettings:
        return grievance.get_grievance_settings(hall.uow())

    def store(self, hall: HallDesk, actor: Actor, settings: GrievanceSettings) -> GrievanceSettings:
        return grievance.save_grievance_settings(hall.uow(), actor, settings)

    def show_settings(self, settings: GrievanceSettings) -> None:
        self.days_spin.setValue(settings.days)

    def form_settings(self) -> GrievanceSettings:
        return GrievanceSettings(days=self.days_spin.value())
