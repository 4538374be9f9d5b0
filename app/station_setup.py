"""Setting up this PC, step by step: the set-up wizard (``ui/setup``) and ``python -m app setup --file`` share it.

A roll-out file (YAML) says everything the wizard asks::

    mode: counter                # standalone (单机) | counter (窗口电脑) | backoffice (后台电脑)
    server:                      # not for standalone
      kind: postgresql           # or mariadb
      host: 192.168.10.5
      port: 5432                 # optional: the kind's usual port
      database: halldesk
      user: halldesk_app
      password_env: HALLDESK_DB_PASSWORD   # the password is read from this environment variable
      create_schema: false       # optional: a new, empty database gets HallDesk's tables
    counter: 1                   # this PC's counter (not for backoffice)
    printers:                    # optional: this counter's printers
      thermal: tcp://192.168.10.31:9100
      a4: cups://hall-a4
    admin:                       # registers the counter's key pair and sets its printers
      username: admin
      password_env: HALLDESK_ADMIN_PASSWORD
      full_name: 王管理           # optional: made the first admin when the database has none (a new hall)

Passwords are never written in the file itself (``password:`` is refused): the file is copied to every PC
and kept on shares, the environment of one scripted run is not.  ``read_plan`` reports every problem of the
file at once, with its key path; ``apply`` writes nothing until the database answers, its schema is current
and the admin has logged in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app import accounts, catalog, credentials, diagnosis, installation, slips
from app.auth import Actor
from app.context import HallDesk
from app.errors import DatabaseUnavailable, ValidationError
from app.infra import keys
from app.installation import BACKOFFICE, COUNTER, KINDS, MODES, STANDALONE, Server, Station
from app.printing.transport import PrinterError, parse_printer_uri
from app.resources import default_catalog_path
from app.roles import require
from db.paths import data_dir

# What a file may say for each mode besides the English keys.
_MODE_WORDS = {**{v: k for k, v in MODES.items()}, **{k: k for k in MODES}}
_TOP = {"mode", "server", "counter", "printers", "admin"}
_SERVER = {"kind", "host", "port", "database", "user", "password_env", "create_schema"}
_PRINTERS = {"thermal", "a4"}
_ADMIN = {"username", "password_env", "full_name"}
_NO_PASSWORD = ("不要把密码写在文件里（文件会被复制到每台电脑）：请改用 password_env 指定一个环境变量，"
                "在运行 setup 时由该变量提供密码")


@dataclass(frozen=True)
class Admin:
    username: str
    password: str
    full_name: str | None = None  # made the first admin of a database without one


@dataclass(frozen=True)
class Plan:
    """What to set up on this PC (passwords in memory only)."""

    station: Station
    db_password: str | None = None
    create_schema: bool = False
    thermal: str | None = None
    a4: str | None = None
    admin: Admin | None = None

    def url(self) -> str:
        if self.station.server is None:
            return f"sqlite:///{installation.embedded_path()}"
        return self.station.server.url(self.db_password)


@dataclass(frozen=True)
class Result:
    station: Station
    settings: Path
    kept: credentials.Kept | None
    schema_created: bool
    done: Registration

    def as_json(self) -> dict[str, Any]:
        d = self.done
        return {"station": self.station.as_json(), "settings": str(self.settings),
                "password": self.kept.as_json() if self.kept else None, "schema_created": self.schema_created,
                "first_admin": d.first_admin, "catalog_items": d.catalog_items,
                "counter": d.counter, "counter_created": d.counter_created,
                "key": {"fingerprint": d.fingerprint, "new": d.key_made} if d.fingerprint else None,
                "printers": d.printers}


# ---- the file ----------------------------------------------------------------------------------------------


def _unknown(doc: Mapping[str, Any], known: set[str], prefix: str, problems: list[tuple[str, str]]) -> None:
    for key in doc:
        if key == "password":
            problems.append((f"{prefix}password", _NO_PASSWORD))
        elif key not in known:
            problems.append((f"{prefix}{key}", f"不认识的设置项 {prefix}{key}：可用的有 {'、'.join(sorted(known))}"))


def _text(doc: Mapping[str, Any], key: str, path: str, problems: list[tuple[str, str]], required: bool = True) -> str:
    value = doc.get(key)
    if value is None:
        if required:
            problems.append((path, f"缺少 {path}"))
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        problems.append((path, f"{path} 应为文字"))
        return ""
    return str(value).strip()


def _secret(doc: Mapping[str, Any], path: str, env: Mapping[str, str], problems: list[tuple[str, str]]) -> str:
    name = _text(doc, "password_env", f"{path}.password_env", problems)
    if not name:
        return ""
    value = env.get(name)
    if not value:
        problems.append((f"{path}.password_env", f"环境变量 {name} 未设置或为空：请在运行 setup 前设置它（{path} 的密码）"))
        return ""
    return value


def read_plan(text: str, env: Mapping[str, str] | None = None) -> Plan:
    """The roll-out file as a ``Plan``; every problem at once (``ValidationError.problems``, key paths)."""
    env = os.environ if env is None else env
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""
        raise ValidationError("file", f"设置文件不是正确的 YAML：{where}格式不正确") from None
    if not isinstance(doc, dict):
        raise ValidationError("file", "设置文件应为 YAML 键值（mode:、server:、counter: …）")
    problems: list[tuple[str, str]] = []
    _unknown(doc, _TOP, "", problems)
    raw_mode = doc.get("mode")
    mode = _MODE_WORDS.get(str(raw_mode).strip()) if raw_mode is not None else None
    if raw_mode is None:
        problems.append(("mode", f"缺少 mode：{'、'.join(f'{k}（{v}）' for k, v in MODES.items())}"))
    elif mode is None:
        problems.append(("mode", f"mode 的值 {raw_mode} 不存在，可选：{'、'.join(f'{k}（{v}）' for k, v in MODES.items())}"))

    server: Server | None = None
    db_password: str | None = None
    create_schema = False
    raw = doc.get("server")
    if raw is not None and not isinstance(raw, dict):
        problems.append(("server", "server 应为 kind、host、port、database、user、password_env 等键值"))
    elif isinstance(raw, dict):
        _unknown(raw, _SERVER, "server.", problems)
        kind = _text(raw, "kind", "server.kind", problems)
        port = raw.get("port", KINDS[kind][1] if kind in KINDS else 0)
        fields = [_text(raw, k, f"server.{k}", problems) for k in ("host", "database", "user")]
        problems += [p for p in installation.server_problems(kind, fields[0], port, fields[1], fields[2])
                     if not any(p[0] == q[0] for q in problems)]
        db_password = _secret(raw, "server", env, problems)
        create_schema = raw.get("create_schema", False)
        if not isinstance(create_schema, bool):
            problems.append(("server.create_schema", "server.create_schema 应为 true 或 false"))
            create_schema = False
        if kind in KINDS and isinstance(port, int):
            server = Server(kind, fields[0], port, fields[1], fields[2])

    counter = doc.get("counter")
    if counter is not None and (isinstance(counter, bool) or not isinstance(counter, int)):
        problems.append(("counter", f"counter 应为窗口号（整数），实际为 {counter!r}"))
        counter = None
    if mode is not None:
        station = Station(mode, server, counter)
        checked = installation.station_problems(station)
        # A server whose fields are wrong is reported above, by field.
        problems += [p for p in checked if not p[0].startswith("server.") and not any(p[0] == q[0] for q in problems)]
    else:
        station = Station(STANDALONE, None, None)

    thermal = a4 = None
    printers = doc.get("printers")
    if printers is not None:
        if not isinstance(printers, dict):
            problems.append(("printers", "printers 应为 thermal、a4 两个键值"))
        else:
            _unknown(printers, _PRINTERS, "printers.", problems)
            thermal = _text(printers, "thermal", "printers.thermal", problems, required=False)
            a4 = _text(printers, "a4", "printers.a4", problems, required=False)
            for key, uri in (("thermal", thermal), ("a4", a4)):
                if uri:
                    try:
                        parse_printer_uri(uri)
                    except PrinterError as exc:
                        problems.append((f"printers.{key}", f"printers.{key}：{exc.message}"))
            if "counter" not in doc:
                problems.append(("printers", "printers 是某个窗口的打印机：须同时填写 counter"))

    admin: Admin | None = None
    raw_admin = doc.get("admin")
    if raw_admin is not None and not isinstance(raw_admin, dict):
        problems.append(("admin", "admin 应为 username、password_env 键值"))
    elif isinstance(raw_admin, dict):
        _unknown(raw_admin, _ADMIN, "admin.", problems)
        username = _text(raw_admin, "username", "admin.username", problems)
        password = _secret(raw_admin, "admin", env, problems)
        full_name = _text(raw_admin, "full_name", "admin.full_name", problems, required=False) or None
        admin = Admin(username, password, full_name)
    if counter is not None and admin is None and mode != BACKOFFICE:
        problems.append(("admin", "登记本窗口的签名密钥须由管理员确认：请填写 admin.username 和 admin.password_env"))
    if problems:
        # Each message names its key, so that the CLI's list says where to look.
        problems = [(key, message if key in message else f"{key}：{message}") for key, message in problems]
        raise ValidationError(problems[0][0], problems[0][1], problems=problems)
    return Plan(station, db_password, create_schema, thermal, a4, admin)


# ---- the steps (the wizard runs them one page at a time) ------------------------------------------------------


def prepare_database(url: str, *, create: bool) -> tuple[diagnosis.Diagnosis, bool]:
    """The database answers and its schema is current (an empty one gets the schema when ``create``);
    raises ``DatabaseUnavailable`` with the diagnosis otherwise.  Returns it and whether the schema was made."""
    found = diagnosis.diagnose(url)
    made = False
    if found.kind == diagnosis.EMPTY and create:
        found = diagnosis.create_schema(url)
        made = found.ok
    if not found.ok:
        raise DatabaseUnavailable(found.message)
    return found, made


def admin_login(hall: HallDesk, admin: Admin) -> tuple[Actor, bool]:
    """The admin's login; on a database without an admin and with ``full_name``, that admin is made first."""
    made = False
    if admin.full_name and not accounts.has_admin(hall.uow()):
        accounts.create_first_admin(hall.uow(), username=admin.username, full_name=admin.full_name,
                                    password=admin.password)
        made = True
    actor = hall.login(admin.username, admin.password)
    require(actor, "counter.manage")  # before anything is written: the key and the printers need it
    return actor, made


