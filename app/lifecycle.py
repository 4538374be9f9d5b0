"""The case lifecycle: every status a case can have, every action that moves it, and the one function that moves it.

A case is born at the counter (受理, 补正, 不予受理, 即办), waits in its department's queue, is claimed and decided
in the back office (准予, 不予许可, 退回补正, 转办, 特别程序, 延期), and goes out at the output window (出件); a
broken 容缺 promise or the applicant's withdrawal ends it early (终止办理).  ``TRANSITIONS`` says, for each
action, from which statuses it may be taken and which status it leaves; ``transition`` performs one (status,
version, the history event and the audit row, in the caller's transaction).  The services call it, the GUI
asks ``allowed_actions`` to enable its buttons, and the ``*_problems`` checks say what an action still needs,
for the services and the GUI alike.  tests/test_lifecycle.py walks every (status, action) pair.

The claim on PostgreSQL is one SQL statement (``app.claims``): it takes cases in ``CLAIMABLE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.errors import Conflict
from db.models import Case, CaseEvent, new_id
from db.types import utcnow

if TYPE_CHECKING:
    from app.uow import UnitOfWork


class Status(StrEnum):
    CORRECTION_REQUESTED = "correction_requested"
    REFUSED = "refused"
    ACCEPTED = "accepted"
    COMPLETED_IMMEDIATELY = "completed_immediately"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    SUSPENDED = "suspended"
    APPROVED = "approved"
    DENIED = "denied"
    ISSUED = "issued"
    TERMINATED = "terminated"


STATUS_NAMES: dict[str, str] = {
    Status.CORRECTION_REQUESTED: "待补正",
    Status.REFUSED: "不予受理",
    Status.ACCEPTED: "已受理（待审批）",
    Status.COMPLETED_IMMEDIATELY: "即办办结",
    Status.IN_REVIEW: "审批中",
    Status.RETURNED: "退回补正",
    Status.SUSPENDED: "特别程序中",
    Status.APPROVED: "准予许可",
    Status.DENIED: "不予许可",
    Status.ISSUED: "已出件",
    Status.TERMINATED: "终止办理",
}


class Action(StrEnum):
    """What happens to a case; the value is the history event's ``action``."""

    ACCEPT = "intake.accept"
    CORRECTION = "intake.correction"
    REFUSE = "intake.refuse"
    IMMEDIATE = "intake.immediate"
    RESUBMIT = "intake.resubmit"
    CLAIM = "claim"
    RELEASE = "release"
    RECALL = "recall"
    OPINION = "opinion"
    APPROVE = "decide.approve"
    DENY = "decide.deny"
    RETURN = "decide.return"
    TRANSFER = "decide.transfer"
    SUSPEND = "suspend"
    RESUME = "resume"
    EXTEND = "extend"
    SUPPLEMENT = "supplement"
    REMIND = "remind"
    ISSUE_WINDOW = "issue.window"
    ISSUE_MAIL = "issue.mail"
    TERMINATE = "terminate"


ACTION_NAMES: dict[str, str] = {
    Action.ACCEPT: "受理",
    Action.CORRECTION: "一次性告知补正",
    Action.REFUSE: "不予受理",
    Action.IMMEDIATE: "即办",
    Action.RESUBMIT: "补正后受理",
    Action.CLAIM: "领取",
    Action.RELEASE: "释放回队列",
    Action.RECALL: "收回队列",
    Action.OPINION: "审查意见",
    Action.APPROVE: "准予许可",
    Action.DENY: "不予许可",
    Action.RETURN: "退回补正",
    Action.TRANSFER: "转办",
    Action.SUSPEND: "特别程序",
    Action.RESUME: "恢复办理",
    Action.EXTEND: "延期",
    Action.SUPPLEMENT: "登记补交",
    Action.REMIND: "催补",
    Action.ISSUE_WINDOW: "出件",
    Action.ISSUE_MAIL: "邮寄出件",
    Action.TERMINATE: "终止办理",
}

S = Status
NEW = ""  # the status "before" an intake: the case does not exist yet

