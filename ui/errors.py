"""What the user sees when something goes wrong.

Two kinds of failure, two kinds of dialog:

* an expected error (``app.errors.HallDeskError``: wrong input, no permission, stale data) is the user's
  business: a ``QMessageBox.warning`` titled 操作未完成 with the service's Chinese message;
* anything else is a bug: a ``CrashDialog`` with one line and a reference (参考编号) the counter staff
  read out to the administrator, who finds the traceback — scrubbed of personal data — in the log file
  under that reference (``app.crashlog``, the same as the CLI's).

``show_error(parent, exc)`` is the one place that turns an exception into the right dialog (``ui.ops`` hands it
every failed service call that has no better place); ``install_excepthook()`` routes exceptions nobody caught
(e.g. inside a slot) the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

# QtCore.Qt at the point of use: importing ``Qt`` builds its 111 enums, which the login window does without.
from PySide6 import QtCore, QtWidgets  # QtWidgets.X where only a failure needs X (a fast start)
from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import HallDeskError

if TYPE_CHECKING:  # imported when a crash is recorded: the login window starts without it (ui.main)
    from app.crashlog import Incident

T = TypeVar("T")

WARNING_TITLE = "操作未完成"
ENV_DATA_DIR = "HALLDESK_DATA_DIR"


# ---- message boxes -------------------------------------------------------------------------------
# All message boxes go through QtWidgets.QMessageBox's static functions, looked up at call time, so that tests can
# replace them with monkeypatch and never block on a modal dialog.


def warn(parent: QWidget | None, message: str, title: str = WARNING_TITLE) -> None:
    QtWidgets.QMessageBox.warning(parent, title, message)


def inform(parent: QWidget | None, message: str, title: str = "提示") -> None:
    QtWidgets.QMessageBox.information(parent, title, message)


def confirm(parent: QWidget | None, message: str, title: str = "请确认") -> bool:
    """Yes/No question; No is the default so that a stray Enter does nothing harmful."""
    button = QtWidgets.QMessageBox.StandardButton
    answer = QtWidgets.QMessageBox.question(parent, title, message, button.Yes | button.No, button.No)
    return answer == button.Yes


# ---- crash reports -------------------------------------------------------------------------------
# A bug shows one line with a reference; the traceback, scrubbed of personal data, is in the log file under
# that reference (app.crashlog), for the administrator and support.


def log_dir() -> Path:
    """Where crash logs go: ``logs`` in the data folder (``HALLDESK_DATA_DIR`` moves it)."""
    from app import crashlog

    return crashlog.log_folder()


def record_crash(exc: BaseException) -> Incident:
    """Write the log for ``exc`` (what support needs: versions, the scrubbed traceback) under a new reference."""
    from app import crashlog

    return crashlog.record(exc, context=[f"PySide6：{pyside_version}", "界面：图形界面"])


class CrashDialog(QDialog):
    """Shown for a bug: the one-line message with the reference, where the log is, and 复制 / 关闭.

    Signals: only QDialog's own (``finished``, ``accepted``, ``rejected``).
    """

    def __init__(self, message: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("HallDesk — 程序发生错误")
        self.setObjectName("crashDialog")
        self.log_path = log_path

        headline = QLabel("您刚才的操作没有完成，请核对后重试；如果再次出现，请把参考编号告知系统管理员。")
        headline.setWordWrap(True)
        headline.setObjectName("crashHeadline")

        # One line per incident (a second bug while this is open adds its line).
        self.details_edit = QtWidgets.QPlainTextEdit(message)
        self.details_edit.setReadOnly(True)
        self.details_edit.setMaximumHeight(self.fontMetrics().height() * 6)

        where = f"详细记录已写入日志文件：{log_path}" if log_path is not None else "详细记录未能写入日志文件"
        self.log_label = QLabel(where)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QtWidgets.QDialogButtonBox(self)
        self.copy_button = QPushButton("复制(&C)")
        self.close_button = QPushButton("关闭")
        buttons.addButton(self.copy_button, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.details_edit)
        layout.addWidget(headline)
        layout.addWidget(self.log_label)
        layout.addWidget(buttons)
        self.resize(620, 240)

    def details(self) -> str:
        return self.details_edit.toPlainText()

    def add_details(self, message: str) -> None:
        """A further error while this dialog is open goes into the same box instead of a new one."""
        self.details_edit.appendPlainText(message)

    def copy_to_clipboard(self) -> None:
        text = self.details()
        if self.log_path is not None:
            text += f"\n日志文件：{self.log_path}"
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("已复制")


_open_crash_dialog: CrashDialog | None = None


def show_crash(parent: QWidget | None, exc: BaseException, *, blocking: bool = False) -> CrashDialog:
    """Log ``exc`` and show its one line in a CrashDialog (non-blocking unless there is no event loop yet)."""
    global _open_crash_dialog
    incident = record_crash(exc)
    where = f"（日志：{incident.log_path}）" if incident.log_path is not None else ""
    sys.stderr.write(incident.message + where + "\n")  # the console too, but never the traceback
    existing = _open_crash_dialog
    if existing is not None and existing.isVisible():
        existing.add_details(incident.message)
        return existing
    dialog = CrashDialog(incident.message, incident.log_path, parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
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
