"""园区企业名录 (the enterprise registry): show, search, Excel export and all-or-nothing import.

Each use case is one unit of work; what goes out are frozen views.  Money is in 万元 to the 元 (``Decimal`` with
four places, ``db.types.Money``); JSON gives it as a string so that no reader turns it into a float.  The scale
(企业规模) an enterprise carries is the one imported; when the file leaves it blank it is computed from the
latest year's figures by the national criteria (``app.enterprise_scale``), and ``show`` always gives the
computed one beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import limits
from app.auth import Actor
from app.enterprise_excel import (
    MAX_PROBLEMS,
    RegistryFileError,
    SheetRow,
    read_workbook,
    where,
    write_workbook,
)
from app.enterprise_scale import Classification, classify
from app.errors import NotFound
from app.roles import require
from app.uow import UnitOfWork
from app.validators import check_uscc
from db.models import Department, Enterprise, EnterpriseCertification, EnterpriseTier, EnterpriseYear
from db.types import utcnow

MONEY_FIELDS = ("output_value", "revenue", "tax", "rd_spend", "assets")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


@dataclass(frozen=True)
class Certification:
    kind: str
    level: str
    number: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "level": self.level, "number": self.number,
                "valid_from": self.valid_from and self.valid_from.isoformat(),
                "valid_to": self.valid_to and self.valid_to.isoformat()}


@dataclass(frozen=True)
class YearFigures:
    """One year's figures; money in 万元."""

    year: int
    output_value: Decimal | None
    revenue: Decimal | None
    tax: Decimal | None
    rd_spend: Decimal | None
    assets: Decimal | None
    employees: int | None

    def as_json(self) -> dict[str, Any]:
        return {"year": self.year, **{k: _money(getattr(self, k)) for k in MONEY_FIELDS},
                "employees": self.employees}


@dataclass(frozen=True)
class TierChange:
    tier: str
    score: Decimal | None
    scheme_version: int
    decided_at: dt.datetime
    decided_by: str

    def as_json(self) -> dict[str, Any]:
        return {"tier": self.tier, "score": _money(self.score), "scheme_version": self.scheme_version,
                "decided_at": self.decided_at.isoformat(), "decided_by": self.decided_by}


@dataclass(frozen=True)
class EnterpriseSummary:
    uscc: str
    name: str
    industry_code: str
    scale: str
    tier: str
    liaison_dept: str  # the 挂点 department's name, '' when none

    def as_json(self) -> dict[str, Any]:
        return {"uscc": self.uscc, "name": self.name, "industry_code": self.industry_code, "scale": self.scale,
                "tier": self.tier, "liaison_dept": self.liaison_dept}


@dataclass(frozen=True)
class EnterpriseView(EnterpriseSummary):
    legal_rep: str
    address: str
    contact_phone: str
    registered_capital: Decimal | None
    founded_on: dt.date | None
    certifications: tuple[Certification, ...]
    years: tuple[YearFigures, ...]  # oldest first
    tiers: tuple[TierChange, ...]  # oldest first
    computed_scale: Classification  # by the national criteria from the latest year's figures

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "legal_rep": self.legal_rep, "address": self.address,
                "contact_phone": self.contact_phone, "registered_capital": _money(self.registered_capital),
                "founded_on": self.founded_on and self.founded_on.isoformat(),
                "certifications": [c.as_json() for c in self.certifications],
                "years": [y.as_json() for y in self.years], "tiers": [t.as_json() for t in self.tiers],
                "computed_scale": self.computed_scale.as_json()}


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int
    certifications: int  # rows added or changed
    years: int  # rows added or changed
    scales_computed: int  # blank 企业规模 filled in from the figures

    def as_json(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "certifications": self.certifications, "years": self.years, "scales_computed": self.scales_computed}


@dataclass(frozen=True)
class ExportSummary:
    path: str
    enterprises: int
    certifications: int
    years: int

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "enterprises": self.enterprises, "certifications": self.certifications,
                "years": self.years}


