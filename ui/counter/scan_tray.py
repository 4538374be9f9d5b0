"""The scan folder tray: what the counter's document scanner "scans to folder" appears at the counter by itself.

A scanner writes its file for a while (a 30-page PDF takes seconds), so a new file joins the tray only once
its size has stayed the same for one look (``STABLE_POLL_MS``) — a half-written file is never taken.  The
clerk's key (``TRAY_KEY`` on the counter page) gives the oldest file in the tray to the selected material; a
file taken is moved into the folder's ``已用`` subfolder (nothing is ever deleted: a file given to the wrong
material can still be found).  A refused file (a renamed program, too large) stays where it is, shown in red
with the reason, and the key passes over it.

The folder is this PC's own setting (QSettings ``scan/folder``), like the customer display: set in
``ScanFolderDialog`` (综合受理 → 设置 → 扫描文件夹).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.widgets import buddy_label, dialog_buttons, hint_label

SCAN_FOLDER_KEY = "scan/folder"
USED_FOLDER = "已用"
STABLE_POLL_MS = 400
TRAY_KEY = "Ctrl+Shift+S"
PATH = Qt.ItemDataRole.UserRole


def scan_folder(settings: QSettings | None = None) -> str:
    """The folder this PC's scanner writes into ('' when none is set)."""
    s = settings or QSettings()
    return str(s.value(SCAN_FOLDER_KEY, "") or "")


def move_to_used(path: Path) -> Path:
    """Move a file the counter took into the ``已用`` subfolder beside it (a new name if one is there)."""
    used = path.parent / USED_FOLDER
    used.mkdir(exist_ok=True)
    target = used / path.name
    number = 1
    while target.exists():
        number += 1
        target = used / f"{path.stem} ({number}){path.suffix}"
    shutil.move(str(path), str(target))
    return target


