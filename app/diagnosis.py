"""测试连接: what is wrong with a database address, in plain Chinese, for the set-up wizard and ``setup``.

``diagnose(url)`` connects once (a short timeout) and answers with a ``Diagnosis``: ``ok``, or what to fix —
the server out of reach, the user or password refused, the database missing, a MariaDB database that is not
utf8mb4, a new database without HallDesk's tables (``empty``: the wizard offers to create them), a schema older
than this program (an admin upgrades it) or newer (install the newer HallDesk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from app.context import HallDesk
from app.errors import DatabaseUnavailable
from db import charset, migrate
from db.engine import DatabaseUrlError, is_busy, make_engine, normalise_url

OK, ADDRESS, UNREACHABLE, AUTH, NO_DATABASE, CHARSET = "ok", "address", "unreachable", "auth", "no_database", "charset"
EMPTY, OLDER, NEWER, BUSY, ERROR = migrate.EMPTY, migrate.OLDER, migrate.NEWER, "busy", "error"
TIMEOUT = 3  # seconds: the admin is waiting in front of the wizard

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


@dataclass(frozen=True)
class Diagnosis:
    """The answer of 测试连接: ``kind`` (see the module) and the message to show."""

    kind: str
    message: str
    revision: str | None = None  # the database's schema revision (older/newer/ok)

    @property
    def ok(self) -> bool:
        return self.kind == OK

    @property
    def can_create_schema(self) -> bool:
        return self.kind == EMPTY

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ok": self.ok, "message": self.message, "revision": self.revision}


def _where(url: str) -> tuple[str, str, str, str]:
    parsed = normalise_url(url)
    return (parsed.host or "localhost", str(parsed.port or ""), parsed.database or "", parsed.username or "")


def _classify(exc: DBAPIError, url: str) -> Diagnosis:
    host, port, database, user = _where(url)
    address = f"{host}:{port}" if port else host
    orig = exc.orig
    said = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    lowered = str(orig).lower()
    if is_busy(exc):
        return Diagnosis(BUSY, "本机数据库正被其他程序占用：请关闭其他 HallDesk 程序后再试。")
    if code in _MY_UNREACHABLE or any(t in lowered for t in _PG_UNREACHABLE):
        return Diagnosis(UNREACHABLE, f"无法连接数据库服务器 {address}：请检查地址和端口是否正确、服务器是否开机、"
                                      f"数据库服务是否启动、防火墙是否放行该端口。（{said}）")
    if code == _MY_NO_DB or ("does not exist" in lowered and "database" in lowered):
        return Diagnosis(NO_DATABASE, f"数据库服务器 {address} 上没有名为 {database} 的数据库：请核对数据库名，"
                                      "或请数据库管理员按说明书先建立该数据库（PostgreSQL 用 UTF8 编码，MariaDB 用 utf8mb4）。")
    if code == _MY_DB_DENIED:
        return Diagnosis(NO_DATABASE, f"数据库用户 {user} 无权使用数据库 {database}（或该数据库不存在）：请核对数据库名，"
                                      "或请数据库管理员为该用户授权。")
    if code in _MY_AUTH or any(t in lowered for t in _PG_AUTH):
        return Diagnosis(AUTH, f"数据库服务器 {address} 拒绝了用户 {user} 的登录：用户名或密码不正确"
                               "（或该用户不允许从本机连接）。请核对后重新输入。")
    return Diagnosis(ERROR, f"连接数据库 {address}/{database} 失败：{said}")


def _schema(engine: Engine) -> Diagnosis:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        problem = charset.database_problem(conn)
    if problem:
        return Diagnosis(CHARSET, problem)
    state = migrate.schema_state(engine)
    current = migrate.current_revision(engine)
    if state != migrate.CURRENT:
        return Diagnosis(state, migrate.schema_message(state, current), current)
    with engine.connect() as conn:
        problem = charset.table_problem(conn)
    if problem:
        return Diagnosis(CHARSET, problem, current)
    return Diagnosis(OK, f"连接成功，数据库结构是最新版本（{current}）。", current)


def diagnose(url: str, *, timeout: int = TIMEOUT) -> Diagnosis:
    """Connect to ``url`` once and say what is wrong, or ``ok``; never raises for a database problem."""
    try:
        parsed = normalise_url(url)
        options: dict[str, Any] = {}
        if parsed.get_backend_name() != "sqlite":
            options["connect_args"] = {"connect_timeout": timeout}
        engine = make_engine(url, **options)
    except DatabaseUrlError as exc:
        return Diagnosis(ADDRESS, str(exc))
    try:
        return _schema(engine)
    except DBAPIError as exc:
        return _classify(exc, url)
    finally:
        engine.dispose()


def create_schema(url: str) -> Diagnosis:
    """创建数据表: a new (empty) database gets HallDesk's schema; then diagnosed again."""
    found = diagnose(url)
    if found.kind != EMPTY:
        return found
    try:
        hall = HallDesk.open(url, upgrade=True)
    except DatabaseUnavailable as exc:
        return Diagnosis(ERROR, exc.message)
    hall.close()
    return diagnose(url)
