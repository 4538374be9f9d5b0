"""电子件查看: a case's scanned materials, page by page (issue 16, part 3).

Shared by the back office (the held case's 查看电子件) and the output window (the hand-over check), so it imports
no desk.  ``FileViewer`` lists the case's materials and their files on the left (pages, or 尚未上传 for a file an
offline counter has not uploaded yet) and shows one page on the right: 上一页/下一页 (PgUp/PgDn, on to the next
file at a file's end), 放大/缩小 (Ctrl++/Ctrl+-), 适合宽度 (Ctrl+0), 旋转 (Ctrl+R: the view only, the stored
file never changes), 导出… with a reason (``ui.file_export``).

Who may open is ``app.files``'s rule: the viewer asks ``list_files`` and, when the answer is no, shows its
``why_not`` and opens nothing.  Opening a file (``open_file``, an audit row 查看留痕) and rendering a page run in
the background (``ui.ops.run_op``), one render at a time: pdfium is not thread-safe, and a page asked for while
another renders waits for it (only the newest wish is rendered next).  The opened file stays open
(``app.file_pages.FilePages``) while the window is, so paging reads nothing again; the last few pages rendered
are kept as images.  The first page is rendered first; the others when they are shown.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import files, roles
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from app.file_pages import FilePages
from app.files import CaseFiles, CaseFileView
from ui.errors import show_error
from ui.file_export import FileExportDialog
from ui.ops import run_op
from ui.shortcuts import describe, guarded, set_available
from ui.widgets import fit_to_screen, hint_label, open_dialog, set_tab_order

SCREEN_DPI = 96  # 100 % shows a page about its paper size on an ordinary screen
ZOOMS = (0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
MARGIN = 16  # pixels left beside a page fitted to the width
CACHE_PAGES = 8
RESIZE_DELAY_MS = 120
NOT_UPLOADED = "尚未上传"
FILE_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class PageWish:
    """What the viewer wants on screen: a file's page, turned, at a zoom (None: fitted to ``fit_width``)."""

    file_id: uuid.UUID
    page: int
    rotation: int
    zoom: float | None
    fit_width: int


@dataclass(frozen=True)
class RenderedPage:
    wish: PageWish
    pages: FilePages
    image: QImage
    zoom: float  # the zoom it shows at (a fitted page's, too)


def render_page(hall: HallDesk, actor: Actor, case_no: str, wish: PageWish, pages: FilePages | None) -> RenderedPage:
    """The background half of showing a page: open the file if it is not open yet (audited), render the page."""
    opened_here = pages is None
    if pages is None:
        opened = files.open_file(hall.uow(), actor, case_no, str(wish.file_id))
        pages = FilePages(opened.file.kind, opened.data)
    try:
        index = min(wish.page, pages.pages - 1)
        width_pt = pages.size(index, wish.rotation)[0]
        scale = wish.fit_width / width_pt if wish.zoom is None else wish.zoom * SCREEN_DPI / 72
        page = pages.render(index, scale, wish.rotation)
    except BaseException:
        if opened_here:
            pages.close()
        raise
    # copy(): the QImage owns its pixels, not the bytes object it was made from.
    image = QImage(page.data, page.width, page.height, page.stride, QImage.Format.Format_RGBX8888).copy()
    return RenderedPage(wish, pages, image, page.scale * 72 / SCREEN_DPI)


def close_pages(opened: list[FilePages]) -> None:
    """Close opened files off the GUI thread (closing waits for pdfium's lock while another page renders)."""
    if opened:
        def close_all() -> None:
            for pages in opened:
                pages.close()

        run_op(close_all, owner=None)


