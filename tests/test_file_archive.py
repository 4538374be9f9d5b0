"""Old 电子件 moved to the hall's file share (``files archive``): only files whose every case is finished, each
checked against its SHA-256, still opened and exported with the same rule and audit — on every engine."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import catalog, file_archive, files, intake
from app.context import HallDesk
from app.errors import NotFound, PermissionDenied, ValidationError
from app.hall_settings import today
from app.intake import MaterialInput
from cli.main import run
from db.models import AuditEvent, Case, StoredFile, StoredFileChunk
from tests.conftest import DEMO_PASSWORD, log_in
from tests.intake_support import all_received, request
from tests.support import scanned


def _item(hall: HallDesk) -> catalog.Item:
    return next(i for i in catalog.list_items(hall.uow()) if not i.immediate
                and any(not m.covered_by for m in i.materials))


def _chunks_of(hall: HallDesk, sha: str) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(StoredFileChunk)
                                       .where(StoredFileChunk.sha256 == sha)).scalar_one())


def test_finished_cases_files_move_to_the_share_and_still_open(hall: HallDesk, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    clerk = log_in(hall, "clerk1")
    old_scan, shared_scan, open_scan = scanned.pdf(2, scan_px=700, seed=31), scanned.pdf(1, seed=32), scanned.pdf(1, seed=33)
    # A refused case is finished at once; its scan is archived.  The same content also in an open case stays.
    refused = intake.take_application(hall.uow(), clerk, replace(
        request(item, "refuse", reason="不属于本机关职权范围", materials={**all_received(item), code: MaterialInput("received")}),
        files=(files.prepare(code, "旧营业执照.pdf", old_scan), files.prepare(code, "共用.pdf", shared_scan))))
    pending = intake.take_application(hall.uow(), clerk, replace(
        request(item), files=(files.prepare(code, "共用.pdf", shared_scan), files.prepare(code, "新.pdf", open_scan))))
    admin = log_in(hall, "admin")
    share = tmp_path / "share"
    share.mkdir()
    tomorrow = today() + timedelta(days=1)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        file_archive.archive(hall.uow, admin, tomorrow, share)
    with pytest.raises(ValidationError, match="找不到文件夹"):
        file_archive.archive(hall.uow, admin, today(), tmp_path / "未连接")
    with pytest.raises(PermissionDenied):
        file_archive.archive(hall.uow, log_in(hall, "supervisor"), today(), share)
    # Finished before today: nothing yet (the refusal was today).
    assert file_archive.archive(hall.uow, admin, today() - timedelta(days=1), share).files == 0
    # The refusal was yesterday, then (its finish moved back a day): now it goes, by the CLI.
    with hall.uow() as uow:
        row = uow.session.execute(select(Case).where(Case.case_no == refused.case_no)).scalar_one()
        assert row.finished_at is not None
        row.finished_at = row.finished_at - timedelta(days=1)
        uow.commit()
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    assert run(["--db", hall.url, "--user", "admin", "files", "archive", "--finished-before", today().isoformat(),
                "--to", str(share), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 1 and report["bytes"] == len(old_scan)
    old_sha = hashlib.sha256(old_scan).hexdigest()
    placed = share / old_sha[:2] / old_sha[2:4] / f"{old_sha}.pdf"
    assert placed.read_bytes() == old_scan and _chunks_of(hall, old_sha) == 0
    assert _chunks_of(hall, hashlib.sha256(shared_scan).hexdigest()) > 0  # an open case still carries it
    with hall.uow() as uow:
        assert uow.session.execute(select(StoredFile.archive_path).where(StoredFile.sha256 == old_sha)
                                   ).scalar_one() == str(placed)
        assert uow.session.execute(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "file.archive")).scalar_one() == 1
    # Still opened and exported with the same rule and audit, now from the share.
    reviewer = log_in(hall, f"rev_{item.dept.lower()}")
    listed = files.list_files(hall.uow(), reviewer, refused.case_no).files
    archived = next(f for f in listed if f.sha256 == old_sha)
    assert files.open_file(hall.uow(), reviewer, refused.case_no, str(archived.id)).data == old_scan
    out = tmp_path / "导出.pdf"
    files.export_file(hall.uow(), reviewer, refused.case_no, str(archived.id), out, "复议答复")
    assert out.read_bytes() == old_scan
    # A second run moves nothing more; a share that is gone is said plainly.
    assert file_archive.archive(hall.uow, admin, today(), share).files == 0
    placed.rename(placed.with_suffix(".moved"))
    with pytest.raises(NotFound, match="已归档到文件共享"):
        files.open_file(hall.uow(), reviewer, refused.case_no, str(archived.id))
    # The open case's files are all still in the database.
    assert all(_chunks_of(hall, f.sha256) > 0 for f in files.list_files(hall.uow(), reviewer, pending.case_no).files)
