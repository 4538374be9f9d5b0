"""The unified output window (统一窗口出件): find a decided case by its slip or pickup code, and hand it over.

The applicant proves the right to collect with the signed QR slip (checked by signature alone, so it works
from the cached keys when the network is down) or with the case number and the 6-digit pickup code.  Wrong
pickup codes are counted per case; after ``PICKUP_MAX_TRIES`` in a row the case is locked until a supervisor
unlocks it, so a code cannot be guessed.  Every refused slip is logged in the audit trail.

A hand-over is one ``Handover`` row per case (a unique key, so two windows can never both hand it over), the
status ``issued``, the 出件签收单 (A4 notice row + thermal print job) for a collection at the window, or the EMS
address and tracking number for a mailing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import lifecycle, limits, slips
from app.auth import Actor
from app.backoffice import read_dept_settings
from app.cases import CaseMaterialView, CaseView, case_query, case_view, load_case
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import HALL_TZ, local_date, read_settings
from app.infra import keys
from app.infra.numbering import document_number, next_value
from app.lifecycle import Action, Status
from app.printing import documents, queue
from app.roles import require
from app.uow import UnitOfWork
from app.validators import check_id_number, check_mobile, mask_id_number, mask_name, mask_phone
from db.models import Case, Counter, Handover, Notice, User, new_id
from db.types import utcnow

PICKUP_MAX_TRIES = 5
ISSUABLE: tuple[str, ...] = lifecycle.ISSUABLE
T = TypeVar("T")
METHODS = {"window": "窗口领取", "mail": "EMS邮寄"}
# China Post EMS numbers: the international style (EA123456789CN) or 13 digits.
_TRACKING_RE = re.compile(r"^(?:[A-Z]{2}\d{9}[A-Z]{2}|\d{13})$")


# ---- what the window works with ---------------------------------------------------------------------


@dataclass(frozen=True)
class Collector:
    """Who takes the result at the window.  ``None`` in a call means the agent on record."""

    name: str
    id_number: str
    by_proxy: bool = False  # not the agent on record: a 委托书 was checked
    proxy_note: str = ""


@dataclass(frozen=True)
class Mailing:
    """An EMS mailing of the result instead of a collection at the window."""

    recipient: str
    phone: str
    address: str
    tracking_no: str


@dataclass(frozen=True)
class HandoverView:
    at: datetime
    method: str
    credential: str
    collector_name: str
    collector_id_number: str
    by_proxy: bool
    proxy_note: str
    mail_recipient: str
    mail_phone: str
    mail_address: str
    tracking_no: str
    result_docs: str
    clerk: str | None
    counter: int | None

    @property
    def method_name(self) -> str:
        return METHODS.get(self.method, self.method)

    @property
    def delivery(self) -> str:
        """As printed on the 签收单: 窗口领取, 窗口领取（委托代领）, EMS邮寄（单号 …）."""
        if self.method == "mail":
            return f"EMS邮寄（单号 {self.tracking_no}）"
        return "窗口领取（委托代领）" if self.by_proxy else "窗口领取"

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(HALL_TZ).isoformat(timespec="seconds"), "method": self.method,
            "credential": self.credential, "collector": {"name": mask_name(self.collector_name),
                                                         "id_number": mask_id_number(self.collector_id_number)},
            "by_proxy": self.by_proxy, "proxy_note": self.proxy_note,
            "mail": ({"recipient": mask_name(self.mail_recipient), "phone": mask_phone(self.mail_phone),
                      "address": self.mail_address, "tracking_no": self.tracking_no}
                     if self.method == "mail" else None),
            "result_docs": self.result_docs, "clerk": self.clerk, "counter": self.counter,
        }


@dataclass(frozen=True)
class Pickup:
    """A case found at the output window: what it is, what to hand over, and what stands in the way."""

    case: CaseView
    credential: str  # slip | code
    result_docs: str
    outstanding: tuple[CaseMaterialView, ...]  # 容缺 materials not yet supplemented
    supplements_block: bool  # the department's rule: no certificate before the supplements
    blockers: tuple[str, ...]  # why it cannot be handed over now (empty: ready)
    handover: HandoverView | None

    @property
    def ready(self) -> bool:
        return not self.blockers

    def slip_case_no_differs(self, case_no: str | None) -> bool:
        """A scanned slip names its own case: does it differ from the case number typed beside it?"""
        return bool(case_no) and (case_no or "").strip().upper() != self.case.case_no

    def as_json(self) -> dict[str, Any]:
        data = self.case.as_json()
        data.update({
            "credential": self.credential, "result_docs": self.result_docs, "ready": self.ready,
            "blockers": list(self.blockers),
            "outstanding": [{"material": m.code, "name": m.name,
                             "due": m.supplement_due.isoformat() if m.supplement_due else None}
                            for m in self.outstanding],
            "handover": self.handover.as_json() if self.handover else None,
        })
        return data


@dataclass(frozen=True)
class Issued:
    """The result of a hand-over: the case (now ``issued``), the hand-over, and the 签收单's print job."""

    case: CaseView
    handover: HandoverView
    print_job: str | None  # the thermal 出件签收单 job (None for a mailing)
    notice_doc_no: str

    def as_json(self) -> dict[str, Any]:
        data = self.case.as_json()
        data["handover"] = self.handover.as_json()
        data["print_job"] = self.print_job
        data["handover_doc_no"] = self.notice_doc_no
        return data