class ScanTray(QWidget):
    """The files of the scan folder ready to be taken, oldest first (refused ones in red, passed over).

    Signals:
        changed(): the tray's files changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._folder: Path | None = None
        self._sizes: dict[Path, int] = {}  # files still being written: their size at the last look
        self._taken: set[Path] = set()  # being read now, or moved to 已用
        self._refused: dict[Path, str] = {}
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self.rescan)
        self.timer = QTimer(self)
        self.timer.setInterval(STABLE_POLL_MS)
        self.timer.timeout.connect(self._look)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.list = QListWidget()
        self.list.setMaximumHeight(110)
        self.list.setToolTip(f"扫描仪存入扫描文件夹的新文件；按 {TRAY_KEY} 把最早的一个加入当前材料")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        self.set_folder("")

    def folder(self) -> Path | None:
        return self._folder

    def set_folder(self, folder: str) -> None:
        """Watch ``folder`` ('' : none); the files already there join the tray too."""
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        self._sizes.clear()
        self._refused.clear()
        self._taken.clear()
        self._folder = Path(folder) if folder else None
        if self._folder is not None and self._folder.is_dir():
            self.watcher.addPath(str(self._folder))
            self.title.setText(f"扫描托盘（{self._folder.name or self._folder}）")
        elif self._folder is not None:
            self.title.setText(f"扫描文件夹 {self._folder} 不存在：请在 设置 → 扫描文件夹 中重新选择")
        else:
            self.title.setText("扫描托盘：未设置扫描文件夹（设置 → 扫描文件夹）")
        self.rescan()

    def rescan(self) -> None:
        """The folder changed: new files start being watched until their size stays the same."""
        known = self._files_in_tray()
        for path in self._listing():
            if path not in self._sizes and path not in known and path not in self._taken:
                self._sizes[path] = -1
        if self._sizes and not self.timer.isActive():
            self.timer.start()
        self._show()

    def _listing(self) -> list[Path]:
        folder = self._folder
        if folder is None:
            return []
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return []
        return [Path(e.path) for e in entries if e.is_file() and not e.name.startswith((".", "~"))]

    def _look(self) -> None:
        for path, before in list(self._sizes.items()):
            try:
                size = path.stat().st_size
            except OSError:  # gone again (the scanner's temporary file)
                del self._sizes[path]
                continue
            if size == before and size > 0:
                del self._sizes[path]
                self._add(path)
            else:
                self._sizes[path] = size
        if not self._sizes:
            self.timer.stop()

    def _add(self, path: Path) -> None:
        def mtime(path: Path) -> float:
            try:
                return path.stat().st_mtime
            except OSError:
                return 0.0

        paths = sorted({*self._files_in_tray(), path}, key=lambda p: (mtime(p), p.name))
        self.list.clear()
        for path in paths:
            item = QListWidgetItem(path.name)
            item.setData(PATH, str(path))
            if path in self._refused:
                item.setForeground(QBrush(QColor("#c0392b")))
                item.setToolTip(self._refused[path])
                item.setText(f"{path.name}（未采用）")
            self.list.addItem(item)
        self.changed.emit()

    def _files_in_tray(self) -> list[Path]:
        return [Path(self.list.item(i).data(PATH)) for i in range(self.list.count())]

    def _show(self) -> None:
        # A file removed from the folder by hand leaves the tray too.
        present = set(self._listing())
        for i in reversed(range(self.list.count())):
            if Path(self.list.item(i).data(PATH)) not in present:
                self.list.takeItem(i)

    def files(self) -> list[Path]:
        """The files ready to be taken, oldest first (refused ones left out)."""
        return [p for p in self._files_in_tray() if p not in self._refused]

    def take_oldest(self) -> Path | None:
        """The oldest ready file, out of the tray (``refused`` puts it back, marked)."""
        ready = self.files()
        if not ready:
            return None
        path = ready[0]
        self._taken.add(path)
        for i in range(self.list.count()):
            if Path(self.list.item(i).data(PATH)) == path:
                self.list.takeItem(i)
                break
        self.changed.emit()
        return path

    def used(self, path: Path) -> None:
        """``path`` was taken and moved to 已用: a new scan of the same name later is a new file."""
        self._taken.discard(path)

    def refused(self, path: Path, message: str) -> None:
        """The counter would not take ``path``: it stays in the folder, red in the tray, and is passed over."""
        self._taken.discard(path)
        self._refused[path] = message
        if path.exists():
            self._add(path)


class ScanFolderDialog(QDialog):
    """扫描文件夹: the folder this PC's scanner writes into (QSettings, this PC only); load()/save().

    Signals:
        saved(): the setting was written (the counter's tray watches the new folder).
    """

    saved = Signal()

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings or QSettings()
        self.setWindowTitle("扫描文件夹")
        self.folder_edit = QLineEdit()
        self.folder_edit.setMaxLength(1000)
        self.folder_edit.setPlaceholderText("例如 D:\\扫描")
        self.browse_button = QPushButton("浏览…")
        self.problem = QLabel()
        self.problem.setObjectName("errorLabel")
        row = QHBoxLayout()
        row.addWidget(buddy_label("扫描文件夹(&F)", self.folder_edit))
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse_button)
        note = hint_label("扫描仪“扫描到文件夹”时存入的文件夹（本机设置）。新文件出现在综合受理的扫描托盘中，"
                          f"按 {TRAY_KEY} 加入当前材料；用过的文件移入其中的“{USED_FOLDER}”子文件夹。留空则不使用。")
        buttons, self.ok_button = dialog_buttons(self, on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.browse_button.clicked.connect(self._browse)
        self.setMinimumWidth(480)
        self.load()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "选择扫描文件夹", self.folder_edit.text())
        if chosen:
            self.folder_edit.setText(chosen)

    def load(self) -> None:
        self.folder_edit.setText(scan_folder(self._settings))
        self.problem.setText("")

    def save(self) -> bool:
        folder = self.folder_edit.text().strip()
        if folder and not Path(folder).is_dir():
            self.problem.setText(f"文件夹 {folder} 不存在")
            return False
        self._settings.setValue(SCAN_FOLDER_KEY, folder)
        self._settings.sync()
        self.saved.emit()
        self.accept()
        return True
