"""Offline-first counters on the normal servers: local intake, outbox, push, pull, offline login, reconcile.

The shared database is the ``hall`` fixture (SQLite, PostgreSQL, MariaDB); each counter's store is a SQLite
file of its own.  "Out of reach" is a URL to a closed port.  Stopping real servers is tests/test_offline_faults.py.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app import accounts, audit, backoffice, catalog, claims, decisions, hall_settings
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import AuthenticationError, ValidationError
from app.hall_settings import local_date
from app.infra import sync
from app.infra.counter_store import CounterStore
from app.intake import EnterpriseInput, IntakeRequest, MaterialInput, take_application
from app.printing import desk
from app.slips import SlipError
from app.validators import make_uscc
from cli.main import run
from db.models import AuditEvent, Case, CaseEvent, CaseMaterial, Enterprise, Notice, Outbox, PrintJob
from db.types import utcnow
from tests.conftest import log_in
from tests.intake_support import ENTERPRISE, all_received, item_with_tolerable, request


def closed_port_url() -> str:
    """A PostgreSQL URL nobody answers: a port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/halldesk"


@pytest.fixture
def store(hall: HallDesk, tmp_path: Path) -> Iterator[CounterStore]:
    st = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    yield st
    st.close()


def correction(item: catalog.Item) -> IntakeRequest:
    """A 补正 request: the first required material is missing."""
    materials = dict(all_received(item))
    first = next(m for m in item.materials if m.required and not m.covered_by)
    materials[first.code] = MaterialInput("missing")
    return request(item, outcome="correction", materials=materials)


def shared_counts(hall: HallDesk) -> tuple[int, ...]:
    with hall.uow() as uow:
        return tuple(
            uow.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Case, CaseMaterial, CaseEvent, Notice, AuditEvent, Enterprise, PrintJob)
        )


def verify(h: HallDesk) -> audit.AuditReport:
    with h.uow() as uow:
        return audit.verify(uow.session)


def test_local_intake_writes_case_and_outbox_in_one_transaction(hall: HallDesk, store: CounterStore) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    view, synced = store.take_application(clerk, request(item), push=False)
    assert not synced
    with store.local.uow() as uow:
        s = uow.session
        assert s.execute(select(Case.case_no)).scalars().all() == [view.case_no]
        assert s.execute(select(Outbox.case_id, Outbox.sent_at)).all() == [(view.id, None)]
        # The receipt and notices were queued locally, and the audit row is in the counter's own chain.
        assert s.execute(select(func.count()).select_from(PrintJob)).scalar_one() >= 1
        assert set(s.execute(select(AuditEvent.chain)).scalars()) == {"counter:1"}
    # Bad input stores nothing locally: no case and no outbox row.
    with pytest.raises(ValidationError):
        store.take_application(clerk, request(item, outcome="refuse"), push=False)
    assert store.pending() == 1
    # Nothing reached the shared database yet.
    with hall.uow() as uow:
        assert uow.session.execute(select(Case).where(Case.id == view.id)).first() is None


def test_push_puts_the_case_in_the_shared_queue(hall: HallDesk, store: CounterStore) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    view, synced = store.take_application(clerk, request(item))
    assert synced
    assert store.status().pending == 0
    assert store.status().last_success is not None
    chief = log_in(hall, f"chief_{item.dept.lower()}")
    page = backoffice.queue_page(hall.uow(), chief, item.dept)
    assert view.case_no in [r.case_no for r in page.rows]
    with hall.uow() as uow:
        s = uow.session
        shared_case = s.execute(select(Case).where(Case.id == view.id)).scalar_one()
        assert shared_case.case_no == view.case_no and shared_case.status == "accepted"
        assert len(shared_case.materials) == len(view.materials)
        assert [n.doc_no for n in shared_case.notices] == [n.doc_no for n in view.notices]
        # Print jobs stay at the counter: pushing them would print the receipt a second time.
        assert (
            s.execute(
                select(func.count()).select_from(PrintJob).where(PrintJob.case_id == view.id)
            ).scalar_one()
            == 0
        )
    report = verify(hall)
    assert report.ok, report.problem
    assert report.chains["counter:1"] >= 1  # the intake
    assert report.chains["user:clerk1"] >= 1  # online, the login was checked (and audited) on the shared database


