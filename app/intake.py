"""Comprehensive intake (综合受理) at the front desk: one application in, one case out, in one transaction.

The clerk checks the applicant's materials against the item's list and picks an outcome:

* ``accept``     — every required material present (容缺受理 when only tolerable ones are missing);
* ``correction`` — 一次性告知: one notice lists every missing or defective material;
* ``refuse``     — 不予受理, with a reason and its legal basis;
* ``immediate``  — an immediate item (即办件) finished on the spot.

Everything the outcome causes — the case, its materials, its status history, the notices with their
document numbers, the print jobs and the audit row — is written in one unit of work, or nothing is.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app import clocks, files, lifecycle, limits
from app.auth import Actor
from app.cases import CaseView, ItemHeading, build_case_view, case_view, load_case
from app.errors import Conflict, NotFound, ValidationError
from app.hall_settings import HallSettings, load_calendar, local_date, read_settings
from app.infra import keys, outbox, refcache
from app.infra.numbering import case_number, document_number, next_value, next_values
from app.infra.pipeline import one_round_trip
from app.infra.refcache import RefData
from app.inputfiles import json_problem
from app.lifecycle import NEW, Action, Problem, Status
from app.printing import documents, queue
from app.roles import require
from app.uow import UnitOfWork, retry_transient
from app.validators import check_id_number, check_mobile, check_uscc
from app.workdays import WorkCalendar
from db.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Counter,
    Enterprise,
    MaterialRequirement,
    Notice,
    PrintJob,
    ServiceItem,
    User,
    new_id,
)
from db.types import utcnow

OUTCOMES = {"accept": "受理", "correction": "补正", "refuse": "不予受理", "immediate": "即办"}
STATES = lifecycle.MATERIAL_STATES
CORRECTION_NOTICE_DAYS = 5  # 行政许可法第32条: serve the 补正 notice within 5 (working) days of receipt
# Plain tables for the INSERTs of an intake: Core statements skip the ORM's bulk-insert bookkeeping.
_CASE, _MATERIAL, _EVENT, _NOTICE, _JOB, _ENTERPRISE = (
    cast(Table, m.__table__) for m in (Case, CaseMaterial, CaseEvent, Notice, PrintJob, Enterprise))
# Built once: building SQLAlchemy expressions on every intake would cost more than running them.
_INSERTS = {name: table.insert() for name, table in (("case", _CASE), ("materials", _MATERIAL), ("events", _EVENT),
                                                     ("notices", _NOTICE), ("jobs", _JOB))}
_FIND_ENTERPRISE = select(_ENTERPRISE.c.id, _ENTERPRISE.c.name, _ENTERPRISE.c.legal_rep, _ENTERPRISE.c.address).where(
    _ENTERPRISE.c.uscc == bindparam("p_uscc"))
REFUSAL_REASONS = (
    "申请事项依法不需要取得行政许可",
    "申请事项依法不属于本机关职权范围",
    "申请人不具备申请资格",
    "申请材料存在虚假内容",
    "申请人隐瞒有关情况或者提供虚假材料申请行政许可，一年内不得再次申请",
)


@dataclass(frozen=True)
class EnterpriseInput:
    uscc: str
    name: str = ""
    legal_rep: str = ""
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class AgentInput:
    name: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class MaterialInput:
    state: str
    originals: int | None = None
    copies: int | None = None
    electronic: bool = False
    note: str = ""


@dataclass(frozen=True)
class IntakeRequest:
    item: str
    agent: AgentInput
    materials: Mapping[str, MaterialInput]
    outcome: str
    enterprise: EnterpriseInput | None = None
    reason: str = ""
    legal_basis: str = ""
    supplement_due: date | None = None
    channel: str = "window"
    external_id: str | None = None
    received_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The clerk marked every unchecked material 已收 with one key (the counter's 其余全部已收): audited.
    marked_all: bool = False
    # Scanned copies (电子件), already normalised; stored in the intake's own transaction.
    files: Sequence[files.FileInput] = ()


# ---- parsing the CLI / import JSON -----------------------------------------------------------------


def request_from_json(doc: Any) -> IntakeRequest:
    """Build a request from ``case create``'s JSON; every shape problem is a ValidationError naming the field."""
    if not isinstance(doc, dict):
        raise ValidationError("json", "办件 JSON 应为对象")

    def text(obj: Mapping[str, Any], key: str, where: str) -> str:
        value = obj.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValidationError(f"{where}{key}", f"字段 {where}{key} 应为文本")
        return value

    ent = doc.get("enterprise")
    enterprise = None
    if ent is not None:
        if not isinstance(ent, dict):
            raise ValidationError("enterprise", "enterprise 应为对象")
        enterprise = EnterpriseInput(*(text(ent, k, "enterprise.") for k in ("uscc", "name", "legal_rep", "address", "phone")))
    agent = doc.get("agent")
    if not isinstance(agent, dict):
        raise ValidationError("agent", "缺少经办人信息（agent：name、id_number、phone）")
    mats = doc.get("materials", {})
    if not isinstance(mats, dict):
        raise ValidationError("materials", "materials 应为“材料编码: 状态”的对象")
    materials: dict[str, MaterialInput] = {}
    for code, value in mats.items():
        if isinstance(value, str):
            materials[str(code)] = MaterialInput(state=value)
        elif isinstance(value, dict) and isinstance(value.get("state"), str):
            materials[str(code)] = MaterialInput(
                state=value["state"], originals=value.get("originals"), copies=value.get("copies"),
                electronic=bool(value.get("electronic", False)), note=text(value, "note", f"materials.{code}."))
        else:
            raise ValidationError(f"materials.{code}", f"材料 {code} 的状态应为 {'、'.join(STATES)} 之一")
    due = doc.get("supplement_due")
    supplement_due = None
    if due:
        try:
            supplement_due = date.fromisoformat(str(due))
        except ValueError:
            raise ValidationError("supplement_due", f"补交期限日期格式应为 YYYY-MM-DD：{due}") from None
    received = doc.get("received_at")
    received_at = None
    if received:
        try:
            received_at = datetime.fromisoformat(str(received))
        except ValueError:
            raise ValidationError("received_at", f"收件时间格式不正确：{received}") from None
        if received_at.tzinfo is None:
            raise ValidationError("received_at", "收件时间须带时区，如 2026-11-27T09:30:00+08:00")
        if not 2000 <= received_at.year <= 9998:  # far dates cannot be converted to UTC and back
            raise ValidationError("received_at", f"收件时间 {received} 不在合理范围内")
    item = doc.get("item")
    if not isinstance(item, str) or not item:
        raise ValidationError("item", "缺少事项编码（item）")
    outcome = doc.get("outcome", "accept")
    external_id = doc.get("external_id")
    if external_id is not None and not isinstance(external_id, str | int):
        raise ValidationError("external_id", "网上申报编号（external_id）应为文本")
    return IntakeRequest(
        item=item, enterprise=enterprise,
        agent=AgentInput(text(agent, "name", "agent."), text(agent, "id_number", "agent."), text(agent, "phone", "agent.")),
        materials=materials, outcome=str(outcome), reason=text(doc, "reason", ""),
        legal_basis=text(doc, "legal_basis", ""), supplement_due=supplement_due,
        external_id=(str(external_id) if external_id else None), received_at=received_at,
    )


