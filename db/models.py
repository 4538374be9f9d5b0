"""HallDesk's tables as SQLAlchemy 2 typed models.

Primary keys are UUIDs made by the client, because counters will create cases while the shared database is
out of reach.  Names follow ``../shared/DOMAIN.md``.

Every column a person types into has a length (``String(n)``, characters on every engine); ``app.limits``
derives its checks and the GUI's input limits from these lengths.  The ``Text`` columns left hold the
program's own text, never a person's typing as such: JSON snapshots and payloads (notices, print jobs, audit
rows, settings values, sync state, upload errors, 梯度 schemes), ``result_docs`` (the service's wording), ``evaluation.reasons`` (a JSON
list of reason codes) and ``outbox.last_error``.  The longest rows (``hd_case``, ``grievance``) stay far below
MariaDB's 65,535-byte row limit at 4 bytes a character (utf8mb4).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import Money, UtcDateTime, utcnow

# Stable constraint names, so that migrations can refer to them on every engine.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), uuid.UUID: Uuid()}


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Department(Base):
    __tablename__ = "department"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list[ServiceItem]] = relationship(
        back_populates="department", order_by="ServiceItem.sort_order"
    )


class Counter(Base):
    """A window of the hall (窗口), with the printer it prints to."""

    __tablename__ = "counter"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    printer_uri: Mapped[str] = mapped_column(String(255), default="")
    # Where A4 notices go (cups://, file://, tcp://); empty: the clerk prints them from the preview.
    a4_printer_uri: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "hd_user"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    dept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when an admin (or the demo) chose the password: the user must replace it with their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    department: Mapped[Department | None] = relationship()
    counter: Mapped[Counter | None] = relationship()


class RegionalAssessment(Base):
    """A zone-wide assessment (区域评估) already done; materials it covers need not be submitted."""

    __tablename__ = "regional_assessment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(255), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class ServiceItem(Base):
    """A catalogued procedure (政务服务事项) and its guide (办事指南)."""

    __tablename__ = "service_item"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    dept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str] = mapped_column(String(1000), default="")
    legal_days: Mapped[int] = mapped_column(Integer)
    promised_days: Mapped[int] = mapped_column(Integer)
    immediate: Mapped[bool] = mapped_column(Boolean, default=False)
    fee: Mapped[str] = mapped_column(String(255), default="不收费")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Withdrawn items (停用) stay for the cases that refer to them but are no longer offered or exported.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Optimistic lock: two chief representatives editing one guide cannot overwrite each other silently.
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship(back_populates="items")
    materials: Mapped[list[MaterialRequirement]] = relationship(
        back_populates="item", order_by="MaterialRequirement.sort_order", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class MaterialRequirement(Base):
    """One line of an item's material list (申请材料)."""

    __tablename__ = "material_requirement"
    __table_args__ = (UniqueConstraint("item_id", "code", name="uq_material_requirement_item_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_item.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    originals: Mapped[int] = mapped_column(Integer, default=1)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    tolerable: Mapped[bool] = mapped_column(Boolean, default=False)
    covered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regional_assessment.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    item: Mapped[ServiceItem] = relationship(back_populates="materials")
    covered_by: Mapped[RegionalAssessment | None] = relationship()


class Enterprise(Base):
    """A market entity (市场主体), identified by its 统一社会信用代码."""

    __tablename__ = "enterprise"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    legal_rep: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # 园区企业名录 (issue 18): GB/T 4754-2017 code (``C3831``), 大型/中型/小型/微型, 万元, the 挂点 department.
    industry_code: Mapped[str] = mapped_column(String(5), default="")
    scale: Mapped[str] = mapped_column(String(4), default="")
    registered_capital: Mapped[Decimal | None] = mapped_column(Money())
    founded_on: Mapped[date | None] = mapped_column(Date)
    liaison_dept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    # The current 梯度 tier (its history in enterprise_tier); '' until a 综合评价 placed it.
    tier: Mapped[str] = mapped_column(String(16), default="")
    updated_at: Mapped[datetime | None] = mapped_column()

    liaison_dept: Mapped[Department | None] = relationship()


class EnterpriseCertification(Base):
    """A 资质 of an enterprise: 高新技术企业, 专精特新, 科技型中小企业 … with its certificate and validity."""

    __tablename__ = "enterprise_certification"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # 国家级/省级/市级 where the certification has levels (专精特新); '' otherwise.
    level: Mapped[str] = mapped_column(String(8), default="")
    number: Mapped[str] = mapped_column(String(64), default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class EnterpriseYear(Base):
    """One year's figures of an enterprise (年度数据); money in 万元 to the 元 (four decimals)."""

    __tablename__ = "enterprise_year"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    output_value: Mapped[Decimal | None] = mapped_column(Money())
    revenue: Mapped[Decimal | None] = mapped_column(Money())
    tax: Mapped[Decimal | None] = mapped_column(Money())
    rd_spend: Mapped[Decimal | None] = mapped_column(Money())
    assets: Mapped[Decimal | None] = mapped_column(Money())
    employees: Mapped[int | None] = mapped_column(Integer)


class TierScheme(Base):
    """One version of the 梯度 综合评价 scheme the 营商办 set: weights, certification points, tier thresholds
    (JSON, checked by ``app.enterprise_tiers``).  Never changed once saved: a new scheme is a new version."""

    __tablename__ = "tier_scheme"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    doc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class EnterpriseTier(Base):
    """The 梯度 tier an enterprise was placed in, when, by whom and under which 综合评价 scheme (history)."""

    __tablename__ = "enterprise_tier"
    __table_args__ = (Index("ix_enterprise_tier_enterprise_at", "enterprise_id", "decided_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id"))
    tier: Mapped[str] = mapped_column(String(16))  # '' when the enterprise fell below every tier
    score: Mapped[Decimal | None] = mapped_column(Money())  # an exact decimal (Money's four places), not money
    scheme_version: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(64))


class Case(Base):
    """One application (办件).  Core fields; intake and back office extend it."""

    __tablename__ = "hd_case"
    __table_args__ = (
        Index("ix_hd_case_status_promised_due", "status", "promised_due"),
        # The department queue's keyset order: one index range scan per page, even with a million cases.
        Index("ix_hd_case_queue", "dept_id", "status", "promised_due", "received_at", "id"),
        Index("ix_hd_case_holder", "holder_id", "status"),
        # Claims look for run-out leases first: one short range of this index, not every case under review.
        Index("ix_hd_case_lease", "dept_id", "status", "lease_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_item.id"), index=True)
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("enterprise.id"))
    agent_name: Mapped[str] = mapped_column(String(64), default="")
    agent_id_number: Mapped[str] = mapped_column(String(18), default="")
    agent_phone: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str] = mapped_column(String(8), default="window")
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter.id"))
    clerk_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_user.id"))
    status: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    promised_due: Mapped[date | None] = mapped_column(Date)
    legal_due: Mapped[date | None] = mapped_column(Date)
    # True while a due date rests on a year whose holiday arrangement is not yet known (待定).
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    pickup_code: Mapped[str] = mapped_column(String(8), default="")
    # The signed QR slip (see app.slips): made once at the counter, printed on every receipt and notice.
    slip: Mapped[str] = mapped_column(String(200), default="")
    # Online applications carry the portal's id: importing the same file twice creates nothing new.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    supplement_due: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str] = mapped_column(String(1000), default="")
    refusal_basis: Mapped[str] = mapped_column(String(1000), default="")
    # 行政许可法第32条: a correction notice served later than this counts as accepted on the day received.
    correction_deadline: Mapped[date | None] = mapped_column(Date)
    deemed_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    finished_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # --- back office (后台分类审批) ---
    # The department whose queue holds the case: the item's, until a 转办 moves it.
    dept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    # A claim is a lease: holder and expiry, and a fencing token that every new claim increments, so a
    # reviewer whose lease ran out (or whose PC died) can no longer write a decision.
    holder_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_user.id"))
    lease_until: Mapped[datetime | None]
    claim_token: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    step_due: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_user.id"))
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")
    decision_basis: Mapped[str] = mapped_column(String(1000), default="")
    # The written decision made with it (决定书 / 办理结果通知书, a ``notice`` row): its document number.
    decision_doc_no: Mapped[str | None] = mapped_column(String(48))
    # What the output window hands over: written by the service from its own wording (RESULT_DOCS), not typed.
    result_docs: Mapped[str] = mapped_column(Text, default="")
    # Working days of the promised limit left when the case went back for 补正 (the clock stops meanwhile).
    paused_promised: Mapped[int | None] = mapped_column(Integer)
    paused_legal: Mapped[int | None] = mapped_column(Integer)
    # When the running clock(s) stopped (退回补正: the promised one; 特别程序: both); None while they run.
    clock_paused_at: Mapped[datetime | None]
    # 特别程序 (行政许可法第45条) in progress: which one (听证, 检验, …) and why; "" when none.
    special_procedure: Mapped[str] = mapped_column(String(8), default="")
    special_reason: Mapped[str] = mapped_column(String(1000), default="")
    # 延期 (行政许可法第42条): working days added to the legal limit, once per case, with the head's approval.
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_approver: Mapped[str] = mapped_column(String(64), default="")
    extension_reason: Mapped[str] = mapped_column(String(1000), default="")
    # Where each clock last restarted (after a 补正 or a 特别程序) and the working days it had then; None: from
    # the acceptance day with the item's limits.  A change of the calendar recomputes the dates from here.
    promised_from: Mapped[date | None] = mapped_column(Date)
    promised_days_from: Mapped[int | None] = mapped_column(Integer)
    legal_from: Mapped[date | None] = mapped_column(Date)
    legal_days_from: Mapped[int | None] = mapped_column(Integer)
    # 出件: wrong pickup codes in a row; at 5 the case is locked until a supervisor unlocks it.
    pickup_failures: Mapped[int] = mapped_column(Integer, default=0)
    pickup_locked_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    item: Mapped[ServiceItem] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    counter: Mapped[Counter | None] = relationship()
    clerk: Mapped[User | None] = relationship(foreign_keys=[clerk_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[dept_id])
    holder: Mapped[User | None] = relationship(foreign_keys=[holder_id])
    materials: Mapped[list[CaseMaterial]] = relationship(
        back_populates="case", order_by="CaseMaterial.sort_order", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.at", cascade="all, delete-orphan")
    notices: Mapped[list[Notice]] = relationship(order_by="Notice.issued_at", cascade="all, delete-orphan")


class CaseMaterial(Base):
    """The state of one required material in one case, as checked at the counter."""

    __tablename__ = "case_material"
    __table_args__ = (UniqueConstraint("case_id", "code", name="uq_case_material_case_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # received | missing | defective | tolerated | waived
    state: Mapped[str] = mapped_column(String(16))
    originals: Mapped[int] = mapped_column(Integer, default=0)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    electronic: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(255), default="")
    # The 区域评估 that waives it (name as printed), for state "waived".
    assessment: Mapped[str] = mapped_column(String(64), default="")
    supplement_due: Mapped[date | None] = mapped_column(Date)
    supplemented_at: Mapped[datetime | None]
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    case: Mapped[Case] = relationship(back_populates="materials")


class CaseEvent(Base):
    """Status history of a case: who moved it from what to what, and why."""

    __tablename__ = "case_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32), default="")
    to_status: Mapped[str] = mapped_column(String(32))
    # An opinion or a decision's reason as typed, plus the service's own words (e.g. （转至SCJ）): room for both.
    note: Mapped[str] = mapped_column(String(1100), default="")


class Notice(Base):
    """A notice issued on a case (受理通知书, 不予受理通知书, ...), with its document number and a snapshot.

    The snapshot (JSON of what was printed) makes every reprint identical to the original.
    """

    __tablename__ = "notice"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    doc_no: Mapped[str] = mapped_column(String(48), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)


class CounterSequence(Base):
    """Per-counter number sequences (case numbers per day, document numbers per year).

    Scoped by counter so that numbers are unique without asking anyone else: an offline counter keeps
    counting on its own.
    """

    __tablename__ = "counter_sequence"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class CounterKey(Base):
    """A counter's Ed25519 public key; the private half never leaves the counter PC."""

    __tablename__ = "counter_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    counter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("counter.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired: replaced by a newer key; slips it signed stay valid.  Revoked: compromised; its slips are refused.
    retired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    counter: Mapped[Counter] = relationship()


class PrinterProfile(Base):
    """How one thermal printer (by URI) wants its bytes; see app.printing.model.PrinterProfile."""

    __tablename__ = "printer_profile"

    uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    paper_mm: Mapped[int] = mapped_column(Integer, default=80)
    encoding: Mapped[str] = mapped_column(String(16), default="GB18030")
    chinese_mode: Mapped[bool] = mapped_column(Boolean, default=True)
    raster: Mapped[bool] = mapped_column(Boolean, default=False)
    qr_native: Mapped[bool] = mapped_column(Boolean, default=True)
    cut: Mapped[bool] = mapped_column(Boolean, default=True)
    status_check: Mapped[bool] = mapped_column(Boolean, default=True)


class PrintJob(Base):
    """One thing to print, written in the same transaction as the change that caused it.

    ``payload`` is the document as data (a Receipt or a Notice), so a retry prints exactly the same.
    """

    __tablename__ = "print_job"
    __table_args__ = (Index("ix_print_job_status_next", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_case.id"), index=True)
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter.id"))
    # receipt | handover | test | notice
    kind: Mapped[str] = mapped_column(String(16))
    notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notice.id"))
    printer_uri: Mapped[str] = mapped_column(String(255), default="")
    # pending | sending | printed | failed | cancelled  ("sending" is a short lease, shown as pending)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(255), default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(255), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship()


class AuditEvent(Base):
    """One row of an append-only, hash-chained audit trail.

    Rows belong to a ``chain``: the shared database writes chain ``hall``; an offline counter will keep a
    chain of its own, so chains never interleave and each verifies alone.
    """

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_event_chain_seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    chain: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last row of each chain; locked while appending, and lets `audit verify` notice a cut-off tail."""

    __tablename__ = "audit_chain_head"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """Hall-wide settings as JSON values (hall name, area code, address, phone, ...)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CalendarOverride(Base):
    """An admin's correction of the holiday calendar: ``workday`` True makes a day working, False a day off."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(255), default="")


class CalendarYear(Base):
    """A year whose State Council holiday arrangement the admin has entered as overrides."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed_by: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Seal(Base):
    """A department's 审批专用章, kept by its chief representative."""

    __tablename__ = "seal"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SealAuthorisation(Base):
    """The chief representative's authorisation to seal one case's decision."""

    __tablename__ = "seal_authorisation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id"), index=True)
    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seal.id"))
    # The department whose chief representative granted it: a grant never travels with a 转办.
    dept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    authorised_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SealUsage(Base):
    """The seal register: every use of a seal, with who applied it and who authorised it."""

    __tablename__ = "seal_usage"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seal.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    applied_by: Mapped[str] = mapped_column(String(64))
    authorised_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- the output window (统一窗口出件), 好差评 and 整改 --------------------------------------------------


class Handover(Base):
    """The hand-over of a case's result (出件): to a collector at the window, or mailed by EMS.

    One per case: the unique case_id is what makes a second hand-over impossible, even from two windows at once.
    """

    __tablename__ = "handover"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id"), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    clerk_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_user.id"))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter.id"))
    # window | mail
    method: Mapped[str] = mapped_column(String(8))
    # How the applicant proved the right to collect: slip (scanned, signature checked) | code (case no + pickup code)
    credential: Mapped[str] = mapped_column(String(8))
    collector_name: Mapped[str] = mapped_column(String(64), default="")
    collector_id_number: Mapped[str] = mapped_column(String(18), default="")
    # The collector is not the agent on record: a 委托书 was checked and kept.
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    proxy_note: Mapped[str] = mapped_column(String(255), default="")
    mail_recipient: Mapped[str] = mapped_column(String(64), default="")
    mail_phone: Mapped[str] = mapped_column(String(20), default="")
    mail_address: Mapped[str] = mapped_column(String(255), default="")
    tracking_no: Mapped[str] = mapped_column(String(32), default="")
    result_docs: Mapped[str] = mapped_column(Text, default="")


class Evaluation(Base):
    """One 好差评 rating (GB/T 39734 five levels) of a case, given at one occasion (after intake or hand-over)."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("case_id", "occasion", name="uq_evaluation_case_occasion"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id"))
    # intake | issue
    occasion: Mapped[str] = mapped_column(String(8))
    level: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(Text, default="")  # JSON list of reason codes
    comment: Mapped[str] = mapped_column(String(500), default="")
    dept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"), index=True)
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter.id"))
    clerk_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Rectification(Base):
    """差评整改: every 差评 gets a callback and a fix from the department, within a working-day deadline."""

    __tablename__ = "rectification"
    __table_args__ = (Index("ix_rectification_dept_status_due", "dept_id", "status", "due"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation.id"), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id"), index=True)
    dept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("department.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due: Mapped[date] = mapped_column(Date)
    # open | called_back | closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    callback_at: Mapped[datetime | None]
    callback_by: Mapped[str] = mapped_column(String(64), default="")
    callback_note: Mapped[str] = mapped_column(String(1000), default="")
    fix_note: Mapped[str] = mapped_column(String(1000), default="")
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str] = mapped_column(String(64), default="")


# ---- the 办不成事 window (grievances) -------------------------------------------------------------------


class Grievance(Base):
    """办不成事窗口: a complaint or an unresolved demand, 受理 → 分类 → 转办/督办 → 办结 → 回访 → 归档 (app.grievance)."""

    __tablename__ = "grievance"
    # A department's list (the chief representative's page) by status and deadline: one index range.
    __table_args__ = (Index("ix_grievance_dept_status_due", "dept_id", "status", "due"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    grievance_no: Mapped[str] = mapped_column(String(32), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # window | phone | online | letter
    channel: Mapped[str] = mapped_column(String(8), default="window")
    # unresolved (办不成事) | complaint (投诉) | suggestion (建议); None until classified
    category: Mapped[str | None] = mapped_column(String(16))
    complainant: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20), default="")
    content: Mapped[str] = mapped_column(String(2000))
    # The case the complaint is about, if any.
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_case.id"))
    # The department it was handed to (转办); None until then.
    dept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    # received | classified | assigned | resolved | called_back | archived
    status: Mapped[str] = mapped_column(String(16), default="received")
    # 限时督办: the department's deadline, set by 转办 and by a 督办 or reopening that gives new days.
    due: Mapped[date | None] = mapped_column(Date)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    reply: Mapped[str] = mapped_column(String(2000), default="")
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hd_user.id"))
    resolved_at: Mapped[datetime | None]
    callback_note: Mapped[str] = mapped_column(String(1000), default="")
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[GrievanceEvent]] = relationship(order_by="GrievanceEvent.seq", cascade="all, delete-orphan")


class GrievanceEvent(Base):
    """One step in a grievance's history: who did what, when, and what they wrote."""

    __tablename__ = "grievance_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    grievance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grievance.id", ondelete="CASCADE"), index=True)
    # Position in the history: a dissatisfied callback and the reopening it causes share one instant.
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    # register | classify | assign | urge | resolve | callback | reopen | archive
    action: Mapped[str] = mapped_column(String(16))
    # A reply, a 督办 or callback note as typed, plus the service's own words (不满意：…, （新期限：…）).
    note: Mapped[str] = mapped_column(String(2100), default="")