def register_counter(hall: HallDesk, actor: Actor, number: int, thermal: str | None, a4: str | None,
                     key_dir: Path | None = None) -> tuple[str, bool, bool, accounts.CounterView]:
    """This PC's key pair for counter ``number`` (a key already here and in force is kept) and its printers;
    a counter the database lacks is made first (综合受理).  Returns (fingerprint, key made, counter made, view)."""
    counters = {c.number: c for c in accounts.list_counters(hall.uow())}
    made_counter = False
    if number not in counters:
        accounts.save_counter(hall.uow(), actor, number=number, name=f"综合受理{number}号窗口", kind="comprehensive")
        made_counter = True
    directory = key_dir or keys.default_key_dir()
    signer = slips.load_key_file(directory, number)
    records = keys.key_records(hall.uow())
    record = records.get(signer.fingerprint) if signer is not None else None
    if signer is not None and record is not None and record.counter == number and not record.revoked:
        fingerprint, made_key = signer.fingerprint, False
    else:
        fingerprint, made_key = keys.generate_counter_key(hall.uow(), actor, number, directory), True
    view = next(c for c in accounts.list_counters(hall.uow()) if c.number == number)
    if thermal is not None or a4 is not None:
        view = accounts.set_counter_printers(
            hall.uow(), actor, number, thermal if thermal is not None else view.printer_uri,
            a4 if a4 is not None else view.a4_printer_uri)
    return fingerprint, made_key, made_counter, view