# ---- department rule: certificates before 容缺 supplements ---------------------------------------------


def issue_before_supplement(s: Session, dept_code: str) -> bool:
    """Whether the department hands out certificates while 容缺 supplements are outstanding (default: no)."""
    return read_dept_settings(s, dept_code).issue_before_supplement


# ---- finding the case: slip or pickup code --------------------------------------------------------------


def _log_rejected_slip(uow: UnitOfWork, actor: Actor, payload: str, reason: str) -> None:
    """A refused slip is logged loudly, in its own transaction (the refusal itself changes nothing else).

    The audit trail is permanent: it keeps which case and key the slip claims, never the pickup code on it.
    """
    digest = hashlib.sha256(payload.encode("utf-8", "replace")).hexdigest()[:16]
    parts = payload.split(":")
    claimed = {"case_no": parts[1][:32], "fingerprint": parts[3][:16]} if len(parts) == 5 else {}
    with uow:
        uow.audit(actor.username, "slip.rejected", "slip", digest,
                  {"reason": reason, "length": len(payload), "counter": actor.counter_number, **claimed})
        uow.commit()


def _count_wrong_code(uow: UnitOfWork, actor: Actor, case_no: str, on_slip: bool) -> None:
    """Record one wrong pickup code (typed, or on a signed slip) in its own transaction, lock at the limit,
    and refuse."""
    with uow:
        case = uow.session.execute(select(Case).where(Case.case_no == case_no).with_for_update()).scalar_one()
        case.pickup_failures += 1
        locked = case.pickup_failures >= PICKUP_MAX_TRIES
        if locked and case.pickup_locked_at is None:
            case.pickup_locked_at = utcnow()
        uow.audit(actor.username, "pickup.wrong_code", "case", str(case.id),
                  {"case_no": case_no, "failures": case.pickup_failures, "locked": locked,
                   "credential": "slip" if on_slip else "code"})
        uow.commit()
        left = PICKUP_MAX_TRIES - case.pickup_failures
    if locked:
        raise Conflict(f"取件码连续{PICKUP_MAX_TRIES}次错误，办件 {case_no} 已锁定：请申请人持身份证件，由主管核实后解锁")
    if on_slip:
        raise Conflict(f"凭条上的取件码与办件记录不一致（再错{left}次将锁定该办件）：请核实申请人身份")
    raise ValidationError("pickup_code", f"取件码不正确（再错{left}次将锁定该办件）")


def _check_locked(case: Case) -> None:
    if case.pickup_locked_at is not None:
        raise Conflict(f"办件 {case.case_no} 因取件码多次错误已锁定，须主管解锁后才能出件")


