"""材料流转: paper folders going from the intake counter to a department, with a 交接单, signed for on arrival.

受审分离 means the counter keeps the paper a window case was accepted with, and the department that decides
it needs that paper.  The counter collects the folders per department (``pending_folders``) and sends them
in a batch (``create_batch``: a numbered ``TransferBatch`` and its printed 材料流转交接单, ``batch_sheet``);
the department scans the 交接单's QR code or types its number and signs for it (``receive_batch``), marking
any folder that did not arrive as missing; a missing folder is signed for later by running the receipt again
without it.  Every step is a ``case_event`` row on each case (``paper.sent``, ``paper.received``,
``paper.missing``) and an audit row; the back-office queue shows 纸质材料未到 until a case's folder is
received (``app.backoffice.queue_page``).

Which cases have a folder to send: cases taken at a window (online applications bring no paper) and accepted
there (``accepted_at``), still with the department or decided but not yet handed out.  A refused case keeps
no folder (the applicant takes the papers back), nor does one waiting for 补正 (the papers go back with the
notice) until it is accepted on resubmission; a 即办 case is finished at the counter and its papers stay
there; a case handed out or terminated needs nothing sent.  A folder is sent once: a missing one is found
and signed for against its first batch, never put in a second.

Transfers work on the shared database: at a counter on its own store the GUI and the CLI use the shared one
(the cases taken offline are there once they are pushed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from app import limits
from app.auth import Actor, check_current
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import HALL_TZ, local_date, read_settings
from app.infra.numbering import next_value
from app.lifecycle import FOLDER_STATUSES, PAPER_MISSING, PAPER_RECEIVED, PAPER_SENT
from app.printing.model import SheetRow, TransferSheet
from app.roles import allowed, require
from app.uow import UnitOfWork, retry_transient
from app.validators import mask_name
from db.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Counter,
    Department,
    Enterprise,
    ServiceItem,
    TransferBatch,
    TransferCase,
    User,
)
from db.types import utcnow

# What a scanner reads from the 交接单's QR code: this prefix and the batch number.
QR_PREFIX = "HDTB:"
SENT, RECEIVED, MISSING = "sent", "received", "missing"
CASE_STATES = {SENT: "流转中", RECEIVED: "已送达部门", MISSING: "未到"}
# The history events (``case_event.action``, app.lifecycle); the status stays as it is.
EVENT_SENT, EVENT_RECEIVED, EVENT_MISSING = PAPER_SENT, PAPER_RECEIVED, PAPER_MISSING
MAX_BATCH = 200  # folders on one 交接单: a trolley's worth, and a sheet a receiver can check
# Materials whose paper is in the folder: handed in at the counter, or a 容缺 one brought in since.
_IN_FOLDER = or_(CaseMaterial.state.in_(("received", "defective")),
                 and_(CaseMaterial.state == "tolerated", CaseMaterial.supplemented_at.is_not(None)))


def batch_number(hall_code: str, counter: int, yymmdd: str, seq: int) -> str:
    """``XJJJ261207-01-01``: hall, 交接 (JJ), date, counter, the counter's batch of the day."""
    return f"{hall_code}JJ{yymmdd}-{counter:02d}-{seq:02d}"


def parse_batch_no(value: str) -> str:
    """A typed batch number or a scanned QR text (``HDTB:XJJJ…``) as the batch number."""
    limits.check(limits.TRANSFER_SCAN, value, "batch_no")
    raw = value.strip()
    if raw.upper().startswith(QR_PREFIX):
        raw = raw[len(QR_PREFIX):].strip()
    limits.check(limits.TRANSFER_BATCH_NO, raw, "batch_no")
    if not raw:
        raise ValidationError("batch_no", "请输入或扫描交接单号")
    return raw.upper()


# ---- what comes out -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Folder:
    """One case's paper folder: what the 交接单 lists for it (the agent's name masked, DOMAIN.md)."""

    case_no: str
    item_code: str
    item_name: str
    enterprise: str  # the company's name; "" for a person
    agent_masked: str
    materials: int  # materials whose paper is in the folder
    originals: int
    copies: int
    accepted_at: datetime | None
    state: str = ""  # in a batch: sent | received | missing

    @property
    def applicant(self) -> str:
        return self.enterprise or f"{self.agent_masked}（个人）"

    @property
    def state_name(self) -> str:
        return CASE_STATES.get(self.state, "在窗口")

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "item": self.item_code, "item_name": self.item_name,
                "enterprise": self.enterprise or None, "agent": self.agent_masked, "materials": self.materials,
                "originals": self.originals, "copies": self.copies,
                "accepted_at": self.accepted_at.astimezone(HALL_TZ).isoformat(timespec="seconds")
                if self.accepted_at else None, **({"state": self.state} if self.state else {})}


