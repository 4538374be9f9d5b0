"""This PC's set-up (issue 17): station.json, which database a program opens, the password's keeping, the schema's
state and 测试连接's diagnosis on the real servers."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
import sqlalchemy as sa
from keyring.backend import KeyringBackend
from keyring.backends import fail

from app import credentials, diagnosis, installation
from app.context import HallDesk
from app.errors import DatabaseUnavailable, ValidationError
from app.installation import COUNTER, STANDALONE, Server, Station
from db import migrate
from tests import conftest
from tests.conftest import servers_only, sqlite_only


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of this test's own, no HALLDESK_DB, and no credential store (as on this headless machine)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(folder))
    monkeypatch.delenv("HALLDESK_DB", raising=False)
    keyring.set_keyring(fail.Keyring())
    return folder


class MemoryKeyring(KeyringBackend):
    """A credential store that keeps passwords in memory: keyring's own backend interface, a real store for it."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.kept[(service, username)]


@pytest.fixture
def memory_keyring(data: Path) -> Iterator[MemoryKeyring]:
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(fail.Keyring())


PG = Server("postgresql", "127.0.0.1", 5432, "halldesk", "halldesk_app")


# ---- station.json and which database ---------------------------------------------------------------------------


def test_settings_are_written_atomically_private_and_without_the_password(data: Path) -> None:
    station = Station(COUNTER, PG, 2)
    path = installation.save_station(station)
    credentials.store(PG, "s3cret-PW")
    assert path == data / "station.json"
    assert installation.load_station() == station
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cret" not in path.read_text(encoding="utf-8")
    assert [p.name for p in data.iterdir() if p.name.endswith(".part")] == []  # no temporary file left


