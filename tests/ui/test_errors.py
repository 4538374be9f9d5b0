from __future__ import annotations

import re
import sys
from pathlib import Path

import platformdirs
import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.errors import Conflict
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from ui import errors
from ui.errors import CrashDialog, install_excepthook
from ui.ops import run_op


def crash_dialogs() -> list[CrashDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]


def boom() -> int:
    raise ZeroDivisionError("division by zero in a slot")


def test_expected_error_is_a_warning(qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)

    def save() -> int:
        raise Conflict("该事项已被他人修改，请重新打开后再编辑")

    results: list[int] = []
    run_op(save, results.append, owner=parent)
    settle()
    assert message_boxes.shown == [("warning", "操作未完成", "该事项已被他人修改，请重新打开后再编辑")]
    assert crash_dialogs() == []
    run_op(lambda: 42, results.append, owner=parent)
    settle()
    assert results == [42]


ONE_LINE = re.compile(r"错误：程序内部错误，操作未完成（参考编号 (E\d{8}-[0-9A-F]{6})）。请把参考编号告知系统管理员。")


def boom_with_data() -> int:
    raise ZeroDivisionError("division by zero in a slot, agent 36011219850615123X 张伟")


def test_bug_shows_one_line_with_a_reference_and_writes_a_scrubbed_log(
    qtbot: QtBot, message_boxes: MessageBoxes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    run_op(boom_with_data, owner=parent)
    settle()
    assert message_boxes.shown == []  # not a message box
    (dialog,) = crash_dialogs()
    assert dialog.windowTitle().endswith("程序发生错误")
    assert dialog.details_edit.isReadOnly()
    shown = ONE_LINE.fullmatch(dialog.details())
    assert shown is not None, dialog.details()  # the user sees the line, never the traceback
    assert dialog.log_path is not None and dialog.log_path == tmp_path / "data" / "logs" / f"{shown.group(1)}.log"
    log = dialog.log_path.read_text(encoding="utf-8")
    assert "ZeroDivisionError: division by zero in a slot" in log and "in boom_with_data" in log
    assert "Python" in log and "PySide6" in log
    assert "36011219850615123X" not in log and "张伟" not in log
    assert str(dialog.log_path) in dialog.log_label.text()
    err = capsys.readouterr().err
    assert shown.group(1) in err and "Traceback" not in err and "ZeroDivisionError" not in err

    dialog.copy_button.click()
    clipboard = QApplication.clipboard().text()
    assert shown.group(1) in clipboard and str(dialog.log_path) in clipboard

    # A second bug while the dialog is open lands in the same dialog, with its own reference.
    run_op(boom, owner=parent)
    settle()
    assert crash_dialogs() == [dialog]
    assert len(ONE_LINE.findall(dialog.details())) == 2
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
    assert ONE_LINE.fullmatch(dialog.details())
    assert dialog.log_path is not None and "KeyError: 'missing'" in dialog.log_path.read_text(encoding="utf-8")
    dialog.reject()

    expected = Conflict("窗口号已存在")
    sys.excepthook(Conflict, expected, None)
    assert message_boxes.texts("warning") == ["窗口号已存在"]
    assert crash_dialogs() == []


def test_log_folder_without_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without HALLDESK_DATA_DIR the logs are in the platform's data folder, beside the embedded database."""
    monkeypatch.delenv(errors.ENV_DATA_DIR)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "platform-data"))
    assert errors.log_dir() == tmp_path / "platform-data" / "logs"
    assert errors.log_dir().is_dir()