@dataclass(frozen=True)
class PendingFolders:
    """The folders of one department waiting at this counter to be sent."""

    dept: str
    dept_name: str
    counter: int
    folders: tuple[Folder, ...]

    def as_json(self) -> dict[str, Any]:
        return {"dept": self.dept, "dept_name": self.dept_name, "counter": self.counter,
                "folders": [f.as_json() for f in self.folders]}


@dataclass(frozen=True)
class BatchView:
    """One 交接单: who sent which folders to which department, and what arrived."""

    batch_no: str
    dept: str
    dept_name: str
    counter: int | None
    created_at: datetime
    created_by: str
    created_by_name: str
    received_at: datetime | None
    received_by: str
    received_by_name: str
    cases: tuple[Folder, ...]

    @property
    def qr_payload(self) -> str:
        return QR_PREFIX + self.batch_no

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.case_no for c in self.cases if c.state == MISSING)

    @property
    def state(self) -> str:
        """``sent`` (on its way), ``received`` (all there) or ``partial`` (signed for, folders missing)."""
        if self.received_at is None:
            return SENT
        return "partial" if self.missing else RECEIVED

    @property
    def state_name(self) -> str:
        return {SENT: "流转中", RECEIVED: "已签收", "partial": "已签收（有未到）"}[self.state]

    @property
    def totals(self) -> tuple[int, int, int]:
        """(materials, originals, copies) over the batch."""
        return (sum(c.materials for c in self.cases), sum(c.originals for c in self.cases),
                sum(c.copies for c in self.cases))

    def as_json(self) -> dict[str, Any]:
        def ts(v: datetime | None) -> str | None:
            return v.astimezone(HALL_TZ).isoformat(timespec="seconds") if v else None

        materials, originals, copies = self.totals
        return {"batch_no": self.batch_no, "qr": self.qr_payload, "dept": self.dept, "dept_name": self.dept_name,
                "counter": self.counter, "created_at": ts(self.created_at), "created_by": self.created_by,
                "received_at": ts(self.received_at), "received_by": self.received_by or None,
                "state": self.state, "count": len(self.cases), "missing": list(self.missing),
                "materials": materials, "originals": originals, "copies": copies,
                "cases": [c.as_json() for c in self.cases]}


# ---- reading --------------------------------------------------------------------------------------------------


def _department(s: Session, code: str) -> Department:
    limits.check(limits.DEPT_CODE, code, "dept")
    dept = s.execute(select(Department).where(Department.code == code.strip().upper())).scalar_one_or_none()
    if dept is None:
        raise NotFound(f"部门代码 {code.strip()} 不存在")
    return dept


def may_send(actor: Actor) -> bool:
    """Whether ``actor`` collects and sends paper folders: a clerk of a comprehensive intake counter (the
    counter desk shows its 材料流转 tab by this)."""
    return allowed(actor, "transfer.create") and actor.counter_kind == "comprehensive"


def may_receive(actor: Actor) -> bool:
    """Whether ``actor`` signs for 交接单 (a department's reviewers and chief representative)."""
    return allowed(actor, "transfer.receive") and actor.dept_id is not None


def _intake_counter(s: Session, actor: Actor) -> Counter:
    """The comprehensive intake counter ``actor`` works at: only there are paper folders collected."""
    require(actor, "transfer.create")
    check_current(s, actor)
    counter = None
    if actor.counter_number is not None:
        counter = s.execute(select(Counter).where(Counter.number == actor.counter_number)).scalar_one_or_none()
    if counter is None or counter.kind != "comprehensive":
        raise PermissionDenied("纸质材料由综合受理窗口移交：您的账户不在综合受理窗口")
    return counter


