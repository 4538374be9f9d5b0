"""The append-only, hash-chained audit trail.

Each row's hash is SHA-256 over the canonical JSON of the row and the previous row's hash, so changing,
deleting or inserting a row breaks the chain from there on.  Rows are written by the same session (and so the
same transaction) as the change they record.

Every writer appends to its own named chain, so that writers never wait for each other: on the shared
database each signed-in user writes ``user:<username>`` (what one person did, in order), the system and
sign-in attempts for unknown names write ``hall``, and a counter's local store writes ``counter:<number>``.
A chain's head row is locked from its append until the commit; with one chain for the whole hall every
audited transaction of every PC would commit one at a time.  ``verify`` checks every chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from db.models import AuditChainHead, AuditEvent, new_id
from db.types import utcnow

HALL_CHAIN = "hall"
SYSTEM_ACTORS = frozenset({"system", "?", ""})


def writer_chain(actor: str) -> str:
    """The chain a user's actions go to on the shared database."""
    return HALL_CHAIN if actor in SYSTEM_ACTORS else f"user:{actor}"

# The plain tables: Core statements skip the ORM's bulk bookkeeping (this runs in every audited use case).
_HEADS, _EVENTS = cast(Table, AuditChainHead.__table__), cast(Table, AuditEvent.__table__)
# Built once: building the expressions would cost more than running them.
_LOCK_HEAD = select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.chain == bindparam("p_chain")).with_for_update()
_ADD_EVENT = insert(_EVENTS)
_MOVE_HEAD = (update(_HEADS).where(_HEADS.c.chain == bindparam("p_chain"))
              .values(seq=bindparam("p_seq"), hash=bindparam("p_hash")))
# PostgreSQL: the row and the head's move as one statement (a data-modifying WITH), one round trip.
_ROW_COLUMNS = ("id", "chain", "seq", "at", "actor", "action", "entity", "entity_id", "payload", "prev_hash", "hash")
_ADD_AND_MOVE = _MOVE_HEAD.add_cte(
    insert(_EVENTS).values({c: bindparam(f"row_{c}", type_=_EVENTS.c[c].type) for c in _ROW_COLUMNS}).cte("audit_row")
)
GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, real UTF-8 (not \\u escapes)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_time(at: datetime) -> str:
    """``at`` as it is spelled inside a row's hash."""
    return _iso(at)