def _authorised_case(uow: UnitOfWork, actor: Actor, *, slip: str | None, case_no: str | None,
                     pickup_code: str | None, lock: bool) -> tuple[Case, str]:
    """The case the applicant has proved the right to collect, inside ``uow`` (already entered)."""
    s = uow.session
    if slip:
        info = _verified_slip_in(uow, actor, slip)
        case = _load(s, info.case_no, lock=lock)
        _check_locked(case)
        if case.pickup_code != info.pickup_code:
            # A genuinely signed slip with another code: counted like a wrong code typed at the window.
            raise _WrongCode(case.case_no, on_slip=True)
        if case.pickup_failures:
            case.pickup_failures = 0
        return case, "slip"
    number = (case_no or "").strip().upper()
    code = (pickup_code or "").strip()
    if not number:
        raise ValidationError("case_no", "请扫描取件凭条，或输入办件编号和取件码")
    if not re.fullmatch(r"\d{6}", code):
        raise ValidationError("pickup_code", "取件码为6位数字")
    case = _load(s, number, lock=lock)
    _check_locked(case)
    if case.pickup_code != code:
        raise _WrongCode(number)
    if case.pickup_failures:
        case.pickup_failures = 0
    return case, "code"


class _WrongCode(Exception):
    """Raised inside a unit of work; the caller counts the failure in a transaction of its own."""

    def __init__(self, case_no: str, *, on_slip: bool = False) -> None:
        super().__init__(case_no)
        self.case_no = case_no
        self.on_slip = on_slip


def _verified_slip_in(uow: UnitOfWork, actor: Actor, payload: str) -> slips.SlipInfo:
    try:
        return keys.verify_slip(payload, keys.read_key_records(uow.session))
    except slips.SlipError as exc:
        raise _BadSlip(payload.strip(), exc) from None


class _BadSlip(Exception):
    def __init__(self, payload: str, error: slips.SlipError) -> None:
        super().__init__(error.message)
        self.payload = payload
        self.error = error


def _load(s: Session, case_no: str, *, lock: bool) -> Case:
    if lock:
        # Lock the bare row first (FOR UPDATE with eager loads is not portable), then load the whole case.
        found = s.execute(select(Case.id).where(Case.case_no == case_no).with_for_update()).first()
        if found is None:
            raise NotFound(f"办件编号 {case_no} 不存在")
    return load_case(s, case_no)


def _with_credentials(uow: UnitOfWork, actor: Actor, fn: Callable[[UnitOfWork, Case, str], T], *, slip: str | None,
                      case_no: str | None, pickup_code: str | None, lock: bool) -> T:
    """Run ``fn`` in one unit of work after checking the credentials; refusals are logged outside it."""
    try:
        with uow:
            case, credential = _authorised_case(uow, actor, slip=slip, case_no=case_no, pickup_code=pickup_code,
                                                lock=lock)
            return fn(uow, case, credential)
    except _BadSlip as bad:
        _log_rejected_slip(uow, actor, bad.payload, bad.error.message)
        raise bad.error from None
    except _WrongCode as wrong:
        _count_wrong_code(uow, actor, wrong.case_no, wrong.on_slip)  # always raises
        raise


def _handover_view(s: Session, case: Case) -> HandoverView | None:
    row = s.execute(select(Handover).where(Handover.case_id == case.id)).scalar_one_or_none()
    if row is None:
        return None
    clerk = s.get(User, row.clerk_id) if row.clerk_id else None
    counter = s.get(Counter, row.counter_id) if row.counter_id else None
    return HandoverView(
        at=row.at, method=row.method, credential=row.credential, collector_name=row.collector_name,
        collector_id_number=row.collector_id_number, by_proxy=row.by_proxy, proxy_note=row.proxy_note,
        mail_recipient=row.mail_recipient, mail_phone=row.mail_phone, mail_address=row.mail_address,
        tracking_no=row.tracking_no, result_docs=row.result_docs,
        clerk=clerk.full_name if clerk else None, counter=counter.number if counter else None)


