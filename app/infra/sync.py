"""Offline-first counters: a counter's local store and the shared database, kept in step.

A counter PC keeps the full HallDesk schema in a local SQLite file (same migrations), so intake, notices,
receipts, print jobs and audit rows are written there first, in one transaction, whether or not the shared
PostgreSQL/MariaDB can be reached.  Each intake or resubmission adds an ``outbox`` row in that transaction
(``app.infra.outbox.record``).  This module moves the data:

* **push** — pending outbox rows in order, ``batch_size`` cases per shared transaction: each case with its
  materials, status history, notices and enterprise, plus the counter's audit chain, written with
  insert-or-ignore (PostgreSQL and SQLite ``ON CONFLICT DO NOTHING``, MariaDB
  ``ON DUPLICATE KEY UPDATE id = id``; never search-then-insert), several rows per statement; then the outbox
  rows are marked sent in the local store.  A case's ``case_file`` rows (电子件 metadata, no bytes) go with it;
  the files' bytes follow once no case is waiting (``app.infra.file_upload``: chunk by chunk, resumable).  A crash between the shared commit and the local mark only causes
  a harmless resend.  An enterprise the shared database already holds under another id (same 统一社会信用代码)
  is kept, and the case points at the shared row.  A case resubmitted at the counter (``version`` grew)
  updates the shared row only where the shared version is older.  **Print jobs stay local**: the counter has
  printed them already, and a pushed job would print a second time.  The shared head of each chain
  ``counter:<n>`` is moved to the last pushed row, so ``app.audit.verify`` passes on both databases.
  **Audit rows never go ahead of their cases**: a batch pushes the chain in seq order up to, not including,
  the first row about a case (``entity == "case"``) that is still pending in the outbox and not in this
  batch (or was refused in it); rows about anything else just follow the order.  The chain stays a gap-free
  prefix, the next batch continues from the cut, and the batch that leaves no case waiting takes the whole
  rest of the chain, so a drained outbox means a fully pushed chain.  (Counter sequences may still go ahead
  of the cases they number: harmless, numbers only must never repeat.)
* **pull** — catalog (departments, items, materials, regional assessments, seals), users (argon2 hashes
  only: clerks log in offline against them), counters and their public keys, printer profiles, hall
  settings and calendar overrides, and the counter's own number sequences (the larger of local and shared,
  so numbers never repeat), upserted into the local store.  A fresh store bound to a counter also takes the
  counter's audit chain so far, so that both databases keep one unbroken chain.  Cases of this counter that
  the back office returned for 补正 come back too (with their 电子件 rows, not the content), so the clerk can
  resubmit them on the local store.

Public API (stable; ``app.infra.counter_store.CounterStore`` wraps it for the CLI and the GUI):

``push(local, shared, *, batch_size=100, max_batches=None) -> PushResult``
    Drain the outbox.  ``local`` and ``shared`` are SQLAlchemy engines.  Raises the driver's connection
    error (``sqlalchemy.exc.OperationalError``/``InterfaceError``) when the shared database is out of reach;
    what was committed before stays committed on both sides.  Records ``last_success`` in the local store.
    Once no case waits, uploads the 电子件 of ``file_outbox`` (``app.infra.file_upload``), then drops the
    bytes of uploaded files from a store past its budget.
``pull(local, shared, *, counter=None) -> PullResult``
    Upsert what a counter needs from the shared database into the local store.  Raises like ``push``.
``bind_counter(local, number)`` / ``bound_counter(local) -> int | None``
    The counter a local store belongs to (one store, one counter, one audit chain).
``status(local) -> SyncStatus``
    Pending outbox rows, last success, last error, last pull, the bound counter; 电子件 waiting and the
    store's size against its budget (``budget_warning``).
``record_error(local, message, kind="")``
    Remember a failed sync (``SyncStatus.last_error``, worded by ``app.infra.sync_errors``); a later success
    clears it.
``resend_all(local) -> int``
    Mark every outbox row and audit row unsent again (the next push re-sends everything; harmless).

The end-of-day check of a counter's cases against the shared database is ``app.infra.reconcile``; the
enterprise registry's pull is ``app.infra.registry_pull``; the store's row helpers are ``app.infra.local_rows``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite

from app.audit import GENESIS
from app.infra import file_upload
from app.infra.local_rows import Row
from app.infra.local_rows import read_state as _state
from app.infra.local_rows import table_of as _t
from app.infra.local_rows import upsert_local as _upsert_local
from app.infra.local_rows import write_state as _set_state
from app.infra.outbox import counter_chain
from app.infra.registry_pull import STATE_REGISTRY, fetch_registry, store_registry
from app.lifecycle import Status
from db.engine import reading
from db.models import (
    AuditChainHead,
    AuditEvent,
    CalendarOverride,
    CalendarYear,
    Case,
    CaseEvent,
    CaseFile,
    CaseMaterial,
    Counter,
    CounterKey,
    CounterSequence,
    Department,
    Enterprise,
    Evaluation,
    FileOutbox,
    MaterialRequirement,
    Notice,
    Outbox,
    PrinterProfile,
    Rectification,
    RegionalAssessment,
    Seal,
    ServiceItem,
    Setting,
    SyncState,
    User,
)
from db.types import utcnow
from db.upsert import dialect_of as _dialect
from db.upsert import insert_ignore

# Pulled in this order (foreign keys first); rows missing on the shared side are removed locally only for
# tables whose rows the shared database really deletes.
PULL_TABLES: tuple[Table, ...] = tuple(
    cast(Table, m.__table__)
    for m in (
        Department,
        RegionalAssessment,
        Counter,
        ServiceItem,
        MaterialRequirement,
        User,
        CounterKey,
        Seal,
        Setting,
        CalendarOverride,
        CalendarYear,
        PrinterProfile,
    )
)
PULL_DELETES: frozenset[str] = frozenset({"material_requirement", "calendar_override", "calendar_year"})

# What a resubmission at the counter changes on a case and its materials (the back office owns the rest).
CASE_UPDATE_COLUMNS = (
    "status",
    "accepted_at",
    "promised_due",
    "legal_due",
    "due_provisional",
    "supplement_due",
    "paused_promised",
    "paused_legal",
    "clock_paused_at",
    "promised_from",
    "promised_days_from",
    "finished_at",
    "version",
    "updated_at",
)
MATERIAL_UPDATE_COLUMNS = (
    "name",
    "required",
    "state",
    "originals",
    "copies",
    "electronic",
    "note",
    "assessment",
    "supplement_due",
    "supplemented_at",
    "sort_order",
)


# The change stamp of cached reference data (app.infra.refcache): bumped locally after every pull.
REFDATA_SCOPE = ("refdata", "stamp")

STATE_COUNTER = "counter"
STATE_LAST_PULL = "last_pull"
STATE_LAST_SUCCESS = "last_success"
STATE_LAST_ERROR = "last_error"
STATE_LAST_ERROR_AT = "last_error_at"
STATE_LAST_ERROR_KIND = "last_error_kind"  # db.engine.connection_problem's kind: auth and no_database need an admin
STATE_AUDIT_PUSHED = "audit_pushed:"  # + chain name: the last audit seq the shared database has


@dataclass(frozen=True)
class PushResult:
    """What one ``push`` did: cases written (or found already there), batches, audit rows, what is left."""

    cases: int
    batches: int
    audit_rows: int
    pending: int
    # Why cases or audit rows were refused (a case number or an audit chain place taken by another store's row,
    # i.e. two stores for one counter): those cases stay pending, that chain's head does not move.
    conflicts: tuple[str, ...] = ()
    # 电子件 after the cases: files now complete on the shared database, chunks sent, files still waiting.
    files: int = 0
    file_chunks: int = 0
    files_pending: int = 0


@dataclass(frozen=True)
class PullResult:
    rows: int
    at: datetime


@dataclass(frozen=True)
class SyncStatus:
    pending: int
    counter: int | None
    last_success: datetime | None
    last_pull: datetime | None
    last_error: str
    last_error_at: datetime | None
    oldest_pending_at: datetime | None
    # Why the last round failed, when the shared database answered and refused: "auth" (this PC's stored user or
    # password), "no_database"; "" for an unreachable server or anything that heals by itself.
    last_error_kind: str = ""
    # 电子件 waiting for upload, and the store's size against the hall's budget (app.infra.file_upload).
    files_pending: int = 0
    files_pending_bytes: int = 0
    store_bytes: int = 0
    store_budget_mb: int = 0

    @property
    def budget_warning(self) -> str:
        usage = file_upload.StoreUsage(self.files_pending, self.files_pending_bytes, self.store_bytes,
                                       self.store_budget_mb)
        return usage.warning if self.store_budget_mb else ""

    def as_json(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        mb = 1024 * 1024

        return {
            "pending": self.pending,
            "counter": self.counter,
            "last_success": iso(self.last_success),
            "last_pull": iso(self.last_pull),
            "last_error": self.last_error or None,
            "last_error_at": iso(self.last_error_at),
            "last_error_kind": self.last_error_kind or None,
            "oldest_pending_at": iso(self.oldest_pending_at),
            "files_pending": self.files_pending,
            "files_pending_mb": round(self.files_pending_bytes / mb, 1),
            "store_mb": round(self.store_bytes / mb, 1),
            "store_budget_mb": self.store_budget_mb,
            "warning": self.budget_warning or None,
        }


# ---- sync_state (local store) ----------------------------------------------------------------------------


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def bound_counter(local: Engine) -> int | None:
    """The counter number this local store belongs to, or None before the first clerk logged in."""
    with reading(local) as conn:
        value = conn.execute(
            select(SyncState.value).where(SyncState.key == STATE_COUNTER)
        ).scalar_one_or_none()
    return int(value) if value else None


def bind_counter(local: Engine, number: int) -> None:
    """Bind a local store to counter ``number`` (its audit chain becomes ``counter:<number>``)."""
    with local.begin() as conn:
        _set_state(conn, {STATE_COUNTER: str(number)})


def record_error(local: Engine, message: str, kind: str = "") -> None:
    with local.begin() as conn:
        _set_state(conn, {STATE_LAST_ERROR: message, STATE_LAST_ERROR_AT: utcnow().isoformat(),
                          STATE_LAST_ERROR_KIND: kind})


def status(local: Engine) -> SyncStatus:
    with reading(local) as conn:
        st = _state(conn)
        pending, oldest = conn.execute(
            select(func.count(), func.min(Outbox.created_at)).where(Outbox.sent_at.is_(None))
        ).one()
        usage = file_upload.usage(conn)
    counter = st.get(STATE_COUNTER)
    return SyncStatus(
        pending=int(pending),
        counter=int(counter) if counter else None,
        last_success=_when(st.get(STATE_LAST_SUCCESS)),
        last_pull=_when(st.get(STATE_LAST_PULL)),
        last_error=st.get(STATE_LAST_ERROR, ""),
        last_error_at=_when(st.get(STATE_LAST_ERROR_AT)),
        last_error_kind=st.get(STATE_LAST_ERROR_KIND, "") if st.get(STATE_LAST_ERROR) else "",
        oldest_pending_at=oldest,
        files_pending=usage.files_pending,
        files_pending_bytes=usage.pending_bytes,
        store_bytes=usage.store_bytes,
        store_budget_mb=usage.budget_mb,
    )


def resend_all(local: Engine) -> int:
    """Mark everything unsent again: the next push re-sends every case and audit row (a harmless no-op)."""
    with local.begin() as conn:
        n = conn.execute(update(Outbox).values(sent_at=None)).rowcount
        conn.execute(delete(SyncState).where(SyncState.key.like(f"{STATE_AUDIT_PUSHED}%")))
    return int(n)


# ---- writing to the shared database ------------------------------------------------------------------------


def _upsert_greatest(conn: Connection, rows: Sequence[Row]) -> None:
    """Counter sequences: keep the larger value, so that a number once used is never handed out again."""
    if not rows:
        return
    table = _t(CounterSequence)
    dialect = _dialect(conn)
    stmt: Any
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        stmt = pg.on_conflict_do_update(
            index_elements=["scope", "period"],
            set_={"value": func.greatest(table.c.value, pg.excluded.value)},
        )
    elif dialect == "sqlite":
        lite = sqlite.insert(table)
        stmt = lite.on_conflict_do_update(
            index_elements=["scope", "period"], set_={"value": func.max(table.c.value, lite.excluded.value)}
        )
    else:
        my = mysql.insert(table)
        stmt = my.on_duplicate_key_update({"value": func.greatest(table.c.value, my.inserted.value)})
    conn.execute(stmt, list(rows))


def _advance_heads(conn: Connection, heads: dict[str, tuple[int, str]]) -> None:
    """Move each chain head forward to the last pushed row (never backwards: a resend is older)."""
    if not heads:
        return
    table = _t(AuditChainHead)
    insert_ignore(conn, table, [{"chain": c, "seq": 0, "hash": GENESIS} for c in heads])
    stmt = (
        update(table)
        .where(table.c.chain == bindparam("b_chain"), table.c.seq < bindparam("b_seq"))
        .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
    )
    conn.execute(stmt, [{"b_chain": c, "b_seq": s, "b_hash": h} for c, (s, h) in heads.items()])


@dataclass
class _Batch:
    outbox: list[tuple[int, uuid.UUID]]
    cases: list[Row]
    materials: list[Row]
    events: list[Row]
    notices: list[Row]
    case_files: list[Row]
    evaluations: list[Row]
    rectifications: list[Row]
    enterprises: list[Row]
    audit: dict[str, list[Row]]
    sequences: list[Row]

    @property
    def empty(self) -> bool:
        return not self.outbox and not any(self.audit.values())


def _rows(conn: Connection, table: Table, column: str, keys: Iterable[Any]) -> list[Row]:
    keys = list(keys)
    out: list[Row] = []
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        out += [dict(r) for r in conn.execute(select(table).where(table.c[column].in_(part))).mappings()]
    return out


def _sequence_rows(conn: Connection, counter: int | None) -> list[Row]:
    if counter is None:
        return []
    table = _t(CounterSequence)
    return [
        dict(r) for r in conn.execute(select(table).where(table.c.scope.like(f"%:{counter:02d}"))).mappings()
    ]


def _before_waiting_case(rows: list[Row], waiting: set[str]) -> list[Row]:
    """The chain rows (in seq order) up to, not including, the first one about a case in ``waiting``.

    A reader of the shared database must never see audit rows about a case that is not there yet; the chain
    is cut, never thinned, so what is pushed stays a gap-free prefix and the rest follows in a later batch.
    """
    for i, row in enumerate(rows):
        if row["entity"] == "case" and row["entity_id"] in waiting:
            return rows[:i]
    return rows


def _read_batch(
    local: Engine, after_seq: int, batch_size: int, skip_chains: frozenset[str] = frozenset()
) -> _Batch:
    """One consistent read of the local store: the next pending cases and the unsent audit rows.

    A read transaction: on SQLite (WAL) it is one snapshot and takes no write lock, so intake goes on meanwhile.
    """
    with reading(local) as conn:
        outbox = [
            (int(s), c)
            for s, c in conn.execute(
                select(Outbox.seq, Outbox.case_id)
                .where(Outbox.sent_at.is_(None), Outbox.seq > after_seq)
                .order_by(Outbox.seq)
                .limit(batch_size)
            ).all()
        ]
        case_ids = list(dict.fromkeys(c for _, c in outbox))
        cases = _rows(conn, _t(Case), "id", case_ids)
        st = _state(conn)
        audit: dict[str, list[Row]] = {}
        counter = st.get(STATE_COUNTER)
        # Cases the shared database may not have after this batch: pending in the outbox and not written now
        # (later batches, or refused earlier in this push).  A case whose outbox rows are all sent, or that
        # was never in the outbox (pulled from the shared database), is there already.
        waiting = {
            str(c)
            for c in conn.execute(select(Outbox.case_id).where(Outbox.sent_at.is_(None)).distinct()).scalars()
        } - {str(c) for c in case_ids}
        # Only the counter's own chain: anything else in this file (e.g. written by a plain HallDesk opened on
        # it by mistake) would collide with the shared database's chains.
        chains = [counter_chain(int(counter))] if counter else []
        for chain in chains:
            if chain in skip_chains:
                continue
            pushed = int(st.get(STATE_AUDIT_PUSHED + chain, "0"))
            table = _t(AuditEvent)
            query = select(table).where(table.c.chain == chain, table.c.seq > pushed).order_by(table.c.seq)
            # The last batch (no case left waiting) takes the whole rest of the chain, so a drained outbox
            # never leaves audit rows behind; the batches before it take a bounded slice.
            if waiting:
                query = query.limit(max(batch_size * 4, 100))
            audit[chain] = _before_waiting_case([dict(r) for r in conn.execute(query).mappings()], waiting)
        return _Batch(
            outbox=outbox,
            cases=cases,
            materials=_rows(conn, _t(CaseMaterial), "case_id", case_ids),
            events=_rows(conn, _t(CaseEvent), "case_id", case_ids),
            notices=_rows(conn, _t(Notice), "case_id", case_ids),
            case_files=_rows(conn, _t(CaseFile), "case_id", case_ids),
            # 好差评 given at this counter after an intake (and the rectification a 差评 opened).
            evaluations=_rows(conn, _t(Evaluation), "case_id", case_ids),
            rectifications=_rows(conn, _t(Rectification), "case_id", case_ids),
            enterprises=_rows(
                conn,
                _t(Enterprise),
                "id",
                {c["enterprise_id"] for c in cases if c["enterprise_id"] is not None},
            ),
            audit=audit,
            # Sequences may run ahead of the cases they number: harmless, numbers only must never repeat.
            sequences=_sequence_rows(conn, int(counter) if counter else None) if outbox else [],
        )


def _write_shared(
    shared: Engine, batch: _Batch, refused_chains: dict[str, str]
) -> tuple[set[uuid.UUID], dict[uuid.UUID, str], dict[str, list[Row]]]:
    """One shared transaction; returns the cases now in the shared database, the refused ones (why), and the
    audit rows pushed per chain.

    Audit chains that clash with the shared database are added to ``refused_chains`` (with the reason).
    """
    ids = [c["id"] for c in batch.cases]
    with shared.begin() as conn:
        ent_map: dict[uuid.UUID, uuid.UUID] = {}
        if batch.enterprises:
            ent = _t(Enterprise)
            # In USCC order: two counters registering the same new companies cannot deadlock each other.
            insert_ignore(conn, ent, sorted(batch.enterprises, key=lambda e: str(e["uscc"])))
            by_uscc = dict(
                conn.execute(
                    select(ent.c.uscc, ent.c.id).where(ent.c.uscc.in_([e["uscc"] for e in batch.enterprises]))
                ).all()
            )
            ent_map = {e["id"]: by_uscc[e["uscc"]] for e in batch.enterprises}
        cases = [
            {**c, "enterprise_id": ent_map.get(c["enterprise_id"], c["enterprise_id"])} for c in batch.cases
        ]
        table = _t(Case)
        insert_ignore(conn, table, cases)
        shared_rows = (
            {
                r.id: r
                for r in conn.execute(
                    select(table.c.id, table.c.version, table.c.case_no).where(table.c.id.in_(ids))
                ).all()
            }
            if ids
            else {}
        )
        refused = {
            c["id"]: f"办件编号 {c['case_no']} 在共享数据库中已被另一办件使用"
            for c in cases
            if c["id"] not in shared_rows
        }
        present = set(shared_rows)
        # Resubmitted at the counter after an earlier push: bring the shared row up to date, unless it moved on.
        newer = [c for c in cases if c["id"] in present and shared_rows[c["id"]].version < c["version"]]
        if newer:
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version < bindparam("b_version"))
                .values({col: bindparam(f"b_{col}") for col in CASE_UPDATE_COLUMNS})
            )
            conn.execute(
                stmt,
                [{"b_id": c["id"], **{f"b_{col}": c[col] for col in CASE_UPDATE_COLUMNS}} for c in newer],
            )
        materials = [m for m in batch.materials if m["case_id"] in present]
        insert_ignore(conn, _t(CaseMaterial), materials)
        if newer:
            newer_ids = {c["id"] for c in newer}
            mt = _t(CaseMaterial)
            stmt = (
                update(mt)
                .where(mt.c.id == bindparam("b_id"))
                .values({col: bindparam(f"b_{col}") for col in MATERIAL_UPDATE_COLUMNS})
            )
            changed = [m for m in materials if m["case_id"] in newer_ids]
            if changed:
                conn.execute(
                    stmt,
                    [
                        {"b_id": m["id"], **{f"b_{col}": m[col] for col in MATERIAL_UPDATE_COLUMNS}}
                        for m in changed
                    ],
                )
        insert_ignore(conn, _t(CaseEvent), [e for e in batch.events if e["case_id"] in present])
        insert_ignore(conn, _t(Notice), [n for n in batch.notices if n["case_id"] in present])
        # 电子件 metadata only: the bytes follow after every waiting case (file_upload).
        sent_files = [f for f in batch.case_files if f["case_id"] in present]
        insert_ignore(conn, _t(CaseFile), sent_files)
        if sent_files:
            # A file attached after its case went up (``case attach`` at the counter) leaves the case's version
            # as it was: its material's 电子件 mark follows the file row (files are never taken off a case).
            mt = _t(CaseMaterial)
            pairs = {(f["case_id"], f["material_code"]) for f in sent_files}
            conn.execute(update(mt).where(mt.c.case_id == bindparam("b_case"), mt.c.code == bindparam("b_code"))
                         .values(electronic=True), [{"b_case": c, "b_code": m} for c, m in sorted(pairs, key=str)])
        _write_evaluations(conn, batch, present)
        heads: dict[str, tuple[int, str]] = {}
        pushed: dict[str, list[Row]] = {}
        audit_table = _t(AuditEvent)
        for chain, all_rows in batch.audit.items():
            # A case of this batch refused above is not there either: its rows wait, and so does the rest.
            rows = _before_waiting_case(all_rows, {str(c) for c in refused})
            if not rows:
                continue
            insert_ignore(conn, audit_table, rows)
            # The shared rows at these places must be ours: another store of the same counter (a new PC that
            # never saw the shared chain) would otherwise interleave two chains under one name.  The rows are
            # consecutive, so a range (the last batch may hold the whole rest of the chain, too many for IN).
            theirs = dict(
                conn.execute(
                    select(audit_table.c.seq, audit_table.c.id).where(
                        audit_table.c.chain == chain,
                        audit_table.c.seq >= rows[0]["seq"],
                        audit_table.c.seq <= rows[-1]["seq"],
                    )
                ).all()
            )
            clash = next((r for r in rows if theirs.get(r["seq"]) != r["id"]), None)
            if clash is not None:
                refused_chains[chain] = (
                    f"审计链 {chain} 第{clash['seq']}条与共享数据库中的记录不同：本机库可能不是该窗口原来的库，"
                    "请联系管理员（办件照常上传，审计记录暂不上传）"
                )
                continue
            heads[chain] = (rows[-1]["seq"], rows[-1]["hash"])
            pushed[chain] = rows
        _advance_heads(conn, heads)
        _upsert_greatest(conn, batch.sequences)
    return present, refused, pushed


def _write_evaluations(conn: Connection, batch: _Batch, present: set[uuid.UUID]) -> None:
    """Ratings and their rectifications; a rating the shared database already has for that occasion wins."""
    evaluations = [e for e in batch.evaluations if e["case_id"] in present]
    if not evaluations:
        return
    table = _t(Evaluation)
    insert_ignore(conn, table, evaluations)
    kept = set(conn.execute(select(table.c.id).where(table.c.id.in_([e["id"] for e in evaluations]))).scalars())
    insert_ignore(conn, _t(Rectification), [r for r in batch.rectifications if r["evaluation_id"] in kept])


def push(
    local: Engine, shared: Engine, *, batch_size: int = 100, max_batches: int | None = None
) -> PushResult:
    """Drain the local outbox into the shared database, ``batch_size`` cases per shared transaction."""
    cases = batches = audit_rows = 0
    conflicts: list[str] = []
    refused_chains: dict[str, str] = {}
    after = files = file_chunks = 0
    # Cases first, files after: an upload stops between chunks when a new case is waiting, which goes first.
    while True:
        while max_batches is None or batches < max_batches:
            batch = _read_batch(local, after, batch_size, frozenset(refused_chains))
            if batch.empty:
                break
            present, refused, pushed = _write_shared(shared, batch, refused_chains)
            batches += 1
            now = utcnow()
            with local.begin() as conn:
                sent = [s for s, c in batch.outbox if c in present]
                if sent:
                    conn.execute(
                        update(Outbox)
                        .where(Outbox.seq.in_(sent))
                        .values(sent_at=now, attempts=Outbox.attempts + 1, last_error="")
                    )
                for case_id, why in refused.items():
                    conn.execute(
                        update(Outbox)
                        .where(Outbox.case_id == case_id, Outbox.sent_at.is_(None))
                        .values(attempts=Outbox.attempts + 1, last_error=why)
                    )
                _set_state(
                    conn, {STATE_AUDIT_PUSHED + chain: str(rows[-1]["seq"]) for chain, rows in pushed.items()}
                )
            cases += len(present)
            conflicts += refused.values()
            audit_rows += sum(len(r) for r in pushed.values())
            if batch.outbox:
                after = batch.outbox[-1][0]
        if max_batches is not None and batches >= max_batches:
            break
        uploaded = file_upload.upload(local, shared)
        files += uploaded.files
        file_chunks += uploaded.chunks
        conflicts += uploaded.problems
        if not uploaded.yielded:
            file_upload.prune(local)  # a store past its budget keeps only what is not safely uploaded
            break
    conflicts += refused_chains.values()
    with local.begin() as conn:
        values = {STATE_LAST_SUCCESS: utcnow().isoformat(), STATE_LAST_ERROR_KIND: ""}  # it answered and took us
        if conflicts:
            values.update({STATE_LAST_ERROR: conflicts[0], STATE_LAST_ERROR_AT: utcnow().isoformat()})
        else:
            values[STATE_LAST_ERROR] = ""
        _set_state(conn, values)
        pending = conn.execute(
            select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))
        ).scalar_one()
        files_pending = conn.execute(
            select(func.count()).select_from(FileOutbox).where(FileOutbox.sent_at.is_(None))
        ).scalar_one()
    return PushResult(
        cases=cases, batches=batches, audit_rows=audit_rows, pending=int(pending), conflicts=tuple(conflicts),
        files=files, file_chunks=file_chunks, files_pending=int(files_pending),
    )


# ---- pulling into the local store ----------------------------------------------------------------------------


def _bump_refdata_stamp(conn: Connection) -> None:
    """Reference rows were written with plain SQL: move the stamp that in-process caches check (app.infra.refcache)."""
    table = _t(CounterSequence)
    stmt = sqlite.insert(table).values(scope=REFDATA_SCOPE[0], period=REFDATA_SCOPE[1], value=1)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["scope", "period"], set_={"value": table.c.value + 1})
    )


@dataclass
class _SharedChain:
    """A counter's audit chain as the shared database has it: its head and rows."""

    head: Row
    rows: list[Row]


