"""Demo data: the default catalog, the hall's counters and one account per role.  Idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from app import catalog, enterprise_tiers
from app.auth import Actor, hash_password
from app.demo_registry import load_registry
from app.errors import PermissionDenied
from app.hall_settings import HallSettings
from app.infra import keys
from app.printing.folder import folder_uri
from app.resources import default_catalog_path
from app.roles import require
from app.uow import UnitOfWork
from db.engine import data_dir
from db.models import Counter, Department, Enterprise, ServiceItem, Setting, User

DEMO_PASSWORD = "Demo@12345"

DEMO_COUNTERS = (
    (1, "综合受理1号窗口", "comprehensive"),
    (2, "综合受理2号窗口", "comprehensive"),
    (3, "统一出件窗口", "output"),
    (8, "惠企政策兑现专窗", "policy"),
    (9, "办不成事窗口", "grievance"),
)

# (uscc, name, legal representative, address, phone) — made-up enterprises with valid codes.
DEMO_ENTERPRISES = (
    ("91360112MA35XJ017X", "南昌新建经开智造科技有限公司", "王建国", "新建经开区长堎工业园兴业大道188号", "13870012345"),
    ("91360112MA35XJ025Q", "江西赣新食品有限公司", "李秀英", "新建经开区望城新区璜溪大道66号", "13907918888"),
    ("91360112MA35XJ033K", "南昌昌北物流运输有限公司", "陈志强", "新建经开区港口大道1号", "15979100001"),
)


# The day the demo's 梯度 are evaluated on (certifications valid then count), so every run places them alike.
DEMO_TIER_DAY = date(2026, 12, 1)

PRINT_FOLDER = "打印输出"  # in the data folder: the demo's folder printers, one subfolder per counter


@dataclass(frozen=True)
class DemoSummary:
    created_users: int
    created_counters: int
    catalog_items: int
    print_folder: str = ""  # where the demo counters' folder printers write ('' when none was set)


def demo_print_folder(number: int, root: Path | None = None) -> Path:
    """Where counter ``number`` of the demo prints: ``<data folder>/打印输出/窗口N``."""
    return (root or data_dir()) / PRINT_FOLDER / f"窗口{number}"


def _demo_users(depts: list[Department]) -> list[tuple[str, str, str, str | None, int | None]]:
    users: list[tuple[str, str, str, str | None, int | None]] = [
        ("admin", "系统管理员", "admin", None, None),
        ("supervisor", "营商办督查员", "supervisor", "YSB", None),
        ("clerk1", "综合窗口一", "clerk", None, 1),
        ("clerk2", "综合窗口二", "clerk", None, 2),
        ("clerk3", "出件窗口", "clerk", None, 3),
        # The 办不成事 window: its clerk writes down complaints and demands (starts at the 办不成事 page).
        ("clerk9", "办不成事窗口", "clerk", None, 9),
    ]
    for d in depts:
        short = d.name.removeprefix("区")
        users.append((f"rev_{d.code.lower()}", f"{short}审批员", "reviewer", d.code, None))
        users.append((f"chief_{d.code.lower()}", f"{short}首席代表", "chief_rep", d.code, None))
    return users


def has_users(uow: UnitOfWork) -> bool:
    with uow:
        return uow.session.execute(select(User.id).limit(1)).first() is not None


def demo_printers(uow: UnitOfWork, root: Path | None = None) -> str:
    """Point every demo counter that has no printer at a folder printer in the data folder
    (``<data>/打印输出/窗口N``, receipts and notices alike): a demo prints with no hardware and raises no
    printer alarm.  A counter with any printer an admin set keeps its printers.  Returns the parent folder
    ('' when no counter was changed).  ``root``: another folder than the data folder (tests)."""
    numbers = [number for number, _name, _kind in DEMO_COUNTERS]
    changed = False
    with uow:
        for counter in uow.session.execute(select(Counter).where(Counter.number.in_(numbers))).scalars():
            if not counter.printer_uri and not counter.a4_printer_uri:
                counter.printer_uri = counter.a4_printer_uri = folder_uri(demo_print_folder(counter.number, root))
                changed = True
        uow.commit()
    return str((root or data_dir()) / PRINT_FOLDER) if changed else ""


def load_demo(uow: UnitOfWork, actor: Actor | None = None, *, folder_printers: bool = True) -> DemoSummary:
    """Create what is missing; never overwrite what an admin changed.

    The demo accounts share a published password (they must change it at their first login), and the demo
    registers counter keys made on this PC: so on a database that has any user it runs only for an admin.
    ``folder_printers``: the demo counters print into folders (``demo_printers``); the tests' demo database
    keeps them without printers.
    """
    if has_users(uow):
        if actor is None:
            raise PermissionDenied("数据库中已有用户：演示数据只能装入空数据库；确需补充时，请由管理员登录后运行"
                                   "（python -m app --user admin demo）")
        require(actor, "demo.load")
    with uow:
        has_catalog = uow.session.execute(select(func.count()).select_from(Department)).scalar_one() > 0
    if not has_catalog:
        catalog.import_yaml(uow, None, default_catalog_path().read_text(encoding="utf-8"), source="default.yaml")
    with uow:
        s = uow.session
        if s.get(Setting, "hall") is None:
            s.add(Setting(key="hall", value=json.dumps(HallSettings().as_json(), ensure_ascii=False, sort_keys=True)))
        counters = {c.number: c for c in s.execute(select(Counter)).scalars()}
        created_counters = 0
        for number, name, kind in DEMO_COUNTERS:
            if number not in counters:
                counters[number] = Counter(number=number, name=name, kind=kind, printer_uri="")
                s.add(counters[number])
                created_counters += 1
        s.flush()
        depts = list(s.execute(select(Department).order_by(Department.sort_order)).scalars())
        by_code = {d.code: d for d in depts}
        existing = set(s.execute(select(User.username)).scalars())
        created = 0
        # One hash for all demo users: argon2 is deliberately slow, and the password is the same anyway.
        pw_hash = hash_password(DEMO_PASSWORD)
        for username, full_name, role, dept, counter in _demo_users(depts):
            if username in existing:
                continue
            user = User(
                username=username, full_name=full_name, role=role, password_hash=pw_hash,
                department=by_code.get(dept) if dept else None,
                counter=counters.get(counter) if counter else None,
                must_change_password=True,  # the published demo password
            )
            s.add(user)
            created += 1
        known = {e.uscc: e for e in s.execute(select(Enterprise)).scalars()}
        for uscc, name, rep, address, phone in DEMO_ENTERPRISES:
            if uscc not in known:
                known[uscc] = Enterprise(uscc=uscc, name=name, legal_rep=rep, address=address, contact_phone=phone)
                s.add(known[uscc])
        s.flush()
        load_registry(s, [known[uscc] for uscc, *_ in DEMO_ENTERPRISES])
        if created or created_counters:
            uow.audit(actor.username if actor else "system", "demo.load", "demo", "-",
                      {"users": created, "counters": created_counters})
        items = s.execute(select(func.count()).select_from(ServiceItem).where(ServiceItem.active.is_(True))).scalar_one()
        uow.commit()
    if not enterprise_tiers.has_scheme(uow):  # the demo's 梯度: its scheme, and every enterprise placed
        enterprise_tiers.save_scheme(uow, None, enterprise_tiers.default_scheme_doc())
        enterprise_tiers.recompute(uow, None, today=DEMO_TIER_DAY)
    # Each demo counter signs its slips with a key kept on this PC.
    for number, _name, _kind in DEMO_COUNTERS:
        keys.ensure_counter_key(uow, number)
    where = demo_printers(uow) if folder_printers else ""
    return DemoSummary(created_users=created, created_counters=created_counters, catalog_items=items,
                       print_folder=where)
