"""The log files (issue 17 part 6): rotated by size, a count kept, and no personal data in them whatever the code
logs; the diagnosis package: logs, versions and settings, no password, no personal data."""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from app import cases, crashlog, diagnostics, intake, logs
from app.context import HallDesk
from app.infra.counter_store import CounterStore
from app.intake import AgentInput
from app.validators import make_id_number
from cli.main import run
from db import migrate
from db.models import User
from tests.conftest import log_in, sqlite_only
from tests.intake_support import item_with_tolerable, request

HANZI = re.compile(r"[\u4e00-\u9fff]")
NAME, PHONE = "欧阳秀英", "13907915678"
ID_NUMBER = make_id_number("360112", date(1979, 3, 8), 457)
PASSWORD = "Top-Secret-9q"


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "keys").symlink_to(Path(os.environ["HALLDESK_DATA_DIR"]) / "keys", target_is_directory=True)
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(folder))
    yield folder
    logs.stop()


def _personal_case(hall: HallDesk) -> tuple[str, str]:
    """A case with a real-looking applicant, through the services; its number and pickup code."""
    clerk = log_in(hall, "clerk1")
    agent = AgentInput(name=NAME, id_number=ID_NUMBER, phone=PHONE)
    view = intake.take_application(hall.uow(), clerk, request(item_with_tolerable(hall), agent=agent))
    return view.case_no, cases.pickup_credentials(hall.uow(), clerk, view.case_no).pickup_code


def _careless_logging(hall: HallDesk, case_no: str, pickup: str, lines: int = 1) -> None:
    """What careless code could log: the applicant's data as arguments, in an f-string, in a database error."""
    log = logging.getLogger("app.careless")
    for _ in range(lines):
        log.warning("case %s for %s (%s, %s), pickup %s", case_no, NAME, ID_NUMBER, PHONE, pickup)
        log.info(f"applicant {NAME} id={ID_NUMBER} phone='{PHONE}'")
    try:
        with hall.uow() as uow:
            uow.session.add(User(username="admin", full_name=NAME, role="clerk", password_hash="x"))
            uow.commit()
    except IntegrityError:
        log.exception("saving the user %s failed", NAME)
    except Exception as exc:  # the unit of work may translate it: logged the same way
        log.error("saving failed", exc_info=exc)


def _assert_clean(text: str, pickup: str) -> None:
    for secret in (NAME, ID_NUMBER, PHONE, pickup, PASSWORD):
        assert secret not in text
    assert not HANZI.search(text), HANZI.search(text)