def _year(y: EnterpriseYear) -> YearFigures:
    return YearFigures(y.year, y.output_value, y.revenue, y.tax, y.rd_spend, y.assets, y.employees)


def scale_of(industry_code: str, years: Iterable[YearFigures]) -> Classification:
    """The scale by the national criteria from the latest year that has figures."""
    latest = max(years, key=lambda y: y.year, default=None)
    if latest is None:
        return classify(industry_code, employees=None, revenue=None, assets=None)
    return classify(industry_code, employees=latest.employees, revenue=latest.revenue, assets=latest.assets)


def _dept_names(s: Session) -> dict[Any, str]:
    return {i: n for i, n in s.execute(select(Department.id, Department.name))}


def _summary(e: Enterprise, depts: dict[Any, str]) -> EnterpriseSummary:
    return EnterpriseSummary(e.uscc, e.name, e.industry_code, e.scale, e.tier, depts.get(e.liaison_dept_id, ""))


def get_enterprise(uow: UnitOfWork, actor: Actor, uscc: str) -> EnterpriseView:
    """One enterprise with its certifications, figures by year and tier history."""
    require(actor, "enterprise.view")
    code = check_uscc(uscc)
    with uow:
        s = uow.session
        e = s.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
        if e is None:
            raise NotFound(f"名录中没有统一社会信用代码为 {code} 的企业")
        certs = tuple(Certification(c.kind, c.level, c.number, c.valid_from, c.valid_to) for c in s.execute(
            select(EnterpriseCertification).where(EnterpriseCertification.enterprise_id == e.id)
            .order_by(EnterpriseCertification.kind, EnterpriseCertification.number)).scalars())
        years = tuple(_year(y) for y in s.execute(
            select(EnterpriseYear).where(EnterpriseYear.enterprise_id == e.id).order_by(EnterpriseYear.year)).scalars())
        tiers = tuple(TierChange(t.tier, t.score, t.scheme_version, t.decided_at, t.decided_by) for t in s.execute(
            select(EnterpriseTier).where(EnterpriseTier.enterprise_id == e.id)
            .order_by(EnterpriseTier.decided_at, EnterpriseTier.id)).scalars())
        base = _summary(e, _dept_names(s))
        return EnterpriseView(**base.__dict__, legal_rep=e.legal_rep, address=e.address, contact_phone=e.contact_phone,
                              registered_capital=e.registered_capital, founded_on=e.founded_on,
                              certifications=certs, years=years, tiers=tiers,
                              computed_scale=scale_of(e.industry_code, years))


def search(uow: UnitOfWork, actor: Actor, query: str = "", limit: int = 200) -> list[EnterpriseSummary]:
    """Enterprises whose name contains ``query`` or whose USCC starts with it (case-blind), by name."""
    require(actor, "enterprise.view")
    text = limits.check(limits.SEARCH, query, "query").strip()
    with uow:
        s = uow.session
        stmt = select(Enterprise)
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(or_(Enterprise.name.like(f"%{escaped}%", escape="\\"),
                                  Enterprise.uscc.like(f"{escaped.upper()}%", escape="\\")))
        rows = s.execute(stmt.order_by(Enterprise.name, Enterprise.uscc).limit(limit)).scalars().all()
        depts = _dept_names(s)
        return [_summary(e, depts) for e in rows]


# ---- Excel --------------------------------------------------------------------------------------------


