"""This PC's set-up: how it works (单机 / 窗口电脑 / 后台电脑) and where the hall's database is.

The settings live in ``station.json`` in the data folder (``db.paths.data_dir``), written atomically by the
set-up wizard (``ui/setup``) or ``python -m app setup --file``.  They hold the server's parts — kind, host,
port, database, user — and never its password, which is in the operating system's credential store
(``app.credentials``).

Which database a program opens: ``--db URL`` > env ``HALLDESK_DB`` > these settings > the embedded SQLite file.
A 窗口电脑 (counter PC) works on its own store (``--local``) and syncs with the server named here; a 后台电脑
(back-office PC) works on the server directly; 单机 is the embedded SQLite file alone.

Cheap to import on purpose (the login window starts after it): SQLAlchemy and keyring are imported inside the
functions that need them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import ValidationError
from db.paths import data_dir, write_private

STATION_FILE = "station.json"
EMBEDDED_FILE = "halldesk.sqlite3"  # db.engine.default_sqlite_url's file
ENV_DB = "HALLDESK_DB"  # db.engine.ENV_DB (not imported: that module loads SQLAlchemy)

STANDALONE, COUNTER, BACKOFFICE = "standalone", "counter", "backoffice"
MODES: dict[str, str] = {STANDALONE: "单机", COUNTER: "窗口电脑", BACKOFFICE: "后台电脑"}
MODE_HELP: dict[str, str] = {
    STANDALONE: "本机单独使用，数据保存在本机的内置数据库中",
    COUNTER: "窗口受理用的电脑：在本机窗口库中受理（断网也能受理），并与大厅的数据库服务器同步",
    BACKOFFICE: "后台审批、出件、督查等用的电脑：直接使用大厅的数据库服务器",
}
# Server kinds: label, default port, SQLAlchemy driver.
KINDS: dict[str, tuple[str, int, str]] = {
    "postgresql": ("PostgreSQL", 5432, "postgresql+psycopg"),
    "mariadb": ("MariaDB / MySQL", 3306, "mysql+pymysql"),
}
MAX_COUNTER = 999  # app.accounts.MAX_COUNTER (not imported: app.accounts loads SQLAlchemy)
# Field limits of the settings (typed into the wizard, read from a roll-out file).
MAX_HOST = 253  # a DNS name
MAX_NAME = 63  # PostgreSQL's identifier limit (MariaDB's database names: 64, user names: 80)


class InstallationError(ValidationError):
    """This PC's settings file is unreadable or wrong; ``message`` says which file and what to do."""


@dataclass(frozen=True)
class Server:
    """The hall's database server, without its password."""

    kind: str
    host: str
    port: int
    database: str
    user: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "host": self.host, "port": self.port, "database": self.database,
                "user": self.user}

    @property
    def account(self) -> str:
        """The name the password is kept under in the credential store."""
        return f"{self.kind}://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def label(self) -> str:
        return f"{KINDS[self.kind][0]} {self.host}:{self.port}/{self.database}（用户 {self.user}）"

    def url(self, password: str | None) -> str:
        """The SQLAlchemy URL with ``password`` (keep the result in memory only: never write or log it)."""
        from sqlalchemy.engine import URL

        return URL.create(KINDS[self.kind][2], username=self.user, password=password or None, host=self.host,
                          port=self.port, database=self.database).render_as_string(hide_password=False)

    def display_url(self) -> str:
        """The URL for messages and ``setup show``: no password."""
        return self.url(None)


@dataclass(frozen=True)
class Station:
    """This PC's settings (``station.json``)."""

    mode: str
    server: Server | None = None
    counter: int | None = None

    @property
    def mode_name(self) -> str:
        return MODES[self.mode]

    def as_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "mode_name": self.mode_name,
                "server": self.server.as_json() if self.server else None, "counter": self.counter}


# ---- checking settings ---------------------------------------------------------------------------------------


def server_problems(kind: str, host: str, port: object, database: str, user: str,
                    prefix: str = "server.") -> list[tuple[str, str]]:
    """Every problem of a server's fields, as (field, Chinese message); the wizard and the CLI share it."""
    problems: list[tuple[str, str]] = []
    if kind not in KINDS:
        problems.append((f"{prefix}kind", f"数据库类型 {kind or '（空）'} 不支持，可选：{'、'.join(KINDS)}"))
    if not host.strip():
        problems.append((f"{prefix}host", "请填写数据库服务器的地址（IP 或主机名）"))
    elif len(host) > MAX_HOST or any(c.isspace() or c in "/@?#" for c in host.strip()):
        problems.append((f"{prefix}host", f"数据库服务器地址“{host[:40]}”不正确：只填 IP 或主机名，不带端口、用户或路径"))
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append((f"{prefix}port", f"端口须为 1–65535 的整数，实际为 {port!r}"))
    for field, value, what in (("database", database, "数据库名"), ("user", user, "数据库用户名")):
        if not value.strip():
            problems.append((f"{prefix}{field}", f"请填写{what}"))
        elif len(value) > MAX_NAME or any(c.isspace() or c in "/@?#:'\"`\\" for c in value):
            problems.append((f"{prefix}{field}", f"{what}“{value[:40]}”不正确：不超过{MAX_NAME}个字符，不含空格和 / @ ? # : 引号"))
    return problems


