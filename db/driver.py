"""One statement run on the driver's own connection: for the back office's hottest path only.

SQLAlchemy's execution path — the compiled-cache lookup, building the parameters, the result's metadata, the
session's transaction bookkeeping — costs about 0.3 ms of CPU a statement.  For a claim, which is a single
statement that commits itself (see ``app.backoffice``), that is twice the server's work and more than a raw
``UPDATE … SKIP LOCKED`` client spends in all.  ``DriverStatement`` keeps what matters of that path and drops
the rest:

* the statement is a Core construct, compiled by SQLAlchemy once per engine (no hand-written SQL);
* every parameter goes through its type's bind processor (``UtcDateTime`` turns aware times into naive UTC);
* driver errors come back as SQLAlchemy's exceptions, so ``retry_transient`` and the unit of work's
  "connection lost" message apply, and a connection the error shows dead is thrown out of the pool;
* the connection comes from a pool of autocommit connections beside the engine's own (``autocommit_engine``),
  pinged when it sat idle, like the engine's.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, event
from sqlalchemy.exc import DBAPIError

from db.engine import make_engine

_AUTOCOMMIT: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_AUTOCOMMIT_LOCK = threading.Lock()


def autocommit_engine(engine: Engine) -> Engine:
    """A second, small pool on ``engine``'s database whose connections stay in autocommit: a statement that
    commits itself costs no switch into and out of autocommit, and no rollback on return.  Disposed with
    ``engine``."""
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        with _AUTOCOMMIT_LOCK:
            found = _AUTOCOMMIT.get(engine)
            if found is None:
                found = make_engine(engine.url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                                    pool_reset_on_return=None, pool_size=2)
                if found.dialect.name == "postgresql":
                    event.listen(found, "connect", _plan_once)
                _AUTOCOMMIT[engine] = found
                event.listen(engine, "engine_disposed", lambda _engine, aux=found: aux.dispose())
    return found


def _plan_once(dbapi_connection: Any, _record: Any) -> None:
    """PostgreSQL: run the prepared statements on their generic plan, always.

    By default the server plans a prepared statement afresh for its parameters whenever its estimate says the
    generic plan might cost more.  Once a department has a few thousand cases under review, the claim's estimate
    says so, and planning (about 0.4 ms) then doubled the cost of every claim.  The claim's plan does not depend
    on its parameters: each probe is one index range, whatever the department or the time.
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    constants: dict[str, Any]  # the statement's own literals, bound as parameters
    processors: dict[str, Callable[[Any], Any]]


class DriverStatement:
    """A Core SELECT (with data-modifying WITH parts) run in autocommit on a pooled DBAPI connection; one
    result row, as a dict."""

    def __init__(self, statement: Select[Any], sample: dict[str, Any]) -> None:
        """``sample``: a full set of the statement's parameters (any values), to find its constant ones."""
        self._statement = statement
        self._sample = sample
        self._names = tuple(statement.selected_columns.keys())
        self._compiled: weakref.WeakKeyDictionary[Engine, _Compiled] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _for(self, engine: Engine) -> _Compiled:
        found = self._compiled.get(engine)
        if found is None:
            with self._lock:
                compiled = self._statement.compile(dialect=engine.dialect)
                processors: dict[str, Callable[[Any], Any]] = {}
                for name, bind in compiled.binds.items():
                    processor = bind.type.bind_processor(engine.dialect)
                    if processor is not None:
                        processors[name] = processor
                constants = {k: v for k, v in compiled.construct_params(self._sample).items() if k not in self._sample}
                found = _Compiled(str(compiled), constants, processors)
                self._compiled[engine] = found
        return found

    def one(self, engine: Engine, params: dict[str, Any]) -> dict[str, Any] | None:
        """Run the statement as a transaction of its own; its first row by column name, or None."""
        compiled = self._for(engine)
        values = {**compiled.constants, **params}
        for name, processor in compiled.processors.items():
            values[name] = processor(values[name])
        dialect = engine.dialect
        pooled = autocommit_engine(engine).raw_connection()
        try:
            conn = pooled.driver_connection
            assert conn is not None
            with conn.cursor() as cursor:
                cursor.execute(compiled.sql, values)
                row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as exc:
            disconnected = dialect.is_disconnect(exc, pooled.dbapi_connection, None)
            if disconnected:
                pooled.invalidate(exc)
            error = DBAPIError.instance(compiled.sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect,
                                        connection_invalidated=disconnected, hide_parameters=True)
            raise error from exc
        finally:
            pooled.close()
        return None if row is None else dict(zip(self._names, row, strict=True))
