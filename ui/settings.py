"""The one shape of a settings page (Picard's ``OptionsPage`` is the model): ``load()``, ``check()``, ``save()``.

A settings page edits one group of stored settings — the hall's (大厅设置), a department's (部门设置), the
evaluation's (评价设置).  A subclass says only how the settings are read and written (``fetch`` and ``store``,
service calls that run off the GUI thread) and how its form shows them (``show_settings`` and
``form_settings``); the base does the rest the same way on every page:

* ``load()`` reads the stored settings and fills the form (also 还原: throw the edits away);
* ``check()`` lists the form's problems, in form order, in Chinese — the service checks again, this only
  spares a round trip; an empty list means the form may be saved;
* ``save()`` refuses while ``check()`` has problems (all of them shown at once), otherwise stores the form
  and shows what was stored (the service may have trimmed it);
* ``unsaved_work()`` says what leaving now would throw away (the main window asks before logging out).

``load()`` after ``save()`` shows the same values: ``form_settings(show_settings(s)) == s`` for stored ``s``.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.auth import Actor
from app.context import HallDesk
from ui.ops import Change, Op, run_op
from ui.widgets import Page, error_label, hint_label, set_error, set_tab_order

S = TypeVar("S")


class SettingsPage(Page, Generic[S]):
    """A form over one group of stored settings; see the module's docstring for the contract.

    Subclasses set ``what`` (the settings' name, e.g. "大厅设置") and implement ``fetch``, ``store``,
    ``show_settings`` and ``form_settings``; they may add ``problems`` and must put ``self.error_label``
    into their layout (reserved under the form, so the layout does not move when it speaks).

    Signals:
        saved(object): the settings were stored (the stored value).
        status_message(str): something the main window's status bar should show for a while.
    """

    saved = Signal(object)
    what = "设置"

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.stored: S | None = None
        self.error_label: QLabel = error_label()
        self.save_widgets: list[QWidget] = []  # disabled while a save runs

    def build_section(self, title: str, form: QFormLayout, note: str, save_text: str, revert_text: str,
                      fields: list[QWidget]) -> None:
        """The page as one group box: the form, the error line, a note, then 还原 and 保存 on the right; the tab
        order runs through ``fields``, then 还原 and 保存 (``save_button``, ``revert_button``)."""
        self.save_button = QPushButton(save_text)
        self.revert_button = QPushButton(revert_text)
        self.revert_button.setToolTip("放弃未保存的修改，重新读取")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.error_label)
        inner.addWidget(hint_label(note))
        inner.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        set_tab_order(*fields, self.revert_button, self.save_button)
        self.save_widgets = [self.save_button]
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)

    # ---- what a subclass says ------------------------------------------------------------------------
    def fetch(self, hall: HallDesk) -> S:
        """Read the stored settings (runs off the GUI thread)."""
        raise NotImplementedError

    def store(self, hall: HallDesk, actor: Actor, settings: S) -> S:
        """Write ``settings`` and return what was stored (runs off the GUI thread)."""
        raise NotImplementedError

    def show_settings(self, settings: S) -> None:
        """Fill the form from ``settings``."""
        raise NotImplementedError

    def form_settings(self) -> S:
        """The settings as the form shows them now."""
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What is wrong with the form, in form order (empty: it may be saved)."""
        return []

    # ---- the same on every page --------------------------------------------------------------------
    def refresh(self) -> None:
        self.load()

    def load(self) -> Op[S]:
        hall = self._hall
        return run_op(lambda: self.fetch(hall), self._loaded_settings, owner=self, key="settings")

    def _loaded_settings(self, settings: S) -> None:
        self.stored = settings
        self.show_settings(settings)
        set_error(self.error_label, "")
        self._loaded = True

    def check(self) -> list[str]:
        problems = self.problems()
        set_error(self.error_label, "\n".join(problems))
        return problems

    def save(self) -> Op[S] | None:
        if self.check():
            return None
        hall, actor, settings = self._hall, self._actor, self.form_settings()
        return run_op(lambda: self.store(hall, actor, settings), self._saved_ok, owner=self,
                      changes={Change.SETTINGS}, busy=f"正在保存{self.what}…", form=self.error_label,
                      disable=self.save_widgets)

    def _saved_ok(self, stored: S) -> None:
        self.stored = stored
        self.show_settings(stored)  # what the service stored (trimmed), not what was typed
        set_error(self.error_label, "")
        self.saved.emit(stored)
        self.status_message.emit(f"{self.what}已保存")

    def unsaved_work(self) -> str:
        if self.stored is None or not self._loaded or self.form_settings() == self.stored:
            return ""
        return f"{self.what}有未保存的修改"
