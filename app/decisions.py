"""后台审批's decisions: 审查意见, and 准予 / 不予 / 退回补正 / 转办 with the decision document and the seal.

A decision is made under the claim's token, names its reason (and a denial its legal basis), writes the
决定书 in the same transaction, numbered by the department's own prefix, and uses the approval seal where the
department's setting or a chief representative's grant asks for it.
"""


from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.orm import Session

from app import clocks, lifecycle, limits
from app.auth import Actor
from app.backoffice import DeptSettings, _dept, decision_prefix, read_dept_settings
from app.cases import CaseView, case_view, load_case
from app.claims import _held
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import (
    HallSettings,
    appeal_problems,
    load_calendar,
    local_date,
)
from app.hall_settings import read_settings as read_hall_settings
from app.infra.numbering import decision_number, decision_sequence, next_value
from app.lifecycle import Action
from app.printing import documents
from app.roles import require
from app.uow import UnitOfWork, retry_transient
from db.models import (
    Case,
    Department,
    Notice,
    Seal,
    SealAuthorisation,
    SealUsage,
    new_id,
)
from db.types import utcnow

# ---- opinions and decisions ------------------------------------------------------------------------------


@retry_transient
def add_opinion(uow: UnitOfWork, actor: Actor, case_no: str, text: str, token: int | None = None) -> None:
    """A review opinion (审查意见) on a case the reviewer holds."""
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.OPINION, text, "opinion"))
    if not text.strip():
        raise ValidationError("opinion", "审查意见不能为空")
    with uow:
        s = uow.session
        case = _held(s, actor, case_no, token, utcnow())
        lifecycle.transition(uow, case, Action.OPINION, actor.username, note=text.strip())
        uow.commit()


def _check_decision_document(case: Case, decision: str, settings: DeptSettings, hall: HallSettings,
                             seal: bool) -> None:
    """What the written decision needs before anything is written: a denial names the 复议机关 and the court (hall
    settings); a 行政许可 decision bears the 审批专用章 when the department says so."""
    if decision == "deny" and (missing := appeal_problems(hall)):
        raise Conflict(f"大厅设置中的{'和'.join(missing)}为空：不予许可决定须告知申请人申请行政复议和提起行政诉讼的"
                       "机关，请系统管理员在“大厅设置”中填写后再作决定（决定未保存）")
    if lifecycle.seal_required(case.item.kind, settings.licence_seal) and not seal:
        raise ValidationError("seal", lifecycle.SEAL_REQUIRED_MESSAGE)


def _decision_document(s: Session, actor: Actor, case: Case, decision: str, department: Department,
                       settings: DeptSettings, hall: HallSettings, *, sealed: bool, now: datetime) -> Notice:
    """The 准予／不予行政许可决定书 (or 办理结果通知书) of this decision, numbered under the department's prefix in the
    decision's own transaction."""
    kind = documents.decision_kind(case.item.kind, decision)
    prefix = decision_prefix(settings, department.name)
    year = local_date(now).year
    doc_no = decision_number(prefix, kind, year, next_value(s, *decision_sequence(prefix, kind, year)))
    licensing = case.item.kind == documents.LICENSING
    basis = (case.decision_basis or case.item.legal_basis.strip()
             or (documents.DEFAULT_DECISION_BASIS if licensing else "有关法律、法规"))
    content = documents.decision_notice(case_view(case), kind, doc_no, hall, decision=decision, issuer=department.name,
                                        reason=case.decision_reason, legal_basis=basis, sealed=sealed, decided_at=now)
    return Notice(id=new_id(), case_id=case.id, kind=kind, doc_no=doc_no, issued_at=now, issued_by=actor.username,
                  payload=json.dumps(documents.notice_to_json(content), ensure_ascii=False))


def _seal(uow: UnitOfWork, actor: Actor, case: Case, decision: str) -> None:
    s = uow.session
    seal = s.execute(select(Seal).where(Seal.dept_id == case.dept_id, Seal.active.is_(True))).scalars().first()
    if seal is None:
        raise NotFound("本部门没有登记审批专用章")
    if actor.role == "chief_rep":
        authorised_by = actor.username
    else:
        # The grant must be for this case, by this department, for this very seal, and not voided by a 转办.
        grant = s.execute(
            select(SealAuthorisation).where(
                SealAuthorisation.case_id == case.id, SealAuthorisation.used_at.is_(None),
                SealAuthorisation.revoked_at.is_(None), SealAuthorisation.dept_id == case.dept_id,
                SealAuthorisation.seal_id == seal.id)
            .with_for_update()
        ).scalars().first()
        if grant is None:
            raise PermissionDenied("审批专用章须经本部门首席代表授权后方可使用：请先请首席代表授权本办件用章")
        grant.used_at = utcnow()
        authorised_by = grant.authorised_by
    s.add(SealUsage(id=new_id(), seal_id=seal.id, case_id=case.id, decision=decision, applied_by=actor.username,
                    authorised_by=authorised_by, at=utcnow()))
    uow.audit(actor.username, "seal.use", "seal", str(seal.id),
              {"case_no": case.case_no, "decision": decision, "authorised_by": authorised_by})


