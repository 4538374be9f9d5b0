"""The receipt first, at once (issue 15): thermal slips before A4 notices, and printers that never answer a
status query remembered instead of waited for on every job.

Real parts throughout: ESC/POS and PDF bytes to a TCP printer on 127.0.0.1 (``tests.support.fake_printer``),
decoded.  What happened is read from the printer's side — the order of its connections and the ``DLE EOT``
queries it got — never from how long something took.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import accounts, intake
from app.cases import CaseView
from app.context import HallDesk
from app.printing import desk, queue, transport
from app.printing.model import PrinterProfile
from app.printing.transport import RECHECK_JOBS, PrinterError, StatusMemory, send
from tests.conftest import log_in
from tests.intake_support import all_received, item_with_tolerable, request
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(120)
JOB = b"\x1b@HallDesk\n"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fresh status memory that re-checks every 3rd job or after an hour, on a hand-moved clock."""
    clock = Clock()
    monkeypatch.setattr(transport, "STATUS_MEMORY", StatusMemory(recheck_jobs=3, recheck_seconds=3600, clock=clock))
    return clock


@pytest.fixture
def silent(short_status_wait: None) -> Iterator[FakePrinter]:
    with FakePrinter(silent=True) as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake
    assert fake.errors == []


def queries(fake: FakePrinter) -> list[list[int]]:
    """The DLE EOT queries of each connection so far."""
    return [record.status_queries for record in fake.records]


# ---- the transport: which printers are asked -------------------------------------------------------------


def test_a_printer_that_never_answers_is_asked_once_then_remembered(silent: FakePrinter) -> None:
    assert RECHECK_JOBS >= 20  # the documented rule: a re-check costs one wait in many jobs, not in every few
    for _ in range(3):
        send(silent.uri, JOB)
    assert silent.wait_for_jobs(3) == [JOB] * 3
    assert queries(silent) == [[4], [], []]  # only the first job waited for an answer that never came
    assert transport.STATUS_MEMORY.is_silent(silent.uri)


def test_a_silent_printer_is_asked_again_on_every_nth_job(clock: Clock, silent: FakePrinter) -> None:
    for _ in range(7):
        send(silent.uri, JOB)
    silent.wait_for_jobs(7)
    assert queries(silent) == [[4], [], [], [4], [], [], [4]]


def test_a_silent_printer_is_asked_again_once_the_time_has_passed(clock: Clock, silent: FakePrinter) -> None:
    send(silent.uri, JOB)
    clock.now += 3599
    send(silent.uri, JOB)
    clock.now += 1
    send(silent.uri, JOB)
    send(silent.uri, JOB)
    silent.wait_for_jobs(4)
    assert queries(silent) == [[4], [], [4], []]


def test_a_printer_that_answers_at_the_recheck_is_asked_before_every_job_again(
    clock: Clock, silent: FakePrinter
) -> None:
    for _ in range(3):
        send(silent.uri, JOB)
    silent.silent = False  # e.g. its interface board was replaced
    for _ in range(3):
        send(silent.uri, JOB)
    silent.wait_for_jobs(6)
    assert queries(silent) == [[4], [], [], [4, 2], [4, 2], [4, 2]]
    assert not transport.STATUS_MEMORY.is_silent(silent.uri)


def test_a_failed_send_makes_a_silent_printer_asked_again(clock: Clock, silent: FakePrinter) -> None:
    send(silent.uri, JOB)
    silent.mode = "refuse"
    with pytest.raises(PrinterError) as info:
        send(silent.uri, JOB)
    assert info.value.kind == "refused"
    silent.mode = "ok"
    send(silent.uri, JOB)
    send(silent.uri, JOB)
    silent.wait_for_jobs(3)
    assert queries(silent) == [[4], [4], []]  # the printer that came back might be another one


def test_every_job_asks_a_printer_that_answers_so_paper_out_is_caught(printer: FakePrinter) -> None:
    for _ in range(3):
        send(printer.uri, JOB)
    printer.mode = "paper_out"
    with pytest.raises(PrinterError) as info:
        send(printer.uri, JOB)
    assert info.value.kind == "paper_out" and "缺纸" in info.value.message
    assert printer.wait_for_jobs(4) == [JOB, JOB, JOB, b""]  # nothing of the fourth job was sent
    assert queries(printer) == [[4, 2], [4, 2], [4, 2], [4]]
    assert not transport.STATUS_MEMORY.is_silent(printer.uri)


