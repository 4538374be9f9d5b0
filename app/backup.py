"""Backups of HallDesk's databases, restoring a SQLite file, and the hall's retention setting.

A SQLite file (the embedded database, a counter's own store) is copied with SQLite's online backup API
(``sqlite3.Connection.backup``) into ``<data folder>/backups/`` or a file the admin names.  HallDesk's files are
in WAL mode, where a reader never blocks a writer: the copy reads one consistent snapshot in a single read
transaction while the clerk goes on writing (a writer does not wait at all; only the WAL's checkpoint waits for
the copy to finish).  A file in another journal mode is copied a few hundred pages at a time, so that a writer
waits at most one step.  The copy is checked (``PRAGMA quick_check``), switched to a single self-contained file
(``journal_mode=DELETE``) and only then renamed into place, readable by this user only.

Backups in the folder are named ``<stem>-<YYYY-MM-DD_HH-MM-SS>.sqlite3`` (the daily ones, pruned to the newest
``keep_days`` days, a hall setting) and ``…-before-upgrade.sqlite3`` / ``…-before-restore.sqlite3`` (the copies
taken before a schema upgrade and before a restore; kept until an admin deletes them).

PostgreSQL and MariaDB are backed up with the servers' own tools (``pg_dump -Fc``, ``mariadb-dump``) when they are on
the PATH; the password reaches them through the child's environment (``PGPASSWORD``, ``MYSQL_PWD``), never its
command line.  Restoring a shared database is the database administrator's work with those tools (README:
"Backups and upgrades"): it replaces every PC's data at once, so ``restore`` refuses it and names the commands.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.auth import Actor
from app.errors import DatabaseBusy, HallDeskError, ValidationError
from app.roles import require
from app.uow import UnitOfWork
from db import migrate
from db.engine import normalise_url, private_file, reading
from db.models import Setting
from db.paths import data_dir, local_store_path

log = logging.getLogger(__name__)

FOLDER = "backups"
SETTINGS_KEY = "backup"
STAMP = "%Y-%m-%d_%H-%M-%S"
_DAILY = re.compile(r"^(?P<stem>.+)-(?P<day>\d{4}-\d{2}-\d{2})_\d{2}-\d{2}-\d{2}\.sqlite3$")
# A file not in WAL mode is copied this many pages per step (4 KB pages: 1 MB), with this pause between steps.
STEP_PAGES = 256
STEP_PAUSE = 0.005
# How long ``restore`` and the copy wait for a lock before saying the file is in use.
LOCK_WAIT = 2.0
# Timeout of a server dump (a hall's database dumps in minutes; a hung server must not hang the admin forever).
DUMP_TIMEOUT = 3 * 3600


class BackupError(HallDeskError):
    """A backup or restore that could not be made; ``message`` is Chinese and says what to do."""

    exit_code = 12


# ---- the retention setting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSettings:
    """大厅设置 → 备份: how many days of daily backups each PC keeps of its own SQLite file (its copies hold
    applicants' data, so no more than the hall needs to recover from a broken disk or a bad day)."""

    keep_days: int = 7

    def as_json(self) -> dict[str, int]:
        return asdict(self)


KEEP_DAYS_RANGE = (1, 365)


def read_settings(session: Session) -> BackupSettings:
    import json

    row = session.get(Setting, SETTINGS_KEY)
    if row is None:
        return BackupSettings()
    known = BackupSettings.__dataclass_fields__
    return BackupSettings(**{k: v for k, v in json.loads(row.value).items() if k in known})


def get_settings(uow: UnitOfWork) -> BackupSettings:
    with uow:
        return read_settings(uow.session)


def settings_of(engine: Engine) -> BackupSettings:
    """The retention setting as this database has it (a counter's store: as last pulled), without a unit of work:
    a counter's store needs no bound counter to read it."""
    with reading(engine) as conn, Session(conn) as s:
        return read_settings(s)


def settings_problems(settings: BackupSettings) -> list[ValidationError]:
    low, high = KEEP_DAYS_RANGE
    if not isinstance(settings.keep_days, int) or not low <= settings.keep_days <= high:
        return [ValidationError("keep_days", f"备份保留天数应为 {low}–{high} 之间的整数")]
    return []


def save_settings(uow: UnitOfWork, actor: Actor, settings: BackupSettings) -> BackupSettings:
    from app.hall_settings import write_setting

    require(actor, "hall.settings")
    if problems := settings_problems(settings):
        raise problems[0]
    with uow:
        before = read_settings(uow.session)
        write_setting(uow.session, SETTINGS_KEY, settings.as_json())
        uow.audit(actor.username, "backup.settings", "setting", SETTINGS_KEY,
                  {"before": before.as_json(), "after": settings.as_json()})
        uow.commit()
    return settings


# ---- SQLite ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    seconds: float
    kind: str  # sqlite, postgresql, mariadb

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "size": self.size, "seconds": round(self.seconds, 3), "kind": self.kind}


