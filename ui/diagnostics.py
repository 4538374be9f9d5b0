"""帮助 → 导出诊断包…: the main window's and the login window's way to ``app.diagnostics.export``.

The save dialog asks where, then the package is written off the GUI thread (``run_op``); a message says where it
went and that it holds no passwords or personal data.  The login window offers it too: an administrator may need
it before anybody can log in.  Qt's own versions and this PC's GUI settings (``QSettings``) go in from here, the
only side that knows them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, QSettings, Signal, qVersion
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ui.errors import show_error
from ui.ops import run_op

# Cheap to import: the login window shows this before the database layer is loaded (a fast start, ui.main).
if TYPE_CHECKING:
    from app.context import HallDesk
    from app.diagnostics import DiagnosisPackage

TITLE = "导出诊断包"


def qt_versions() -> dict[str, str]:
    return {"PySide6": pyside_version, "Qt": qVersion()}


def gui_settings() -> dict[str, Any]:
    """This PC's GUI settings (customer display, scanner, window places), as text."""
    settings = QSettings()
    return {key: str(settings.value(key)) for key in settings.allKeys()}


def default_path() -> Path:
    return Path.home() / f"HallDesk诊断包-{date.today().isoformat()}.zip"


class DiagnosisExport(QObject):
    """Owned by a window: ``ask()`` opens the save dialog, ``export(path)`` writes the package.  ``hall``: the open
    database, or a function giving it (None while the login window is still opening it, or could not).

    Signals:
        exported(object): the ``DiagnosisPackage`` written.
    """

    exported = Signal(object)

    def __init__(self, hall: HallDesk | Callable[[], HallDesk | None] | None, window: QWidget) -> None:
        super().__init__(window)
        self._hall = hall
        self._window = window
        self.file_dialog: QFileDialog | None = None
        self.result_box: QMessageBox | None = None
        self.busy = False

    def ask(self) -> QFileDialog:
        dialog = QFileDialog(self._window, TITLE, str(default_path()), "诊断包 (*.zip)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("zip")
        dialog.fileSelected.connect(lambda path: self.export(Path(path)))
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def export(self, path: Path) -> None:
        if self.busy:
            return
        self.busy = True
        hall = self._hall() if callable(self._hall) else self._hall
        versions, settings = qt_versions(), gui_settings()

        def export() -> DiagnosisPackage:
            from app import diagnostics

            return diagnostics.export(path, hall, extra_versions=versions, settings=settings)

        run_op(export, self._done, self._failed, owner=self._window, busy="正在导出诊断包…")

    def _done(self, package: DiagnosisPackage) -> None:
        self.busy = False
        box = QMessageBox(QMessageBox.Icon.Information, TITLE,
                          f"诊断包已保存到：\n{package.path}\n\n内含日志、版本和本机设置，不含密码、密钥和办件信息，"
                          "可发给大厅信息技术人员或技术支持。", QMessageBox.StandardButton.Ok, self._window)
        self.result_box = box
        box.open()
        self.exported.emit(package)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        show_error(self._window, exc)
