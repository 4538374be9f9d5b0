"""Live queue updates: PostgreSQL LISTEN/NOTIFY (migration ``0004_queue_notify``); other engines poll.

On PostgreSQL a trigger on ``hd_case`` sends ``NOTIFY halldesk_queue, '<department code>'`` when a case
enters, leaves or changes in a department queue.  ``QueueListener`` holds one connection of its own
(autocommit, ``LISTEN halldesk_queue``; never one from the engine's pool) and hands each department code
to a callback.

Threading contract: the listener runs in a daemon thread of its own, and ``on_change`` and ``on_state``
are called *on that thread*, one at a time.  They must be quick and must not touch GUI objects: a Qt page
emits a signal from them and does the work in its slot (Qt queues the call to the GUI thread).  An
exception raised by a callback is logged and the listener carries on.  After ``stop()`` the thread calls
nothing new (at most the one call it had already begun); ``stop()`` returns True once the thread has ended.

When the server goes away (restart, ``pg_terminate_backend``, a network cut noticed through TCP keepalives)
the listener reconnects with backoff (0.5 s doubling to 30 s) and reports ``on_state(False)`` then
``on_state(True)``; notifications sent meanwhile are lost, so a page should refresh on ``on_state(True)``.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from db.engine import DatabaseUrlError, normalise_url

CHANNEL = "halldesk_queue"
FIRST_RETRY_S = 0.5
MAX_RETRY_S = 30.0

log = logging.getLogger(__name__)


def supports_push(url: str) -> bool:
    """True when the database tells HallDesk about queue changes (PostgreSQL); other engines poll."""
    try:
        return normalise_url(url).get_backend_name() == "postgresql"
    except DatabaseUrlError:
        return False


def connect_kwargs(url: str) -> dict[str, Any]:
    """psycopg connection arguments for a HallDesk database URL (``postgresql[+psycopg]://…``)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"LISTEN/NOTIFY needs PostgreSQL, not {parsed.get_backend_name()}")
    kwargs: dict[str, Any] = parsed.translate_connect_args(username="user", database="dbname")
    kwargs.update({k: v for k, v in parsed.query.items() if isinstance(v, str)})
    kwargs.setdefault("application_name", "HallDesk queue listener")
    kwargs.setdefault("connect_timeout", 3)
    # An idle LISTEN connection sends nothing: keepalives notice a dead server or a cut cable in ~35 s.
    kwargs.setdefault("keepalives", 1)
    kwargs.setdefault("keepalives_idle", 20)
    kwargs.setdefault("keepalives_interval", 5)
    kwargs.setdefault("keepalives_count", 3)
    return kwargs


class QueueListener:
    """Calls ``on_change(dept_code)`` for every queue notification, from a thread of its own.

    ``start()`` returns at once (the thread connects); ``stop()`` wakes the thread, closes the connection
    and joins.  ``on_state(connected)`` reports each connect and each loss.  See the module docstring for
    the threading contract.
    """

    def __init__(
        self,
        url: str,
        on_change: Callable[[str], None],
        *,
        on_state: Callable[[bool], None] | None = None,
        channel: str = CHANNEL,
    ) -> None:
        self._kwargs = connect_kwargs(url)
        self._on_change = on_change
        self._on_state = on_state
        self._channel = channel
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        # stop() writes a byte here so that the thread's select() returns at once.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.backend_pid: int | None = None
        self.connects = 0

    # ---- control (any thread)
    def start(self) -> None:
        if self._thread is not None or self._stop.is_set():
            raise RuntimeError("a QueueListener starts once")
        self._thread = threading.Thread(target=self._run, name="halldesk-queue-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop listening; True once the thread has ended (within ``timeout`` seconds)."""
        self._stop.set()
        with contextlib.suppress(OSError):  # already closed: stopped before
            self._wake_w.send(b"x")
        thread = self._thread
        if thread is None:  # never started: nothing will close the wake-up pair
            self._wake_r.close()
            self._wake_w.close()
            return True
        if thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """Block until the listener is connected and listening (for tests and scripts, not the GUI thread)."""
        return self._connected.wait(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- the listener thread
    def _run(self) -> None:
        delay = FIRST_RETRY_S
        try:
            while not self._stop.is_set():
                try:
                    with psycopg.connect(autocommit=True, **self._kwargs) as conn:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                        self.backend_pid = conn.info.backend_pid
                        self.connects += 1
                        delay = FIRST_RETRY_S
                        self._set_state(True)
                        self._listen(conn)
                except (psycopg.Error, OSError) as exc:
                    if self._stop.is_set():
                        break
                    log.warning("queue listener: %s; reconnecting in %.1f s", exc, delay)
                finally:
                    self.backend_pid = None
                    if self._connected.is_set():
                        self._set_state(False)
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, MAX_RETRY_S)
        finally:
            self._wake_r.close()
            self._wake_w.close()

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        """Deliver notifications until stop() (returns) or until the connection breaks (psycopg raises)."""
        sock, wake = conn.fileno(), self._wake_r.fileno()
        while True:
            # What has arrived (psycopg may already hold some, read along with LISTEN's reply), or the
            # server's goodbye, which raises OperationalError.  timeout=0: read once, never block here.
            for notify in conn.notifies(timeout=0):
                if notify.payload and not self._stop.is_set():
                    self._call(self._on_change, notify.payload)
            if conn.closed:
                raise psycopg.OperationalError("connection closed")
            if self._stop.is_set():
                return
            ready, _, _ = select.select([sock, wake], [], [])
            if wake in ready:
                return

    def _set_state(self, connected: bool) -> None:
        if connected:
            self._connected.set()
        else:
            self._connected.clear()
        if self._on_state is not None and not self._stop.is_set():
            self._call(self._on_state, connected)

    @staticmethod
    def _call(callback: Callable[[Any], None], arg: object) -> None:
        try:
            callback(arg)
        except Exception:
            log.exception("queue listener callback failed")
