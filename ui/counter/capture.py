"""电子件 at the counter: the scanned files of each material, captured before 受理 (issue 16).

``CapturePanel`` sits under the materials checklist and shows the selected material's files as thumbnails.
Files come in four ways, all to the material selected in the checklist:

* 添加扫描件… (or E on the checklist): a file dialog (PDF, JPEG, PNG, TIFF; the type is judged by content);
* a drop of files from the desktop onto a checklist row (that row's material) or onto the list;
* the scan folder tray (``ScanTray``): ``TRAY_KEY`` takes the oldest new file the scanner wrote;
* 拍照 with a 高拍仪 (``CameraDialog``), disabled with ``NO_CAMERA`` when the PC has no camera.

Reading and normalising a file (``files.prepare``: seconds for a 50 MB PDF) runs in the background; a file is
refused with the service's own Chinese message — a renamed program, a file over the hall's limit
(``files.get_limits``), a case over its total, a material not marked 已收 or 有误 (``files.material_problems``)
— and then nothing is added.  Before 受理 the clerk may move a file up or down, turn it a quarter, split a PDF
into its pages (to reorder or drop some) and remove it (``app.scan_pages``).  The 电子件 column of the
checklist counts each material's pages; 受理 sends the files with the request (``files()``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDropEvent, QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import files, scan_pages
from app.auth import Actor
from app.context import HallDesk
from app.files import FileInput, FileLimits
from app.scan_pages import Thumbnail
from app.scans import ScannedFile
from ui.counter.camera import (
    NO_CAMERA,
    CameraDialog,
    camera_names,
    image_to_jpeg,
    watch_cameras,
)
from ui.counter.checklist import MaterialChecklist
from ui.counter.scan_tray import TRAY_KEY, ScanFolderDialog, ScanTray, move_to_used, scan_folder
from ui.multimedia import NO_CAMERA_PART, camera_part_installed
from ui.ops import run_op
from ui.shortcuts import describe, tell
from ui.widgets import MessageLine, open_dialog

FILE_FILTER = "扫描件 (*.pdf *.jpg *.jpeg *.png *.tif *.tiff);;所有文件 (*)"
RED, GREEN = "#c0392b", "#1e7d45"


@dataclass(frozen=True)
class Captured:
    """One file on the capture list: what goes to the intake, and its thumbnail."""

    file: FileInput
    thumb: Thumbnail


def _captured(file: FileInput) -> Captured:
    return Captured(file, scan_pages.thumbnail(file.file))


def _read(code: str, paths: Sequence[Path], lim: FileLimits, materials: dict[str, tuple[str, str]],
          already: int) -> list[Captured]:
    """Read and judge ``paths`` for material ``code`` (off the GUI thread): all of them, or a ValidationError."""
    prepared = [files.prepare_path(code, path, lim) for path in paths]
    _check(prepared, lim, materials, already)
    return [_captured(f) for f in prepared]


def _check(prepared: Sequence[FileInput], lim: FileLimits, materials: dict[str, tuple[str, str]],
           already: int) -> None:
    problems = files.material_problems(materials, prepared)
    if problems:
        raise problems[0]
    files.check_case_total(prepared, lim, already)


def _icon(thumb: Thumbnail) -> QIcon:
    image = QImage(thumb.rgb, thumb.width, thumb.height, thumb.width * 3, QImage.Format.Format_RGB888)
    return QIcon(QPixmap.fromImage(image.copy()))  # copy: the QImage must own its pixels


class CapturePanel(QWidget):
    """The selected material's scanned files, with the ways to add them and the page operations.

    Signals:
        changed(): files were added, changed or removed (the checklist's 电子件 counts follow).
    """

    changed = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall, self._actor = hall, actor
        self._limits = FileLimits()
        self._files: dict[str, list[Captured]] = {}
        self._checklist: MaterialChecklist | None = None
        self._code = ""
        self.camera_dialog: CameraDialog | None = None
        self._cameras: QObject | None = None
        self._names: dict[str, str] = {}  # the checklist's materials by code, as last filled
        self.folder_dialog: ScanFolderDialog | None = None
        self.title = QLabel("电子件")
        self.title.setObjectName("sectionTitle")
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setIconSize(QSize(72, 96))
        self.list.setFixedHeight(140)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAcceptDrops(True)
        self.list.viewport().setAcceptDrops(True)
        self.list.viewport().installEventFilter(self)
        self.add_button = QPushButton("添加扫描件…")
        self.add_button.setToolTip("选择 PDF、JPEG、PNG 或 TIFF 文件（按文件内容判断类型）；也可把文件拖到材料行上")
        self.camera_button = QPushButton("拍照")
        self.camera_button.setEnabled(False)
        self.up_button = QPushButton("上移")
        self.down_button = QPushButton("下移")
        self.rotate_button = QPushButton("旋转")
        self.rotate_button.setToolTip("顺时针旋转90°（PDF 的所有页）")
        self.split_button = QPushButton("拆分")
        self.split_button.setToolTip("把多页 PDF 拆成单页，以便调整顺序或删去某页")
        self.remove_button = QPushButton("删除")
        self.message = MessageLine(lines=2)
        self.tray = ScanTray()
        buttons = QGridLayout()
        for i, button in enumerate((self.add_button, self.camera_button, self.up_button, self.down_button,
                                    self.rotate_button, self.split_button, self.remove_button)):
            buttons.addWidget(button, i // 2, i % 2)
        left = QVBoxLayout()
        left.addWidget(self.title)
        left.addWidget(self.list)
        left.addWidget(self.message)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left, 3)
        row.addLayout(buttons)
        row.addWidget(self.tray, 1)
        self.add_button.clicked.connect(self.choose_files)
        self.camera_button.clicked.connect(self.open_camera)
        self.up_button.clicked.connect(lambda: self.move_file(-1))
        self.down_button.clicked.connect(lambda: self.move_file(1))
        self.rotate_button.clicked.connect(self.rotate)
        self.split_button.clicked.connect(self.split)
        self.remove_button.clicked.connect(self.remove)
        self.list.currentRowChanged.connect(lambda _row: self._enable())
        self._enable()

    # ---- on the counter page
    def bind(self, checklist: MaterialChecklist, page: QWidget, settings_menu: QMenu | None) -> None:
        """Follow ``checklist``'s selected material, take drops on its rows, count its pages; the tray key on
        ``page``; 扫描文件夹 in the page's settings menu."""
        self._checklist = checklist
        view = checklist.view
        view.selectionModel().currentChanged.connect(lambda current, _previous: self._select(current))
        checklist.model.modelReset.connect(self._rows_reset)
        checklist.files_requested.connect(lambda _code: self.choose_files())
        self.changed.connect(lambda: checklist.model.set_pages(self.pages()))
        view.setAcceptDrops(True)
        view.viewport().setAcceptDrops(True)
        view.viewport().installEventFilter(self)
        describe(QShortcut(QKeySequence(TRAY_KEY), page, self.take_from_tray,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "把扫描托盘中最早的文件加入当前材料")
        if settings_menu is not None:
            self.folder_action = QAction("扫描文件夹(&S)…", self)
            self.folder_action.triggered.connect(self.open_folder_settings)
            settings_menu.addAction(self.folder_action)

    def refresh(self) -> None:
        """The hall's limits (a service call), this PC's scan folder and whether a 高拍仪 is connected."""
        hall = self._hall
        run_op(lambda: files.get_limits(hall.uow()), self._limits_loaded, owner=self, key="file-limits")
        if self.tray.folder() != (Path(scan_folder()) if scan_folder() else None):
            self.tray.set_folder(scan_folder())
        QTimer.singleShot(0, self, self.check_camera)  # Qt Multimedia loads on first use: not while the page builds

    def _limits_loaded(self, lim: FileLimits) -> None:
        self._limits = lim

    def limits(self) -> FileLimits:
        return self._limits

    def check_camera(self) -> bool:
        """Enable 拍照 when a camera (a 高拍仪) is connected; else say there is none, or that this PC lacks the
        camera part."""
        if not camera_part_installed():
            self.camera_button.setEnabled(False)
            self.camera_button.setToolTip(NO_CAMERA_PART)
            return False
        if self._cameras is None:
            self._cameras = watch_cameras(self, self.check_camera)  # a 高拍仪 plugged in later
        names = camera_names()
        self.camera_button.setEnabled(bool(names))
        self.camera_button.setToolTip(f"用高拍仪（{names[0]}）拍摄材料" if names else NO_CAMERA)
        return bool(names)

    # ---- what the intake gets
    def files(self) -> tuple[FileInput, ...]:
        """Every captured file, in checklist order, then the clerk's order within a material."""
        order = [r.material.code for r in self._checklist.model.rows()] if self._checklist else []
        codes = sorted(self._files, key=lambda c: order.index(c) if c in order else len(order))
        return tuple(c.file for code in codes for c in self._files[code])

    def pages(self) -> dict[str, int]:
        return {code: sum(c.file.file.pages for c in captured) for code, captured in self._files.items() if captured}

    def captured(self, code: str | None = None) -> list[Captured]:
        return list(self._files.get(self._code if code is None else code, []))

    def clear(self) -> None:
        self._files.clear()
        self.message.set_message("")
        self._show()
        self.changed.emit()

    def _rows_reset(self) -> None:
        """The checklist was filled again: files stay with the same material (the item's calendar arrived late);
        another item's materials start without files (its M01 is another document)."""
        model = self._checklist.model if self._checklist else None
        names = {r.material.code: r.material.name for r in model.rows()} if model else {}
        self._files = {code: c for code, c in self._files.items()
                       if code in names and names[code] == self._names.get(code)}
        self._names = names
        self._select(model.index(0, 0) if model is not None and model.rowCount() else QModelIndex())
        self.changed.emit()

    def _select(self, index: QModelIndex) -> None:
        row = self._checklist.model.row_at(index.row()) if self._checklist and index.isValid() else None
        self._code = row.material.code if row is not None else ""
        self._show()

    def current_material(self) -> str:
        return self._code

    def _materials(self) -> dict[str, tuple[str, str]]:
        rows = self._checklist.model.rows() if self._checklist else []
        return {r.material.code: (r.material.name, r.state) for r in rows}

    # ---- adding
    def choose_files(self) -> None:
        """添加扫描件…: the file dialog (its files go to ``add_paths``)."""
        if not self._ready_for_files():
            return
        chosen, _ = QFileDialog.getOpenFileNames(self, "添加扫描件", "", FILE_FILTER)
        if chosen:
            self.add_paths([Path(p) for p in chosen])

    def _ready_for_files(self, code: str | None = None) -> bool:
        if not (code or self._code):
            self._say("请先在申请材料中选择一项材料", RED)
            return False
        return True

    def add_paths(self, paths: Sequence[Path], code: str | None = None, *, taken: Callable[[], object] | None = None,
                  after: Callable[[], None] | None = None, refused: Callable[[str], None] | None = None) -> bool:
        """Read, judge and add ``paths`` to material ``code`` (the selected one) in the background; ``taken`` runs
        there once they were accepted, ``after`` back here, ``refused`` with the message when they were not."""
        code = code or self._code
        if not paths or not self._ready_for_files(code):
            return False
        lim, materials, already = self._limits, self._materials(), self._total()
        names = "、".join(p.name for p in paths)

        def read() -> list[Captured]:
            captured = _read(code, paths, lim, materials, already)
            if taken is not None:
                taken()
            return captured

        def failed(_field: str, message: str) -> None:
            self._say(message, RED)
            tell(self, message)
            if refused is not None:
                refused(message)

        def done(captured: list[Captured]) -> None:
            self._added(code, captured)
            if after is not None:
                after()

        run_op(read, done, owner=self, busy=f"正在读取 {names}…", form=failed)
        return True

    def add_camera_image(self, image: QImage, code: str | None = None) -> bool:
        """A 高拍仪 photo (what ``CameraDialog.captured`` hands over) as the material's next file."""
        code = code or self._code
        if not self._ready_for_files(code):
            return False
        lim, materials, already = self._limits, self._materials(), self._total()
        name = f"高拍仪{datetime.now():%H%M%S}.jpg"
        try:
            data = image_to_jpeg(image)
        except ValueError as exc:
            self._say(str(exc), RED)
            return False

        def read() -> list[Captured]:
            prepared = [files.prepare(code, name, data, lim)]
            _check(prepared, lim, materials, already)
            return [_captured(f) for f in prepared]

        run_op(read, lambda captured: self._added(code, captured), owner=self, busy="正在处理照片…",
               form=lambda _field, message: self._say(message, RED))
        return True

    def _added(self, code: str, captured: list[Captured]) -> None:
        self._files.setdefault(code, []).extend(captured)
        pages = sum(c.file.file.pages for c in captured)
        self._say(f"已添加{len(captured)}个文件（{pages}页）：{'、'.join(c.file.name for c in captured)}", GREEN)
        self._show(select=len(self._files[code]) - 1 if code == self._code else None)
        self.changed.emit()

    def _total(self) -> int:
        return sum(c.file.size for captured in self._files.values() for c in captured)

    def take_from_tray(self) -> bool:
        """The tray key: the oldest file the scanner wrote goes to the selected material (then to 已用)."""
        if not self.isEnabled() or not self.isVisible():
            return False
        if not self._ready_for_files():
            return False
        path = self.tray.take_oldest()
        if path is None:
            self._say("扫描托盘中没有新文件" if self.tray.folder() else "未设置扫描文件夹（设置 → 扫描文件夹）", RED)
            return False
        # Once read and judged (off the GUI thread) the file moves to 已用: never deleted.
        return self.add_paths([path], taken=lambda: move_to_used(path), after=lambda: self.tray.used(path),
                              refused=lambda message: self.tray.refused(path, message))

    # ---- page operations
    def _current(self) -> tuple[str, int, Captured] | None:
        row = self.list.currentRow()
        captured = self._files.get(self._code, [])
        return (self._code, row, captured[row]) if 0 <= row < len(captured) else None

    def move_file(self, delta: int) -> bool:
        current = self._current()
        if current is None:
            return False
        code, row, _ = current
        target = row + delta
        captured = self._files[code]
        if not 0 <= target < len(captured):
            return False
        captured[row], captured[target] = captured[target], captured[row]
        self._show(select=target)
        self.changed.emit()
        return True

    def remove(self) -> bool:
        current = self._current()
        if current is None:
            return False
        code, row, gone = current
        del self._files[code][row]
        self._say(f"已删除 {gone.file.name}", GREEN)
        self._show(select=min(row, len(self._files[code]) - 1))
        self.changed.emit()
        return True

    def rotate(self) -> bool:
        return self._transform(lambda f: [scan_pages.rotate(f, 1)], "正在旋转…")

    def split(self) -> bool:
        current = self._current()
        if current is None or current[2].file.file.pages < 2:
            return False
        return self._transform(scan_pages.split, "正在拆分…")

    def _transform(self, fn: Callable[[ScannedFile], list[ScannedFile]], busy: str) -> bool:
        current = self._current()
        if current is None:
            return False
        code, _, was = current
        name = was.file.name

        def work() -> list[Captured]:
            parts = fn(was.file.file)
            if len(parts) == 1:
                return [_captured(FileInput(code, name, parts[0]))]
            stem, dot, suffix = name.rpartition(".")
            return [_captured(FileInput(code, f"{stem or name}-{i}{dot}{suffix if stem else ''}", part))
                    for i, part in enumerate(parts, start=1)]

        def done(new: list[Captured]) -> None:
            captured = self._files.get(code, [])
            if was in captured:  # not removed meanwhile
                at = captured.index(was)
                captured[at:at + 1] = new
                self._show(select=at if code == self._code else None)
                self.changed.emit()

        run_op(work, done, owner=self, busy=busy, form=lambda _field, message: self._say(message, RED))
        return True

    # ---- showing
    def _show(self, select: int | None = None) -> None:
        self.list.clear()
        captured = self._files.get(self._code, [])
        for c in captured:
            item = QListWidgetItem(_icon(c.thumb), f"{c.file.file.pages}页")
            item.setToolTip(f"{c.file.name}（{c.file.file.pages}页，{c.file.size / 1024 / 1024:.1f} MB）")
            self.list.addItem(item)
        if captured:
            self.list.setCurrentRow(select if select is not None and 0 <= select < len(captured) else 0)
        rows = self._materials()
        name = rows[self._code][0] if self._code in rows else ""
        pages = sum(c.file.file.pages for c in captured)
        self.title.setText(f"电子件 — {name}（{len(captured)}个文件，{pages}页）" if name else "电子件")
        self._enable()

    def _enable(self) -> None:
        current = self._current()
        row = current[1] if current else -1
        count = len(self._files.get(self._code, []))
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
        self.rotate_button.setEnabled(current is not None)
        self.remove_button.setEnabled(current is not None)
        self.split_button.setEnabled(current is not None and current[2].file.file.pages > 1)

    def _say(self, text: str, colour: str) -> None:
        self.message.set_message(text, colour)

    # ---- drops on the checklist and on the list
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) and isinstance(event, QDropEvent):
            paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
            if not paths or not self.isEnabled():
                return False
            # Files are welcome anywhere on the list; over the checklist, only on a material's row.
            code = self._drop_target(watched, event.position().toPoint())
            if code is None and kind != QEvent.Type.DragEnter:
                event.ignore()
                return True
            event.acceptProposedAction()
            if kind == QEvent.Type.Drop and code is not None:
                self.add_paths(paths, code)
            return True
        return super().eventFilter(watched, event)

    def _drop_target(self, watched: QObject, at: QPoint) -> str | None:
        """The material a drop at ``at`` is for: the checklist row under it, or the selected one on the list."""
        checklist = self._checklist
        if checklist is not None and watched is checklist.view.viewport():
            row = checklist.model.row_at(checklist.view.indexAt(at).row())
            return row.material.code if row is not None else None
        return self._code or None

    # ---- dialogs
    def open_camera(self) -> CameraDialog | None:
        if not self.check_camera() or not self._ready_for_files():
            return None
        rows = self._materials()
        dialog = CameraDialog(rows.get(self._code, (self._code, ""))[0], self)
        code = self._code
        dialog.captured.connect(lambda image: self.add_camera_image(image, code))
        self.camera_dialog = dialog
        return open_dialog(dialog, self._camera_closed)

    def _camera_closed(self) -> None:
        self.camera_dialog = None

    def open_folder_settings(self) -> ScanFolderDialog:
        dialog = ScanFolderDialog(parent=self)
        dialog.saved.connect(lambda: self.tray.set_folder(scan_folder()))
        self.folder_dialog = dialog
        return open_dialog(dialog, self._folder_closed)

    def _folder_closed(self) -> None:
        self.folder_dialog = None

