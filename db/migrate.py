"""Schema upgrades through Alembic, driven from code (``python -m app db upgrade``).

Alembic is imported only to migrate.  Every program checks the schema when it opens a database, and that check
reads the ``alembic_version`` row and this program's revisions from the scripts' own ``revision =`` lines
(``revisions``), without Alembic: importing it cost every start about a sixth of a second (``bench_startup``).
``tests/test_migrations.py`` checks the two readings agree.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from db.engine import reading

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(?:[\"']([^\"']+)[\"']|None)", re.MULTILINE)


class MigrationError(Exception):
    """A migration left the database inconsistent (and was rolled back); ``str()`` is the Chinese message."""


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _run_upgrade(conn: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.dialect.name == "sqlite":
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise MigrationError(f"数据库升级后表 {broken[0]} 的外键不一致，已撤销本次升级")


def upgrade(engine: Engine, revision: str = "head") -> None:
    state = schema_state(engine)
    if state == "newer":  # Alembic would fail on the unknown revision; say what it means instead
        raise MigrationError(schema_message(state, current_revision(engine)))
    if state == "current" and revision == "head":
        return  # nothing to do, and no Alembic to load
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            _run_upgrade(conn, revision)
            return
        # SQLite changes a column by copying its table and dropping the old one: with foreign keys on, the drop
        # would delete (ON DELETE CASCADE) or refuse for every row that refers to it.  The pragma is ignored
        # inside a transaction, so it is set on the bare connection first; the check above runs before commit.
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            _run_upgrade(conn, revision)
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None: no HallDesk schema yet)."""
    # A read: on SQLite it must not queue behind writers (every program checks the schema when it opens).
    with reading(engine) as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None if not rows else ",".join(sorted(map(str, rows)))


@cache
def revisions() -> dict[str, str | None]:
    """This program's revisions, each with the one it follows (None for the first), read from the scripts."""
    found: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is not None and down is not None:
            found[revision.group(1)] = down.group(1)
    return found


def head_revision() -> str | None:
    """The newest revision: the one no other follows (the history is one line)."""
    known = revisions()
    followed = set(known.values())
    heads = [revision for revision in known if revision not in followed]
    return heads[0] if len(heads) == 1 else None


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


# The schema of a database against this program's migrations.
EMPTY, OLDER, CURRENT, NEWER = "empty", "older", "current", "newer"


def known_revision(revision: str) -> bool:
    return revision in revisions()


def schema_state(engine: Engine) -> str:
    """``empty`` (no HallDesk schema yet), ``older`` (a revision our scripts can upgrade), ``current`` or
    ``newer`` (a revision our scripts do not know: a newer HallDesk migrated it)."""
    current = current_revision(engine)
    if current is None:
        return EMPTY
    if current == head_revision():
        return CURRENT
    return OLDER if known_revision(current) else NEWER


def schema_message(state: str, current: str | None = None) -> str:
    """What the user reads about a schema that is not current, in plain Chinese."""
    if state == EMPTY:
        return ("数据库中还没有 HallDesk 的数据表（新数据库）：请管理员在本机设置中点“创建数据表”，"
                "或运行 python -m app db upgrade 建立数据表。")
    if state == OLDER:
        return (f"数据库的结构比本程序旧（数据库版本 {current}，本程序需要 {head_revision()}）：请管理员先备份数据库，"
                "再运行 python -m app db upgrade 升级数据库，然后重新打开本程序。")
    if state == NEWER:
        return (f"数据库的结构比本程序新（数据库版本 {current}，本程序不认识）：大厅已有电脑安装了更新版本的 HallDesk。"
                "请在本机安装与之相同的新版本后再打开；本程序不会改动该数据库。")
    return "数据库结构是最新版本。"
