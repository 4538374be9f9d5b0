"""Every key of a window, collected from its widgets: for 帮助 → 快捷键 (F1) and the clash test.

Nothing here is a hand-written list: the keys are read from the ``QAction``s, ``QShortcut``s and the
mnemonics (``&X``) of menus, buttons, labels with buddies, tabs and group boxes.  A key's *scope* says when it can
fire: a widget in a ``QStackedWidget`` (pages, tabs) only while its page is the current one, a widget-only
shortcut only while its widget has the focus, a menu item's mnemonic only while its menu is open.
"""

from __future__ import annotations

import inspect
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QCursor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

_MNEMONIC = re.compile(r"&([^&\s])")
# Scope entries: ("stack", id) → index shown; ("focus", 0) → the focused widget; ("popup", 0) → open menu.
Scope = dict[tuple[str, int], int]


@dataclass(frozen=True)
class Key:
    keys: str  # QKeySequence text, e.g. "Ctrl+Return", "Alt+G"
    text: str  # what the key does (the action's, button's or shortcut's words)
    mnemonic: bool
    owner: int  # id of the object that owns the key (one action may have several keys)
    scope: tuple[tuple[tuple[str, int], int], ...]
    where: str = ""  # the page or menu it belongs to

    def fires_with(self, other: Key) -> bool:
        """Both keys can be active at the same moment (no stack shows a different page for them)."""
        mine = dict(self.scope)
        return all(mine.get(k, v) == v for k, v in other.scope)


def _plain(text: str) -> str:
    """Menu/button words without the mnemonic marker and its bracket: "改派到…(&G)" → "改派到…"."""
    text = re.sub(r"\(&.\)", "", text)
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def mnemonic_of(text: str) -> str | None:
    found = _MNEMONIC.search(text.replace("&&", ""))
    return f"Alt+{found.group(1).upper()}" if found else None


def describe(shortcut: QShortcut, text: str) -> QShortcut:
    """Give a shortcut its words for 帮助 → 快捷键."""
    shortcut.setWhatsThis(text)
    return shortcut


def _scope_of(widget: QWidget, root: QWidget) -> Scope | None:
    """Which pages must be shown for ``widget`` to be; None if hidden for good or in another window."""
    scope: Scope = {}
    w: QWidget | None = widget
    while w is not None and w is not root:
        parent = w.parentWidget()
        if w.isWindow():
            return None  # a dialog or popup: a scope of its own
        if isinstance(parent, QStackedWidget):
            scope[("stack", id(parent))] = parent.indexOf(w)
        elif w.isHidden():
            return None  # hidden on purpose (e.g. a button this role does not get)
        w = parent
    return scope if w is root else None


def _page_name(widget: QWidget, root: QWidget) -> str:
    if isinstance(root, QMainWindow):
        stack = getattr(root, "stack", None)
        nav = getattr(root, "nav", None)
        if isinstance(stack, QStackedWidget) and nav is not None:
            w: QWidget | None = widget
            while w is not None and w.parentWidget() is not stack:
                w = w.parentWidget()
            title_of = getattr(root, "page_title", None)  # pages join the stack when built: not in nav order
            if w is not None and callable(title_of):
                return str(title_of(w))
    return ""


def _freeze(scope: Scope) -> tuple[tuple[tuple[str, int], int], ...]:
    return tuple(sorted(scope.items()))


def _widget_keys(root: QWidget) -> Iterator[Key]:
    closed_menu = {("popup", 0): 0}
    for widget in [root, *root.findChildren(QWidget)]:
        scope = _scope_of(widget, root)
        if scope is None:
            continue
        scope |= closed_menu
        where = _page_name(widget, root)
        words: list[tuple[str, str]] = []  # (text with &, plain words)
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            words.append((widget.text(), _plain(widget.text())))
        elif isinstance(widget, QGroupBox):
            words.append((widget.title(), _plain(widget.title())))
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                if widget.isTabEnabled(i):
                    words.append((widget.tabText(i), _plain(widget.tabText(i))))
        for number, (text, plain) in enumerate(words):
            key = mnemonic_of(text)
            if key:  # each tab of a tab widget is an owner of its own
                yield Key(key, plain, True, hash((id(widget), number)), _freeze(scope), where)
        for action in widget.actions():
            if isinstance(widget, QMenu):
                continue
            for seq in action.shortcuts():
                yield Key(seq.toString(), _plain(action.text()), False, id(action), _freeze(scope), where)


