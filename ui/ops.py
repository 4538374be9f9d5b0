"""The one way a page calls a service: an ``Op``.

A page never calls ``app`` services itself.  It describes the call and hands it to an ``Op``::

    run_op(lambda: cases.search(hall.uow(), actor, text), self._loaded, owner=self, key="search")
    run_op(lambda: decisions.decide(hall.uow(), actor, ...), self._saved, owner=self,
           changes={Change.CASES}, busy="正在保存决定…", form=self.error_label, disable=[self.save_button])

What an ``Op`` guarantees:

* **Off the GUI thread.**  The call runs on Qt's thread pool (``ui.worker``); ``on_done`` / ``on_error`` run back on
  the GUI thread.  A test (``tests/ui/conftest.py``) fails every GUI test in which a page opens a unit of work on
  the GUI thread.
* **Progress where it is long.**  ``busy="…"``: after ``BUSY_DELAY_MS`` the cursor shows the busy arrow and the
  window's status bar the text, until the answer arrives.  ``disable=[…]`` greys out widgets (e.g. the save
  button) while the call runs, so a second click cannot send it twice.
* **The newest answer wins.**  Ops with the same ``key`` on the same owner supersede each other: only the answer of
  the latest one is delivered, older ones are dropped (a reload while a reload is still running, typing in a search
  box).  Without a key every answer is delivered.  ``supersede(owner, key)`` drops a running op's answer (the form
  it was for was cleared).
* **Errors where the user looks.**  A ``ValidationError`` goes to ``form`` (an error label, or a callable taking
  the field and the message); everything else goes to ``on_error`` if given, else to ``ui.errors.show_error``
  (a warning for an expected error, the crash dialog for a bug).
* **Changes announced.**  ``changes={Change.CASES, …}`` is announced on the ``ChangeBus`` after a success; open
  pages that ``subscribe`` to one of those kinds refresh (a hidden page refreshes when it is next shown).  Ops of
  the page itself or of its dialogs do not make it refresh: they report back through their own callbacks.
* **Widgets are read before, never during.**  The call runs on another thread: take the form's values into the
  lambda's closure when the op is built, never read a widget inside the call.
* **Nothing for the dead.**  If the owner widget was deleted meanwhile, no callback runs (the busy state still
  ends).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6 import QtCore  # QtCore.Qt at the point of use: ``Qt`` builds 111 enums (ui.errors)
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from app.errors import ValidationError
from ui.errors import show_error
from ui.labels import set_error
from ui.worker import run_in_background

T = TypeVar("T")

# Below this a call feels instant: showing a busy cursor for it would only flicker.
BUSY_DELAY_MS = 200


class Change(enum.Enum):
    """What an op may have changed; pages subscribe to the kinds they show."""

    CASES = "cases"  # a case's status, holder, materials, clocks or documents
    PRINT_JOBS = "print_jobs"
    SETTINGS = "settings"  # hall, department, grievance or printer settings
    CALENDAR = "calendar"
    CATALOG = "catalog"
    ACCOUNTS = "accounts"  # users and counters
    GRIEVANCES = "grievances"
    RECTIFICATIONS = "rectifications"  # 差评整改


class ChangeBus(QObject):
    """Tells open pages what an op changed.

    Signals:
        changed(object, object): (frozenset[Change], source) after an op succeeded; ``source`` is the op's owner
            widget (or None).
    """

    changed = Signal(object, object)

    def announce(self, kinds: Iterable[Change], source: QObject | None = None) -> None:
        kinds = frozenset(kinds)
        if kinds:
            self.changed.emit(kinds, source)


_bus: ChangeBus | None = None


def bus() -> ChangeBus:
    """The application's one change bus (created on first use, owned by the QApplication)."""
    global _bus
    if _bus is None or not shiboken6.isValid(_bus):
        _bus = ChangeBus(QApplication.instance())
    return _bus