def _folder_columns() -> tuple[Any, ...]:
    return (Case.id, Case.case_no, ServiceItem.code, ServiceItem.name, Enterprise.name, Case.agent_name,
            Case.accepted_at)


def _folders(s: Session, rows: Sequence[Any], states: dict[uuid.UUID, str] | None = None) -> list[Folder]:
    """Folders of the rows ``(id, case_no, item code, item name, enterprise, agent, accepted_at)``, with the
    counts of the paper in each (one grouped query)."""
    ids = [r[0] for r in rows]
    counts: dict[uuid.UUID, tuple[int, int, int]] = {}
    if ids:
        q = (select(CaseMaterial.case_id, func.count(), func.coalesce(func.sum(CaseMaterial.originals), 0),
                    func.coalesce(func.sum(CaseMaterial.copies), 0))
             .where(CaseMaterial.case_id.in_(ids), _IN_FOLDER).group_by(CaseMaterial.case_id))
        counts = {cid: (int(n), int(o), int(c)) for cid, n, o, c in s.execute(q)}
    out = []
    for cid, case_no, item_code, item_name, enterprise, agent, accepted_at in rows:
        n, o, c = counts.get(cid, (0, 0, 0))
        out.append(Folder(case_no, item_code, item_name, enterprise or "", mask_name(agent or ""), n, o, c,
                          accepted_at, (states or {}).get(cid, "")))
    return out


def _pending_query(dept_id: uuid.UUID, counter_id: uuid.UUID) -> Any:
    in_batch = exists().where(TransferCase.case_id == Case.id)
    return (select(*_folder_columns())
            .join(ServiceItem, Case.item_id == ServiceItem.id)
            .outerjoin(Enterprise, Case.enterprise_id == Enterprise.id)
            .where(Case.dept_id == dept_id, Case.counter_id == counter_id, Case.channel == "window",
                   Case.accepted_at.is_not(None), Case.status.in_(FOLDER_STATUSES), ~in_batch)
            .order_by(Case.accepted_at, Case.case_no))


def pending_folders(uow: UnitOfWork, actor: Actor, dept: str) -> PendingFolders:
    """The folders of ``dept``'s cases taken at ``actor``'s counter that are not in any batch yet."""
    require(actor, "transfer.create")
    with uow:
        s = uow.session
        counter = _intake_counter(s, actor)
        department = _department(s, dept)
        rows = s.execute(_pending_query(department.id, counter.id)).all()
        return PendingFolders(department.code, department.name, counter.number, tuple(_folders(s, rows)))


@dataclass(frozen=True)
class DepartmentPending:
    dept: str
    dept_name: str
    count: int


def pending_by_department(uow: UnitOfWork, actor: Actor) -> list[DepartmentPending]:
    """How many folders wait at ``actor``'s counter, per department (the counter's 材料流转 overview)."""
    require(actor, "transfer.create")
    with uow:
        s = uow.session
        counter = _intake_counter(s, actor)
        in_batch = exists().where(TransferCase.case_id == Case.id)
        q = (select(Department.code, Department.name, func.count(Case.id))
             .join(Case, Case.dept_id == Department.id)
             .where(Case.counter_id == counter.id, Case.channel == "window", Case.accepted_at.is_not(None),
                    Case.status.in_(FOLDER_STATUSES), ~in_batch)
             .group_by(Department.code, Department.name, Department.sort_order)
             .order_by(Department.sort_order, Department.code))
        return [DepartmentPending(code, name, int(n)) for code, name, n in s.execute(q)]


def _add_events(s: Session, cases: Iterable[tuple[uuid.UUID, str]], action: str, actor: str, note: str,
                at: datetime) -> None:
    """One history event per case, its status unchanged: where the paper is does not move the case (and does not
    bump its version, so a reviewer's decision in progress is not refused because a folder arrived)."""
    rows = [{"id": uuid.uuid4(), "case_id": cid, "at": at, "actor": actor, "action": action, "from_status": status,
             "to_status": status, "note": note} for cid, status in cases]
    if rows:
        s.execute(insert(CaseEvent), rows)


