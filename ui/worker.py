"""The engine under ``ui.ops``: runs a function on Qt's thread pool and calls back on the GUI thread.

Pages do not use this module; they call services through ``ui.ops.run_op`` (superseding, busy state, form errors
and change announcements are there).

``run_in_background(fn, on_done, on_error)`` runs ``fn`` on Qt's global thread pool and calls ``on_done``
or ``on_error`` back *on the GUI thread*: the pool thread only emits a signal of a QObject that lives in
the GUI thread, so Qt queues the call.  Every job stays referenced in ``_pending`` until its callback ran,
so neither the job nor its callbacks are garbage-collected while the thread still works.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from ui.errors import show_error

T = TypeVar("T")

_pending: set[_Job[Any]] = set()


class _Job(QObject, Generic[T]):
    """Carries one result back to the GUI thread.

    The job is parented to the application, so Qt, not Python's reference counting, decides when it
    is deleted: otherwise the pool thread could drop the last reference (deleting a GUI-thread object
    from another thread), or the job could be deleted while its own slot still runs.

    Signals:
        finished(object, object): (result, None) on success, (None, exception) on failure; emitted from
            the pool thread and delivered queued to ``_deliver`` in the GUI thread.
    """

    finished = Signal(object, object)

    def __init__(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None,
        owner: QWidget | None,
    ) -> None:
        super().__init__(QCoreApplication.instance())
        self.fn: Callable[[], T] | None = fn
        self._callbacks: tuple[Callable[[T], None], Callable[[BaseException], None] | None, QWidget | None] | None = (
            on_done, on_error, owner,
        )
        self.finished.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, result: T, error: BaseException | None) -> None:
        _pending.discard(self)
        callbacks, self._callbacks, self.fn = self._callbacks, None, None
        self.deleteLater()
        if callbacks is None:
            return
        on_done, on_error, owner = callbacks
        # The widget that asked may have been closed while the thread worked: then nobody wants the answer.
        if owner is not None and not shiboken6.isValid(owner):
            return
        if error is None:
            on_done(result)
        elif on_error is not None:
            on_error(error)
        else:
            show_error(owner, error)


class _Runnable(QRunnable):
    def __init__(self, job: _Job[T]) -> None:
        super().__init__()
        self._job = job

    def run(self) -> None:
        fn = self._job.fn
        assert fn is not None
        try:
            result = fn()
        except BaseException as exc:  # handed to the GUI thread, which decides what the user sees
            self._job.finished.emit(None, exc)
        else:
            self._job.finished.emit(result, None)


def run_in_background(
    fn: Callable[[], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QWidget | None = None,
) -> None:
    """Run ``fn()`` on a pool thread; then ``on_done(result)`` or ``on_error(exc)`` on the GUI thread.

    Without ``on_error`` an exception is shown like any other (``ui.errors.show_error``), parented to
    ``owner``.  When ``owner`` has been deleted by the time the result arrives, nothing is called.
    """
    job: _Job[T] = _Job(fn, on_done, on_error, owner)
    _pending.add(job)
    QThreadPool.globalInstance().start(_Runnable(job))


def is_idle() -> bool:
    """True when no background job is running or waiting to deliver its result."""
    return not _pending


def wait_idle(timeout: float = 15.0) -> bool:
    """Process events until every background job has delivered (for tests and shutdown); False on timeout."""
    deadline = time.monotonic() + timeout
    while _pending:
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    # Results delivered; let the slots' own follow-up events (repaints, queued signals) run too.
    QCoreApplication.processEvents()
    return True


class GuiThreadGarbageCollector(QObject):
    """Python's cyclic garbage collector, run on the GUI thread only.

    Left automatic, the collector runs on whichever thread happens to allocate — often a pool thread in the
    middle of a service call.  Collecting widgets' Python wrappers there makes PySide delete their C++ objects
    later on the GUI thread, after Qt may have deleted them with their parent: a crash (a segmentation fault
    "Garbage-collecting" while a page loaded, traced to ``BindingManager::addToDeletionInMainThread``).  So
    automatic collection is off and this timer collects on the GUI thread when Python's own thresholds say so.
    """

    INTERVAL_MS = 500

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(self.INTERVAL_MS)

    def collect(self) -> int:
        """Collect the generations whose counts passed the thresholds; the number of objects found."""
        count0, count1, count2 = gc.get_count()
        if count0 <= self.threshold[0]:
            return 0
        if count2 > self.threshold[2]:
            return gc.collect(2)
        if count1 > self.threshold[1]:
            return gc.collect(1)
        return gc.collect(0)


_collectors: dict[int, GuiThreadGarbageCollector] = {}


def collect_garbage_on_gui_thread(app: QCoreApplication) -> GuiThreadGarbageCollector:
    """Install the GUI-thread garbage collector once per application (``ui.main.setup_application``).

    Remembered here rather than found with ``app.findChild``: the first look through the application's
    children makes Python wrappers of Qt's own objects there, 8–15 ms of a start counted in milliseconds.
    """
    existing = _collectors.get(id(app))
    if existing is not None and shiboken6.isValid(existing) and existing.parent() is app:
        return existing
    collector = _collectors[id(app)] = GuiThreadGarbageCollector(app)
    return collector