def export_xlsx(uow: UnitOfWork, actor: Actor, path: Path) -> ExportSummary:
    """The whole registry as one workbook (sheets 企业, 资质, 年度数据); the export is audited."""
    require(actor, "enterprise.export")
    with uow:
        s = uow.session
        depts = _dept_names(s)
        ents = s.execute(select(Enterprise).order_by(Enterprise.uscc)).scalars().all()
        uscc_of = {e.id: e.uscc for e in ents}
        rows: dict[str, list[dict[str, Any]]] = {"企业": [], "资质": [], "年度数据": []}
        for e in ents:
            rows["企业"].append({
                "uscc": e.uscc, "name": e.name, "legal_rep": e.legal_rep, "address": e.address,
                "contact_phone": e.contact_phone, "industry_code": e.industry_code, "scale": e.scale,
                "registered_capital": e.registered_capital, "founded_on": e.founded_on,
                "liaison_dept": depts.get(e.liaison_dept_id, "")})
        for c in s.execute(select(EnterpriseCertification)).scalars():
            rows["资质"].append({"uscc": uscc_of[c.enterprise_id], "kind": c.kind, "level": c.level,
                               "number": c.number, "valid_from": c.valid_from, "valid_to": c.valid_to})
        for y in s.execute(select(EnterpriseYear)).scalars():
            rows["年度数据"].append({"uscc": uscc_of[y.enterprise_id], **_year(y).__dict__})
        rows["资质"].sort(key=lambda r: (r["uscc"], r["kind"], r["number"]))
        rows["年度数据"].sort(key=lambda r: (r["uscc"], r["year"]))
        write_workbook(path, rows)
        summary = ExportSummary(str(path), len(rows["企业"]), len(rows["资质"]), len(rows["年度数据"]))
        uow.audit(actor.username, "enterprise.export", "enterprise", "-",
                  {"file": path.name, **{k: v for k, v in summary.as_json().items() if k != "path"}})
        uow.commit()
        return summary


def _check_links(sheets: dict[str, list[SheetRow]], depts: dict[str, Any], known: set[str]) -> list[tuple[str, str]]:
    """Problems across rows: duplicates, a 资质 or 年度 row of an enterprise in neither the file nor the registry,
    an unknown department, validity dates the wrong way round."""
    problems: list[tuple[str, str]] = []
    seen: dict[Any, int] = {}
    in_file: set[str] = set()
    for r in sheets["企业"]:
        uscc, dept = r.values.get("uscc"), r.values.get("liaison_dept")
        if uscc is not None:
            if uscc in seen:
                problems.append((where("企业", r.row, 0), f"与第 {seen[uscc]} 行重复"))
            seen.setdefault(uscc, r.row)
            in_file.add(uscc)
        if dept and dept not in depts:
            problems.append((where("企业", r.row, 9), f"没有名为或代码为“{dept}”的部门"))
    for sheet, key in (("资质", ("kind", "number")), ("年度数据", ("year",))):
        seen = {}
        for r in sheets[sheet]:
            uscc = r.values.get("uscc")
            if uscc is not None and uscc not in in_file and uscc not in known:
                problems.append((where(sheet, r.row, 0), "该企业既不在“企业”表中，也不在名录中"))
            ident = (sheet, uscc, *(r.values.get(k) for k in key))
            if uscc is not None and all(r.values.get(k) is not None for k in key):
                if ident in seen:
                    problems.append((where(sheet, r.row), f"与第 {seen[ident]} 行重复"))
                seen.setdefault(ident, r.row)
            start, end = r.values.get("valid_from"), r.values.get("valid_to")
            if start and end and end < start:
                problems.append((where(sheet, r.row, 5), "有效期止早于有效期起"))
    return problems


def import_xlsx(uow: UnitOfWork, actor: Actor, path: Path) -> ImportSummary:
    """Read the workbook ``export_xlsx`` writes; all or nothing.

    Every problem is reported with its sheet, row and column (the first ``MAX_PROBLEMS``), and nothing is written
    while there is any.  An enterprise already in the registry (same USCC) is updated, a new one added;
    certifications (by type and number) and years are added or updated, never deleted.  Audited with the counts.
    """
    require(actor, "enterprise.import")
    sheets, problems = read_workbook(path)
    with uow:
        s = uow.session
        depts: dict[str, Any] = {}
        for d in s.execute(select(Department)).scalars():
            depts[d.name], depts[d.code] = d.id, d.id
        known = {u: i for u, i in s.execute(select(Enterprise.uscc, Enterprise.id))}
        problems += _check_links(sheets, depts, set(known))
        if problems:
            problems.sort(key=lambda p: (list(sheets).index(p[0].split(" ")[0]), _row_of(p[0])))
            raise RegistryFileError(problems[:MAX_PROBLEMS], total=len(problems))
        summary = _apply(s, sheets, depts, known)
        uow.audit(actor.username, "enterprise.import", "enterprise", "-", {"file": path.name, **summary.as_json()})
        uow.commit()
        return summary


