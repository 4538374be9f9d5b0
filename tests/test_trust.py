"""Trust at the counter: each access hole found by probing HallDesk as an attacker, closed at the service layer.

Every test here failed before its fix (issue 13): pickup credentials without a login, seal grants crossing
departments, the lockout bypassed through a counter's store, pickup codes guessed with self-signed slips,
slips of one counter signed by another's key, a moved reviewer still deciding, receipts re-routed and print
jobs cancelled across counters, a world-readable store, complainants' names listed in full, and pickup codes
kept in the audit trail of a refused slip.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import func, select, update

from app import accounts, cases, chief_rep, claims, decisions, grievance, intake, output, slips
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import AuthenticationError, Conflict, PermissionDenied
from app.infra import keys
from app.infra.counter_store import CounterStore
from app.printing import desk, queue
from app.slips import SlipError
from cli.main import run
from db.models import AuditEvent, Case, PrintJob, SealAuthorisation, SealUsage, User
from db.types import utcnow
from tests.conftest import log_in
from tests.intake_support import all_received, request
from tests.test_output import _decided, _scj_item
from tests.test_sync import closed_port_url


def _audit(hall: HallDesk, action: str) -> list[AuditEvent]:
    with hall.uow() as uow:
        return list(uow.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                        .order_by(AuditEvent.at)).scalars())


def _cli(capsys: pytest.CaptureFixture[str], hall: HallDesk, *argv: str) -> tuple[int, str, str]:
    code = run(["--db", hall.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---- 1. pickup credentials -------------------------------------------------------------------------------


def test_pickup_credentials_are_read_only_by_the_taking_counter_and_the_output_window(
    hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _decided(hall)  # taken by clerk1 at counter 1, approved by SCJ
    # Nothing lists or shows them, with or without a login: not case list/show, not a reviewer's claim.
    assert _cli(capsys, hall, "case", "list", "--json")[0] == 3
    assert _cli(capsys, hall, "case", "show", taken.case_no, "--json")[0] == 3
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    for user in ("admin", "supervisor", "clerk2", "rev_scj"):
        code, out, _ = _cli(capsys, hall, "--user", user, "case", "list", "--json")
        assert code == 0 and taken.pickup_code not in out and taken.slip not in out
        code, out, _ = _cli(capsys, hall, "--user", user, "case", "show", taken.case_no, "--json")
        assert code == 0 and taken.pickup_code not in out and "slip" not in json.loads(out)
    second = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(_scj_item(hall)))
    code, out, _ = _cli(capsys, hall, "--user", "rev_scj", "case", "claim", second.case_no, "--json")
    assert code == 0 and second.pickup_code not in out and second.slip not in out

    # case credentials: the taking counter and the output window, each reading audited; nobody else.
    before = len(_audit(hall, "case.credentials"))
    for user in ("clerk1", "clerk3"):
        code, out, _ = _cli(capsys, hall, "--user", user, "case", "credentials", taken.case_no, "--json")
        assert code == 0 and json.loads(out) == {"case_no": taken.case_no, "pickup_code": taken.pickup_code,
                                                 "slip": taken.slip}
    for user in ("clerk2", "clerk9", "supervisor", "admin", "rev_scj", "chief_scj"):
        code, out, err = _cli(capsys, hall, "--user", user, "case", "credentials", taken.case_no, "--json")
        assert code == 4 and out == "" and ("无权" in err or "只能由" in err), user
    readings = _audit(hall, "case.credentials")[before:]
    assert [e.actor for e in readings] == ["clerk1", "clerk3"]
    assert all(taken.pickup_code not in e.payload for e in readings)


def pdf_qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on every page, rendered in-process (pdfium) and decoded (zxing)."""
    document = pypdfium2.PdfDocument(pdf)
    return [code.text for page in document for code in zxingcpp.read_barcodes(page.render(scale=2).to_pil())]


def test_a_notice_carries_the_slip_only_for_those_who_may_read_it(hall: HallDesk) -> None:
    taken = _decided(hall)
    with_slip = desk.notice_pdf(hall.uow(), log_in(hall, "clerk1"), taken.case_no, "acceptance")
    assert set(pdf_qr_codes(with_slip)) == {taken.slip}
    for user in ("rev_scj", "supervisor", "clerk2"):
        pdf = desk.notice_pdf(hall.uow(), log_in(hall, user), taken.case_no, "acceptance")
        assert (user, pdf_qr_codes(pdf)) == (user, [])
    with pytest.raises(PermissionDenied, match="本部门"):
        desk.notice_pdf(hall.uow(), log_in(hall, "rev_zjj"), taken.case_no, "acceptance")