def _pickup(s: Session, case: Case, credential: str) -> Pickup:
    view = case_view(case)
    outstanding = tuple(m for m in view.materials if m.state == "tolerated" and m.supplemented_at is None)
    lenient = issue_before_supplement(s, view.dept)
    blockers: list[str] = []
    handover = _handover_view(s, case)
    if case.status == Status.ISSUED or handover is not None:
        when = handover.at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M") if handover else ""
        blockers.append(f"该办件已于{when}出件，不能重复出件")
    elif case.status == Status.RETURNED:
        # The back office's 补正通知书 is served here too: the applicant learns what to supply.
        served = [n.doc_no for n in view.notices if n.kind == "return"]
        where = f"（补正通知书 {served[-1]}）" if served else ""
        blockers.append(f"该办件已退回补正{where}：请申请人按补正通知书准备材料，到综合受理窗口提交补正后继续审批")
    elif case.status not in ISSUABLE:
        blockers.append(f"该办件尚未办结（当前状态：{view.status_name}），暂不能出件")
    elif case.status == Status.APPROVED and outstanding and not lenient:
        names = "、".join(m.name for m in outstanding)
        blockers.append(f"容缺材料尚未补齐（{names}），补齐前不发放证照")
    return Pickup(case=view, credential=credential, result_docs=case.result_docs, outstanding=outstanding,
                  supplements_block=not lenient, blockers=tuple(blockers), handover=handover)


def _check_texts(slip: str | None, case_no: str | None, pickup_code: str | None,
                 collector: Collector | None = None, mail: Mailing | None = None) -> None:
    """What the window typed or scanned, against ``app.limits``, before anything touches the database."""
    limits.check_all((limits.SLIP, slip, "slip"), (limits.CASE_NO, case_no, "case_no"),
                     (limits.PICKUP_CODE, pickup_code, "pickup_code"))
    if collector is not None:
        limits.check_all((limits.COLLECTOR_NAME, collector.name, "collector.name"),
                         (limits.COLLECTOR_ID_NUMBER, collector.id_number, "collector.id_number"),
                         (limits.PROXY_NOTE, collector.proxy_note, "collector.proxy_note"))
    if mail is not None:
        limits.check_all((limits.MAIL_RECIPIENT, mail.recipient, "mail.recipient"),
                         (limits.MAIL_PHONE, mail.phone, "mail.phone"), (limits.MAIL_ADDRESS, mail.address, "mail.address"),
                         (limits.TRACKING_NO, mail.tracking_no, "mail.tracking_no"))


def find_for_pickup(uow: UnitOfWork, actor: Actor, *, slip: str | None = None, case_no: str | None = None,
                    pickup_code: str | None = None) -> Pickup:
    """Check the slip (or case number + pickup code) and show what the window can hand over."""
    require(actor, "case.handover")
    _check_texts(slip, case_no, pickup_code)

    def show(uow: UnitOfWork, case: Case, credential: str) -> Pickup:
        found = _pickup(uow.session, case, credential)
        uow.commit()  # a right code resets the failure count
        return found

    return _with_credentials(uow, actor, show, slip=slip, case_no=case_no, pickup_code=pickup_code, lock=not slip)


def unlock_pickup(uow: UnitOfWork, actor: Actor, case_no: str) -> CaseView:
    """A supervisor lifts the lock put on a case by repeated wrong pickup codes."""
    require(actor, "pickup.unlock")
    with uow:
        case = _load(uow.session, case_no.strip().upper(), lock=True)
        if case.pickup_locked_at is None and not case.pickup_failures:
            raise Conflict(f"办件 {case.case_no} 未被锁定")
        case.pickup_locked_at = None
        case.pickup_failures = 0
        uow.audit(actor.username, "pickup.unlock", "case", str(case.id), {"case_no": case.case_no})
        uow.commit()
        return case_view(case)


# ---- 容缺 supplements -------------------------------------------------------------------------------------


