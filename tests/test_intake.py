"""Comprehensive intake: every outcome, its notices and print jobs, 容缺 rules, and nothing half-written."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import accounts, cases, catalog, intake, slips
from app.context import HallDesk
from app.errors import Conflict, HallDeskError, PermissionDenied, ValidationError
from app.hall_settings import (
    HallSettings,
    get_hall_settings,
    load_calendar,
    read_settings,
    save_hall_settings,
    today,
)
from app.holidays import set_override
from app.infra import keys, refcache
from app.intake import MaterialInput
from app.printing import documents, queue
from db.models import AuditEvent, CaseEvent, CounterSequence, Notice, PrintJob, Setting
from tests.conftest import log_in
from tests.intake_support import (
    AGENT,
    ENTERPRISE,
    all_received,
    immediate_item,
    item_with_tolerable,
    request,
    row_counts,
)

CASE_NO = re.compile(r"^XJ\d{6}-01-\d{4}$")


def _expected_due(hall: HallDesk, days: int) -> date:
    with hall.uow() as uow:
        return load_calendar(uow.session).add_workdays(today(), days).date


def test_accept_writes_case_notices_jobs_and_audit(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    view = intake.take_application(hall.uow(), clerk, request(item))
    assert CASE_NO.match(view.case_no)
    assert (view.status, view.channel, view.counter, view.dept) == ("accepted", "window", 1, item.dept)
    assert view.promised_due == _expected_due(hall, item.promised_days)
    assert view.legal_due == _expected_due(hall, item.legal_days)
    assert re.fullmatch(r"\d{6}", view.pickup_code)
    info = slips.verify(view.slip, keys.public_keys(hall.uow()))
    assert (info.case_no, info.pickup_code) == (view.case_no, view.pickup_code)
    assert [n.kind for n in view.notices] == ["acceptance"]
    assert view.notices[0].doc_no.startswith("新经开受〔")
    assert len(view.materials) == len(item.materials)
    jobs = queue.list_jobs(hall.uow(), case_no=view.case_no)
    assert sorted(j.kind for j in jobs) == ["notice", "receipt"]
    assert all(j.status == "pending" for j in jobs)
    with hall.uow() as uow:
        audit = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "case.create")).scalar_one()
        events = list(uow.session.execute(select(CaseEvent)).scalars())
    assert json.loads(audit.payload)["case_no"] == view.case_no
    assert [(e.action, e.to_status) for e in events] == [("intake.accept", "accepted")]
    # In the department's queue at once.
    assert view.case_no in {c.case_no for c in cases.list_cases(hall.uow(), clerk, dept=item.dept, status="accepted")}
    # JSON shape of `case create`.
    doc = view.as_json()
    for key in ("case_no", "id", "status", "item", "dept", "accepted_at", "promised_due", "legal_due",
                "pickup_code", "slip", "materials", "commitments"):
        assert key in doc
    assert doc["agent"]["id_number"].startswith("360") and "*" in doc["agent"]["id_number"]


def test_tolerated_acceptance(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    tol = next(m for m in item.materials if m.tolerable)
    materials = {**all_received(item), tol.code: MaterialInput("tolerated")}
    promised = _expected_due(hall, item.promised_days)
    before = row_counts(hall)
    with pytest.raises(ValidationError, match="不能晚于承诺办结日") as err:
        intake.take_application(hall.uow(), clerk, request(item, materials=materials,
                                                           supplement_due=promised + timedelta(days=1)))
    assert err.value.field == "supplement_due"
    assert row_counts(hall) == before
    view = intake.take_application(hall.uow(), clerk, request(item, materials=materials))
    assert view.status == "accepted" and view.tolerated
    assert view.supplement_due == promised
    assert [n.kind for n in view.notices] == ["acceptance", "tolerated"]
    assert view.as_json()["commitments"] == [
        {"material": tol.code, "name": tol.name, "due": promised.isoformat(), "supplemented_at": None}]
    # A material not on the tolerable list cannot be 容缺.
    hard = next(m for m in item.materials if m.required and not m.tolerable and not m.covered_by)
    with pytest.raises(ValidationError, match="不在可容缺清单内") as err:
        intake.take_application(hall.uow(), clerk, request(item, materials={**materials, hard.code: MaterialInput("tolerated")}))
    assert err.value.field == f"materials.{hard.code}"


def test_correction_lists_every_missing_and_defective_material(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    required = [m for m in item.materials if m.required and not m.covered_by]
    materials = {**all_received(item), required[0].code: MaterialInput("missing"),
                 required[1].code: MaterialInput("defective", note="复印件不清晰")}
    view = intake.take_application(hall.uow(), clerk, request(item, "correction", materials=materials))
    assert view.status == "correction_requested"
    assert view.correction_deadline == _expected_due(hall, 5)
    assert view.accepted_at is None and view.promised_due is None
    assert [n.kind for n in view.notices] == ["correction"]
    states = {m.code: (m.state, m.note) for m in view.materials}
    assert states[required[0].code] == ("missing", "")
    assert states[required[1].code] == ("defective", "复印件不清晰")
    # Back with everything: accepted today, new acceptance notice, clock starts today.
    back = intake.resubmit(hall.uow(), clerk, view.case_no, {required[0].code: MaterialInput("received"),
                                                             required[1].code: MaterialInput("received")})
    assert back.status == "accepted" and back.promised_due == _expected_due(hall, item.promised_days)
    assert [n.kind for n in back.notices] == ["correction", "acceptance"]
    with pytest.raises(Conflict):
        intake.resubmit(hall.uow(), clerk, view.case_no, {})


def test_refusal_needs_a_reason_and_prints_no_receipt(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    before = row_counts(hall)
    with pytest.raises(ValidationError, match="理由") as err:
        intake.take_application(hall.uow(), clerk, request(item, "refuse"))
    assert err.value.field == "reason" and row_counts(hall) == before
    view = intake.take_application(hall.uow(), clerk, request(item, "refuse", reason=intake.REFUSAL_REASONS[1]))
    assert view.status == "refused" and view.refusal_reason == intake.REFUSAL_REASONS[1]
    assert "行政许可法" in view.refusal_basis
    assert [j.kind for j in queue.list_jobs(hall.uow(), case_no=view.case_no)] == ["notice"]


def test_immediate_items(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = immediate_item(hall)
    view = intake.take_application(hall.uow(), clerk, request(item, "immediate"))
    assert view.status == "completed_immediately" and view.finished_at is not None
    assert view.notices == ()
    other = item_with_tolerable(hall)
    with pytest.raises(ValidationError, match="不是即办件"):
        intake.take_application(hall.uow(), clerk, request(other, "immediate"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agent": replace(AGENT, id_number="360112198506151234")}, "agent.id_number"),
        ({"agent": replace(AGENT, phone="1380791000")}, "agent.phone"),
        ({"agent": replace(AGENT, name=" ")}, "agent.name"),
        ({"enterprise": replace(ENTERPRISE, uscc="91360112MA35XJ017Y")}, "enterprise.uscc"),
        ({"materials": {"M99": MaterialInput("received")}}, "materials.M99"),
        ({"outcome": "approve"}, "outcome"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(hall: HallDesk, change: dict[str, object], field: str) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    base = request(item)
    if "outcome" in change:
        req = replace(base, outcome=str(change["outcome"]))
    elif "materials" in change:
        req = replace(base, materials={**base.materials, **change["materials"]})  # type: ignore[dict-item]
    else:
        req = replace(base, **change)  # type: ignore[arg-type]
    before = row_counts(hall)
    with pytest.raises(ValidationError) as err:
        intake.take_application(hall.uow(), clerk, req)
    assert err.value.field == field
    assert row_counts(hall) == before


def test_missing_required_material_cannot_be_accepted(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    hard = next(m for m in item.materials if m.required and not m.tolerable and not m.covered_by)
    before = row_counts(hall)
    with pytest.raises(ValidationError, match="必需材料不齐"):
        intake.take_application(hall.uow(), clerk, request(item, materials={**all_received(item),
                                                                            hard.code: MaterialInput("missing")}))
    assert row_counts(hall) == before


def test_only_counter_staff_take_applications(hall: HallDesk) -> None:
    item = item_with_tolerable(hall)
    with pytest.raises(PermissionDenied):
        intake.take_application(hall.uow(), log_in(hall, "rev_scj"), request(item))


def test_online_import_is_idempotent(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    line = json.dumps({"external_id": "GXZWFW-2026-000123", "item": item.code,
                       "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
                       "agent": {"name": AGENT.name, "id_number": AGENT.id_number, "phone": AGENT.phone},
                       "materials": {m: s.state for m, s in all_received(item).items()}, "outcome": "accept"},
                      ensure_ascii=False)
    first = intake.import_online(hall.uow, clerk, [line, "{bad json"])
    assert first[0][2].startswith("XJ") and "-00-" in first[0][2]
    assert first[1][2].startswith("error:第2行")
    again = intake.import_online(hall.uow, clerk, [line, line])
    assert [r[2] for r in again] == [f"exists:{first[0][2]}"] * 2
    view = cases.read_case(hall.uow(), first[0][2])
    assert (view.channel, view.status, view.external_id) == ("online", "accepted", "GXZWFW-2026-000123")


def test_two_clerks_at_the_same_instant_get_different_numbers(hall: HallDesk, engine_name: str) -> None:
    clerks = [log_in(hall, "clerk1"), log_in(hall, "clerk2"), log_in(hall, "clerk1")]
    item = item_with_tolerable(hall)
    barrier = threading.Barrier(len(clerks))
    results: list[str] = []
    errors: list[BaseException] = []

    def work(actor: object) -> None:
        try:
            barrier.wait()
            results.append(intake.take_application(hall.uow(), actor, request(item)).case_no)  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 3
    assert sorted(r.split("-")[1] for r in results) == ["01", "01", "02"]


STATE = st.sampled_from(["received", "missing", "defective", "tolerated", "waived", "not_submitted", "pending", "bogus"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_input_ever_leaves_a_partial_case(hall: HallDesk, data: st.DataObject) -> None:
    clerk = log_in(hall, "clerk1") if not hasattr(hall, "_clerk") else hall._clerk  # type: ignore[attr-defined]
    hall._clerk = clerk  # type: ignore[attr-defined]
    item = item_with_tolerable(hall)
    materials = {m.code: MaterialInput(data.draw(STATE), note=data.draw(st.sampled_from(["", "缺签章"])))
                 for m in item.materials}
    outcome = data.draw(st.sampled_from(["accept", "correction", "refuse", "immediate"]))
    reason = data.draw(st.sampled_from(["", "申请人不具备申请资格"]))
    due = data.draw(st.none() | st.integers(-3, 30).map(lambda d: today() + timedelta(days=d)))
    req = request(item, outcome, materials=materials, reason=reason, supplement_due=due)
    before = row_counts(hall)
    try:
        view = intake.take_application(hall.uow(), clerk, req)
    except HallDeskError:
        assert row_counts(hall) == before
        return
    after = row_counts(hall)
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + len(item.materials)
    assert after[2] == before[2] + len(view.notices)
    # The stored case as others read it: the same, without the pickup code and slip the taking counter got.
    assert cases.read_case(hall.uow(), view.case_no) == replace(view, pickup_code="", slip="")


def test_the_returned_case_is_the_stored_case(hall: HallDesk) -> None:
    # The view is built from the rows written, not read back: it must be exactly what `case show` reads.
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    tol = next(m for m in item.materials if m.tolerable)
    required = next(m for m in item.materials if m.required and not m.covered_by)
    for req in (request(item), request(item, materials={**all_received(item), tol.code: MaterialInput("tolerated")}),
                request(item, "correction", materials={**all_received(item),
                                                       required.code: MaterialInput("defective", note="缺少签章")}),
                request(item, "refuse", reason=intake.REFUSAL_REASONS[0], enterprise=None)):
        view = intake.take_application(hall.uow(), clerk, req)
        stored = cases.read_case(hall.uow(), view.case_no)
        assert view.pickup_code and view.slip and "pickup_code" not in stored.as_json()
        assert replace(view, pickup_code="", slip="").as_json() == stored.as_json()
        assert view.clerk == stored.clerk and view.notices == stored.notices  # in issue order


def test_edits_of_reference_data_reach_the_next_intake_at_once(hall: HallDesk) -> None:
    # Items, counters, hall settings, holidays and names are cached behind a stamp in the database: every edit
    # bumps it in its own transaction, so the very next intake (on any PC) sees the edit.
    clerk, admin = log_in(hall, "clerk1"), log_in(hall, "admin")
    item = item_with_tolerable(hall)
    first = intake.take_application(hall.uow(), clerk, request(item))
    with hall.uow() as uow:
        stamp = refcache.read_stamp(uow.session)
    log_in(hall, "clerk2")  # a login writes its user row, but nothing an intake caches
    with hall.uow() as uow:
        assert refcache.read_stamp(uow.session) == stamp

    # Hall settings: the hall code starts every case number.
    current = get_hall_settings(hall.uow())
    save_hall_settings(hall.uow(), admin, replace(current, code="XK"))
    with hall.uow() as uow:
        assert refcache.read_stamp(uow.session) > stamp
    assert intake.take_application(hall.uow(), clerk, request(item)).case_no.startswith("XK")

    # Holidays: the promised day becomes a day off, so the next case falls due later.
    assert first.promised_due is not None
    set_override(hall.uow(), admin, first.promised_due, False, "测试")
    later = intake.take_application(hall.uow(), clerk, request(item))
    assert later.promised_due is not None and later.promised_due > first.promised_due

    # The catalog: a longer promised limit, and a material that may now be 容缺.
    guide = catalog.get_item(hall.uow(), item.code)
    hard = next(m for m in guide.materials if m.required and not m.tolerable and not m.covered_by)
    changed = catalog.with_materials(replace(guide.guide, promised_days=guide.promised_days + 5),
                                     [replace(m, tolerable=True) if m.code == hard.code else m for m in guide.materials])
    catalog.update_item(hall.uow(), admin, changed, expected_version=guide.version)
    tolerated = {**all_received(item), hard.code: MaterialInput("tolerated")}
    after = intake.take_application(hall.uow(), clerk, request(item, materials=tolerated))
    assert after.promised_due == _expected_due(hall, item.promised_days + 5)

    # The clerk's name on the receipt, and the counter itself.
    accounts.update_user(hall.uow(), admin, "clerk1", full_name="李新名", role="clerk", dept=None, counter=1,
                         active=True)
    assert intake.take_application(hall.uow(), clerk, request(item)).clerk == "李新名"
    counter = next(c for c in accounts.list_counters(hall.uow()) if c.number == 1)
    accounts.save_counter(hall.uow(), admin, number=1, name=counter.name, kind=counter.kind,
                          printer_uri=counter.printer_uri, active=False)
    with pytest.raises(ValidationError, match="已停用"):
        intake.take_application(hall.uow(), clerk, request(item))


def test_a_rolled_back_edit_leaves_the_stamp(hall: HallDesk) -> None:
    with hall.uow() as uow:
        stamp = refcache.read_stamp(uow.session)
        uow.session.add(Setting(key="test.unsaved", value="{}"))
        uow.session.flush()
        uow.rollback()
    with hall.uow() as uow:
        assert refcache.read_stamp(uow.session) == stamp
        uow.session.add(Setting(key="test.saved", value="{}"))
        uow.commit()
    with hall.uow() as uow:
        assert refcache.read_stamp(uow.session) == stamp + 1


def test_a_write_refused_by_the_database_stores_nothing_and_says_so(hall: HallDesk) -> None:
    # The INSERTs go out together (one round trip on PostgreSQL); a failing one still fails the whole intake with
    # SQLAlchemy's usual exception. Here the case-number sequence is wound back, so the number is taken.
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    first = intake.take_application(hall.uow(), clerk, request(item))
    with hall.uow() as uow:
        uow.session.execute(update(CounterSequence).where(CounterSequence.scope == "case:01")
                            .values(value=CounterSequence.value - 1))
        uow.commit()
    before = row_counts(hall)
    with pytest.raises(IntegrityError):
        intake.take_application(hall.uow(), clerk, request(item))
    assert row_counts(hall) == before
    assert [c.case_no for c in cases.list_cases(hall.uow(), clerk)] == [first.case_no]
    # An online application prints nothing: its notice is the last row written, and its number is taken too.
    online = intake.take_application(hall.uow(), clerk, request(item, channel="online", external_id="W-1"))
    with hall.uow() as uow:
        uow.session.execute(update(CounterSequence).where(CounterSequence.scope == "doc:acceptance:00")
                            .values(value=CounterSequence.value - 1))
        uow.commit()
    before = row_counts(hall)
    with pytest.raises(IntegrityError):
        intake.take_application(hall.uow(), clerk, request(item, channel="online", external_id="W-2"))
    assert row_counts(hall) == before
    assert {c.case_no for c in cases.list_cases(hall.uow(), clerk)} == {first.case_no, online.case_no}


def test_documents_are_encoded_as_documents_encodes_them(hall: HallDesk) -> None:
    # The intake encodes receipts and notices without dataclasses.asdict's deep copies: same JSON, byte for byte.
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    tol = next(m for m in item.materials if m.tolerable)
    view = intake.take_application(hall.uow(), clerk, request(
        item, materials={**all_received(item), tol.code: MaterialInput("tolerated")}))
    receipt = documents.receipt_for_case(view, HallSettings(), output_counter=3, clerk_name="张三")
    notice = documents.notice_for_case(view, "tolerated", "X1", HallSettings(), clerk_name="张三", legal_basis="",
                                       issued_at=view.received_at)
    for doc, encoded in ((receipt, documents.receipt_to_json(receipt)), (notice, documents.notice_to_json(notice))):
        assert json.dumps(intake._plain(doc), ensure_ascii=False) == json.dumps(encoded, ensure_ascii=False)
    with hall.uow() as uow:
        jobs = uow.session.execute(select(PrintJob).where(PrintJob.kind == "notice")).scalars().all()
        issued = {n.id: n.payload for n in uow.session.execute(select(Notice)).scalars()}
    assert jobs and all(job.payload == issued[job.notice_id] for job in jobs)


def test_an_uncommitted_edit_is_seen_by_its_own_transaction_and_shared_with_nobody(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    refcache.clear()
    with hall.uow() as uow:
        s = uow.session
        row = s.get(Setting, "hall")
        assert row is not None
        row.value = json.dumps({**json.loads(row.value), "code": "ZZ"}, ensure_ascii=False)
        s.flush()
        assert refcache.current(s).get(("hall",), lambda: read_settings(s)).code == "ZZ"
        uow.rollback()
    assert intake.take_application(hall.uow(), clerk, request(item)).case_no.startswith("XJ")
