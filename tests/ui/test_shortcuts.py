"""Keyboard-true: no two keys of one window can fire at the same moment (issue 15 item 4)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from tests.conftest import log_in
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.shortcuts import clashes, window_keys

# One user per workspace: every role, and the clerk's three kinds of counter.
USERS = ("admin", "supervisor", "clerk1", "clerk3", "clerk9", "rev_scj", "chief_scj")


@pytest.mark.parametrize("username", USERS)
def test_no_key_clashes_in_any_workspace(hall: HallDesk, qtbot: QtBot, username: str) -> None:
    window = open_window(hall, log_in(hall, username), qtbot)
    for key in window.page_keys():  # every page built and loaded, as the user would see it
        window.show_page(key)
        settle()
    keys = window_keys(window)
    assert any(k.keys == "Ctrl+1" for k in keys) and any(k.mnemonic for k in keys)  # the collector sees keys
    found = [f"{a.keys}: {a.where}「{a.text}」 / {b.where}「{b.text}」" for a, b in clashes(keys)]
    assert found == [], "\n".join(found)
