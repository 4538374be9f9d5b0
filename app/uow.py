"""Unit of work: one database transaction per use case, with its audit rows inside it."""

from __future__ import annotations

import functools
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app import audit
from app.errors import DatabaseBusy, DatabaseUnavailable
from app.infra import refcache as _refcache  # noqa: F401  (registers the reference-data change stamp)
from db import engine as db_engine
from db.engine import busy_message, is_busy


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — anything not committed is rolled back on exit."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    @property
    def engine(self) -> Engine:
        """The database this unit of work writes to, without opening a session (``claim_next``'s fast path)."""
        bind = self._factory.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def __enter__(self) -> Self:
        self.session = self._factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed, and leaves loaded objects readable (detached).
        self.session.close()
        if exc is not None:
            raise_expected(exc)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def audit(self, actor: str, action: str, entity: str, entity_id: str, payload: dict[str, Any] | None = None,
              *, chain: str | None = None) -> None:
        """One audit row in this transaction, on the actor's own chain unless ``chain`` names another."""
        audit.append(self.session, actor=actor, action=action, entity=entity, entity_id=entity_id, payload=payload,
                     chain=chain or audit.writer_chain(actor))


def raise_expected(exc: BaseException) -> None:
    """Turn a database error the user can do nothing about but wait or retry into its Chinese message."""
    if is_busy(exc):
        # Another program kept a SQLite file locked for the whole busy timeout: not the network.
        raise DatabaseBusy(busy_message()) from exc
    if isinstance(exc, (OperationalError, InterfaceError)) and not is_transient(exc):
        if isinstance(exc.orig, sqlite3.Error):
            # A local file: a full disk, a file that cannot be written, a schema that is not there.
            raise DatabaseUnavailable(f"本机数据库读写失败（{exc.orig}），操作未完成（未保存任何内容）。") from exc
        # The connection is gone (server down, network cut): an expected error, not a bug.
        raise DatabaseUnavailable("与数据库的连接中断，操作未完成（未保存任何内容）。请检查网络后重试。") from exc


@contextmanager
def database_errors() -> Iterator[None]:
    """For database work outside a unit of work (opening, migrating, syncing): the same Chinese messages."""
    try:
        yield
    except DBAPIError as exc:
        raise_expected(exc)
        raise


P = ParamSpec("P")
R = TypeVar("R")

# MariaDB/MySQL: 1213 deadlock, 1205 lock wait timeout; PostgreSQL: serialization failure, deadlock.
_TRANSIENT_MYSQL = {1213, 1205}
_TRANSIENT_PG = {"40001", "40P01"}


def is_transient(exc: BaseException) -> bool:
    """A database error that says "try the whole transaction again", not "your data is wrong"."""
    if not isinstance(exc, DBAPIError):
        return False
    if is_busy(exc):
        return True
    orig = exc.orig
    code = getattr(orig, "sqlstate", None)
    if code in _TRANSIENT_PG:
        return True
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    return len(args) > 0 and args[0] in _TRANSIENT_MYSQL


def retry_transient(fn: Callable[P, R], attempts: int = 5) -> Callable[P, R]:
    """Re-run a whole use case when the database chose it as a deadlock victim, or SQLite said "busy" without
    waiting its busy timeout (it does so where waiting could deadlock).

    Safe because a use case is one unit of work: the failed attempt was rolled back completely.  A busy error
    that comes after the whole busy timeout is final: the user has waited long enough to be told.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.monotonic()

        def final(attempt: int) -> bool:
            return attempt == attempts or time.monotonic() - started >= db_engine.SQLITE_BUSY_TIMEOUT

        for attempt in range(1, attempts + 1):
            try:
                return fn(*args, **kwargs)
            except DatabaseBusy:
                if final(attempt):
                    raise
            except DBAPIError as exc:
                if is_busy(exc):  # raised outside a unit of work
                    if final(attempt):
                        raise DatabaseBusy(busy_message()) from exc
                elif attempt == attempts or not is_transient(exc):
                    raise
            time.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper
