"""Audit anchors: a chain rewritten end to end, cut back or dropped is found against a signed anchor line
kept outside the database, and a changed anchor line is found by its signature."""

from __future__ import annotations

import io
import json
import shutil
import stat
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import delete, select, update

from app import anchor, audit, hall_settings
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.hall_settings import HallSettings
from cli.main import run
from db.engine import make_engine
from db.models import AuditChainHead, AuditEvent
from tests.conftest import log_in
from tests.intake_support import ENTERPRISE, item_with_tolerable, request

CHAIN = audit.writer_chain("admin")


def _write_some(hall: HallDesk, n: int = 3) -> None:
    admin = log_in(hall, "admin")
    for i in range(n):
        hall_settings.save_hall_settings(hall.uow(), admin, HallSettings(phone=f"0791-8370000{i}"))


def _anchor(hall: HallDesk, file: Path, key: Path, user: str = "admin") -> anchor.AnchorWritten:
    return anchor.write_anchor(hall.uow(), log_in(hall, user), file, key_path=key)


def _check(hall: HallDesk, file: Path) -> anchor.AnchorCheck:
    return anchor.check_anchors(hall.uow(), file)


def _plain(hall: HallDesk) -> audit.AuditReport:
    with hall.uow() as uow:
        return audit.verify(uow.session)


def _heads(hall: HallDesk) -> dict[str, tuple[int, str]]:
    with hall.uow() as uow:
        return {h.chain: (h.seq, h.hash) for h in uow.session.execute(select(AuditChainHead)).scalars()}


def _rewrite(hall: HallDesk, chain: str, seq: int, payload: str) -> None:
    """What a forger with write access does: change one row, then recompute every later hash and the head,
    so that the plain chain verification passes."""
    with hall.uow() as uow:
        s = uow.session
        rows = list(s.execute(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq))
                    .scalars())
        prev = audit.GENESIS
        for ev in rows:
            if ev.seq == seq:
                ev.payload = payload
            if ev.seq >= seq:
                ev.prev_hash = prev
                ev.hash = audit.row_hash(id=str(ev.id), chain=ev.chain, seq=ev.seq, at=ev.at, actor=ev.actor,
                                         action=ev.action, entity=ev.entity, entity_id=ev.entity_id,
                                         payload=ev.payload, prev_hash=prev)
            prev = ev.hash
        s.execute(update(AuditChainHead).where(AuditChainHead.chain == chain).values(seq=rows[-1].seq, hash=prev))
        uow.commit()


def _truncate(url: str, chain: str, keep: int) -> None:
    """Cut a chain back to its first ``keep`` rows and move the head there (plain verification passes)."""
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(delete(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq > keep))
            last = audit.GENESIS if keep == 0 else c.execute(
                select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == keep)).scalar_one()
            c.execute(update(AuditChainHead).where(AuditChainHead.chain == chain).values(seq=keep, hash=last))
    finally:
        engine.dispose()


def test_anchor_then_verify(hall: HallDesk, tmp_path: Path) -> None:
    _write_some(hall)
    file, key = tmp_path / "anchors.jsonl", tmp_path / "keys" / "audit-anchor.key"
    admin = log_in(hall, "admin")
    before = _heads(hall)
    first = anchor.write_anchor(hall.uow(), admin, file, key_path=key)
    assert first.line_no == 1 and first.new_key and stat.S_IMODE(key.stat().st_mode) == 0o600
    # The snapshot is every chain head as it was; the anchoring's own audit row comes after it.
    assert {m.chain: (m.seq, m.hash) for m in first.anchor.marks} == {c: v for c, v in before.items() if v[0] > 0}
    assert first.anchor.hall_code == "XJ" and len(first.anchor.fingerprint) == 32
    with hall.uow() as uow:
        row = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.anchor")).scalar_one()
    assert (row.chain, row.seq) == (CHAIN, before[CHAIN][0] + 1)
    assert json.loads(row.payload)["digest"] == first.anchor.digest
    text = file.read_bytes()
    assert text == first.anchor.line.encode("utf-8") + b"\n"

    second = _anchor(hall, file, key, user="supervisor")
    assert second.line_no == 2 and not second.new_key and second.anchor.fingerprint == first.anchor.fingerprint
    assert file.read_bytes().startswith(text)  # earlier lines are never rewritten
    check = _check(hall, file)
    assert check.ok and check.problems == () and check.lines == 2 and check.skipped == 0
    assert check.checked == len(first.anchor.marks) + len(second.anchor.marks)
    assert [(k.fingerprint, k.lines) for k in check.keys] == [(first.anchor.fingerprint, 2)]


def test_a_chain_rewritten_end_to_end_is_found(hall: HallDesk, tmp_path: Path) -> None:
    _write_some(hall)
    file, key = tmp_path / "anchors.jsonl", tmp_path / "audit-anchor.key"
    first = _anchor(hall, file, key)
    _write_some(hall)
    second = _anchor(hall, file, key)
    anchored = {m.chain: m.seq for m in first.anchor.marks}[CHAIN]
    # A row after the first anchor but before the second: only the second line proves it.
    _rewrite(hall, CHAIN, anchored + 2, '{"after":{"phone":"0791-80000000"}}')
    assert _plain(hall).ok  # the hashes are all recomputed: the chain alone cannot tell
    check = _check(hall, file)
    assert not check.ok and check.audit.ok
    p = check.problem
    assert p is not None and (p.line_no, p.chain, p.kind) == (2, CHAIN, "rewritten")
    assert p.seq == {m.chain: m.seq for m in second.anchor.marks}[CHAIN]
    assert CHAIN in p.reason and "第 2 行" in p.reason and anchor.local_time(second.anchor.at) in p.reason
    assert [q.line_no for q in check.problems] == [2]  # the first line's rows are untouched

    _rewrite(hall, CHAIN, 1, '{"rewritten":true}')  # now from the very first row
    assert _plain(hall).ok
    assert [(q.line_no, q.chain) for q in _check(hall, file).problems] == [(1, CHAIN), (2, CHAIN)]


def test_a_truncated_chain_is_found(hall: HallDesk, tmp_path: Path) -> None:
    _write_some(hall)
    file = tmp_path / "anchors.jsonl"
    written = _anchor(hall, file, tmp_path / "audit-anchor.key")
    anchored = {m.chain: m.seq for m in written.anchor.marks}[CHAIN]
    _truncate(hall.url, CHAIN, anchored - 2)
    assert _plain(hall).ok
    p = _check(hall, file).problem
    assert p is not None and (p.line_no, p.chain, p.seq, p.kind) == (1, CHAIN, anchored, "truncated")
    assert "截断" in p.reason and f"现有 {anchored - 2} 条" in p.reason


def test_a_dropped_chain_is_found(hall: HallDesk, tmp_path: Path) -> None:
    log_in(hall, "supervisor")  # the supervisor's chain: one login row
    file = tmp_path / "anchors.jsonl"
    _anchor(hall, file, tmp_path / "audit-anchor.key")
    victim = audit.writer_chain("supervisor")
    with hall.uow() as uow:
        uow.session.execute(delete(AuditEvent).where(AuditEvent.chain == victim))
        uow.session.execute(delete(AuditChainHead).where(AuditChainHead.chain == victim))
        uow.commit()
    assert _plain(hall).ok
    check = _check(hall, file)
    p = check.problem
    assert p is not None and (p.chain, p.seq, p.kind) == (victim, 1, "dropped") and len(check.problems) == 1
    assert "整条不存在" in p.reason and "第 1 行" in p.reason