def folder() -> Path:
    path = data_dir() / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        with contextlib.suppress(OSError):
            path.chmod(0o700)
    return path


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for a server or an in-memory database."""
    parsed = normalise_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def backup_name(source: Path, now: datetime | None = None, note: str = "") -> str:
    stamp = (now or datetime.now()).strftime(STAMP)
    return f"{source.stem}-{stamp}{'-' + note if note else ''}.sqlite3"


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _copy(src: sqlite3.Connection, tmp: Path) -> None:
    """SQLite's online backup of ``src`` into ``tmp``: one snapshot in WAL mode, else page steps."""
    wal = str(src.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst, pages=-1 if wal else STEP_PAGES, sleep=STEP_PAUSE)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problem = str(dst.execute("PRAGMA quick_check").fetchone()[0])
        if problem != "ok":
            raise BackupError(f"备份文件校验未通过（{problem[:200]}），未保存备份：请检查磁盘")
    finally:
        dst.close()


def _connect_source(source: Path) -> sqlite3.Connection:
    if not source.is_file():
        raise BackupError(f"数据库文件 {source} 不存在，无法备份")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=LOCK_WAIT, check_same_thread=False)
    return src


def _copy_file(source: Path, tmp: Path) -> None:
    """``source`` copied page by page into the new private file ``tmp`` (the online backup API)."""
    private_file(tmp)
    src = _connect_source(source)
    try:
        _copy(src, tmp)
    finally:
        src.close()


# What a backup leaves free on its disk at the least: the database beside it keeps writing (a day's cases, their
# scans, its WAL), and a disk filled by a copy would stop the counter itself.
RESERVE_MB = 256


def check_space(source: Path, folder: Path) -> None:
    """Refuse a copy of ``source`` into ``folder`` that would leave its disk under ``RESERVE_MB`` free."""
    needed = source.stat().st_size
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        needed += wal.stat().st_size  # the copy holds what the WAL has not yet put back into the file
    free = shutil.disk_usage(folder).free
    if free - needed < RESERVE_MB * 1024 * 1024:
        log.warning("backup of %s skipped: %s needed, %s free in %s", source.name, _mb(needed), _mb(free), folder)
        raise BackupError(f"磁盘空间不足，未备份：备份约需 {_mb(needed)}，{folder} 所在磁盘只剩 {_mb(free)}"
                          f"（须给数据库本身留出 {RESERVE_MB} MB）。请清理磁盘，或在大厅设置中减少备份保留天数")


