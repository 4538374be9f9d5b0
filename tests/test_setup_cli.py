"""``python -m app setup --file`` end to end (issue 17): the settings written, the counter's key registered, its
printers set; a bad file refused with every problem and nothing written; HallDesk run with the least-privileged
database role the README gives."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
import sqlalchemy as sa
from keyring.backends import fail
from sqlalchemy import select

from app import claims, installation, intake
from app.context import HallDesk
from app.demo import DEMO_PASSWORD, load_demo
from app.infra.counter_store import CounterStore
from app.printing import queue
from cli.main import run
from db.engine import make_engine
from db.models import Counter, CounterKey
from tests import conftest
from tests.conftest import servers_only
from tests.intake_support import all_received, request
from tests.test_output import _scj_item


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(folder))
    monkeypatch.delenv("HALLDESK_DB", raising=False)
    keyring.set_keyring(fail.Keyring())  # this machine: no Secret Service
    return folder


def _write(tmp: Path, text: str) -> str:
    path = tmp / "station.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_standalone_pc_from_nothing_to_a_receipt(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """单机 on a fresh PC: the embedded database made, the first admin, the default catalog, counter 1 with its
    key and printers — then a clerk added by that admin takes a case and its receipt is queued for the printer."""
    monkeypatch.setenv("HD_ADMIN_PW", "Hall2026-pw")
    file = _write(tmp_path, """
mode: 单机
counter: 1
printers:
  thermal: file:///dev/null
  a4: file:///dev/null
admin:
  username: admin
  password_env: HD_ADMIN_PW
  full_name: 王管理
""")
    assert installation.needs_setup(None, None)
    assert run(["setup", "--file", file, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["station"]["mode"] == "standalone" and out["schema_created"] and out["first_admin"] == "admin"
    assert out["catalog_items"] > 0 and out["counter_created"] and out["key"]["new"]
    assert out["printers"] == {"thermal": "file:///dev/null", "a4": "file:///dev/null"}
    assert not installation.needs_setup(None, None)
    assert (data / "keys" / "counter-01.key").exists()

    monkeypatch.setenv("HALLDESK_PASSWORD", "Hall2026-pw")
    monkeypatch.setenv("HALLDESK_NEW_PASSWORD", "Clerk2026pw")
    assert run(["--user", "admin", "user", "add", "clerk1", "--name", "李窗口", "--role", "clerk",
                "--counter", "1"]) == 0
    hall = HallDesk.open(None)  # no --db, no HALLDESK_DB: the embedded file this PC was set up with
    try:
        assert hall.url == f"sqlite:///{data / 'halldesk.sqlite3'}"
        with hall.uow() as uow:
            key = uow.session.execute(select(CounterKey).join(Counter).where(Counter.number == 1)).scalar_one()
        assert key.fingerprint == out["key"]["fingerprint"] and key.retired_at is None
        clerk = hall.login("clerk1", "Clerk2026pw")
        item = _scj_item(hall)
        case = intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item)))
        jobs = queue.list_jobs(hall.uow(), case_no=case.case_no)
        assert case.slip and [j.printer for j in jobs if j.kind == "receipt"] == ["file:///dev/null"]
    finally:
        hall.close()
    capsys.readouterr()
    assert run(["setup", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["mode"] == "standalone" and shown["counter"] == 1 and shown["password"] is None


def test_a_bad_file_is_refused_with_every_problem_and_nothing_written(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, """
mode: 窗户
server:
  kind: oracle
  host: "a b"
  port: 99999
  password: secret
  colour: red
counter: x
printers:
  thermal: lpt://x
admin:
  username: admin
  password_env: HD_NOT_SET_ANYWHERE
