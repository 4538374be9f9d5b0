"""Alembic environment: run with a connection handed over by ``db.migrate`` (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from db.charset import check_connection
from db.models import Base

config = context.config


def _run(connection: Connection) -> None:
    # MariaDB/MySQL: tables take the database's character set, so a utf8mb3 database is refused before any
    # table is made there (db.charset).
    check_connection(connection)
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("HallDesk migrations run through `python -m app db upgrade`, which passes a connection")
_run(connection)
