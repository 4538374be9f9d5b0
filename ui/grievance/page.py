"""办不成事: the page of the 办不成事 counter and of the supervisor, around the grievance panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.auth import Actor
from app.context import HallDesk
from app.grievance import (
    GrievanceSettings,
)
from ui.grievance.panel import GrievancePanel
from ui.grievance.settings import GrievanceSettingsPage
from ui.ops import Change, Op, subscribe
from ui.shortcuts import describe
from ui.widgets import (
    Page,
    set_shown,
    set_tab_order,
)


class GrievancePage(Page):
    """办不成事: the grievance panel; for the supervisor also the default deadline (限时督办天数)."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.GRIEVANCES}, self.refresh)  # what other pages change
        self.supervises = actor.role == "supervisor"
        title = QLabel("办不成事 — 投诉与诉求办理")
        title.setObjectName("pageTitle")
        self.panel = GrievancePanel(hall, actor)
        self.panel.status_message.connect(self.status_message)

        self.settings_page = GrievanceSettingsPage(hall, actor)
        self.settings_page.status_message.connect(self.status_message)
        self.settings_page.saved.connect(self._settings_saved)
        set_shown(self.settings_page, self.supervises)
        self.days_spin, self.save_button = self.settings_page.days_spin, self.settings_page.save_button

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.settings_page)

        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "刷新")
        set_tab_order(self.panel.buttons["archive"], self.days_spin, self.save_button)

    def is_loaded(self) -> bool:
        return self.panel.loaded

    def refresh(self) -> None:
        self.panel.refresh()
        if self.supervises and not self.settings_page.unsaved_work():  # edits waiting to be saved stay
            self.load()

    @property
    def settings(self) -> GrievanceSettings | None:
        return self.settings_page.stored

    def load(self) -> Op[GrievanceSettings]:
        """The grievance settings, read again from the database."""
        return self.settings_page.load()

    def save(self) -> bool:
        """Save the default deadline (in the background); bad input shows under the setting."""
        return self.supervises and self.settings_page.save() is not None

    def _settings_saved(self, result: GrievanceSettings) -> None:
        self.panel.default_days = result.days

    def unsaved_work(self) -> str:
        return self.settings_page.unsaved_work() if self.supervises else ""