class _Subscription(QObject):
    """A page's interest in some kinds of change; lives as the page's child, so it ends with the page.

    Should PySide ever hand Qt's call to a fresh wrapper (the Python one collected while the C++ object lives),
    the class defaults below make it do nothing instead of raising in the event loop.
    """

    _page: QWidget | None = None
    _kinds: frozenset[Change] = frozenset()
    _pending = False

    def __init__(self, page: QWidget, kinds: frozenset[Change], refresh: Callable[[], None]) -> None:
        super().__init__(page)
        self._page = page
        self._kinds = kinds
        self._refresh = refresh
        self._pending = False
        bus().changed.connect(self._on_changed)
        page.installEventFilter(self)

    def _on_changed(self, kinds: frozenset[Change], source: QObject | None) -> None:
        # The page's own ops, and those of its dialogs, report back to it through their callbacks and signals.
        page = self._page
        if page is None or not (kinds & self._kinds) or _within(source, page):
            return
        if page.isVisible():
            self._refresh()
        else:
            self._pending = True  # a hidden page refreshes when it is shown, not for every change

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._page is not None and watched is self._page and event.type() == QEvent.Type.Show and self._pending:
            self._pending = False
            QTimer.singleShot(0, self, self._refresh)
        return False


def _within(source: QObject | None, page: QObject) -> bool:
    """True when ``source`` is ``page`` or one of its children, grandchildren, … (dialogs included)."""
    while source is not None:
        if source is page:
            return True
        source = source.parent()
    return False


_SUBSCRIPTIONS_ATTR = "_halldesk_subscriptions"


def subscribe(page: QWidget, kinds: Collection[Change], refresh: Callable[[], None]) -> None:
    """Call ``refresh()`` when an op of another page announces one of ``kinds`` (at once if ``page`` is visible,
    else when it is next shown).  Ops owned by ``page`` or by its dialogs do not count: they report back to it
    themselves.  The subscription ends with ``page``."""
    subscription = _Subscription(page, frozenset(kinds), refresh)
    # Held from Python too: a wrapper only Qt's parent keeps can be collected, and with it its attributes.
    held: list[_Subscription] = page.__dict__.setdefault(_SUBSCRIPTIONS_ATTR, [])
    held.append(subscription)


# The latest op per (owner, key): a delivered answer whose op is no longer the latest is dropped.
_LATEST_ATTR = "_halldesk_latest_ops"


def _latest(owner: QObject) -> dict[str, Op[Any]]:
    table: dict[str, Op[Any]] | None = getattr(owner, _LATEST_ATTR, None)
    if table is None:
        table = {}
        setattr(owner, _LATEST_ATTR, table)
    return table


def supersede(owner: QObject, key: str) -> None:
    """Drop the answer of ``owner``'s running op with ``key`` (e.g. the form it was for was cleared)."""
    _latest(owner).pop(key, None)


FormTarget = QLabel | Callable[[str, str], None]