""")
    assert run(["setup", "--file", file]) == 2
    err = capsys.readouterr().err
    for key in ("mode", "server.password", "server.colour", "server.kind", "server.host", "server.port",
                "server.database", "server.user", "server.password_env", "counter", "printers.thermal",
                "admin.password_env"):
        assert any(line.startswith("错误：") and key in line for line in err.splitlines()), key
    assert "不要把密码写在文件里" in err and "HD_NOT_SET_ANYWHERE" in err
    assert not data.exists() or sorted(p.name for p in data.iterdir()) == []


def test_a_file_that_is_not_yaml(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "--file", _write(tmp_path, "mode: [单机\n")]) == 2
    assert "设置文件不是正确的 YAML：第" in capsys.readouterr().err


def test_forget_password_and_show_without_settings(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["configured"] is False
    assert run(["setup", "forget-password"]) == 0
    assert "没有要删除的密码" in capsys.readouterr().err


# ---- on the servers, with the least-privileged role the README gives ----------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_sql(engine: str, database: str) -> list[str]:
    """The README's statements for ``engine``, with ``halldesk`` (database and roles' prefix) renamed."""
    found = re.search(rf"<!-- least-privilege:{engine} -->\n```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert found is not None, f"README.md lacks the least-privilege block for {engine}"
    return [line.strip().rstrip(";").replace("halldesk", database)
            for line in found.group(1).splitlines() if line.strip()]


@dataclass
class OwnedHall:
    database: str
    owner_url: str
    app_role: str
    app_password: str


@pytest.fixture
def owned_hall(server: conftest.Server) -> Iterator[OwnedHall]:
    """A hall database made by the README's SQL: the owner role migrates it and loads the demo."""
    assert server.admin is not None
    database = f"hd_lp_{os.getpid()}"
    statements = readme_sql(server.name, database)
    admin_url = server.admin.url
    extra: sa.Engine | None = None
    try:
        conn = server.admin.connect()
        for statement in statements:
            if statement.startswith("\\c "):  # psql's \c: go on in the new database
                conn.close()
                extra = make_engine(admin_url.set(database=database).render_as_string(hide_password=False),
                                    isolation_level="AUTOCOMMIT")
                conn = extra.connect()
                continue
            conn.execute(sa.text(statement))
        conn.close()
        owner_url = sa.make_url(server.url(database)).set(username=f"{database}_owner", password="owner-password")
        hall = HallDesk.open(owner_url.render_as_string(hide_password=False), upgrade=True)
        try:
            load_demo(hall.uow())
        finally:
            hall.close()
        yield OwnedHall(database, owner_url.render_as_string(hide_password=False), f"{database}_app", "app-password")
    finally:
        if extra is not None:
            extra.dispose()
        server.drop(database)
        with server.admin.connect() as c:
            for role in (f"{database}_app", f"{database}_owner"):
                c.execute(sa.text(f"DROP ROLE IF EXISTS {role}" if server.name == "postgresql"
                                  else f"DROP USER IF EXISTS '{role}'@'%'"))


