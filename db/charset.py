"""MariaDB/MySQL must store every character a name can hold: utf8mb4 for the database and every HallDesk table.

utf8mb3 (MariaDB's old ``utf8``) stores at most 3 bytes a character: a rare character of a person's name from
CJK extension B (𠀀, U+20000) or an emoji would make the insert fail.  The connection already asks for utf8mb4
(``db.engine.normalise_url``); tables take the database's default character set when the migrations create
them, so a database made as utf8mb3 is refused before anything is migrated, and so is a HallDesk table (or
column) that is not utf8mb4 — with the statement that fixes it, instead of a failure at the first such name.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from db.models import Base

CHARSET = "utf8mb4"
COLLATION = "utf8mb4_unicode_ci"
_SHOWN = 5  # tables named in the message; the rest are counted


class CharsetError(Exception):
    """A MariaDB/MySQL database or HallDesk table that is not utf8mb4; ``str()`` is the Chinese message."""


def _is_mysql(conn: Connection) -> bool:
    return conn.dialect.name in ("mysql", "mariadb")


def database_problem(conn: Connection) -> str | None:
    """The message for a database whose default character set is not utf8mb4, else None."""
    if not _is_mysql(conn):
        return None
    name, charset = conn.execute(text(
        "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME = DATABASE()")).one()
    if charset == CHARSET:
        return None
    return (f"数据库 {name} 的字符集是 {charset}，HallDesk 需要 {CHARSET}（才能存下生僻字和表情符号）："
            f"请用 CREATE DATABASE `{name}` CHARACTER SET {CHARSET} COLLATE {COLLATION} 重建，"
            f"或执行 ALTER DATABASE `{name}` CHARACTER SET {CHARSET} COLLATE {COLLATION}（已有的表还须逐个转换）。")


def table_problem(conn: Connection) -> str | None:
    """The message for HallDesk tables (or their text columns) that are not utf8mb4, else None."""
    if not _is_mysql(conn):
        return None
    ours = sorted(Base.metadata.tables)
    # A collation's name starts with its character set's (utf8mb4_unicode_ci, utf8mb3_general_ci, ...).
    rows = conn.execute(text(
        "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_COLLATION NOT LIKE 'utf8mb4\\_%' "
        "UNION SELECT TABLE_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND COLLATION_NAME NOT LIKE 'utf8mb4\\_%'"
    )).all()
    bad: dict[str, str] = {}
    for table, collation in rows:
        if table in ours:
            bad.setdefault(table, str(collation).split("_")[0])
    if not bad:
        return None
    name = conn.execute(text("SELECT DATABASE()")).scalar_one()
    tables = sorted(bad)
    listed = "、".join(f"{t}（{bad[t]}）" for t in tables[:_SHOWN])
    more = f"等 {len(tables)} 个表" if len(tables) > _SHOWN else ""
    return (f"数据库 {name} 中的表 {listed}{more}的字符集不是 {CHARSET}，存不下生僻字和表情符号：请逐个执行 "
            f"ALTER TABLE `表名` CONVERT TO CHARACTER SET {CHARSET} COLLATE {COLLATION} 后再试。")


def check_connection(conn: Connection) -> None:
    """Raise CharsetError when the database or a HallDesk table is not utf8mb4 (nothing to check elsewhere)."""
    problem = database_problem(conn) or table_problem(conn)
    if problem:
        raise CharsetError(problem)


def check(engine: Engine) -> None:
    if engine.dialect.name not in ("mysql", "mariadb"):
        return
    with engine.connect() as conn:
        check_connection(conn)