def row_hash(
    *,
    id: str,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    payload: str,
    prev_hash: str,
) -> str:
    body = canonical_json(
        {
            "id": id,
            "chain": chain,
            "seq": seq,
            "at": _iso(at),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "payload": payload,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def head_query() -> Select[tuple[int, str]]:
    """The SELECT that locks a chain's head (bind ``p_chain``): for a statement that appends its own row
    (``append_in_statement``, a claim)."""
    return _LOCK_HEAD


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    payload: dict[str, Any] | None = None,
    chain: str = HALL_CHAIN,
) -> str:
    """Add one row to ``chain`` in the session's transaction; the chain head is locked until commit.

    Plain SQL statements rather than ORM objects: this runs inside every audited use case.  Returns the hash.
    """
    conn = session.connection()  # Core statements: no need for the ORM's execute path
    head = conn.execute(_LOCK_HEAD, {"p_chain": chain}).first()
    if head is None:
        conn.execute(insert(_HEADS).values(chain=chain, seq=0, hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head
    # Microseconds only: that is what every engine stores, and the hash must survive the round trip.
    at = utcnow()
    event_id = new_id()
    body = canonical_json(payload or {})
    digest = row_hash(id=str(event_id), chain=chain, seq=seq + 1, at=at, actor=actor, action=action, entity=entity,
                      entity_id=entity_id, payload=body, prev_hash=prev)
    row = {"id": event_id, "chain": chain, "seq": seq + 1, "at": at, "actor": actor, "action": action,
           "entity": entity, "entity_id": entity_id, "payload": body, "prev_hash": prev, "hash": digest}
    # The chain head stays locked until commit.
    if conn.dialect.name == "postgresql":
        conn.execute(_ADD_AND_MOVE, {**{f"row_{c}": v for c, v in row.items()},
                                     "p_chain": chain, "p_seq": seq + 1, "p_hash": digest})
    else:
        conn.execute(_ADD_EVENT, row)
        conn.execute(_MOVE_HEAD, {"p_chain": chain, "p_seq": seq + 1, "p_hash": digest})
    return digest


# ---- the same hash computed by PostgreSQL -----------------------------------------------------------------
# For a statement that writes its own audit row (a claim: the row names a case only the statement picks).
# PostgreSQL's to_json() escapes a string exactly as json.dumps(ensure_ascii=False) does (", \\, \b \f \n \r
# \t, \u00XX for the other control characters, everything else as is); tests/test_audit.py checks that both
# sides give the same hash for awkward strings.


def _sql_literal(text: str) -> ColumnElement[str]:
    assert "'" not in text and "\\" not in text  # our own keys and punctuation only
    return literal_column(f"'{text}'", String)


def canonical_json_sql(fields: dict[str, ColumnElement[Any]], *, numbers: frozenset[str] = frozenset()
                       ) -> ColumnElement[str]:
    """``canonical_json`` of a flat object as a SQL expression (PostgreSQL): strings, and integers in ``numbers``."""
    body: ColumnElement[str] | None = None
    for i, name in enumerate(sorted(fields)):
        value = fields[name]
        # text || anything spells the other side with its output function: an integer's digits, a json's text.
        spelled = value if name in numbers else func.to_json(value, type_=String)
        part = _sql_literal(("{" if i == 0 else ",") + json.dumps(name) + ":").concat(spelled)
        body = part if body is None else body.concat(part)
    assert body is not None
    return body.concat(_sql_literal("}"))


def row_hash_sql(**fields: ColumnElement[Any]) -> ColumnElement[str]:
    """``row_hash`` as a SQL expression (PostgreSQL 11+: sha256()).  Same keywords as ``row_hash``, with
    ``at`` already spelled by ``iso_time``."""
    body = canonical_json_sql(
        {"prev" if name == "prev_hash" else name: value for name, value in fields.items()}, numbers=frozenset({"seq"})
    )
    return func.encode(func.sha256(func.convert_to(body, literal_column("'UTF8'"))), literal_column("'hex'"))


def append_in_statement(
    source: CTE, *, seq: ColumnElement[int], prev: ColumnElement[str], action: str, entity: str,
    entity_id: ColumnElement[str], payload: ColumnElement[str]
) -> tuple[CTE, CTE]:
    """The two data-modifying CTEs (PostgreSQL) by which a statement appends its own audit row for the row of
    ``source`` (none when ``source`` is empty): the row, and the head's move.

    ``seq`` and ``prev`` are the chain head's, read and locked by the same statement (``head_query``).  Binds
    ``p_chain``, ``p_actor``, ``p_audit_id`` and ``p_at`` with ``p_at_text`` (``iso_time``).
    """
    chain = bindparam("p_chain", type_=_EVENTS.c.chain.type)
    values = select(
        bindparam("p_audit_id", type_=_EVENTS.c.id.type).label("id"), chain.label("chain"), (seq + 1).label("seq"),
        bindparam("p_at", type_=_EVENTS.c.at.type).label("at"), bindparam("p_actor", type_=String).label("actor"),
        _sql_literal(action).label("action"), _sql_literal(entity).label("entity"), entity_id.label("entity_id"),
        payload.label("payload"), prev.label("prev_hash"),
    ).select_from(source).cte("audit_values")
    v = values.c
    digest = row_hash_sql(id=v.id, chain=v.chain, seq=v.seq, at=bindparam("p_at_text", type_=String), actor=v.actor,
                          action=v.action, entity=v.entity, entity_id=v.entity_id, payload=v.payload,
                          prev_hash=v.prev_hash)
    add = insert(_EVENTS).from_select(list(_ROW_COLUMNS), select(*v, digest.label("hash"))).returning(
        _EVENTS.c.chain, _EVENTS.c.seq, _EVENTS.c.hash).cte("audit_row")
    move = (update(_HEADS).where(_HEADS.c.chain == add.c.chain)
            .values(seq=add.c.seq, hash=add.c.hash).cte("audit_head"))
    return add, move


def ensure_head(session: Session, chain: str) -> None:
    """Give ``chain`` its head row if it has none (in the caller's transaction; a no-op when it exists, also when
    another PC of the same user creates it at the same moment on PostgreSQL)."""
    conn = session.connection()
    values = {"chain": chain, "seq": 0, "hash": GENESIS}
    if conn.dialect.name == "postgresql":
        conn.execute(pg_insert(_HEADS).values(values).on_conflict_do_nothing(index_elements=[_HEADS.c.chain]))
    elif conn.execute(select(_HEADS.c.seq).where(_HEADS.c.chain == chain)).first() is None:
        conn.execute(insert(_HEADS).values(values))


@dataclass(frozen=True)
class AuditProblem:
    chain: str
    seq: int
    event_id: str
    reason: str


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    rows: int
    chains: dict[str, int]
    problem: AuditProblem | None


def verify(session: Session) -> AuditReport:
    """Walk every chain in order; report the first row that is not what the chain says it should be."""
    chains: dict[str, int] = {}
    heads = {h.chain: h for h in session.execute(select(AuditChainHead)).scalars()}
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)).scalars()
    total = 0
    current: str | None = None
    expected_seq = 1
    prev = GENESIS
    problem: AuditProblem | None = None

    def tail_problem(chain: str, seq: int, last_hash: str) -> AuditProblem | None:
        head = heads.get(chain)
        if head is None:
            return AuditProblem(chain, seq, "", "链头记录缺失")
        if head.seq != seq or head.hash != last_hash:
            return AuditProblem(chain, head.seq, "", f"链尾不符：链头记录第{head.seq}条，实际最后一条为第{seq}条（记录被删除或截断）")
        return None

    for ev in rows:
        total += 1
        if ev.chain != current:
            if current is not None and problem is None:
                problem = tail_problem(current, expected_seq - 1, prev)
            current = ev.chain
            expected_seq = 1
            prev = GENESIS
        chains[ev.chain] = chains.get(ev.chain, 0) + 1
        if problem is not None:
            continue
        if ev.seq != expected_seq:
            problem = AuditProblem(ev.chain, ev.seq, str(ev.id), f"序号不连续：应为第{expected_seq}条，实际为第{ev.seq}条（有记录被删除或插入）")
            continue
        if ev.prev_hash != prev:
            problem = AuditProblem(ev.chain, ev.seq, str(ev.id), "前序哈希不符（前一条记录被改动、删除或在此插入了记录）")
            continue
        computed = row_hash(
            id=str(ev.id),
            chain=ev.chain,
            seq=ev.seq,
            at=ev.at,
            actor=ev.actor,
            action=ev.action,
            entity=ev.entity,
            entity_id=ev.entity_id,
            payload=ev.payload,
            prev_hash=ev.prev_hash,
        )
        if computed != ev.hash:
            problem = AuditProblem(ev.chain, ev.seq, str(ev.id), "内容与哈希不符（记录被改动）")
            continue
        prev = ev.hash
        expected_seq += 1
    if current is not None and problem is None:
        problem = tail_problem(current, expected_seq - 1, prev)
    if problem is None:
        for chain, head in heads.items():
            if chain not in chains and head.seq != 0:
                problem = AuditProblem(chain, head.seq, "", f"链头记录第{head.seq}条，但该链没有任何记录（记录被删除）")
                break
    return AuditReport(ok=problem is None, rows=total, chains=chains, problem=problem)
