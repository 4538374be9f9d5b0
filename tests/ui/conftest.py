"""Fixtures for the GUI tests: offscreen Qt, no blocking dialogs, crash logs in a temporary folder."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from app.context import HallDesk
from app.uow import UnitOfWork
from tests.support.fake_printer import FakePrinter
from ui import errors, worker
from ui.main import setup_application

_HERE = Path(__file__).resolve().parent
# The offscreen platform warns on every top-level window it shows; that says nothing about our code.
_OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(_OFFSCREEN_NOISE))


@pytest.fixture(scope="session", autouse=True)
def _halldesk_look(qapp: QApplication) -> None:
    """The bundled font and style sheet, as in the real program (layout sizes depend on them)."""
    setup_application(qapp)


@dataclass
class MessageBoxes:
    """What QMessageBox's static functions were asked to show, in order; ``answer`` is given to questions."""

    shown: list[tuple[str, str, str]] = field(default_factory=list)
    answer: QMessageBox.StandardButton = QMessageBox.StandardButton.Yes

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, _title, text in self.shown if kind is None or k == kind]


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MessageBoxes]:
    """No test may block on a modal dialog: static message boxes are recorded, exec() fails loudly.

    Also sends crash logs to a temporary data folder.
    """
    boxes = MessageBoxes()
    # The counters' slip-signing keys stay in the run's data folder (the demo template registered them
    # once); only the logs are the test's own.
    shared = Path(os.environ[errors.ENV_DATA_DIR]) / "keys"
    shared.mkdir(parents=True, exist_ok=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keys").symlink_to(shared, target_is_directory=True)
    monkeypatch.setenv(errors.ENV_DATA_DIR, str(tmp_path / "data"))

    def recorder(kind: str) -> Any:
        def show(parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
            boxes.shown.append((kind, title, text))
            return boxes.answer if kind == "question" else QMessageBox.StandardButton.Ok

        return show

    for kind in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))

    def no_exec(self: QDialog, *args: Any) -> int:
        raise AssertionError(f"{type(self).__name__}.exec() would block the test")

    monkeypatch.setattr(QDialog, "exec", no_exec)
    monkeypatch.setattr(QMessageBox, "exec", no_exec)
    yield boxes
    # Close what a test left open (crash dialogs, notices) without going through reject() prompts.
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.done(QDialog.DialogCode.Rejected)
    errors._open_crash_dialog = None


@pytest.fixture
def hall(hall: HallDesk) -> Iterator[HallDesk]:
    """The shared ``hall`` fixture, but background jobs must have finished before its database goes."""
    yield hall
    assert worker.wait_idle(20.0), "background work still running at teardown"


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    """A network receipt printer on 127.0.0.1 (a real TCP server) for the counter's print jobs."""
    with FakePrinter() as p:
        yield p


# ---- no service call on the GUI thread -----------------------------------------------------------------
# Every GUI test is also a check that pages call services only through ui.ops (off the GUI thread): opening a
# unit of work, a session or a connection on the Qt main thread from code in ui/ is recorded and fails the test.
# Tests themselves may call services directly on the main thread (to arrange data); only ui/ frames count.

_UI_DIR = (_HERE.parent.parent / "ui").resolve()


# Opening the database at start-up, before any window exists (and before the event loop runs), has no window
# to freeze: the program cannot do anything else until it has a database.
_STARTUP = {("main.py", "open_hall"), ("main.py", "run_counter_gui")}


def _ui_caller() -> str | None:
    """The innermost ui/ frame on the current stack ("ui/x.py:123 in f"), or None (also for start-up)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if _UI_DIR in path.parents:  # ui/ and every desk's package under it
            rel = path.relative_to(_UI_DIR).as_posix()
            if (rel, frame.f_code.co_name) in _STARTUP:
                return None
            return f"ui/{rel}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return None


@pytest.fixture(autouse=True)
def no_service_on_gui_thread(monkeypatch: pytest.MonkeyPatch, qapp: QApplication) -> Iterator[list[str]]:
    """Fails the test if a page opened a unit of work / session / connection on the GUI thread."""
    offences: list[str] = []

    def watch(owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is threading.main_thread():  # Qt's GUI thread
                where = _ui_caller()
                if where is not None:
                    offences.append(f"{owner.__name__}.{name} on the GUI thread from {where}")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, checked)

    watch(UnitOfWork, "__enter__")
    watch(sessionmaker, "__call__")
    watch(Engine, "connect")
    yield offences
    assert not offences, "service called on the GUI thread:\n" + "\n".join(dict.fromkeys(offences))