def test_logs_rotate_and_hold_no_personal_data(hall: HallDesk, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 4000)
    path = logs.start("cli")
    assert path == data / "logs" / "cli.log"
    assert logs.start("cli") == path  # once
    HallDesk.open(hall.url).close()  # the database line: kind and host, never the user
    case_no, pickup = _personal_case(hall)
    _careless_logging(hall, case_no, pickup, lines=60)
    logs.stop()
    files = sorted((data / "logs").glob("cli.log*"))
    assert [p.name for p in files] == ["cli.log", *(f"cli.log.{i}" for i in range(1, logs.BACKUPS + 1))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    _assert_clean(text, pickup)
    assert "app.careless: case" in text and "######" in text  # the record is kept, its data is not
    assert files[0].read_text(encoding="utf-8").rstrip().endswith("halldesk: stop")  # the newest file
    assert "postgres@" not in text and "root@" not in text


def test_the_start_line_and_the_database_line(hall: HallDesk, data: Path, engine_name: str) -> None:
    logs.start("gui")
    HallDesk.open(hall.url).close()
    logs.stop()
    text = (data / "logs" / "gui.log").read_text(encoding="utf-8")
    assert re.search(r"INFO \[gui \d+\] halldesk: start gui: HallDesk \S+, Python 3\.\d+", text)
    kind = {"sqlite": "sqlite file", "postgresql": "postgresql 127.0.0.1", "mariadb": "mysql 127.0.0.1"}[engine_name]
    assert f"database opened: {kind}" in text
    assert f"schema {migrate.head_revision()}" in text


def _package(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def test_the_diagnosis_package_holds_logs_versions_settings_and_no_secrets(
    hall: HallDesk, data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HALLDESK_DB", f"postgresql://hd:{PASSWORD}@10.1.2.3:5432/halldesk")
    monkeypatch.setenv("HALLDESK_PASSWORD", PASSWORD)
    logs.start("cli")
    case_no, pickup = _personal_case(hall)
    _careless_logging(hall, case_no, pickup)
    try:
        raise ValueError(f"applicant {NAME} {ID_NUMBER}")
    except ValueError as exc:
        crashlog.record(exc)
    # A database address with a password, as the hall's would be.
    with_password = HallDesk(f"postgresql://hd:{PASSWORD}@10.1.2.3/halldesk", hall.engine, hall.session_factory)
    package = diagnostics.export(data / "out" / "诊断包", with_password, extra_versions={"Qt": "6.x"},
                                 settings={"display/screen": "1", "smtp_password": PASSWORD})
    assert package.path.name == "诊断包.zip"
    members = _package(package.path)
    assert {"说明.txt", "versions.json", "station.json", "database.json", "data-folder.txt", "logs/cli.log"} <= set(members)
    assert any(re.fullmatch(r"logs/E\d{8}-[0-9A-F]{6}\.log", m) for m in members)
    everything = "\n".join(members.values())
    for secret in (NAME, ID_NUMBER, PHONE, pickup, PASSWORD):
        assert secret not in everything
    for name, text in members.items():
        if name.startswith("logs/cli.log"):  # (a crash report's headings are Chinese; its data is scrubbed)
            _assert_clean(text, pickup)
    versions = json.loads(members["versions.json"])
    assert versions["libraries"]["SQLAlchemy"] and versions["Qt"] == "6.x"
    station = json.loads(members["station.json"])
    assert station["database_url"] == "postgresql://hd@10.1.2.3/halldesk"
    assert station["environment"]["HALLDESK_DB"] == "postgresql://hd@10.1.2.3:5432/halldesk"
    assert station["environment"]["HALLDESK_PASSWORD"] == "(set, not copied)"
    assert station["settings"] == {"display/screen": "1", "smtp_password": "(not copied)"}
    database = json.loads(members["database.json"])
    assert database["schema_revision"] == database["schema_head"] == migrate.head_revision()
    assert "keys/" in members["data-folder.txt"]
    # The command line makes the same package.
    monkeypatch.delenv("HALLDESK_DB")
    assert run(["--db", hall.url, "diag", "export", str(data / "cli.zip"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["members"][0] == "说明.txt"


@sqlite_only
def test_the_package_of_a_counter_store_has_its_sync_state(hall: HallDesk, data: Path, tmp_path: Path) -> None:
    store = CounterStore.open("postgresql://nobody@127.0.0.1:1/none", tmp_path / "local.sqlite3", counter=1)
    try:
        package = diagnostics.export(data / "counter.zip", store.local)
    finally:
        store.close()
    database = json.loads(_package(package.path)["database.json"])
    assert database["counter_store"]["pending"] == 0
    assert database["counter_store"]["files_pending"] == 0
    assert database["schema_revision"] == migrate.head_revision()
    station = json.loads(_package(package.path)["station.json"])
    assert station["counter"] == 1 and station["counter_store"].endswith("local.sqlite3")


def test_a_package_is_made_when_the_database_cannot_be_opened(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--db", "postgresql://hd@127.0.0.1:1/none", "diag", "export", str(data / "x.zip")]) == 0
    assert "数据库未能打开" in capsys.readouterr().err
    assert json.loads(_package(data / "x.zip")["database.json"]) == {"error": "no database open"}