# ---- reference data: cached in this process behind the change stamp (app.infra.refcache) ----------------------


@dataclass(frozen=True)
class MaterialRef:
    code: str
    name: str
    required: bool
    tolerable: bool
    originals: int
    copies: int
    covered_by_id: uuid.UUID | None
    covered_by_name: str


@dataclass(frozen=True)
class ItemRef:
    """A service item with its materials, as an intake needs it."""

    id: uuid.UUID
    code: str
    name: str
    active: bool
    immediate: bool
    legal_basis: str
    legal_days: int
    promised_days: int
    dept_id: uuid.UUID
    dept_code: str
    dept_name: str
    materials: tuple[MaterialRef, ...]
    kind: str = ""  # 行政许可, 公共服务, …


@dataclass(frozen=True)
class CounterRef:
    id: uuid.UUID
    number: int
    active: bool
    printer_uri: str
    a4_printer_uri: str


def _load_item(s: Session, code: str) -> ItemRef | None:
    item = s.execute(
        select(ServiceItem)
        .where(ServiceItem.code == code)
        .options(selectinload(ServiceItem.materials).joinedload(MaterialRequirement.covered_by),
                 joinedload(ServiceItem.department))
    ).scalar_one_or_none()
    if item is None:
        return None
    return ItemRef(
        id=item.id, code=item.code, name=item.name, active=item.active, immediate=item.immediate,
        legal_basis=item.legal_basis, legal_days=item.legal_days, promised_days=item.promised_days,
        dept_id=item.dept_id, dept_code=item.department.code, dept_name=item.department.name,
        materials=tuple(MaterialRef(m.code, m.name, m.required, m.tolerable, m.originals, m.copies, m.covered_by_id,
                                    m.covered_by.name if m.covered_by else "") for m in item.materials),
        kind=item.kind,
    )


def _load_counter(s: Session, number: int) -> CounterRef | None:
    c = s.execute(select(Counter).where(Counter.number == number)).scalar_one_or_none()
    return None if c is None else CounterRef(c.id, c.number, c.active, c.printer_uri, c.a4_printer_uri)


def _output_counter(s: Session) -> int | None:
    return s.execute(
        select(Counter.number).where(Counter.kind == "output", Counter.active.is_(True)).order_by(Counter.number)
    ).scalars().first()


def _user_name(s: Session, user_id: uuid.UUID) -> str | None:
    return s.execute(select(User.full_name).where(User.id == user_id)).scalar_one_or_none()


# ---- checking ----------------------------------------------------------------------------------------


def _check_materials_text(materials: Mapping[str, MaterialInput]) -> None:
    for code, given in materials.items():
        limits.check(limits.MATERIAL_CODE, code, "materials")
        limits.check(limits.MATERIAL_PROBLEM, given.note, f"materials.{code}")


