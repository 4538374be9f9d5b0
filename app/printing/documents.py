"""Turning a case into the documents printed for it: the thermal receipt and the A4 notices.

Everything personal is masked here, once, before it reaches any renderer (DOMAIN.md: ID first 3 + last 4,
surname + *, phone 138****5678).  QR codes carry only the signed slip.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from app.cases import MATERIAL_STATES, STATUSES, CaseView
from app.hall_settings import HALL_TZ, HallSettings
from app.printing.model import Receipt
from app.printing.notice_templates import KIND_NAMES, Notice, NoticeMaterial
from app.validators import mask_id_number, mask_name, mask_phone

RECEIPT_TITLES = {
    "accepted": "受理回执",
    "correction_requested": "补正材料回执",
    "completed_immediately": "即办办结回执",
    "refused": "不予受理回执",
}
DEFAULT_REFUSAL_BASIS = "《中华人民共和国行政许可法》第三十二条第一款"
NOTICE_TITLES = KIND_NAMES  # kind -> the document's name (受理通知书 … 准予行政许可决定书)
LICENSING = "行政许可"  # the catalog's item kind that 行政许可法 governs (the others: 公共服务, 行政备案 …)
# A decision's legal basis when the reviewer names none (an approval needs none): 行政许可法 for licences, the
# item's own basis (设定依据) for other kinds.
DEFAULT_DECISION_BASIS = "《中华人民共和国行政许可法》第三十八条"
DECISION_WORDS = {  # (licensing, decision) -> what the document says was decided
    (True, "approve"): "准予行政许可", (True, "deny"): "不予行政许可",
    (False, "approve"): "予以办理", (False, "deny"): "不予办理",
}


def default_refusal_basis(item_kind: str, item_basis: str) -> str:
    """The legal basis a 不予受理 cites when the clerk names none: 行政许可法 for a 行政许可 item; for the other
    kinds (公共服务, 行政备案, 行政确认 …), which 行政许可法 does not govern, the item's own 设定依据."""
    if item_kind == LICENSING or not item_kind:
        return DEFAULT_REFUSAL_BASIS
    return item_basis.strip()


