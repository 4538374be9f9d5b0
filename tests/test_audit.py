"""The audit trail is hash-chained: any change, deletion or insertion is found and named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Integer, String, bindparam, delete, select, update

from app import audit, hall_settings
from app.context import HallDesk
from app.hall_settings import HallSettings
from db.models import AuditChainHead, AuditEvent
from tests.conftest import log_in, pg_only

# The admin's actions go to the admin's own chain (every writer has one; see app/audit.py).
CHAIN = audit.writer_chain("admin")


def _write_some(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    for i in range(3):
        hall_settings.save_hall_settings(hall.uow(), admin, HallSettings(phone=f"0791-8370000{i}"))


def _verify(hall: HallDesk) -> audit.AuditReport:
    with hall.uow() as uow:
        return audit.verify(uow.session)


def _row(hall: HallDesk, seq: int) -> AuditEvent:
    with hall.uow() as uow:
        return uow.session.execute(
            select(AuditEvent).where(AuditEvent.chain == CHAIN, AuditEvent.seq == seq)
        ).scalar_one()


def test_intact_trail_verifies_and_change_is_in_same_transaction(hall: HallDesk) -> None:
    _write_some(hall)
    report = _verify(hall)
    assert report.ok and report.problem is None
    assert report.chains[CHAIN] == 4  # the login and three settings
    assert sum(report.chains.values()) == report.rows and set(report.chains) >= {CHAIN, audit.HALL_CHAIN}
    settings_rows = [e for e in _all(hall) if e.action == "hall.settings"]
    assert len(settings_rows) == 3
    assert '"phone":"0791-83700002"' in settings_rows[-1].payload


def _all(hall: HallDesk, chain: str | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    if chain is not None:
        q = q.where(AuditEvent.chain == chain)
    with hall.uow() as uow:
        return list(uow.session.execute(q).scalars())


@pytest.mark.parametrize("field", ["payload", "actor", "at"])
def test_changed_row_is_named(hall: HallDesk, field: str) -> None:
    _write_some(hall)
    victim = _row(hall, 3)
    values = {
        "payload": "{\"tampered\":true}",
        "actor": "someone_else",
        "at": victim.at + timedelta(seconds=1),
    }
    with hall.uow() as uow:
        uow.session.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values({field: values[field]}))
        uow.commit()
    report = _verify(hall)
    assert not report.ok and report.problem is not None
    assert (report.problem.seq, report.problem.event_id) == (3, str(victim.id))
    assert "改动" in report.problem.reason


def test_deleted_row_is_found(hall: HallDesk) -> None:
    _write_some(hall)
    victim = _row(hall, 2)
    with hall.uow() as uow:
        uow.session.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
        uow.commit()
    report = _verify(hall)
    assert report.problem is not None and report.problem.seq == 3
    assert "删除" in report.problem.reason


def test_cut_off_tail_is_found(hall: HallDesk) -> None:
    _write_some(hall)
    last = max(e.seq for e in _all(hall, CHAIN))
    with hall.uow() as uow:
        uow.session.execute(delete(AuditEvent).where(AuditEvent.chain == CHAIN, AuditEvent.seq == last))
        uow.commit()
    report = _verify(hall)
    assert report.problem is not None and report.problem.seq == last
    assert "截断" in report.problem.reason


def test_inserted_row_is_found(hall: HallDesk) -> None:
    _write_some(hall)
    rows = _all(hall, CHAIN)
    # A forger shifts the later rows up by one and slips a well-formed row in at seq 3.
    with hall.uow() as uow:
        s = uow.session
        for e in sorted(rows, key=lambda e: -e.seq):
            if e.seq >= 3:
                s.execute(update(AuditEvent).where(AuditEvent.id == e.id).values(seq=e.seq + 1))
                s.flush()
        prev = rows[1]
        forged = AuditEvent(id=uuid.uuid4(), chain=CHAIN, seq=3, at=prev.at, actor="admin", action="user.add",
                            entity="user", entity_id="x", payload="{}", prev_hash=prev.hash)
        forged.hash = audit.row_hash(id=str(forged.id), chain=CHAIN, seq=3, at=prev.at, actor="admin",
                                     action="user.add", entity="user", entity_id="x", payload="{}",
                                     prev_hash=prev.hash)
        s.add(forged)
        s.execute(update(AuditChainHead).where(AuditChainHead.chain == CHAIN).values(seq=len(rows) + 1))
        uow.commit()
    report = _verify(hall)
    assert report.problem is not None and report.problem.seq == 4
    assert "前序哈希" in report.problem.reason


def test_chains_verify_independently(hall: HallDesk) -> None:
    with hall.uow() as uow:
        for i in range(3):
            audit.append(uow.session, actor="clerk1", action="test", entity="x", entity_id=str(i), chain="counter:1")
        uow.commit()
    _write_some(hall)
    report = _verify(hall)
    assert report.ok
    assert report.chains["counter:1"] == 3


def test_writers_do_not_wait_for_each_other(hall: HallDesk, engine_name: str) -> None:
    """Two users' audited transactions run side by side: each appends to its own chain's head."""
    if engine_name == "sqlite":
        pytest.skip("SQLite serialises every write transaction anyway (BEGIN IMMEDIATE)")
    first, second = hall.uow(), hall.uow()
    with first:
        first.audit("clerk1", "test.one", "case", "a")  # clerk1's chain head is now locked until commit
        with second:
            conn = second.session.connection()
            # Fail fast instead of waiting, if the second writer had to queue behind the first.
            conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'" if engine_name == "postgresql"
                                 else "SET SESSION innodb_lock_wait_timeout = 2")
            second.audit("clerk2", "test.two", "case", "b")
            second.commit()
        first.commit()
    report = _verify(hall)
    assert report.ok and report.chains[audit.writer_chain("clerk1")] >= 1
    assert report.chains[audit.writer_chain("clerk2")] >= 1


AWKWARD = ["", "plain", '引号"与\\反斜杠', "控制\n\r\t\b\f\x01\x1f\x7f字符", "emoji 🧾 and \u2028 line sep",
           "</script>'single'", "全角，标点。“”"]


@pg_only
@pytest.mark.parametrize("text", AWKWARD)
def test_the_server_hashes_a_row_exactly_as_python_does(hall: HallDesk, text: str) -> None:
    # A claim on PostgreSQL writes its audit row in SQL (app.claims): verify() must accept it.
    at = datetime(2026, 11, 27, 8, 5, 9, 120034, tzinfo=UTC)
    fields = {"id": str(uuid.uuid4()), "chain": f"user:{text}", "seq": 41, "actor": text, "action": "case.claim",
              "entity": "case", "entity_id": text[::-1], "payload": audit.canonical_json({"case_no": text, "token": 7}),
              "prev_hash": "ab" * 32}
    binds = {name: bindparam(name, value, type_=String) for name, value in fields.items() if name != "seq"}
    server = select(
        audit.row_hash_sql(**binds, seq=bindparam("seq", 41, type_=Integer),
                           at=bindparam("at", audit.iso_time(at), type_=String)),
        audit.canonical_json_sql({"case_no": bindparam("c", text, type_=String), "token": bindparam("t", 7, type_=Integer)},
                                 numbers=frozenset({"token"})),
    )
    with hall.uow() as uow:
        digest, payload = uow.session.execute(server).one()
    assert payload == fields["payload"]
    assert digest == audit.row_hash(**fields, at=at)  # type: ignore[arg-type]
