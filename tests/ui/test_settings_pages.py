"""Every settings page has the one shape of ``ui.settings.SettingsPage``: ``load()`` fills the form with what
is stored, a changed form says so (the window asks before leaving), ``save()`` stores the form, and a fresh
page loads exactly what was saved (load and save are symmetric)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import ui
from app import backoffice, backup, evaluation, files, grievance, hall_settings
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import replace_text, settle
from ui.admin.backup_settings import BackupSettingsPage
from ui.admin.file_limits import FileLimitsPage
from ui.admin.hall_settings import HallSettingsPage
from ui.chief.settings import DeptSettingsPage
from ui.grievance.settings import GrievanceSettingsPage
from ui.settings import SettingsPage
from ui.supervision.settings import EvaluationSettingsPage


@dataclass(frozen=True)
class Case:
    page: type[SettingsPage[Any]]
    user: str
    change: Callable[[Any], None]  # edits the form
    stored: Callable[[HallDesk], object]  # what the database holds, read by the service


def _next(spin: Any) -> None:
    spin.setValue(spin.value() + 1 if spin.value() < spin.maximum() else spin.value() - 1)


CASES = {
    "hall": Case(HallSettingsPage, "admin", lambda p: replace_text(p.phone_edit, "0791-83700009"),
                 lambda hall: hall_settings.get_hall_settings(hall.uow())),
    "backup": Case(BackupSettingsPage, "admin", lambda p: _next(p.keep_spin), lambda hall: backup.get_settings(hall.uow())),
    "files": Case(FileLimitsPage, "admin", lambda p: _next(p.file_spin), lambda hall: files.get_limits(hall.uow())),
    "department": Case(DeptSettingsPage, "chief_scj", lambda p: _next(p.lease_spin),
                       lambda hall: backoffice.get_dept_settings(hall.uow(), "SCJ")),
    "evaluation": Case(EvaluationSettingsPage, "supervisor", lambda p: _next(p.days_spin),
                       lambda hall: evaluation.get_evaluation_settings(hall.uow())),
    "grievance": Case(GrievanceSettingsPage, "supervisor", lambda p: _next(p.days_spin),
                      lambda hall: grievance.get_grievance_settings(hall.uow())),
}


def test_every_settings_page_is_tested() -> None:
    for module in pkgutil.walk_packages(ui.__path__, "ui."):  # every page there is, not only those imported here
        importlib.import_module(module.name)

    def all_subclasses(cls: type) -> set[type]:
        return {c for s in cls.__subclasses__() for c in {s, *all_subclasses(s)}}

    assert all_subclasses(SettingsPage) == {c.page for c in CASES.values()}


@sqlite_only
@pytest.mark.parametrize("name", sorted(CASES))
def test_load_and_save_are_symmetric(name: str, hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    case = CASES[name]
    actor = log_in(hall, case.user)
    page = case.page(hall, actor)
    qtbot.addWidget(page)
    page.show()
    page.load()
    settle()
    before = case.stored(hall)
    assert page.form_settings() == before == page.stored and page.unsaved_work() == ""

    case.change(page)
    edited = page.form_settings()
    assert edited != before and page.unsaved_work().endswith("有未保存的修改")
    assert page.check() == []
    with qtbot.waitSignal(page.saved):
        page.save()
    assert case.stored(hall) == edited and page.unsaved_work() == ""

    fresh = case.page(hall, actor)
    qtbot.addWidget(fresh)
    fresh.load()
    settle()
    assert fresh.form_settings() == edited and fresh.unsaved_work() == ""
    assert message_boxes.shown == []