# ---- 3. seal grants --------------------------------------------------------------------------------------


def test_a_seal_grant_does_not_travel_with_a_transfer(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = _scj_item(hall)
    case_no = intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item))).case_no
    chief_scj, rev_scj = log_in(hall, "chief_scj"), log_in(hall, "rev_scj")
    chief_rep.authorise_seal(hall.uow(), chief_scj, case_no)
    claims.claim(hall.uow(), rev_scj, case_no)
    decisions.decide(hall.uow(), rev_scj, case_no, "transfer", reason="属住建局职责", transfer_to="ZJJ")
    rev_zjj = log_in(hall, "rev_zjj")
    claims.claim(hall.uow(), rev_zjj, case_no)
    with pytest.raises(PermissionDenied, match="本部门首席代表授权"):
        decisions.decide(hall.uow(), rev_zjj, case_no, "approve", seal=True, reason="符合条件")
    # Even a grant the transfer did not void (one written before grants were voided) stays SCJ's.
    with hall.uow() as uow:
        uow.session.execute(update(SealAuthorisation).values(revoked_at=None))
        uow.commit()
    with pytest.raises(PermissionDenied, match="本部门首席代表授权"):
        decisions.decide(hall.uow(), rev_zjj, case_no, "approve", seal=True, reason="符合条件")
    assert cases.read_case(hall.uow(), case_no).status == "in_review"
    # ZJJ's own chief representative authorises; the register names them, never SCJ's.
    chief_rep.authorise_seal(hall.uow(), log_in(hall, "chief_zjj"), case_no)
    decisions.decide(hall.uow(), rev_zjj, case_no, "approve", seal=True, reason="符合条件")
    [use] = chief_rep.seal_log(hall.uow(), log_in(hall, "chief_zjj"), "ZJJ")
    assert (use.case_no, use.authorised_by, use.applied_by) == (case_no, "chief_zjj", "rev_zjj")
    with hall.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(SealUsage)).scalar_one() == 1


# ---- 4. the lockout at a counter's store ------------------------------------------------------------------


def test_wrong_passwords_at_a_counters_store_count_on_the_shared_database(
    hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "counter1.sqlite3")
    with hall.uow() as uow:  # clerk2 without a counter may log in at counter 1's store (below, offline)
        uow.session.execute(update(User).where(User.username == "clerk2").values(counter_id=None))
        uow.commit()
    assert run(["--db", hall.url, "--local", store, "sync", "run"]) == 0
    monkeypatch.setenv("HALLDESK_PASSWORD", "Wrong-pass-1")
    for _ in range(8):  # each run pulls the accounts again: the pull must not reset the count
        assert run(["--db", hall.url, "--local", store, "--user", "clerk1", "case", "list"]) == 3
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    code = run(["--db", hall.url, "--local", store, "--user", "clerk1", "case", "list"])
    assert code == 3 and "已锁定" in capsys.readouterr().err
    with hall.uow() as uow:
        user = uow.session.execute(select(User).where(User.username == "clerk1")).scalar_one()
        assert user.locked_until is not None and user.locked_until > utcnow()
    assert len([e for e in _audit(hall, "login_failed") if e.actor == "clerk1"]) == 9

    # Offline, the store keeps counting by itself, and the next pull does not wipe its count.
    offline = CounterStore.open(closed_port_url(), tmp_path / "counter1.sqlite3")
    try:
        for _ in range(5):
            with pytest.raises(AuthenticationError):
                offline.login("clerk2", "Wrong-pass-1")
        with pytest.raises(AuthenticationError, match="已锁定"):
            offline.login("clerk2", DEMO_PASSWORD)
    finally:
        offline.close()
    online = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    try:
        assert online.pull_now()
        with online.local.uow() as uow:
            kept = uow.session.execute(select(User.locked_until).where(User.username == "clerk2")).scalar_one()
        assert kept is not None and kept > utcnow()
    finally:
        online.close()