def test_resending_the_whole_outbox_three_times_changes_nothing(hall: HallDesk, store: CounterStore) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    for _ in range(3):
        store.take_application(clerk, request(item), push=False)
    pending_fix = store.take_application(clerk, correction(item), push=False)[0]
    result = store.push_now(batch_size=2)
    assert result is not None and result.cases == 4 and result.batches >= 2 and result.pending == 0
    before = shared_counts(hall)
    for _ in range(3):
        assert store.resend_all() == 4
        again = store.push_now(batch_size=3)
        assert again is not None and again.pending == 0
        assert shared_counts(hall) == before
    report = verify(hall)
    assert report.ok, report.problem
    with hall.uow() as uow:
        assert uow.session.execute(select(Case.status).where(Case.id == pending_fix.id)).scalar_one() == (
            "correction_requested"
        )


def test_resubmission_at_the_counter_updates_the_shared_case(hall: HallDesk, store: CounterStore) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    first, synced = store.take_application(clerk, correction(item))
    assert synced
    received = {m.code: MaterialInput("waived" if m.covered_by else "received") for m in item.materials}
    view, synced = store.resubmit(clerk, first.case_no, received)
    assert synced and view.status == "accepted"
    with hall.uow() as uow:
        case = uow.session.execute(select(Case).where(Case.id == first.id)).scalar_one()
        assert case.status == "accepted" and case.version == 2
        assert {m.state for m in case.materials} <= {"received", "waived"}
        assert len(case.notices) == len(view.notices)
    assert verify(hall).ok


