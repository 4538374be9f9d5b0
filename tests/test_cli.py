"""The CLI over the same services: exit codes, --json output, passwords, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.resources import default_catalog_path
from cli.main import run
from db.models import AuditEvent, Counter, Department, Enterprise, ServiceItem, User

ROOT = Path(__file__).resolve().parent.parent


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def as_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)


def _counts(url: str) -> tuple[int, ...]:
    h = HallDesk.open(url)
    try:
        with h.uow() as uow:
            return tuple(
                uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (Department, ServiceItem, User, Counter, Enterprise)
            )
    finally:
        h.close()


def test_demo_fills_an_empty_database_and_then_only_for_an_admin(
    empty_db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(capsys, "--db", empty_db_url, "demo")[0] == 0
    first = _counts(empty_db_url)
    # A database with users: refused without a login (it would add accounts with the published password and
    # register this PC's keys), skipped with --if-empty (./dev start), and refused to anyone but an admin.
    code, _, err = cli(capsys, "--db", empty_db_url, "demo")
    assert code == 4 and "已有用户" in err
    code, _, err = cli(capsys, "--db", empty_db_url, "demo", "--if-empty")
    assert code == 0 and "未作任何改动" in err
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    code, _, err = cli(capsys, "--db", empty_db_url, "--user", "supervisor", "demo")
    assert code == 4 and "无权" in err
    code, _, err = cli(capsys, "--db", empty_db_url, "--user", "admin", "demo")
    assert code == 0 and "新建用户 0 个" in err
    assert _counts(empty_db_url) == first
    # admin, supervisor, clerk1–3 and clerk9 (办不成事窗口), a reviewer and a chief representative per department
    assert first[0] == 19 and first[1] >= 60 and first[2] == 6 + 2 * 19


def test_catalog_list_json_and_round_trip(hall: HallDesk, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          as_admin: None) -> None:
    code, out, _ = cli(capsys, "--db", hall.url, "catalog", "list", "--json")
    items = json.loads(out)
    assert code == 0 and len(items) >= 60
    one = next(i for i in items if i["name"] == "建筑工程施工许可证核发")
    assert one["dept"] == "ZJJ" and isinstance(one["materials"], list) and one["materials"][0]["code"]
    exported = tmp_path / "catalog.yaml"
    assert cli(capsys, "--db", hall.url, "catalog", "export", str(exported))[0] == 0
    assert exported.read_text(encoding="utf-8") == default_catalog_path().read_text(encoding="utf-8")
    code, out, _ = cli(capsys, "--db", hall.url, "--user", "admin", "catalog", "import", str(exported), "--json")
    assert code == 0 and json.loads(out)["items_unchanged"] == len(items)


def test_catalog_import_bad_file(hall: HallDesk, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 as_admin: None) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndepartments:\n- code: x\n  name: ''\n", encoding="utf-8")
    code, _, err = cli(capsys, "--db", hall.url, "--user", "admin", "catalog", "import", str(bad))
    assert code == 2
    assert "第3行" in err and "第4行" in err and "未导入任何内容" in err
    code, _, err = cli(capsys, "--db", hall.url, "--user", "admin", "catalog", "import", str(tmp_path / "none.yaml"))
    assert code == 2 and "文件不存在" in err


def test_chief_rep_update_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  as_admin: None) -> None:
    code, out, _ = cli(capsys, "--db", hall.url, "catalog", "show", "SCJ003")
    doc = json.loads(out)
    doc["fee"] = "不收费（CLI 修改）"
    f = tmp_path / "item.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, _, err = cli(capsys, "--db", hall.url, "--user", "chief_zjj", "catalog", "update", "--json", str(f))
    assert code == 4 and "无权" in err
    code, out, _ = cli(capsys, "--db", hall.url, "--user", "chief_scj", "catalog", "update", "--json", str(f))
    assert code == 0 and json.loads(out)["version"] == doc["version"] + 1
    code, out, _ = cli(capsys, "--db", hall.url, "catalog", "show", "SCJ003")
    assert json.loads(out)["fee"] == "不收费（CLI 修改）"


def test_users_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                       as_admin: None) -> None:
    code, out, _ = cli(capsys, "--db", hall.url, "--user", "admin", "user", "list", "--json")
    users = json.loads(out)
    assert code == 0 and {"username": "clerk1", "role": "clerk", "dept": None, "counter": 1} in users
    assert {"username": "chief_scj", "role": "chief_rep", "dept": "SCJ", "counter": None} in users
    monkeypatch.setenv("HALLDESK_NEW_PASSWORD", "Counter3pass")
    code, out, _ = cli(capsys, "--db", hall.url, "--user", "admin", "user", "add", "clerk7", "--name", "综合窗口三",
                       "--role", "clerk", "--counter", "3", "--json")
    assert code == 0 and json.loads(out)["counter"] == 3
    monkeypatch.setenv("HALLDESK_PASSWORD", "Counter3pass")
    code, _, err = cli(capsys, "--db", hall.url, "--user", "clerk7", "user", "list")
    assert code == 4 and "无权" in err
    monkeypatch.setenv("HALLDESK_PASSWORD", "wrong")
    code, _, err = cli(capsys, "--db", hall.url, "--user", "admin", "user", "list")
    assert code == 3 and "用户名或密码错误" in err


def test_workdays_and_holidays_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], as_admin: None) -> None:
    code, out, _ = cli(capsys, "--db", hall.url, "workdays", "add", "2026-09-30", "1")
    assert (code, out.strip()) == (0, "2026-10-08")
    code, out, _ = cli(capsys, "--db", hall.url, "workdays", "add", "2026-12-30", "3", "--json")
    assert json.loads(out) == {"start": "2026-12-30", "workdays": 3, "date": "2027-01-05", "provisional": True}
    assert cli(capsys, "--db", hall.url, "--user", "admin", "holiday", "set", "2027-01-04", "--off")[0] == 0
    assert cli(capsys, "--db", hall.url, "--user", "admin", "holiday", "confirm", "2027")[0] == 0
    code, out, _ = cli(capsys, "--db", hall.url, "workdays", "add", "2026-12-30", "3", "--json")
    assert json.loads(out)["date"] == "2027-01-06" and json.loads(out)["provisional"] is False
    code, out, _ = cli(capsys, "--db", hall.url, "holiday", "list", "--json")
    assert json.loads(out) == [{"date": "2027-01-04", "workday": False, "note": ""}]


def test_audit_verify_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--db", hall.url, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    with hall.uow() as uow:
        row = uow.session.execute(select(AuditEvent).where(AuditEvent.seq == 1)).scalar_one()
        row.actor = "mallory"
        uow.commit()
    code, _, err = cli(capsys, "--db", hall.url, "audit", "verify")
    assert code != 0 and "第 1 条" in err and str(row.id) in err


def test_counters_and_hall_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], as_admin: None) -> None:
    code, out, _ = cli(capsys, "--db", hall.url, "--user", "admin", "counter", "set", "1",
                       "--printer", "tcp://127.0.0.1:9100", "--json")
    assert code == 0 and json.loads(out)["printer_uri"] == "tcp://127.0.0.1:9100"
    code, _, err = cli(capsys, "--db", hall.url, "--user", "admin", "hall", "set", "--area-code", "12")
    assert code == 2 and "6位数字" in err
    code, out, _ = cli(capsys, "--db", hall.url, "hall", "show", "--json")
    assert json.loads(out)["area_code"] == "360112"


def test_validators_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "check", "uscc", "91350100M000100Y43")[0] == 0
    code, _, err = cli(capsys, "check", "uscc", "91350100M000100Y44")
    assert code == 2 and "校验码" in err
    code, out, _ = cli(capsys, "check", "id", "11010519491231002x")
    assert code == 0 and out.strip() == "11010519491231002X"
    code, _, err = cli(capsys, "check", "phone", "12345")
    assert code == 2 and "位" in err


def _subprocess(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("HALLDESK_PASSWORD", "HALLDESK_DB")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)


def test_missing_password_fails_at_once_without_a_terminal(hall: HallDesk) -> None:
    proc = _subprocess("--db", hall.url, "--user", "admin", "user", "list")
    assert proc.returncode == 3
    assert "HALLDESK_PASSWORD" in proc.stderr


def test_unreachable_database_is_a_clear_error() -> None:
    proc = _subprocess("--db", "postgresql://postgres@127.0.0.1:1/none", "catalog", "list")
    assert proc.returncode == 7 and "无法连接数据库" in proc.stderr
    proc = _subprocess("--db", "oracle://x@y/z", "catalog", "list")
    assert proc.returncode == 7 and "不支持的数据库类型" in proc.stderr


def test_database_comes_from_env(hall: HallDesk) -> None:
    proc = _subprocess("catalog", "list", "--json", env={"HALLDESK_DB": hall.url})
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) >= 60
