"""Backups (issue 17 part 6): SQLite's online backup while others write, restore and its refusals, the backup
before an upgrade, the daily copy and its retention, and the servers' dump tools round trip."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import backup, intake
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import DatabaseBusy
from cli.main import run
from db import migrate
from db.engine import make_engine
from tests.conftest import Server, log_in, servers_only, sqlite_only
from tests.intake_support import AGENT, case_numbers, item_with_tolerable, request


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This test's own data folder (backups/ and logs/ in it)."""
    folder = tmp_path / "data"
    folder.mkdir()
    # The counters' signing keys stay the run's (the demo template registered them); backups are the test's own.
    (folder / "keys").symlink_to(Path(os.environ["HALLDESK_DATA_DIR"]) / "keys", target_is_directory=True)
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(folder))
    return folder


def _take(hall: HallDesk, name: str = "张伟") -> str:
    item = item_with_tolerable(hall)
    agent = AGENT.__class__(name=name, id_number=AGENT.id_number, phone=AGENT.phone)
    return intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, agent=agent)).case_no


def _file(hall: HallDesk) -> Path:
    path = backup.sqlite_file(hall.url)
    assert path is not None
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@sqlite_only
def test_a_backup_is_made_while_another_connection_writes(hall: HallDesk, data: Path) -> None:
    source = _file(hall)
    engine = make_engine(hall.url)
    table = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.String))
    stop, written, errors = threading.Event(), [0], []

    def writer() -> None:
        try:
            while not stop.is_set():
                with engine.begin() as conn:
                    conn.execute(sa.insert(table).values(key=f"w{written[0]}", value="{}"))
                written[0] += 1
        except Exception as exc:  # pragma: no cover - the failure is reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:
            threading.Event().wait(0.005)
        before = written[0]
        results = [backup.backup_sqlite(source, data / f"copy{i}.sqlite3") for i in range(3)]
        during = written[0] - before
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert not errors
    assert during > 0, "the writer made no progress while the copies were made"
    for result in results:
        conn = sqlite3.connect(result.path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
            copied = conn.execute("SELECT count(*) FROM setting WHERE key LIKE 'w%'").fetchone()[0]
        finally:
            conn.close()
        assert 0 < copied <= written[0]
        assert result.path.stat().st_mode & 0o077 == 0
    assert not list(data.glob(".*.tmp"))


@sqlite_only
def test_restore_round_trip_keeps_the_cases_and_the_file_as_it_was(hall: HallDesk, data: Path) -> None:
    first = _take(hall, "王秀英")
    saved = run(["--db", hall.url, "db", "backup", str(data / "saved.sqlite3")])
    assert saved == 0
    later = _take(hall, "李娜")
    # Refused while this program holds the file (its pooled connection): nothing changed.
    assert run(["--db", hall.url, "db", "restore", str(data / "saved.sqlite3")]) == DatabaseBusy.exit_code
    assert {first, later} <= set(case_numbers(hall.url))
    assert not (data / "backups").exists() or not list((data / "backups").glob("*-before-restore*"))
    hall.engine.dispose()
    assert run(["--db", hall.url, "db", "restore", str(data / "saved.sqlite3"), "--json"]) == 0
    numbers = set(case_numbers(hall.url))
    assert first in numbers and later not in numbers
    [safety] = (data / "backups").glob("*-before-restore.sqlite3")
    assert {first, later} <= set(case_numbers(f"sqlite:///{safety}"))
    reopened = HallDesk.open(hall.url)
    try:
        assert reopened.is_up_to_date()
        case = intake.take_application(reopened.uow(), log_in(reopened, "clerk1"), request(item_with_tolerable(reopened)))
        assert case.case_no
    finally:
        reopened.close()


@sqlite_only
def test_restore_refuses_what_is_not_a_sound_halldesk_database_of_this_version(
    hall: HallDesk, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = backup.backup_sqlite(_file(hall), data / "good.sqlite3").path
    hall.engine.dispose()
    target = _file(hall)
    before = _digest(target)
    text = data / "notes.txt"
    text.write_text("不是数据库", encoding="utf-8")
    plain = data / "plain.sqlite3"
    sqlite3.connect(plain).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
    newer = data / "newer.sqlite3"
    shutil.copyfile(good, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    corrupt = data / "corrupt.sqlite3"
    raw = bytearray(good.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(raw), page * 40), page):
        raw[offset + 8: offset + 64] = b"\xff" * 56  # page headers: the b-trees no longer make sense
    corrupt.write_bytes(bytes(raw))
    expected = {text: "不是 SQLite 数据库文件", plain: "没有 HallDesk 的数据表", newer: "比本程序新",
                corrupt: "损坏", data / "missing.sqlite3": "不存在"}
    for path, reason in expected.items():
        code = run(["--db", hall.url, "db", "restore", str(path)])
        err = capsys.readouterr().err
        assert code == backup.BackupError.exit_code, (path.name, err)
        assert reason in err and "未作任何改动" in err, err
        assert _digest(target) == before
    assert not list((data / "backups").glob("*-before-restore.sqlite3")) if (data / "backups").exists() else True
    assert not list(target.parent.glob(".*.tmp"))


def test_an_upgrade_backs_up_a_file_at_an_older_revision_first(empty_db_url: str, data: Path,
                                                               engine_name: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0013_files")
    finally:
        engine.dispose()
    hall = HallDesk.open(empty_db_url, upgrade=True)
    try:
        assert hall.is_up_to_date()
    finally:
        hall.close()
    copies = list((data / "backups").glob("*-before-upgrade.sqlite3")) if (data / "backups").exists() else []
    if engine_name != "sqlite":
        assert copies == []  # a server's backup is its administrator's (db backup)
        return
    [copy] = copies
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0013_files"


@sqlite_only
def test_a_brand_new_file_is_not_backed_up_before_its_first_migration(empty_db_url: str, data: Path) -> None:
    HallDesk.open(empty_db_url, upgrade=True).close()
    HallDesk.open(empty_db_url, upgrade=True).close()  # at head: nothing to upgrade, nothing copied
    assert not (data / "backups").exists() or not list((data / "backups").iterdir())


@sqlite_only
def test_daily_backup_once_a_day_and_retention_keeps_the_newest_days(hall: HallDesk, data: Path) -> None:
    admin = log_in(hall, "admin")
    backup.save_settings(hall.uow(), admin, backup.BackupSettings(keep_days=3))
    source = _file(hall)
    folder = backup.folder()
    other = folder / "local-2026-01-01_08-00-00.sqlite3"  # another file's backups are not this one's to prune
    other.write_bytes(b"")
    start = datetime(2026, 12, 1, 9, 0, 0)
    for day in range(6):
        assert backup.daily(hall.engine, start + timedelta(days=day)) is not None
        assert backup.daily(hall.engine, start + timedelta(days=day, hours=3)) is None  # today's is there
    kept = [d for d, _ in backup.daily_backups(source)]
    assert kept == [date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)]
    assert other.exists()
    with pytest.raises(Exception, match="1–365"):
        backup.save_settings(hall.uow(), admin, backup.BackupSettings(keep_days=0))
    assert backup.get_settings(hall.uow()).keep_days == 3


@sqlite_only
def test_a_backup_that_would_fill_the_disk_is_refused_and_writes_nothing(
        hall: HallDesk, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _file(hall)
    needed = source.stat().st_size
    real = shutil.disk_usage

    def disk_with(free: int) -> Callable[[Path], object]:
        def usage(path: Path) -> object:
            total, used, _ = real(path)
            return type(real(path))(total, used, free)
        return usage

    reserve = backup.RESERVE_MB * 1024 * 1024
    monkeypatch.setattr(backup.shutil, "disk_usage", disk_with(needed + reserve - 1))
    with pytest.raises(backup.BackupError, match="磁盘空间不足，未备份") as info:
        backup.daily(hall.engine, datetime(2026, 12, 8, 9, 0, 0))
    assert "大厅设置中减少备份保留天数" in info.value.message and str(backup.folder()) in info.value.message
    assert not backup.folder().exists() or list(backup.folder().iterdir()) == []  # no copy, no leftover
    monkeypatch.setattr(backup.shutil, "disk_usage", disk_with(needed + reserve + 4096))  # just enough
    assert backup.daily(hall.engine, datetime(2026, 12, 8, 10, 0, 0)) is not None


def test_backup_settings_are_a_hall_setting_for_admins(hall: HallDesk, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    assert run(["--user", "admin", "hall", "backup-set", "--keep-days", "30", "--json"], hall=hall) == 0
    capsys.readouterr()
    assert run(["hall", "show", "--json"], hall=hall) == 0
    assert '"keep_days": 30' in capsys.readouterr().out
    assert run(["--user", "admin", "hall", "backup-set", "--keep-days", "400"], hall=hall) == 2
    assert "1–365" in capsys.readouterr().err
    assert backup.get_settings(hall.uow()).keep_days == 30


# ---- the servers ----------------------------------------------------------------------------------------------


def test_dump_commands_take_the_password_from_the_environment_only() -> None:
    pg = backup.dump_command("postgresql://hd:S3cret-pw@10.0.0.5:5433/halldesk", Path("/tmp/h.dump"))
    assert pg.argv[:2] == ["pg_dump", "-Fc"] and "S3cret-pw" not in " ".join([*pg.argv, pg.documented])
    assert pg.env == {"PGPASSWORD": "S3cret-pw"}
    my = backup.dump_command("mysql://hd:S3cret-pw@10.0.0.6/halldesk", Path("/tmp/h.sql"))
    assert {"--single-transaction", "--routines", "--hex-blob"} <= set(my.argv)
    assert "S3cret-pw" not in " ".join([*my.argv, my.documented])
    assert my.env == {"MYSQL_PWD": "S3cret-pw"}


@servers_only
def test_a_missing_dump_tool_names_the_documented_command(hall: HallDesk, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    target = tmp_path / "hall.dump"
    assert run(["--db", hall.url, "db", "backup", str(target)]) == backup.BackupError.exit_code
    err = capsys.readouterr().err
    assert "找不到" in err and ("pg_dump -Fc" in err or "mariadb-dump --single-transaction" in err)
    assert not target.exists()


def _tool_version(tool: str) -> str:
    return subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout


@servers_only
def test_server_backup_restores_with_the_documented_commands(hall: HallDesk, server: Server, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # The client tools are the server's major version (a newer server's dump may not be readable by them).
    info = hall.engine.dialect.server_version_info or ()
    tool = "pg_dump" if server.name == "postgresql" else "mariadb-dump"
    assert re.search(rf"\b{info[0]}\.{'' if server.name == 'postgresql' else info[1]}", _tool_version(tool)), (
        tool, info, _tool_version(tool))
    first = _take(hall, "王秀英")
    target = tmp_path / "hall.dump"
    assert run(["--db", hall.url, "db", "backup", str(target), "--json"]) == 0
    assert target.stat().st_size > 0
    # Restoring a server is its administrator's: refused, with the commands, nothing touched.
    assert run(["--db", hall.url, "db", "restore", str(target)]) == backup.BackupError.exit_code
    err = capsys.readouterr().err
    assert ("pg_restore" in err) if server.name == "postgresql" else ("mariadb" in err)
    # The documented commands bring it back in a new database.
    restored = f"hd_restored_{abs(hash(str(tmp_path))) % 10**8}"
    url = server.create(restored)
    try:
        parsed = sa.make_url(url)
        if server.name == "postgresql":
            subprocess.run(["pg_restore", "-h", parsed.host or "", "-p", str(parsed.port or 5432), "-U",
                            parsed.username or "", "--no-owner", "-d", restored, str(target)], check=True)
        else:
            with target.open("rb") as dump:
                subprocess.run(["mariadb", "-h", parsed.host or "", "-P", str(parsed.port or 3306), "-u",
                                parsed.username or "", "--default-character-set=utf8mb4", restored], stdin=dump,
                               check=True)
        assert first in case_numbers(url)
        copy = HallDesk.open(url)
        try:
            assert copy.is_up_to_date()
            from app import cases

            view = cases.get_case(copy.uow(), log_in(copy, "clerk1"), first)
            assert view.case_no == first
        finally:
            copy.close()
    finally:
        server.drop(restored)


@sqlite_only
def test_db_upgrade_and_a_counter_store_at_an_older_revision_are_backed_up_first(
    empty_db_url: str, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(empty_db_url)
    store_path = tmp_path / "local.sqlite3"
    store_engine = make_engine(f"sqlite:///{store_path}")
    try:
        migrate.upgrade(engine, "0013_files")
        migrate.upgrade(store_engine, "0013_files")
    finally:
        engine.dispose()
        store_engine.dispose()
    assert run(["--db", empty_db_url, "db", "upgrade"]) == 0
    from app.infra.counter_store import CounterStore

    CounterStore.open("postgresql://nobody@127.0.0.1:1/none", store_path, pull=False).close()
    copies = sorted(p.name for p in (data / "backups").glob("*-before-upgrade.sqlite3"))
    assert len(copies) == 2 and any(name.startswith("local-") for name in copies), copies
    for name in copies:
        with sqlite3.connect(data / "backups" / name) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0013_files"
    # The store by hand, with --local: into the backups folder, a plain daily name.
    capsys.readouterr()
    assert run(["--local", str(store_path), "db", "backup", "--json"]) == 0
    made = Path(json.loads(capsys.readouterr().out)["path"])
    assert made.parent == data / "backups" and [d for d, _ in backup.daily_backups(store_path)] == [date.today()]
