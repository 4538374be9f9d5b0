"""电子件 limits as hall settings from the CLI: ``hall files-set`` (admin only, checked, audited) and ``hall show``."""

from __future__ import annotations

import json

import pytest

from app import files
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from tests.test_cli import cli


def test_files_set_and_show(hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    code, out, _ = cli(capsys, "--db", hall.url, "--user", "admin", "hall", "files-set", "--max-file-mb", "30",
                       "--store-budget-mb", "4096", "--json")
    assert code == 0 and json.loads(out) == {"max_file_mb": 30, "max_case_mb": 200, "store_budget_mb": 4096}
    assert files.get_limits(hall.uow()) == files.FileLimits(30, 200, 4096)
    code, out, _ = cli(capsys, "--db", hall.url, "hall", "show", "--json")
    assert code == 0 and json.loads(out)["files"]["max_file_mb"] == 30
    code, out, _ = cli(capsys, "--db", hall.url, "hall", "show")
    assert "files.max_case_mb\t200" in out.splitlines()
    # Bad input: a clear Chinese message, nothing changed; and only an admin may.
    code, _, err = cli(capsys, "--db", hall.url, "--user", "admin", "hall", "files-set", "--max-case-mb", "10")
    assert code == 2 and "每件上限不能小于每个文件上限" in err
    code, _, err = cli(capsys, "--db", hall.url, "--user", "supervisor", "hall", "files-set", "--max-file-mb", "5")
    assert code == 4 and files.get_limits(hall.uow()).max_file_mb == 30
