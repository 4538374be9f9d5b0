"""Engine and session setup for SQLite, PostgreSQL (psycopg 3) and MariaDB/MySQL (PyMySQL)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from db.paths import data_dir as data_dir  # re-exported: older imports name db.engine

ENV_DB = "HALLDESK_DB"


class DatabaseUrlError(Exception):
    """The URL cannot be parsed, names an unknown driver, or the server cannot be reached."""


class DatabaseBusyError(DatabaseUrlError):
    """A SQLite file stayed locked by another connection for longer than ``SQLITE_BUSY_TIMEOUT``."""


# How long a SQLite writer waits for the one write lock while other programs (the GUI, its print worker, its
# sync, a script) hold it.  Generous: every use case is one short transaction, so writers take turns, and
# on a busy 2-core PC twenty of them in a queue can take tens of seconds.  Read when an engine is made.
SQLITE_BUSY_TIMEOUT = 60.0
# SQLite's primary result codes for "another connection holds the lock" (extended codes keep them in the low byte).
_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_BUSY_TEXTS = ("database is locked", "database is busy", "database table is locked", "database schema is locked")
# Execution option: this connection only reads, so on SQLite it starts a deferred transaction (no write lock).
READ_ONLY = "halldesk_read_only"


def busy_message() -> str:
    return (f"本机数据库正被其他程序占用（等了{SQLITE_BUSY_TIMEOUT:g}秒仍未轮到），操作未完成，未保存任何内容。"
            "请稍后重试；如一直如此，请检查本机是否有卡住的 HallDesk 程序或脚本。")


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked/busy": another program holds the file, not a network or data problem."""
    orig = getattr(exc, "orig", exc)
    if not isinstance(orig, sqlite3.Error):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY_CODES
    return any(text in str(orig).lower() for text in _BUSY_TEXTS)


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'halldesk.sqlite3'}"


def resolve_url(cli_url: str | None) -> str:
    """``--db URL`` wins, then env ``HALLDESK_DB``, then the embedded SQLite file (``app.installation.resolve_url``
    puts this PC's set-up before the embedded file)."""
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


def _wal(cur: sqlite3.Cursor, deadline: float) -> None:
    """Switch a file to WAL.  The switch takes a lock without waiting for it (SQLITE_BUSY at once, the busy
    timeout does not apply), which happens when several programs open a brand-new file together: retry."""
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_setup(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            _wal(cur, time.monotonic() + busy_timeout)
            # FULL: a commit is on disk before intake prints the receipt.  A counter's store holds cases the
            # shared database has not seen yet; with NORMAL a power cut could lose the last ones while the
            # applicant already holds their receipts.  It costs one fsync of the WAL per commit.
            cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # A reader in WAL mode sees the last commit and never waits for the writer.
            conn.exec_driver_sql("BEGIN")
            return
        # SQLite has no row locks: take the write lock up front so that two writers queue instead of
        # failing half-way with "database is locked" when one upgrades its read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: on SQLite it neither takes nor waits for the write lock."""
    with engine.connect() as conn:
        yield conn.execution_options(**{READ_ONLY: True})


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


def where(url: str | URL) -> str:
    """For the log: the kind of database and where it is, never the user or password (``sqlite file
    local.sqlite3``, ``postgresql 10.0.0.5:5432/halldesk``)."""
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"sqlite file {Path(parsed.database).name if parsed.database else ':memory:'}"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{backend} {parsed.host or 'localhost'}{port}/{parsed.database or ''}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = normalise_url(url)
    # hide_parameters: a database error's message never carries the bound values (ID numbers, phones, pickup
    # codes), so nothing that logs or shows it can leak them.
    options: dict[str, Any] = {"future": True, "hide_parameters": True}
    busy_timeout = SQLITE_BUSY_TIMEOUT
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        options["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout}
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
        _sqlite_setup(engine, busy_timeout)
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


# MariaDB/MySQL client and server error numbers.
_MY_UNREACHABLE = {2002, 2003, 2005, 2006, 2013}  # socket, refused or timed out, unknown host, gone, lost
_MY_AUTH = {1045, 1698, 1251}  # access denied (wrong password, unknown user), auth plugin
_MY_NO_DB = 1049  # unknown database
_MY_DB_DENIED = 1044  # the user may not use that database (MariaDB also says this for one that does not exist)
# libpq's English texts (the server's own FATAL texts follow its lc_messages: English by default).
_PG_UNREACHABLE = ("connection refused", "timeout expired", "could not translate host name", "failed to resolve host",
                   "no route to host", "network is unreachable", "connection timed out", "server closed the connection")
_PG_AUTH = ("password authentication failed", "no password supplied", "role \"", "authentication failed",
            "no pg_hba.conf entry")


def connection_problem(exc: DBAPIError, url: str | URL) -> tuple[str, str]:
    """Why connecting failed, as (kind, Chinese message): ``unreachable``, ``auth``, ``no_database``, ``busy``
    or ``error``.  Shared by 测试连接 (``app.diagnosis``) and every program opening its database."""
    parsed = normalise_url(url) if isinstance(url, str) else url
    host, port = parsed.host or "localhost", parsed.port
    database, user = parsed.database or "", parsed.username or ""
    address = f"{host}:{port}" if port else host
    orig = exc.orig
    said = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    lowered = str(orig).lower()
    if is_busy(exc):
        return "busy", busy_message()
    if parsed.get_backend_name() == "sqlite":
        return "error", f"无法打开本机数据库 {database}：{said}"
    if code in _MY_UNREACHABLE or any(t in lowered for t in _PG_UNREACHABLE):
        return "unreachable", (f"无法连接数据库服务器 {address}：请检查地址和端口是否正确、服务器是否开机、"
                               f"数据库服务是否启动、防火墙是否放行该端口。（{said}）")
    if code == _MY_NO_DB or ("does not exist" in lowered and "database" in lowered):
        return "no_database", (f"数据库服务器 {address} 上没有名为 {database} 的数据库：请核对数据库名，"
                               "或请数据库管理员按说明书先建立该数据库（PostgreSQL 用 UTF8 编码，MariaDB 用 utf8mb4）。")
    if code == _MY_DB_DENIED:
        return "no_database", (f"数据库用户 {user} 无权使用数据库 {database}（或该数据库不存在）：请核对数据库名，"
                               "或请数据库管理员为该用户授权。")
    if code in _MY_AUTH or any(t in lowered for t in _PG_AUTH):
        return "auth", (f"数据库服务器 {address} 拒绝了用户 {user} 的登录：用户名或密码不正确"
                        "（或该用户不允许从本机连接）。请核对后重新输入。")
    return "error", f"连接数据库 {address}/{database} 失败：{said}"


def check_reachable(engine: Engine) -> None:
    try:
        with reading(engine) as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        if is_busy(exc):
            # Opening a SQLite file never waits for writers; only switching a new file to WAL can end up here.
            raise DatabaseBusyError(busy_message()) from exc
        raise DatabaseUrlError(connection_problem(exc, engine.url)[1]) from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