def check_texts(req: IntakeRequest) -> None:
    """The request's text against ``app.limits``: run before anything touches the database.

    The applicant's fields are not checked here: ``request_problems`` reports them, all at once."""
    limits.check_all(
        (limits.ITEM_CODE, req.item, "item"),
        (limits.INTAKE_REASON, req.reason, "reason"),
        (limits.REFUSAL_BASIS, req.legal_basis, "legal_basis"),
        (limits.EXTERNAL_ID, req.external_id, "external_id"),
    )
    _check_materials_text(req.materials)


def _applicant_texts(req: IntakeRequest) -> list[tuple[limits.Limit, str]]:
    ent, agent = req.enterprise, req.agent
    texts = [(limits.AGENT_NAME, agent.name), (limits.AGENT_ID_NUMBER, agent.id_number),
             (limits.AGENT_PHONE, agent.phone)]
    if ent is not None:
        texts += [(limits.USCC, ent.uscc), (limits.ENTERPRISE_NAME, ent.name), (limits.LEGAL_REP, ent.legal_rep),
                  (limits.ENTERPRISE_ADDRESS, ent.address), (limits.ENTERPRISE_PHONE, ent.phone)]
    return texts


def check_applicant_texts(req: IntakeRequest) -> None:
    """Text of the applicant's that cannot be stored is refused before the database (with every problem of the
    applicant's fields, as ``applicant_problems`` finds them)."""
    if any(limit.problem(value) is not None for limit, value in _applicant_texts(req)):
        raise_problems(applicant_problems(req.agent, req.enterprise))


def check_agent_name(name: str, field: str = "agent.name") -> str:
    """The agent's name, trimmed; a ValidationError when it is empty."""
    if not name.strip():
        raise ValidationError(field, "请填写经办人姓名")
    return name.strip()


def _field_problem(limit: limits.Limit, value: str, field: str,
                   check: Callable[[str, str], object] | None = None) -> Problem | None:
    """The first problem of one field: its length and characters (``app.limits``), then its format."""
    message = limit.problem(value)
    if message is None and check is not None:
        try:
            check(value, field)
        except ValidationError as exc:
            message = exc.message
    return None if message is None else Problem(field, message)


def applicant_problems(agent: AgentInput, enterprise: EnterpriseInput | None, *,
                       enterprise_known: bool | None = None) -> list[Problem]:
    """Every problem of the applicant's fields, one per field, in the counter form's order: 统一社会信用代码,
    企业名称 (required when the enterprise is not on record, or the code is wrong), 法定代表人, 住所, 经办人姓名, 身份证号码, 手机号码.

    ``enterprise_known``: whether the USCC's enterprise is on record; None while that is not known (the name
    is then not asked for).  Pure: the counter calls it as the clerk types, the service before it stores."""
    found: list[Problem | None] = []
    if enterprise is not None:
        found.append(_field_problem(limits.USCC, enterprise.uscc, "enterprise.uscc", check_uscc))
        name = _field_problem(limits.ENTERPRISE_NAME, enterprise.name, "enterprise.name")
        if name is None and not enterprise.name.strip():
            if found[-1] is not None:  # no enterprise on record has a wrong code: its name is needed too
                name = Problem("enterprise.name", "请填写企业名称")
            elif enterprise_known is False:
                name = Problem("enterprise.name", "该企业尚未登记：请填写企业名称")
        found += [
            name,
            _field_problem(limits.LEGAL_REP, enterprise.legal_rep, "enterprise.legal_rep"),
            _field_problem(limits.ENTERPRISE_ADDRESS, enterprise.address, "enterprise.address"),
            _field_problem(limits.ENTERPRISE_PHONE, enterprise.phone, "enterprise.phone",
                           check_mobile if enterprise.phone.strip() else None),
        ]
    found += [
        _field_problem(limits.AGENT_NAME, agent.name, "agent.name", check_agent_name),
        _field_problem(limits.AGENT_ID_NUMBER, agent.id_number, "agent.id_number", check_id_number),
        _field_problem(limits.AGENT_PHONE, agent.phone, "agent.phone", check_mobile),
    ]
    return [p for p in found if p is not None]


def request_problems(req: IntakeRequest, *, enterprise_known: bool | None = None,
                     materials: Sequence[lifecycle.MaterialCheck] | None = None, immediate_item: bool = False,
                     item_name: str = "") -> list[Problem]:
    """Everything in the way of ``req``, in the counter form's order: the applicant's fields
    (``applicant_problems``), then — when ``materials`` are given — the materials (``lifecycle.intake_problems``),
    then a refusal's missing reason.  The service refuses with all of them (``ValidationError.problems``)."""
    problems = applicant_problems(req.agent, req.enterprise, enterprise_known=enterprise_known)
    if materials is not None:
        problems += lifecycle.intake_problems(req.outcome, materials, immediate_item=immediate_item,
                                              item_name=item_name)
    if req.files:  # a file belongs to a material handed in (已收 or 有误): the rule of ``files.material_problems``
        names = {m.code: m.name for m in materials or ()}
        states = {code: (names.get(code, code), m.state) for code, m in req.materials.items()}
        for f in req.files:
            problems += [Problem(f"materials.{f.material}", e.message) for e in files.material_problems(states, [f])]
    if req.outcome == "refuse" and not req.reason.strip():
        problems.append(Problem("reason", "不予受理必须写明理由"))
    return problems