# ---- 5. slips: wrong codes and the key of the taking counter ---------------------------------------------------


def _sign(hall: HallDesk, counter: int, case_no: str, code: str, key_dir: Path) -> str:
    signer = slips.load_key_file(key_dir, counter) or slips.create_key_file(key_dir, counter)
    with hall.uow() as uow:
        keys._register(uow, "system", keys._counter(uow.session, counter), signer)
        uow.commit()
    return signer.sign(case_no, code)


def test_wrong_codes_on_genuinely_signed_slips_count_and_lock(hall: HallDesk) -> None:
    taken = _decided(hall)
    window = log_in(hall, "clerk3")
    # Someone who holds counter 1's key (a copied key file) signs slips with guessed codes.
    with hall.uow() as uow:
        signer = keys.signer_for(uow.session, 1)
    guesses = [f"{n:06d}" for n in range(10) if f"{n:06d}" != taken.pickup_code][:5]
    for n, guess in enumerate(guesses, start=1):
        with pytest.raises(Conflict) as refused:
            output.find_for_pickup(hall.uow(), window, slip=signer.sign(taken.case_no, guess))
        assert ("已锁定" if n == 5 else "再错") in refused.value.message
    with hall.uow() as uow:
        case = uow.session.execute(select(Case).where(Case.case_no == taken.case_no)).scalar_one()
        assert case.pickup_failures == 5 and case.pickup_locked_at is not None
    # Locked: not even the genuine slip opens it until the supervisor has checked the applicant.
    with pytest.raises(Conflict, match="锁定"):
        output.find_for_pickup(hall.uow(), window, slip=taken.slip)
    wrong = _audit(hall, "pickup.wrong_code")
    assert len(wrong) == 5 and {json.loads(e.payload)["credential"] for e in wrong} == {"slip"}
    output.unlock_pickup(hall.uow(), log_in(hall, "supervisor"), taken.case_no)
    assert output.find_for_pickup(hall.uow(), window, slip=taken.slip).ready