def _fetch_chain(local: Engine, shared: Connection, chain: str) -> _SharedChain | None:
    """The counter's chain from the shared database, when this store has none of its own yet (a fresh store)."""
    with reading(local) as lconn:
        if lconn.execute(select(AuditChainHead.seq).where(AuditChainHead.chain == chain)).first() is not None:
            return None
    head = shared.execute(select(_t(AuditChainHead)).where(AuditChainHead.chain == chain)).mappings().first()
    if head is None or head["seq"] == 0:
        return None
    table = _t(AuditEvent)
    rows = [
        dict(r)
        for r in shared.execute(
            select(table).where(table.c.chain == chain, table.c.seq <= head["seq"]).order_by(table.c.seq)
        ).mappings()
    ]
    return _SharedChain(dict(head), rows)


def _adopt_chain(local: Connection, shared_chain: _SharedChain | None) -> int:
    """A fresh store continues its counter's chain as the shared database has it (rows and head)."""
    if shared_chain is None:
        return 0
    chain = shared_chain.head["chain"]
    # Asked again under the write lock: a login on this store may have started the chain since the fetch.
    if local.execute(select(AuditChainHead.seq).where(AuditChainHead.chain == chain)).first() is not None:
        return 0
    insert_ignore(local, _t(AuditEvent), shared_chain.rows)
    insert_ignore(local, _t(AuditChainHead), [shared_chain.head])
    _set_state(local, {STATE_AUDIT_PUSHED + chain: str(shared_chain.head["seq"])})
    return len(shared_chain.rows)


