"""Connections: the ping of a pooled connection that sat idle, and ``DriverStatement`` (the claim's fast path)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import String, bindparam, func, insert, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import DBAPIError, IntegrityError

import db.engine as engine_module
from app import audit
from app.context import HallDesk
from app.errors import DatabaseUnavailable
from db.driver import DriverStatement, autocommit_engine
from db.models import AuditChainHead
from db.types import UtcDateTime
from tests.conftest import pg_only, servers_only


def _kill_other_connections(hall: HallDesk, engine_name: str) -> int:
    """Cut every connection to the test database but a new one of our own, as a server restart would."""
    own = sa.create_engine(hall.engine.url, poolclass=sa.NullPool)
    try:
        with own.connect() as conn:
            if engine_name == "postgresql":
                killed = conn.execute(sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
            else:
                ids = conn.execute(sa.text(
                    "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                )).scalars().all()
                for i in ids:
                    conn.execute(sa.text(f"KILL {int(i)}"))
                killed = len(ids)
    finally:
        own.dispose()
    return int(killed)


def _count_users(hall: HallDesk) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(sa.text("SELECT COUNT(*) FROM hd_user")).scalar_one())


@servers_only
def test_a_connection_idle_past_the_limit_is_pinged_and_replaced(
    hall: HallDesk, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = _count_users(hall)  # leaves a connection in the pool
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _kill_other_connections(hall, engine_name) >= 1
    assert _count_users(hall) == users  # the dead one was pinged, thrown away and replaced: no error


@servers_only
def test_a_connection_in_steady_use_is_not_pinged_and_a_cut_costs_one_clear_error(
    hall: HallDesk, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = _count_users(hall)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    assert _kill_other_connections(hall, engine_name) >= 1
    with pytest.raises(DatabaseUnavailable, match="连接中断"):
        _count_users(hall)
    assert _count_users(hall) == users  # the pool was renewed after the error


_ECHO_TIME = DriverStatement(select(sql_cast(bindparam("at", type_=UtcDateTime()), String).label("at")), {"at": None})
_PID = DriverStatement(select(func.pg_backend_pid().label("pid"), literal(1).label("one")), {})
_HEADS = AuditChainHead.__table__
_ADD_HEAD = DriverStatement(
    select(literal(1).label("one")).add_cte(
        insert(_HEADS).values(chain=bindparam("chain"), seq=0, hash=audit.GENESIS).cte("added")),
    {"chain": None})


@pg_only
def test_driver_statement_binds_through_the_types_and_commits_by_itself(hall: HallDesk) -> None:
    at = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=UTC)
    row = _ECHO_TIME.one(hall.engine, {"at": at.astimezone()})  # any zone in: naive UTC on the server
    assert row == {"at": "2026-11-27 09:30:15.123456"}
    with pytest.raises(ValueError, match="naive"):
        _ECHO_TIME.one(hall.engine, {"at": datetime(2026, 1, 1)})
    assert _ADD_HEAD.one(hall.engine, {"chain": "driver:test"}) == {"one": 1}
    with hall.uow() as uow:  # another connection sees it at once: the statement committed itself
        assert uow.session.get(AuditChainHead, "driver:test") is not None
    with pytest.raises(IntegrityError):  # a driver error comes back as SQLAlchemy's, like any statement's
        _ADD_HEAD.one(hall.engine, {"chain": "driver:test"})


@pg_only
def test_driver_statement_throws_a_dead_connection_away(hall: HallDesk) -> None:
    first = _PID.one(hall.engine, {})
    assert first is not None
    assert _kill_other_connections(hall, "postgresql") >= 1
    with pytest.raises(DBAPIError) as info:
        _PID.one(hall.engine, {})
    assert info.value.connection_invalidated
    again = _PID.one(hall.engine, {})
    assert again is not None and again["pid"] != first["pid"]


@pg_only
def test_the_autocommit_pool_goes_with_its_engine(hall: HallDesk) -> None:
    aux = autocommit_engine(hall.engine)
    assert autocommit_engine(hall.engine) is aux
    _PID.one(hall.engine, {})
    assert aux.pool.checkedin() == 1
    hall.engine.dispose()
    assert aux.pool.checkedin() == 0


_PLANS = DriverStatement(
    select(func.coalesce(func.sum(sa.column("custom_plans")), 0).label("custom"),
           func.coalesce(func.sum(sa.column("generic_plans")), 0).label("generic"))
    .select_from(sa.table("pg_prepared_statements")), {})


@pg_only
def test_prepared_statements_run_on_their_generic_plan(hall: HallDesk) -> None:
    # The server would otherwise plan each run afresh whenever its estimate favours that (the claim's did, with
    # a few thousand cases under review): planning cost as much as the claim itself.
    for _ in range(12):  # psycopg prepares from the fifth run on; the server tries custom plans for five more
        _PID.one(hall.engine, {})
    plans = _PLANS.one(hall.engine, {})
    assert plans is not None
    assert plans["custom"] == 0 and plans["generic"] >= 5
