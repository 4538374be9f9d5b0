"""Shared bench helpers: throw-away databases with the demo data, percentiles, and the raw-SQL baselines.

The raw baselines (``RawDb``, ``raw_intake``, ``raw_claim``, ``RAW_QUEUE_PAGE``, ``raw_audit``) write the rows a
HallDesk operation writes as plain psycopg / PyMySQL statements: no checks, no ORM, no reference reads, no
documents built, fake hashes.  Each bench runs them in the same run as HallDesk, so the ratio holds on a machine
whose speed drifts.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
import pymysql  # type: ignore[import-untyped]  # no stubs installed
import sqlalchemy as sa
from sqlalchemy.engine import make_url

if "HALLDESK_DATA_DIR" not in os.environ:  # keys and logs of a bench run never go to the user's folder
    os.environ["HALLDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="halldesk-bench-")

from app.context import HallDesk
from app.demo import load_demo
from db.engine import make_engine
from tests.support.mariadb_copy import copy_rows

PG_ADMIN = os.environ.get("HALLDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MY_ADMIN = os.environ.get("HALLDESK_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/mysql")
ENGINES = {"postgresql": PG_ADMIN, "mariadb": MY_ADMIN}
T = TypeVar("T")


def engine_of(url: str) -> str:
    """``postgresql`` or ``mariadb`` for a database URL (MySQL URLs count as MariaDB)."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return "postgresql"
    if backend in ("mysql", "mariadb"):
        return "mariadb"
    raise ValueError(f"benchmarks run on PostgreSQL or MariaDB, not {backend}")


def _admin_engine(url: str) -> sa.Engine:
    """An autocommit engine on the server of ``url``, connected to its maintenance database."""
    parsed = make_url(url)
    maintenance = "postgres" if engine_of(url) == "postgresql" else "mysql"
    return make_engine(parsed.set(database=maintenance).render_as_string(hide_password=False),
                       isolation_level="AUTOCOMMIT")


def create_database(engine: str = "postgresql", admin_url: str | None = None) -> str:
    """A new empty database on ``engine``'s server (``admin_url``, else the test servers); returns its URL."""
    admin = make_engine(admin_url or ENGINES[engine], isolation_level="AUTOCOMMIT")
    name = f"hd_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as c:
            if engine == "postgresql":
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:
                c.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        return admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    admin = _admin_engine(url)
    name = make_url(url).database
    try:
        with admin.connect() as c:
            if engine_of(url) == "postgresql":
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        admin.dispose()


def clone_database(url: str) -> str:
    """A copy of the database at ``url`` (schema, rows, ids) on the same server; returns the copy's URL.

    PostgreSQL copies it as a template, so nobody may be connected to it meanwhile; MariaDB has no templates
    (``tests.support.mariadb_copy``).
    """
    admin = _admin_engine(url)
    source = make_url(url).database
    name = f"hd_bench_{uuid.uuid4().hex[:8]}"
    clone = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as c:
            if engine_of(url) == "postgresql":
                c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
                return clone
            c.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    finally:
        admin.dispose()
    copy_rows(clone, str(source))
    return clone


@contextmanager
def throwaway_hall(engine: str = "postgresql", admin_url: str | None = None) -> Iterator[HallDesk]:
    """HallDesk on a fresh database with the demo data (PostgreSQL or MariaDB); dropped afterwards."""
    url = create_database(engine, admin_url)
    hall: HallDesk | None = None
    try:
        hall = HallDesk.open(url, upgrade=True)
        load_demo(hall.uow(), folder_printers=False)
        yield hall
    finally:
        if hall is not None:
            hall.close()
        drop_database(url)


def postgres_hall() -> AbstractContextManager[HallDesk]:
    """HallDesk on a fresh PostgreSQL database with the demo data; dropped afterwards."""
    return throwaway_hall("postgresql")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def p50(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


# ---- the raw baselines ---------------------------------------------------------------------------------------


_TRANSIENT = {"40001", "40P01", 1213, 1205}  # serialization failure, deadlock; MariaDB deadlock, lock wait timeout


def raw_retry(db: RawDb, fn: Callable[[], T], attempts: int = 5) -> T:
    """Run a raw transaction again when the server picked it as a deadlock victim, as any client must (HallDesk's
    services do the same through ``app.uow.retry_transient``)."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (psycopg.Error, pymysql.err.MySQLError) as exc:
            db.rollback()
            code = getattr(exc, "sqlstate", None) or (exc.args[0] if exc.args else None)
            if attempt == attempts or code not in _TRANSIENT:
                raise
            time.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")


class RawDb:
    """A plain DBAPI connection (psycopg on PostgreSQL, PyMySQL on MariaDB) for the raw baselines.

    Both drivers take ``%s`` placeholders; what differs is spelt here: MariaDB's UUID column takes the text form,
    and it has no ``UPDATE … RETURNING``.
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.pg = engine_of(url) == "postgresql"
        self.conn: Any
        if self.pg:
            self.conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
        else:
            self.conn = pymysql.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 3306,
                                        user=parsed.username or "root", password=parsed.password or "",
                                        database=parsed.database, charset="utf8mb4")

    def id(self, value: uuid.UUID | None) -> Any:
        return value if self.pg or value is None else str(value)

    def cursor(self) -> Any:
        return self.conn.cursor()

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

    def next_value(self, cur: Any, scope: str, period: str) -> int:
        """Bump a ``counter_sequence`` row made beforehand (``add_sequences``) and read it back."""
        if self.pg:
            cur.execute("UPDATE counter_sequence SET value = value + 1 WHERE scope = %s AND period = %s"
                        " RETURNING value", (scope, period))
            return int(cur.fetchone()[0])
        # One round trip on MariaDB too: the OK packet carries LAST_INSERT_ID(expr).
        cur.execute("UPDATE counter_sequence SET value = LAST_INSERT_ID(value + 1) WHERE scope = %s AND period = %s",
                    (scope, period))
        return int(cur.lastrowid)

    def add_sequences(self, scope: str, periods: tuple[str, ...]) -> None:
        cur = self.cursor()
        for period in periods:
            cur.execute("INSERT INTO counter_sequence (scope, period, value) VALUES (%s, %s, 0)", (scope, period))
        self.commit()