def decision_kind(item_kind: str, decision: str) -> str:
    """Which written decision an approval or denial gets: 准予／不予行政许可决定书, or a 办理结果通知书."""
    if item_kind != LICENSING:
        return "result_notice"
    return "licence_grant" if decision == "approve" else "licence_denial"


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def cn_datetime(at: datetime | None) -> str:
    if at is None:
        return ""
    local = at.astimezone(HALL_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _material_line(m: Any) -> str:
    state = MATERIAL_STATES[m.state]
    if m.state == "received":
        parts = [state]
        if m.originals:
            parts.append(f"原件{m.originals}份")
        if m.copies:
            parts.append(f"复印件{m.copies}份")
        if m.electronic:
            parts.append("电子件")
        return " ".join(parts)
    if m.state == "tolerated":
        return f"容缺 须于{cn_date(m.supplement_due)}前补交"
    if m.state == "waived":
        return f"免提交（{m.assessment}）" if m.assessment else "免提交"
    if m.state == "defective":
        line = f"有误：{m.note}" if m.note else "有误"
        return f"{line} 电子件" if m.electronic else line
    return state


def receipt_for_case(case: CaseView, hall: HallSettings, *, output_counter: int | None, clerk_name: str,
                     reprint: bool = False) -> Receipt:
    """The 受理回执 (or its variant for the case's outcome) as printed on the thermal printer."""
    rows: list[tuple[str, str]] = [
        ("办理事项", case.item_name),
        ("承办部门", case.dept_name),
    ]
    if case.enterprise_name:
        rows.append(("申请单位", case.enterprise_name))
    rows += [
        ("经办人", mask_name(case.agent_name)),
        ("身份证号", mask_id_number(case.agent_id_number)),
        ("联系电话", mask_phone(case.agent_phone)),
        ("收件时间", cn_datetime(case.received_at)),
        ("受理人员", clerk_name),
    ]
    if case.counter is not None:
        rows.append(("受理窗口", f"{case.counter}号窗口"))
    if case.status in ("accepted", "completed_immediately") and case.promised_due:
        due = cn_date(case.promised_due) + ("（暂定）" if case.due_provisional else "")
        rows.append(("承诺办结", due if case.status == "accepted" else "当场办结"))
    if case.status == "correction_requested" and case.correction_deadline:
        rows.append(("办理状态", "待补正，请按补正材料通知书一次性补齐"))
    where = f"统一出件窗口（{output_counter}号窗口）" if output_counter else "统一出件窗口"
    notes = [f"请凭本回执二维码或取件码到{where}领取办理结果。"]
    if case.tolerated:
        notes.append("容缺材料请在期限内补交，逾期将影响审批。")
    notes.append(f"地址：{hall.address}")
    notes.append(f"咨询电话：{hall.phone}")
    return Receipt(
        title=RECEIPT_TITLES.get(case.status, "受理回执"),
        hall_name=hall.name,
        case_no=case.case_no,
        reprint=reprint,
        rows=tuple(rows),
        materials=tuple((m.name, _material_line(m)) for m in case.materials if m.required or m.state != "missing"),
        notes=tuple(notes),
        qr_payload=case.slip or None,
        pickup_code=case.pickup_code or None,
        footer=("请妥善保管本回执，遗失请持身份证到窗口补打。",),
    )


def handover_receipt(case: CaseView, hall: HallSettings, *, collector_name: str, collector_id: str, delivery: str,
                     handed_over_at: datetime, clerk_name: str, result: str = "", reprint: bool = False) -> Receipt:
    """The 出件签收单 for the thermal printer: what was handed to whom, with a line to sign."""
    rows = [
        ("办理事项", case.item_name),
        ("承办部门", case.dept_name),
        ("办理结果", case.status_name if case.status != "issued" else result_name(case)),
    ]
    if result:
        rows.append(("领取材料", result))
    rows += [
        ("领取人", mask_name(collector_name)),
        ("身份证号", mask_id_number(collector_id)),
        ("领取方式", delivery),
        ("出件时间", cn_datetime(handed_over_at)),
        ("出件人员", clerk_name),
    ]
    return Receipt(
        title="出件签收单",
        hall_name=hall.name,
        case_no=case.case_no,
        reprint=reprint,
        rows=tuple(rows),
        notes=("本人已核对并领取上述办理结果。", "领取人签字：________________"),
        qr_payload=case.slip or None,
        footer=(f"咨询电话：{hall.phone}",),
    )


def result_name(case: CaseView) -> str:
    """准予许可 / 不予许可: the decision, also once the case is ``issued``."""
    decided = [e.to_status for e in case.history if e.to_status in ("approved", "denied")]
    if decided:
        return STATUSES[decided[-1]]
    return case.status_name


def handover_notice(case: CaseView, doc_no: str, hall: HallSettings, *, collector_name: str, handover_delivery: str,
                    handed_over_at: datetime, clerk_name: str, result: str, reprint: bool = False) -> Notice:
    """The A4 出件签收单 (kept in the case file; printed on demand where there is no thermal printer)."""
    base = notice_for_case(case, "handover", doc_no, hall, clerk_name=clerk_name, legal_basis="",
                           issued_at=handed_over_at, reprint=reprint)
    return replace(base, collector_masked=mask_name(collector_name), handed_over_at=cn_datetime(handed_over_at),
                   delivery=handover_delivery, result=f"{result_name(case)}：{result}" if result else result_name(case))


def notice_for_case(case: CaseView, kind: str, doc_no: str, hall: HallSettings, *, clerk_name: str,
                    legal_basis: str, issued_at: datetime, reprint: bool = False) -> Notice:
    """One A4 notice of ``kind`` for the case, as issued."""
    # Optional materials the applicant did not bring are not "missing": they are not demanded anywhere.
    shown = [m for m in case.materials if m.required or m.state != "missing"]
    materials = tuple(
        NoticeMaterial(
            code=m.code, name=m.name, state=m.state,
            note=(f"免提交：{m.assessment}" if m.state == "waived" and m.assessment else m.note),
            due=m.supplement_due.isoformat() if m.supplement_due else "",
            # What was handed in; for what is still to come, what the item's guide asks for (原件 n 份, 复印件 m 份).
            originals=m.originals if m.state == "received" else m.need_originals,
            copies=m.copies if m.state == "received" else m.need_copies,
        )
        for m in shown
    )
    accepted = kind in ("acceptance", "tolerated")
    appeal = kind == "refusal"
    return Notice(
        kind=kind, doc_no=doc_no, hall_name=hall.name, hall_address=hall.address, hall_phone=hall.phone,
        case_no=case.case_no, item_code=case.item, item_name=case.item_name, dept_name=case.dept_name,
        applicant=case.enterprise_name or mask_name(case.agent_name), uscc=case.enterprise_uscc or "",
        agent_name_masked=mask_name(case.agent_name), agent_id_masked=mask_id_number(case.agent_id_number),
        agent_phone_masked=mask_phone(case.agent_phone), received_at=cn_datetime(case.received_at),
        issued_on=cn_date(issued_at.astimezone(HALL_TZ).date()), clerk=clerk_name, qr_payload=case.slip,
        pickup_code=case.pickup_code,
        promised_due=cn_date(case.promised_due) if accepted else "",
        legal_due=cn_date(case.legal_due) if accepted else "",
        provisional=case.due_provisional and accepted,
        materials=materials,
        reason=case.refusal_reason,
        legal_basis=(case.refusal_basis or default_refusal_basis(case.item_kind, legal_basis)) if kind == "refusal"
        else legal_basis,
        # The 5-day limit binds the hall, not the applicant: the notice asks them to come back when ready.
        correction_deadline="",
        supplement_due=cn_date(case.supplement_due) if kind == "tolerated" else "",
        reprint=reprint,
        licensing=case.item_kind == LICENSING,
        review_authority=hall.review_authority if appeal else "", court=hall.court if appeal else "",
    )


def decision_notice(case: CaseView, kind: str, doc_no: str, hall: HallSettings, *, decision: str, issuer: str,
                    reason: str, legal_basis: str, sealed: bool, decided_at: datetime) -> Notice:
    """The written decision (行政许可法第三十八条): ``kind`` licence_grant / licence_denial / result_notice, issued by
    the deciding department under its own number; a denial names the 复议机关 and the court."""
    base = notice_for_case(case, kind, doc_no, hall, clerk_name="", legal_basis=legal_basis, issued_at=decided_at)
    deny = decision == "deny"
    return replace(base, qr_payload="", pickup_code="", reason=reason, legal_basis=legal_basis, issuer=issuer,
                   decision=DECISION_WORDS[(base.licensing, decision)], seal_label="审批专用章" if sealed else "盖章",
                   review_authority=hall.review_authority if deny else "", court=hall.court if deny else "")


def receipt_to_json(receipt: Receipt) -> dict[str, Any]:
    return asdict(receipt)


def receipt_from_json(data: dict[str, Any]) -> Receipt:
    d = dict(data)
    for key in ("rows", "materials"):
        d[key] = tuple(tuple(pair) for pair in d.get(key, ()))
    for key in ("notes", "footer"):
        d[key] = tuple(d.get(key, ()))
    return Receipt(**d)


def notice_to_json(notice: Notice) -> dict[str, Any]:
    return asdict(notice)


def notice_from_json(data: dict[str, Any]) -> Notice:
    d = dict(data)
    d["materials"] = tuple(NoticeMaterial(**m) for m in d.get("materials", ()))
    return Notice(**d)


def clock_notice(case: CaseView, kind: str, doc_no: str, hall: HallSettings, *, clerk_name: str, legal_basis: str,
                 issued_at: datetime, reason: str, delivery: str, supply: tuple[NoticeMaterial, ...] = (),
                 procedure: str = "", approver: str = "", extension_days: int = 0,
                 previous_legal_due: date | None = None, promised_left: int | None = None,
                 legal_left: int | None = None) -> Notice:
    """A notice of the back office's clocks (issue 14): ``return`` (补正, listing ``supply``), ``suspension``
    (特别程序告知书) or ``extension`` (延期告知书).  A paused clock has no due date: its days left are printed."""
    base = notice_for_case(case, kind, doc_no, hall, clerk_name=clerk_name, legal_basis=legal_basis,
                           issued_at=issued_at)
    return replace(
        base, materials=supply, reason=reason, delivery=delivery, procedure=procedure, approver=approver,
        extension_days=str(extension_days) if extension_days else "",
        previous_legal_due=cn_date(previous_legal_due),
        promised_due="" if promised_left is not None else cn_date(case.promised_due),
        legal_due="" if legal_left is not None else cn_date(case.legal_due),
        promised_left="" if promised_left is None else str(promised_left),
        legal_left="" if legal_left is None else str(legal_left),
        provisional=case.due_provisional and legal_left is None,
    )