class FileViewer(QWidget):
    """A case's 电子件: materials and files on the left, one page on the right.

    Signals:
        page_shown(object, int): (file id, page index) after a page's image is on screen.
        listed(object): the ``CaseFiles`` when the list arrived.
    """

    page_shown = Signal(object, int)
    listed = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall, self._actor, self.case_no = hall, actor, case_no
        self.listing: CaseFiles | None = None
        self.current: CaseFileView | None = None
        self.page = 0
        self.zoom: float | None = None  # None: fit width
        self.rotations: dict[uuid.UUID, int] = {}
        self.docs: dict[uuid.UUID, FilePages] = {}
        self.failed: dict[uuid.UUID, str] = {}
        self.shown: RenderedPage | None = None
        self._running: PageWish | None = None
        self._cache: OrderedDict[PageWish, RenderedPage] = OrderedDict()
        self._released = False
        self.export_dialog: FileExportDialog | None = None

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setMinimumWidth(220)
        self.page_view = QLabel()
        self.page_view.setObjectName("filePage")
        self.page_view.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.page_view.setWordWrap(True)
        self.page_area = QScrollArea()
        self.page_area.setWidget(self.page_view)
        self.page_area.setWidgetResizable(True)
        self.page_area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        # Always there: a fitted page that turns out taller than the window must not narrow it and refit.
        self.page_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.page_area.viewport().installEventFilter(self)
        self.prev_button = QPushButton("上一页")
        self.prev_button.setToolTip("上一页（PgUp）：在文件首页时转到上一个文件")
        self.next_button = QPushButton("下一页")
        self.next_button.setToolTip("下一页（PgDn）：在文件末页时转到下一个文件")
        self.zoom_out_button = QPushButton("缩小")
        self.zoom_out_button.setToolTip("缩小（Ctrl+-）")
        self.zoom_in_button = QPushButton("放大")
        self.zoom_in_button.setToolTip("放大（Ctrl++）")
        self.fit_button = QPushButton("适合宽度")
        self.fit_button.setToolTip("页面宽度与窗口相同（Ctrl+0）")
        self.rotate_button = QPushButton("旋转")
        self.rotate_button.setToolTip("顺时针旋转90°（Ctrl+R）：只改变显示，不改变保存的文件")
        self.export_button = QPushButton("导出(&E)…")
        self.export_button.setToolTip("把所选文件原样保存到本机：须填写导出原因，记入查看留痕")
        self.position_label = QLabel()
        # Its text grows with a file's name: it must not widen the window (a fitted page would follow).
        self.position_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.note_label = hint_label("打开电子件记入查看留痕。")
        tools = QHBoxLayout()
        for button in (self.prev_button, self.next_button):
            tools.addWidget(button)
        tools.addWidget(self.position_label, 1, Qt.AlignmentFlag.AlignCenter)
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button, self.rotate_button,
                       self.export_button):
            tools.addWidget(button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(tools)
        right_layout.addWidget(self.page_area, 1)
        right_layout.addWidget(self.note_label)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 840])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.resize_timer = QTimer(self)
        self.resize_timer.setSingleShot(True)
        self.resize_timer.setInterval(RESIZE_DELAY_MS)
        self.resize_timer.timeout.connect(self._refit)
        self.tree.currentItemChanged.connect(self._tree_moved)
        self.prev_button.clicked.connect(self.previous_page)
        self.next_button.clicked.connect(self.next_page)
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.fit_button.clicked.connect(self.fit_width)
        self.rotate_button.clicked.connect(self.rotate)
        self.export_button.clicked.connect(self.export)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, button, slot, text in (
            (QKeySequence(Qt.Key.Key_PageDown), self.next_button, self.next_page, "下一页"),
            (QKeySequence(Qt.Key.Key_PageUp), self.prev_button, self.previous_page, "上一页"),
            (QKeySequence("Ctrl++"), self.zoom_in_button, self.zoom_in, "放大"),
            (QKeySequence("Ctrl+="), self.zoom_in_button, self.zoom_in, "放大"),
            (QKeySequence("Ctrl+-"), self.zoom_out_button, self.zoom_out, "缩小"),
            (QKeySequence("Ctrl+0"), self.fit_button, self.fit_width, "适合宽度"),
            (QKeySequence("Ctrl+R"), self.rotate_button, self.rotate, "旋转"),
        ):
            describe(QShortcut(keys, self, guarded(button, slot), context=context), text)
        set_tab_order(self.tree, self.prev_button, self.next_button, self.zoom_out_button, self.zoom_in_button,
                      self.fit_button, self.rotate_button, self.export_button, self.page_area)
        self._update_buttons()

    # ---- the list ----------------------------------------------------------------------------------------

    def load(self) -> None:
        """Ask which files the case has and whether this user may open them."""
        hall, actor, case_no = self._hall, self._actor, self.case_no
        self.page_view.setText("正在读取电子件目录…")
        run_op(lambda: files.list_files(hall.uow(), actor, case_no), self._listed, self._list_failed, owner=self,
               key="list")

    def _list_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, HallDeskError):
            show_error(self, exc)
        self.page_view.setText(exc.message if isinstance(exc, HallDeskError) else "电子件目录读取失败")

    def _listed(self, listing: CaseFiles) -> None:
        self.listing = listing
        self.current, self.shown = None, None
        self.page_view.clear()
        self.position_label.clear()
        self.tree.clear()
        material: QTreeWidgetItem | None = None
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for f in listing.files:
            if material is None or material.data(0, FILE_ROLE) != f.material_code:
                material = QTreeWidgetItem(self.tree, [f.material_name])
                material.setData(0, FILE_ROLE, f.material_code)
                material.setFont(0, bold)
                material.setFlags(Qt.ItemFlag.ItemIsEnabled)
                material.setToolTip(0, f.material_name)
            pages = f"{f.pages}页" if f.available else NOT_UPLOADED
            item = QTreeWidgetItem(material, [f"{f.name}（{pages}）"])
            item.setData(0, FILE_ROLE, f.id)
            item.setToolTip(0, f"{f.name}：{f.kind_name}，{pages}，{f.size / 1024:.0f} KB，{f.added_by} 采集"
                               + ("" if f.available else "。窗口离线时采集，联网后自动上传"))
            if not f.available or not listing.allowed:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled if listing.allowed else Qt.ItemFlag.NoItemFlags)
        self.tree.expandAll()
        self.listed.emit(listing)
        if not listing.allowed:
            self.page_view.setText(listing.why_not)
        elif not listing.files:
            self.page_view.setText("本办件没有电子件。窗口受理时扫描或拍摄的材料会列在这里。")
        else:
            first = next((f for f in listing.files if f.available), None)
            if first is None:
                self.page_view.setText(f"本办件的电子件{NOT_UPLOADED}：窗口离线时采集，联网后自动上传，请稍后再看。")
            else:
                self.show_file(first.id)
        self._update_buttons()

    def file_items(self) -> dict[uuid.UUID, QTreeWidgetItem]:
        found: dict[uuid.UUID, QTreeWidgetItem] = {}
        for m in range(self.tree.topLevelItemCount()):
            material = self.tree.topLevelItem(m)
            for c in range(material.childCount() if material is not None else 0):
                child = material.child(c) if material is not None else None
                if child is not None:
                    found[child.data(0, FILE_ROLE)] = child
        return found

    def _tree_moved(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        file_id = item.data(0, FILE_ROLE) if item is not None else None
        if isinstance(file_id, uuid.UUID) and (self.current is None or self.current.id != file_id):
            self.show_file(file_id)

    def _openable(self) -> list[CaseFileView]:
        listing = self.listing
        return [f for f in listing.files if f.available] if listing is not None and listing.allowed else []

    # ---- what to show ------------------------------------------------------------------------------------

    def show_file(self, file_id: uuid.UUID, page: int = 0) -> None:
        """Show ``file_id``'s page ``page`` (its first by default): opened and rendered in the background."""
        found = next((f for f in self._openable() if f.id == file_id), None)
        if found is None:
            return
        self.current, self.page = found, max(0, min(page, found.pages - 1))
        item = self.file_items().get(file_id)
        if item is not None and self.tree.currentItem() is not item:
            self.tree.setCurrentItem(item)
        self._ask()

    def page_count(self) -> int:
        if self.current is None:
            return 0
        opened = self.docs.get(self.current.id)
        return opened.pages if opened is not None and not opened.closed else self.current.pages

    def next_page(self) -> None:
        if self.current is None:
            return
        if self.page + 1 < self.page_count():
            self.page += 1
            self._ask()
            return
        later = self._neighbour(1)
        if later is not None:
            self.show_file(later.id)

    def previous_page(self) -> None:
        if self.current is None:
            return
        if self.page > 0:
            self.page -= 1
            self._ask()
            return
        earlier = self._neighbour(-1)
        if earlier is not None:
            self.show_file(earlier.id, earlier.pages - 1)

    def _neighbour(self, step: int) -> CaseFileView | None:
        openable = self._openable()
        ids = [f.id for f in openable]
        if self.current is None or self.current.id not in ids:
            return None
        at = ids.index(self.current.id) + step
        return openable[at] if 0 <= at < len(openable) else None

    def shown_zoom(self) -> float:
        return self.shown.zoom if self.shown is not None else 1.0

    def zoom_in(self) -> None:
        now = self.zoom if self.zoom is not None else self.shown_zoom()
        self.zoom = next((z for z in ZOOMS if z > now + 0.005), ZOOMS[-1])
        self._ask()

    def zoom_out(self) -> None:
        now = self.zoom if self.zoom is not None else self.shown_zoom()
        self.zoom = next((z for z in reversed(ZOOMS) if z < now - 0.005), ZOOMS[0])
        self._ask()

    def fit_width(self) -> None:
        self.zoom = None
        self._ask()

    def rotate(self) -> None:
        """Turn the current file's pages a quarter clockwise on screen (the stored file stays as it is)."""
        if self.current is not None:
            self.rotations[self.current.id] = (self.rotations.get(self.current.id, 0) + 90) % 360
            self._ask()

    def wish(self) -> PageWish | None:
        if self.current is None:
            return None
        fit = max(100, self.page_area.viewport().width() - 2 * MARGIN)
        return PageWish(self.current.id, self.page, self.rotations.get(self.current.id, 0), self.zoom,
                        fit if self.zoom is None else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.zoom is None and self.current is not None:
            self.resize_timer.start()  # a fitted page follows the window's width, once the resizing stops
        return False

    def _refit(self) -> None:
        wish = self.wish()
        if wish is not None and self.shown is not None and wish != self.shown.wish:
            self._ask()

    # ---- rendering: one at a time, the newest wish next ---------------------------------------------------

    def _ask(self) -> None:
        wish = self.wish()
        self._update_buttons()
        if wish is None or self._released:
            return
        if wish.file_id in self.failed:
            self._show_text(self.failed[wish.file_id])
            return
        done = self._cache.get(wish)
        if done is not None:
            self._cache.move_to_end(wish)
            self._show(done)
            return
        if self._running is not None:
            return  # asked again when the running render is done
        self._running = wish
        if self.shown is None or self.shown.wish.file_id != wish.file_id:
            self.position_label.setText("正在打开…" if wish.file_id not in self.docs else "正在显示…")
        hall, actor, case_no, opened = self._hall, self._actor, self.case_no, self.docs.get(wish.file_id)
        # No owner: an answer after the window closed must still close the file it opened.
        run_op(lambda: render_page(hall, actor, case_no, wish, opened), self._rendered,
               lambda exc: self._render_failed(wish, exc), owner=None)

    def _rendered(self, done: RenderedPage) -> None:
        self._running = None
        known = self.docs.get(done.wish.file_id)
        if self._released or not shiboken6.isValid(self):
            if known is not done.pages:
                close_pages([done.pages])
            return
        if known is None:
            self.docs[done.wish.file_id] = done.pages
        self._cache[done.wish] = done
        while len(self._cache) > CACHE_PAGES:
            self._cache.popitem(last=False)
        self._ask()

    def _render_failed(self, wish: PageWish, exc: BaseException) -> None:
        self._running = None
        if self._released or not shiboken6.isValid(self):
            return
        if not isinstance(exc, HallDeskError):
            show_error(self, exc)
        self.failed[wish.file_id] = exc.message if isinstance(exc, HallDeskError) else "电子件无法显示"
        self._ask()

    def _show_text(self, text: str) -> None:
        self.shown = None
        self.page_view.setPixmap(QPixmap())
        self.page_view.setText(text)
        self.position_label.setText("")

    def _show(self, done: RenderedPage) -> None:
        self.page_view.setPixmap(QPixmap.fromImage(done.image))
        self.shown = done
        current = self.current
        name = f"{current.material_name} · {current.name}" if current is not None else ""
        fitted = "适合宽度 " if done.wish.zoom is None else ""
        self.position_label.setText(f"{name}　第 {done.wish.page + 1} / {self.page_count()} 页　"
                                    f"{fitted}{round(done.zoom * 100)}%")
        self._update_buttons()
        self.page_shown.emit(done.wish.file_id, done.wish.page)

    def pixmap_size(self) -> tuple[int, int]:
        """The page image on screen (width, height) in pixels; (0, 0) when none."""
        pixmap = self.page_view.pixmap()
        return (0, 0) if pixmap is None or pixmap.isNull() else (pixmap.width(), pixmap.height())

    def _update_buttons(self) -> None:
        listing = self.listing
        why = ("正在读取电子件目录" if listing is None else listing.why_not if not listing.allowed
               else "请先在左侧选择文件" if self.current is None else "")
        first = self.current is None or (self.page == 0 and self._neighbour(-1) is None)
        last = self.current is None or (self.page + 1 >= self.page_count() and self._neighbour(1) is None)
        set_available(self.prev_button, why or ("已是第一页" if first else ""))
        set_available(self.next_button, why or ("已是最后一页" if last else ""))
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button, self.rotate_button):
            set_available(button, why)
        export = "" if roles.allowed(self._actor, "case.files.export") else "您无权导出电子件"
        set_available(self.export_button, why or export)

    # ---- export and closing ------------------------------------------------------------------------------

    def export(self) -> FileExportDialog | None:
        """导出…: the current file's bytes as stored, with a reason (``ui.file_export``)."""
        if self.current is None or not self.export_button.isEnabled():
            return None
        dialog = FileExportDialog(self._hall, self._actor, self.case_no, self.current, self)
        self.export_dialog = dialog
        return open_dialog(dialog, self._export_closed)

    def _export_closed(self) -> None:
        self.export_dialog = None

    def release(self) -> None:
        """Close every opened file (the window is closing); a render still running closes its own."""
        self._released = True
        opened, self.docs = list(self.docs.values()), {}
        self._cache.clear()
        self.shown = None
        close_pages(opened)


class FilesWindow(QDialog):
    """The viewer in a window of its own (not modal: the reviewer reads while writing the opinion)."""

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"电子件 — {case_no}")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.viewer = FileViewer(hall, actor, case_no, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.viewer)
        fit_to_screen(self, 1200, 880)

    def done(self, result: int) -> None:
        self.viewer.release()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.viewer.release()
        super().closeEvent(event)


def open_case_files(parent: QWidget, hall: HallDesk, actor: Actor, case_no: str,
                    current: FilesWindow | None = None) -> FilesWindow:
    """Show the case's 电子件 window (``current`` again if it shows this case), and load its list."""
    if current is not None and shiboken6.isValid(current) and current.viewer.case_no == case_no:
        current.show()  # (raise_() is not offered by every platform plugin; activating brings it up)
        current.activateWindow()
        return current
    if current is not None and shiboken6.isValid(current):
        current.close()
    window = FilesWindow(hall, actor, case_no, parent)
    window.show()
    window.viewer.load()
    return window