def backup_sqlite(source: Path, target: Path) -> BackupResult:
    """Copy the SQLite file ``source`` to ``target`` while other programs keep using it; ``target`` appears whole
    or not at all (a copy beside it is renamed into place).  Refused, with nothing written, when the copy would
    leave its disk nearly full (``check_space``)."""
    started = time.monotonic()
    target = target.resolve()
    if target == source.resolve():
        raise BackupError("备份文件不能是数据库文件本身")
    check_space(source, target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _copy_file(source, tmp)
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except sqlite3.DatabaseError as exc:
        log.warning("backup of %s failed: %s", source.name, exc)
        raise BackupError(f"无法备份 {source}：{exc}") from exc
    except OSError as exc:
        log.warning("backup of %s failed: %s", source.name, exc)
        raise BackupError(f"无法写入备份文件 {target}：{exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    size = target.stat().st_size
    seconds = time.monotonic() - started
    log.info("backup of %s written to %s: %s in %.1f s", source.name, target, _mb(size), seconds)
    return BackupResult(target, size, seconds, "sqlite")


def before_upgrade(engine: Engine) -> BackupResult | None:
    """A copy of a SQLite file before its schema changes: only when there is something to upgrade (a file with
    HallDesk's tables at an older revision; never a brand-new empty file, never a server)."""
    source = sqlite_file(engine.url)
    if source is None:
        return None
    if migrate.schema_state(engine) != migrate.OLDER:
        return None  # empty (nothing to keep), current (nothing to do), newer (refused by the upgrade itself)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    log.info("schema of %s at %s, upgrading to %s: backing it up first", source.name, current, head)
    return backup_sqlite(source, folder() / backup_name(source, note="before-upgrade"))


def daily_backups(source: Path, where: Path | None = None) -> list[tuple[date, Path]]:
    """The daily backups of ``source`` in the folder, oldest first."""
    found: list[tuple[date, Path]] = []
    for path in (where or folder()).iterdir():
        m = _DAILY.match(path.name)
        if m and m["stem"] == source.stem:
            try:
                found.append((date.fromisoformat(m["day"]), path))
            except ValueError:
                continue
    return sorted(found)


def prune(source: Path, keep_days: int, where: Path | None = None) -> list[Path]:
    """Delete the daily backups of ``source`` beyond the newest ``keep_days`` days; the deleted paths."""
    backups = daily_backups(source, where)
    days = sorted({d for d, _ in backups})
    keep = set(days[-keep_days:]) if keep_days > 0 else set()
    removed = []
    for day, path in backups:
        if day not in keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    if removed:
        log.info("backups of %s: removed %d older than the newest %d days", source.name, len(removed), keep_days)
    return removed


def daily(engine: Engine, now: datetime | None = None) -> BackupResult | None:
    """The day's backup of a SQLite-backed HallDesk (a counter's store, the embedded file), if today's is not
    there yet; then the older ones beyond the hall's retention are deleted.  Called when the GUI starts and
    hourly after (``ui``, through ``run_op``): nothing for a server, nothing when today's copy exists."""
    source = sqlite_file(engine.url)
    if source is None:
        return None
    now = now or datetime.now()
    keep = settings_of(engine).keep_days
    where = folder()
    result = None
    if not any(day == now.date() for day, _ in daily_backups(source, where)):
        result = backup_sqlite(source, where / backup_name(source, now))
    prune(source, keep, where)
    return result


# ---- restoring a SQLite file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    target: Path
    revision: str
    safety_copy: Path | None  # the file as it was, kept in the backups folder
    needs_upgrade: bool

    def as_json(self) -> dict[str, Any]:
        return {"target": str(self.target), "revision": self.revision,
                "safety_copy": str(self.safety_copy) if self.safety_copy else None,
                "needs_upgrade": self.needs_upgrade}


def check_restorable(path: Path) -> str:
    """The revision of ``path`` if it is a sound HallDesk database this program can use (possibly after an
    upgrade); else ``BackupError`` saying why."""
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise BackupError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
    if header != b"SQLite format 3\x00":
        raise BackupError(f"{path.name} 不是 HallDesk 数据库（不是 SQLite 数据库文件），未作任何改动")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=LOCK_WAIT)
    try:
        problem = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        if problem != "ok":
            raise BackupError(f"{path.name} 已损坏（完整性检查：{problem[:200]}），未作任何改动")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables or "audit_event" not in tables:
            raise BackupError(f"{path.name} 不是 HallDesk 数据库（没有 HallDesk 的数据表），未作任何改动")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} 已损坏或不是数据库文件（{exc}），未作任何改动") from exc
    finally:
        conn.close()
    revision = str(row[0]) if row else ""
    if not revision or not migrate.known_revision(revision):
        raise BackupError(f"{path.name} 的数据库结构（{revision or '未知'}）比本程序新：请用新版本的 HallDesk 恢复，"
                          "未作任何改动")
    return revision


