"""The back office's remaining CLI: renew, opinion, reassign and the department settings (as the GUI has them)."""

from __future__ import annotations

import json

import pytest

from app import backoffice, cases
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from cli.main import run
from tests.test_backoffice import _accept_cases


def _cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(["--db", hall.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_renew_opinion_reassign_and_settings_via_cli(
    hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    [a] = _accept_cases(hall, 1)
    assert _cli(hall, capsys, "--user", "rev_scj", "case", "claim", a)[0] == 0
    code, out, _ = _cli(hall, capsys, "--user", "rev_scj", "case", "renew", a, "--json")
    assert code == 0 and json.loads(out)["case_no"] == a
    code, _, err = _cli(hall, capsys, "--user", "rev_scj", "case", "opinion", a, "--text", "材料齐全，符合条件")
    assert code == 0
    assert any(e.note == "材料齐全，符合条件" for e in cases.read_case(hall.uow(), a).history)
    code, _, err = _cli(hall, capsys, "--user", "rev_scj", "case", "opinion", a, "--text", " ")
    assert code == 2 and "审查意见不能为空" in err
    code, _, err = _cli(hall, capsys, "--user", "rev_scj", "case", "reassign", a, "--to", "chief_scj")
    assert code == 4  # only the chief representative reassigns
    code, out, _ = _cli(hall, capsys, "--user", "chief_scj", "case", "reassign", a, "--to", "chief_scj", "--json")
    assert code == 0 and json.loads(out)["holder"] == "chief_scj"
    # The old holder's late opinion is refused.
    code, _, err = _cli(hall, capsys, "--user", "rev_scj", "case", "opinion", a, "--text", "迟到的意见")
    assert code != 0

    code, out, _ = _cli(hall, capsys, "--user", "chief_scj", "dept", "settings", "--dept", "SCJ")
    # The test template switches the 审批专用章 rule off (tests/conftest.py); everything else is the default.
    assert code == 0 and json.loads(out) == backoffice.DeptSettings(licence_seal=False).as_json()
    code, out, _ = _cli(hall, capsys, "--user", "chief_scj", "dept", "settings", "--dept", "SCJ", "--review-days", "5",
                        "--paused", "rev_scj", "--issue-before-supplement", "yes")
    assert code == 0 and json.loads(out) == {"review_days": 5, "lease_minutes": 30, "paused": ["rev_scj"],
                                             "issue_before_supplement": True, "doc_prefix": "",
                                             "licence_seal": False}
    assert backoffice.get_dept_settings(hall.uow(), "SCJ").issue_before_supplement
    code, _, err = _cli(hall, capsys, "--user", "chief_scj", "dept", "settings", "--dept", "SCJ", "--paused", "rev_zjj")
    assert code == 2 and "不是本部门人员" in err
    code, _, err = _cli(hall, capsys, "--user", "chief_zjj", "dept", "settings", "--dept", "SCJ", "--review-days", "9")
    assert code == 4
    assert backoffice.get_dept_settings(hall.uow(), "SCJ").review_days == 5