def _shortcut_keys(root: QWidget) -> Iterator[Key]:
    for shortcut in root.findChildren(QShortcut):
        parent = shortcut.parent()
        if not isinstance(parent, QWidget) or not shortcut.isEnabled():
            continue
        scope = _scope_of(parent, root)
        if scope is None:
            continue
        if shortcut.context() == Qt.ShortcutContext.WidgetShortcut:
            scope[("focus", 0)] = id(parent)
        scope[("popup", 0)] = 0
        for seq in shortcut.keys():  # noqa: SIM118 (a QShortcut, not a dict)
            yield Key(seq.toString(), shortcut.whatsThis(), False, id(shortcut), _freeze(scope),
                      _page_name(parent, root))


def _menu_keys(window: QMainWindow) -> Iterator[Key]:
    for top in window.menuBar().actions():
        menu = top.menu()
        title = _plain(top.text())
        key = mnemonic_of(top.text())
        if key:
            yield Key(key, f"{title}菜单", True, id(top), _freeze({("popup", 0): 0}), "菜单")
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            if action.isSeparator():
                continue
            key = mnemonic_of(action.text())
            if key:  # a letter inside the open menu
                yield Key(key, _plain(action.text()), True, id(action), _freeze({("popup", 0): id(menu)}), title)
            for seq in action.shortcuts():  # window-wide
                yield Key(seq.toString(), _plain(action.text()), False, id(action), (), title)


def window_keys(window: QWidget) -> list[Key]:
    """All keys of a window (main window or dialog), menus first."""
    keys: list[Key] = []
    if isinstance(window, QMainWindow):
        keys.extend(_menu_keys(window))
    keys.extend(_widget_keys(window))
    keys.extend(_shortcut_keys(window))
    return keys


def clashes(keys: list[Key]) -> list[tuple[Key, Key]]:
    """Pairs of different owners with the same key that can fire at the same moment."""
    found: list[tuple[Key, Key]] = []
    by_key: dict[str, list[Key]] = {}
    for key in keys:
        by_key.setdefault(key.keys, []).append(key)
    for same in by_key.values():
        for i, a in enumerate(same):
            for b in same[i + 1:]:
                if a.owner != b.owner and a.fires_with(b):
                    found.append((a, b))
    return found


def active_keys(window: QWidget) -> list[Key]:
    """The keys that work right now: the window's and the current page's (tabs included), no duplicates."""
    stacks = {id(stack): stack for stack in window.findChildren(QStackedWidget)}

    def showing(key: Key) -> bool:
        for (kind, ident), index in key.scope:
            if kind == "popup" and index != 0:
                return False  # a letter inside a closed menu
            if kind == "stack" and ident in stacks and stacks[ident].currentIndex() != index:
                return False
        return True

    seen: set[tuple[str, str]] = set()
    result: list[Key] = []
    for key in window_keys(window):
        if showing(key) and (key.keys, key.text) not in seen:
            seen.add((key.keys, key.text))
            result.append(key)
    return result


# ---- focus: page switches and Ctrl+Tab --------------------------------------------------------------
def first_field(container: QWidget) -> QWidget | None:
    """The first widget in ``container`` that Tab would reach (visible, enabled, takes keyboard focus)."""
    chain: QWidget = container
    for _ in range(2000):  # the focus chain is a ring; stop when it comes back
        nxt = chain.nextInFocusChain()
        if nxt is container or nxt is None:
            break
        chain = nxt
        if (container.isAncestorOf(chain) and chain.isVisible() and chain.isEnabled()
                and chain.focusPolicy() & Qt.FocusPolicy.TabFocus):
            return chain
    return None


def focus_page(page: QWidget) -> QWidget | None:
    """Put the keyboard focus in a page just shown: its own choice (``first_field()``), else the first field."""
    chosen = getattr(page, "first_field", None)
    target = chosen() if callable(chosen) else None
    if not isinstance(target, QWidget) or not target.isVisible() or not target.isEnabled():
        target = first_field(page)
    if target is not None:
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
    return target


