"""Helpers for tests that take applications: real items from the demo catalog, valid people and companies."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from app import catalog
from app.context import HallDesk
from app.intake import AgentInput, EnterpriseInput, IntakeRequest, MaterialInput
from app.validators import make_id_number, make_uscc
from db.models import AuditEvent, Case, CaseMaterial, Enterprise, Notice, PrintJob

AGENT = AgentInput(name="张伟", id_number=make_id_number("360112", date(1985, 6, 15), 123), phone="13807910001")
ENTERPRISE = EnterpriseInput(uscc=make_uscc(4242), name="南昌新建经开测试科技有限公司", legal_rep="刘洋",
                             address="新建经开区长堎大道8号")


def item_with_tolerable(hall: HallDesk) -> catalog.Item:
    return next(i for i in catalog.list_items(hall.uow()) if not i.immediate and i.promised_days >= 3
                and any(m.tolerable for m in i.materials))


def immediate_item(hall: HallDesk) -> catalog.Item:
    return next(i for i in catalog.list_items(hall.uow()) if i.immediate)


def all_received(item: catalog.Item) -> dict[str, MaterialInput]:
    return {m.code: MaterialInput("waived" if m.covered_by else "received") for m in item.materials}


def request(item: catalog.Item, outcome: str = "accept", **changes: Any) -> IntakeRequest:
    materials = changes.pop("materials", None) or all_received(item)
    return IntakeRequest(item=item.code, agent=changes.pop("agent", AGENT), materials=materials, outcome=outcome,
                         enterprise=changes.pop("enterprise", ENTERPRISE), **changes)


def case_numbers(url: str) -> list[str]:
    """Every case number in the database at ``url`` (opened and closed here, as another program would)."""
    hall = HallDesk.open(url)
    try:
        with hall.uow() as uow:
            return list(uow.session.execute(select(Case.case_no)).scalars())
    finally:
        hall.close()


def row_counts(hall: HallDesk) -> tuple[int, ...]:
    """Rows an intake writes: a failed intake must leave every one of these unchanged."""
    with hall.uow() as uow:
        return tuple(uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Case, CaseMaterial, Notice, PrintJob, AuditEvent, Enterprise))