def station_problems(station: Station, prefix: str = "") -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if station.mode not in MODES:
        problems.append((f"{prefix}mode", f"工作方式 {station.mode} 不存在，可选：{'、'.join(f'{k}（{v}）' for k, v in MODES.items())}"))
        return problems
    if station.mode == STANDALONE and station.server is not None:
        problems.append((f"{prefix}server", "单机使用内置数据库：不要填写数据库服务器"))
    if station.mode != STANDALONE and station.server is None:
        problems.append((f"{prefix}server", f"{station.mode_name}须填写大厅的数据库服务器"))
    if station.server is not None:
        s = station.server
        problems += server_problems(s.kind, s.host, s.port, s.database, s.user, f"{prefix}server.")
    if station.mode == COUNTER and station.counter is None:
        problems.append((f"{prefix}counter", "窗口电脑须填写本机的窗口号"))
    if station.mode == BACKOFFICE and station.counter is not None:
        problems.append((f"{prefix}counter", "后台电脑不属于任何窗口：不要填写窗口号"))
    if station.counter is not None and (isinstance(station.counter, bool) or not isinstance(station.counter, int)
                                        or not 1 <= station.counter <= MAX_COUNTER):
        problems.append((f"{prefix}counter", f"窗口号须为 1–{MAX_COUNTER} 的整数，实际为 {station.counter!r}"))
    return problems


def check_station(station: Station) -> None:
    problems = station_problems(station)
    if problems:
        raise ValidationError(problems[0][0], problems[0][1], problems=problems)


# ---- the settings file ---------------------------------------------------------------------------------------


def station_path() -> Path:
    return data_dir() / STATION_FILE


def embedded_path() -> Path:
    return data_dir() / EMBEDDED_FILE


def _station_from_json(doc: Any, path: Path) -> Station:
    broken = InstallationError("station", f"本机设置文件 {path} 内容不正确：请用 python -m app --setup 重新设置本机")
    if not isinstance(doc, dict) or not isinstance(doc.get("mode"), str):
        raise broken
    server = None
    raw = doc.get("server")
    if raw is not None:
        if not isinstance(raw, dict):
            raise broken
        try:
            server = Server(str(raw["kind"]), str(raw["host"]), raw["port"], str(raw["database"]), str(raw["user"]))
        except KeyError:
            raise broken from None
    station = Station(doc["mode"], server, doc.get("counter"))
    if station_problems(station):
        raise broken
    return station


def load_station(path: Path | None = None) -> Station | None:
    """This PC's settings; None when it has not been set up (no file)."""
    path = path or station_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallationError("station", f"无法读取本机设置文件 {path}：{exc.strerror}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
    return _station_from_json(doc, path)


def save_station(station: Station, path: Path | None = None) -> Path:
    """Check and write this PC's settings (never a password); returns the file."""
    check_station(station)
    path = path or station_path()
    doc = {k: v for k, v in station.as_json().items() if k != "mode_name"}
    write_private(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return path


# ---- which database ------------------------------------------------------------------------------------------


def station_url(station: Station | None = None) -> str | None:
    """The server URL of this PC's settings, with the password from the credential store; None for 单机."""
    station = station if station is not None else load_station()
    if station is None or station.server is None:
        return None
    from app import credentials

    return station.server.url(credentials.fetch(station.server))


def resolve_url(cli_url: str | None) -> str:
    """``--db URL`` > env ``HALLDESK_DB`` > this PC's settings > the embedded SQLite file."""
    explicit = cli_url or os.environ.get(ENV_DB)
    if explicit:
        return explicit
    configured = station_url()
    if configured:
        return configured
    from db.engine import default_sqlite_url

    return default_sqlite_url()


def explicit_database(cli_url: str | None) -> bool:
    return bool(cli_url or os.environ.get(ENV_DB))


def local_store(cli_url: str | None, cli_local: str | None) -> str | None:
    """``--local``'s value for this run: as given; else "" (the store in the data folder) on a 窗口电脑 set up
    here and started without ``--db``/``HALLDESK_DB``; else None (no local store)."""
    if cli_local is not None or explicit_database(cli_url):
        return cli_local
    try:
        station = load_station()
    except InstallationError:
        return None  # opening the database says what is wrong with the file
    return "" if station is not None and station.mode == COUNTER else None


def needs_setup(cli_url: str | None, cli_local: str | None) -> bool:
    """The first start on a fresh PC: no database named, no settings, no embedded database yet."""
    if cli_local is not None or explicit_database(cli_url):
        return False
    return not station_path().exists() and not embedded_path().exists()