@dataclass
class _ReturnedCases:
    """Cases of this counter returned for 补正, newer than the local copies, with their rows."""

    cases: list[Row]
    enterprises: list[Row]
    materials: list[Row]
    events: list[Row]
    notices: list[Row]
    # 电子件 rows only (the content stays on the shared database): a resubmission's new scans go after them.
    case_files: list[Row]


def _local_versions(local: Connection, ids: list[Any]) -> dict[Any, int]:
    table = _t(Case)
    return dict(local.execute(select(table.c.id, table.c.version).where(table.c.id.in_(ids))).all())


def _fetch_returned_cases(local: Engine, shared: Connection, number: int) -> _ReturnedCases | None:
    """Cases of this counter that the back office returned for 补正 (退回补正), newer than the local copy.

    The applicant comes back to the counter with the corrections: the clerk resubmits on the local store
    (``case resubmit``), and the push updates the shared row because the local version is then newer.
    """
    counter_id = shared.execute(select(Counter.id).where(Counter.number == number)).scalar_one_or_none()
    if counter_id is None:
        return None
    table = _t(Case)
    rows = [
        dict(r)
        for r in shared.execute(
            select(table).where(table.c.status == Status.RETURNED.value, table.c.counter_id == counter_id)
        ).mappings()
    ]
    if not rows:
        return None
    with reading(local) as lconn:
        mine = _local_versions(lconn, [r["id"] for r in rows])
    rows = [r for r in rows if mine.get(r["id"], 0) < r["version"]]
    if not rows:
        return None
    ids = [r["id"] for r in rows]
    return _ReturnedCases(
        cases=rows,
        enterprises=_rows(
            shared, _t(Enterprise), "id", {r["enterprise_id"] for r in rows if r["enterprise_id"] is not None}
        ),
        materials=_rows(shared, _t(CaseMaterial), "case_id", ids),
        events=_rows(shared, _t(CaseEvent), "case_id", ids),
        notices=_rows(shared, _t(Notice), "case_id", ids),
        case_files=_rows(shared, _t(CaseFile), "case_id", ids),
    )