def test_the_database_is_cli_then_env_then_settings_then_embedded(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert installation.resolve_url(None) == f"sqlite:///{data / 'halldesk.sqlite3'}"
    assert installation.needs_setup(None, None)
    installation.save_station(Station(COUNTER, PG, 2))
    credentials.store(PG, "p@ss/word")
    url = installation.resolve_url(None)
    assert sa.make_url(url).password == "p@ss/word" and sa.make_url(url).drivername == "postgresql+psycopg"
    assert sa.make_url(url).database == "halldesk" and sa.make_url(url).username == "halldesk_app"
    assert not installation.needs_setup(None, None)
    assert installation.local_store(None, None) == ""  # a 窗口电脑 works on its own store
    monkeypatch.setenv("HALLDESK_DB", "sqlite:///env.sqlite3")
    assert installation.resolve_url(None) == "sqlite:///env.sqlite3"
    assert installation.local_store(None, None) is None
    assert installation.resolve_url("sqlite:///cli.sqlite3") == "sqlite:///cli.sqlite3"


def test_a_broken_settings_file_says_to_set_up_again(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "station.json").write_text('{"mode": "counter"}', encoding="utf-8")  # a counter without server
    with pytest.raises(ValidationError, match=r"本机设置文件 .* 内容不正确：请用 python -m app --setup"):
        installation.load_station()


def test_settings_problems_are_listed_together() -> None:
    problems = installation.station_problems(Station(COUNTER, Server("oracle", "", 0, "", "a b"), None))
    assert [p[0] for p in problems] == ["server.kind", "server.host", "server.port", "server.database",
                                        "server.user", "counter"]


# ---- the password ----------------------------------------------------------------------------------------------


def test_without_a_credential_store_the_password_is_a_plain_file_only_this_user_reads(data: Path) -> None:
    kept = credentials.store(PG, "pw-1")
    assert kept.where == "file" and kept.path == data / "db-password.json"
    assert "明文" in kept.message and "只有当前用户可以读取" in kept.message and "未加密" in kept.message
    assert stat.S_IMODE(kept.path.stat().st_mode) == 0o600
    assert credentials.fetch(PG) == "pw-1"
    assert credentials.kept(PG) == kept
    assert credentials.forget(PG) and credentials.fetch(PG) is None
    assert not kept.path.exists()  # the last password gone: no file left


def test_with_a_credential_store_the_password_is_there_and_nowhere_else(memory_keyring: MemoryKeyring,
                                                                         data: Path) -> None:
    kept = credentials.store(PG, "pw-2")
    assert kept.where == "keyring" and "凭据库" in kept.message and "明文" not in kept.message
    assert memory_keyring.kept == {("HallDesk", PG.account): "pw-2"}
    assert not (data / "db-password.json").exists()
    assert credentials.fetch(PG) == "pw-2"
    assert credentials.forget(PG) and memory_keyring.kept == {}


def test_a_store_that_fails_falls_back_to_the_file_and_says_so(memory_keyring: MemoryKeyring) -> None:
    def broken(*_args: Any) -> None:
        raise keyring.errors.KeyringLocked("locked")

    memory_keyring.set_password = broken  # type: ignore[method-assign]
    kept = credentials.store(PG, "pw-3")
    assert kept.where == "file" and "明文" in kept.message
    assert credentials.fetch(PG) == "pw-3"


# ---- the schema ------------------------------------------------------------------------------------------------


def _previous_revision() -> str:
    head = migrate.head_revision()
    assert head is not None
    previous = migrate.revisions()[head]
    assert isinstance(previous, str)
    return previous


def test_schema_state_empty_older_current_newer(empty_db_url: str) -> None:
    hall = HallDesk.open(empty_db_url)
    try:
        assert hall.schema_state() == "empty"
        with pytest.raises(DatabaseUnavailable, match="还没有 HallDesk 的数据表"):
            hall.require_schema()
        migrate.upgrade(hall.engine, _previous_revision())
        assert hall.schema_state() == "older"
        with pytest.raises(DatabaseUnavailable, match=r"比本程序旧.*请管理员先备份数据库，再运行 python -m app db upgrade"):
            hall.require_schema()
        hall.upgrade()
        assert hall.schema_state() == "current"
        hall.require_schema()
        with hall.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        assert hall.schema_state() == "newer"
        with pytest.raises(DatabaseUnavailable, match=r"比本程序新.*请在本机安装与之相同的新版本"):
            hall.require_schema()
        with pytest.raises(DatabaseUnavailable, match="本程序不会改动该数据库"):
            hall.upgrade()  # never run our migrations over a newer schema
        assert migrate.current_revision(hall.engine) == "0099_from_the_future"
    finally:
        hall.close()


# ---- 测试连接 ---------------------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_diagnosis_of_each_schema_state(empty_db_url: str) -> None:
    found = diagnosis.diagnose(empty_db_url)
    assert found.kind == "empty" and found.can_create_schema
    hall = HallDesk.open(empty_db_url)
    try:
        migrate.upgrade(hall.engine, _previous_revision())
        found = diagnosis.diagnose(empty_db_url)
        assert found.kind == "older" and "db upgrade" in found.message
        hall.upgrade()
        found = diagnosis.diagnose(empty_db_url)
        assert found.ok and "连接成功" in found.message and found.revision == migrate.head_revision()
        with hall.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        found = diagnosis.diagnose(empty_db_url)
        assert found.kind == "newer" and "安装" in found.message
    finally:
        hall.close()


@sqlite_only  # on PostgreSQL: the wizard's 创建数据表 and setup's create_schema tests
def test_creating_the_schema_of_an_empty_database(empty_db_url: str) -> None:
    assert diagnosis.create_schema(empty_db_url).ok


@servers_only
def test_diagnosis_unreachable_and_missing_database(server: conftest.Server) -> None:
    url = sa.make_url(server.url("postgres" if server.name == "postgresql" else "mysql"))
    closed = url.set(port=_closed_port()).render_as_string(hide_password=False)
    found = diagnosis.diagnose(closed)
    assert found.kind == "unreachable" and "无法连接数据库服务器 127.0.0.1:" in found.message
    missing = url.set(database="hd_no_such_db").render_as_string(hide_password=False)
    found = diagnosis.diagnose(missing)
    assert found.kind == "no_database" and "没有名为 hd_no_such_db 的数据库" in found.message


def test_diagnosis_of_a_bad_address() -> None:
    assert diagnosis.diagnose("oracle://x/y").kind == "address"


@servers_only
def test_diagnosis_of_a_wrong_password(server: conftest.Server, empty_db_url: str) -> None:
    """PostgreSQL here trusts 127.0.0.1 (pg_hba.conf: trust), so any password passes for an existing role: its
    refusal is tested with a role that does not exist; MariaDB checks passwords, so a real wrong password."""
    assert server.admin is not None
    url = sa.make_url(empty_db_url)
    user = f"hd_pw_{url.database}"[:30]
    with server.admin.connect() as c:
        if server.name == "mariadb":
            c.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'Right-pw-1'"))
            c.execute(sa.text(f"GRANT ALL ON `{url.database}`.* TO '{user}'@'%'"))
    try:
        wrong = url.set(username=user, password="Wrong-pw-2").render_as_string(hide_password=False)
        found = diagnosis.diagnose(wrong)
        assert found.kind == "auth" and f"拒绝了用户 {user} 的登录：用户名或密码不正确" in found.message
        if server.name == "mariadb":
            right = url.set(username=user, password="Right-pw-1").render_as_string(hide_password=False)
            assert diagnosis.diagnose(right).kind == "empty"
    finally:
        with server.admin.connect() as c:
            if server.name == "mariadb":
                c.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))


