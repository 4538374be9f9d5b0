"""``ui.ops``: the one way a page calls a service, and the check that no page calls one on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from app.errors import Conflict, ValidationError
from tests.conftest import sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from ui import ops
from ui.ops import Change, run_op, subscribe, supersede


def widget(qtbot: QtBot) -> QWidget:
    w = QWidget()
    qtbot.addWidget(w)
    return w


def test_the_call_runs_off_the_gui_thread_and_answers_on_it(qtbot: QtBot) -> None:
    seen: list[tuple[bool, bool]] = []

    def call() -> bool:
        return threading.current_thread() is threading.main_thread()

    op = run_op(call, lambda on_gui: seen.append((on_gui, threading.current_thread() is threading.main_thread())),
                owner=widget(qtbot))
    with qtbot.waitSignal(op.finished):
        pass
    assert seen == [(False, True)]  # called on a pool thread, answered on the GUI thread


def test_a_newer_op_with_the_same_key_supersedes_the_older(qtbot: QtBot) -> None:
    owner = widget(qtbot)
    gate = threading.Event()
    delivered: list[str] = []

    def slow() -> str:
        gate.wait(5)
        return "old"

    old = run_op(slow, delivered.append, owner=owner, key="search")
    new = run_op(lambda: "new", delivered.append, owner=owner, key="search")
    other = run_op(lambda: "other key", delivered.append, owner=owner, key="detail")
    with qtbot.waitSignal(new.finished):
        pass
    with qtbot.waitSignal(old.superseded):
        gate.set()
    settle()
    assert sorted(delivered) == ["new", "other key"]  # "old" arrived last and was dropped
    assert other.is_latest() and not old.is_latest()


def test_supersede_drops_an_answer_nobody_wants_any_more(qtbot: QtBot) -> None:
    owner = widget(qtbot)
    delivered: list[int] = []
    gate = threading.Event()

    def slow() -> int:
        gate.wait(5)
        return 1

    op = run_op(slow, delivered.append, owner=owner, key="lookup")
    supersede(owner, "lookup")  # e.g. the form was cleared
    gate.set()
    with qtbot.waitSignal(op.superseded):
        pass
    assert delivered == []


def test_validation_error_goes_to_the_form_others_to_the_dialog(qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    owner = widget(qtbot)
    label = QLabel(owner)

    def bad_input() -> None:
        raise ValidationError("uscc", "统一社会信用代码应为18位")

    def clash() -> None:
        raise Conflict("该事项已被他人修改，请重新打开后再编辑")

    run_op(bad_input, owner=owner, form=label)
    settle()
    assert label.text() == "统一社会信用代码应为18位" and message_boxes.shown == []

    fields: list[tuple[str, str]] = []
    run_op(bad_input, owner=owner, form=lambda field, message: fields.append((field, message)))
    run_op(clash, owner=owner, form=label)
    settle()
    assert fields == [("uscc", "统一社会信用代码应为18位")]
    assert message_boxes.texts("warning") == ["该事项已被他人修改，请重新打开后再编辑"]

    run_op(lambda: None, owner=owner, form=label)  # a success clears the earlier refusal
    settle()
    assert label.text() == ""

    handled: list[BaseException] = []
    run_op(clash, owner=owner, on_error=handled.append)
    settle()
    assert [str(e) for e in handled] == ["该事项已被他人修改，请重新打开后再编辑"]
    assert len(message_boxes.shown) == 1


def test_busy_state_greys_out_shows_progress_and_ends(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    page = QWidget()
    window.setCentralWidget(page)
    button = QPushButton("保存", page)
    window.show()
    gate = threading.Event()
    op = run_op(lambda: gate.wait(5), owner=page, busy="正在保存…", disable=[button])
    assert not button.isEnabled()  # no second click while the first save runs
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "正在保存…", timeout=3000)
    assert QApplication.overrideCursor() is not None
    with qtbot.waitSignal(op.finished):
        gate.set()
    assert button.isEnabled()
    assert window.statusBar().currentMessage() == ""
    assert QApplication.overrideCursor() is None


def test_nothing_is_delivered_to_a_deleted_owner_but_the_busy_state_ends(qtbot: QtBot) -> None:
    owner = QWidget()
    delivered: list[bool] = []
    gate = threading.Event()
    run_op(lambda: gate.wait(5), delivered.append, owner=owner, busy="正在读取…")
    qtbot.wait(ops.BUSY_DELAY_MS + 100)
    assert QApplication.overrideCursor() is not None
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    gate.set()
    settle()
    assert delivered == [] and QApplication.overrideCursor() is None


def test_changes_reach_subscribed_pages_now_or_when_shown(qtbot: QtBot) -> None:
    visible, hidden, unrelated = widget(qtbot), widget(qtbot), widget(qtbot)
    visible.show()
    calls: list[str] = []
    subscribe(visible, {Change.CASES}, lambda: calls.append("visible"))
    subscribe(hidden, {Change.CASES, Change.PRINT_JOBS}, lambda: calls.append("hidden"))
    subscribe(unrelated, {Change.CATALOG}, lambda: calls.append("unrelated"))
    saver = widget(qtbot)
    run_op(lambda: None, owner=saver, changes={Change.CASES})
    settle()
    assert calls == ["visible"]  # the hidden page waits to be shown
    hidden.show()
    qtbot.waitUntil(lambda: "hidden" in calls)
    assert calls == ["visible", "hidden"]

    # A failed op announces nothing; the page that made the change is not told of its own change.
    def fail() -> None:
        raise Conflict("不行")

    run_op(fail, owner=saver, changes={Change.CASES}, on_error=lambda _e: None)
    run_op(lambda: None, owner=hidden, changes={Change.PRINT_JOBS})
    dialog = QDialog(hidden)  # a page's own dialog reports back through its signals, not the bus
    run_op(lambda: None, owner=dialog, changes={Change.PRINT_JOBS})
    settle()
    assert calls == ["visible", "hidden"]


@sqlite_only
def test_a_service_call_on_the_gui_thread_is_caught(hall: HallDesk, no_service_on_gui_thread: list[str]) -> None:
    # Code that lives in ui/ opening a unit of work directly, as a page that skipped ui.ops would.
    page_code = compile("with hall.uow() as uow:\n    pass\n", str(Path(ops.__file__).parent / "page.py"), "exec")
    exec(page_code, {"hall": hall})
    assert any("ui/page.py:1" in offence and "UnitOfWork.__enter__" in offence
               for offence in no_service_on_gui_thread)
    no_service_on_gui_thread.clear()  # seen: let this test pass
    # And from a desk's package (ui/counter/page.py).
    desk_code = compile("with hall.uow() as uow:\n    pass\n", str(Path(ops.__file__).parent / "counter" / "page.py"),
                        "exec")
    exec(desk_code, {"hall": hall})
    assert any("ui/counter/page.py:1" in offence for offence in no_service_on_gui_thread)
    no_service_on_gui_thread.clear()
    # The same from a test's own code (arranging data) is allowed.
    with hall.uow():
        pass
    assert no_service_on_gui_thread == []


def _alive(w: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(w)


@sqlite_only
def test_a_page_refreshes_when_another_page_changes_what_it_shows(hall: HallDesk, qtbot: QtBot) -> None:
    from app import intake
    from tests.conftest import log_in
    from tests.intake_support import item_with_tolerable, request
    from tests.ui.test_counter import open_counter

    window, page = open_counter(hall, qtbot)
    assert page.today_model.rowCount() == 0
    # Another page of this window (here: a stand-in widget outside the counter page) takes a case.
    elsewhere = widget(qtbot)
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    with qtbot.waitSignal(page.today_model.modelReset, timeout=5000):
        run_op(lambda: intake.take_application(hall.uow(), clerk, request(item)), owner=elsewhere,
               changes={Change.CASES})
    settle()
    assert page.today_model.rowCount() == 1  # 今日办件 without F5
    window.close()


def test_pages_use_only_ops_for_background_work() -> None:
    """``ui.worker`` is the engine under ``ui.ops``; no page starts a job, keeps a generation counter or blocks."""
    ui_dir = Path(ops.__file__).parent
    offenders = []
    paths = sorted(ui_dir.rglob("*.py"))
    assert len(paths) > 40  # every desk's package too
    for path in paths:
        if path.name in ("ops.py", "worker.py") and path.parent == ui_dir:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ui_dir)}: {word}" for word in ("run_in_background", "_generation", "run_guarded",
                                                           "busy_cursor", "setOverrideCursor") if word in text]
    assert offenders == []
