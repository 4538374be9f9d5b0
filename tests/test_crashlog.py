"""A bug reaches no user as a traceback: one line with a reference, and a log without personal data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import accounts, crashlog
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import INTERNAL_ERROR_EXIT_CODE
from cli import main as cli_module
from cli.main import run
from db.paths import data_dir
from tests.conftest import log_in, sqlite_only
from tests.intake_support import AGENT, item_with_tolerable

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"E\d{8}-[0-9A-F]{6}")
ONE_LINE = re.compile(r"^错误：程序内部错误，操作未完成（参考编号 (E\d{8}-[0-9A-F]{6})）。请把参考编号告知系统管理员。$")


@pytest.mark.parametrize(("message", "kept", "gone"), [
    ('duplicate key value violates unique constraint "uq_enterprise_uscc"\n'
     "DETAIL:  Key (uscc)=(91360112MA35XJ017X) already exists.",
     ["uq_enterprise_uscc", "Key (uscc)=(…) already exists."], ["91360112", "MA35XJ017X"]),
    ('new row for relation "hd_case" violates check constraint "boom"\n'
     "DETAIL:  Failing row contains (3f0c, XJ261207-01-0001, 张伟, 36011219850615123X, 13807910001, 042117).",
     ['check constraint "boom"', "DETAIL:  …"], ["张伟", "36011219850615123X", "13807910001", "042117", "XJ261207"]),
    ("(pymysql.err.IntegrityError) (1062, \"Duplicate entry '36011219850615123X' for key 'uq_x'\")",
     ["Duplicate entry '…' for key 'uq_x'", "1062"], ["36011219850615123X"]),
    ("(1366, \"Incorrect string value: '\\xF0\\xA0\\x80\\x80' for column `hd`.`enterprise`.`name` at row 1\")",
     ["Incorrect string value: '…'", "`enterprise`.`name`"], ["\\xF0\\xA0"]),
    ("(1406, \"Data too long for column 'agent_name' at row 1\")", ["'agent_name'"], []),
    ("KeyError: '张伟'", ["KeyError: '…'"], ["张伟"]),
    ("ValueError: bad phone 13807910001 and id 36011219850615123x", ["bad phone ######"], ["13807910001", "3601121985"]),
    ("地址：新建经开区长堎大道8号", [], ["新建", "长堎"]),
])
def test_scrub_removes_personal_data_and_keeps_the_shape(message: str, kept: list[str], gone: list[str]) -> None:
    scrubbed = crashlog.scrub(message)
    for part in kept:
        assert part in scrubbed, scrubbed
    for part in gone:
        assert part not in scrubbed, scrubbed


def test_record_writes_the_scrubbed_traceback_under_the_reference(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(tmp_path))

    def failing(id_number: str) -> None:
        raise RuntimeError(f"cannot file {id_number}")

    try:
        try:
            failing(AGENT.id_number)
        except RuntimeError as first:
            raise LookupError("张伟 not found") from first
    except LookupError as exc:
        incident = crashlog.record(exc, context=["命令：case create"])
    assert REFERENCE.fullmatch(incident.reference)
    assert incident.log_path == tmp_path / "logs" / f"{incident.reference}.log"
    log = incident.log_path.read_text(encoding="utf-8")
    assert log.startswith(f"参考编号：{incident.reference}\n") and "命令：case create" in log
    assert "in failing" in log and "RuntimeError: cannot file ######" in log and "LookupError: … not found" in log
    assert AGENT.id_number not in log and "张伟" not in log
    assert ONE_LINE.fullmatch(incident.message)


def test_the_cli_prints_one_line_and_logs_the_bug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(tmp_path))

    def broken(cli: object) -> int:
        raise ZeroDivisionError(f"agent {AGENT.id_number}")

    monkeypatch.setattr(cli_module, "cmd_check", broken)
    code = run(["check", "id", AGENT.id_number])
    out, err = capsys.readouterr()
    assert code == INTERNAL_ERROR_EXIT_CODE == 11 and out == ""
    reference = ONE_LINE.fullmatch(err.strip())
    assert reference is not None, err
    log = (tmp_path / "logs" / f"{reference.group(1)}.log").read_text(encoding="utf-8")
    assert "ZeroDivisionError: agent ######" in log and "命令：check" in log and AGENT.id_number not in log


def _case_json(hall: HallDesk, tmp_path: Path) -> Path:
    item = item_with_tolerable(hall)
    doc = {"item": item.code, "outcome": "accept",
           "agent": {"name": AGENT.name, "id_number": AGENT.id_number, "phone": AGENT.phone},
           "materials": {m.code: ("waived" if m.covered_by else "received") for m in item.materials}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _own_password(hall: HallDesk) -> str:
    """clerk1 with a password of its own: no warning about the demo password beside the one line."""
    accounts.set_password(hall.uow(), log_in(hall, "clerk1"), "clerk1", "Window1pass", DEMO_PASSWORD)
    return "Window1pass"


def _break_case_inserts(hall: HallDesk) -> None:
    """A constraint no HallDesk code knows of: the second case of one agent fails with a database error, as a
    bug would.  PostgreSQL's message then names the key's value (``Key (agent_id_number)=(…)``), MariaDB's
    quotes it (``Duplicate entry '…'``)."""
    with hall.engine.begin() as conn:
        conn.execute(sa.text("CREATE UNIQUE INDEX boom ON hd_case (agent_id_number)"))


def test_a_database_error_is_one_line_and_a_log_without_the_id_number(
        hall: HallDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = _case_json(hall, tmp_path)
    _break_case_inserts(hall)
    monkeypatch.setenv("HALLDESK_PASSWORD", _own_password(hall))
    argv = ["--db", hall.url, "--user", "clerk1", "case", "create", "--json", str(path)]
    assert run(argv) == 0
    capsys.readouterr()
    code = run(argv)
    out, err = capsys.readouterr()
    assert code == INTERNAL_ERROR_EXIT_CODE and out == "", err
    reference = ONE_LINE.fullmatch(err.strip())
    assert reference is not None, err
    # The run's data folder: the counters' signing keys are there, and so are the logs.
    log = (data_dir() / "logs" / f"{reference.group(1)}.log").read_text(encoding="utf-8")
    assert "IntegrityError" in log and "agent_id_number" in log
    for personal in (AGENT.id_number, AGENT.id_number[:10], AGENT.phone, AGENT.name):
        assert personal not in log, log


@sqlite_only  # one engine is enough for the process-level check; the in-process test covers all three
def test_subprocess_prints_one_line_with_a_reference_and_logs_without_the_id_number(
        hall: HallDesk, tmp_path: Path) -> None:
    path = _case_json(hall, tmp_path)
    _break_case_inserts(hall)
    data = data_dir()  # the run's: it holds counter 1's signing key
    env = {k: v for k, v in os.environ.items() if k != "HALLDESK_DB"}
    env.update(HALLDESK_PASSWORD=_own_password(hall))
    argv = [sys.executable, "-m", "app", "--db", hall.url, "--user", "clerk1", "case", "create", "--json", str(path)]
    assert subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=120).returncode == 0
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120)
    assert proc.returncode == INTERNAL_ERROR_EXIT_CODE and proc.stdout == ""
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    reference = ONE_LINE.fullmatch(proc.stderr.strip())
    assert reference is not None, proc.stderr
    log = data / "logs" / f"{reference.group(1)}.log"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "sqlite3.IntegrityError" in text and "agent_id_number" in text
    assert AGENT.id_number not in text and AGENT.phone not in text and AGENT.name not in text
