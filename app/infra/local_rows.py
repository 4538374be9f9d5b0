"""Rows written into a counter's own store (SQLite) by plain SQL: the upsert a pull uses and the store's
``sync_state`` key/value pairs.  Shared by the push/pull protocol (``app.infra.sync``) and the registry's pull
(``app.infra.registry_pull``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import sqlite

from db.models import SyncState

Row = dict[str, Any]

# Columns a pull never overwrites in the store: the login state it counts itself while offline (a pull that
# reset them would let a guesser at an offline counter start again after every pull).  Online logins copy the
# shared database's state into the store (CounterStore.login).
KEPT_LOCALLY: dict[str, frozenset[str]] = {"hd_user": frozenset({"failed_logins", "locked_until"})}


def table_of(model: Any) -> Table:
    return cast(Table, model.__table__)


def upsert_local(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` into the store's ``table``, or update them where their keys exist (but ``KEPT_LOCALLY``)."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    kept = KEPT_LOCALLY.get(table.name, frozenset())
    others = [c.name for c in table.columns if c.name not in keys and c.name not in kept]
    stmt = sqlite.insert(table)
    if others:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in others})
    else:
        stmt = stmt.on_conflict_do_nothing()
    conn.execute(stmt, list(rows))


def read_state(conn: Connection) -> dict[str, str]:
    """The store's ``sync_state`` pairs (last sync, last error, the bound counter, the registry's fingerprint)."""
    return {k: v for k, v in conn.execute(select(SyncState.key, SyncState.value)).all()}


def write_state(conn: Connection, values: dict[str, str]) -> None:
    if not values:
        return
    table = table_of(SyncState)
    stmt = sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    conn.execute(stmt, [{"key": k, "value": v} for k, v in values.items()])