def save(station: Station, password: str | None) -> tuple[Path, credentials.Kept | None]:
    """Write this PC's settings, and keep the server's password (credential store, else the private file)."""
    installation.check_station(station)
    kept = credentials.store(station.server, password) if station.server is not None and password else None
    return installation.save_station(station), kept


@dataclass(frozen=True)
class Registration:
    """What the 登记 step did on the database."""

    first_admin: str | None
    catalog_items: int  # the default catalog loaded into a new hall's database (0: it had one)
    counter: int | None
    counter_created: bool
    fingerprint: str | None
    key_made: bool
    printers: dict[str, str] | None


def seed_catalog(hall: HallDesk) -> int:
    """A new hall's database starts with the default catalog (the admin edits or replaces it); returns the
    number of items loaded, 0 when the database has a catalog already."""
    if catalog.list_items(hall.uow()):
        return 0
    summary = catalog.import_yaml(hall.uow(), None, default_catalog_path().read_text(encoding="utf-8"),
                                  source="default.yaml")
    return summary.items_added


def register(hall: HallDesk, admin: Admin | None, number: int | None, thermal: str | None, a4: str | None,
             key_dir: Path | None = None) -> Registration:
    """登记: the admin logs in (made first on a new hall's database), a new database gets the default catalog,
    and this PC's counter gets its key pair and printers."""
    if admin is None:
        if number is not None:
            raise ValidationError("admin", "登记本窗口的签名密钥须由管理员确认：请填写管理员的用户名和密码")
        return Registration(None, 0, None, False, None, False, None)
    actor, made = admin_login(hall, admin)
    items = seed_catalog(hall)
    if number is None:
        return Registration(admin.username if made else None, items, None, False, None, False, None)
    fingerprint, key_made, counter_made, view = register_counter(hall, actor, number, thermal, a4, key_dir)
    return Registration(admin.username if made else None, items, number, counter_made, fingerprint, key_made,
                        {"thermal": view.printer_uri, "a4": view.a4_printer_uri})


