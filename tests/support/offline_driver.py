"""Processes for the fault tests to kill: a forking "zygote" that starts workers in a few milliseconds.

Starting Python and importing HallDesk takes a second or more on a busy machine; fifty kills would spend most
of the test's time there.  So the test starts one zygote (``python -m tests.support.offline_driver``) that
imports everything once and, for each JSON line on its stdin, forks a worker and answers ``{"pid": N}``.  The
test then SIGKILLs the worker whenever it likes.  The zygote never holds a database connection when it forks.

A worker appends progress lines to its ``log`` file with single ``os.write`` calls (O_APPEND, so a line is
either written whole or not at all): ``B <i>`` before the i-th transaction starts, ``C <i> <case_no>`` once
its commit has returned.  A kill that lands between ``B i`` and ``C i`` landed inside the transaction.

Jobs (every one on a counter's local store, ``app.counter_store.CounterStore``):
  {"job": "intake", "shared": URL, "local": PATH, "user": "clerk1", "log": PATH, "seed": N, "push": false}
      takes applications in a loop (five kinds of outcome in turn, or only acceptances with ``"accept_only"``)
      with ``CounterStore.take_application``; ``push`` pushes after each, as a counter does online.
  {"job": "sync", "shared": URL, "local": PATH, "log": PATH, "batch_size": N}
      pushes the outbox in a loop, and once it is empty marks it all unsent again (``resend_all``), so there
      is always a push running to be killed.  Lines: ``B <i>`` push begins, ``C <i> <cases> <pending>`` push
      done, ``E <i>`` shared database out of reach, ``R <i> <rows>`` outbox marked unsent.
"""

from __future__ import annotations

import ctypes
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
from app.counter_store import CounterStore
from app.demo import DEMO_PASSWORD
from tests.intake_support import all_received, immediate_item, item_with_tolerable, request

_actors: dict[tuple[str, str], Actor] = {}


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


def run_intake(job: dict[str, Any], store: CounterStore, actor: Actor) -> None:
    fd = _open_log(job)
    make = intake_requests(store.local, int(job["seed"]), accept_only=bool(job.get("accept_only")))
    catalog.list_items(store.local.uow())  # warm the catalog cache the way a counter would, before the loop
    push = bool(job.get("push", False))
    for i in range(int(job.get("max_cases", 10_000))):
        req = make(i)
        _log(fd, f"B {i}")
        view, _synced = store.take_application(actor, req, push=push)
        _log(fd, f"C {i} {view.case_no}")


def run_sync(job: dict[str, Any], store: CounterStore) -> None:
    fd = _open_log(job)
    batch = int(job.get("batch_size", 5))
    for i in range(int(job.get("max_pushes", 100_000))):
        _log(fd, f"B {i}")
        result = store.push_now(batch_size=batch)
        if result is None:
            _log(fd, f"E {i}")
            continue
        _log(fd, f"C {i} {result.cases} {result.pending}")
        if result.pending == 0:
            _log(fd, f"R {i} {store.resend_all()}")


def worker(job: dict[str, Any], actor: Actor | None) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Should the zygote die (the test run was killed), its workers go too: PR_SET_PDEATHSIG.
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    store = CounterStore.open(job["shared"], job["local"], pull=False)
    if job["job"] == "intake":
        assert actor is not None
        run_intake(job, store, actor)
    elif job["job"] == "sync":
        run_sync(job, store)
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