# action -> {from status: to status}.  A status an action does not list is one it cannot be taken from.
TRANSITIONS: dict[Action, dict[str, Status]] = {
    Action.ACCEPT: {NEW: S.ACCEPTED},
    Action.CORRECTION: {NEW: S.CORRECTION_REQUESTED},
    Action.REFUSE: {NEW: S.REFUSED},
    Action.IMMEDIATE: {NEW: S.COMPLETED_IMMEDIATELY},
    Action.RESUBMIT: {S.CORRECTION_REQUESTED: S.ACCEPTED, S.RETURNED: S.ACCEPTED},
    # A claim takes a waiting case, or one whose holder's lease ran out (the lease is checked by the claim).
    Action.CLAIM: {S.ACCEPTED: S.IN_REVIEW, S.IN_REVIEW: S.IN_REVIEW},
    Action.RELEASE: {S.IN_REVIEW: S.ACCEPTED},
    Action.RECALL: {S.IN_REVIEW: S.ACCEPTED},
    Action.OPINION: {S.IN_REVIEW: S.IN_REVIEW},
    Action.APPROVE: {S.IN_REVIEW: S.APPROVED},
    Action.DENY: {S.IN_REVIEW: S.DENIED},
    Action.RETURN: {S.IN_REVIEW: S.RETURNED},
    Action.TRANSFER: {S.IN_REVIEW: S.ACCEPTED},
    Action.SUSPEND: {S.IN_REVIEW: S.SUSPENDED},
    Action.RESUME: {S.SUSPENDED: S.IN_REVIEW},
    # 延期 moves the legal due date; the case stays where it is (being reviewed, or waiting in a special
    # procedure).
    Action.EXTEND: {S.ACCEPTED: S.ACCEPTED, S.IN_REVIEW: S.IN_REVIEW, S.SUSPENDED: S.SUSPENDED},
    # 容缺 materials are brought in while the case is anywhere between acceptance and hand-over.
    Action.SUPPLEMENT: {s: s for s in (S.ACCEPTED, S.IN_REVIEW, S.RETURNED, S.SUSPENDED, S.APPROVED, S.DENIED)},
    Action.REMIND: {s: s for s in (S.ACCEPTED, S.IN_REVIEW, S.RETURNED, S.SUSPENDED, S.APPROVED, S.DENIED)},
    Action.ISSUE_WINDOW: {S.APPROVED: S.ISSUED, S.DENIED: S.ISSUED},
    Action.ISSUE_MAIL: {S.APPROVED: S.ISSUED, S.DENIED: S.ISSUED},
    # Before the hand-over only: a result once handed over is the applicant's.
    Action.TERMINATE: {s: S.TERMINATED for s in (S.CORRECTION_REQUESTED, S.ACCEPTED, S.IN_REVIEW, S.RETURNED,
                                                  S.SUSPENDED, S.APPROVED, S.DENIED)},
}

# The queue of a department: waiting, and being reviewed (a run-out lease goes back to the queue).
QUEUE = (S.ACCEPTED, S.IN_REVIEW)
CLAIMABLE = (S.ACCEPTED, S.IN_REVIEW)
ISSUABLE = (S.APPROVED, S.DENIED)
# The promised clock runs: accepted and not yet decided (退回补正 pauses it, 特别程序 pauses both clocks).
CLOCK_RUNNING = (S.ACCEPTED, S.IN_REVIEW)
# Cases whose running dates a change of the working-day calendar moves (a paused clock keeps its days left:
# a 退回补正 case's legal clock runs on, its promise waits).
DATED = (S.ACCEPTED, S.IN_REVIEW, S.CORRECTION_REQUESTED, S.RETURNED)
# Not finished yet.
OPEN = (S.ACCEPTED, S.IN_REVIEW, S.CORRECTION_REQUESTED, S.RETURNED, S.SUSPENDED)
FINISHED = (S.REFUSED, S.COMPLETED_IMMEDIATELY, S.APPROVED, S.DENIED, S.ISSUED, S.TERMINATED)

