"""帮助 → 导出诊断包 (and ``diag export FILE``): one zip the hall's IT sends to support.

What is in it:

``说明.txt``          what the package holds and what it does not
``versions.json``     HallDesk, Python, the platform, SQLAlchemy, Alembic, the database drivers (and Qt, given by the GUI)
``station.json``      this PC: its set-up (mode, server, counter: ``app.installation``, never a password), the data
                      folder, the database address without its password, the counter's store,
                      the environment variables HallDesk reads (passwords removed), the GUI's settings of this PC
``database.json``     the database kind and host, its schema revision against this program's, the hall's backup
                      and 电子件 settings; on a counter's store its sync state (cases and 电子件 waiting)
``data-folder.txt``   the data folder's files with their sizes (names only: no database, key or scan is copied)
``logs/…``            the log files and the crash reports (``app.logs``, ``app.crashlog``: no personal data)

No password, no key, no case: only the log files are copied whole, and they hold no personal data by
construction; everything else is written here from settings and counts.  Whatever cannot be read (the shared
database out of reach) is noted in the package instead of stopping it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from app import backup, crashlog, files, logs
from app.context import HallDesk
from app.errors import HallDeskError
from app.infra.counter_store import LocalHall
from db import migrate
from db.engine import where
from db.paths import data_dir

log = logging.getLogger(__name__)

LIBRARIES = ("SQLAlchemy", "alembic", "psycopg", "psycopg-binary", "PyMySQL", "argon2-cffi", "cryptography",
             "reportlab", "platformdirs", "PySide6")
# Environment variables HallDesk reads; those holding a secret are named but never copied.
ENVIRONMENT = ("HALLDESK_DB", "HALLDESK_DATA_DIR", "HALLDESK_PASSWORD", "HALLDESK_NEW_PASSWORD", "QT_QPA_PLATFORM",
               "LANG", "LC_ALL")
_SECRET = re.compile(r"pass|pwd|secret|token|key|credential", re.IGNORECASE)
# The data folder is listed this deep (keys/, logs/, backups/ and their files).
LIST_DEPTH = 2

README = """HallDesk 诊断包

本诊断包供大厅信息技术人员和技术支持排查问题，内容：
  versions.json    程序、Python、操作系统、数据库驱动和 Qt 的版本
  station.json     本机设置：数据文件夹、数据库地址（已去除密码）、本机窗口库、本机界面设置
  database.json    数据库类型和地址、数据库结构版本、备份和电子件设置、本机窗口库的同步状态
  data-folder.txt  数据文件夹中的文件名和大小（不含文件内容）
  logs/            运行日志和错误报告

不含：密码、签名密钥、数据库文件、办件和申请人的任何信息（日志写入时已去除姓名、证件号、手机号、取件码等）。
"""


@dataclass(frozen=True)
class DiagnosisPackage:
    path: Path
    members: tuple[str, ...]
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "members": list(self.members), "size": self.size}


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def versions(extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = dict(logs.versions())
    found["libraries"] = {name: v for name in LIBRARIES if (v := _version(name)) is not None}
    found.update(extra or {})
    found["schema_head"] = migrate.head_revision()
    return found


def _redact_value(name: str, value: str) -> str:
    if _SECRET.search(name):
        return "(set, not copied)"
    if "://" in value:
        try:
            return backup.redacted_url(value)
        except Exception:  # not a URL after all: say only that it is set
            return "(set, not a URL)"
    return value


def _station_settings() -> dict[str, Any] | None:
    """This PC's set-up (``station.json``: mode, server without password, counter); None when not set up."""
    from app import installation

    saved = installation.load_station()
    return saved.as_json() if saved is not None else None


def station(hall: HallDesk | None, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"data_folder": str(data_dir()), "log_folder": str(crashlog.log_folder()),
                           "backup_folder": str(backup.folder())}
    if hall is not None:
        doc["database_url"] = backup.redacted_url(hall.url)
        store = hall.store if isinstance(hall, LocalHall) else None
        if store is not None:
            doc["counter_store"] = backup.redacted_url(store.local.url)
            doc["shared_database_url"] = backup.redacted_url(store.shared_url) if store.shared_url else None
            doc["counter"] = store.counter
    _attempt(doc, "station", _station_settings)
    doc["environment"] = {name: _redact_value(name, os.environ[name]) for name in ENVIRONMENT if name in os.environ}
    if settings:
        doc["settings"] = {k: ("(not copied)" if _SECRET.search(k) else v) for k, v in settings.items()}
    return doc