def test_a_slip_verifies_only_with_a_key_of_the_counter_that_took_the_case(
    hall: HallDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _decided(hall)
    window = log_in(hall, "clerk3")
    # Counter 9's key (a PC of the 办不成事 window) signs a case that counter 1 took.
    forged = _sign(hall, 9, taken.case_no, taken.pickup_code, tmp_path)
    with pytest.raises(SlipError, match="不是受理该办件的窗口签发"):
        output.find_for_pickup(hall.uow(), window, slip=forged)
    with pytest.raises(SlipError, match="不是受理该办件的窗口签发"):
        desk.verify_slip(hall.uow(), forged)  # the offline check at the output window: the same rule
    [rejected] = _audit(hall, "slip.rejected")
    payload = json.loads(rejected.payload)
    assert payload["case_no"] == taken.case_no and taken.pickup_code not in rejected.payload
    # Key rotation: counter 1 gets a new key; slips of the retired key still verify.
    keys.generate_counter_key(hall.uow(), log_in(hall, "admin"), 1, tmp_path / "rotated")
    assert output.find_for_pickup(hall.uow(), window, slip=taken.slip).ready
    # A revoked key: its slips are refused, online and offline; the case number and code still work.
    old = slips.verify(taken.slip, keys.public_keys(hall.uow())).fingerprint
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    assert run(["--db", hall.url, "--user", "admin", "counter", "revoke-key", old.lower()]) == 0
    assert keys.key_records(hall.uow())[old].revoked
    states = {k.fingerprint: k.state for k in keys.list_counter_keys(hall.uow(), log_in(hall, "admin")) if k.counter == 1}
    assert states[old] == "revoked" and sorted(states.values()) == ["in_force", "revoked"]
    with pytest.raises(SlipError, match="已被吊销"):
        output.find_for_pickup(hall.uow(), window, slip=taken.slip)
    with pytest.raises(SlipError, match="已被吊销"):
        desk.verify_slip(hall.uow(), taken.slip)
    assert output.find_for_pickup(hall.uow(), window, case_no=taken.case_no, pickup_code=taken.pickup_code).ready
    with pytest.raises(Conflict, match="已于"):
        keys.revoke_counter_key(hall.uow(), log_in(hall, "admin"), old)
    with pytest.raises(PermissionDenied):
        keys.revoke_counter_key(hall.uow(), log_in(hall, "supervisor"), old)


def test_a_counter_with_a_revoked_key_takes_no_case_until_it_has_a_new_one(hall: HallDesk, tmp_path: Path) -> None:
    clerk = log_in(hall, "clerk1")
    item = _scj_item(hall)
    keys.generate_counter_key(hall.uow(), log_in(hall, "admin"), 1, tmp_path)
    first = intake.take_application(hall.uow(), clerk, request(item), key_dir=tmp_path)
    fp = slips.verify(first.slip, keys.public_keys(hall.uow())).fingerprint
    keys.revoke_counter_key(hall.uow(), log_in(hall, "admin"), fp)
    with pytest.raises(SlipError, match="已被吊销"):
        intake.take_application(hall.uow(), clerk, request(item), key_dir=tmp_path)
    keys.generate_counter_key(hall.uow(), log_in(hall, "admin"), 1, tmp_path)
    again = intake.take_application(hall.uow(), clerk, request(item), key_dir=tmp_path)
    assert slips.verify(again.slip, keys.public_keys(hall.uow())).fingerprint != fp


# ---- 6. a reviewer moved to another department ------------------------------------------------------------


def test_a_reviewer_moved_to_another_department_no_longer_decides_the_old_ones_cases(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = _scj_item(hall)
    a, b = (intake.take_application(hall.uow(), clerk, request(item)).case_no for _ in range(2))
    admin = log_in(hall, "admin")
    # A new reviewer, so that the demo's rev_scj keeps its own role in the other tests' template.
    accounts.add_user(hall.uow(), admin, username="rev_move", full_name="调岗审批员", role="reviewer",
                      password="Moving2026x", dept="SCJ")
    before = log_in(hall, "rev_move", "Moving2026x")
    claims.claim(hall.uow(), before, a)
    # The GUI left open with the old login; then the admin moves the reviewer to ZJJ.
    accounts.update_user(hall.uow(), admin, "rev_move", full_name="调岗审批员", role="reviewer", dept="ZJJ",
                         counter=None, active=True)
    # The case held in SCJ went back to SCJ's queue at once, with the reason in its history.
    recalled = cases.read_case(hall.uow(), a)
    assert recalled.status == "accepted" and recalled.history[-1].action == "recall"
    # The stale login can neither decide, nor claim, nor take the next SCJ case.
    with pytest.raises(PermissionDenied, match="已被调整"):
        decisions.decide(hall.uow(), before, a, "approve", reason="符合条件")
    with pytest.raises(PermissionDenied, match="已被调整"):
        claims.claim(hall.uow(), before, b)
    with pytest.raises(PermissionDenied, match="已被调整"):
        claims.claim_next(hall.uow(), before, "SCJ")
    # Logged in again, the reviewer works in ZJJ only.
    after = log_in(hall, "rev_move", "Moving2026x")
    assert after.dept_code == "ZJJ"
    with pytest.raises(PermissionDenied):
        claims.claim(hall.uow(), after, b)
    assert cases.read_case(hall.uow(), b).status == "accepted"


def test_a_held_case_is_refused_to_its_holder_once_the_holder_is_in_another_department(hall: HallDesk) -> None:
    # Even where the lease still stands (a case moved under the holder by hand, or a recall that did not run).
    clerk = log_in(hall, "clerk1")
    item = _scj_item(hall)
    case_no = intake.take_application(hall.uow(), clerk, request(item)).case_no
    rev = log_in(hall, "rev_scj")
    claims.claim(hall.uow(), rev, case_no)
    with hall.uow() as uow:
        uow.session.execute(update(User).where(User.username == "rev_scj").values(
            dept_id=select(User.dept_id).where(User.username == "rev_zjj").scalar_subquery()))
        uow.commit()
    moved = log_in(hall, "rev_scj")
    with pytest.raises(PermissionDenied, match="不属于您现在的部门"):
        decisions.decide(hall.uow(), moved, case_no, "approve", reason="符合条件")
    with pytest.raises(PermissionDenied, match="不属于您现在的部门"):
        decisions.add_opinion(hall.uow(), moved, case_no, "拟准予")
    assert cases.read_case(hall.uow(), case_no).status == "in_review"


# ---- 10. receipts, print jobs, the store's file, names, the refused slip's trail -------------------------------


def test_receipts_print_only_at_the_taking_counter_and_every_reroute_is_audited(hall: HallDesk) -> None:
    clerk1, clerk2 = log_in(hall, "clerk1"), log_in(hall, "clerk2")
    taken = intake.take_application(hall.uow(), clerk1, request(_scj_item(hall)))
    with pytest.raises(PermissionDenied, match="1号窗口"):
        desk.receipt_job(hall.uow(), clerk2, taken.case_no, printer="tcp://127.0.0.1:9")
    for user in ("supervisor", "admin", "chief_scj"):
        with pytest.raises(PermissionDenied):
            desk.receipt_job(hall.uow(), log_in(hall, user), taken.case_no)
    job_id = desk.receipt_job(hall.uow(), clerk1, taken.case_no, printer="tcp://127.0.0.1:9")
    [reroute] = [e for e in _audit(hall, "print.receipt") if e.entity_id == str(job_id)]
    assert json.loads(reroute.payload)["printer"] == "tcp://127.0.0.1:9"
    # Another counter's clerk can neither cancel, retry nor redirect counter 1's jobs.
    with pytest.raises(PermissionDenied, match="本窗口"):
        queue.cancel_job(hall.uow(), clerk2, job_id, "误操作")
    with pytest.raises(PermissionDenied, match="本窗口"):
        queue.redirect_job(hall.uow(), clerk2, job_id, "tcp://127.0.0.1:10")
    with pytest.raises(PermissionDenied, match="本窗口"):
        queue.retry_job(hall.uow(), clerk2, job_id)
    with pytest.raises(PermissionDenied):
        queue.redirect_job(hall.uow(), log_in(hall, "admin"), job_id, "tcp://127.0.0.1:10")
    with hall.uow() as uow:
        assert uow.session.get(PrintJob, job_id).status == "pending"  # type: ignore[union-attr]
    queue.cancel_job(hall.uow(), clerk1, job_id, "重新打印")


def test_a_counters_store_and_the_embedded_database_are_private_files(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    path = tmp_path / "store.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)  # as an earlier HallDesk left it
    store = CounterStore.open(closed_port_url(), path)
    try:
        for name in ("store.sqlite3", "store.sqlite3-wal"):
            mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
            assert mode & 0o077 == 0, (name, oct(mode))
    finally:
        store.close()
    fresh = HallDesk.open(f"sqlite:///{tmp_path / 'new' / 'halldesk.sqlite3'}", upgrade=True)
    try:
        assert stat.S_IMODE((tmp_path / "new" / "halldesk.sqlite3").stat().st_mode) & 0o077 == 0
    finally:
        fresh.close()


def test_grievance_lists_mask_the_complainant(hall: HallDesk, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sup = log_in(hall, "supervisor")
    g = grievance.register(hall.uow(), sup, complainant="欧阳娜娜", content="营业执照变更办了三次没办成", phone="13807910002")
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    code, out, _ = _cli(capsys, hall, "--user", "supervisor", "grievance", "list", "--json")
    assert code == 0 and "欧阳娜娜" not in out and json.loads(out)[0]["complainant"] == "欧*"
    code, out, _ = _cli(capsys, hall, "--user", "supervisor", "grievance", "list")
    assert code == 0 and "欧阳娜娜" not in out
    code, out, _ = _cli(capsys, hall, "--user", "supervisor", "grievance", "show", g.grievance_no, "--json")
    assert code == 0 and json.loads(out)["complainant"] == "欧阳娜娜"  # the one being handled: for the callback


def test_a_stale_window_keeps_no_power_after_its_account_is_stopped(hall: HallDesk) -> None:
    chief = log_in(hall, "chief_scj")
    admin = log_in(hall, "admin")
    accounts.update_user(hall.uow(), admin, "chief_scj", full_name="市场监管局首席代表", role="chief_rep", dept="SCJ",
                         counter=None, active=False)
    clerk = log_in(hall, "clerk1")
    case_no = intake.take_application(hall.uow(), clerk, request(_scj_item(hall))).case_no
    with pytest.raises(PermissionDenied, match="已停用"):
        chief_rep.authorise_seal(hall.uow(), chief, case_no)