class Op(QObject, Generic[T]):
    """One service call from the GUI: off the GUI thread, with progress, superseding, error mapping and changes.

    Build it, then ``run()`` it once (``run_op`` does both).  See the module docstring for the guarantees.

    Signals (all on the GUI thread, none after the owner was deleted):
        succeeded(object): the result, after ``on_done`` ran and the changes were announced.
        failed(object): the exception, before it is shown / handed to ``on_error``.
        superseded(): the answer arrived but a newer op with the same key had started; it was dropped.
        finished(): after ``succeeded`` or ``failed`` (not after ``superseded``).
    """

    succeeded = Signal(object)
    failed = Signal(object)
    superseded = Signal()
    finished = Signal()

    def __init__(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        owner: QWidget | None,
        key: str | None = None,
        changes: Iterable[Change] = (),
        busy: str | None = None,
        form: FormTarget | None = None,
        disable: Iterable[QWidget] = (),
    ) -> None:
        super().__init__()
        self._fn = fn
        self._on_done = on_done
        self._on_error = on_error
        self._owner = owner
        self._key = key
        self._changes = frozenset(changes)
        self._busy_text = busy
        self._form = form
        self._disabled = [w for w in disable if w.isEnabled()]
        self._busy_shown = False
        self._busy_timer: QTimer | None = None
        self._started = False

    # ---- running ---------------------------------------------------------------------------------

    def run(self) -> Op[T]:
        """Start the call on the thread pool; returns self (the op stays alive until its answer is handled)."""
        assert not self._started, "an Op runs once"
        self._started = True
        if self._owner is not None and self._key is not None:
            _latest(self._owner)[self._key] = self
        for widget in self._disabled:
            widget.setEnabled(False)
        if self._busy_text is not None:
            self._busy_timer = QTimer()
            self._busy_timer.setSingleShot(True)
            self._busy_timer.timeout.connect(self._show_busy)
            self._busy_timer.start(BUSY_DELAY_MS)
        # No owner for the worker: this op checks the owner itself, after ending its busy state.
        run_in_background(self._fn, self._answered, self._raised)
        return self

    def is_latest(self) -> bool:
        """False once a newer op with the same key and owner has started."""
        if self._owner is None or self._key is None:
            return True
        if not shiboken6.isValid(self._owner):
            return False
        return _latest(self._owner).get(self._key) is self

    # ---- answers (GUI thread) ----------------------------------------------------------------------

    def _answered(self, result: T) -> None:
        if not self._wrap_up():
            return
        if isinstance(self._form, QLabel) and shiboken6.isValid(self._form):
            set_error(self._form, "")  # an earlier refusal no longer applies
        if self._on_done is not None:
            self._on_done(result)
        bus().announce(self._changes, self._owner)
        self.succeeded.emit(result)
        self.finished.emit()

    def _raised(self, exc: BaseException) -> None:
        if not self._wrap_up():
            return
        self.failed.emit(exc)
        if isinstance(exc, ValidationError) and self._form is not None:
            if isinstance(self._form, QLabel):
                set_error(self._form, exc.message)
            else:
                self._form(exc.field, exc.message)
        elif self._on_error is not None:
            self._on_error(exc)
        else:
            show_error(self._owner if self._alive_owner() else None, exc)
        self.finished.emit()

    def _wrap_up(self) -> bool:
        """End the busy state; True when the answer is still wanted (owner alive, not superseded)."""
        self._end_busy()
        for widget in self._disabled:
            if shiboken6.isValid(widget):
                widget.setEnabled(True)
        if not self._alive_owner():
            return False
        if not self.is_latest():
            self.superseded.emit()
            return False
        return True

    def _alive_owner(self) -> bool:
        return self._owner is None or shiboken6.isValid(self._owner)

    # ---- progress ----------------------------------------------------------------------------------

    def _show_busy(self) -> None:
        self._busy_shown = True
        QApplication.setOverrideCursor(QtCore.Qt.CursorShape.BusyCursor)  # the busy arrow: the window stays usable
        bar = self._status_bar_window()
        if bar is not None and self._busy_text:
            bar.statusBar().showMessage(self._busy_text)

    def _end_busy(self) -> None:
        if self._busy_timer is not None:
            self._busy_timer.stop()
            self._busy_timer = None
        if not self._busy_shown:
            return
        self._busy_shown = False
        QApplication.restoreOverrideCursor()
        bar = self._status_bar_window()
        if bar is not None and bar.statusBar().currentMessage() == self._busy_text:
            bar.statusBar().clearMessage()

    def _status_bar_window(self) -> QMainWindow | None:
        if self._owner is None or not shiboken6.isValid(self._owner):
            return None
        window = self._owner.window()
        if isinstance(window, QMainWindow):
            return window
        parent = window.parentWidget()
        top = parent.window() if parent is not None else None
        return top if isinstance(top, QMainWindow) else None


def run_op(
    fn: Callable[[], T],
    on_done: Callable[[T], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QWidget | None,
    key: str | None = None,
    changes: Iterable[Change] = (),
    busy: str | None = None,
    form: FormTarget | None = None,
    disable: Iterable[QWidget] = (),
) -> Op[T]:
    """Build an ``Op`` and run it (the usual way a page calls a service)."""
    return Op(fn, on_done, on_error, owner=owner, key=key, changes=changes, busy=busy, form=form,
              disable=disable).run()
