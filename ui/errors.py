"""What the user sees when something goes wrong.

Two kinds of failure, two kinds of dialog:

* an expected error (``app.errors.HallDeskError``: wrong input, no permission, stale data) is the user's
  business: a ``QMessageBox.warning`` titled 操作未完成 with the service's Chinese message;
* anything else is a bug: a ``CrashDialog`` with the traceback and the path of a log file written for
  support, so the counter staff can hand it on instead of describing it.

``run_guarded(parent, fn)`` is the one place that turns an exception from a service call into the right
dialog; ``install_excepthook()`` routes exceptions nobody caught (e.g. inside a slot) the same way.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import platformdirs
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import HallDeskError

T = TypeVar("T")

WARNING_TITLE = "操作未完成"
ENV_DATA_DIR = "HALLDESK_DATA_DIR"


# ---- message boxes -------------------------------------------------------------------------------
# All message boxes go through QMessageBox's static functions, looked up at call time, so that tests can
# replace them with monkeypatch and never block on a modal dialog.


def warn(parent: QWidget | None, message: str, title: str = WARNING_TITLE) -> None:
    QMessageBox.warning(parent, title, message)


def inform(parent: QWidget | None, message: str, title: str = "提示") -> None:
    QMessageBox.information(parent, title, message)


def confirm(parent: QWidget | None, message: str, title: str = "请确认") -> bool:
    """Yes/No question; No is the default so that a stray Enter does nothing harmful."""
    answer = QMessageBox.question(
        parent, title, message,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


# ---- crash reports -------------------------------------------------------------------------------


def log_dir() -> Path:
    """Where crash logs go: ``$HALLDESK_DATA_DIR/logs`` when set, else the platform's user log folder."""
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) / "logs" if override else Path(platformdirs.user_log_dir("HallDesk", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def crash_report(details: str) -> str:
    """The traceback with what support needs to reproduce it."""
    head = [
        f"时间：{datetime.now().isoformat(timespec='seconds')}",
        f"系统：{platform.platform()}",
        f"Python：{platform.python_version()}  PySide6：{pyside_version}",
        "",
    ]
    return "\n".join(head) + details


def write_crash_log(details: str) -> Path:
    """Write one crash report file and return its path (raises OSError when the folder is not writable)."""
    path = log_dir() / f"crash-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.log"
    path.write_text(crash_report(details), encoding="utf-8")
    return path


class CrashDialog(QDialog):
    """Shown for a bug: the traceback, the log file written for it, and 复制 / 关闭.

    Signals: only QDialog's own (``finished``, ``accepted``, ``rejected``).
    """

    def __init__(self, details: str, log_path: Path | None, log_error: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("HallDesk — 程序发生错误")
        self.setObjectName("crashDialog")
        self.log_path = log_path

        headline = QLabel("程序发生错误。您刚才的操作可能没有完成，请核对后重试；如果再次出现，请把下面的信息交给系统管理员。")
        headline.setWordWrap(True)
        headline.setObjectName("crashHeadline")

        self.details_edit = QPlainTextEdit(details)
        self.details_edit.setReadOnly(True)
        self.details_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        where = f"已写入日志文件：{log_path}" if log_path is not None else f"无法写入日志文件：{log_error}"
        self.log_label = QLabel(where)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(self)
        self.copy_button = QPushButton("复制(&C)")
        self.close_button = QPushButton("关闭")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.details_edit, 1)
        layout.addWidget(self.log_label)
        layout.addWidget(buttons)
        self.resize(760, 460)

    def details(self) -> str:
        return self.details_edit.toPlainText()

    def add_details(self, details: str) -> None:
        """A further error while this dialog is open goes into the same box instead of a new one."""
        self.details_edit.appendPlainText("\n" + "-" * 60 + "\n" + details)

    def copy_to_clipboard(self) -> None:
        text = self.details()
        if self.log_path is not None:
            text += f"\n日志文件：{self.log_path}"
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("已复制")


_open_crash_dialog: CrashDialog | None = None


def show_crash(parent: QWidget | None, exc: BaseException, *, blocking: bool = False) -> CrashDialog:
    """Log ``exc`` and show it in a CrashDialog (non-blocking unless there is no event loop yet)."""
    global _open_crash_dialog
    details = format_exception(exc)
    try:
        log_path: Path | None = write_crash_log(details)
        log_error = ""
    except OSError as write_exc:
        log_path, log_error = None, str(write_exc)
    sys.stderr.write(details)
    existing = _open_crash_dialog
    if existing is not None and existing.isVisible():
        existing.add_details(details)
        return existing
    dialog = CrashDialog(details, log_path, log_error, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(_forget_crash_dialog)
    _open_crash_dialog = dialog
    if blocking:
        dialog.exec()
    else:
        dialog.open()
    return dialog


def _forget_crash_dialog() -> None:
    global _open_crash_dialog
    _open_crash_dialog = None


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """The right dialog for ``exc``: a warning for an expected error, a CrashDialog for a bug."""
    if isinstance(exc, HallDeskError):
        warn(parent, exc.message)
    else:
        show_crash(parent, exc)


def run_guarded(parent: QWidget | None, fn: Callable[[], T]) -> T | None:
    """Call ``fn``; on an exception show the right dialog and return None (so callers keep their state)."""
    try:
        return fn()
    except HallDeskError as exc:
        warn(parent, exc.message)
    except Exception as exc:
        show_crash(parent, exc)
    return None


def install_excepthook() -> None:
    """Route uncaught exceptions (e.g. raised inside a slot) to ``show_error``."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt) or QApplication.instance() is None:
            previous(exc_type, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        show_error(QApplication.activeWindow(), exc)

    sys.excepthook = hook