class Outbox(Base):
    """A counter's local store: one row per intake or resubmission still to be pushed to the shared database.

    Written in the same transaction as the case (transactional outbox); ``sent_at`` is set once the shared
    database has committed the case.  The table exists in every database but stays empty on the shared one.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_sent_at_seq", "sent_at", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="")


class SyncState(Base):
    """A counter's local store: small key/value facts about sync (counter, last pull, last success, last error)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# A chunk is at most 1 MiB (app.files.CHUNK_BYTES): MariaDB's BLOB holds only 64 KiB, MEDIUMBLOB 16 MiB.
ChunkBytes = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class StoredFile(Base):
    """电子件: one file's content, stored once however many cases carry it, keyed by its SHA-256.

    The bytes are in ``stored_file_chunk`` rows.  This row is written only when every chunk is there (in the
    case's own transaction at a counter that is online, or by the last chunk of an offline counter's upload), so
    a ``stored_file`` row always means a whole file whose hash was checked.
    """

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # pdf | jpeg | png (app.scans.Normalised.kind)
    kind: Mapped[str] = mapped_column(String(8))
    pages: Mapped[int] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved to the hall's file share (``files archive``): the file's path there, and its chunks are gone.
    archive_path: Mapped[str | None] = mapped_column(String(500))


