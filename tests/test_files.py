"""电子件 (issue 16): scanned materials stored with their case, by content, in chunks; opened only by those who
need them, every opening and export audited.  Real generated PDFs and images, on every engine."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import catalog, files, intake
from app.auth import Actor
from app.context import HallDesk
from app.errors import PermissionDenied, ValidationError
from app.intake import MaterialInput
from db.models import AuditEvent, CaseFile, CaseMaterial, StoredFile, StoredFileChunk
from tests.conftest import DEMO_PASSWORD, log_in, servers_only
from tests.intake_support import all_received, request, row_counts
from tests.support import scanned


def _item(hall: HallDesk) -> catalog.Item:
    """An item with at least two materials the counter receives (not covered by a 区域评估)."""
    return next(i for i in catalog.list_items(hall.uow()) if not i.immediate
                and sum(1 for m in i.materials if not m.covered_by) >= 2)


def _counts(hall: HallDesk) -> tuple[int, int, int]:
    with hall.uow() as uow:
        s = uow.session
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (StoredFile, StoredFileChunk, CaseFile))


def _take(hall: HallDesk, item: catalog.Item, inputs: list[files.FileInput], clerk: Actor | None = None,
          **changes: object) -> intake.CaseView:
    clerk = clerk or log_in(hall, "clerk1")
    return intake.take_application(hall.uow(), clerk, replace(request(item, **changes), files=tuple(inputs)))


def _audits(hall: HallDesk, action: str) -> list[dict[str, object]]:
    with hall.uow() as uow:
        return [json.loads(p) for p in uow.session.execute(
            select(AuditEvent.payload).where(AuditEvent.action == action).order_by(AuditEvent.at)).scalars()]


def test_files_are_stored_with_the_case_once_by_content_in_chunks_and_read_back_exactly(hall: HallDesk) -> None:
    item = _item(hall)
    first, second = [m.code for m in item.materials if not m.covered_by][:2]
    big = scanned.pdf(3, scan_px=1000)  # ≈ 5 MB of noise: six 1 MiB chunks
    scan = scanned.text_scan()
    inputs = [files.prepare(first, "营业执照.pdf", big), files.prepare(first, "第二页.png", scan),
              files.prepare(second, "C:\\扫描\\身份证.pdf", scanned.pdf(1))]
    view = _take(hall, item, inputs)
    assert {m.code: m.electronic for m in view.materials}[first] is True
    stored, chunk_rows, attached = _counts(hall)
    assert (stored, attached) == (3, 3)
    assert chunk_rows == -(-len(big) // files.CHUNK_BYTES) + 2
    # The same scan for another case takes no more space.
    again = _take(hall, item, [files.prepare(first, "营业执照副本.pdf", big)])
    assert _counts(hall) == (3, chunk_rows, 4)

    reviewer = log_in(hall, f"rev_{item.dept.lower()}")
    listed = files.list_files(hall.uow(), reviewer, view.case_no)
    assert listed.allowed and [(f.material_code, f.position, f.kind, f.pages) for f in listed.files] == [
        (first, 0, "pdf", 3), (first, 1, "png", 1), (second, 0, "pdf", 1)]
    assert listed.files[2].name == "身份证.pdf"  # the folder on the clerk's PC is not kept
    opened = files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[0].id))
    assert opened.data == big and hashlib.sha256(opened.data).hexdigest() == listed.files[0].sha256
    assert files.open_file(hall.uow(), reviewer, again.case_no,
                           str(files.list_files(hall.uow(), reviewer, again.case_no).files[0].id)).data == big
    seen = _audits(hall, "case.file.open")
    assert [a["case_no"] for a in seen] == [view.case_no, again.case_no]
    create = next(a for a in _audits(hall, "case.create") if a["case_no"] == view.case_no)
    assert [f["pages"] for f in create["files"]] == [3, 1, 1]  # type: ignore[index]


def test_a_failed_intake_leaves_no_case_and_no_file(hall: HallDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    inputs = [files.prepare(code, "a.pdf", scanned.pdf(2, scan_px=800))]
    clerk = log_in(hall, "clerk1")
    before = row_counts(hall), _counts(hall)
    # Fails after the files were written, at the audit row: the whole unit rolls back.
    from app.uow import UnitOfWork

    def broken_audit(self: UnitOfWork, *args: object, **kwargs: object) -> None:
        raise RuntimeError("磁盘已满（测试）")

    with monkeypatch.context() as m:
        m.setattr(UnitOfWork, "audit", broken_audit)
        with pytest.raises(RuntimeError):
            _take(hall, item, inputs, clerk)
    assert (row_counts(hall), _counts(hall)) == before
    # A material marked missing cannot carry a file: refused before anything is written.
    missing = {**all_received(item), code: MaterialInput("defective", note="复印不清")}
    other = next(m.code for m in item.materials if not m.covered_by and m.code != code)
    missing[other] = MaterialInput("missing" if next(m for m in item.materials if m.code == other).required
                                   else "not_submitted")
    with pytest.raises(ValidationError, match="没有标为已收或有误"):
        _take(hall, item, [files.prepare(other, "b.png", scanned.text_scan())], clerk, materials=missing,
              outcome="correction", reason="材料不全")
    assert (row_counts(hall), _counts(hall)) == before


def test_bad_files_are_refused_with_a_chinese_message_and_nothing_is_stored(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    with pytest.raises(ValidationError, match="不是 PDF、JPEG、PNG 或 TIFF"):
        files.prepare("M01", "营业执照.pdf", scanned.RENAMED_EXE)
    files.save_limits(hall.uow(), admin, files.FileLimits(max_file_mb=1, max_case_mb=2))
    lim = files.get_limits(hall.uow())
    with pytest.raises(ValidationError, match=r"超过每个文件1\.0 MB的上限"):
        files.prepare("M01", "大.pdf", scanned.pdf(1, scan_px=1200), lim)
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    near = [files.prepare(code, f"{n}.pdf", scanned.pdf(1, scan_px=700, seed=n), lim) for n in range(4)]
    before = _counts(hall)
    with pytest.raises(ValidationError, match="超过每件 2 MB 的上限"):
        _take(hall, item, near)
    assert _counts(hall) == before
    with pytest.raises(ValidationError, match="每件上限不能小于每个文件上限"):
        files.save_limits(hall.uow(), admin, files.FileLimits(max_file_mb=50, max_case_mb=10))
    with pytest.raises(PermissionDenied):
        files.save_limits(hall.uow(), log_in(hall, "clerk1"), files.FileLimits())


def test_only_those_who_need_the_files_may_open_them(hall: HallDesk) -> None:
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    view = _take(hall, item, [files.prepare(code, "身份证.png", scanned.text_scan())])
    file_id = str(files.list_files(hall.uow(), log_in(hall, "admin"), view.case_no).files[0].id)
    other_dept = next(i.dept for i in catalog.list_items(hall.uow()) if i.dept != item.dept)
    may = {"clerk1": True, "clerk3": True, f"rev_{item.dept.lower()}": True, f"chief_{item.dept.lower()}": True,
           "clerk2": False, f"rev_{other_dept.lower()}": False, "supervisor": False, "admin": False}
    for username, allowed in may.items():
        actor = log_in(hall, username)
        listed = files.list_files(hall.uow(), actor, view.case_no)
        assert listed.allowed is (allowed and actor.role != "supervisor"), username
        if allowed:
            assert files.open_file(hall.uow(), actor, view.case_no, file_id).file.name == "身份证.png"
        else:
            with pytest.raises(PermissionDenied):
                files.open_file(hall.uow(), actor, view.case_no, file_id)
    assert sorted(a["file"] for a in _audits(hall, "case.file.open")) == [file_id] * 4  # type: ignore[type-var]


def test_the_cli_attaches_lists_and_exports_with_a_reason(hall: HallDesk, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import run

    def cli(*argv: str) -> tuple[int, str, str]:
        code = run(["--db", hall.url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    view = _take(hall, item, [])
    pdf_path, exe_path = tmp_path / "申请表.pdf", tmp_path / "扫描件.pdf"
    pdf_bytes = scanned.pdf(2, scan_px=600)
    pdf_path.write_bytes(pdf_bytes)
    exe_path.write_bytes(scanned.RENAMED_EXE)
    rc, _, err = cli("--user", "clerk1", "case", "attach", view.case_no, "--material", code, str(pdf_path),
                     str(exe_path))
    assert rc != 0 and "不是 PDF" in err and _counts(hall)[0] == 0
    rc, _, err = cli("--user", "clerk2", "case", "attach", view.case_no, "--material", code, str(pdf_path))
    assert rc != 0 and "本人受理的办件" in err
    rc, out, _ = cli("--user", "clerk1", "case", "attach", view.case_no, "--material", code, str(pdf_path), "--json")
    assert rc == 0 and json.loads(out)["files"][0]["pages"] == 2
    with hall.uow() as uow:
        assert uow.session.execute(select(CaseMaterial.electronic).where(CaseMaterial.code == code)).scalar_one()
    rc, out, _ = cli("--user", "supervisor", "case", "files", view.case_no, "--json")
    listed = json.loads(out)["files"]
    assert rc == 0 and [(f["material"], f["pages"], f["bytes"], f["type"]) for f in listed] == [
        (code, 2, len(pdf_bytes), "pdf")]
    assert listed[0]["sha256"] == hashlib.sha256(pdf_bytes).hexdigest()
    out_path = tmp_path / "导出.pdf"
    reviewer = f"rev_{item.dept.lower()}"
    rc, _, err = cli("--user", reviewer, "case", "file-get", view.case_no, listed[0]["id"], "--out", str(out_path))
    assert rc != 0 and "导出原因" in err and not out_path.exists()
    rc, _, err = cli("--user", "supervisor", "case", "file-get", view.case_no, listed[0]["id"], "--out",
                     str(out_path), "--reason", "复核")
    assert rc != 0 and not out_path.exists()
    rc, out, _ = cli("--user", reviewer, "case", "file-get", view.case_no, listed[0]["id"], "--out", str(out_path),
                     "--reason", "提交专家评审", "--json")
    assert rc == 0 and out_path.read_bytes() == pdf_bytes
    assert [a["reason"] for a in _audits(hall, "case.file.export")] == ["提交专家评审"]


@servers_only
def test_two_counters_storing_the_same_scan_at_once_both_succeed(hall: HallDesk) -> None:
    """The second writer waits on the first's uncommitted rows, then finds them there: no duplicate-key error."""
    import threading

    scan = scanned.pdf(2, scan_px=900)
    item = files.prepare("M01", "营业执照.pdf", scan).file
    first_stored, first_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with hall.uow() as uow:
                files.store(uow.session, item)
                first_stored.set()
                first_may_commit.wait(30)
                uow.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            first_stored.set()

    def second() -> None:
        try:
            with hall.uow() as uow:
                files.store(uow.session, item)
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    a = threading.Thread(target=first)
    a.start()
    assert first_stored.wait(30)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.5)  # the second is now waiting on the first's locks (or done, if the engine did not make it wait)
    first_may_commit.set()
    a.join(60)
    b.join(60)
    assert not errors, errors
    stored, chunk_rows, _ = _counts(hall)
    assert stored == 1 and chunk_rows == -(-len(scan) // files.CHUNK_BYTES)


def test_an_upload_cut_off_midway_is_replaced_not_trusted_and_a_failed_export_leaves_nothing(
        hall: HallDesk, tmp_path: Path) -> None:
    """Chunks an offline counter's upload left (here garbled) give way to the intake's whole copy; an export
    that cannot be written leaves no ``.part`` file and no audit row."""
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    data = scanned.pdf(2, scan_px=900)
    digest = hashlib.sha256(data).hexdigest()
    with hall.uow() as uow:
        uow.session.add_all([StoredFileChunk(sha256=digest, seq=0, data=b"garbled" * 100),
                             StoredFileChunk(sha256=digest, seq=1, data=b"cut")])
        uow.commit()
    view = _take(hall, item, [files.prepare(code, "营业执照.pdf", data)])
    reviewer = log_in(hall, f"rev_{item.dept.lower()}")
    file_id = str(files.list_files(hall.uow(), reviewer, view.case_no).files[0].id)
    assert files.open_file(hall.uow(), reviewer, view.case_no, file_id).data == data
    assert _counts(hall)[1] == -(-len(data) // files.CHUNK_BYTES)
    not_a_folder = tmp_path / "文件"
    not_a_folder.write_text("x")
    with pytest.raises(ValidationError, match="无法写入"):
        files.export_file(hall.uow(), reviewer, view.case_no, file_id, not_a_folder / "导出.pdf", "复核")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["文件"] and _audits(hall, "case.file.export") == []