# 材料流转 (app.transfers): where a window case's paper folder is, as history events that leave the status as it
# is.  A case has a folder to send while it is with the department or decided but not yet handed out.
PAPER_SENT, PAPER_RECEIVED, PAPER_MISSING = "paper.sent", "paper.received", "paper.missing"
PAPER_EVENTS: dict[str, str] = {PAPER_SENT: "纸质材料移交", PAPER_RECEIVED: "纸质材料签收", PAPER_MISSING: "纸质材料未到"}
FOLDER_STATUSES = (S.ACCEPTED, S.IN_REVIEW, S.RETURNED, S.SUSPENDED, S.APPROVED, S.DENIED)


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def target(action: Action, status: str) -> Status | None:
    """The status ``action`` leaves a case of ``status`` in; None when it cannot be taken from there."""
    return TRANSITIONS[action].get(status)


def allowed_actions(status: str) -> frozenset[Action]:
    """What may be done to a case of ``status`` (the GUI enables its buttons by this)."""
    return frozenset(a for a, moves in TRANSITIONS.items() if status in moves)


def refusal(action: Action, status: str) -> str:
    """Why ``action`` cannot be taken from ``status``, in Chinese."""
    if status == NEW:
        return f"办件尚未受理，不能{ACTION_NAMES[action]}"
    return f"办件当前状态为“{status_name(status)}”，不能{ACTION_NAMES[action]}"


def require(action: Action, status: str, case_no: str = "") -> Status:
    """The status after ``action``; refuses (Conflict) when the lifecycle does not allow it."""
    after = target(action, status)
    if after is None:
        raise Conflict((f"办件 {case_no} " if case_no else "") + refusal(action, status))
    return after


@dataclass(frozen=True)
class Moved:
    """One transition as it was recorded."""

    before: str
    after: Status
    at: datetime


def transition(uow: UnitOfWork, case: Case, action: Action, actor: str, *, note: str = "",
               audit: dict[str, Any] | None = None, audit_action: str | None = None,
               at: datetime | None = None) -> Moved:
    """Move ``case`` by ``action`` in ``uow``'s transaction: the status, the version, the history event and the
    audit row (``case.<action>`` unless ``audit_action`` names another; ``audit`` adds to its payload).

    ``audit_action=""``: the caller writes the audit row itself, later in the same transaction, because it
    records what only exists after the move (a hand-over's 签收单 and print job)."""
    before = case.status
    after = require(action, before, case.case_no)
    now = at or utcnow()
    case.status = after
    case.version += 1
    case.events.append(CaseEvent(id=new_id(), case_id=case.id, at=now, actor=actor, action=action.value,
                                 from_status=before, to_status=after, note=note))
    if audit_action != "":
        uow.audit(actor, audit_action or f"case.{action.value.split('.')[-1]}", "case", str(case.id),
                  {"case_no": case.case_no, **(audit or {})})
    return Moved(before, after, now)


# ---- what an action still needs (for the services and the GUI alike) -------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing in the way, on the form's field ``field``."""

    field: str
    message: str


# ---- the counter's materials ------------------------------------------------------------------------------------

# A material's state as the counter records it (the ``state`` of a case's material).  未提交: an optional
# material the applicant did not hand in (printed so, never as 已收).
MATERIAL_STATES: tuple[str, ...] = ("received", "missing", "defective", "tolerated", "waived", "not_submitted")
# 待核验: not checked yet.  Only the counter's checklist (and a material left out of ``case create``'s JSON)
# has it; it is never stored: the counter certifies only what it saw.
PENDING = "pending"
INTAKE_OUTCOMES: dict[str, str] = {"accept": "受理", "correction": "一次性告知补正", "refuse": "不予受理",
                                   "immediate": "即办"}


@dataclass(frozen=True)
class MaterialCheck:
    """One of the item's materials as checked at the counter so far."""

    code: str
    name: str
    required: bool
    tolerable: bool
    covered: bool  # a 区域评估 covers it: it may be 免提交
    state: str  # one of MATERIAL_STATES, or PENDING
    note: str = ""


def material_states(m: MaterialCheck) -> tuple[str, ...]:
    """What the counter may mark this material: 已收; 缺少 if required, else 未提交; 有误; 容缺 only if
    tolerable; 免提交 only if a 区域评估 covers it.  Never back to 待核验: it is where a material starts."""
    states = ["received", "missing" if m.required else "not_submitted", "defective"]
    if m.tolerable:
        states.append("tolerated")
    if m.covered:
        states.append("waived")
    return tuple(states)