def raise_problems(problems: Sequence[Problem]) -> None:
    """A ValidationError on the first of ``problems`` that carries them all; nothing when there are none."""
    if problems:
        raise ValidationError(problems[0].field, problems[0].message,
                              problems=[(p.field, p.message) for p in problems])


@dataclass(frozen=True)
class _Checked:
    item: ItemRef
    states: dict[str, MaterialInput]
    tolerated: bool
    enterprise_row: Any = None  # the request's enterprise as on record (None: unknown, or no enterprise)


def _check_request(s: Session, ref: RefData, req: IntakeRequest, today: date) -> _Checked:
    if req.outcome not in OUTCOMES:
        raise ValidationError("outcome", f"办理结果 {req.outcome} 不正确，可选：{'、'.join(OUTCOMES)}")
    code = req.item.strip().upper()
    item = ref.get(("intake.item", code), lambda: _load_item(s, code))
    if item is None or not item.active:
        raise ValidationError("item", f"事项编码 {req.item} 不存在或已停用")
    by_code = {m.code: m for m in item.materials}
    for code in req.materials:
        if code not in by_code:
            raise ValidationError(f"materials.{code}", f"材料编码 {code} 不属于事项“{item.name}”")
    checks: list[lifecycle.MaterialCheck] = []
    given_of: dict[str, MaterialInput] = {}
    for m in item.materials:
        given = req.materials.get(m.code)
        if given is None:
            # Not listed: a 区域评估 covers it, or nobody checked it (待核验: an error for a required material,
            # 未提交 for an optional one).
            given = MaterialInput(state="waived" if m.covered_by_id else lifecycle.PENDING)
        elif given.state not in STATES:
            raise ValidationError(f"materials.{m.code}", f"材料“{m.name}”的状态 {given.state} 不正确，可选：{'、'.join(STATES)}")
        for count_name in ("originals", "copies"):
            v = getattr(given, count_name)
            if v is not None and (not isinstance(v, int) or v < 0 or v > 99):
                raise ValidationError(f"materials.{m.code}", f"材料“{m.name}”的份数应为0–99")
        given_of[m.code] = given
        checks.append(lifecycle.MaterialCheck(m.code, m.name, m.required, m.tolerable, m.covered_by_id is not None,
                                              given.state, given.note))
    # The enterprise on record, looked up once (and only for a well-formed code): an unknown one needs a name.
    ent = req.enterprise
    found: Any = None
    known: bool | None = None
    if ent is not None and limits.USCC.problem(ent.uscc) is None:
        try:
            uscc = check_uscc(ent.uscc, "enterprise.uscc")
        except ValidationError:
            pass
        else:
            found = s.connection().execute(_FIND_ENTERPRISE, {"p_uscc": uscc}).first()
            known = found is not None
    raise_problems(request_problems(req, enterprise_known=known, materials=checks,
                                    immediate_item=item.immediate, item_name=item.name))
    states = {c.code: replace(given_of[c.code], state=lifecycle.settled_state(c)) for c in checks}
    tolerated = any(g.state == "tolerated" for g in states.values())
    if req.supplement_due is not None and not tolerated:
        raise ValidationError("supplement_due", "没有容缺材料，无需补交期限")
    return _Checked(item=item, states=states, tolerated=tolerated, enterprise_row=found)


@dataclass(frozen=True)
class _EnterpriseRef:
    id: uuid.UUID
    uscc: str
    name: str


def _enterprise(s: Session, data: EnterpriseInput | None, found: Any) -> _EnterpriseRef | None:
    """The case's enterprise: ``found`` (the row ``_check_request`` looked up), or a new one from ``data``."""
    if data is None:
        return None
    uscc = check_uscc(data.uscc, "enterprise.uscc")
    t = _ENTERPRISE
    columns = (t.c.id, t.c.name, t.c.legal_rep, t.c.address)
    if found is None:
        if not data.name.strip():  # request_problems has said so already
            raise ValidationError("enterprise.name", "该企业尚未登记：请填写企业名称")
        fresh_id = new_id()
        fresh = {"id": fresh_id, "uscc": uscc, "name": data.name.strip(), "legal_rep": data.legal_rep.strip(),
                 "address": data.address.strip(),
                 "contact_phone": check_mobile(data.phone, "enterprise.phone") if data.phone else ""}
        try:
            # Two counters may register the same new enterprise at once: the second one uses the first's row.
            with s.begin_nested():
                s.execute(t.insert(), [fresh])
            return _EnterpriseRef(fresh_id, uscc, data.name.strip())
        except IntegrityError:
            found = s.execute(select(*columns).where(t.c.uscc == uscc).with_for_update()).one()
    # A known enterprise fills itself in; what the clerk typed fills gaps only.
    gaps = {}
    if not found.legal_rep and data.legal_rep.strip():
        gaps["legal_rep"] = data.legal_rep.strip()
    if not found.address and data.address.strip():
        gaps["address"] = data.address.strip()
    if gaps:
        s.execute(t.update().where(t.c.id == found.id).values(**gaps))
    return _EnterpriseRef(found.id, uscc, str(found.name))


