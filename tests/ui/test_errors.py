from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.errors import Conflict
from tests.ui.conftest import MessageBoxes
from ui import errors
from ui.errors import CrashDialog, install_excepthook, run_guarded


def crash_dialogs() -> list[CrashDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]


def boom() -> int:
    raise ZeroDivisionError("division by zero in a slot")


def test_expected_error_is_a_warning(qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)

    def save() -> int:
        raise Conflict("该事项已被他人修改，请重新打开后再编辑")

    assert run_guarded(parent, save) is None
    assert message_boxes.shown == [("warning", "操作未完成", "该事项已被他人修改，请重新打开后再编辑")]
    assert crash_dialogs() == []
    assert run_guarded(parent, lambda: 42) == 42


def test_bug_shows_crash_dialog_and_writes_log(
    qtbot: QtBot, message_boxes: MessageBoxes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    assert run_guarded(parent, boom) is None
    assert message_boxes.shown == []  # not a message box
    (dialog,) = crash_dialogs()
    assert dialog.windowTitle().endswith("程序发生错误")
    assert dialog.details_edit.isReadOnly()
    assert "ZeroDivisionError: division by zero in a slot" in dialog.details()
    assert "in boom" in dialog.details()
    assert dialog.log_path is not None and dialog.log_path.parent == tmp_path / "data" / "logs"
    log = dialog.log_path.read_text(encoding="utf-8")
    assert "ZeroDivisionError" in log and "Python：" in log
    assert str(dialog.log_path) in dialog.log_label.text()
    assert "ZeroDivisionError" in capsys.readouterr().err  # developers see it on the console too

    dialog.copy_button.click()
    clipboard = QApplication.clipboard().text()
    assert "ZeroDivisionError" in clipboard and str(dialog.log_path) in clipboard

    # A second bug while the dialog is open lands in the same dialog.
    run_guarded(parent, boom)
    assert crash_dialogs() == [dialog]
    assert dialog.details().count("ZeroDivisionError: division") == 2
    dialog.close_button.click()
    assert crash_dialogs() == []


def test_excepthook_routes_uncaught_exceptions(
    qtbot: QtBot, message_boxes: MessageBoxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook()
    try:
        raise KeyError("missing")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    (dialog,) = crash_dialogs()
    assert "KeyError: 'missing'" in dialog.details()
    dialog.reject()

    expected = Conflict("窗口号已存在")
    sys.excepthook(Conflict, expected, None)
    assert message_boxes.texts("warning") == ["窗口号已存在"]
    assert crash_dialogs() == []


def test_log_folder_without_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(errors.ENV_DATA_DIR)
    monkeypatch.setattr(errors.platformdirs, "user_log_dir", lambda *a, **k: str(tmp_path / "platform-logs"))
    assert errors.log_dir() == tmp_path / "platform-logs"
    assert errors.log_dir().is_dir()