def _row_of(where_text: str) -> int:
    parts = where_text.split(" ")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0


def _set(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _merge_children(s: Session, rows: Iterable[SheetRow], ents: dict[str, Enterprise], existing: dict[Any, Any],
                    key: Callable[[Any, dict[str, Any]], Any], model: type[Any], touched: set[Any]) -> int:
    """A 资质 or 年度数据 sheet merged into its table (added, or updated where ``key`` finds a row); the rows that
    changed.  Their enterprises go into ``touched`` (stamped for the counters' pull)."""
    changed = 0
    for r in rows:
        v = dict(r.values)
        owner = ents[v.pop("uscc")].id
        row = existing.get(key(owner, v))
        if row is None:
            s.add(model(enterprise_id=owner, **v))
        elif not _set(row, v):
            continue
        changed += 1
        touched.add(owner)
    return changed


def _apply(s: Session, sheets: dict[str, list[SheetRow]], depts: dict[str, Any],
           known: dict[str, Any]) -> ImportSummary:
    now = utcnow()
    ents = {e.uscc: e for e in s.execute(select(Enterprise)).scalars()}
    figures: dict[str, list[YearFigures]] = {}
    for r in sheets["年度数据"]:
        figures.setdefault(r.values["uscc"], []).append(YearFigures(**{k: v for k, v in r.values.items() if k != "uscc"}))
    added = updated = unchanged = 0
    for r in sheets["企业"]:
        v = dict(r.values)
        dept = v.pop("liaison_dept")
        v["liaison_dept_id"] = depts[dept] if dept else None
        e = ents.get(v["uscc"])
        if e is None:
            e = Enterprise(**v)
            s.add(e)
            ents[e.uscc] = e
            added += 1
        elif _set(e, v):
            e.updated_at = now
            updated += 1
        else:
            unchanged += 1
    s.flush()
    touched: set[Any] = set()
    certs = {(c.enterprise_id, c.kind, c.number): c for c in s.execute(select(EnterpriseCertification)).scalars()}
    n_certs = _merge_children(s, sheets["资质"], ents, certs, lambda owner, v: (owner, v["kind"], v["number"]),
                              EnterpriseCertification, touched)
    years = {(y.enterprise_id, y.year): y for y in s.execute(select(EnterpriseYear)).scalars()}
    n_years = _merge_children(s, sheets["年度数据"], ents, years, lambda owner, v: (owner, v["year"]),
                              EnterpriseYear, touched)
    # An enterprise whose 资质 or figures changed is stamped too: offline counters pull the registry when a stamp
    # moves (app.infra.sync).
    for e in ents.values():
        if e.id in touched:
            e.updated_at = now
    s.flush()
    # A blank 企业规模 of an enterprise in the file is computed from its latest figures (in the file or held).
    held: dict[Any, list[YearFigures]] = {}
    for y in s.execute(select(EnterpriseYear)).scalars():
        held.setdefault(y.enterprise_id, []).append(_year(y))
    computed = 0
    for uscc in {r.values["uscc"] for r in sheets["企业"]} | set(figures):
        e = ents[uscc]
        if not e.scale:
            e.scale = scale_of(e.industry_code, held.get(e.id, [])).scale
            computed += bool(e.scale)
    return ImportSummary(added, updated, unchanged, n_certs, n_years, computed)