def record_supplement(uow: UnitOfWork, actor: Actor, case_no: str, material: str) -> CaseView:
    """A 容缺 material the applicant has now brought: recorded at the window, which lifts the certificate hold."""
    require(actor, "case.supplement")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.MATERIAL_CODE, material, "material"))
    code = material.strip()
    if not code:
        raise ValidationError("material", "请指定补交的材料编码")
    with uow:
        s = uow.session
        case = _load(s, case_no.strip().upper(), lock=True)
        if actor.role in ("chief_rep", "reviewer") and case.dept_id != actor.dept_id:
            raise PermissionDenied("只能登记本部门办件的容缺补交材料")
        row = next((m for m in case.materials if m.code == code), None)
        if row is None:
            raise ValidationError("material", f"办件 {case.case_no} 没有材料 {code}")
        if row.state != "tolerated":
            raise ValidationError("material", f"材料“{row.name}”不是容缺材料，无需补交")
        if row.supplemented_at is not None:
            raise Conflict(f"材料“{row.name}”已于{row.supplemented_at.astimezone(HALL_TZ):%Y-%m-%d %H:%M}补交")
        lifecycle.require(Action.SUPPLEMENT, case.status, case.case_no)
        now = utcnow()
        row.supplemented_at = now
        late = row.supplement_due is not None and local_date(now) > row.supplement_due
        note = f"补交容缺材料：{row.name}" + ("（逾期）" if late else "")
        lifecycle.transition(uow, case, Action.SUPPLEMENT, actor.username, note=note, at=now,
                             audit={"material": code, "late": late})
        s.flush()
        view = case_view(case)
        uow.commit()
        return view


# ---- the hand-over ----------------------------------------------------------------------------------------


def _check_collector(case: Case, collector: Collector | None) -> Collector:
    if collector is None:
        if not case.agent_name or not case.agent_id_number:
            raise ValidationError("collector", "办件没有登记经办人身份证号，请录入领取人姓名和身份证号")
        return Collector(case.agent_name, case.agent_id_number)
    name = collector.name.strip()
    if not name:
        raise ValidationError("collector.name", "请填写领取人姓名")
    number = check_id_number(collector.id_number, "collector.id_number")
    is_agent = number == case.agent_id_number and name == case.agent_name
    if not is_agent and not collector.by_proxy:
        raise ValidationError("collector.by_proxy",
                              "领取人不是登记的经办人：须核验并留存申请单位出具的委托书（勾选“已核验委托书”）")
    return Collector(name, number, by_proxy=not is_agent, proxy_note=collector.proxy_note.strip())


def _check_mailing(mail: Mailing) -> Mailing:
    recipient = mail.recipient.strip()
    if not recipient:
        raise ValidationError("mail.recipient", "请填写收件人")
    phone = check_mobile(mail.phone, "mail.phone")
    address = mail.address.strip()
    if len(address) < 8:
        raise ValidationError("mail.address", "请填写完整的邮寄地址（省市区街道门牌）")
    tracking = mail.tracking_no.strip().upper().replace(" ", "")
    if not _TRACKING_RE.match(tracking):
        raise ValidationError("mail.tracking_no", "EMS单号格式不正确：应为13位数字，或如 EA123456789CN 的13位")
    return Mailing(recipient, phone, address, tracking)