def _tabs_for(page: QWidget) -> QTabWidget | None:
    """The tab widget Ctrl+Tab turns: the innermost one around the focus, else the page's first visible one."""
    focus = page.focusWidget()
    w = focus.parentWidget() if focus is not None else None
    while w is not None and w is not page:
        if isinstance(w, QTabWidget) and w.isVisible():
            return w
        w = w.parentWidget()
    if isinstance(focus, QTabWidget):
        return focus
    for tabs in page.findChildren(QTabWidget):
        if tabs.isVisible():
            return tabs
    return None


def turn_tab(page: QWidget, step: int) -> QTabWidget | None:
    """Ctrl+Tab / Ctrl+Shift+Tab: the next / previous enabled tab, with the focus in it."""
    tabs = _tabs_for(page)
    if tabs is None or tabs.count() < 2:
        return None
    index = tabs.currentIndex()
    for _ in range(tabs.count()):
        index = (index + step) % tabs.count()
        if tabs.isTabEnabled(index):
            break
    tabs.setCurrentIndex(index)
    shown = tabs.currentWidget()
    if shown is not None:
        target = first_field(shown)
        (target or tabs.tabBar()).setFocus(Qt.FocusReason.TabFocusReason)
    return tabs


def add_tab_keys(page: QWidget) -> None:
    """Ctrl+Tab / Ctrl+Shift+Tab on a page with tabs, wherever the focus is on the page (a table or text box
    would otherwise keep the key to itself)."""
    if not page.findChildren(QTabWidget):
        return
    context = Qt.ShortcutContext.WidgetWithChildrenShortcut
    describe(QShortcut(QKeySequence("Ctrl+Tab"), page, lambda: turn_tab(page, 1), context=context), "下一个标签页")
    describe(QShortcut(QKeySequence("Ctrl+Shift+Tab"), page, lambda: turn_tab(page, -1), context=context),
             "上一个标签页")


class ShortcutsDialog(QDialog):
    """帮助 → 快捷键 (F1): the keys that work now in ``window`` (its menus and the page shown), read from it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("快捷键")
        # Keys first, then the Alt letters; "Ctrl+Return" and "Ctrl+Enter" show once as "Ctrl+Enter".
        seen: set[tuple[str, str]] = set()
        self.keys: list[Key] = []
        for key in sorted(active_keys(window), key=lambda k: (k.mnemonic, k.where, k.keys)):
            if (key_text(key.keys), key.text) not in seen:
                seen.add((key_text(key.keys), key.text))
                self.keys.append(key)
        self.table = QTableWidget(len(self.keys), 3)
        self.table.setHorizontalHeaderLabels(["按键", "作用", "位置"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        for row, key in enumerate(self.keys):
            for column, text in enumerate((key_text(key.keys), key.text or "—", key.where or "窗口")):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        note = QLabel("带下划线的字母：按住 Alt 再按该字母。Ctrl+Tab / Ctrl+Shift+Tab 切换标签页。")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def rows(self) -> list[tuple[str, str, str]]:
        def cell(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(cell(r, 0), cell(r, 1), cell(r, 2)) for r in range(self.table.rowCount())]


def key_text(keys: str) -> str:
    """As printed on the keyboard: "Ctrl+Return" → "Ctrl+Enter" (the big Enter key)."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.PortableText).replace("Return", "Enter")


# ---- keys that do nothing say why ---------------------------------------------------------------------
# A button, action or shortcut that cannot act now keeps its reason here (set_available); the key that would
# have triggered it shows that reason in the main window's status bar instead of doing nothing.
UNAVAILABLE = "unavailableReason"
Target = QWidget | QAction


def set_available(target: Target, reason: str = "") -> None:
    """Enable ``target`` when ``reason`` is empty; else disable it and keep the reason (its key tells it)."""
    target.setEnabled(not reason)
    target.setProperty(UNAVAILABLE, reason)


def unavailable_reason(target: Target) -> str:
    """Why ``target`` cannot act now: the reason given to ``set_available``, else its tooltip, else a plain
    sentence with its words."""
    reason = target.property(UNAVAILABLE)
    if isinstance(reason, str) and reason:
        return reason
    tip = target.toolTip() if isinstance(target, QWidget | QAction) else ""
    if tip and not isinstance(target, QAction):  # an action's tooltip defaults to its own words
        return tip
    text = target.text() if isinstance(target, QAbstractButton | QAction) else ""
    return f"“{_plain(text)}”现在不能用" if text else "此键现在不能用"


