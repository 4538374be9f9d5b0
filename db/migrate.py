"""Schema upgrades through Alembic, driven from code (``python -m app db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from db.engine import reading

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(Exception):
    """A migration left the database inconsistent (and was rolled back); ``str()`` is the Chinese message."""


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _run_upgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    with conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.dialect.name == "sqlite":
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise MigrationError(f"数据库升级后表 {broken[0]} 的外键不一致，已撤销本次升级")


def upgrade(engine: Engine, revision: str = "head") -> None:
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
    # A read: on SQLite it must not queue behind writers (every program checks the schema when it opens).
    with reading(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