def test_a_changed_anchor_line_fails_its_signature(hall: HallDesk, tmp_path: Path) -> None:
    file, key = tmp_path / "anchors.jsonl", tmp_path / "audit-anchor.key"
    _anchor(hall, file, key)
    _write_some(hall)
    second = _anchor(hall, file, key)
    lines = file.read_text(encoding="utf-8").splitlines()
    old = {m.chain: m.hash for m in second.anchor.marks}[CHAIN]
    lines[1] = lines[1].replace(old, "0" * 64)
    file.write_text("\n".join(lines) + "\n" + '{"v":1,"cut short', encoding="utf-8")
    check = _check(hall, file)
    assert [(p.line_no, p.kind, p.chain) for p in check.problems] == [(2, "line", None), (3, "line", None)]
    assert "第 2 行被篡改" in check.problems[0].reason and "签名不符" in check.problems[0].reason
    assert check.lines == 1 and check.checked == len(_anchor_marks(file, 1))

    # The next anchor starts on a line of its own after the damaged one.
    third = _anchor(hall, file, key)
    assert third.line_no == 4 and file.read_text(encoding="utf-8").splitlines()[3] == third.anchor.line
    assert [p.line_no for p in _check(hall, file).problems] == [2, 3]


def _anchor_marks(file: Path, line_no: int) -> dict[str, list[object]]:
    marks: dict[str, list[object]] = json.loads(file.read_text(encoding="utf-8").splitlines()[line_no - 1])["chains"]
    return marks


def test_rows_appended_after_the_anchor_still_verify(hall: HallDesk, tmp_path: Path) -> None:
    _write_some(hall)
    file = tmp_path / "anchors.jsonl"
    _anchor(hall, file, tmp_path / "audit-anchor.key")
    _write_some(hall)
    log_in(hall, "clerk1")  # a chain the anchor has never seen
    check = _check(hall, file)
    assert check.ok and check.audit.chains[CHAIN] > _anchor_marks(file, 1)[CHAIN][0]  # type: ignore[operator]


def test_a_rotated_key_verifies_and_both_fingerprints_are_reported(hall: HallDesk, tmp_path: Path) -> None:
    file = tmp_path / "anchors.jsonl"
    old = _anchor(hall, file, tmp_path / "old" / "audit-anchor.key")
    _write_some(hall)
    new = _anchor(hall, file, tmp_path / "new" / "audit-anchor.key")
    assert new.new_key and new.anchor.fingerprint != old.anchor.fingerprint
    check = _check(hall, file)
    assert check.ok
    assert [(k.fingerprint, k.lines, k.first) for k in check.keys] == [
        (old.anchor.fingerprint, 1, old.anchor.at), (new.anchor.fingerprint, 1, new.anchor.at)]


