"""The case lifecycle (app/lifecycle.py) walked through the services, on every engine.

For every status a case can be in and every action the services take on an existing case, the action is taken
through its service: where ``TRANSITIONS`` allows it the case ends in the documented status, everywhere else the
service refuses with a clear Chinese message and the case is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import cases, claims, clock_actions, decisions, intake, lifecycle, output, tolerate
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from app.intake import MaterialInput
from app.lifecycle import NEW, Action, Status
from db.models import AuditEvent, Case
from db.types import utcnow
from tests.conftest import log_in
from tests.intake_support import all_received, immediate_item, request
from tests.test_output import _scj_item

REASON = "材料齐全，符合法定条件"
BASIS = "《中华人民共和国行政许可法》第三十八条"


@dataclass
class World:
    hall: HallDesk
    actors: dict[str, Actor]

    def actor(self, name: str) -> Actor:
        if name not in self.actors:
            self.actors[name] = log_in(self.hall, name)
        return self.actors[name]

    def take(self, outcome: str = "accept") -> cases.CaseView:
        """A 容缺 case of the SCJ back office taken at counter 1 (so that supplements apply)."""
        item = _scj_item(self.hall, tolerable=True)
        if outcome == "immediate":
            item = immediate_item(self.hall)
            return intake.take_application(self.hall.uow(), self.actor("clerk1"), request(item, "immediate"))
        code = next(m.code for m in item.materials if m.tolerable)
        materials = {**all_received(item), code: MaterialInput("tolerated")}
        if outcome == "correction":
            required = next(m for m in item.materials if m.required and not m.covered_by and m.code != code)
            materials = {**all_received(item), required.code: MaterialInput("missing")}
        reason = intake.REFUSAL_REASONS[0] if outcome == "refuse" else ""
        return intake.take_application(self.hall.uow(), self.actor("clerk1"),
                                       request(item, outcome, materials=materials, reason=reason))

    def decide(self, case_no: str, decision: str) -> None:
        claim = claims.claim(self.hall.uow(), self.actor("rev_scj"), case_no)
        decisions.decide(self.hall.uow(), self.actor("rev_scj"), case_no, decision, token=claim.token,
                          reason=REASON, legal_basis=BASIS if decision == "deny" else "",
                          transfer_to="ZJJ" if decision == "transfer" else None)

    def force(self, case_no: str, status: Status) -> None:
        """A status whose service another part of the issue builds: set as that service leaves it."""
        holder = self.actor("rev_scj").user_id if status == Status.SUSPENDED else None
        with self.hall.uow() as uow:
            uow.session.execute(update(Case).where(Case.case_no == case_no).values(status=status, holder_id=holder))
            uow.commit()

    def make(self, status: Status) -> tuple[str, str]:
        """A case in ``status``; returns its number and its slip (for a hand-over)."""
        outcome = {Status.CORRECTION_REQUESTED: "correction", Status.REFUSED: "refuse",
                   Status.COMPLETED_IMMEDIATELY: "immediate"}.get(status, "accept")
        view = self.take(outcome)
        no = view.case_no
        if status == Status.IN_REVIEW:
            claims.claim(self.hall.uow(), self.actor("rev_scj"), no)
        elif status in (Status.RETURNED, Status.APPROVED, Status.DENIED):
            self.decide(no, {Status.RETURNED: "return", Status.APPROVED: "approve", Status.DENIED: "deny"}[status])
        elif status == Status.ISSUED:
            self.decide(no, "approve")
            supplement(self, no)
            output.issue(self.hall.uow(), self.actor("clerk3"), slip=view.slip)
        elif status == Status.SUSPENDED:
            claims.claim(self.hall.uow(), self.actor("rev_scj"), no)
            clock_actions.suspend(self.hall.uow(), self.actor("rev_scj"), no, "检验", "需送检样品")
        elif status == Status.TERMINATED:
            self.force(no, status)
        assert cases.read_case(self.hall.uow(), no).status == status
        return no, view.slip


def supplement(w: World, case_no: str) -> None:
    view = cases.read_case(w.hall.uow(), case_no)
    for m in view.materials:
        if m.state == "tolerated" and m.supplemented_at is None:
            output.record_supplement(w.hall.uow(), w.actor("clerk3"), case_no, m.code)


def _issue(mail: bool) -> Callable[[World, str, str], None]:
    def perform(w: World, no: str, slip: str) -> None:
        if cases.read_case(w.hall.uow(), no).status == Status.APPROVED:
            supplement(w, no)  # the department's rule: no certificate before the 容缺 supplements
        mailing = output.Mailing("李娜", "13807910002", "江西省南昌市新建区长堎大道8号", "1234567890123") if mail else None
        output.issue(w.hall.uow(), w.actor("clerk3"), slip=slip, mail=mailing)
    return perform


def _held(decision: str) -> Callable[[World, str, str], None]:
    def perform(w: World, no: str, _slip: str) -> None:
        decisions.decide(w.hall.uow(), w.actor("rev_scj"), no, decision, reason=REASON,
                          legal_basis=BASIS if decision == "deny" else "",
                          transfer_to="ZJJ" if decision == "transfer" else None)
    return perform


def _claim_after_the_lease(w: World, no: str) -> None:
    """A case under review is claimed again once its holder's lease ran out (a PC died): let it run out."""
    with w.hall.uow() as uow:
        uow.session.execute(update(Case).where(Case.case_no == no, Case.status == Status.IN_REVIEW)
                            .values(lease_until=utcnow() - timedelta(minutes=1)))
        uow.commit()
    claims.claim(w.hall.uow(), w.actor("chief_scj"), no)