def utc_naive() -> datetime:
    """Now in UTC as the columns store it (naive)."""
    return datetime.now(UTC).replace(tzinfo=None)


FAKE_HASH = "1" * 64


def raw_audit(db: RawDb, cur: Any, actor: str, action: str, entity_id: str, now: datetime,
              payload: str = "{}") -> None:
    """An audit row on the actor's chain under its locked head, with a fake hash (no canonical JSON, no SHA-256)."""
    chain = f"user:{actor}"
    cur.execute("SELECT seq FROM audit_chain_head WHERE chain = %s FOR UPDATE", (chain,))
    head = cur.fetchone()
    seq = head[0] + 1 if head else 1
    cur.execute("INSERT INTO audit_event (id, chain, seq, at, actor, action, entity, entity_id, payload, prev_hash,"
                " hash) VALUES (%s, %s, %s, %s, %s, %s, 'case', %s, %s, %s, %s)",
                (db.id(uuid.uuid4()), chain, seq, now, actor, action, entity_id, payload, "0" * 64, FAKE_HASH))
    if head:
        cur.execute("UPDATE audit_chain_head SET seq = %s, hash = %s WHERE chain = %s", (seq, FAKE_HASH, chain))
    else:
        cur.execute("INSERT INTO audit_chain_head (chain, seq, hash) VALUES (%s, %s, %s)", (chain, seq, FAKE_HASH))


