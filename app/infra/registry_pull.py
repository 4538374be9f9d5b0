"""The 园区企业名录 (issue 18) pulled into a counter's own store (``app.infra.sync.pull``), so that a known company
fills itself in at an offline counter too: whole, and only when its fingerprint
changed (the registry changes by imports, a few times a year).  The import and the 梯度 recompute stamp
``enterprise.updated_at`` whenever an enterprise, its 资质 or its figures change.  The tier history stays on the
shared database: nothing at a counter reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from app.infra.local_rows import Row, table_of, upsert_local, write_state
from db.models import Enterprise, EnterpriseCertification, EnterpriseYear

STATE_REGISTRY = "registry"  # the shared 园区企业名录's fingerprint when the store last pulled it


def registry_fingerprint(conn: Connection) -> str:
    ent = table_of(Enterprise)
    head = conn.execute(select(func.count(), func.max(ent.c.created_at), func.max(ent.c.updated_at))).one()
    children = [conn.execute(select(func.count()).select_from(table_of(m))).scalar_one()
                for m in (EnterpriseCertification, EnterpriseYear)]
    return "|".join(str(v) for v in (*head, *children))


@dataclass
class Registry:
    fingerprint: str
    enterprises: list[Row]
    certifications: list[Row]
    years: list[Row]


def fetch_registry(shared: Connection, known: str | None) -> Registry | None:
    fingerprint = registry_fingerprint(shared)
    if fingerprint == known:
        return None
    return Registry(fingerprint, *([dict(r) for r in shared.execute(select(table_of(m))).mappings()]
                                    for m in (Enterprise, EnterpriseCertification, EnterpriseYear)))


def store_registry(local: Connection, registry: Registry | None) -> int:
    if registry is None:
        return 0
    ent = table_of(Enterprise)
    # A company registered at this counter offline has a row of its own (same USCC, another id): it is kept and
    # takes the registry's fields, and the 资质 and figures point at it.
    mine = dict(local.execute(select(ent.c.uscc, ent.c.id)).all())
    ids = {e["id"]: mine.get(e["uscc"], e["id"]) for e in registry.enterprises}
    upsert_local(local, ent, [{**e, "id": ids[e["id"]]} for e in registry.enterprises])
    for table, rows in ((table_of(EnterpriseCertification), registry.certifications),
                        (table_of(EnterpriseYear), registry.years)):
        upsert_local(local, table, [{**r, "enterprise_id": ids[r["enterprise_id"]]} for r in rows])
    write_state(local, {STATE_REGISTRY: registry.fingerprint})
    return len(registry.enterprises) + len(registry.certifications) + len(registry.years)