def test_shared_database_out_of_reach(
    hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "counter1.sqlite3"
    CounterStore.open(hall.url, path).close()  # the first opening caches catalog and accounts
    offline = CounterStore.open(closed_port_url(), path)
    try:
        assert offline.online is False
        # The clerk logs in against the cached argon2 hash; a wrong password is still refused.
        with pytest.raises(AuthenticationError):
            offline.login("clerk1", "wrong-password-1")
        clerk = offline.login("clerk1", DEMO_PASSWORD)
        view, synced = offline.take_application(clerk, request(item_with_tolerable(hall)))
        assert not synced and view.case_no.endswith("-01-0001")
        status = offline.status()
        assert status.pending == 1
        assert status.last_error and status.last_error_at is not None
    finally:
        offline.close()
    # The CLI says the same: the case is taken, "synced": false, and sync status shows it waiting.
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    doc = tmp_path / "case.json"
    doc.write_text(
        json.dumps(
            {
                "item": item_with_tolerable(hall).code,
                "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
                "agent": {
                    "name": "张伟",
                    "id_number": request(item_with_tolerable(hall)).agent.id_number,
                    "phone": "13807910001",
                },
                "materials": {
                    m.code: "received" for m in item_with_tolerable(hall).materials if not m.covered_by
                },
            }
        ),
        encoding="utf-8",
    )
    code = run(
        [
            "--db",
            closed_port_url(),
            "--local",
            str(path),
            "--user",
            "clerk1",
            "case",
            "create",
            "--json",
            str(doc),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    created = json.loads(out)
    assert created["synced"] is False and created["case_no"].endswith("-01-0002")
    assert run(["--db", closed_port_url(), "--local", str(path), "sync", "status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["pending"] == 2 and st["last_error"]
    assert run(["--db", closed_port_url(), "--local", str(path), "sync", "run", "--json"]) == 7
    assert json.loads(capsys.readouterr().out)["pending"] == 2
    # Back online: one sync run and both cases are in the shared database, the error is cleared.
    assert run(["--db", hall.url, "--local", str(path), "sync", "run", "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["pending"] == 0 and ran["last_error"] is None
    with hall.uow() as uow:
        numbers = uow.session.execute(select(Case.case_no).order_by(Case.case_no)).scalars().all()
    assert view.case_no in numbers and created["case_no"] in numbers
    assert verify(hall).ok


def test_cli_case_create_online_is_synced(
    hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    doc = {
        "item": item.code,
        "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
        "agent": {"name": "张伟", "id_number": request(item).agent.id_number, "phone": "13807910001"},
        "materials": {m.code: "received" for m in item.materials if not m.covered_by},
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    local = tmp_path / "c.sqlite3"
    code = run(
        ["--db", hall.url, "--local", str(local), "--user", "clerk1", "case", "create", "--json", str(path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    created = json.loads(out)
    assert created["synced"] is True
    with hall.uow() as uow:
        assert uow.session.execute(select(Case.case_no).where(Case.case_no == created["case_no"])).first()
    assert run(["--db", hall.url, "--local", str(local), "sync", "reconcile", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["present"] == [created["case_no"]] and rec["missing"] == [] and rec["ok"] is True


def test_enterprise_known_to_the_shared_database_under_another_id(
    hall: HallDesk, store: CounterStore
) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    uscc = make_uscc(9191)
    # The same company is registered at counter 2 directly on the shared database after counter 1's last pull.
    shared_clerk = log_in(hall, "clerk2")
    ent_input = EnterpriseInput(uscc=uscc, name="南昌撞号测试有限公司")
    take_application(hall.uow(), shared_clerk, request(item, enterprise=ent_input))
    with hall.uow() as uow:
        shared_id = uow.session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc)).scalar_one()
    view, synced = store.take_application(clerk, request(item, enterprise=ent_input))
    assert synced
    with store.local.uow() as uow:
        local_id = uow.session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc)).scalar_one()
    assert local_id != shared_id
    with hall.uow() as uow:
        s = uow.session
        assert (
            s.execute(
                select(func.count()).select_from(Enterprise).where(Enterprise.uscc == uscc)
            ).scalar_one()
            == 1
        )
        assert s.execute(select(Case.enterprise_id).where(Case.id == view.id)).scalar_one() == shared_id
    assert verify(hall).ok


def test_two_counters_offline_then_both_sync(hall: HallDesk, tmp_path: Path) -> None:
    item = item_with_tolerable(hall)
    stores = [CounterStore.open(hall.url, tmp_path / f"c{n}.sqlite3") for n in (1, 2)]
    try:
        clerks = [stores[0].login("clerk1", DEMO_PASSWORD), stores[1].login("clerk2", DEMO_PASSWORD)]
        # Meanwhile counter 1 also took cases directly on the shared database (another PC, or before this one).
        direct = log_in(hall, "clerk1")
        for _ in range(2):
            take_application(hall.uow(), direct, request(item))
        for st in stores:
            st.pull_now()  # the counter's sequence follows the shared one: numbers never repeat
        numbers = []
        for st, clerk in zip(stores, clerks, strict=True):
            for _ in range(4):
                numbers.append(st.take_application(clerk, request(item), push=False)[0].case_no)
        for st in stores:
            result = st.push_now()
            assert result is not None and result.pending == 0 and not result.conflicts
        with hall.uow() as uow:
            shared_numbers = uow.session.execute(select(Case.case_no)).scalars().all()
        assert len(shared_numbers) == len(set(shared_numbers)) == 10
        assert set(numbers) <= set(shared_numbers)
        report = verify(hall)
        assert report.ok, report.problem
        assert {"counter:1", "counter:2", "hall"} <= set(report.chains)
        for st in stores:
            assert verify(st.local).ok
    finally:
        for st in stores:
            st.close()


def test_pull_keeps_sequences_monotonic(hall: HallDesk, store: CounterStore, engine_name: str) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    yymmdd = local_date(utcnow()).strftime("%y%m%d")
    # The shared database is ahead (7 numbers used elsewhere): the local store continues after them.
    with hall.uow() as uow:
        uow.session.execute(
            text("INSERT INTO counter_sequence (scope, period, value) VALUES ('case:01', :p, 7)"),
            {"p": yymmdd},
        )
        uow.commit()
    assert store.pull_now()
    assert store.take_application(clerk, request(item), push=False)[0].case_no.endswith("-01-0008")
    # The local store is ahead: a pull never moves it back, and a push moves the shared one forward.
    with hall.uow() as uow:
        uow.session.execute(
            text("UPDATE counter_sequence SET value = 3 WHERE scope = 'case:01' AND period = :p"),
            {"p": yymmdd},
        )
        uow.commit()
    assert store.pull_now()
    assert store.take_application(clerk, request(item))[0].case_no.endswith("-01-0009")
    with hall.uow() as uow:
        value = uow.session.execute(
            text("SELECT value FROM counter_sequence WHERE scope = 'case:01' AND period = :p"), {"p": yymmdd}
        ).scalar_one()
    assert value == 9


def test_offline_login_needs_cached_accounts(tmp_path: Path) -> None:
    fresh = CounterStore.open(closed_port_url(), tmp_path / "new.sqlite3")
    try:
        with pytest.raises(AuthenticationError, match="账户"):
            fresh.login("clerk1", DEMO_PASSWORD)
    finally:
        fresh.close()


def test_online_logins_use_the_shared_accounts_and_pull_brings_settings(hall: HallDesk, store: CounterStore,
                                                                        tmp_path: Path) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    admin = log_in(hall, "admin")
    accounts.set_password(hall.uow(), admin, "clerk1", "NewPass2026")
    hall_settings.save_hall_settings(hall.uow(), admin, hall_settings.HallSettings(code="HD"))
    with pytest.raises(AuthenticationError):
        store.login("clerk1", DEMO_PASSWORD)  # online, the shared database decides at once
    assert store.login("clerk1", "NewPass2026").must_change_password  # an admin's reset: to be changed
    # The login copied the new hash into the store: offline, it is the one that works.
    offline = CounterStore.open(closed_port_url(), tmp_path / "counter1.sqlite3")
    try:
        with pytest.raises(AuthenticationError):
            offline.login("clerk1", DEMO_PASSWORD)
        assert offline.login("clerk1", "NewPass2026").username == "clerk1"
    finally:
        offline.close()
    assert store.pull_now()
    # The hall code from the shared settings is in the next case number taken at the counter.
    view, _ = store.take_application(clerk, request(item_with_tolerable(hall)), push=False)
    assert view.case_no.startswith("HD")


def test_reconcile_lists_missing_and_present(hall: HallDesk, store: CounterStore) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    pushed = store.take_application(clerk, request(item))[0]
    waiting = store.take_application(clerk, request(item), push=False)[0]
    rec = store.reconcile(local_date(utcnow()))
    assert rec.present == (pushed.case_no,) and rec.missing == (waiting.case_no,) and not rec.ok
    assert store.reconcile(date(2000, 1, 1)).local == 0
    store.push_now()
    assert store.reconcile(local_date(utcnow())).ok


def test_shared_intake_writes_no_outbox_row(hall: HallDesk) -> None:
    take_application(hall.uow(), log_in(hall, "clerk1"), request(item_with_tolerable(hall)))
    with hall.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(Outbox)).scalar_one() == 0


def test_a_second_store_for_the_same_counter_is_refused_not_merged(hall: HallDesk, tmp_path: Path) -> None:
    first = CounterStore.open(hall.url, tmp_path / "pc1.sqlite3")
    # A second PC set up as counter 1 before the first one pushed anything: it cannot know counter 1's numbers.
    second = CounterStore.open(hall.url, tmp_path / "pc2.sqlite3", counter=1)
    try:
        item = item_with_tolerable(hall)
        one = first.take_application(first.login("clerk1", DEMO_PASSWORD), request(item))[0]
        two, synced = second.take_application(second.login("clerk1", DEMO_PASSWORD), request(item))
        assert one.case_no == two.case_no and not synced
        status = second.status()
        assert status.pending == 1 and "已被另一办件使用" in status.last_error
        result = second.push_now()
        assert result is not None and any("已被另一办件使用" in c for c in result.conflicts)
        # The shared database keeps the first PC's case and chain intact.
        with hall.uow() as uow:
            assert (
                uow.session.execute(select(Case.id).where(Case.case_no == one.case_no)).scalar_one() == one.id
            )
        report = verify(hall)
        assert report.ok, report.problem
    finally:
        first.close()
        second.close()


def test_a_store_belongs_to_one_counter(hall: HallDesk, store: CounterStore, tmp_path: Path) -> None:
    store.login("clerk1", DEMO_PASSWORD)
    with pytest.raises(AuthenticationError, match="本机是1号窗口"):
        store.login("clerk2", DEMO_PASSWORD)
    # Staff without a counter (an admin) may still log in at a bound store; offline, their audit rows stay in
    # its chain.
    assert store.login("admin", DEMO_PASSWORD).role == "admin"
    offline = CounterStore.open(closed_port_url(), tmp_path / "counter1.sqlite3")
    try:
        with pytest.raises(AuthenticationError, match="本机是1号窗口"):
            offline.login("clerk2", DEMO_PASSWORD)
        assert offline.login("admin", DEMO_PASSWORD).role == "admin"
        with offline.local.uow() as uow:
            assert set(uow.session.execute(select(AuditEvent.chain)).scalars()) == {"counter:1"}
    finally:
        offline.close()


def test_slips_are_checked_offline_with_the_cached_keys(hall: HallDesk, tmp_path: Path) -> None:
    # A case of counter 2, taken on the shared database; counter 1's store cached the public keys earlier.
    view = take_application(hall.uow(), log_in(hall, "clerk2"), request(item_with_tolerable(hall)))
    path = tmp_path / "counter1.sqlite3"
    CounterStore.open(hall.url, path).close()
    offline = CounterStore.open(closed_port_url(), path)
    try:
        assert offline.online is False
        assert desk.verify_slip(offline.local.uow(), view.slip).case_no == view.case_no
        forged = view.slip.replace(
            view.case_no, view.case_no[:-1] + ("1" if view.case_no[-1] != "1" else "2")
        )
        with pytest.raises(SlipError):
            desk.verify_slip(offline.local.uow(), forged)
    finally:
        offline.close()


def test_a_case_returned_by_the_back_office_is_resubmitted_at_the_counter(
    hall: HallDesk, store: CounterStore
) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    view, synced = store.take_application(clerk, request(item))
    assert synced
    reviewer = log_in(hall, f"rev_{item.dept.lower()}")
    claim = claims.claim(hall.uow(), reviewer, view.case_no)
    decisions.decide(hall.uow(), reviewer, view.case_no, "return", token=claim.token, reason="图纸缺少签章")
    assert store.pull_now()
    with store.local.uow() as uow:
        assert uow.session.execute(select(Case.status).where(Case.id == view.id)).scalar_one() == "returned"
    back, synced = store.resubmit(clerk, view.case_no, {})
    assert synced and back.status == "accepted"
    with hall.uow() as uow:
        shared = uow.session.execute(select(Case).where(Case.id == view.id)).scalar_one()
        assert shared.status == "accepted" and shared.paused_promised is None
        assert shared.promised_due == back.promised_due and shared.accepted_at == view.accepted_at
    page = backoffice.queue_page(hall.uow(), reviewer, item.dept)
    assert view.case_no in [r.case_no for r in page.rows]
    assert verify(hall).ok


def test_a_rating_given_at_an_offline_counter_reaches_the_shared_database(
    hall: HallDesk, tmp_path: Path
) -> None:
    from app import evaluation
    from db.models import Evaluation, Rectification

    st = CounterStore.open(closed_port_url(), tmp_path / "offline.sqlite3")
    try:
        # The store is filled once while the shared database answers, then the network goes.
        st.reconnect(hall.url)
        st.pull_now()
        clerk = st.login("clerk1", DEMO_PASSWORD)
        st.reconnect(closed_port_url())
        view, synced = st.take_application(clerk, request(item_with_tolerable(hall)))
        assert not synced
        rated = evaluation.rate(st.local.uow(), clerk, view.case_no, 1, reasons=["not_once"], comment="材料没讲清")
        assert rated.rectification_due is not None
        with pytest.raises(Exception, match="已经评价过"):
            evaluation.rate(st.local.uow(), clerk, view.case_no, 4)
        st.reconnect(hall.url)
        assert st.push_now() is not None and st.status().pending == 0
        for _ in range(2):  # resending is harmless
            st.resend_all()
            st.push_now()
    finally:
        st.close()
    with hall.uow() as uow:
        s = uow.session
        [(level, occasion)] = s.execute(select(Evaluation.level, Evaluation.occasion)).all()
        assert (level, occasion) == (1, "intake")
        [rect] = s.execute(select(Rectification)).scalars().all()
        assert rect.due == rated.rectification_due and rect.status == "open"
    sup = log_in(hall, "supervisor")
    assert [r.case_no for r in evaluation.list_rectifications(hall.uow(), sup)] == [view.case_no]
    assert verify(hall).ok



def chain_rows(h: HallDesk, chain: str) -> list[tuple[int, uuid.UUID, str, str]]:
    """(seq, id, entity, entity_id) of every row of ``chain``, in order."""
    with h.uow() as uow:
        return [
            (r.seq, r.id, r.entity, r.entity_id)
            for r in uow.session.execute(
                select(AuditEvent.seq, AuditEvent.id, AuditEvent.entity, AuditEvent.entity_id)
                .where(AuditEvent.chain == chain)
                .order_by(AuditEvent.seq)
            )
        ]


def test_audit_rows_never_reach_the_shared_database_ahead_of_their_cases(
    hall: HallDesk, store: CounterStore
) -> None:
    clerk = store.login("clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    fix = store.take_application(clerk, correction(item), push=False)[0]
    for _ in range(3):
        store.take_application(clerk, request(item), push=False)
    store.login("clerk1", DEMO_PASSWORD)  # a row about a user in the middle of the chain
    for _ in range(2):
        store.take_application(clerk, request(item), push=False)
    received = {m.code: MaterialInput("waived" if m.covered_by else "received") for m in item.materials}
    store.resubmit(clerk, fix.case_no, received, push=False)  # a second outbox row for the first case
    store.take_application(clerk, request(item), push=False)
    assert store.pending() == 8
    local_ids = [i for _, i, *_ in chain_rows(store.local, "counter:1")]
    assert store.shared is not None
    batches = 0
    while True:
        # One shared transaction at a time, as a push cut off by the network after each batch would leave it.
        result = sync.push(store.local.engine, store.shared, batch_size=2, max_batches=1)
        chain = chain_rows(hall, "counter:1")
        with hall.uow() as uow:
            shared_cases = {str(c) for c in uow.session.execute(select(Case.id)).scalars()}
        # A gap-free prefix of the counter's chain, and every row about a case has its case beside it.
        assert [seq for seq, *_ in chain] == list(range(1, len(chain) + 1))
        assert [i for _, i, *_ in chain] == local_ids[: len(chain)]
        ahead = [seq for seq, _, entity, eid in chain if entity == "case" and eid not in shared_cases]
        assert not ahead, f"after batch {batches + 1}: audit rows ahead of their cases, seq {ahead}"
        if result.pending == 0:
            # The batch that drained the outbox took the rest of the chain with it.
            assert [i for _, i, *_ in chain] == local_ids
        if result.batches == 0:
            break
        batches += 1
        assert batches <= 10, "the push does not come to an end"
    assert batches >= 4 and store.pending() == 0
    with hall.uow() as uow:
        case = uow.session.execute(select(Case).where(Case.id == fix.id)).scalar_one()
        assert case.status == "accepted" and case.version == 2
    report = verify(hall)
    assert report.ok, report.problem
    assert report.chains["counter:1"] == len(local_ids)
