"""Live queue updates: the PostgreSQL trigger notifies the right department, the listener survives its server.

Negative checks need no sleeps: after the change that must stay silent, the test sends its own
``NOTIFY halldesk_queue, 'MARK'``.  PostgreSQL delivers notifications in commit order, so everything the
earlier change caused arrives before the mark.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app import cases, catalog, claims, decisions, intake
from app.context import HallDesk
from app.infra.live import CHANNEL, QueueListener, connect_kwargs, supports_push
from tests.conftest import log_in, pg_only
from tests.intake_support import all_received, request

WAIT_S = 10.0  # an upper bound for the network, never an expectation


class Recorder:
    """Collects what the listener reports, on its thread, for the test thread to read."""

    def __init__(self) -> None:
        self.changes: queue.Queue[str] = queue.Queue()
        self.states: queue.Queue[bool] = queue.Queue()

    def on_change(self, dept: str) -> None:
        self.changes.put(dept)

    def on_state(self, connected: bool) -> None:
        self.states.put(connected)

    def until_mark(self, hall: HallDesk, mark: str = "MARK") -> list[str]:
        """Everything received before our own mark: what the changes so far caused."""
        with hall.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_notify(:channel, :mark)"), {"channel": CHANNEL, "mark": mark})
        received = []
        while (dept := self.changes.get(timeout=WAIT_S)) != mark:
            received.append(dept)
        return received

    def next_state(self) -> bool:
        return self.states.get(timeout=WAIT_S)


@pytest.fixture
def listening(hall: HallDesk) -> Iterator[tuple[QueueListener, Recorder]]:
    recorder = Recorder()
    listener = QueueListener(hall.url, recorder.on_change, on_state=recorder.on_state)
    listener.start()
    assert recorder.next_state() is True
    yield listener, recorder
    listener.stop()


def _accept(hall: HallDesk, dept: str = "SCJ") -> str:
    clerk = log_in(hall, "clerk1")
    item = catalog.get_item(
        hall.uow(), next(i.code for i in catalog.list_items(hall.uow(), dept) if not i.immediate)
    )
    return intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item))).case_no


def _backend_alive(hall: HallDesk, pid: int) -> bool:
    with hall.engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
        )


def test_supports_push_only_on_postgresql(hall: HallDesk, engine_name: str) -> None:
    assert supports_push(hall.url) is (engine_name == "postgresql")


@pytest.mark.parametrize(
    ("url", "push"),
    [
        ("postgresql://u:p@db.example:5433/hall", True),
        ("postgresql+psycopg://u@10.0.0.5/hall?sslmode=require", True),
        ("mysql://root@127.0.0.1/hall", False),
        ("mariadb+pymysql://root@127.0.0.1/hall", False),
        ("sqlite:///halldesk.sqlite3", False),
        ("not a url", False),
    ],
)
def test_supports_push_by_url(url: str, push: bool) -> None:
    assert supports_push(url) is push


def test_connect_kwargs_come_from_the_url() -> None:
    kwargs = connect_kwargs("postgresql://hall:s3cret@db.example:5433/halldesk?sslmode=require")
    assert {k: kwargs[k] for k in ("host", "port", "user", "password", "dbname", "sslmode")} == {
        "host": "db.example",
        "port": 5433,
        "user": "hall",
        "password": "s3cret",
        "dbname": "halldesk",
        "sslmode": "require",
    }
    assert kwargs["keepalives"] == 1
    with pytest.raises(ValueError, match="PostgreSQL"):
        connect_kwargs("sqlite:///x.sqlite3")


@pg_only
def test_accept_claim_renew_decide_notify_the_department(
    hall: HallDesk, listening: tuple[QueueListener, Recorder]
) -> None:
    _, rec = listening
    no = _accept(hall)
    # One transaction, one message per department: PostgreSQL folds equal payloads.
    assert rec.until_mark(hall) == ["SCJ"]
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, no)
    assert rec.until_mark(hall) == ["SCJ"]
    claims.renew(hall.uow(), rev, no, claim.token)
    assert rec.until_mark(hall) == ["SCJ"]
    decisions.decide(hall.uow(), rev, no, "approve", token=claim.token, reason="符合条件")
    assert rec.until_mark(hall) == ["SCJ"]
    # Another department's case is another department's news.
    _accept(hall, "ZJJ")
    assert rec.until_mark(hall) == ["ZJJ"]


@pg_only
def test_release_and_claim_next_notify(hall: HallDesk, listening: tuple[QueueListener, Recorder]) -> None:
    _, rec = listening
    no = _accept(hall)
    rec.until_mark(hall)
    rev = log_in(hall, "rev_scj")
    claim = claims.claim_next(hall.uow(), rev, "SCJ")
    assert claim is not None and cases.read_case(hall.uow(), no).status == "in_review"
    assert rec.until_mark(hall) == ["SCJ"]
    claims.release(hall.uow(), rev, no)
    assert rec.until_mark(hall) == ["SCJ"]


@pg_only
def test_transfer_notifies_both_departments(
    hall: HallDesk, listening: tuple[QueueListener, Recorder]
) -> None:
    _, rec = listening
    no = _accept(hall)
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, no)
    rec.until_mark(hall)
    decisions.decide(
        hall.uow(), rev, no, "transfer", token=claim.token, reason="属住建局职责", transfer_to="ZJJ"
    )
    assert sorted(rec.until_mark(hall)) == ["SCJ", "ZJJ"]


@pg_only
def test_changes_the_queue_does_not_show_stay_silent(
    hall: HallDesk, listening: tuple[QueueListener, Recorder]
) -> None:
    _, rec = listening
    no = _accept(hall)
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, no)
    rec.until_mark(hall)
    # A review opinion, a corrected phone number and a recomputed due date change no queue column.
    decisions.add_opinion(hall.uow(), rev, no, "材料齐全，符合条件", claim.token)
    with hall.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE hd_case SET agent_phone = '13900000000', promised_due = promised_due + 1,"
                " version = version + 1 WHERE case_no = :no"
            ),
            {"no": no},
        )
    assert rec.until_mark(hall) == []
    # Writing the same status again is no change either.
    with hall.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE hd_case SET status = status, holder_id = holder_id WHERE case_no = :no"),
            {"no": no},
        )
    assert rec.until_mark(hall) == []


@pg_only
def test_nothing_is_sent_before_commit_or_after_rollback(
    hall: HallDesk, listening: tuple[QueueListener, Recorder]
) -> None:
    _, rec = listening
    no = _accept(hall)
    rec.until_mark(hall)
    with hall.engine.connect() as conn:
        conn.execute(sa.text("UPDATE hd_case SET status = 'in_review' WHERE case_no = :no"), {"no": no})
        conn.rollback()
    assert rec.until_mark(hall) == []


@pg_only
def test_listener_survives_a_terminated_connection(
    hall: HallDesk, listening: tuple[QueueListener, Recorder]
) -> None:
    listener, rec = listening
    first = listener.backend_pid
    assert first is not None
    with hall.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one() is True
    assert rec.next_state() is False
    assert rec.next_state() is True
    assert listener.connects == 2 and listener.backend_pid not in (None, first)
    _accept(hall)
    assert rec.until_mark(hall) == ["SCJ"]
    # And again: the backoff starts over after each successful connect.
    with hall.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid})
    assert (rec.next_state(), rec.next_state()) == (False, True)
    _accept(hall, "ZJJ")
    assert rec.until_mark(hall) == ["ZJJ"]


@pg_only
def test_stop_is_prompt_and_closes_the_connection(
    hall: HallDesk, listening: tuple[QueueListener, Recorder]
) -> None:
    listener, rec = listening
    pid = listener.backend_pid
    assert pid is not None and _backend_alive(hall, pid)
    assert listener.stop(timeout=1.0) is True
    assert not listener.is_alive() and not listener.connected
    deadline = time.monotonic() + WAIT_S
    while _backend_alive(hall, pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _backend_alive(hall, pid)
    # stop() reports no loss of connection: nobody is listening any more.
    assert rec.states.empty()
    assert listener.stop() is True  # stopping twice is harmless


@pg_only
def test_stop_while_the_server_is_unreachable(hall: HallDesk) -> None:
    # A port nobody listens on: the listener keeps retrying with backoff, and still stops at once.
    dead = hall.engine.url.set(port=1).render_as_string(hide_password=False)
    rec = Recorder()
    listener = QueueListener(dead, rec.on_change, on_state=rec.on_state)
    listener.start()
    assert not listener.wait_connected(0.5)
    assert listener.stop(timeout=1.0) is True
    assert rec.states.empty()


@pg_only
def test_a_failing_callback_does_not_end_the_listener(hall: HallDesk) -> None:
    rec = Recorder()

    def flaky(dept: str) -> None:
        rec.on_change(dept)
        if dept == "SCJ":
            raise RuntimeError("the page is gone")

    listener = QueueListener(hall.url, flaky)
    listener.start()
    try:
        assert listener.wait_connected(WAIT_S)
        _accept(hall)
        assert rec.until_mark(hall) == ["SCJ"]
        _accept(hall, "ZJJ")
        assert rec.until_mark(hall) == ["ZJJ"]
    finally:
        assert listener.stop() is True
