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
from db.engine import DatabaseUrlError, connection_problem, make_engine, normalise_url

OK, ADDRESS, CHARSET = "ok", "address", "charset"
UNREACHABLE, AUTH, NO_DATABASE, BUSY, ERROR = "unreachable", "auth", "no_database", "busy", "error"  # db.engine's
EMPTY, OLDER, NEWER = migrate.EMPTY, migrate.OLDER, migrate.NEWER
TIMEOUT = 3  # seconds: the admin is waiting in front of the wizard

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


def _classify(exc: DBAPIError, url: str) -> Diagnosis:
    kind, message = connection_problem(exc, url)
    return Diagnosis(kind, message)


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