def _first_tolerated(w: World, no: str) -> str:
    """The case's 容缺 material (a case taken otherwise has none: any material, which the service refuses)."""
    materials = cases.read_case(w.hall.uow(), no).materials
    return next((m.code for m in materials if m.state == "tolerated"), materials[0].code)


# How each action on an existing case is taken through its service.
PERFORMERS: dict[Action, Callable[[World, str, str], object]] = {
    Action.RESUBMIT: lambda w, no, _: intake.resubmit(w.hall.uow(), w.actor("clerk1"), no, {
        m.code: MaterialInput("waived" if m.covered_by else "received")
        for m in _scj_item(w.hall, tolerable=True).materials}),
    Action.CLAIM: lambda w, no, _: _claim_after_the_lease(w, no),
    Action.RELEASE: lambda w, no, _: claims.release(w.hall.uow(), w.actor("chief_scj"), no),
    Action.OPINION: lambda w, no, _: decisions.add_opinion(w.hall.uow(), w.actor("rev_scj"), no, "拟准予"),
    Action.APPROVE: _held("approve"),
    Action.DENY: _held("deny"),
    Action.RETURN: _held("return"),
    Action.TRANSFER: _held("transfer"),
    Action.SUSPEND: lambda w, no, _: clock_actions.suspend(w.hall.uow(), w.actor("rev_scj"), no, "专家评审",
                                                           "需组织专家评审"),
    Action.RESUME: lambda w, no, _: clock_actions.resume(w.hall.uow(), w.actor("chief_scj"), no),
    Action.EXTEND: lambda w, no, _: clock_actions.extend(w.hall.uow(), w.actor("rev_scj"), no, 5, "李局长",
                                                         "需现场核查"),
    Action.SUPPLEMENT: lambda w, no, _: output.record_supplement(w.hall.uow(), w.actor("clerk3"), no,
                                                                 _first_tolerated(w, no)),
    Action.ISSUE_WINDOW: _issue(mail=False),
    Action.ISSUE_MAIL: _issue(mail=True),
    Action.REMIND: lambda w, no, _: tolerate.remind(w.hall.uow(), w.actor("chief_scj"), no),
    Action.TERMINATE: lambda w, no, _: tolerate.terminate(w.hall.uow(), w.actor("chief_scj"), no, "申请人书面申请撤回",
                                                          withdrawn=True),
}
# Taken on cases that do not exist yet (intake), or inside another service (a recall moves a user's cases).
ELSEWHERE = {Action.ACCEPT, Action.CORRECTION, Action.REFUSE, Action.IMMEDIATE, Action.RECALL}


def _state(hall: HallDesk, no: str) -> tuple[str, int]:
    with hall.uow() as uow:
        row = uow.session.execute(select(Case.status, Case.version).where(Case.case_no == no)).one()
        return row[0], row[1]


