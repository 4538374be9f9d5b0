"""Copying a MariaDB database for tests and benchmarks: MariaDB has no template databases.

The copy replays the source's own ``SHOW CREATE TABLE`` (indexes, foreign keys, utf8mb4, the Alembic version
table included), read once per source, then copies the rows.  The source was made by the migrations, so the
copy is what they make, without running the whole chain again for every test: that cost a MariaDB test about
a second of its set-up.
"""

from __future__ import annotations

import sqlalchemy as sa

from db.engine import make_engine

# source database -> its tables' CREATE statements, in the order the server lists them
_CREATE: dict[str, list[tuple[str, str]]] = {}


def _create_statements(c: sa.Connection, source: str) -> list[tuple[str, str]]:
    if source not in _CREATE:
        tables = c.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s AND table_type = 'BASE TABLE' "
            "ORDER BY table_name"), {"s": source}).scalars().all()
        _CREATE[source] = [(t, str(c.execute(sa.text(f"SHOW CREATE TABLE `{source}`.`{t}`")).one()[1]))
                           for t in tables]
    return _CREATE[source]


def copy_rows(url: str, source: str) -> None:
    """Make the (empty) database at ``url`` a copy of ``source`` on the same server: the same tables (indexes,
    foreign keys, the migration version), then every table's rows."""
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            c.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
            for table, create in _create_statements(c, source):
                c.exec_driver_sql(create)
                c.exec_driver_sql(f"INSERT INTO `{table}` SELECT * FROM `{source}`.`{table}`")
            c.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
    finally:
        engine.dispose()
