from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.errors import NotFound
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from ui import worker
from ui.worker import collect_garbage_on_gui_thread


def test_results_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    seen: list[tuple[str, bool]] = []

    def work() -> str:
        return "worker" if threading.current_thread() is not threading.main_thread() else "gui"

    worker.run_in_background(work, lambda where: seen.append((where, threading.current_thread() is threading.main_thread())))
    assert not worker.is_idle()
    settle()
    assert seen == [("worker", True)]
    assert worker.is_idle()


def test_errors_go_to_on_error_or_the_default_dialog(qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    failures: list[BaseException] = []

    def fail() -> None:
        raise NotFound("事项编码 X 不存在")

    worker.run_in_background(fail, lambda _r: None, failures.append)
    owner = QWidget()
    qtbot.addWidget(owner)
    worker.run_in_background(fail, lambda _r: None, owner=owner)
    settle()
    assert [str(e) for e in failures] == ["事项编码 X 不存在"]
    assert message_boxes.texts("warning") == ["事项编码 X 不存在"]


def test_nothing_is_delivered_to_a_deleted_owner(qtbot: QtBot) -> None:
    delivered: list[int] = []
    gate = threading.Event()
    owner = QWidget()

    def slow() -> int:
        gate.wait(5)
        return 1

    worker.run_in_background(slow, delivered.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    gate.set()
    settle()
    assert delivered == []


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_garbage_is_collected_on_the_gui_thread_only(qapp: QApplication) -> None:
    # Automatic collection could run on a pool thread and free widgets' wrappers there (a crash): it is off,
    # and the application's timer collects on the GUI thread once Python's threshold is passed.
    collector = collect_garbage_on_gui_thread(qapp)
    assert collect_garbage_on_gui_thread(qapp) is collector  # one per application
    assert not gc.isenabled() and collector.timer.isActive()

    class Node:
        other: object = None

    gc.collect()  # start the count afresh
    cycle = Node()
    cycle.other = cycle  # only a collection frees it
    gone = weakref.ref(cycle)
    del cycle
    assert collector.collect() == 0 and gone() is not None  # below the threshold: nothing yet
    allocated = [[] for _ in range(collector.threshold[0] + 50)]
    assert collector.collect() >= 1 and gone() is None
    del allocated