def _notify_queue(s: Session, dept_code: str) -> None:
    """PostgreSQL: tell the department's open queues (``app.infra.live``) that a 纸质材料 mark changed."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_notify('halldesk_queue', :dept)"), {"dept": dept_code})


@retry_transient
def create_batch(uow: UnitOfWork, actor: Actor, dept: str, case_nos: Sequence[str] | None = None) -> BatchView:
    """Put the pending folders of ``dept`` taken at ``actor``'s counter (all, or those of ``case_nos``) into a new
    numbered batch: its 交接单 is printed with ``batch_sheet``.  Nothing pending: a clear message, nothing
    written."""
    require(actor, "transfer.create")
    wanted = None
    if case_nos is not None:
        limits.check_each(limits.CASE_NO, case_nos, "case_nos")
        wanted = list(dict.fromkeys(c.strip().upper() for c in case_nos if c.strip()))
        if not wanted:
            raise ValidationError("case_nos", "请选择要移交的办件")
    with uow:
        s = uow.session
        counter = _intake_counter(s, actor)
        department = _department(s, dept)
        now = utcnow()
        yymmdd = local_date(now).strftime("%y%m%d")
        # The counter's batch number first: its sequence row stays locked until commit, so two batches of one
        # counter are made one after the other and never take the same folder.
        seq = next_value(s, f"transfer:{counter.number:02d}", yymmdd)
        q = _pending_query(department.id, counter.id)
        if wanted is not None:
            q = q.where(Case.case_no.in_(wanted))
        rows = s.execute(q).all()
        if wanted is not None:
            found = {r[1] for r in rows}
            absent = [c for c in wanted if c not in found]
            if absent:
                raise ValidationError("case_nos", f"以下办件没有待移交{department.name}的纸质材料（不是本窗口受理的"
                                                  f"本部门办件，或已移交、已办结）：{'、'.join(absent)}")
        if not rows:
            raise ValidationError("dept", f"本窗口没有待移交{department.name}的纸质材料"
                                          "（窗口受理的办件受理后才需移交；网上申报、不予受理、补正、即办的不需要）")
        if len(rows) > MAX_BATCH:
            raise ValidationError("case_nos", f"一张交接单最多{MAX_BATCH}件，本次有{len(rows)}件：请分批移交")
        batch_no = batch_number(read_settings(s).code, counter.number, yymmdd, seq)
        batch_id = uuid.uuid4()
        s.execute(insert(TransferBatch), [{"id": batch_id, "batch_no": batch_no, "dept_id": department.id,
                                           "counter_id": counter.id, "created_at": now,
                                           "created_by": actor.username, "received_by": "", "note": ""}])
        s.execute(insert(TransferCase), [{"id": uuid.uuid4(), "batch_id": batch_id, "case_id": r[0], "state": SENT}
                                         for r in rows])
        statuses = {cid: st for cid, st in s.execute(select(Case.id, Case.status).where(Case.id.in_([r[0] for r in rows])))}
        _add_events(s, ((r[0], statuses[r[0]]) for r in rows), EVENT_SENT, actor.username,
                    f"纸质材料随交接单 {batch_no} 移交{department.name}", now)
        uow.audit(actor.username, "transfer.create", "transfer_batch", str(batch_id),
                  {"batch_no": batch_no, "dept": department.code, "counter": counter.number,
                   "cases": [r[1] for r in rows]})
        uow.commit()
        return _batch_view(s, _batch(s, batch_no))


def _batch(s: Session, batch_no: str, *, lock: bool = False) -> TransferBatch:
    q = select(TransferBatch).where(TransferBatch.batch_no == batch_no)
    if lock and s.get_bind().dialect.name != "sqlite":
        q = q.with_for_update()
    batch = s.execute(q).scalar_one_or_none()
    if batch is None:
        raise NotFound(f"交接单 {batch_no} 不存在：请核对交接单号，或重新扫描交接单右上角的二维码")
    return batch


def _batch_view(s: Session, batch: TransferBatch) -> BatchView:
    department = s.get(Department, batch.dept_id)
    assert department is not None
    counter = s.get(Counter, batch.counter_id) if batch.counter_id else None
    names = {u: n for u, n in s.execute(select(User.username, User.full_name)
                                        .where(User.username.in_({batch.created_by, batch.received_by} - {""})))}
    rows = s.execute(select(*_folder_columns(), TransferCase.state)
                     .join(TransferCase, TransferCase.case_id == Case.id)
                     .join(ServiceItem, Case.item_id == ServiceItem.id)
                     .outerjoin(Enterprise, Case.enterprise_id == Enterprise.id)
                     .where(TransferCase.batch_id == batch.id).order_by(Case.accepted_at, Case.case_no)).all()
    states = {r[0]: r[-1] for r in rows}
    folders = _folders(s, [tuple(r)[:-1] for r in rows], states)
    return BatchView(batch.batch_no, department.code, department.name, counter.number if counter else None,
                     batch.created_at, batch.created_by, names.get(batch.created_by, batch.created_by),
                     batch.received_at, batch.received_by, names.get(batch.received_by, batch.received_by),
                     tuple(folders))


def _may_view(actor: Actor, batch: TransferBatch, counter_number: int | None, dept_name: str) -> None:
    """The sending counter's clerks, the receiving department's reviewers and chief representative, supervisors."""
    require(actor, "transfer.view")
    if actor.role == "clerk" and (actor.counter_number is None or actor.counter_number != counter_number):
        raise PermissionDenied("窗口人员只能查看本窗口移交的交接单")
    if actor.role in ("reviewer", "chief_rep") and actor.dept_id != batch.dept_id:
        raise PermissionDenied(f"交接单 {batch.batch_no} 移交给{dept_name}：只能查看、签收本部门的交接单")


def get_batch(uow: UnitOfWork, actor: Actor, batch_no: str) -> BatchView:
    """One batch with its cases (the receiving department's check before it signs)."""
    require(actor, "transfer.view")
    with uow:
        return _viewable(uow.session, actor, batch_no)


def _viewable(s: Session, actor: Actor, batch_no: str) -> BatchView:
    """The batch ``actor`` may see (its counter's clerk, its department, the supervisor), or a refusal."""
    batch = _batch(s, parse_batch_no(batch_no))
    view = _batch_view(s, batch)
    _may_view(actor, batch, view.counter, view.dept_name)
    return view


def list_batches(uow: UnitOfWork, actor: Actor, dept: str | None = None, *, limit: int = 100) -> list[BatchView]:
    """Batches newest first: a clerk's counter's, a department's (reviewers, chief representative: their own),
    or every department's (supervisors; ``dept`` narrows)."""
    require(actor, "transfer.view")
    with uow:
        s = uow.session
        q = select(TransferBatch).order_by(TransferBatch.created_at.desc(), TransferBatch.batch_no.desc())
        if dept:
            department = _department(s, dept)
            if actor.role in ("reviewer", "chief_rep") and actor.dept_id != department.id:
                raise PermissionDenied(f"只能查看本部门（{actor.dept_name}）的交接单")
            q = q.where(TransferBatch.dept_id == department.id)
        if actor.role in ("reviewer", "chief_rep"):
            q = q.where(TransferBatch.dept_id == actor.dept_id)
        if actor.role == "clerk":
            q = q.join(Counter, TransferBatch.counter_id == Counter.id).where(Counter.number == actor.counter_number)
        return [_batch_view(s, b) for b in s.execute(q.limit(limit)).scalars()]


@retry_transient
def receive_batch(uow: UnitOfWork, actor: Actor, batch_no: str, missing: Sequence[str] = ()) -> BatchView:
    """The department signs for a batch (``batch_no`` typed, or the QR text ``HDTB:…`` scanned): every folder
    received except those of ``missing``.  On a batch signed for already, the folders still missing and not
    named again in ``missing`` are received now (a folder found later)."""
    require(actor, "transfer.receive")
    number = parse_batch_no(batch_no)
    limits.check_each(limits.CASE_NO, missing, "missing")
    absent = {c.strip().upper() for c in missing if c.strip()}
    with uow:
        s = uow.session
        check_current(s, actor)
        batch = _batch(s, number, lock=True)
        department = s.get(Department, batch.dept_id)
        assert department is not None
        if actor.dept_id != batch.dept_id:
            raise PermissionDenied(f"交接单 {batch.batch_no} 移交给{department.name}，只能由该部门的审批人员或首席代表签收")
        rows = s.execute(select(TransferCase.id, TransferCase.case_id, TransferCase.state, Case.case_no, Case.status)
                         .join(Case, TransferCase.case_id == Case.id)
                         .where(TransferCase.batch_id == batch.id)).all()
        unknown = sorted(absent - {r.case_no for r in rows})
        if unknown:
            raise ValidationError("missing", f"交接单 {batch.batch_no} 中没有这些办件：{'、'.join(unknown)}")
        first = batch.received_at is None
        # A first receipt settles every folder; a later one only those still missing.
        open_rows = [r for r in rows if r.state == SENT] if first else [r for r in rows if r.state == MISSING]
        arrived = [r for r in open_rows if r.case_no not in absent]
        lost = [r for r in open_rows if r.case_no in absent] if first else []
        if not first and not arrived:
            when = f"{batch.received_at.astimezone(HALL_TZ):%Y-%m-%d %H:%M}" if batch.received_at else ""
            still = "、".join(r.case_no for r in open_rows)
            raise Conflict(f"交接单 {batch.batch_no} 已于{when}签收" + (f"；仍未到：{still}" if still else "，材料已全部送达"))
        now = utcnow()
        if first:
            batch.received_at = now
            batch.received_by = actor.username
        for rows_of, state in ((arrived, RECEIVED), (lost, MISSING)):
            if rows_of:
                s.execute(update(TransferCase).where(TransferCase.id.in_([r.id for r in rows_of])).values(state=state))
        _add_events(s, ((r.case_id, r.status) for r in arrived), EVENT_RECEIVED, actor.username,
                    f"{department.name}签收交接单 {batch.batch_no} 的纸质材料" + ("" if first else "（后到）"), now)
        _add_events(s, ((r.case_id, r.status) for r in lost), EVENT_MISSING, actor.username,
                    f"签收交接单 {batch.batch_no} 时纸质材料未到", now)
        uow.audit(actor.username, "transfer.receive", "transfer_batch", str(batch.id),
                  {"batch_no": batch.batch_no, "dept": department.code, "first": first,
                   "received": [r.case_no for r in arrived], "missing": [r.case_no for r in lost]})
        _notify_queue(s, department.code)
        uow.commit()
        return _batch_view(s, batch)


def paper_arrived_column() -> Any:
    """The queue's 纸质材料 mark, as a column of a query over ``hd_case``: None for an online case (no paper),
    else whether its folder was signed for (one probe of ``transfer_case``'s case index per row)."""
    received = exists().where(TransferCase.case_id == Case.id, TransferCase.state == RECEIVED)
    return case((Case.channel != "window", None), else_=received)


# ---- the 交接单 ----------------------------------------------------------------------------------------------


def sheet_of(view: BatchView, hall_name: str) -> TransferSheet:
    """What the 交接单 of ``view`` prints."""
    materials, originals, copies = view.totals
    created = f"{view.created_at.astimezone(HALL_TZ):%Y-%m-%d %H:%M}"
    counter = f"{view.counter}号窗口" if view.counter is not None else "—"
    received = (f"{view.received_at.astimezone(HALL_TZ):%Y-%m-%d %H:%M}" if view.received_at else "")
    return TransferSheet(
        hall_name=hall_name, batch_no=view.batch_no, qr_payload=view.qr_payload,
        lines=(f"交接单号：{view.batch_no}", f"接收部门：{view.dept_name}", f"移交窗口：{counter}　　移交人：{view.created_by_name}",
               f"生成时间：{created}"),
        rows=tuple(SheetRow(f.case_no, f.item_name, f.applicant,
                            f"{f.materials}项\n原件{f.originals}份\n复印件{f.copies}份") for f in view.cases),
        closing=f"共{len(view.cases)}件，材料{materials}项（原件{originals}份，复印件{copies}份）。"
                "接收部门请逐件核对，未到的办件在签收时注明。",
        signatures=(("移交人（签字）", view.created_by_name), ("接收人（签字）", view.received_by_name),
                    ("移交时间", created), ("接收时间", received)),
    )


def batch_sheet(uow: UnitOfWork, actor: Actor, batch_no: str) -> tuple[BatchView, bytes]:
    """The batch and its 材料流转交接单 as A4 PDF (printed when made; a reprint is the same sheet)."""
    require(actor, "transfer.view")
    with uow:
        view = _viewable(uow.session, actor, batch_no)
        hall = read_settings(uow.session)
    from app.printing.transfer_sheet import render_transfer_sheet  # reportlab: loaded for the first 交接单

    return view, render_transfer_sheet(sheet_of(view, hall.name))