def _store_returned_cases(local: Connection, returned: _ReturnedCases | None) -> int:
    if returned is None:
        return 0
    # Asked again under the write lock: the clerk may have resubmitted one since the fetch.
    mine = _local_versions(local, [r["id"] for r in returned.cases])
    rows = [r for r in returned.cases if mine.get(r["id"], 0) < r["version"]]
    if not rows:
        return 0
    ids = {r["id"] for r in rows}
    # The local store may know the company under its own id (same USCC): the case points at the local row.
    ent = _t(Enterprise)
    shared_ents = [e for e in returned.enterprises if e["id"] in {r["enterprise_id"] for r in rows}]
    local_ids = dict(
        local.execute(
            select(ent.c.uscc, ent.c.id).where(ent.c.uscc.in_([e["uscc"] for e in shared_ents]))
        ).all()
    )
    insert_ignore(local, ent, [e for e in shared_ents if e["uscc"] not in local_ids])
    ent_map = {e["id"]: local_ids.get(e["uscc"], e["id"]) for e in shared_ents}
    _upsert_local(
        local,
        _t(Case),
        [{**r, "enterprise_id": ent_map.get(r["enterprise_id"], r["enterprise_id"])} for r in rows],
    )
    _upsert_local(local, _t(CaseMaterial), [m for m in returned.materials if m["case_id"] in ids])
    insert_ignore(local, _t(CaseEvent), [e for e in returned.events if e["case_id"] in ids])
    insert_ignore(local, _t(Notice), [n for n in returned.notices if n["case_id"] in ids])
    insert_ignore(local, _t(CaseFile), [f for f in returned.case_files if f["case_id"] in ids])
    return len(rows)


