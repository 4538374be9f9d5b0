"""A department's live queue: PostgreSQL's NOTIFY carried from the listener's thread to the GUI thread.

One ``DepartmentWatch`` per page that shows a department's cases (the reviewer's queue, the chief
representative's 本部门在审办件); the listener runs only between ``start()`` and ``stop()`` (while the page is
on screen), so no database connection outlives the page.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from app.infra.live import QueueListener, supports_push


class QueueSignals(QObject):
    """Carries the queue listener's callbacks (on its own thread) to the watch's slots on the GUI thread.

    Signals:
        changed(str): a department's queue changed (the department code).
        state(bool): the listener connected (True) or lost its connection (False).
    """

    changed = Signal(str)
    state = Signal(bool)


class DepartmentWatch(QObject):
    """Tells a page, on the GUI thread, that its department's cases changed: PostgreSQL's NOTIFY through a
    ``QueueListener`` while started; nothing on other engines (the page polls, and F5 refreshes).

    On (re)connecting it reports a change too: what happened while nobody listened came unheard.

    Signals:
        heard(): the department's cases changed (at once, one signal per notification).
        changed(): the same, debounced: one signal for a burst of changes.
        live_changed(bool): the listener connected (True) or lost its connection or stopped (False).
    """

    heard = Signal()
    changed = Signal()
    live_changed = Signal(bool)
    DEBOUNCE_MS = 250

    def __init__(self, url: str, dept: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url, self.dept = url, dept
        self.push = supports_push(url)
        self.listener: QueueListener | None = None
        self.live = False
        self._signals = QueueSignals(self)
        self._signals.changed.connect(self.queue_changed)
        self._signals.state.connect(self._state)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(self.DEBOUNCE_MS)
        self.timer.timeout.connect(self.changed)

    def start(self) -> None:
        if not self.push or self.listener is not None:
            return
        signals = self._signals

        # These run on the listener's thread: emit only (Qt queues the slot onto the GUI thread).
        def heard(dept: str) -> None:
            if shiboken6.isValid(signals):
                signals.changed.emit(dept)

        def state(connected: bool) -> None:
            if shiboken6.isValid(signals):
                signals.state.emit(connected)

        self.listener = QueueListener(self.url, heard, on_state=state)
        self.listener.start()

    def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()
        self.timer.stop()
        self._set_live(False)

    def queue_changed(self, dept: str) -> None:
        """A department's queue changed (GUI thread): news for the page if it is the watched department."""
        if dept == self.dept and self.listener is not None:
            self._news()

    def _state(self, connected: bool) -> None:
        if self.listener is None:
            return  # a late report from a listener already stopped
        self._set_live(connected)
        if connected:
            self._news()  # what changed while nobody listened

    def _news(self) -> None:
        self.heard.emit()
        self.timer.start()

    def _set_live(self, live: bool) -> None:
        if live != self.live:
            self.live = live
            self.live_changed.emit(live)