def main_window_of(widget: QWidget) -> QMainWindow | None:
    """The main window around ``widget`` (also from inside a dialog the main window opened)."""
    w: QWidget | None = widget
    while w is not None:
        window = w.window()
        if isinstance(window, QMainWindow):
            return window
        w = window.parentWidget()
    return None


def tell(widget: QWidget, text: str) -> None:
    """Say ``text`` in the status bar of the main window around ``widget`` (also from a dialog it opened); in a
    window of its own, as a tooltip by the widget."""
    window = main_window_of(widget)
    if window is not None:
        window.statusBar().showMessage(text, 8000)
        return
    if widget.isVisible():
        QToolTip.showText(widget.mapToGlobal(widget.rect().center()), text, widget)
    else:
        QToolTip.showText(QCursor.pos(), text, widget.window())


def guarded(target: Target, slot: Callable[[], object], where: QWidget | None = None) -> Callable[[], None]:
    """A shortcut's slot that acts only while ``target`` (the button or action it stands for) is enabled and
    otherwise says why (``unavailable_reason``) in the status bar.

    It holds the target and the slot's object weakly, as PySide does for a bound method: a strong reference
    from a connection would keep a page (and its window) alive past its time."""
    target_ref = weakref.ref(target)
    slot_ref: Callable[[], Callable[[], object] | None] = (
        weakref.WeakMethod(slot) if inspect.ismethod(slot) else lambda: slot)
    where_ref = weakref.ref(where) if where is not None else None

    def run() -> None:
        button, act = target_ref(), slot_ref()
        if button is None or act is None:
            return
        if button.isEnabled():
            act()
            return
        widget = button if isinstance(button, QWidget) else where_ref() if where_ref is not None else None
        if widget is None:
            parent = button.parent()
            widget = parent if isinstance(parent, QWidget) else None
        if widget is not None:
            tell(widget, unavailable_reason(button))
        else:
            QApplication.beep()

    return run


def _shown(widget: QWidget, window: QWidget) -> bool:
    """On the page shown now (disabled widgets count: they are on screen, greyed)."""
    return widget.isVisible() and widget.window() is window


def disabled_target(window: QWidget, keys: str) -> Target | None:
    """The disabled button or action of ``window`` (the page shown now) that ``keys`` would trigger."""
    for button in window.findChildren(QAbstractButton):
        if button.isEnabled() or not _shown(button, window):
            continue
        if mnemonic_of(button.text()) == keys or (button.shortcut().toString() == keys and keys):
            return button
    for action in window.findChildren(QAction):
        if action.isEnabled() or not any(s.toString() == keys for s in action.shortcuts()):
            continue
        widgets = [w for w in action.associatedObjects() if isinstance(w, QWidget)]
        if any(isinstance(w, QMenu) or _shown(w, window) for w in widgets):
            return action
    return None


class _ExplainKeys(QObject):
    """Installed on a window only (its parent). It holds no Python reference to the window: a cycle would leave
    the window to Python's cyclic collector, which may run on a worker thread."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A key press that reaches the window itself was taken by no shortcut and no field.
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and isinstance(watched, QWidget)
                and watched is self.parent()):
            key = event.key()
            if key not in (Qt.Key.Key_Alt, Qt.Key.Key_Control, Qt.Key.Key_Shift, Qt.Key.Key_Meta, Qt.Key.Key_unknown):
                mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
                keys = QKeySequence(event.keyCombination().key().value | mods.value).toString()
                target = disabled_target(watched, keys)
                if target is not None:
                    widget = target if isinstance(target, QWidget) else watched
                    tell(widget, unavailable_reason(target))
                    return True
        return super().eventFilter(watched, event)


def explain_disabled_keys(window: QWidget) -> QObject:
    """A key of a disabled button (its Alt letter) or action says why in the status bar instead of nothing.
    Keep the returned filter referenced (e.g. as an attribute of the window): PySide drops a Python object
    that only Qt holds, and its attributes with it."""
    explainer = _ExplainKeys(window)  # parented: Qt deletes it with the window
    window.installEventFilter(explainer)
    return explainer