def material_state_problem(m: MaterialCheck, state: str) -> str:
    """Why ``m`` may not be marked ``state`` ('' when it may): the counter's keys say it, the service refuses."""
    if state == "tolerated" and not m.tolerable:
        return f"材料“{m.name}”不在可容缺清单内，不能容缺受理"
    if state == "waived" and not m.covered:
        return f"材料“{m.name}”没有区域评估可以免除，不能标为免提交"
    if state == "not_submitted" and m.required:
        return f"材料“{m.name}”是必需材料，不能标为未提交：未带来的请标为缺少"
    if state == "missing" and not m.required:
        return f"材料“{m.name}”不是必需材料：未带来的请标为未提交"
    if state == PENDING:
        return f"材料“{m.name}”已核验，不能改回待核验：请标明已收、缺少或有误"
    if state not in MATERIAL_STATES:
        return f"材料“{m.name}”的状态 {state} 不正确，可选：{'、'.join(MATERIAL_STATES)}"
    return ""


def intake_problems(outcome: str, materials: Sequence[MaterialCheck], *, immediate_item: bool,
                    item_name: str = "") -> list[Problem]:
    """What an intake outcome still lacks: the counter enables its buttons by it, the service refuses on the
    first problem (``app.intake``).

    A required material still 待核验 stops 受理, 即办 and 补正 (the 补正 notice must name everything at once,
    行政许可法第32条); only a refusal, which certifies no material, may leave materials unchecked."""
    if outcome not in INTAKE_OUTCOMES:
        return [Problem("outcome", f"办理结果 {outcome} 不正确，可选：{'、'.join(INTAKE_OUTCOMES)}")]
    problems: list[Problem] = []
    for m in materials:
        field = f"materials.{m.code}"
        if m.state not in MATERIAL_STATES and m.state != PENDING:
            problems.append(Problem(field, f"材料“{m.name}”的状态 {m.state} 不正确，可选：{'、'.join(MATERIAL_STATES)}"))
        elif m.state not in ("missing", PENDING) and (refused := material_state_problem(m, m.state)):
            problems.append(Problem(field, refused))
        elif m.state == "defective" and not m.note.strip():
            problems.append(Problem(field, f"请写明材料“{m.name}”的问题（如：复印件不清晰、缺少签章）"))
    pending = [m for m in materials if m.state == PENDING and m.required]
    if pending and outcome != "refuse":
        names = "、".join(f"“{m.name}”" for m in pending)
        problems.append(Problem(f"materials.{pending[0].code}", f"必需材料{names}尚未核验（未标明收取情况），不能{INTAKE_OUTCOMES[outcome]}："
                                                                "请逐项标明已收、缺少或有误"))
    missing = [m for m in materials if m.required and m.state in ("missing", "defective")]
    defective_any = any(m.state == "defective" for m in materials)
    tolerated = any(m.state == "tolerated" for m in materials)
    if outcome in ("accept", "immediate") and missing:
        names = "、".join(f"“{m.name}”" for m in missing)
        problems.append(Problem("materials", f"必需材料不齐，不能受理：缺少或有误的有{names}。"
                                             "可选择一次性告知补正，或对可容缺材料容缺受理"))
    if outcome == "immediate":
        if not immediate_item:
            problems.append(Problem("outcome", f"“{item_name}”不是即办件，不能当场办结"))
        if tolerated:
            problems.append(Problem("materials", "即办件须材料齐全，不能容缺"))
    if outcome == "correction":
        if not missing and not defective_any:
            problems.append(Problem("outcome", "没有缺少或有误的材料，无需补正：请直接受理"))
        if tolerated:
            problems.append(Problem("materials", "补正时不能同时容缺：请把容缺材料一并列入补正或改为容缺受理"))
    return problems


def settled_state(m: MaterialCheck) -> str:
    """The state stored for a checked material: what was not handed in and is not demanded is 未提交."""
    if m.state == PENDING or (m.state == "missing" and not m.required):
        return "not_submitted"
    return m.state


DECISIONS: dict[str, Action] = {"approve": Action.APPROVE, "deny": Action.DENY, "return": Action.RETURN,
                                "transfer": Action.TRANSFER}
