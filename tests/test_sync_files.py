"""电子件 at an offline counter (issue 16 part 4): cases first, files after, chunk by chunk, resumable.

The shared database is the ``hall`` fixture (SQLite, PostgreSQL, MariaDB); the counter's store is a SQLite file.
"Offline" is a URL to a closed port; the cut connection is placed by event — right after the shared commit of
the n-th chunk, before the store marks it — never by time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app import catalog, claims, decisions, files, intake
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import NotFound
from app.hall_settings import local_date, write_setting
from app.infra import file_upload, sync
from app.infra.counter_store import CounterStore
from cli.main import run
from db.models import Case, CaseFile, CaseMaterial, FileOutbox, StoredFile, StoredFileChunk
from tests.conftest import log_in
from tests.intake_support import all_received, request
from tests.support import scanned
from tests.test_offline_faults import Zygote
from tests.test_sync import closed_port_url


def _item(hall: HallDesk) -> catalog.Item:
    return next(i for i in catalog.list_items(hall.uow()) if not i.immediate
                and any(not m.covered_by for m in i.materials))


def _with_scan(item: catalog.Item, data: bytes) -> Any:
    code = next(m.code for m in item.materials if not m.covered_by)
    return replace(request(item, materials=all_received(item)), files=(files.prepare(code, "营业执照.pdf", data),))


def _shared(hall: HallDesk, model: Any, *where: Any) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _sent_chunks(store: CounterStore) -> int:
    with store.local.uow() as uow:
        return int(uow.session.execute(select(FileOutbox.sent_chunks)).scalar_one())


def _local_chunks(store: CounterStore) -> int:
    with store.local.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(StoredFileChunk)).scalar_one())


def test_an_offline_scan_follows_its_case_resumes_after_a_cut_and_is_uploaded_once(
    hall: HallDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with hall.uow() as uow:  # a tiny budget (the service allows ≥ 100 MB): the 3.5 MB scan goes past it
        write_setting(uow.session, files.FILE_LIMITS_KEY, {"max_file_mb": 50, "max_case_mb": 200, "store_budget_mb": 1})
        uow.commit()
    item = _item(hall)
    scan = scanned.pdf(2, scan_px=1000)  # ≈ 3.5 MB: four 1 MiB chunks
    digest = hashlib.sha256(scan).hexdigest()
    n_chunks = -(-len(scan) // files.CHUNK_BYTES)
    assert n_chunks == 4
    path = tmp_path / "counter1.sqlite3"
    CounterStore.open(hall.url, path).close()  # catalog, accounts and settings (with `files`) come along
    store = CounterStore.open(closed_port_url(), path)
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        view, synced = store.take_application(clerk, _with_scan(item, scan))
        assert not synced
        status = store.status()
        assert (status.pending, status.files_pending, status.files_pending_bytes) == (1, 1, len(scan))
        assert status.store_budget_mb == 1 and "超过预算 1 MB" in status.budget_warning
        assert run(["--db", closed_port_url(), "--local", str(path), "sync", "status", "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["files_pending"] == 1 and shown["store_budget_mb"] == 1 and "受理照常进行" in shown["warning"]

        # The network returns.  While the first chunk goes up the clerk takes another case: the upload stops
        # before its next chunk, the case goes first.  The connection is cut right after the 2nd chunk's
        # shared commit, before the store marks it.
        store.reconnect(hall.url)
        events: list[str] = []
        original_send, original_write = file_upload.send_chunk, sync._write_shared

        def send(shared: Any, row: dict[str, Any]) -> None:
            original_send(shared, row)
            events.append(f"chunk {row['seq']}")
            if row["seq"] == 0:
                store.take_application(clerk, request(item), push=False)
            elif row["seq"] == 1:
                raise OperationalError("INSERT", {}, ConnectionResetError("connection cut"))

        def write(*args: Any) -> Any:
            events.append("cases")
            return original_write(*args)

        monkeypatch.setattr(file_upload, "send_chunk", send)
        monkeypatch.setattr(sync, "_write_shared", write)
        assert store.push_now() is None and store.online is False
        assert events == ["cases", "chunk 0", "cases", "chunk 1"]
        assert store.status().pending == 0 and _shared(hall, Case) == 2
        # The case is there with its file's row, the content not yet: the viewer says so.
        assert _shared(hall, CaseFile, CaseFile.case_id == view.id) == 1
        assert _shared(hall, StoredFile) == 0 and _shared(hall, StoredFileChunk) == 2 and _sent_chunks(store) == 1
        reviewer = log_in(hall, f"rev_{item.dept.lower()}")
        listed = files.list_files(hall.uow(), reviewer, view.case_no)
        assert [f.available for f in listed.files] == [False]
        with pytest.raises(NotFound, match="尚未上传"):
            files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[0].id))
        # Over budget, yet a file not uploaded whole is never dropped from the store.
        assert file_upload.prune(store.local.engine) == 0 and _local_chunks(store) == n_chunks
        report = store.reconcile(local_date(view.received_at))
        assert not report.ok and [(f.case_no, f.what) for f in report.files_missing] == [(view.case_no, "content")]

        monkeypatch.setattr(file_upload, "send_chunk", original_send)
        monkeypatch.setattr(sync, "_write_shared", original_write)
        result = store.push_now()
        assert result is not None and (result.files, result.file_chunks, result.files_pending) == (1, 3, 0)
        assert _shared(hall, StoredFileChunk) == n_chunks and _shared(hall, StoredFile) == 1
        opened = files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[0].id))
        assert opened.data == scan and hashlib.sha256(opened.data).hexdigest() == digest
        assert store.reconcile(local_date(view.received_at)).ok
        assert store.status().files_pending == 0
        # Past its (tiny) budget the store dropped the uploaded bytes; the clerk is told where they are.
        assert _local_chunks(store) == 0
        with store.local.uow() as uow:
            assert uow.session.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 1
        with pytest.raises(NotFound, match="本机窗口库不再保存"):
            files.open_file(store.local.uow(), clerk, view.case_no, str(listed.files[0].id))
    finally:
        store.close()

    # Counter 2 takes the same document offline: the shared database has it, so nothing is sent again.
    other = CounterStore.open(hall.url, tmp_path / "counter2.sqlite3")
    try:
        clerk2 = other.login("clerk2", DEMO_PASSWORD)
        view2, _ = other.take_application(clerk2, _with_scan(item, scan), push=False)
        sent: list[int] = []
        monkeypatch.setattr(file_upload, "send_chunk", _counting(sent, file_upload.send_chunk))
        result = other.push_now()
        assert result is not None and (result.files, result.file_chunks, result.files_pending) == (1, 0, 0)
        assert sent == [] and _shared(hall, StoredFileChunk) == n_chunks
        assert _shared(hall, CaseFile, CaseFile.case_id == view2.id, CaseFile.sha256 == digest) == 1
        # A re-push changes nothing: the case's file row is there once.
        other.resend_all()
        assert other.push_now() is not None
        assert _shared(hall, CaseFile, CaseFile.case_id == view2.id) == 1
    finally:
        other.close()


def _counting(calls: list[int], fn: Callable[..., None]) -> Callable[..., None]:
    def wrapped(shared: Any, row: dict[str, Any]) -> None:
        calls.append(row["seq"])
        fn(shared, row)
    return wrapped


def test_chunks_that_do_not_hash_right_are_sent_again(hall: HallDesk, tmp_path: Path) -> None:
    """A chunk garbled on the shared side (never a stored_file row for it): dropped, and the file sent again."""
    item = _item(hall)
    scan = scanned.pdf(2, scan_px=800, seed=7)  # ≈ 2.2 MB: three chunks
    store = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        view, _ = store.take_application(clerk, _with_scan(item, scan), push=False)
        digest = hashlib.sha256(scan).hexdigest()
        assert hall.engine is not None
        file_upload.send_chunk(hall.engine, {"sha256": digest, "seq": 0, "data": b"not the scan"})
        result = store.push_now()
        assert result is not None and result.files == 0 and result.files_pending == 1
        assert any("校验值不符" in p for p in result.conflicts)
        assert _shared(hall, StoredFile) == 0 and _shared(hall, StoredFileChunk) == 0 and _sent_chunks(store) == 0
        result = store.push_now()
        assert result is not None and (result.files, result.file_chunks, result.files_pending) == (1, 3, 0)
        reviewer = log_in(hall, f"rev_{item.dept.lower()}")
        listed = files.list_files(hall.uow(), reviewer, view.case_no)
        assert files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[0].id)).data == scan
        assert _local_chunks(store) == 3  # under its budget the store keeps the uploaded copy
    finally:
        store.close()


def test_a_sync_killed_after_the_second_chunk_resumes_at_the_next(
    hall: HallDesk, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """kill -9 of a sync process (forked by tests/support/offline_driver.py) right after the 2nd chunk's shared
    commit: the store still counts one chunk sent; the next push sends the 2nd again, harmlessly, and the rest."""
    item = _item(hall)
    scan = scanned.pdf(2, scan_px=1000, seed=3)  # four chunks
    path = tmp_path / "counter1.sqlite3"
    store = CounterStore.open(hall.url, path)
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        view, _ = store.take_application(clerk, _with_scan(item, scan), push=False)
    finally:
        store.close()
    zygote = Zygote(tmp_path_factory.mktemp("zygote"))
    try:
        lines = zygote.run_until_killed(tmp_path / "sync.log", "chunk_sent", 2, job="sync", shared=hall.url,
                                        local=str(path), batch_size=5)
    finally:
        zygote.close()
    assert lines == ["B 0", "K chunk_sent 2"]
    assert _shared(hall, Case, Case.id == view.id) == 1 and _shared(hall, StoredFileChunk) == 2
    assert _shared(hall, StoredFile) == 0
    store = CounterStore.open(hall.url, path)
    try:
        assert _sent_chunks(store) == 1
        result = store.push_now()
        assert result is not None and (result.files, result.file_chunks, result.files_pending) == (1, 3, 0)
        reviewer = log_in(hall, f"rev_{item.dept.lower()}")
        listed = files.list_files(hall.uow(), reviewer, view.case_no)
        opened = files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[0].id))
        assert hashlib.sha256(opened.data).hexdigest() == hashlib.sha256(scan).hexdigest() == listed.files[0].sha256
    finally:
        store.close()


def test_a_returned_case_comes_back_with_its_file_rows_and_the_resubmission_adds_after_them(
    hall: HallDesk, tmp_path: Path
) -> None:
    item = _item(hall)
    first = scanned.pdf(1, seed=11)
    store = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        view, synced = store.take_application(clerk, _with_scan(item, first))
        assert synced and store.status().files_pending == 0  # online: the case, then its file, in one push
        reviewer = log_in(hall, f"rev_{item.dept.lower()}")
        code = next(m.code for m in item.materials if not m.covered_by)
        # The reviewer adds a page on the shared database (the applicant e-mailed it), then returns the case.
        files.attach(hall.uow(), reviewer, view.case_no, [files.prepare(code, "补充页.png", scanned.text_scan())])
        claim = claims.claim(hall.uow(), reviewer, view.case_no)
        decisions.decide(hall.uow(), reviewer, view.case_no, "return", token=claim.token, reason="营业执照不清晰")
        assert store.pull_now()
        with store.local.uow() as uow:  # the file rows come back with the case, the content stays on the server
            assert uow.session.execute(select(func.count()).select_from(CaseFile)).scalar_one() == 2
        again = scanned.pdf(1, seed=12)
        intake.resubmit(store.local.uow(), clerk, view.case_no, {},
                        scans=[files.prepare(code, "营业执照（重扫）.pdf", again)])
        result = store.push_now()
        assert result is not None and (result.pending, result.files, result.files_pending) == (0, 1, 0)
        listed = files.list_files(hall.uow(), reviewer, view.case_no)
        assert [(f.name, f.position, f.available) for f in listed.files] == [
            ("营业执照.pdf", 0, True), ("补充页.png", 1, True), ("营业执照（重扫）.pdf", 2, True)]
        assert files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[2].id)).data == again
    finally:
        store.close()


def test_a_file_attached_at_the_counter_after_its_case_went_up_marks_the_material_on_the_shared_database(
    hall: HallDesk, tmp_path: Path
) -> None:
    item = _item(hall)
    code = next(m.code for m in item.materials if not m.covered_by)
    store = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        view, synced = store.take_application(clerk, request(item, materials=all_received(item)))
        assert synced
        scan = scanned.pdf(1, seed=21)
        files.attach(store.local.uow(), clerk, view.case_no, [files.prepare(code, "营业执照.pdf", scan)])
        result = store.push_now()
        assert result is not None and result.files_pending == 0
        with hall.uow() as uow:
            assert uow.session.execute(select(CaseMaterial.electronic).join(Case).where(
                Case.case_no == view.case_no, CaseMaterial.code == code)).scalar_one()
        reviewer = log_in(hall, f"rev_{item.dept.lower()}")
        listed = files.list_files(hall.uow(), reviewer, view.case_no)
        assert files.open_file(hall.uow(), reviewer, view.case_no, str(listed.files[0].id)).data == scan
    finally:
        store.close()