def lookup_enterprise(uow: UnitOfWork, uscc: str) -> EnterpriseInput | None:
    """The enterprise on record for a USCC (for the counter's fill-in), or None."""
    code = check_uscc(uscc)
    with uow:
        ent = uow.session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
        if ent is None:
            return None
        return EnterpriseInput(ent.uscc, ent.name, ent.legal_rep, ent.address, ent.contact_phone)


# ---- writing -------------------------------------------------------------------------------------------


def _counter_for(s: Session, ref: RefData, actor: Actor, channel: str) -> CounterRef | None:
    if channel == "online":
        return None
    number = actor.counter_number
    if number is None:
        raise ValidationError("counter", "您的账户没有分配窗口，不能在窗口受理：请管理员在用户管理中设置窗口")
    counter = ref.get(("intake.counter", number), lambda: _load_counter(s, number))
    if counter is None:
        raise ValidationError("counter", f"{number}号窗口不存在")
    if not counter.active:
        raise ValidationError("counter", f"{counter.number}号窗口已停用")
    return counter


def _doc_sequence(kind: str, counter_no: int, now: datetime) -> tuple[str, str]:
    """The sequence of ``kind``'s document numbers at a counter, per year."""
    return f"doc:{kind}:{counter_no:02d}", str(local_date(now).year)


