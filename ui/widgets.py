"""Small building blocks shared by the pages and dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QFontMetrics,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from ui.labels import error_label as error_label
from ui.labels import hint_label as hint_label
from ui.labels import limit_line as limit_line
from ui.labels import set_error as set_error
from ui.labels import set_shown as set_shown

if TYPE_CHECKING:  # the login window uses this module before the database layer is loaded (fast start)
    from app.auth import Actor
    from app.context import HallDesk
    from app.limits import Limit

WEEKDAYS = "一二三四五六日"
T_co = TypeVar("T_co", covariant=True)
S = TypeVar("S")
DialogT = TypeVar("DialogT", bound=QDialog)
_MESSAGE_COLOURS = {"error": "#c0392b", "ok": "#1e7d45", "hint": "#5b6b7f"}


class ElidedLabel(QFrame):
    """One line of text cut with … when it does not fit; the full text is the tooltip.

    Used in the status bar, where a long calendar warning must not push the other fields away.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        self._text = text
        self.setToolTip(text)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        return QSize(fm.horizontalAdvance(self._text) + 8, fm.height() + 4)

    def minimumSizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        return QSize(fm.horizontalAdvance("……") + 8, fm.height() + 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(4, 0, -4, 0)
        elided = QFontMetrics(self.font()).elidedText(self._text, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided)
        painter.end()


class Page(QWidget):
    """A page of the main window, working for ``actor``; ``is_loaded`` is False until its first load arrives.

    Signals:
        status_message(str): something the main window's status bar should show for a while.
    """

    status_message = Signal(str)

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self._loaded = False

    def is_loaded(self) -> bool:
        return self._loaded


class PasswordFields:
    """New password + repeat, checked against each other before any service sees them."""

    HINT = "至少8位，须同时包含字母和数字"

    def __init__(self) -> None:
        from app.limits import PASSWORD

        self.password_edit = limit_line(QLineEdit(), PASSWORD)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(self.HINT)
        self.repeat_edit = limit_line(QLineEdit(), PASSWORD)
        self.repeat_edit.setEchoMode(QLineEdit.EchoMode.Password)

    def add_to(self, form: QFormLayout, label: str = "新密码(&P)", repeat_label: str = "再次输入(&R)") -> None:
        form.addRow(buddy_label(label, self.password_edit), self.password_edit)
        form.addRow(buddy_label(repeat_label, self.repeat_edit), self.repeat_edit)

    def problem(self) -> str:
        """Empty when the two entries can be sent to the service (which checks the password rules)."""
        if not self.password_edit.text():
            return "请输入新密码"
        if self.password_edit.text() != self.repeat_edit.text():
            return "两次输入的密码不一致"
        return ""

    def value(self) -> str:
        return self.password_edit.text()


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose &-mnemonic focuses ``buddy``."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def banner(text: str = "") -> QLabel:
    """A yellow notice across the top of a page (e.g. the calendar warning)."""
    label = QLabel(text)
    label.setObjectName("warningBanner")
    label.setWordWrap(True)
    set_shown(label, bool(text))
    return label


class EmptyState(QLabel):
    """What an empty table says instead of nothing: what will appear there, and what to do.

    A grey note over the view's viewport, shown while the model has no rows; it takes no clicks and moves no
    layout.  Every list page gets one through ``table_view(..., empty=...)`` or ``set_empty_text``; the page
    gives the text, which may change with the page's filters.
    """

    def __init__(self, view: QAbstractItemView, text: str = "") -> None:
        super().__init__(text, view.viewport())
        self.setObjectName("emptyState")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._view = view
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.refresh)
        self._place()
        self.refresh()

    def is_shown(self) -> bool:
        """True while the table is empty and there is something to say (visible or not, e.g. on a hidden tab)."""
        return not self.isHidden()

    def set_text(self, text: str) -> None:
        self.setText(text)
        self.refresh()

    def refresh(self, *_: object) -> None:
        model = self._view.model()
        self.setVisible(bool(self.text()) and model is not None and model.rowCount() == 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        # Margins so that the note never touches the frame; the viewport's height keeps it clear of the header.
        self.setGeometry(self._view.viewport().rect().adjusted(24, 8, -24, -8))


def set_empty_text(view: QAbstractItemView, text: str) -> EmptyState:
    """Give ``view`` (or change) the note it shows while empty; returns the note."""
    state = view.findChild(EmptyState)
    if state is None:
        return EmptyState(view, text)
    state.set_text(text)
    return state


def empty_state(view: QAbstractItemView) -> EmptyState | None:
    """The note ``view`` shows while empty, if it has one."""
    return view.findChild(EmptyState)


def table_view(model: QAbstractItemModel, parent: QWidget | None = None, *, empty: str = "") -> QTableView:
    """A read-only, whole-row, single-selection table as every list page uses it.

    ``empty`` is what the table says while it has no rows (see ``EmptyState``).
    """
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    # Compact rows: the default is sized for the style's tallest editor, which wastes a 768-pixel screen.
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside it
    if empty:
        EmptyState(view, empty)
    return view


class Rows(Protocol[T_co]):
    """A ``ui.models`` model as the list pages read it: a row by its number."""

    def row_at(self, row: int, /) -> T_co | None: ...


class KeyedRows(Rows[T_co], Protocol[T_co]):
    """A model whose rows can also be found by key (``row_of`` answers -1 for an unknown key)."""

    def row_of(self, key: Any, /) -> int: ...

    def rowCount(self) -> int: ...

    def index(self, row: int, column: int, /) -> QModelIndex: ...


def current_row(view: QAbstractItemView, model: Rows[T_co]) -> T_co | None:
    """The row under ``view``'s cursor, or None when there is none."""
    index = view.currentIndex()
    return model.row_at(index.row()) if index.isValid() else None


def select_key(view: QAbstractItemView, model: KeyedRows[object], key: object) -> bool:
    """Put ``view``'s cursor on the row whose key is ``key``; False (cursor unchanged) when there is none."""
    row = model.row_of(key)
    if row >= 0:
        view.setCurrentIndex(model.index(row, 0))
    return row >= 0


def restore_current(view: QAbstractItemView, model: KeyedRows[object], key: object) -> None:
    """After a reload: the cursor back on the row with ``key``, else on the first row (if any)."""
    row = model.row_of(key)
    if model.rowCount():
        view.setCurrentIndex(model.index(max(row, 0), 0))


def fit_columns(view: QTableView, stretch: int | tuple[int, ...] | None = None) -> None:
    """Size columns to their contents, letting column(s) ``stretch`` share the remaining width.

    A stretching column's long text ends in … (the model's tooltip has all of it); the others always show
    whole, so a long name never pushes a date or a person off the screen."""
    header = view.horizontalHeader()
    stretching = (stretch,) if isinstance(stretch, int) else stretch or ()
    for column in range(header.count()):
        mode = QHeaderView.ResizeMode.Stretch if column in stretching else QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(column, mode)
    if stretching:
        header.setStretchLastSection(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)


def dialog_buttons(
    dialog: QDialog, ok_text: str = "确定", cancel_text: str = "取消", *,
    on_accept: Callable[[], object] | None = None,
) -> tuple[QDialogButtonBox, QPushButton]:
    """OK/Cancel with Chinese captions (Qt's own are English without a translator); OK takes Enter.

    With ``on_accept`` (the dialog's ``save``), OK calls it and Cancel rejects the dialog.
    The box is parented to ``dialog`` right away: a button only becomes the dialog's default (the one
    Enter presses) if it already belongs to the dialog when ``setDefault`` is called.
    """
    box = QDialogButtonBox(dialog)
    ok = box.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    box.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
    if on_accept is not None:
        box.accepted.connect(on_accept)
        box.rejected.connect(dialog.reject)
    ok.setDefault(True)
    return box, ok


def open_dialog(dialog: DialogT, closed: Callable[[], object]) -> DialogT:
    """Show ``dialog`` window-modal without blocking the caller; it deletes itself after ``closed`` runs."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(closed)
    dialog.open()
    return dialog


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Resize to (width, height) but never beyond the available screen (1366×768 counter PCs)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        avail = screen.availableGeometry()
        width = min(width, avail.width() - 40)
        height = min(height, avail.height() - 60)
    widget.resize(width, height)


def set_tab_order(*widgets: QWidget) -> None:
    """Tab visits ``widgets`` in this order."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def format_date(value: date) -> str:
    return f"{value.isoformat()}（星期{WEEKDAYS[value.weekday()]}）"


def tint(label: QLabel, colour: str) -> None:
    """Colour one label (for states the style sheet has no name for)."""
    label.setStyleSheet(f"color: {colour};")


class MessageLine(QLabel):
    """Reserved room for a message under a field or near a form's buttons: ``lines`` lines high whether it says
    something or not, and never wider than the layout gives it, so that nothing moves while the clerk types.
    What does not fit ends in … and the whole text is the tooltip.
    """

    def __init__(self, lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._lines = lines
        self.setObjectName("fieldMessage")
        self.setWordWrap(lines > 1)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 2)

    def full_text(self) -> str:
        return self._full

    def set_message(self, text: str, colour: str = "") -> None:
        self._full = text
        if colour:
            tint(self, colour)
        self._fit()

    def is_elided(self) -> bool:
        return self.text() != self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fits(self, text: str, width: int) -> bool:
        flags = int(Qt.TextFlag.TextWordWrap) if self._lines > 1 else int(Qt.TextFlag.TextSingleLine)
        box = self.fontMetrics().boundingRect(QRect(0, 0, width, 10_000), flags, text)
        return box.height() <= self.fontMetrics().lineSpacing() * self._lines + 1 and box.width() <= width

    def _fit(self) -> None:
        text, width = self._full, self.contentsRect().width()
        if width > 0 and text and not self._fits(text, width):
            low, high = 0, len(text)  # the longest beginning that fits with … after it
            while low < high:
                middle = (low + high + 1) // 2
                if self._fits(text[:middle] + "…", width):
                    low = middle
                else:
                    high = middle - 1
            text = text[:low] + "…"
        self.setText(text)
        self.setToolTip(self._full if text != self._full else "")


class CheckedField(QWidget):
    """A line edit checked while it is typed in by one of ``app.validators``' ``check_*`` functions.

    The check's Chinese message appears under the field, in a line reserved for it (``MessageLine``: the form
    never moves; a long message ends in … with the whole of it in the tooltip).  While fewer than ``length`` characters are typed
    only a count is shown (a half-typed number is not an error yet); when the field is left, or full,
    any problem is shown in red, and a good value gets a green tick.  An empty optional field says nothing.
    Any ``returnPressed`` of ``edit`` is the caller's to use (the counter moves on to the next field).
    """

    def __init__(self, check: Callable[[str], object], length: int | None = None, *, placeholder: str = "",
                 optional: bool = False, ok_text: str = "✓", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self._length = length
        self._optional = optional
        self._ok_text = ok_text
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.edit)
        layout.addWidget(self.message)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._typed)
        self.edit.editingFinished.connect(self.recheck)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)
        self.recheck()

    def clear(self) -> None:
        self.edit.clear()
        self._say("", "hint")

    def problem(self) -> str:
        """The check's message for the current text ('' when it is fine, or empty and optional)."""
        text = self.text()
        if not text and self._optional:
            return ""
        try:
            self._check(text)
        except ValidationError as exc:
            return exc.message
        return ""

    def is_valid(self) -> bool:
        return bool(self.text()) and not self.problem()

    def message_text(self) -> str:
        """The whole message under the field ('' when it says nothing)."""
        return self.message.full_text()

    def show_problem(self, message: str) -> None:
        """Show a problem found elsewhere (the service's ValidationError for this field)."""
        self._say(message, "error")

    def recheck(self) -> None:
        """Check as if the field were finished: every problem shows."""
        self._show(finished=True)

    def _typed(self) -> None:
        self._show(finished=False)

    def _show(self, *, finished: bool) -> None:
        text = self.text()
        if not text:
            self._say("" if self._optional or not finished else self.problem(), "error")
            return
        problem = self.problem()
        if not problem:
            self._say(self._ok_text, "ok")
        elif not finished and self._length is not None and len(text) < self._length:
            self._say(f"已输入{len(text)}位，共{self._length}位", "hint")
        else:
            self._say(problem, "error")

    def _say(self, text: str, kind: str) -> None:
        self.message.set_message(text, _MESSAGE_COLOURS[kind])