@pytest.mark.skipif("mariadb" not in conftest.ENGINES, reason="MariaDB not in HALLDESK_TEST_ENGINES")
@pytest.mark.parametrize("server", ["mariadb"], indirect=True)
def test_diagnosis_of_a_mariadb_database_that_is_not_utf8mb4(server: conftest.Server) -> None:
    assert server.admin is not None
    name = "hd_latin_diag"
    with server.admin.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        c.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET latin1"))
    try:
        found = diagnosis.diagnose(server.url(name))
        assert found.kind == "charset" and "utf8mb4" in found.message
    finally:
        server.drop(name)


def test_the_json_of_a_diagnosis() -> None:
    found = diagnosis.Diagnosis("ok", "连接成功", "0014")
    assert json.loads(json.dumps(found.as_json())) == {"kind": "ok", "ok": True, "message": "连接成功",
                                                       "revision": "0014"}


def test_the_station_modes_name_themselves() -> None:
    assert Station(STANDALONE).mode_name == "单机" and Station(COUNTER, PG, 1).mode_name == "窗口电脑"


@sqlite_only  # the schema's state is read the same on every engine (test_schema_state_… above)
def test_a_counter_store_refuses_a_shared_schema_older_or_newer(empty_db_url: str, tmp_path: Path) -> None:
    from app.infra.counter_store import CounterStore

    local = tmp_path / "counter.sqlite3"
    hall = HallDesk.open(empty_db_url)
    try:
        with pytest.raises(DatabaseUnavailable, match="还没有 HallDesk 的数据表"):
            CounterStore.open(empty_db_url, local)
        migrate.upgrade(hall.engine, _previous_revision())
        with pytest.raises(DatabaseUnavailable, match="比本程序旧"):
            CounterStore.open(empty_db_url, local)
        hall.upgrade()
        CounterStore.open(empty_db_url, local).close()
        with hall.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        with pytest.raises(DatabaseUnavailable, match="比本程序新"):
            CounterStore.open(empty_db_url, local)
    finally:
        hall.close()


def test_a_counter_store_a_newer_program_made_is_refused(tmp_path: Path) -> None:
    from app.infra.counter_store import CounterStore

    local = tmp_path / "counter.sqlite3"
    closed = f"postgresql://postgres@127.0.0.1:{_closed_port()}/x"
    store = CounterStore.open(closed, local)  # out of reach: the store opens, offline
    assert store.online is False
    with store.local.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    store.close()
    with pytest.raises(DatabaseUnavailable, match=r"本机窗口库 .*比本程序新"):
        CounterStore.open(closed, local)
