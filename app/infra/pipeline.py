"""Round trips: several statements whose results nobody reads, sent to the server together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


@contextmanager
def one_round_trip(session: Session) -> Iterator[None]:
    """On PostgreSQL (psycopg) the statements inside go out as one pipeline: one round trip instead of one each.

    For statements whose results nobody reads (INSERT, UPDATE without RETURNING).  Their errors surface when the
    block ends and are raised as SQLAlchemy's exceptions, like any statement's: a deadlock is still retried by
    ``retry_transient`` and a duplicate key is an ``IntegrityError``.  Other engines run the statements one by one.
    """
    conn = session.connection()
    pipeline = getattr(conn.connection.driver_connection, "pipeline", None)
    if conn.dialect.name != "postgresql" or pipeline is None:
        yield
        return
    dbapi = conn.dialect.loaded_dbapi
    try:
        with pipeline():
            yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi.Error, dialect=conn.dialect) from exc
