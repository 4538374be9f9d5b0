"""Engine and session setup for SQLite, PostgreSQL (psycopg 3) and MariaDB/MySQL (PyMySQL)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

APP_NAME = "HallDesk"
ENV_DB = "HALLDESK_DB"


class DatabaseUrlError(Exception):
    """The URL cannot be parsed, names an unknown driver, or the server cannot be reached."""


def data_dir() -> Path:
    """The user data folder (platformdirs); HALLDESK_DATA_DIR overrides it for tests and portable installs."""
    override = os.environ.get("HALLDESK_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'halldesk.sqlite3'}"


def resolve_url(cli_url: str | None) -> str:
    """``--db URL`` wins, then env ``HALLDESK_DB``, then the embedded SQLite file."""
    return cli_url or os.environ.get(ENV_DB) or default_sqlite_url()


def normalise_url(url: str) -> URL:
    """Pick our drivers for bare ``postgresql://`` and ``mysql://`` URLs and force utf8mb4 on MariaDB."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"数据库地址格式不正确：{url}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend in ("mysql", "mariadb"):
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername=f"{backend}+pymysql")
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    elif backend != "sqlite":
        raise DatabaseUrlError(f"不支持的数据库类型：{backend}（支持 sqlite、postgresql、mysql/mariadb）")
    return parsed


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before intake prints the receipt.  A counter's store holds cases the
            # shared database has not seen yet; with NORMAL a power cut could lose the last ones while the
            # applicant already holds their receipts.  It costs one fsync of the WAL per commit.
            cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # SQLite has no row locks: take the write lock up front so that two writers queue instead of
        # failing half-way with "database is locked" when one upgrades its read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def private_file(path: Path) -> None:
    """Make ``path`` (and its folder) exist, readable and writable by this user only: an embedded database or a
    counter's store holds every user's password hash and applicants' full ID numbers.  SQLite gives its -wal
    and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if os.name == "posix" and path.stat().st_mode & 0o077:
        with contextlib.suppress(PermissionError):  # another user's file: theirs to protect
            path.chmod(0o600)


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = normalise_url(url)
    # hide_parameters: a database error's message never carries the bound values (ID numbers, phones, pickup
    # codes), so nothing that logs or shows it can leak them.
    options: dict[str, Any] = {"future": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        options["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        options["connect_args"] = {"connect_timeout": 5}
        if parsed.get_backend_name() == "postgresql":
            # Keys are made by the client, so no RETURNING is needed; psycopg's pipelined executemany beats one
            # long multi-VALUES statement, which psycopg re-parses every time once it is over 4 KB.
            options["use_insertmanyvalues"] = False
        if parsed.get_backend_name() in ("mysql", "mariadb"):
            # Same visibility rules as PostgreSQL: a locking re-read after a duplicate key sees the winner's row.
            options["isolation_level"] = "READ COMMITTED"
    options.update(kwargs)
    try:
        engine = create_engine(parsed, **options)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseUrlError(f"无法使用数据库地址 {parsed.render_as_string(hide_password=True)}：{exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    else:
        _ping_when_idle(engine)
    return engine


# A pooled connection that sat unused this long is pinged before it is handed out.  Pinging every checkout
# (SQLAlchemy's pool_pre_ping) cost a round trip per unit of work; a connection in steady use is known to
# be alive, while one idle for minutes may have been cut by a firewall, a server restart or a sleeping PC.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "halldesk.idle_since"


def _ping_when_idle(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new, or in steady use
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            # The pool throws this connection away and hands out a fresh one (or reports the server gone).
            raise DisconnectionError(f"idle connection is dead: {exc}") from exc


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUrlError(f"无法连接数据库 {where}，请检查地址、网络和数据库服务是否启动。") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