class StoredFileChunk(Base):
    """One piece (≤ 1 MiB) of a stored file, so that a 50 MB scan is written and read as a stream.

    No foreign key to ``stored_file``: an offline counter's upload sends the chunks first and the file row last.
    """

    __tablename__ = "stored_file_chunk"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(ChunkBytes)


class CaseFile(Base):
    """A stored file attached to one material of a case, in the clerk's page order.

    ``sha256`` has no foreign key: a case pushed by an offline counter arrives before its files (cases first,
    files after); until the file row exists the viewer says the file is still on its way.
    """

    __tablename__ = "case_file"
    __table_args__ = (Index("ix_case_file_case_id_material", "case_id", "material_code", "position"),
                      Index("ix_case_file_sha256", "sha256"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id", ondelete="CASCADE"))
    material_code: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    # The name the file had on the clerk's PC (shown to the reviewer; never used to judge the type).
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))
    pages: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class FileOutbox(Base):
    """A counter's local store: one row per stored file still to be uploaded to the shared database.

    Files go after the cases (a case is pushed whole without its file content), chunk by chunk: ``sent_chunks``
    is how far the upload got, so a cut connection resumes at the next chunk.  Empty on the shared database.
    """

    __tablename__ = "file_outbox"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_chunks: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class TransferBatch(Base):
    """材料流转: one batch of paper folders from the intake counter to a department, with its 交接单.

    ``received_at`` is set when the department signs for it (scanning the batch QR or typing its number).
    """

    __tablename__ = "transfer_batch"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    batch_no: Mapped[str] = mapped_column(String(32), unique=True)
    dept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("department.id"), index=True)
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime | None]
    received_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(255), default="")


class TransferCase(Base):
    """One case's paper folder in a transfer batch: sent, then received or missing on arrival."""

    __tablename__ = "transfer_case"
    __table_args__ = (UniqueConstraint("batch_id", "case_id", name="uq_transfer_case_batch_case"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfer_batch.id", ondelete="CASCADE"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hd_case.id", ondelete="CASCADE"), index=True)
    # sent | received | missing
    state: Mapped[str] = mapped_column(String(12), default="sent")