def pull(local: Engine, shared: Engine, *, counter: int | None = None) -> PullResult:
    """Upsert the catalog, accounts, counters, keys, settings, calendar, sequences and (when it changed) the
    enterprise registry into the local store."""
    number = counter if counter is not None else bound_counter(local)
    # Everything is read from the shared database first, and only then written in one short local
    # transaction: a slow network must not keep the store's write lock (the clerk's next intake waits for it).
    with reading(local) as lconn:
        known_registry = _state(lconn).get(STATE_REGISTRY)
    with reading(shared) as sconn:
        data = {t.name: [dict(r) for r in sconn.execute(select(t)).mappings()] for t in PULL_TABLES}
        registry = fetch_registry(sconn, known_registry)
        sequences = _sequence_rows(sconn, number)
        chain = _fetch_chain(local, sconn, counter_chain(number)) if number is not None else None
        returned = _fetch_returned_cases(local, sconn, number) if number is not None else None
    with local.begin() as lconn:
        total = 0
        for table in PULL_TABLES:
            rows = data[table.name]
            if table.name in PULL_DELETES:
                keys = [c for c in table.primary_key.columns]
                key = keys[0]
                wanted = {r[key.name] for r in rows}
                stale = [k for k in lconn.execute(select(key)).scalars() if k not in wanted]
                for start in range(0, len(stale), 500):
                    lconn.execute(delete(table).where(key.in_(stale[start : start + 500])))
            _upsert_local(lconn, table, rows)
            total += len(rows)
        _upsert_greatest(lconn, sequences)
        _bump_refdata_stamp(lconn)
        total += _adopt_chain(lconn, chain)
        total += _store_returned_cases(lconn, returned)
        total += store_registry(lconn, registry)
        now = utcnow()
        _set_state(lconn, {STATE_LAST_PULL: now.isoformat()})
    return PullResult(rows=total + len(sequences), at=now)