# ---- the queue: receipt first, memory kept per printer -----------------------------------------------------


def _accept(hall: HallDesk) -> CaseView:
    item = item_with_tolerable(hall)
    return intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))


def _jobs(hall: HallDesk, case_no: str) -> dict[str, queue.JobView]:
    return {j.kind: j for j in queue.list_jobs(hall.uow(), case_no=case_no)}


def test_the_receipt_goes_out_before_the_a4_notice_and_a_silent_printer_is_not_waited_for_twice(
    hall: HallDesk, silent: FakePrinter
) -> None:
    # One printer for both, so its connections are the order of sending (the notice as raw PDF over TCP).
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 1, silent.uri, silent.uri)
    first, second = _accept(hall), _accept(hall)
    assert _jobs(hall, first.case_no)["notice"].printer == silent.uri
    for view in (first, second):
        jobs = queue.send_case_jobs(hall.uow, view.case_no)
        assert {j.kind: j.status for j in jobs} == {"receipt": "printed", "notice": "printed"}
    data = silent.wait_for_jobs(4)
    for view, receipt, notice in ((first, data[0], data[1]), (second, data[2], data[3])):
        assert view.case_no in decode(receipt).text and decode(receipt).qr_codes == [view.slip]
        assert notice.startswith(b"%PDF")
    # The first receipt asked once and got no answer; the second did not ask; PDFs are never asked about.
    assert queries(silent) == [[4], [], [], []]


def test_the_print_worker_sends_receipts_before_notices(hall: HallDesk, printer: FakePrinter) -> None:
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 1, printer.uri, printer.uri)
    views = [_accept(hall), _accept(hall)]
    sent = queue.process_due(hall.uow, 1)
    assert [j.kind for j in sent] == ["receipt", "receipt", "notice", "notice"]
    assert all(j.status == "printed" for j in sent)
    data = printer.wait_for_jobs(4)
    assert [v.case_no in decode(d).text for v, d in zip(views, data[:2], strict=True)] == [True, True]
    assert all(d.startswith(b"%PDF") for d in data[2:])
    assert queries(printer) == [[4, 2], [4, 2], [], []]  # it answers: asked before every receipt


def test_send_slips_now_sends_only_the_receipt(hall: HallDesk, printer: FakePrinter) -> None:
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 1, printer.uri, printer.uri)
    view = _accept(hall)
    [job] = queue.send_slips_now(hall.uow, view.id)
    assert (job.kind, job.status) == ("receipt", "printed")
    [data] = printer.wait_for_jobs(1)
    assert view.case_no in decode(data).text
    assert _jobs(hall, view.case_no)["notice"].status == "pending"  # sent next, by send_case_jobs
    assert queue.send_slips_now(hall.uow, view.id) == []  # printed once only
    assert [j.kind for j in queue.send_case_jobs(hall.uow, view.case_no) if j.status == "printed"] == [
        "notice", "receipt"]  # newest first
    assert len(printer.wait_for_jobs(2)) == 2


def test_paper_out_at_a_printer_that_answers_keeps_the_receipt_waiting(hall: HallDesk, printer: FakePrinter) -> None:
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 1, printer.uri, "")
    first = _accept(hall)
    assert queue.send_slips_now(hall.uow, first.id)[0].status == "printed"
    printer.mode = "paper_out"
    second = _accept(hall)
    [job] = queue.send_slips_now(hall.uow, second.id)
    assert job.status == "pending" and "缺纸" in job.last_error and job.attempts == 1
    printer.mode = "ok"
    queue.retry_job(hall.uow(), log_in(hall, "clerk1"), job.id)
    assert queue.send_job(hall.uow, job.id).status == "printed"
    data = printer.wait_for_jobs(3)
    assert data[1] == b"" and second.case_no in decode(data[2]).text  # printed once, after the paper came
    assert queries(printer) == [[4, 2], [4], [4, 2]]


def test_setting_up_a_printer_makes_it_asked_again(hall: HallDesk, silent: FakePrinter) -> None:
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 1, silent.uri, "")
    for _ in range(2):
        queue.send_slips_now(hall.uow, _accept(hall).id)
    desk.save_profile(hall.uow(), log_in(hall, "admin"), silent.uri, PrinterProfile(paper_mm=58))
    queue.send_slips_now(hall.uow, _accept(hall).id)
    silent.wait_for_jobs(3)
    assert queries(silent) == [[4], [], [4]]