def test_the_printed_page(hall: HallDesk, tmp_path: Path) -> None:
    log_in(hall, "supervisor")
    written = _anchor(hall, tmp_path / "anchors.jsonl", tmp_path / "audit-anchor.key")
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(anchor.anchor_page(written, "系统管理员"))).pages]
    text = "".join("".join(page.split()) for page in pages)  # cells wrap: compare without spaces and breaks
    assert len(pages) == 1 and "审计链锚点" in text and "新建经开区政务服务大厅（XJ）" in text
    assert f"签名密钥指纹：{written.anchor.fingerprint}" in text
    assert "".join(anchor.group(written.anchor.fingerprint).split()) == written.anchor.fingerprint
    for i, m in enumerate(written.anchor.marks, start=1):
        assert f"{i}{m.chain}{m.seq}{m.hash}" in text
    assert {m.chain for m in written.anchor.marks} >= {CHAIN, audit.writer_chain("supervisor"), audit.HALL_CHAIN}
    assert f"本锚点行的SHA-256：{written.anchor.digest}" in text
    assert "经办人（签字）" in text and "监督人（签字）" in text and anchor.local_time(written.anchor.at).replace(" ", "") in text


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_anchor_and_verify_via_cli(hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(tmp_path / "data"))  # a key of this test's own
    file, pdf = tmp_path / "anchors.jsonl", tmp_path / "anchor.pdf"
    db = ("--db", hall.url)
    code, out, err = _cli(capsys, *db, "--user", "admin", "audit", "anchor", "--out", str(file), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["line"] == 1 and doc["new_key"] is True and CHAIN in doc["chains"]
    assert "已在本机生成审计锚点签名密钥" in err
    key = tmp_path / "data" / "keys" / "audit-anchor.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    code, _, err = _cli(capsys, *db, "--user", "clerk1", "audit", "anchor", "--out", str(file))
    assert code == 4 and "无权" in err and len(file.read_text(encoding="utf-8").splitlines()) == 1

    shutil.move(key, tmp_path / "retired.key")  # rotation: the next anchor starts a new key
    code, out, err = _cli(capsys, *db, "--user", "supervisor", "audit", "anchor", "--out", str(file), "--pdf", str(pdf))
    assert code == 0 and out == "" and "第 2 行" in err and pdf.read_bytes().startswith(b"%PDF")
    lines = file.read_text(encoding="utf-8").splitlines()
    fingerprints = [json.loads(line)["key"]["fingerprint"] for line in lines]
    assert len(lines) == 2 and fingerprints[0] == doc["fingerprint"] != fingerprints[1]

    code, out, _ = _cli(capsys, *db, "audit", "verify", "--anchor", str(file), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["anchor"]["problem"] is None
    assert [k["fingerprint"] for k in report["anchor"]["keys"]] == fingerprints
    code, out, _ = _cli(capsys, *db, "audit", "verify", "--anchor", str(file))
    assert code == 0 and "锚点核验通过：锚点 2 行" in out
    assert all(anchor.group(fp) in out for fp in fingerprints)

    _rewrite(hall, CHAIN, 1, '{"rewritten":true}')
    assert _cli(capsys, *db, "audit", "verify")[0] == 0
    code, out, err = _cli(capsys, *db, "audit", "verify", "--anchor", str(file))
    assert code == 10 and "审计锚点核验失败" in err and f"链 {CHAIN} 第 " in err and "第 1 行锚点" in err
    assert "签名密钥指纹" in out  # the keys are listed even when the check fails
    code, out, _ = _cli(capsys, *db, "audit", "verify", "--anchor", str(file), "--json")
    report = json.loads(out)
    assert code == 10 and report["ok"] is False and report["problem"] is None  # the chain itself is intact
    assert (report["anchor"]["problem"]["chain"], report["anchor"]["problem"]["line"]) == (CHAIN, 1)

    assert _cli(capsys, *db, "audit", "verify", "--anchor", str(tmp_path / "none.jsonl"))[0] == 5


def test_verify_on_a_counter_store_checks_the_counter_chain(
    hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    application = tmp_path / "case.json"
    application.write_text(json.dumps({
        "item": item.code, "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
        "agent": {"name": "张伟", "id_number": request(item).agent.id_number, "phone": "13807910001"},
        "materials": {m.code: "received" for m in item.materials if not m.covered_by},
    }), encoding="utf-8")
    store, file = tmp_path / "counter1.sqlite3", tmp_path / "anchors.jsonl"
    local = ("--db", hall.url, "--local", str(store))
    assert _cli(capsys, *local, "--user", "clerk1", "case", "create", "--json", str(application))[0] == 0
    code, out, _ = _cli(capsys, "--db", hall.url, "--user", "admin", "audit", "anchor", "--out", str(file), "--json")
    anchored = json.loads(out)["chains"]["counter:1"][0]
    assert code == 0 and anchored >= 1

    code, out, _ = _cli(capsys, *local, "audit", "verify", "--anchor", str(file), "--json")
    report = json.loads(out)["anchor"]
    assert code == 0 and report["checked"] == 1 and report["skipped"] >= 2  # the store holds counter:1 only

    _truncate(f"sqlite:///{store}", "counter:1", anchored - 1)
    code, out, _ = _cli(capsys, *local, "audit", "verify", "--anchor", str(file), "--json")
    problem = json.loads(out)["anchor"]["problem"]
    assert code == 10 and (problem["chain"], problem["seq"], problem["kind"]) == ("counter:1", anchored, "truncated")
