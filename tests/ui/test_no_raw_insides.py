"""No raw insides reach a user (issue 15 item 5): every page of every role's window, every text on it.

The walk opens each role's main window, shows every page and every tab of it, and collects what a user can
read: labels, buttons, group titles, combo entries, tab titles, table headers and cells, text boxes, the
menus and the status bar.  It fails on the demo users' usernames (except on the admin's 用户管理, where the
admin chose them), item codes (ZJJ001), material codes (M01), statistics jargon (P90), printer commands and
database file names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPlainTextEdit,
    QTableView,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import catalog, claims, decisions, grievance, intake
from app.context import HallDesk
from app.intake import MaterialInput
from db.models import User
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.mainwindow import MainWindow
from ui.widgets import ElidedLabel

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

# One user per workspace: every role, and the clerk's three kinds of counter.
USERS = ("admin", "supervisor", "clerk1", "clerk3", "clerk9", "rev_scj", "chief_scj")
ITEM_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2,5}\d{3}(?![0-9])")
MATERIAL_CODE = re.compile(r"(?<![A-Za-z0-9])M\d\d(?![0-9])")
JARGON = ("P90", "FS &", "GS (", ".sqlite3", "SQLite", "sqlite")
# Where an identifier is what the user chose: the admin names the accounts on 用户管理; the catalog's keepers
# (the admin, a chief representative for the department) type in 事项编码 and 材料编码 on 事项目录.
USERNAMES_ALLOWED = {("admin", "users")}
CODES_ALLOWED = {("admin", "catalog"), ("chief_scj", "catalog")}


def _plain(text: str) -> str:
    return QTextDocumentFragment.fromHtml(text).toPlainText() if "<" in text else text


def _view_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    root = QModelIndex()
    columns = 1 if isinstance(view, QListView) else max(1, model.columnCount(root))
    if not isinstance(view, QListView):
        yield from (str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(columns)
                    if not (isinstance(view, QTableView) and view.isColumnHidden(c)))
    shown = [c for c in range(columns) if not (isinstance(view, QTableView) and view.isColumnHidden(c))]
    for r in range(min(model.rowCount(root), 200)):
        for c in shown:
            yield str(model.index(r, c, root).data() or "")


def visible_texts(root: QWidget) -> Iterator[str]:
    """What a user can read in ``root`` as it is shown now (hidden widgets and closed tabs left out)."""
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        if isinstance(w, QLabel):
            yield _plain(w.text())
        elif isinstance(w, ElidedLabel | QAbstractButton):
            yield w.text()
        elif isinstance(w, QGroupBox):
            yield w.title()
        elif isinstance(w, QComboBox):
            yield from (w.itemText(i) for i in range(w.count()))
        elif isinstance(w, QTabWidget):
            yield from (w.tabText(i) for i in range(w.count()))
        elif isinstance(w, QLineEdit):
            yield w.text()
            yield w.placeholderText()
        elif isinstance(w, QPlainTextEdit | QTextEdit):
            yield w.toPlainText()
        elif isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView):  # a table reads its header
            yield from _view_texts(w)


def _menu_texts(window: MainWindow) -> Iterator[str]:
    for menu in window.menuBar().findChildren(QMenu):
        yield menu.title()
        yield from (a.text() for a in menu.actions())


def walk(window: MainWindow) -> dict[str, list[str]]:
    """Every page of ``window`` (each of its tabs in turn) → the texts shown on it, with the window's own."""
    found: dict[str, list[str]] = {}
    for key in window.page_keys():
        page = window.show_page(key)
        settle()
        texts = list(visible_texts(window))
        for tabs in page.findChildren(QTabWidget):
            if not tabs.isVisible():
                continue
            for i in range(tabs.count()):
                tabs.setCurrentIndex(i)
                settle()
                texts += visible_texts(tabs.currentWidget())
            tabs.setCurrentIndex(0)
        texts += _menu_texts(window)
        found[key] = [t for t in texts if t]
    return found


def _busy_hall(hall: HallDesk) -> None:
    """Cases in every state a page lists: in the queue, claimed with an opinion, 容缺, decided."""
    clerk = log_in(hall, "clerk1")
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ")
                if not i.immediate and any(m.tolerable for m in i.materials))
    tolerable = next(m.code for m in item.materials if m.tolerable)
    for materials in (all_received(item), {**all_received(item), tolerable: MaterialInput("tolerated")},
                      all_received(item)):
        intake.take_application(hall.uow(), clerk, request(item, materials=materials))
    reviewer = log_in(hall, "rev_scj")
    claim = claims.claim_next(hall.uow(), reviewer, "SCJ")
    assert claim is not None
    decisions.add_opinion(hall.uow(), reviewer, claim.case_no, "材料齐全，符合法定形式", claim.token)
    # A grievance handed to the department and answered by its chief representative: its history names people.
    supervisor = log_in(hall, "supervisor")
    no = grievance.register(hall.uow(), supervisor, complainant="王芳", content="营业执照办理等待时间过长",
                            phone="13800000001").grievance_no
    grievance.classify(hall.uow(), supervisor, no, "complaint")
    grievance.assign(hall.uow(), supervisor, no, "SCJ", days=3)
    grievance.resolve(hall.uow(), log_in(hall, "chief_scj"), no, "已电话答复并致歉")


def _usernames(hall: HallDesk) -> set[str]:
    with hall.uow() as uow:
        return set(uow.session.execute(select(User.username)).scalars())


def leaks(role: str, page: str, text: str, usernames: set[str]) -> list[str]:
    out = [j for j in JARGON if j in text]
    if (role, page) not in CODES_ALLOWED:
        out += ITEM_CODE.findall(text) + MATERIAL_CODE.findall(text)
    if (role, page) not in USERNAMES_ALLOWED:
        out += [u for u in usernames if re.search(rf"(?<![A-Za-z0-9_]){re.escape(u)}(?![A-Za-z0-9_])", text)]
    return out


@pytest.mark.parametrize("username", USERS)
def test_no_raw_insides_on_any_page(hall: HallDesk, qtbot: QtBot, username: str) -> None:
    _busy_hall(hall)
    usernames = _usernames(hall)
    window = open_window(hall, log_in(hall, username), qtbot)
    window.resize(1366, 768)
    shown = walk(window)
    assert shown and all(shown.values())  # the walk reads something on every page
    assert any(window.db_label.text() in texts for texts in shown.values())  # … the status bar included
    found = [f"{page}: {sorted(set(bad))} in 「{text}」"
             for page, texts in shown.items() for text in texts
             if (bad := leaks(username, page, text, usernames))]
    assert not found, "\n".join(dict.fromkeys(found))


def test_the_walk_sees_a_leak(hall: HallDesk, qtbot: QtBot) -> None:
    """The collector reads table cells and labels: a username or a code put there is caught."""
    window = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    page = window.page(window.page_keys()[0])
    label = QLabel("领取人 rev_scj，事项 SCJ001，材料 M01，P90用时", page)
    label.show()
    shown = walk(window)
    bad = leaks("rev_scj", window.page_keys()[0], "\n".join(shown[window.page_keys()[0]]), _usernames(hall))
    assert set(bad) >= {"rev_scj", "SCJ001", "M01", "P90"}
