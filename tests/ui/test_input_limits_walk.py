"""Every input of every role's window has the database's length limit (``app.limits``), so nothing typed is
cut on save: a QLineEdit without a maximum length, or a QPlainTextEdit without ``limit_text``, fails.
Read-only fields and the editors inside spin boxes, date edits and combo boxes are not inputs of text."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDialog, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from app import accounts, catalog, grievance
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.ui.helpers import settle
from ui.admin.counters import CounterDialog
from ui.admin.users import ResetPasswordDialog, UserDialog
from ui.backoffice.clocks import ExtendDialog, SuspendDialog
from ui.catalog.editor import ItemEditorDialog
from ui.chief.reassign import ReassignDialog
from ui.counter.dialogs import RefusalDialog
from ui.display import DisplaySettingsDialog
from ui.grievance.dialogs import GrievanceActionDialog, RegisterGrievanceDialog
from ui.main import create_main_window
from ui.password import ChangePasswordDialog
from ui.printing.preview import ReprintReasonDialog
from ui.printing.printers import PrinterSettingsDialog
from ui.widgets import TextLimit

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

QT_DEFAULT_MAX_LENGTH = 32767
USERS = ("admin", "supervisor", "clerk1", "clerk3", "clerk9", "rev_scj", "chief_scj")


def _name(widget: QWidget) -> str:
    """Where the field is, for the failure message: its placeholder, object name and owners."""
    owners = []
    parent = widget.parentWidget()
    while parent is not None:
        owners.append(type(parent).__name__)
        parent = parent.parentWidget()
    hint = widget.placeholderText() if isinstance(widget, QLineEdit | QPlainTextEdit) else ""
    return f"{type(widget).__name__}「{hint}」 in {' < '.join(owners[:4])}"


def unlimited_inputs(root: QWidget) -> list[str]:
    limited_texts = {id(t.edited()) for t in root.findChildren(TextLimit)}
    found = []
    for edit in root.findChildren(QLineEdit):
        inside = edit.parentWidget()
        if isinstance(inside, QAbstractSpinBox | QComboBox) or edit.isReadOnly():
            continue
        if edit.maxLength() >= QT_DEFAULT_MAX_LENGTH:
            found.append(_name(edit))
    for text in root.findChildren(QPlainTextEdit):
        if not text.isReadOnly() and id(text) not in limited_texts:
            found.append(_name(text))
    return found


@pytest.mark.parametrize("username", USERS)
def test_every_input_of_every_page_has_a_limit(hall: HallDesk, qtbot: QtBot, username: str) -> None:
    window = create_main_window(hall, log_in(hall, username), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    settle()
    for key in window.page_keys():  # every page shown once: some build their tabs and panels on first show
        window.show_page(key)
        settle()
    missing = unlimited_inputs(window)
    assert missing == [], "\n".join(missing)


def test_every_input_of_the_dialogs_has_a_limit(hall: HallDesk, qtbot: QtBot) -> None:
    """The dialogs the pages open, built as the pages build them."""
    admin, clerk, chief = log_in(hall, "admin"), log_in(hall, "clerk1"), log_in(hall, "chief_scj")
    supervisor = log_in(hall, "supervisor")
    departments = catalog.list_departments(hall.uow())
    counters = accounts.list_counters(hall.uow())
    users = accounts.list_users(hall.uow(), admin)
    assessments = catalog.list_assessments(hall.uow())
    item = catalog.list_items(hall.uow())[0]
    g = grievance.register(hall.uow(), supervisor, complainant="王某", content="办不成")
    dialogs: list[QDialog] = [
        UserDialog(hall, admin, departments, counters),
        UserDialog(hall, admin, departments, counters, users[0]),
        ResetPasswordDialog(hall, admin, users[0]),
        CounterDialog(hall, admin),
        CounterDialog(hall, admin, counters[0]),
        ItemEditorDialog(hall, admin, assessments, item.guide, item=item),
        ReassignDialog(hall, chief, "XJ000000-01-0001", []),
        SuspendDialog(hall, chief, "XJ000000-01-0001", None),
        ExtendDialog(hall, chief, "XJ000000-01-0001"),
        RefusalDialog(item.name),
        DisplaySettingsDialog(),
        RegisterGrievanceDialog(hall, supervisor),
        *(GrievanceActionDialog(hall, supervisor, g, kind, departments=departments)
          for kind in GrievanceActionDialog.KINDS),
        ChangePasswordDialog(hall, clerk),
        ReprintReasonDialog("回执"),
        PrinterSettingsDialog(hall, clerk, 1),
    ]
    settle()
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        missing = unlimited_inputs(dialog)
        assert missing == [], f"{type(dialog).__name__}: " + "\n".join(missing)