def raw_event(db: RawDb, cur: Any, case_id: Any, now: datetime, actor: str, action: str, before: str, after: str,
              note: str = "") -> None:
    cur.execute("INSERT INTO case_event (id, case_id, at, actor, action, from_status, to_status, note)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (db.id(uuid.uuid4()), case_id, now, actor, action, before, after, note))


NOTICE_PAYLOAD = '{"x": "' + "y" * 1500 + '"}'  # about the size of an issued notice's JSON


def raw_notice(db: RawDb, cur: Any, case_id: Any, kind: str, doc_no: str, now: datetime, actor: str) -> uuid.UUID:
    notice_id = uuid.uuid4()
    cur.execute("INSERT INTO notice (id, case_id, kind, doc_no, issued_at, issued_by, payload)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (db.id(notice_id), case_id, kind, doc_no, now, actor, NOTICE_PAYLOAD))
    return notice_id


def raw_print_job(db: RawDb, cur: Any, case_id: Any, counter_id: uuid.UUID, kind: str,
                  notice_id: uuid.UUID | None, now: datetime, actor: str) -> None:
    cur.execute(
        "INSERT INTO print_job (id, case_id, counter_id, notice_id, kind, printer_uri, status, reprint, reason,"
        " requested_by, attempts, last_error, next_attempt_at, payload, created_at) VALUES (%s, %s, %s, %s, %s, '',"
        " 'pending', false, '', %s, 0, '', %s, %s, %s)",
        (db.id(uuid.uuid4()), case_id, db.id(counter_id), db.id(notice_id), kind, actor, now, NOTICE_PAYLOAD, now))


@dataclass(frozen=True)
class RawIntake:
    """One intake's rows for the raw baseline: the references a case carries and the shape of what it writes."""

    item: uuid.UUID
    dept: uuid.UUID
    counter: uuid.UUID
    clerk: uuid.UUID
    clerk_name: str
    enterprise: uuid.UUID | None
    materials: int
    status: str = "accepted"
    notices: tuple[str, ...] = ("acceptance",)
    receipt: bool = True
    scope: str = "bench"  # the counter's own sequences (``add_sequences(scope, RAW_PERIODS)``)


RAW_PERIODS = ("case", "acceptance", "tolerated", "correction", "refusal", "handover")


def raw_intake(db: RawDb, spec: RawIntake) -> uuid.UUID:
    """What one intake writes — the case (with its item, department, enterprise, counter and clerk), its materials,
    its status event, its notices, its print jobs, the sequence bumps and the audit row with its chain head — as
    plain statements in one transaction.  Returns the case's id."""
    now = utc_naive()
    today = now.date()
    case_id = uuid.uuid4()
    cid = db.id(case_id)
    cur = db.cursor()
    seq = db.next_value(cur, spec.scope, "case")
    # Every reference an accepted case carries: the foreign-key checks and the queue trigger (0004, when a
    # department is set) cost the baseline what they cost us.
    cur.execute(
        "INSERT INTO hd_case (id, case_no, item_id, dept_id, enterprise_id, counter_id, clerk_id, agent_name,"
        " agent_id_number, agent_phone, channel, status, received_at, accepted_at, promised_due, legal_due,"
        " correction_deadline, due_provisional, pickup_code, slip, supplement_due, refusal_reason, refusal_basis,"
        " deemed_accepted, version, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'window',"
        "%s,%s,%s,%s,%s,%s,false,'123456',%s,NULL,'','',false,1,%s,%s)",
        (cid, f"R-{spec.scope}-{seq:06d}", db.id(spec.item), db.id(spec.dept), db.id(spec.enterprise),
         db.id(spec.counter), db.id(spec.clerk), "张伟", "11010519491231002X", "13807910001", spec.status, now, now,
         today, today, today, "x" * 150, now, now))
    for m in range(spec.materials):
        cur.execute(
            "INSERT INTO case_material (id, case_id, code, name, required, state, originals, copies, electronic,"
            " note, assessment, sort_order) VALUES (%s,%s,%s,%s,true,'received',1,0,false,'','',%s)",
            (db.id(uuid.uuid4()), cid, f"M{m:02d}", "申请材料", m))
    raw_event(db, cur, cid, now, spec.clerk_name, "intake.accept", "", spec.status)
    notices = []
    for kind in spec.notices:
        number = db.next_value(cur, spec.scope, kind)
        notices.append(raw_notice(db, cur, cid, kind, f"R-{spec.scope}-{kind}-{number}", now, spec.clerk_name))
    if spec.receipt:
        raw_print_job(db, cur, cid, spec.counter, "receipt", None, now, spec.clerk_name)
    for notice_id in notices:
        raw_print_job(db, cur, cid, spec.counter, "notice", notice_id, now, spec.clerk_name)
    raw_audit(db, cur, spec.clerk_name, "case.create", str(case_id), now)
    db.commit()
    return case_id


# The raw claim on PostgreSQL: one statement, as bench_backoffice has always measured it.
RAW_CLAIM = ("UPDATE hd_case SET status = 'in_review', holder_id = %s, lease_until = now() + interval '30 minutes',"
             " claim_token = claim_token + 1 WHERE id = (SELECT id FROM hd_case WHERE dept_id = %s AND status ="
             " 'accepted' ORDER BY promised_due, received_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING case_no")
RAW_CLAIM_IDS = RAW_CLAIM.replace("RETURNING case_no", "RETURNING id, case_no, claim_token")
# MariaDB has no UPDATE … RETURNING and cannot update a table it reads in a subquery: probe, then take by id.
_RAW_PROBE = ("SELECT id, case_no, claim_token FROM hd_case WHERE dept_id = %s AND status = 'accepted'"
              " ORDER BY promised_due, received_at, id LIMIT 1 FOR UPDATE SKIP LOCKED")
_RAW_TAKE = ("UPDATE hd_case SET status = 'in_review', holder_id = %s, lease_until = %s, claim_token = claim_token + 1"
             " WHERE id = %s")
# The reviewer's first page, bare: the keyset SELECT of the queue index, no joins, no lights.
RAW_QUEUE_PAGE = ("SELECT id, case_no, promised_due FROM hd_case WHERE dept_id = %s AND status = 'accepted'"
                  " ORDER BY promised_due, received_at, id LIMIT 100")


def raw_claim(db: RawDb, user_id: uuid.UUID, username: str, dept_id: uuid.UUID) -> tuple[Any, str, int] | None:
    """The raw claim plus what a claim writes besides — its status event and the reviewer's audit row — in one
    transaction: (case id, case number, token), or None on an empty queue."""
    now = utc_naive()
    cur = db.cursor()
    row: tuple[Any, str, int] | None
    if db.pg:
        cur.execute(RAW_CLAIM_IDS, (user_id, dept_id))
        row = cur.fetchone()
    else:
        cur.execute(_RAW_PROBE, (db.id(dept_id),))
        found = cur.fetchone()
        row = None
        if found is not None:
            cur.execute(_RAW_TAKE, (db.id(user_id), now, found[0]))
            row = (found[0], found[1], found[2] + 1)
    if row is not None:
        case_id, case_no, token = row
        raw_event(db, cur, case_id, now, username, "claim", "accepted", "in_review", f"token {token}")
        raw_audit(db, cur, username, "case.claim", str(case_id), now, case_no)
    db.commit()
    return row


def raw_queue_page(db: RawDb, dept_id: uuid.UUID) -> int:
    cur = db.cursor()
    cur.execute(RAW_QUEUE_PAGE, (db.id(dept_id),))
    rows = len(cur.fetchall())
    db.commit()  # a reviewer's PC holds no transaction open between refreshes
    return rows