def discard_embedded() -> None:
    """Remove the embedded database a set-up made and did not finish: the next start offers the set-up again,
    instead of a login on a database without accounts."""
    path = installation.embedded_path()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def apply(plan: Plan, *, key_dir: Path | None = None) -> Result:
    """Set this PC up as ``plan`` says; nothing is written before the database and the admin have answered
    (a 单机 PC's embedded database made on the way is removed again when a later step fails)."""
    url = plan.url()
    fresh = plan.station.mode == STANDALONE and not installation.embedded_path().exists()
    try:
        _found, schema_made = prepare_database(url, create=plan.create_schema or plan.station.mode == STANDALONE)
        hall = HallDesk.open(url)
        try:
            done = register(hall, plan.admin, plan.station.counter, plan.thermal, plan.a4, key_dir)
        finally:
            hall.close()
    except BaseException:
        if fresh:
            discard_embedded()
        raise
    settings, kept = save(plan.station, plan.db_password)
    return Result(plan.station, settings, kept, schema_made, done)


def forget_password() -> tuple[Station | None, bool]:
    """``setup forget-password``: remove this PC's kept database password (credential store and file)."""
    station = installation.load_station()
    if station is None or station.server is None:
        return station, False
    return station, credentials.forget(station.server)


def describe(station: Station | None) -> dict[str, Any]:
    """``setup show``: this PC's settings and where the password is kept — never the password."""
    if station is None:
        return {"configured": False, "settings": str(installation.station_path()),
                "embedded": str(installation.embedded_path()),
                "message": "本机尚未设置：使用内置数据库（单机）。运行 python -m app --setup 设置本机。"}
    kept = credentials.kept(station.server) if station.server is not None else None
    return {"configured": True, "settings": str(installation.station_path()), **station.as_json(),
            "url": station.server.display_url() if station.server else f"sqlite:///{installation.embedded_path()}",
            "password": kept.as_json() if kept else None,
            "store": str(data_dir() / "local.sqlite3") if station.mode == COUNTER else None}
