"""Every key of a window, collected from its widgets: for 帮助 → 快捷键 (F1) and the clash test.

Nothing here is a hand-written list: the keys are read from the ``QAction``s, ``QShortcut``s and the
mnemonics (``&X``) of menus, buttons, labels with buddies, tabs and group boxes.  A key's *scope* says when it can
fire: a widget in a ``QStackedWidget`` (pages, tabs) only while its page is the current one, a widget-only
shortcut only while its widget has the focus, a menu item's mnemonic only while its menu is open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTabWidget,
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
            if w is not None:
                item = nav.item(stack.indexOf(w))
                return item.text() if item is not None else ""
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
        if isinstance(widget, QAbstractButton):
            words.append((widget.text(), _plain(widget.text())))
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            words.append((widget.text(), _plain(widget.text())))
        elif isinstance(widget, QGroupBox):
            words.append((widget.title(), _plain(widget.title())))
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                if widget.isTabEnabled(i):
                    words.append((widget.tabText(i), _plain(widget.tabText(i))))
        for text, plain in words:
            key = mnemonic_of(text)
            if key:
                yield Key(key, plain, True, id(widget) * 100 + len(plain), _freeze(scope), where)
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
        for seq in shortcut.keys():
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
