"""Per-counter sequences for case numbers and document numbers.

A number is unique because its scope (the counter) is in it: no counter ever asks another, so counters can
number cases while the shared database is out of reach.
"""

from __future__ import annotations

from sqlalchemy import TextClause, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import CounterSequence

# One round trip that creates the row or bumps it, and says the value; the row stays locked until commit.
_UPSERT = {
    "postgresql": "INSERT INTO counter_sequence (scope, period, value) VALUES (:scope, :period, 1) "
    "ON CONFLICT (scope, period) DO UPDATE SET value = counter_sequence.value + 1 RETURNING value",
    "sqlite": "INSERT INTO counter_sequence (scope, period, value) VALUES (:scope, :period, 1) "
    "ON CONFLICT (scope, period) DO UPDATE SET value = counter_sequence.value + 1 RETURNING value",
    # MariaDB has no UPDATE … RETURNING: LAST_INSERT_ID(expr) hands the new value to this connection.
    "mysql": "INSERT INTO counter_sequence (scope, period, value) VALUES (:scope, :period, LAST_INSERT_ID(1)) "
    "ON DUPLICATE KEY UPDATE value = LAST_INSERT_ID(value + 1)",
}

_TEXT = {sql: text(sql) for sql in _UPSERT.values()}
_LAST_INSERT_ID = text("SELECT LAST_INSERT_ID()")
_MANY: dict[int, TextClause] = {}  # by number of sequences


def next_value(session: Session, scope: str, period: str) -> int:
    """Take the next number of ``scope`` in ``period``; the row stays locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    dialect = "mysql" if dialect == "mariadb" else dialect
    statement = _UPSERT.get(dialect)
    if statement is not None:
        params = {"scope": scope, "period": period}
        conn = session.connection()
        if dialect == "mysql":
            conn.execute(_TEXT[statement], params)
            return int(conn.execute(_LAST_INSERT_ID).scalar_one())
        return int(conn.execute(_TEXT[statement], params).scalar_one())
    return _next_value_portable(session, scope, period)


def next_values(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Take the next number of several distinct (scope, period) sequences: one round trip on PostgreSQL and SQLite.

    Rows are bumped in the order given (the order their locks are taken), so callers keep one order.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite") or len(keys) < 2:
        return {key: next_value(session, *key) for key in keys}
    values = ", ".join(f"(:s{i}, :p{i}, 1)" for i in range(len(keys)))
    params: dict[str, str] = {}
    for i, (scope, period) in enumerate(keys):
        params[f"s{i}"], params[f"p{i}"] = scope, period
    statement = _MANY.get(len(keys))
    if statement is None:
        statement = _MANY[len(keys)] = text(
            f"INSERT INTO counter_sequence (scope, period, value) VALUES {values} ON CONFLICT (scope, period) "
            "DO UPDATE SET value = counter_sequence.value + 1 RETURNING scope, period, value"
        )
    rows = session.connection().execute(statement, params).all()
    return {(scope, period): int(value) for scope, period, value in rows}


def _next_value_portable(session: Session, scope: str, period: str) -> int:
    for _ in range(5):
        row = session.execute(
            select(CounterSequence)
            .where(CounterSequence.scope == scope, CounterSequence.period == period)
            .with_for_update()
        ).scalar_one_or_none()
        if row is not None:
            row.value += 1
            session.flush()
            return row.value
        # First number of the period: two clerks may race to create the row; the loser retries the lock.
        try:
            with session.begin_nested():
                session.add(CounterSequence(scope=scope, period=period, value=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"could not allocate a number in {scope}/{period}")


def case_number(hall_code: str, counter: int, yymmdd: str, seq: int) -> str:
    """``XJ261127-01-0042``: hall, date, counter, sequence — short to read aloud, sorts by day."""
    return f"{hall_code}{yymmdd}-{counter:02d}-{seq:04d}"


DOC_KIND_MARK = {
    "acceptance": "受",
    "refusal": "不受",
    "correction": "补正",
    "tolerated": "容缺",
    "handover": "出件",
    # issue 14 part 7 (容缺 follow-through)
    "reminder": "催补",
    "termination": "终止",
    # issue 14, clocks
    "return": "退补",
    "suspension": "特告",
    "extension": "延告",
    # issue 14, decision documents: numbered per department (its own prefix), not per counter
    "licence_grant": "准许",
    "licence_denial": "不许",
    "result_notice": "办结",
}


def document_number(prefix: str, kind: str, year: int, counter: int, seq: int) -> str:
    """文书编号 per notice type: ``新经开受〔2026〕010001号`` (counter 01, number 0001); from counter 100 on the
    counter is set apart (``新经开受〔2026〕120-0001号``), so that no two counters' numbers can ever meet."""
    where = f"{counter:02d}" if counter < 100 else f"{counter}-"
    return f"{prefix}{DOC_KIND_MARK[kind]}〔{year}〕{where}{seq:04d}号"


def decision_number(prefix: str, kind: str, year: int, seq: int) -> str:
    """A decision document's number under its department's own prefix: ``新建市场监管局准许〔2026〕0001号``.
    The sequence is the prefix's (``decision_sequence``), so two departments sharing a prefix never clash."""
    return f"{prefix}{DOC_KIND_MARK[kind]}〔{year}〕{seq:04d}号"


def decision_sequence(prefix: str, kind: str, year: int) -> tuple[str, str]:
    """The (scope, period) of ``decision_number``'s sequence."""
    return f"dec:{DOC_KIND_MARK[kind]}:{prefix}", str(year)
