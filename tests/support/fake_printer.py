"""A network receipt printer on 127.0.0.1 for tests: a real TCP server on a real port.

Each accepted connection is a job.  ``DLE EOT n`` status queries at the start of a connection are
answered (and not recorded as job bytes); everything after them is the job.  Behaviour can change while
running through :attr:`FakePrinter.mode`:

``"ok"``            read everything, close when the client closes its side
``"refuse"``        stop listening, so connects are refused by the kernel; back to ``"ok"`` listens again
                    on the same port
``"stall"``         accept but never read (a jammed printer): the client's buffers fill up
``"hangup_after"``  read :attr:`hangup_after` job bytes, then abort the connection (reset)
``"paper_out"``     answer the paper status query with "paper end" (0x72), otherwise like ``"ok"``

The input buffer is kept small (``recv_buffer``) like a real printer's, so a stalled job blocks the sender
after a few hundred kilobytes rather than after many megabytes of loopback buffering.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

__all__ = ["FakePrinter", "Job", "Mode"]

Mode = Literal["ok", "refuse", "stall", "hangup_after", "paper_out"]
STATUS_OK = 0x12
STATUS_PAPER_END = 0x72  # paper end bits 0x60 set
STATUS_NEAR_END = 0x1E  # paper near end bits 0x0C set: still prints
OFFLINE_COVER_OPEN = 0x16  # DLE EOT 2 with bit 2 (cover open)


@dataclass
class Job:
    """One connection: the bytes after the status queries and when they came."""

    data: bytearray = field(default_factory=bytearray)
    status_queries: list[int] = field(default_factory=list)  # n of each DLE EOT n answered
    connected_at: float = 0.0  # time.perf_counter()
    first_byte_at: float | None = None
    last_byte_at: float | None = None
    ended_at: float | None = None
    ended_by: str = ""  # "client" (EOF), "hangup", "reset", "server_stop"


class FakePrinter:
    """Context manager: ``with FakePrinter() as printer: send(printer.uri, data)``."""

    def __init__(self, *, paper_out: bool = False, paper_near_end: bool = False, cover_open: bool = False,
                 silent: bool = False, recv_buffer: int = 8192) -> None:
        self.paper_out = paper_out
        self.paper_near_end = paper_near_end
        self.cover_open = cover_open
        self.silent = silent  # never answer status queries, like many cheap printers
        self.hangup_after = 0
        self.recv_buffer = recv_buffer
        self.port = 0
        self._mode: Mode = "ok"
        self._lock = threading.Condition()
        self._records: list[Job] = []
        self._finished: list[Job] = []
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._stopping = threading.Event()
        self.errors: list[BaseException] = []

    # -- lifecycle ------------------------------------------------------------------------------------

    def __enter__(self) -> FakePrinter:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        self._listen()

    def stop(self) -> None:
        self._stopping.set()
        self._unlisten()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=5)

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    # -- behaviour ------------------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        self.set_mode(mode)

    def set_mode(self, mode: Mode, *, hangup_after: int | None = None) -> None:
        if mode not in ("ok", "refuse", "stall", "hangup_after", "paper_out"):
            raise ValueError(mode)
        if hangup_after is not None:
            self.hangup_after = hangup_after
        with self._lock:
            self._mode = mode
            self._lock.notify_all()
        if mode == "refuse":
            self._unlisten()
        elif self._listener is None:
            self._listen()

    # -- results --------------------------------------------------------------------------------------

    @property
    def jobs(self) -> list[bytes]:
        """Bytes of each finished connection, in the order they finished."""
        with self._lock:
            return [bytes(job.data) for job in self._finished]

    @property
    def records(self) -> list[Job]:
        """Every connection so far (finished or not), in the order they were accepted."""
        with self._lock:
            return list(self._records)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._records)

    def wait_for_jobs(self, n: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``n`` connections have finished; raises ``TimeoutError`` otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._finished) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._finished)} of {n} print jobs arrived")
                self._lock.wait(left)
            return [bytes(job.data) for job in self._finished]

    # -- server ---------------------------------------------------------------------------------------

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Set before listen() so accepted sockets inherit it (and the TCP window is sized from it).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.recv_buffer)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        sock.settimeout(0.1)  # the accept loop also polls for stop(), where shutdown() does not wake accept()
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._spawn(self._accept_loop, sock)

    def _unlisten(self) -> None:
        sock, self._listener = self._listener, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            sock.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=self._guard, args=(target, *args), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guard(self, target: Callable[..., None], *args: object) -> None:
        try:
            target(*args)
        except BaseException as exc:  # surfaced through .errors so a test can assert the fake itself is fine
            self.errors.append(exc)

    def _accept_loop(self, sock: socket.socket) -> None:
        while not self._stopping.is_set() and self._listener is sock:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listening socket closed: "refuse" or stop()
            job = Job(connected_at=time.perf_counter())
            with self._lock:
                self._records.append(job)
                self._conns.append(conn)
            self._spawn(self._serve, conn, job)

    def _status(self, n: int) -> int:
        if n == 4:
            if self.paper_out or self._mode == "paper_out":
                return STATUS_PAPER_END
            return STATUS_NEAR_END if self.paper_near_end else STATUS_OK
        if n == 2 and self.cover_open:
            return OFFLINE_COVER_OPEN
        return STATUS_OK

    def _finish(self, conn: socket.socket, job: Job, how: str) -> None:
        job.ended_at = time.perf_counter()
        job.ended_by = how
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
            self._finished.append(job)
            self._lock.notify_all()
        conn.close()

    def _serve(self, conn: socket.socket, job: Job) -> None:
        conn.settimeout(0.05)
        head = bytearray()  # bytes not yet known to be job data: status queries come first
        in_head = True
        while True:
            if self._stopping.is_set():
                self._finish(conn, job, "server_stop")
                return
            if self._mode == "stall":
                time.sleep(0.02)  # a jammed printer: hold the connection, read nothing
                continue
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                self._finish(conn, job, "reset")
                return
            now = time.perf_counter()
            if not chunk:
                if head:
                    self._take(job, head, now)
                self._finish(conn, job, "client")
                return
            if in_head:
                head += chunk
                while len(head) >= 3 and head[0] == 0x10 and head[1] == 0x04:
                    n = head[2]
                    job.status_queries.append(n)
                    del head[:3]
                    if not self.silent:
                        conn.sendall(bytes([self._status(n)]))
                if len(head) < 3 and bytes(head[:2]) in (b"", b"\x10", b"\x10\x04"):
                    continue  # maybe the start of another query
                in_head = False
                chunk = bytes(head)
                head.clear()
            self._take(job, chunk, now)
            if self._mode == "hangup_after" and len(job.data) >= self.hangup_after:
                # Abort with a reset, as a printer that reboots or drops the socket mid-job does.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self._finish(conn, job, "hangup")
                return

    def _take(self, job: Job, chunk: bytes | bytearray, now: float) -> None:
        if self._mode == "hangup_after":
            chunk = chunk[: max(0, self.hangup_after - len(job.data))]
        if not chunk:
            return
        if job.first_byte_at is None:
            job.first_byte_at = now
        job.last_byte_at = now
        job.data += chunk
