"""Finding a service item at the counter: by any part of its name, its code, or its pinyin initials.

``sgxk`` finds 建筑工程施工许可证核发 (jian zhu gong cheng **s**hi **g**ong **x**u **k**e …).  The clerk's own
recent and frequent items come first: a counter handles the same few items all day.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from app import catalog
from app.auth import Actor
from app.uow import UnitOfWork
from db.models import Case, ServiceItem, User
from db.types import utcnow

RECENT_WINDOW = timedelta(days=30)


@functools.lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """Pinyin initials of the hanzi in ``name``, e.g. 施工许可 → sgxk (other characters dropped)."""
    # Imported at the first search (on a pool thread), not with the counter page: pypinyin's phrase dictionary
    # takes a quarter of a second to load, and the workspace opens without it (bench/bench_startup.py).
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(ch for ch in "".join(letters).lower() if ch.isascii() and ch.isalpha())


@functools.lru_cache(maxsize=4096)
def full_pinyin(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name, errors="ignore")).lower()


@dataclass(frozen=True)
class ItemHit:
    item: catalog.Item
    uses: int  # how often this clerk took it in the last 30 days
    recent: bool  # among this clerk's last five items


def _usage(uow: UnitOfWork, actor: Actor) -> tuple[dict[str, int], list[str]]:
    since = utcnow() - RECENT_WINDOW
    with uow:
        s = uow.session
        counts = dict(
            s.execute(
                select(ServiceItem.code, func.count(Case.id))
                .join(Case, Case.item_id == ServiceItem.id)
                .join(User, Case.clerk_id == User.id)
                .where(User.username == actor.username, Case.received_at >= since)
                .group_by(ServiceItem.code)
            ).all()
        )
        recent_rows = s.execute(
            select(ServiceItem.code)
            .join(Case, Case.item_id == ServiceItem.id)
            .join(User, Case.clerk_id == User.id)
            .where(User.username == actor.username)
            .order_by(Case.received_at.desc())
            .limit(20)
        ).scalars()
        recent: list[str] = []
        for code in recent_rows:
            if code not in recent:
                recent.append(code)
            if len(recent) == 5:
                break
    return {str(k): int(v) for k, v in counts.items()}, recent


def matches(item: catalog.Item, query: str) -> bool:
    q = query.strip().lower()
    if not q:
        return True
    if q in item.name.lower() or q in item.code.lower():
        return True
    if q.isascii() and q.isalpha():
        return q in initials(item.name) or q in full_pinyin(item.name)
    return False


def search_items(uow: UnitOfWork, actor: Actor, query: str = "", limit: int = 50) -> list[ItemHit]:
    """Active items matching ``query``: this clerk's recent ones first, then by use, then catalog order."""
    items = catalog.list_items(uow)
    counts, recent = _usage(uow, actor)
    hits = [ItemHit(i, counts.get(i.code, 0), i.code in recent) for i in items if matches(i, query)]
    order = {code: n for n, code in enumerate(recent)}
    hits.sort(key=lambda h: (order.get(h.item.code, len(order)), -h.uses))
    return hits[:limit]
