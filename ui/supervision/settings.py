"""评价设置: the evaluation's settings the supervisor keeps (a ``SettingsPage``): how many working days a
department has to rectify a 差评, and how long the rating pad waits for the applicant."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QPushButton, QSpinBox, QVBoxLayout, QWidget

from app import evaluation
from app.auth import Actor
from app.context import HallDesk
from app.evaluation import EvaluationSettings
from ui.settings import SettingsPage
from ui.widgets import buddy_label


class EvaluationSettingsPage(SettingsPage[EvaluationSettings]):
    """The 评价设置 box of the supervisor's 解锁与设置 tab.

    Signals:
        saved(EvaluationSettings): the settings were stored.
        status_message(str): for the main window's status bar.
    """

    what = "评价设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, 30)
        self.days_spin.setSuffix(" 个工作日")
        self.prompt_spin = QSpinBox()
        self.prompt_spin.setRange(10, 300)
        self.prompt_spin.setSuffix(" 秒")
        self.save_button = QPushButton("保存设置(&S)")
        self.save_widgets = [self.save_button]
        box = QGroupBox("评价设置")
        form = QFormLayout(box)
        # Number boxes as wide as their numbers, not the whole page (1,050 px at 1366×768).
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(buddy_label("差评整改期限(&D)", self.days_spin), self.days_spin)
        form.addRow(buddy_label("评价器等待时间(&T)", self.prompt_spin), self.prompt_spin)
        form.addRow(self.error_label)
        form.addRow("", self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        self.save_button.clicked.connect(self.save)

    def fetch(self, hall: HallDesk) -> EvaluationSettings:
        return evaluation.get_evaluation_settings(hall.uow())

    def store(self, hall: HallDesk, actor: Actor, settings: EvaluationSettings) -> EvaluationSettings:
        return evaluation.save_evaluation_settings(hall.uow(), actor, settings)

    def show_settings(self, settings: EvaluationSettings) -> None:
        self.days_spin.setValue(settings.rectification_days)
        self.prompt_spin.setValue(settings.prompt_seconds)

    def form_settings(self) -> EvaluationSettings:
        return EvaluationSettings(rectification_days=self.days_spin.value(), prompt_seconds=self.prompt_spin.value())