def _attempt(doc: dict[str, Any], key: str, fn: Any) -> None:
    """``doc[key] = fn()``, or the reason it could not be read (the package is made all the same)."""
    try:
        doc[key] = fn()
    except HallDeskError as exc:
        doc[key] = {"error": crashlog.scrub(exc.message)}
    except Exception as exc:
        doc[key] = {"error": f"{type(exc).__name__}: {crashlog.scrub(str(exc))[:300]}"}


def database(hall: HallDesk | None) -> dict[str, Any]:
    if hall is None:
        return {"error": "no database open"}
    doc: dict[str, Any] = {"where": where(hall.engine.url), "kind": hall.engine.dialect.name}
    _attempt(doc, "schema_revision", hall.schema_revision)
    doc["schema_head"] = migrate.head_revision()
    _attempt(doc, "server_version", lambda: ".".join(str(p) for p in (hall.engine.dialect.server_version_info or ())))
    _attempt(doc, "backup_settings", lambda: backup.settings_of(hall.engine).as_json())
    _attempt(doc, "file_limits", lambda: files.get_limits(HallDesk.uow(hall)).as_json())
    store = hall.store if isinstance(hall, LocalHall) else None
    if store is not None:
        def sync_state() -> dict[str, Any]:
            state = store.status().as_json()
            if state.get("last_error"):
                state["last_error"] = crashlog.scrub(state["last_error"])
            state["online"] = store.online
            return state

        _attempt(doc, "counter_store", sync_state)
    source = backup.sqlite_file(hall.engine.url)
    if source is not None:
        _attempt(doc, "daily_backups", lambda: [p.name for _, p in backup.daily_backups(source)])
    return doc


def folder_listing(root: Path | None = None, depth: int = LIST_DEPTH) -> str:
    """``size  path`` lines of the data folder, names scrubbed like the logs."""
    root = root or data_dir()
    lines: list[str] = []

    def walk(folder: Path, level: int) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            lines.append(f"{'?':>12}  {folder.relative_to(root)}/ ({exc.strerror})")
            return
        for entry in entries:
            name = crashlog.scrub(str(entry.relative_to(root)))
            if entry.is_dir():
                lines.append(f"{'':>12}  {name}/")
                if level < depth:
                    walk(entry, level + 1)
            else:
                try:
                    size = entry.stat().st_size
                except OSError:
                    size = -1
                lines.append(f"{size:>12}  {name}")

    walk(root, 1)
    return "\n".join(lines) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n"


def export(target: Path, hall: HallDesk | None, *, extra_versions: Mapping[str, str] | None = None,
           settings: Mapping[str, Any] | None = None) -> DiagnosisPackage:
    """Write the diagnosis package to ``target`` (a zip; written beside it, then renamed into place)."""
    target = target.resolve()
    if target.suffix.lower() != ".zip":
        target = target.with_name(target.name + ".zip")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    members: list[str] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            def add(name: str, text: str) -> None:
                zf.writestr(name, text.encode("utf-8"))
                members.append(name)

            add("说明.txt", README + f"\n生成时间：{datetime.now().astimezone().isoformat(timespec='seconds')}\n")
            add("versions.json", _json(versions(extra_versions)))
            add("station.json", _json(station(hall, settings)))
            add("database.json", _json(database(hall)))
            add("data-folder.txt", folder_listing())
            for path in logs.log_files():
                name = f"logs/{path.name}"
                zf.write(path, name)
                members.append(name)
        os.replace(tmp, target)
    except OSError as exc:
        raise HallDeskError(f"无法保存诊断包 {target}：{exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    size = target.stat().st_size
    log.info("diagnosis package written: %s, %d files, %.1f MB", target.name, len(members), size / 1048576)
    return DiagnosisPackage(target, tuple(members), size)