def _notice(s: Session, actor: Actor, view: CaseView, kind: str, hall: HallSettings, counter_no: int,
            legal_basis: str, now: datetime, seq: int | None = None,
            issued_at: datetime | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A notice of ``kind`` with its document number (``seq``, else taken now): (the row, its printable content)."""
    year = local_date(now).year
    issued_at = issued_at or now
    if seq is None:
        seq = next_value(s, *_doc_sequence(kind, counter_no, now))
    doc_no = document_number(hall.doc_prefix, kind, year, counter_no, seq)
    content = _plain(documents.notice_for_case(
        view, kind, doc_no, hall, clerk_name=actor.full_name, legal_basis=legal_basis, issued_at=issued_at))
    row = {"id": new_id(), "case_id": view.id, "kind": kind, "doc_no": doc_no, "issued_at": issued_at,
           "issued_by": actor.username, "payload": json.dumps(content, ensure_ascii=False)}
    return row, content


def document_jobs(actor: Actor, view: CaseView, notices: list[tuple[dict[str, Any], dict[str, Any]]],
                  counter: CounterRef | None, hall: HallSettings, output_counter: int | None,
                  clerk_name: str | None) -> list[dict[str, Any]]:
    """Print jobs (as rows) for what the applicant takes home: the receipt and the A4 notices."""
    rows: list[dict[str, Any]] = []
    counter_id = counter.id if counter else None
    if view.status != "refused":
        receipt = documents.receipt_for_case(view, hall, output_counter=output_counter,
                                             clerk_name=clerk_name or actor.full_name)
        rows.append(queue.job_row(kind="receipt", payload=_plain(receipt),
                                  requested_by=actor.username, case_id=view.id, counter_id=counter_id,
                                  printer_uri=counter.printer_uri if counter else ""))
    for row, _ in notices:
        job = queue.job_row(kind="notice", payload={}, notice_id=row["id"], requested_by=actor.username,
                            case_id=view.id, counter_id=counter_id,
                            printer_uri=counter.a4_printer_uri if counter else "")
        job["payload"] = row["payload"]  # the notice as issued, encoded once
        rows.append(job)
    return rows


_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` (what ``documents.*_to_json`` return) without its deep copies: the documents are
    JSON-encoded at once, and ``asdict`` was a tenth of an intake."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELDS.get(kind)
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[kind] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if kind is tuple or kind is list:
        return [_plain(v) for v in value]
    return value


def _material_values(checked: _Checked, supplement_due: date | None) -> list[dict[str, Any]]:
    """Each material's recorded state, in the item's order."""
    by_code = {m.code: m for m in checked.item.materials}
    out = []
    for order, (code, given) in enumerate(checked.states.items()):
        req = by_code[code]
        received = given.state == "received"
        out.append({
            "code": code, "name": req.name, "required": req.required, "state": given.state,
            "originals": given.originals if given.originals is not None else (req.originals if received else 0),
            "copies": given.copies if given.copies is not None else (req.copies if received else 0),
            "electronic": given.electronic, "note": given.note.strip(),
            "assessment": req.covered_by_name if given.state == "waived" else "",
            "supplement_due": supplement_due if given.state == "tolerated" else None, "sort_order": order,
        })
    return out


def _apply_materials(case: Case, checked: _Checked, supplement_due: date | None) -> None:
    existing = {m.code: m for m in case.materials}
    for values in _material_values(checked, supplement_due):
        row = existing.get(values["code"])
        if row is None:
            row = CaseMaterial(id=new_id(), case_id=case.id, code=values["code"], supplemented_at=None)
            case.materials.append(row)
        for key, value in values.items():
            setattr(row, key, value)


def _acceptance(checked: _Checked, req: IntakeRequest, on: datetime, today: date,
                cal: WorkCalendar) -> dict[str, Any]:
    """Acceptance, due dates and the 容缺 deadline (case columns); the acceptance day is ``on``."""
    start = local_date(on)
    promised = cal.add_workdays(start, checked.item.promised_days)
    legal = cal.add_workdays(start, checked.item.legal_days)
    supplement_due = None
    if checked.tolerated:
        due = req.supplement_due or promised.date
        if due <= today:
            raise ValidationError("supplement_due", "补交期限须晚于今天")
        if due > promised.date:
            raise ValidationError("supplement_due",
                                  f"补交期限不能晚于承诺办结日 {promised.date.isoformat()}（容缺补交期限不超过承诺时限）")
        supplement_due = due
    return {"accepted_at": on, "promised_due": promised.date, "legal_due": legal.date,
            "due_provisional": promised.provisional or legal.provisional, "supplement_due": supplement_due}


def _view(c: dict[str, Any], item: ItemRef, counter_no: int | None, clerk: str | None,
          ent: _EnterpriseRef | None, materials: list[dict[str, Any]], notices: list[dict[str, Any]],
          events: list[dict[str, Any]]) -> CaseView:
    """The case as ``case_view`` shows it, built from the rows being written (no reload); the taking counter
    prints the pickup code and slip on the receipt."""
    return build_case_view(
        c, ItemHeading(item.code, item.name, item.kind, item.dept_code, item.dept_name), counter=counter_no,
        clerk=clerk, enterprise=(ent.uscc, ent.name) if ent else None, materials=materials,
        guide={m.code: (m.originals, m.copies) for m in item.materials}, notices=notices, events=events,
        credentials=True,
    )


@retry_transient
def take_application(uow: UnitOfWork, actor: Actor, req: IntakeRequest, *, key_dir: Path | None = None) -> CaseView:
    """The whole intake as one transaction: returns the case as stored, with its pickup code and slip (the
    taking counter prints them on the receipt)."""
    if req.channel not in ("window", "online"):
        raise ValidationError("channel", "渠道应为 window（窗口）或 online（网上）")
    require(actor, "case.import" if req.channel == "online" else "case.intake")
    check_texts(req)
    check_applicant_texts(req)
    req = _with_files(req)
    with uow:
        s = uow.session
        if req.files:
            files.check_case_total(req.files, files.read_limits(s))
        # The case is built as plain rows and written with one plain INSERT per table (several rows per
        # statement), and the view returned is built from those rows: an intake is the hall's hottest write.
        # Reference rows (item, counter, settings, calendar) come from the stamp-checked cache.
        view, rows, jobs, audit_payload = _build_case(uow, actor, req, key_dir)
        conn = s.connection()
        rows["jobs"] = jobs
        with one_round_trip(s):
            for name in ("case", "materials", "events", "notices", "jobs"):
                if rows[name]:
                    conn.execute(_INSERTS[name], rows[name])
        outbox.record(uow, view.id)  # a counter's local store queues the case for the shared database
        if req.files:
            attached = files.attach_rows(s, view.id, actor.username, req.files)
            if isinstance(uow, outbox.CounterUnitOfWork):
                files.queue_upload(s, [r["sha256"] for r in attached])  # after the case: cases first
            audit_payload["files"] = files.audit_payload(attached)
        # Last: the audit chain head stays locked until commit, so it is taken as late as possible.
        uow.audit(actor.username, "case.create", "case", str(view.id), audit_payload)
        uow.commit()
        return view


def _with_files(req: IntakeRequest) -> IntakeRequest:
    """Refuse files for materials not handed in; mark the materials that have files as 电子件 (the receipt and
    the notices say so)."""
    if not req.files:
        return req
    states = {code: (code, m.state) for code, m in req.materials.items()}
    problems = files.material_problems(states, req.files)
    if problems:
        raise problems[0]
    codes = {f.material for f in req.files}
    return replace(req, materials={code: replace(m, electronic=True) if code in codes else m
                                   for code, m in req.materials.items()})


def _build_case(uow: UnitOfWork, actor: Actor, req: IntakeRequest, key_dir: Path | None
                ) -> tuple[CaseView, dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    s = uow.session
    now = utcnow()
    today = local_date(now)
    received_at = req.received_at or now
    if received_at > now:
        raise ValidationError("received_at", "收件时间不能晚于现在")
    ref = refcache.current(s)
    checked = _check_request(s, ref, req, today)
    item = checked.item
    counter = _counter_for(s, ref, actor, req.channel)
    counter_no = counter.number if counter else 0
    hall = ref.get(("hall",), lambda: read_settings(s))
    cal = ref.get(("calendar",), lambda: load_calendar(s))
    ent = _enterprise(s, req.enterprise, checked.enterprise_row)
    yymmdd = local_date(received_at if req.channel == "online" else now).strftime("%y%m%d")
    correction_deadline = cal.add_workdays(local_date(received_at), CORRECTION_NOTICE_DAYS).date
    if req.outcome == "accept":
        notices_kinds = ["acceptance", "tolerated"] if checked.tolerated else ["acceptance"]
    elif req.outcome == "immediate":
        notices_kinds = []
    elif req.outcome == "correction":
        # 行政许可法第32条: too late to ask for corrections — the application counts as accepted (below).
        notices_kinds = ["acceptance"] if today > correction_deadline else ["correction"]
    else:
        notices_kinds = ["refusal"]
    # The case number and every document number in one round trip.
    case_seq = (f"case:{counter_no:02d}", yymmdd)
    numbers = next_values(s, [case_seq, *(_doc_sequence(k, counter_no, now) for k in notices_kinds)])
    seq = numbers[case_seq]
    clerk = ref.get(("user.name", actor.user_id), lambda: _user_name(s, actor.user_id))
    case_id = new_id()
    supplement_due = None
    if checked.tolerated:
        supplement_due = req.supplement_due or cal.add_workdays(today, item.promised_days).date
    c: dict[str, Any] = {
        "id": case_id, "case_no": case_number(hall.code, counter_no, yymmdd, seq), "item_id": item.id,
        "enterprise_id": ent.id if ent else None, "counter_id": counter.id if counter else None,
        "clerk_id": actor.user_id, "agent_name": req.agent.name.strip(),
        "agent_id_number": check_id_number(req.agent.id_number), "agent_phone": check_mobile(req.agent.phone),
        "channel": req.channel, "status": lifecycle.target(Action.ACCEPT, NEW), "received_at": received_at, "accepted_at": None,
        "finished_at": None, "supplement_due": None, "promised_due": None, "legal_due": None,
        "correction_deadline": correction_deadline,
        "pickup_code": f"{secrets.randbelow(10**6):06d}", "external_id": req.external_id, "refusal_reason": "",
        "refusal_basis": "", "deemed_accepted": False, "due_provisional": False, "slip": "", "version": 1,
        "created_at": now, "updated_at": now, "dept_id": item.dept_id, "claim_token": 0, "decision_reason": "",
        "decision_basis": "", "result_docs": "",
    }
    materials = [{"id": new_id(), "case_id": case_id, "supplemented_at": None, **m}
                 for m in _material_values(checked, supplement_due)]
    if req.outcome == "accept":
        c.update(_acceptance(checked, req, now, today, cal))
    elif req.outcome == "immediate":
        c.update(_acceptance(checked, req, now, today, cal))
        c["status"] = lifecycle.target(Action.IMMEDIATE, NEW)
        c["finished_at"] = now
    elif req.outcome == "correction":
        if today > c["correction_deadline"]:
            # 行政许可法第32条: too late to ask for corrections — the application counts as accepted
            # on the day it was received.
            c.update(_acceptance(checked, req, received_at, today, cal))
            c["deemed_accepted"] = True
        else:
            c["status"] = lifecycle.target(Action.CORRECTION, NEW)
            c["refusal_reason"] = req.reason.strip()
    else:
        c["status"] = lifecycle.target(Action.REFUSE, NEW)
        c["refusal_reason"] = req.reason.strip()
        c["refusal_basis"] = req.legal_basis.strip() or documents.default_refusal_basis(item.kind, item.legal_basis)
        c["finished_at"] = now
    if counter is not None:
        c["slip"] = keys.signer_for(s, counter_no, key_dir, ref).sign(c["case_no"], c["pickup_code"])
    events = [{"id": new_id(), "case_id": case_id, "at": now, "actor": actor.username,
               "action": f"intake.{req.outcome}", "from_status": "", "to_status": c["status"],
               "note": "网上申请导入" if req.channel == "online" else ""}]
    draft = _view(c, item, counter.number if counter else None, clerk, ent, materials, [], events)
    # Issued one microsecond apart: a case's notices are listed in issue order (acceptance, then 容缺).
    notices = [_notice(s, actor, draft, k, hall, counter_no, item.legal_basis, now,
                       numbers[_doc_sequence(k, counter_no, now)], now + timedelta(microseconds=i))
               for i, k in enumerate(notices_kinds)]
    notice_rows = [row for row, _ in notices]
    view = _view(c, item, counter.number if counter else None, clerk, ent, materials, notice_rows, events)
    jobs: list[dict[str, Any]] = []
    if req.channel == "window":
        output = ref.get(("intake.output_counter",), lambda: _output_counter(s))
        jobs = document_jobs(actor, view, notices, counter, hall, output, clerk)
    audit_payload = {
        "case_no": c["case_no"], "item": item.code, "outcome": req.outcome, "status": c["status"],
        "channel": req.channel, "tolerated": checked.tolerated, "notices": [n["doc_no"] for n in notice_rows],
        "marked_all": req.marked_all,
    }
    rows = {"case": [c], "materials": materials, "events": events, "notices": notice_rows}
    return view, rows, jobs, audit_payload


@retry_transient
def resubmit(uow: UnitOfWork, actor: Actor, case_no: str, materials: Mapping[str, MaterialInput],
             supplement_due: date | None = None, *, key_dir: Path | None = None,
             scans: Sequence[files.FileInput] = ()) -> CaseView:
    """The applicant is back with the corrections: the case is accepted today (acceptance date = today).

    ``scans``: the corrected materials' scanned copies, stored in the same transaction after the case's earlier
    files.  The new receipt carries the pickup code and slip: the applicant standing at this counter gets them."""
    require(actor, "case.intake")
    limits.check(limits.CASE_NO, case_no, "case_no")
    _check_materials_text(materials)
    with uow:
        s = uow.session
        case = load_case(s, case_no.strip().upper(), lock=True)
        lifecycle.require(Action.RESUBMIT, case.status, case.case_no)
        now = utcnow()
        today = local_date(now)
        merged = {m.code: MaterialInput(m.state, m.originals, m.copies, m.electronic, m.note) for m in case.materials}
        merged.update(materials)
        if scans:
            files.check_more(s, case.id, {m.code: (m.name, merged[m.code].state) for m in case.materials
                                          if m.code in merged}, scans)
            for code in {f.material for f in scans}:
                merged[code] = replace(merged[code], electronic=True)
        req = IntakeRequest(item=case.item.code, agent=AgentInput(case.agent_name, case.agent_id_number, case.agent_phone),
                            materials=merged, outcome="accept", supplement_due=supplement_due)
        ref = refcache.current(s)
        checked = _check_request(s, ref, req, today)
        counter = _counter_for(s, ref, actor, "window")
        counter_no = counter.number if counter else 0
        hall = ref.get(("hall",), lambda: read_settings(s))
        cal = ref.get(("calendar",), lambda: load_calendar(s))
        before = case.status
        supplement = None
        if checked.tolerated:
            supplement = supplement_due or cal.add_workdays(today, checked.item.promised_days).date
        _apply_materials(case, checked, supplement)
        kept = (case.accepted_at, case.legal_due, case.due_provisional, case.paused_promised)
        for key, value in _acceptance(checked, req, now, today, cal).items():
            setattr(case, key, value)
        if before == Status.RETURNED and kept[3] is not None:
            # Back from a 退回补正: the case keeps its acceptance date and its legal due date (that clock never
            # stopped); the promised clock resumes with the working days that were left (app.clocks).
            case.accepted_at, case.legal_due, case.due_provisional, case.paused_promised = kept
            clocks.resume_promised(case, cal, today)
        kinds = ["acceptance", "tolerated"] if checked.tolerated else ["acceptance"]
        after = lifecycle.require(Action.RESUBMIT, before, case.case_no)
        draft = replace(case_view(case, credentials=True), status=after)
        notices = [_notice(s, actor, draft, k, hall, counter_no, checked.item.legal_basis, utcnow()) for k in kinds]
        lifecycle.transition(uow, case, Action.RESUBMIT, actor.username, note="申请人补正后受理",
                             audit={"notices": [row["doc_no"] for row, _ in notices]})
        for row, _ in notices:
            case.notices.append(Notice(**row))
        s.flush()
        view = case_view(case, credentials=True)
        output = ref.get(("intake.output_counter",), lambda: _output_counter(s))
        queue.enqueue(s, document_jobs(actor, view, notices, counter, hall, output,
                                       case.clerk.full_name if case.clerk else None))
        outbox.record(uow, case.id)
        if scans:
            files.add_to_case(uow, case.id, case.case_no, actor.username, scans)
        s.flush()
        view = case_view(load_case(s, case.case_no), credentials=True)
        uow.commit()
        return view


def import_online(uow_factory: Any, actor: Actor, lines: list[str]) -> list[tuple[int, str, str]]:
    """Online applications (JSON lines) into the same queues, idempotent by ``external_id``.

    Returns (line number, external id, result) per line: a case number, ``exists:<case_no>`` or an error.
    Each line is its own transaction: one bad line does not stop the others.
    """
    require(actor, "case.import")
    results: list[tuple[int, str, str]] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            results.append((lineno, "", f"error:第{lineno}行不是有效的 JSON：{json_problem(exc)}"))
            continue
        except (RecursionError, ValueError):  # nested too deep; a number too long to read
            results.append((lineno, "", f"error:第{lineno}行不是有效的 JSON：嵌套层数过多或数字过长"))
            continue
        ext = str(doc.get("external_id") or "") if isinstance(doc, dict) else ""
        if not ext:
            results.append((lineno, "", f"error:第{lineno}行缺少 external_id"))
            continue
        problem = limits.EXTERNAL_ID.problem(ext)
        if problem is not None:
            results.append((lineno, "", f"error:第{lineno}行：{problem}"))
            continue
        with uow_factory() as uow:
            found = uow.session.execute(select(Case.case_no).where(Case.external_id == ext)).scalar_one_or_none()
        if found:
            results.append((lineno, ext, f"exists:{found}"))
            continue
        try:
            req = request_from_json(doc)
            req = IntakeRequest(**{**req.__dict__, "channel": "online"})
            view = take_application(uow_factory(), actor, req)
            results.append((lineno, ext, view.case_no))
        except (ValidationError, NotFound, Conflict) as exc:
            results.append((lineno, ext, f"error:{exc.message}"))
    return results
