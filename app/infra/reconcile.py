"""日终对账: a counter's cases of one day in its local store against the shared database (``sync reconcile``).

Read-only on both sides: it says which of the day's cases reached the shared database, which did not, which
differ (an older version there), and which the shared database has that this store does not.  It also checks
that every 电子件 attached at this counter (any day) reached the shared database whole: its ``case_file`` row
and its content (``stored_file``, written there only after the chunks' SHA-256 was checked).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, select

from app.hall_settings import HALL_TZ
from app.infra.sync import bound_counter
from db.engine import reading
from db.models import Case, CaseFile, Counter, StoredFile


@dataclass(frozen=True)
class CaseDifference:
    case_no: str
    local_status: str
    shared_status: str
    local_version: int
    shared_version: int
    shared_case_no: str

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class MissingFile:
    """An 电子件 of a local case that the shared database lacks: ``what`` is "case_file" (the row) or
    "content" (the bytes are still on their way, or were never uploaded)."""

    case_no: str
    material_code: str
    name: str
    sha256: str
    what: str

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Reconciliation:
    """A day at one counter: its local cases against the shared database."""

    day: date
    counter: int | None
    local: int
    present: tuple[str, ...]
    missing: tuple[str, ...]
    differing: tuple[CaseDifference, ...]
    # Cases of this counter on that day that the shared database has but this store does not (taken directly
    # on the shared database, e.g. from another PC).
    shared_only: tuple[str, ...] = field(default=())
    files_missing: tuple[MissingFile, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.missing and not self.differing and not self.files_missing

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "counter": self.counter,
            "local": self.local,
            "ok": self.ok,
            "present": list(self.present),
            "missing": list(self.missing),
            "differing": [d.as_json() for d in self.differing],
            "shared_only": list(self.shared_only),
            "files_missing": [f.as_json() for f in self.files_missing],
        }


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=HALL_TZ)
    return start, start + timedelta(days=1)


def reconcile(local: Engine, shared: Engine, day: date) -> Reconciliation:
    """This counter's cases of ``day`` (hall time) in the local store against the shared database."""
    number = bound_counter(local)
    start, end = _day_bounds(day)
    table = cast(Table, Case.__table__)
    with reading(local) as conn:
        counter_id = (
            conn.execute(select(Counter.id).where(Counter.number == number)).scalar_one_or_none()
            if number is not None
            else None
        )
        local_rows = (
            conn.execute(
                select(table.c.id, table.c.case_no, table.c.status, table.c.version)
                .where(
                    table.c.counter_id == counter_id, table.c.received_at >= start, table.c.received_at < end
                )
                .order_by(table.c.case_no)
            ).all()
            if counter_id is not None
            else []
        )
        files = conn.execute(
            select(CaseFile.id, CaseFile.sha256, CaseFile.material_code, CaseFile.name, table.c.case_no)
            .join(table, table.c.id == CaseFile.case_id)
            .order_by(table.c.case_no, CaseFile.material_code, CaseFile.position)
        ).all()
    present: list[str] = []
    missing: list[str] = []
    differing: list[CaseDifference] = []
    shared_only: list[str] = []
    with reading(shared) as conn:
        found: dict[uuid.UUID, Any] = {}
        ids = [r.id for r in local_rows]
        known = set(ids)
        for part in range(0, len(ids), 500):
            for r in conn.execute(
                select(table.c.id, table.c.case_no, table.c.status, table.c.version).where(
                    table.c.id.in_(ids[part : part + 500])
                )
            ):
                found[r.id] = r
        if counter_id is not None:
            shared_only = [
                no
                for no, cid in conn.execute(
                    select(table.c.case_no, table.c.id).where(
                        table.c.counter_id == counter_id,
                        table.c.received_at >= start,
                        table.c.received_at < end,
                    )
                )
                if cid not in known
            ]
        rows_there: set[uuid.UUID] = set()
        content_there: set[str] = set()
        file_ids = [f.id for f in files]
        digests = sorted({f.sha256 for f in files})
        for part in range(0, max(len(file_ids), len(digests)), 500):
            rows_there.update(conn.execute(select(CaseFile.id).where(
                CaseFile.id.in_(file_ids[part : part + 500]))).scalars())
            content_there.update(conn.execute(select(StoredFile.sha256).where(
                StoredFile.sha256.in_(digests[part : part + 500]))).scalars())
    files_missing = tuple(
        MissingFile(f.case_no, f.material_code, f.name, f.sha256, "case_file" if f.id not in rows_there else "content")
        for f in files
        if f.id not in rows_there or f.sha256 not in content_there
    )
    for r in local_rows:
        s = found.get(r.id)
        if s is None:
            missing.append(r.case_no)
        elif s.case_no != r.case_no or s.version < r.version:
            differing.append(CaseDifference(r.case_no, r.status, s.status, r.version, s.version, s.case_no))
        else:
            present.append(r.case_no)
    return Reconciliation(
        day=day,
        counter=number,
        local=len(local_rows),
        present=tuple(present),
        missing=tuple(missing),
        differing=tuple(differing),
        shared_only=tuple(sorted(shared_only)),
        files_missing=files_missing,
    )