DECISION_NAMES: dict[str, str] = {key: ACTION_NAMES[action] for key, action in DECISIONS.items()}


SEAL_REQUIRED_MESSAGE = ("本部门规定行政许可决定书须加盖审批专用章：请选择“加盖审批专用章”（命令行 --seal），"
                         "审批人员须先经首席代表授权本办件用章（决定未保存）")


def seal_required(item_kind: str, licence_seal: bool) -> bool:
    """Whether a decision on an item of ``item_kind`` must bear the 审批专用章: the department's setting
    决定书须加盖审批专用章 (``licence_seal``) binds its 行政许可 decisions."""
    return licence_seal and item_kind == "行政许可"


def decision_problems(decision: str, *, reason: str, legal_basis: str = "", transfer_to: str | None = None,
                      seal: bool = False, needs_seal: bool = False) -> list[Problem]:
    """What a back-office decision lacks: every decision states its reasons (审查意见); a denial its legal
    basis (行政许可法第38条); a 转办 its receiving department; only 准予 and 不予许可 bear the seal, and they must
    when ``needs_seal`` (``seal_required``)."""
    if not decision:
        return [Problem("decision", f"请选择决定：{'、'.join(DECISION_NAMES.values())}")]
    if decision not in DECISIONS:
        return [Problem("decision", f"决定 {decision} 不正确，可选：{'、'.join(DECISIONS)}")]
    problems = []
    if not reason.strip():
        problems.append(Problem("reason", f"{DECISION_NAMES[decision]}须写明理由（审查意见）"))
    if decision == "deny" and not legal_basis.strip():
        problems.append(Problem("legal_basis", "不予许可须写明法律依据（行政许可法第三十八条）"))
    if decision == "transfer" and not (transfer_to or "").strip():
        problems.append(Problem("transfer_to", "转办须指定接收部门"))
    if seal and decision not in ("approve", "deny"):
        problems.append(Problem("seal", "只有准予或不予许可的决定才加盖审批专用章"))
    if needs_seal and not seal and decision in ("approve", "deny"):
        problems.append(Problem("seal", SEAL_REQUIRED_MESSAGE))
    return problems


# ---- the clocks: 特别程序 (行政许可法第45条) and 延期 (第42条) --------------------------------------------------

# The procedures whose time the law does not count (第45条), and nothing else: 退回补正 is not one of them.
PROCEDURES: tuple[str, ...] = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审")
MAX_EXTENSION_DAYS = 10  # 第42条: 二十日内不能作出决定的，经本行政机关负责人批准，可以延长十日
EXTENDABLE_KIND = "行政许可"


def suspend_problems(procedure: str, reason: str) -> list[Problem]:
    """What a 特别程序 lacks: one of the procedures of 第45条, and the reason told to the applicant."""
    problems = []
    if procedure not in PROCEDURES:
        problems.append(Problem("procedure", f"特别程序只能是：{'、'.join(PROCEDURES)}（行政许可法第四十五条）"))
    if not reason.strip():
        problems.append(Problem("reason", "特别程序须写明理由（将书面告知申请人）"))
    return problems


def extension_problems(days: int, approver: str, reason: str, *, item_kind: str | None = None,
                       extended_days: int = 0) -> list[Problem]:
    """What a 延期 lacks (第42条): 1–10 working days, the approving head, the reason told to the applicant; only
    行政许可 items, and only once per case (``item_kind`` and ``extended_days`` when the case is known)."""
    problems = []
    if item_kind is not None and item_kind != EXTENDABLE_KIND:
        problems.append(Problem("item", f"只有行政许可事项可以延期（行政许可法第四十二条），本事项为{item_kind}"))
    if extended_days:
        problems.append(Problem("days", f"本办件已延期{extended_days}个工作日：依法只能延期一次"))
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        problems.append(Problem("days", f"延期天数须为1至{MAX_EXTENSION_DAYS}个工作日（行政许可法第四十二条）"))
    if not approver.strip():
        problems.append(Problem("approver", "延期须经本行政机关负责人批准：请填写批准人"))
    if not reason.strip():
        problems.append(Problem("reason", "延期须写明理由（将告知申请人）"))
    return problems