def issue(
    uow: UnitOfWork,
    actor: Actor,
    *,
    slip: str | None = None,
    case_no: str | None = None,
    pickup_code: str | None = None,
    collector: Collector | None = None,
    mail: Mailing | None = None,
) -> Issued:
    """Hand the result over (or mail it): one unit of work with the hand-over, the status, notice and print job."""
    require(actor, "case.handover")
    _check_texts(slip, case_no, pickup_code, collector, mail)
    if collector is not None and mail is not None:
        raise ValidationError("mail", "窗口领取和邮寄只能选一种")
    checked_mail = _check_mailing(mail) if mail is not None else None

    def hand_over(uow: UnitOfWork, case: Case, credential: str) -> Issued:
        s = uow.session
        found = _pickup(s, case, credential)
        if found.blockers:
            raise Conflict(found.blockers[0])
        who = _check_collector(case, collector) if checked_mail is None else None
        now = utcnow()
        counter = (s.execute(select(Counter).where(Counter.number == actor.counter_number)).scalar_one_or_none()
                   if actor.counter_number else None)
        row = Handover(
            id=new_id(), case_id=case.id, at=now, clerk_id=actor.user_id, counter_id=counter.id if counter else None,
            method="mail" if checked_mail else "window", credential=credential,
            collector_name=who.name if who else "", collector_id_number=who.id_number if who else "",
            by_proxy=who.by_proxy if who else False, proxy_note=who.proxy_note if who else "",
            mail_recipient=checked_mail.recipient if checked_mail else "",
            mail_phone=checked_mail.phone if checked_mail else "",
            mail_address=checked_mail.address if checked_mail else "",
            tracking_no=checked_mail.tracking_no if checked_mail else "", result_docs=case.result_docs)
        s.add(row)
        case.issued_at = now
        # The hand-over's audit row is written below, once the 签收单 and its print job exist.
        lifecycle.transition(uow, case, Action.ISSUE_MAIL if checked_mail else Action.ISSUE_WINDOW, actor.username,
                             note=row.tracking_no and f"EMS {row.tracking_no}", at=now, audit_action="")
        number = case.case_no
        try:
            s.flush()  # the unique hand-over per case: a second window loses here
        except IntegrityError:
            raise Conflict(f"办件 {number} 已由其他窗口出件") from None
        handover = _handover_view(s, case)
        assert handover is not None
        view = case_view(case)
        hall = read_settings(s)
        counter_no = actor.counter_number or 0
        year = local_date(now).year
        doc_no = document_number(hall.doc_prefix, "handover", year, counter_no,
                                 next_value(s, f"doc:handover:{counter_no:02d}", str(year)))
        notice_data = documents.handover_notice(view, doc_no, hall, handover_delivery=handover.delivery,
                                                collector_name=handover.collector_name or handover.mail_recipient,
                                                handed_over_at=now, clerk_name=actor.full_name,
                                                result=case.result_docs or view.status_name)
        notice = Notice(id=new_id(), case_id=case.id, kind="handover", doc_no=doc_no, issued_at=now,
                        issued_by=actor.username,
                        payload=json.dumps(documents.notice_to_json(notice_data), ensure_ascii=False))
        s.add(notice)
        job_id: str | None = None
        if checked_mail is None:
            receipt = documents.handover_receipt(view, hall, collector_name=handover.collector_name,
                                                 collector_id=handover.collector_id_number,
                                                 delivery=handover.delivery, handed_over_at=now,
                                                 clerk_name=actor.full_name, result=case.result_docs)
            [job] = queue.enqueue(s, [queue.job_row(
                kind="handover", payload=documents.receipt_to_json(receipt), requested_by=actor.username,
                printer_uri=counter.printer_uri if counter else "", case_id=case.id,
                counter_id=counter.id if counter else None)])
            job_id = str(job)
        uow.audit(actor.username, "case.issue", "case", str(case.id),
                  {"case_no": case.case_no, "method": row.method, "credential": credential, "by_proxy": row.by_proxy,
                   "collector_id": mask_id_number(row.collector_id_number), "tracking_no": row.tracking_no,
                   "job": job_id})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return Issued(case=view, handover=handover, print_job=job_id, notice_doc_no=doc_no)

    return _with_credentials(uow, actor, hand_over, slip=slip, case_no=case_no, pickup_code=pickup_code, lock=True)


def handover_of(uow: UnitOfWork, case_no: str) -> HandoverView | None:
    with uow:
        return _handover_view(uow.session, load_case(uow.session, case_no.strip().upper()))


# ---- the window's list: 待出件 ----------------------------------------------------------------------------


def awaiting_pickup(uow: UnitOfWork, actor: Actor, *, limit: int = 200) -> list[CaseView]:
    """Decided cases not handed over yet (待出件), the longest waiting first."""
    require(actor, "case.handover")
    with uow:
        q = case_query().where(Case.status.in_(ISSUABLE)).order_by(Case.decided_at, Case.case_no).limit(limit)
        return [case_view(c) for c in uow.session.execute(q).scalars().unique()]


def issued_on(uow: UnitOfWork, actor: Actor, day: date) -> list[CaseView]:
    """Cases handed over on ``day`` (the window's daily list), newest first."""
    require(actor, "case.handover")
    start = datetime.combine(day, datetime.min.time(), HALL_TZ)
    with uow:
        q = (case_query().where(Case.status == Status.ISSUED, Case.issued_at >= start,
                                Case.issued_at < start + timedelta(days=1))
             .order_by(Case.issued_at.desc()))
        return [case_view(c) for c in uow.session.execute(q).scalars().unique()]