@retry_transient
def decide(
    uow: UnitOfWork,
    actor: Actor,
    case_no: str,
    decision: str,
    *,
    token: int | None = None,
    reason: str = "",
    legal_basis: str = "",
    transfer_to: str | None = None,
    seal: bool = False,
    supply: tuple[str, ...] = (),
) -> CaseView:
    """准予 / 不予许可 / 退回补正 / 转办 a case the actor holds under a running lease (and ``token``); a 退回补正
    names the materials to ``supply`` (codes of the case's materials) on its 补正通知书."""
    limits.check_each(limits.MATERIAL_CODE, supply, "supply")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.DECISION_REASON, reason, "reason"),
                     (limits.DECISION_BASIS, legal_basis, "legal_basis"), (limits.DEPT_CODE, transfer_to, "transfer_to"))
    require(actor, "case.review")
    if problems := lifecycle.decision_problems(decision, reason=reason, legal_basis=legal_basis,
                                               transfer_to=transfer_to, seal=seal):
        raise ValidationError(problems[0].field, "；".join(p.message for p in problems))
    with uow:
        s = uow.session
        now = utcnow()
        case = _held(s, actor, case_no, token, now)
        action = lifecycle.DECISIONS[decision]
        lifecycle.require(action, case.status, case.case_no)
        supplies = clocks.supply_list(s, case, supply) if decision == "return" else ()
        doc: Notice | None = None
        if decision in ("approve", "deny"):
            department = case.department or case.item.department
            settings = read_dept_settings(s, department.code)
            hall = read_hall_settings(s)
            _check_decision_document(case, decision, settings, hall, seal)
            case.decided_at = case.finished_at = now
            case.decided_by_id = actor.user_id
            case.decision_reason = reason.strip()
            case.decision_basis = legal_basis.strip()
            if seal:
                _seal(uow, actor, case, decision)
            doc = _decision_document(s, actor, case, decision, department, settings, hall, sealed=seal, now=now)
            case.decision_doc_no = doc.doc_no
            case.result_docs = f"{documents.NOTICE_TITLES[doc.kind]}（{doc.doc_no}）"
        elif decision == "return":
            # 退回补正 stops the promised clock only: the law's keeps running (行政许可法第45条).
            clocks.pause_promised(case, load_calendar(s), now)
            case.decision_reason = reason.strip()
        else:
            target = _dept(s, transfer_to or "")
            if target.id == case.dept_id:
                raise ValidationError("transfer_to", "不能转办给本部门")
            # A seal grant belongs to the department that gave it: it does not travel with the case.
            s.execute(update(SealAuthorisation).where(
                SealAuthorisation.case_id == case.id, SealAuthorisation.used_at.is_(None),
                SealAuthorisation.revoked_at.is_(None)).values(revoked_at=now))
            case.dept_id = target.id
            case.department = target
        case.holder_id = None
        case.lease_until = None
        note = reason.strip() + (f"（转至{transfer_to}）" if decision == "transfer" else "")
        # The audit row carries the decision as made: result, reasons and legal basis.
        lifecycle.transition(uow, case, action, actor.username, note=note, at=now, audit={
            "token": case.claim_token, "result": decision, "reason": reason.strip(),
            "legal_basis": legal_basis.strip(), "seal": seal, "transfer_to": transfer_to,
            **({"doc_no": doc.doc_no} if doc is not None else {})})
        if doc is not None:
            case.notices.append(doc)
        if decision == "return":  # the 补正通知书 that tells the applicant what to supply
            served = clocks.serve(uow, actor, case, "return", now, reason=reason.strip(), supply=supplies,
                                  promised_left=case.paused_promised)
            uow.audit(actor.username, "notice.issue", "case", str(case.id), {"case_no": case.case_no,
                                                                             **served.as_json()})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return view