@servers_only
def test_hall_pcs_run_as_the_least_privileged_role_of_the_readme(
        server: conftest.Server, owned_hall: OwnedHall, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    url = sa.make_url(owned_hall.owner_url)
    app_role = owned_hall.app_role
    monkeypatch.setenv("HD_DB_PW", owned_hall.app_password)
    monkeypatch.setenv("HD_ADMIN_PW", DEMO_PASSWORD)
    file = _write(tmp_path, f"""
mode: 窗口电脑
server:
  kind: {"postgresql" if server.name == "postgresql" else "mariadb"}
  host: {url.host}
  port: {url.port or (5432 if server.name == "postgresql" else 3306)}
  database: {url.database}
  user: {app_role}
  password_env: HD_DB_PW
counter: 2
printers:
  thermal: tcp://127.0.0.1:9
  a4: file:///dev/null
admin:
  username: admin
  password_env: HD_ADMIN_PW
""")
    assert run(["setup", "--file", file, "--json"]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    assert out["station"]["server"]["user"] == app_role and out["key"]["new"] and not out["schema_created"]
    assert out["password"]["where"] == "file" and "明文" in out["password"]["message"]
    settings = (data / "station.json").read_text(encoding="utf-8")
    assert owned_hall.app_password not in settings and app_role in settings
    owner = HallDesk.open(owned_hall.owner_url)
    try:
        with owner.uow() as uow:
            counter = uow.session.execute(select(Counter).where(Counter.number == 2)).scalar_one()
            key = uow.session.execute(select(CounterKey).where(CounterKey.counter_id == counter.id,
                                                               CounterKey.retired_at.is_(None))).scalar_one()
        assert (counter.printer_uri, counter.a4_printer_uri) == ("tcp://127.0.0.1:9", "file:///dev/null")
        assert key.fingerprint == out["key"]["fingerprint"]
    finally:
        owner.close()

    # The counter starts without --db or --local: its own store, synced with the server as the app role.
    assert installation.local_store(None, None) == ""
    store = CounterStore.open(None)
    try:
        assert store.online and sa.make_url(store.shared_url or "").username == app_role
        clerk = store.login("clerk2", DEMO_PASSWORD)
        item = _scj_item(store.local)
        view, synced = store.take_application(clerk, request(item, materials=all_received(item)))
        assert synced and view.slip
    finally:
        store.close()
    # A back-office PC with the same role: the reviewer claims the case on the server.
    hall = HallDesk.open(None)
    try:
        assert sa.make_url(hall.url).username == app_role
        hall.require_schema()
        reviewer = hall.login("rev_scj", DEMO_PASSWORD)
        assert claims.claim(hall.uow(), reviewer, view.case_no).case_no == view.case_no
        # ... and the app role cannot change the schema: db upgrade belongs to the owner.
        with pytest.raises(sa.exc.DBAPIError), hall.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE hd_not_allowed (id INTEGER)"))
    finally:
        hall.close()


@servers_only
def test_an_empty_server_database_is_created_only_when_the_file_says_so(
        server: conftest.Server, empty_db_url: str, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    url = sa.make_url(empty_db_url)
    assert server.admin is not None
    user = f"hd_set_{url.database}"[:30]
    if server.name == "mariadb":  # the test root has no password, and password_env needs one: a user with one
        with server.admin.connect() as c:
            c.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'Set-up-pw-1'"))
            c.execute(sa.text(f"GRANT ALL ON `{url.database}`.* TO '{user}'@'%'"))
        url = url.set(username=user, password="Set-up-pw-1")
    monkeypatch.setenv("HD_DB_PW", url.password or "trusted")  # PostgreSQL here trusts 127.0.0.1
    kind = "mariadb" if server.name == "mariadb" else "postgresql"
    text = f"""
mode: 后台电脑
server:
  kind: {kind}
  host: {url.host}
  port: {url.port or (3306 if kind == "mariadb" else 5432)}
  database: {url.database}
  user: {url.username}
  password_env: HD_DB_PW
"""
    try:
        assert run(["setup", "--file", _write(tmp_path, text)]) == 7
        assert "还没有 HallDesk 的数据表" in capsys.readouterr().err
        assert not (data / "station.json").exists()
        assert run(["setup", "--file", _write(tmp_path, text + "  create_schema: true\n")]) == 0
        assert "已在新数据库中建立 HallDesk 的数据表" in capsys.readouterr().err
        assert installation.load_station() is not None and installation.local_store(None, None) is None
    finally:
        if server.name == "mariadb":
            with server.admin.connect() as c:
                c.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))


def test_a_standalone_set_up_that_fails_at_the_login_leaves_no_database(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HD_ADMIN_PW", "Hall2026-pw")
    file = _write(tmp_path, "mode: standalone\ncounter: 1\nadmin:\n  username: admin\n  password_env: HD_ADMIN_PW\n")
    assert run(["setup", "--file", file]) == 3  # a new database has no admin, and the file makes none
    assert "用户名或密码" in capsys.readouterr().err
    assert not installation.embedded_path().exists() and not (data / "station.json").exists()
    assert installation.needs_setup(None, None)
