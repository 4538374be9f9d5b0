"""Each role's workspace at 1366×768 with the demo data, every page, written as PNGs (issue 15 item 8).

The files go to ``$HALLDESK_SCREENSHOTS`` (else ``screenshots/`` under pytest's temporary directory), named
``<user>-<nn>-<page>.png``; a reviewer opens them to see the screens without running the program.  SQLite only:
the pictures do not depend on the engine.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from tests.conftest import log_in
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.screenshots import distinct_colours, file_name, screenshot_folder, take
from tests.ui.test_mainwindow import open_window

WIDTH, HEIGHT = 1366, 768
MIN_COLOURS = 16  # a drawn page (text, frames, tables) has hundreds; a blank one one or two
# Clerk at counter 1 (综合受理), at 出件 counter 3, at the 办不成事 counter 9; reviewer; chief representative;
# supervisor; admin.
USERS = ("clerk1", "clerk3", "clerk9", "rev_scj", "chief_scj", "supervisor", "admin")


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
@pytest.mark.parametrize("username", USERS)
def test_screenshots_of_every_page_of_each_role(
    hall: HallDesk, qtbot: QtBot, tmp_path_factory: pytest.TempPathFactory, message_boxes: MessageBoxes,
    username: str,
) -> None:
    folder = screenshot_folder(tmp_path_factory)
    window = open_window(hall, log_in(hall, username), qtbot)
    if window.print_worker is not None:
        window.print_worker.stop()  # no printing pass while the pictures are taken
    window.resize(WIDTH, HEIGHT)
    settle()
    # Every page fits: the pages' stack asks for the largest page's minimum, so no page is cut at 1366×768.
    hint = window.minimumSizeHint()
    assert hint.width() <= WIDTH and hint.height() <= HEIGHT, (hint.width(), hint.height())
    written = []
    for number, key in enumerate(window.page_keys(), start=1):
        window.show_page(key)
        settle()
        qtbot.wait(10)  # let the layouts settle after the page's data arrived
        path = take(window, folder, file_name(username, f"{number:02d}", key))
        image = QImage(str(path))
        assert (image.width(), image.height()) == (WIDTH, HEIGHT), path
        colours = distinct_colours(image)
        assert colours > MIN_COLOURS, f"{path}: {colours} colours, looks blank"
        written.append(path)
    assert len(written) == len(window.page_keys()) and all(p.stat().st_size > 0 for p in written)
