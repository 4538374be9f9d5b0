"""办不成事: the page of the 办不成事 counter and of the supervisor, around the grievance panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import grievance
from app.auth import Actor
from app.context import HallDesk
from app.errors import ValidationError
from app.grievance import (
    MAX_DAYS,
    MIN_DAYS,
    GrievanceSettings,
)
from ui.errors import show_error
from ui.grievance.panel import GrievancePanel
from ui.ops import Change, run_op, subscribe
from ui.shortcuts import describe
from ui.widgets import (
    Page,
    buddy_label,
    error_label,
    hint_label,
    set_error,
    set_tab_order,
)


class GrievancePage(Page):
    """办不成事: the grievance panel; for the supervisor also the default deadline (限时督办天数)."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.GRIEVANCES}, self.refresh)  # what other pages change
        self.settings: GrievanceSettings | None = None
        self.supervises = actor.role == "supervisor"
        title = QLabel("办不成事 — 投诉与诉求办理")
        title.setObjectName("pageTitle")
        self.panel = GrievancePanel(hall, actor)
        self.panel.status_message.connect(self.status_message)

        self.days_spin = QSpinBox()
        self.days_spin.setRange(MIN_DAYS, MAX_DAYS)
        self.days_spin.setSuffix(" 个工作日")
        self.save_button = QPushButton("保存(&S)")
        self.settings_error = error_label()
        self.settings_box = QGroupBox("限时督办设置")
        settings_row = QHBoxLayout()
        settings_row.addWidget(buddy_label("限时督办天数(&L)", self.days_spin))
        settings_row.addWidget(self.days_spin)
        settings_row.addWidget(self.save_button)
        settings_row.addWidget(hint_label("转办时未另定期限的，承办部门须在此天数内办结。"), 1)
        settings_layout = QVBoxLayout(self.settings_box)
        settings_layout.addLayout(settings_row)
        settings_layout.addWidget(self.settings_error)
        self.settings_box.setVisible(self.supervises)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.settings_box)

        self.save_button.clicked.connect(self.save)
        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "刷新")
        set_tab_order(self.panel.buttons["archive"], self.days_spin, self.save_button)

    def is_loaded(self) -> bool:
        return self.panel.loaded

    def refresh(self) -> None:
        self.panel.refresh()
        if self.supervises:
            self.load()

    def load(self) -> None:
        """The grievance settings, read again from the database."""
        hall = self._hall
        run_op(lambda: grievance.get_grievance_settings(hall.uow()), self._settings_loaded, owner=self, key="settings")

    def _settings_loaded(self, settings: GrievanceSettings) -> None:
        self.settings = settings
        self.days_spin.setValue(settings.days)
        set_error(self.settings_error, "")

    def save(self) -> bool:
        """Save the default deadline (in the background); bad input shows under the setting."""
        if not self.supervises:
            return False
        hall, actor, settings = self._hall, self._actor, GrievanceSettings(days=self.days_spin.value())
        self.save_button.setEnabled(False)

        def saved(result: GrievanceSettings) -> None:
            self.save_button.setEnabled(True)
            self.settings = result
            self.panel.default_days = result.days
            set_error(self.settings_error, "")
            self.status_message.emit(f"限时督办天数已保存：{result.days}个工作日")

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            if isinstance(exc, ValidationError):
                set_error(self.settings_error, exc.message)
            else:
                show_error(self, exc)

        run_op(lambda: grievance.save_grievance_settings(hall.uow(), actor, settings), saved, failed,
                          changes={Change.SETTINGS}, owner=self)
        return True
