"""Processes for the fault tests to kill: a forking "zygote" that starts workers in a few milliseconds.

Starting Python and importing HallDesk takes a second or more on a busy machine; fifty kills would spend most
of the test's time there.  So the test starts one zygote (``python -m tests.support.offline_driver``) that
imports everything once and, for each JSON line on its stdin, forks a worker and answers ``{"pid": N}``.  The
zygote never holds a database connection when it forks.

**Kill points are events, never times.**  A job's ``kill_at`` (``{"event": E, "n": N}``) makes the worker
SIGKILL itself at the N-th occurrence of event E (``EVENTS``: the N-th intake's rows written, its commit, the
N-th batch's shared commit before the local mark, ...), so a slow machine reaches exactly the code a test
means to break, and a fast one does not run past it.  The worker wraps the functions of ``app.infra.sync``,
``app.infra.outbox``, ``app.infra.file_upload`` and ``app.uow`` in its own process (``at_event``); production code has no test switches.
Tests that stop a server instead of killing a process use ``at_event`` in their own process to pause there.

A worker appends progress lines to its ``log`` file with single ``os.write`` calls (O_APPEND, so a line is
either written whole or not at all): ``B <i>`` before the i-th transaction starts, ``C <i> <case_no>`` once
its commit has returned, and ``K <event> <n>`` just before it kills itself.

Jobs (every one on a counter's local store, ``app.infra.counter_store.CounterStore``):
  {"job": "intake", "shared": URL, "local": PATH, "user": "clerk1", "log": PATH, "seed": N, "push": false}
      takes applications in a loop (five kinds of outcome in turn, or only acceptances with ``"accept_only"``)
      with ``CounterStore.take_application``; ``push`` pushes after each, as a counter does online.
  {"job": "sync", "shared": URL, "local": PATH, "log": PATH, "batch_size": N}
      pushes the outbox in a loop, and once it is empty marks it all unsent again (``resend_all``), so there
      is always a push running to be killed.  Lines: ``B <i>`` push begins, ``C <i> <cases> <pending>`` push
      done, ``E <i>`` shared database out of reach, ``R <i> <rows>`` outbox marked unsent.
      ``"arm_after_push": true``: the kill point counts only from the first ``resend_all`` on, i.e. it
      lands in the re-send of an outbox that was pushed whole once.
  {"job": "cli", "argv": [...], "log": PATH}
      runs the command line, ``python -m app ARGV`` (``app.__main__.main``), in the forked worker.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import random
import signal
import sys
from collections.abc import Callable
from typing import Any

from app import catalog, intake
from app.auth import Actor
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.infra import file_upload, outbox, sync
from app.infra.counter_store import CounterStore
from app.uow import UnitOfWork
from tests.intake_support import all_received, immediate_item, item_with_tolerable, request

_actors: dict[tuple[str, str], Actor] = {}

# The events a kill (or a pause) can be placed at: the object holding the function, its name, and whether the
# event is just before the call or just after it returns.  Counted per process, from ``at_event`` on.
EVENTS: dict[str, tuple[Any, str, str]] = {
    # An intake's case, materials, notices and print jobs are written; its outbox and audit rows are not.
    "intake_written": (outbox, "record", "before"),
    # An intake (or resubmission) has written everything and is about to commit.
    "intake_commit": (UnitOfWork, "commit", "before"),
    # The commit has returned: the case is stored, though the worker has not said so yet.
    "intake_committed": (UnitOfWork, "commit", "after"),
    # A push is about to read its next batch: every batch before it is committed on both sides.
    "batch_start": (sync, "_read_batch", "before"),
    # Inside a batch's shared transaction, its rows written, not committed.
    "shared_open": (sync, "_advance_heads", "before"),
    # A batch is committed on the shared database and not yet marked sent in the local store.
    "shared_committed": (sync, "_write_shared", "after"),
    # The whole outbox (and the audit chain) was just marked unsent, nothing re-sent yet.
    "resent": (sync, "resend_all", "after"),
    # An 电子件 chunk is committed on the shared database and not yet counted in the store (``sent_chunks``).
    "chunk_sent": (file_upload, "send_chunk", "after"),
}


def at_event(
    event: str, n: int, action: Callable[[], None], patch: Callable[[Any, str, Any], None] = setattr
) -> None:
    """Run ``action`` at the ``n``-th occurrence of ``event`` in this process (``patch``: how to replace the
    function, e.g. pytest's ``monkeypatch.setattr`` so that it is put back after the test)."""
    owner, name, when = EVENTS[event]
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def hooked(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if when == "before" and calls == n:
            if event == "intake_commit":
                args[0].session.flush()  # every row of the transaction written, none committed
            action()
        result = original(*args, **kwargs)
        if when == "after" and calls == n:
            action()
        return result

    patch(owner, name, hooked)


def kill_at(fd: int, event: str, n: int) -> None:
    """SIGKILL this process at the ``n``-th ``event``, saying so in the log first (``K <event> <n>``)."""

    def die() -> None:
        _log(fd, f"K {event} {n}")
        os.kill(os.getpid(), signal.SIGKILL)

    at_event(event, n, die)


def _log(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode("utf-8"))


def intake_requests(
    hall: HallDesk, seed: int, *, accept_only: bool = False
) -> Callable[[int], intake.IntakeRequest]:
    """The i-th application of a worker: accept, 容缺 accept, correction, refusal and 即办, in turn
    (``accept_only``: accept and 容缺 accept, so that every case joins the department's queue)."""
    item = item_with_tolerable(hall)
    quick = immediate_item(hall)
    tolerable = next(m for m in item.materials if m.tolerable)
    required = [m for m in item.materials if m.required and not m.covered_by]
    rng = random.Random(seed)

    def make(i: int) -> intake.IntakeRequest:
        kind = (i + rng.randrange(5)) % (2 if accept_only else 5)
        if kind == 0:
            return request(item)
        if kind == 1:
            return request(
                item, materials={**all_received(item), tolerable.code: intake.MaterialInput("tolerated")}
            )
        if kind == 2:
            return request(
                item,
                "correction",
                materials={**all_received(item), required[0].code: intake.MaterialInput("missing")},
            )
        if kind == 3:
            return request(item, "refuse", reason=intake.REFUSAL_REASONS[1])
        return request(quick, "immediate", materials=all_received(quick))

    return make


def _actor(job: dict[str, Any]) -> Actor:
    """Log in once per store in the zygote (argon2 is slow), then close the store before any fork."""
    key = (job["local"], job["user"])
    if key not in _actors:
        store = CounterStore.open(job["shared"], job["local"], pull=False)
        try:
            _actors[key] = store.login(job["user"], DEMO_PASSWORD)
        finally:
            store.close()
    return _actors[key]


def _open_log(job: dict[str, Any]) -> int:
    return os.open(job["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def run_intake(job: dict[str, Any], fd: int, store: CounterStore, actor: Actor) -> None:
    make = intake_requests(store.local, int(job["seed"]), accept_only=bool(job.get("accept_only")))
    catalog.list_items(store.local.uow())  # warm the catalog cache the way a counter would, before the loop
    push = bool(job.get("push", False))
    for i in range(int(job.get("max_cases", 10_000))):
        req = make(i)
        _log(fd, f"B {i}")
        view, _synced = store.take_application(actor, req, push=push)
        _log(fd, f"C {i} {view.case_no}")


def run_sync(job: dict[str, Any], fd: int, store: CounterStore, arm: Callable[[], None]) -> None:
    batch = int(job.get("batch_size", 5))
    for i in range(int(job.get("max_pushes", 100_000))):
        _log(fd, f"B {i}")
        result = store.push_now(batch_size=batch)
        if result is None:
            _log(fd, f"E {i}")
            continue
        _log(fd, f"C {i} {result.cases} {result.pending}")
        if result.pending == 0:
            arm()
            _log(fd, f"R {i} {store.resend_all()}")


def worker(job: dict[str, Any], actor: Actor | None) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Should the zygote die (the test run was killed), its workers go too: PR_SET_PDEATHSIG.
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    fd = _open_log(job)
    kill = job.get("kill_at")
    armed = False

    def arm() -> None:
        nonlocal armed
        if kill and not armed:
            kill_at(fd, kill["event"], int(kill["n"]))
            armed = True

    if not job.get("arm_after_push"):
        arm()
    if job["job"] == "cli":
        from app.__main__ import main

        os.dup2(2, 1)  # the zygote's stdout answers the test: the command's output goes to stderr
        main(list(job["argv"]))
        return
    store = CounterStore.open(job["shared"], job["local"], pull=False)
    if job["job"] == "intake":
        assert actor is not None
        run_intake(job, fd, store, actor)
    elif job["job"] == "sync":
        run_sync(job, fd, store, arm)
    else:
        raise SystemExit(f"unknown job {job['job']!r}")


def zygote() -> None:
    # Workers are reaped at once: the test sees a dead worker as a missing pid.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        job = json.loads(line)
        actor = _actor(job) if job["job"] == "intake" else None
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                worker(job, actor)
            except BaseException as exc:
                sys.stderr.write(f"worker {os.getpid()} failed: {exc!r}\n")
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    zygote()