# ---- input limits (app.limits; limit_line is in ui.labels) -----------------------------------------------


def _utf16(text: str) -> int:
    """Qt's position of the end of ``text``: UTF-16 units."""
    return len(text.encode("utf-16-le")) // 2


class TextLimit(QLabel):
    """A counter under a multi-line editor that keeps it within ``limit``: whatever is typed or pasted past the
    limit is cut off at once, and the counter turns red and says so.  Add it to the layout under the editor.
    """

    def __init__(self, edit: QPlainTextEdit, limit: Limit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textLimit")
        self._edit = edit
        self._limit = limit
        self._accepted = ""  # the last text within the limit
        self._cutting = False
        edit.textChanged.connect(self._changed)
        self._changed()

    def edited(self) -> QPlainTextEdit:
        """The editor this counter keeps within its limit."""
        return self._edit

    def _changed(self) -> None:
        if self._cutting:
            return
        text = self._edit.toPlainText()
        chars = self._limit.chars
        if len(text) <= chars:
            self._accepted = text
            self._show(f"{len(text)}/{chars}字", "hint")
            return
        # The new text is the last good one with something put in (typed or pasted) where the cursor was:
        # keep as much of that as fits.
        old = self._accepted
        prefix = next((i for i, (a, b) in enumerate(zip(old, text, strict=False)) if a != b), min(len(old), len(text)))
        suffix = 0
        while suffix < len(old) - prefix and old[-1 - suffix] == text[-1 - suffix]:
            suffix += 1
        put_in_end = len(text) - suffix
        keep_end = max(chars - suffix, prefix)  # what fits of the part put in
        self._cutting = True
        try:
            cursor = self._edit.textCursor()
            cursor.setPosition(_utf16(text[:keep_end]))
            cursor.setPosition(_utf16(text[:put_in_end]), QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            if len(self._edit.toPlainText()) > chars:  # set wholesale (setPlainText): keep the beginning
                cursor.setPosition(_utf16(text[:chars]))
                cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
            self._edit.setTextCursor(cursor)
        finally:
            self._cutting = False
        self._accepted = self._edit.toPlainText()
        self._show(f"{self._limit.label}最多{chars}个字，超出的部分没有输入", "error")

    def _show(self, text: str, kind: str) -> None:
        self.setText(text)
        tint(self, _MESSAGE_COLOURS[kind])


def limit_text(edit: QPlainTextEdit, limit: Limit) -> TextLimit:
    """Keep ``edit`` within ``limit``; returns the counter to lay out under it."""
    return TextLimit(edit, limit)


class FitWidthDelegate(QStyledItemDelegate):
    """A list's rows as wide as its viewport and ``row_height`` high: a long text ends in … (its tooltip says
    the rest) instead of a horizontal scrollbar appearing."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self.row_height = view.fontMetrics().height() + 6

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(max(1, self._view.viewport().width()), self.row_height)


class LimitedTextDelegate(QStyledItemDelegate):
    """A table cell edited in a line edit that takes at most ``limit.chars`` characters."""

    def __init__(self, limit: Limit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._limit = limit

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            limit_line(editor, self._limit)
        return editor


class CountDelegate(QStyledItemDelegate):
    """原件 / 复印件 counts: a small spin box instead of Qt's full-int-range default."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        spin = QSpinBox(parent)
        spin.setRange(0, 99)
        return spin
