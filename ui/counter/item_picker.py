"""办理事项: find the applicant's item by any part of its name, its code or its pinyin initials.

Every active item arrives once, ranked for this clerk (recent and frequent first); typing filters without a
round trip (``app.search.matches``).  Up/Down/PageUp/PageDown in the search box move through the results while
the clerk keeps typing; Enter picks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListView,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import limits, search
from app.catalog import Item
from app.search import ItemHit
from ui.counter.models import ItemHitListModel
from ui.widgets import FitWidthDelegate, buddy_label, current_row, limit_line

ITEM_ROWS = 6  # rows of the results in view (the applicant's fields fit under them at 768 px)
PROMPT = "请选择办理事项：输入名称、编码或拼音首字母，↓ 选择，Enter 确定"


class ItemPicker(QGroupBox):
    """The search box, the ranked results and four lines about the item picked.

    Signals:
        picked(object): the clerk chose an item (``app.catalog.Item``).
    """

    picked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("办理事项", parent)
        self._hits: list[ItemHit] = []
        self.search = limit_line(QLineEdit(), limits.SEARCH)
        self.search.setPlaceholderText("事项名称、编码或拼音首字母，如 sgxk（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.model = ItemHitListModel(parent=self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Six rows, as wide as the column: a long name ends in … (the whole of it in the tooltip), no
        # horizontal scrollbar.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        fit = FitWidthDelegate(self.list)
        self.list.setItemDelegate(fit)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setFixedHeight(fit.row_height * ITEM_ROWS + 2 * self.list.frameWidth())
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # Four lines, whatever the item: the fields under it never move (and the layout needs no height-for-width).
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.info.setFixedHeight(self.info.fontMetrics().lineSpacing() * 4 + 4)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addWidget(buddy_label("搜索事项(&S)", self.search))
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(self.info)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.pick_current)
        self.search.installEventFilter(self)
        self.list.activated.connect(self.pick_current)

    def set_hits(self, hits: list[ItemHit]) -> None:
        self._hits = hits
        self.filter()

    def filter(self) -> None:
        text = self.search.text()
        hits = [h for h in self._hits if search.matches(h.item, text)]
        self.model.set_rows(hits)
        if hits:
            self.list.setCurrentIndex(self.model.index(0, 0))

    def clear(self) -> None:
        self.search.clear()
        self.filter()
        self.info.setText(PROMPT)

    def results(self) -> list[Item]:
        return [h.item for h in self.model.rows()]

    def pick_current(self) -> Item | None:
        hit = current_row(self.list, self.model)
        if hit is None:
            return None
        self.picked.emit(hit.item)
        return hit.item

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the search box move through the results; the focus stays where the clerk types.
        if watched is self.search and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 5, Qt.Key.Key_PageUp: -5}.get(
                Qt.Key(event.key()))
            if step is not None and self.model.rowCount():
                row = self.list.currentIndex().row()
                row = max(0, min(self.model.rowCount() - 1, row + step))
                self.list.setCurrentIndex(self.model.index(row, 0))
                return True
        return super().eventFilter(watched, event)