def test_every_status_and_action_through_the_services(hall: HallDesk) -> None:
    w = World(hall, {})
    made = {status: w.make(status) for status in Status}
    wrong: list[str] = []
    for action, perform in PERFORMERS.items():
        for status in Status:
            after = lifecycle.target(action, status)
            no, slip = w.make(status) if after is not None else made[status]
            before = _state(hall, no)
            try:
                perform(w, no, slip)
            except HallDeskError as exc:
                if after is not None:
                    wrong.append(f"{action} from {status}: allowed, refused: {exc.message}")
                elif _state(hall, no) != before:
                    wrong.append(f"{action} from {status}: refused, but the case changed")
                elif not any("\u4e00" <= ch <= "\u9fff" for ch in exc.message):
                    wrong.append(f"{action} from {status}: refused without a Chinese message: {exc.message}")
                continue
            if after is None:
                wrong.append(f"{action} from {status}: not in the table, but done")
            elif _state(hall, no)[0] != after:
                wrong.append(f"{action} from {status}: ended {_state(hall, no)[0]}, the table says {after}")
    assert not wrong, "\n".join(wrong)


def test_intake_outcomes_are_the_tables(hall: HallDesk) -> None:
    w = World(hall, {})
    for outcome, action in (("accept", Action.ACCEPT), ("correction", Action.CORRECTION), ("refuse", Action.REFUSE),
                            ("immediate", Action.IMMEDIATE)):
        view = w.take(outcome)
        assert view.status == lifecycle.target(action, NEW)
        assert [(e.action, e.from_status, e.to_status) for e in view.history] == [(action.value, "", view.status)]


def test_the_table_names_every_status_and_action() -> None:
    assert set(lifecycle.STATUS_NAMES) == set(Status)
    assert set(lifecycle.ACTION_NAMES) == set(Action)
    for action, moves in lifecycle.TRANSITIONS.items():
        assert set(moves) <= {NEW, *Status} and set(moves.values()) <= set(Status), action
    # Every status but the finished ones can be left; a handed-over result is the applicant's for good.
    assert lifecycle.allowed_actions(Status.ISSUED) == frozenset()
    assert Action.TERMINATE not in lifecycle.allowed_actions(Status.ISSUED)
    with pytest.raises(HallDeskError, match="已出件"):
        lifecycle.require(Action.TERMINATE, Status.ISSUED, "XJ261207-01-0001")


def test_a_move_writes_status_version_event_and_audit_in_one_place(hall: HallDesk) -> None:
    w = World(hall, {})
    no, _ = w.make(Status.ACCEPTED)
    with hall.uow() as uow:
        case = uow.session.execute(select(Case).where(Case.case_no == no)).scalar_one()
        version = case.version
        moved = lifecycle.transition(uow, case, Action.CLAIM, "rev_scj", note="token 1", audit={"token": 1})
        uow.commit()
    assert (moved.before, moved.after) == (Status.ACCEPTED, Status.IN_REVIEW)
    view = cases.read_case(hall.uow(), no)
    assert view.status == Status.IN_REVIEW and view.history[-1].action == "claim"
    with hall.uow() as uow:
        assert uow.session.execute(select(Case.version).where(Case.case_no == no)).scalar_one() == version + 1
        audit = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "case.claim")
                                    .order_by(AuditEvent.at.desc())).scalars().first()
        assert audit is not None and no in audit.payload
    assert utcnow() >= moved.at


def test_the_seal_rule_is_one_rule_for_the_dialog_and_the_service() -> None:
    """决定书须加盖审批专用章 binds 行政许可 decisions only, and only 准予 and 不予许可."""
    assert lifecycle.seal_required("行政许可", True)
    assert not lifecycle.seal_required("行政许可", False) and not lifecycle.seal_required("公共服务", True)
    for decision in ("approve", "deny"):
        problems = lifecycle.decision_problems(decision, reason="理由", legal_basis="依据", needs_seal=True)
        assert [p.field for p in problems] == ["seal"] and problems[0].message == lifecycle.SEAL_REQUIRED_MESSAGE
        assert lifecycle.decision_problems(decision, reason="理由", legal_basis="依据", seal=True,
                                           needs_seal=True) == []
    assert lifecycle.decision_problems("return", reason="理由", needs_seal=True) == []