def _exclusive(target: Path) -> sqlite3.Connection:
    """A connection that has taken ``target`` out of WAL mode, which SQLite allows only while no other connection
    has the file open: the proof that no HallDesk program (GUI, print worker, sync, script) is using it.  Every
    HallDesk connection switches its file to WAL (``db.engine``), so a file still in rollback mode later had no
    HallDesk connection since; the caller's ``BEGIN EXCLUSIVE`` then keeps newcomers waiting until the file has been
    replaced."""
    conn = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")
        mode = str(conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower()
        if mode != "delete":
            raise sqlite3.OperationalError("database is locked")
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseBusy(f"{target} 正被本机其他 HallDesk 程序使用（窗口、打印、同步或脚本），未作任何改动："
                               "请先关闭本机所有 HallDesk 窗口和脚本，再恢复") from exc
        raise
    return conn


def restore_sqlite(source: Path, target: Path) -> RestoreResult:
    """Replace the SQLite file ``target`` with the backup ``source``.

    ``source`` must be a sound HallDesk database no newer than this program (``check_restorable``); no other
    program may hold ``target`` (``_exclusive``); ``target`` as it was is first copied to the backups folder
    (``…-before-restore``).  The backup is copied beside ``target``, checked again there and renamed over it, so
    ``target`` is the old file or the new one, never half of each.  Nothing is changed when any step refuses.
    """
    source, target = source.resolve(), target.resolve()
    if source == target:
        raise BackupError("要恢复的备份就是当前数据库文件本身，未作任何改动")
    if not source.is_file():
        raise BackupError(f"备份文件 {source} 不存在，未作任何改动")
    revision = check_restorable(source)
    tmp = target.with_name(f".{target.name}.restore.{os.getpid()}.tmp")
    safety: Path | None = None
    try:
        _copy_file(source, tmp)
        check_restorable(tmp)
        _fsync(tmp)
        holder = _exclusive(target) if target.exists() else None
        try:
            if holder is not None:
                safety = folder() / backup_name(target, note="before-restore")
                private_file(safety)
                dst = sqlite3.connect(safety)
                try:
                    holder.backup(dst)
                finally:
                    dst.close()
                _fsync(safety)
                # Newcomers wait from here until the file is replaced; one that came in meanwhile made it WAL again.
                holder.execute("BEGIN EXCLUSIVE")
                if str(holder.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "delete":
                    raise DatabaseBusy(f"{target} 刚被本机其他 HallDesk 程序打开，未作任何改动：请关闭后再恢复")
                if os.name == "nt":  # Windows renames nothing over an open file; POSIX keeps the lock to the end
                    holder.close()
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(tmp, target)
        finally:
            if holder is not None:
                holder.close()
        _fsync(target.parent)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"恢复失败（{exc}），当前数据库未改动") from exc
    except OSError as exc:
        raise BackupError(f"恢复失败：{exc.strerror or exc}（{exc.filename or target}），当前数据库未改动") from exc
    finally:
        tmp.unlink(missing_ok=True)
    needs_upgrade = revision != migrate.head_revision()
    log.info("restored %s from a backup at schema %s (previous file kept as %s)", target.name, revision,
             safety.name if safety else "-")
    return RestoreResult(target, revision, safety, needs_upgrade)


# ---- the database servers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DumpCommand:
    argv: list[str]
    env: dict[str, str]  # added to the child's environment (the password)
    documented: str  # the command as the README shows it, for when the tool is missing


def dump_command(url: str, target: Path, out: Path | None = None) -> DumpCommand:
    """The server's own dump tool for ``url``: ``pg_dump -Fc`` or ``mariadb-dump`` (``mysqldump``), writing ``out``
    (default ``target``; ``documented`` names ``target``)."""
    parsed = normalise_url(url)
    out = out or target
    backend = parsed.get_backend_name()
    host, port, user, db = parsed.host or "localhost", parsed.port, parsed.username or "", parsed.database or ""
    if backend == "postgresql":
        argv = ["pg_dump", "-Fc", "-h", host, "-p", str(port or 5432), "-U", user, "-d", db, "-f", str(out)]
        env = {"PGPASSWORD": parsed.password or ""} if parsed.password else {}
        documented = f"PGPASSWORD=… pg_dump -Fc -h {host} -p {port or 5432} -U {user} -d {db} -f {target.name}"
        return DumpCommand(argv, env, documented)
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump") or "mariadb-dump"
    argv = [tool, "--single-transaction", "--routines", "--triggers", "--hex-blob",
            "--default-character-set=utf8mb4", "-h", host, "-P", str(port or 3306), "-u", user,
            f"--result-file={out}", db]
    env = {"MYSQL_PWD": parsed.password or ""} if parsed.password else {}
    documented = (f"MYSQL_PWD=… mariadb-dump --single-transaction --routines --triggers --hex-blob "
                  f"--default-character-set=utf8mb4 -h {host} -P {port or 3306} -u {user} "
                  f"--result-file={target.name} {db}")
    return DumpCommand(argv, env, documented)


def backup_server(url: str, target: Path) -> BackupResult:
    """Dump a PostgreSQL or MariaDB database to ``target`` with the server's tool; ``BackupError`` with the
    documented command when the tool is not on the PATH or fails."""
    target = target.resolve()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    command = dump_command(url, target, tmp)
    kind = "postgresql" if command.argv[0] == "pg_dump" else "mariadb"
    tool = shutil.which(command.argv[0])
    if tool is None:
        raise BackupError(f"本机找不到 {command.argv[0]}（{'PostgreSQL' if kind == 'postgresql' else 'MariaDB'} "
                          f"客户端工具），未备份：请安装客户端工具后重试，或在数据库服务器上运行：\n  {command.documented}")
    started = time.monotonic()
    argv = [tool, *command.argv[1:]]
    try:
        private_file(tmp)
        done = subprocess.run(argv, env={**os.environ, **command.env}, capture_output=True, timeout=DUMP_TIMEOUT,
                              check=False)
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            log.warning("%s failed with exit code %d: %s", command.argv[0], done.returncode,
                        reason[-1] if reason else "")
            raise BackupError(f"{command.argv[0]} 备份失败（退出码 {done.returncode}）：{reason[-1] if reason else ''}"
                              f"\n未保存备份。可在数据库服务器上手工运行：\n  {command.documented}")
        _fsync(tmp)
        os.replace(tmp, target)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{command.argv[0]} 超过 {DUMP_TIMEOUT // 3600} 小时未完成，已停止，未保存备份") from exc
    except OSError as exc:
        raise BackupError(f"无法写入备份文件 {target}：{exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    size = target.stat().st_size
    seconds = time.monotonic() - started
    log.info("%s backup written to %s: %s in %.1f s", kind, target, _mb(size), seconds)
    return BackupResult(target, size, seconds, kind)


def restore_commands(url: str, source: Path) -> str:
    """How a database administrator restores a server dump (HallDesk does not: see the module's doc)."""
    parsed = normalise_url(url)
    host, user = parsed.host or "localhost", parsed.username or ""
    if parsed.get_backend_name() == "postgresql":
        port = parsed.port or 5432
        return (f"createdb -h {host} -p {port} -U {user} -E UTF8 -T template0 halldesk_restored\n"
                f"  pg_restore -h {host} -p {port} -U {user} --no-owner -d halldesk_restored {source.name}")
    port = parsed.port or 3306
    return (f"mariadb -h {host} -P {port} -u {user} -p -e \"CREATE DATABASE halldesk_restored "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci\"\n"
            f"  mariadb -h {host} -P {port} -u {user} -p --default-character-set=utf8mb4 halldesk_restored "
            f"< {source.name}")


def target_url(db: str | None, local: str | None) -> str:
    """The database ``db backup`` / ``db restore`` act on: with ``--local [PATH]`` the counter's store (its default
    in the data folder), else ``--db`` / ``HALLDESK_DB`` / the embedded file as usual."""
    if local is not None:
        return f"sqlite:///{Path(local) if local else local_store_path()}"
    from app.installation import resolve_url

    return resolve_url(db)


def backup(url: str, target: Path | None) -> BackupResult:
    """``db backup [FILE]``: a SQLite file with the online backup API (default: into the backups folder), a
    server with its dump tool (FILE required)."""
    source = sqlite_file(url)
    if source is not None:
        return backup_sqlite(source, target or folder() / backup_name(source))
    if target is None:
        raise ValidationError("file", "备份共享数据库须指定备份文件，如 db backup halldesk.dump")
    return backup_server(url, target)


def restore(url: str, source: Path) -> RestoreResult:
    target = sqlite_file(url)
    if target is None:
        raise BackupError("共享数据库（PostgreSQL、MariaDB）不由本程序恢复：恢复会替换所有窗口的数据，须由数据库管理员"
                          "在所有电脑停止使用后，用数据库自带的工具恢复到新建的数据库，再把各电脑的数据库地址指向它：\n  "
                          + restore_commands(url, source))
    return restore_sqlite(source, target)


def redacted_url(url: str | URL) -> str:
    """The URL without its password (user, host, port, database and options kept)."""
    parsed = make_url(url) if isinstance(url, str) else url
    # (URL.set(password=None) keeps the password: None means "unchanged" there.)
    return parsed._replace(password=None).render_as_string(hide_password=False)
