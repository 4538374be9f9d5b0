"""梯度培育: an enterprise's tier (雏鹰 / 瞪羚 / 潜在独角兽 / 龙头, or the hall's own names) from a weighted 综合评价.

The 营商办 sets the scheme (weights over the latest year's figures, points per certification, a threshold per
tier); each scheme saved is a new version, never changed.  ``recompute`` scores every enterprise under the
newest version and adds a history row (``enterprise_tier``) only for an enterprise whose tier changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import yaml
from sqlalchemy import func, insert, select

from app.auth import Actor
from app.enterprise_excel import CERT_KINDS
from app.errors import ValidationError
from app.resources import resources_dir
from app.roles import require
from app.uow import UnitOfWork
from db.models import Enterprise, EnterpriseCertification, EnterpriseTier, EnterpriseYear, TierScheme, new_id
from db.types import utcnow

INDICATORS = {"revenue": "营业收入（万元）", "revenue_growth": "营业收入增长率（%）", "rd_ratio": "研发投入占营业收入比例（%）",
              "tax": "纳税总额（万元）", "employees": "从业人员（人）", "output_value": "工业总产值（万元）"}
TIER_CHARS = 16  # enterprise.tier
MAX_TIERS = 10
POINTS = Decimal("0.0001")


@dataclass(frozen=True)
class Scheme:
    indicators: tuple[tuple[str, Decimal, Decimal], ...]  # (indicator, weight, full)
    certifications: tuple[tuple[str, Decimal], ...]  # (kind, points)
    tiers: tuple[tuple[str, Decimal], ...]  # (name, minimum score), highest first

    def as_json(self) -> dict[str, Any]:
        return {"indicators": {k: {"weight": str(w), "full": str(f)} for k, w, f in self.indicators},
                "certifications": {k: str(p) for k, p in self.certifications},
                "tiers": [{"name": n, "min": str(m)} for n, m in self.tiers]}

    def tier_of(self, score: Decimal) -> str:
        return next((name for name, low in self.tiers if score >= low), "")


def _number(value: Any, where: str, *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError("scheme", f"{where}应为数字，实际为“{str(value)[:20]}”") from None
    if not number.is_finite() or number < 0 or (positive and number == 0) or number > 10**9:
        raise ValidationError("scheme", f"{where}应为{'正数' if positive else '非负数'}（不超过10亿）")
    return number


def parse_scheme(doc: Any) -> Scheme:
    """A scheme from its JSON/YAML document; every rule broken is a Chinese message naming the entry."""
    if not isinstance(doc, dict) or set(doc) - {"indicators", "certifications", "tiers"}:
        raise ValidationError("scheme", "综合评价方案应含 indicators、certifications、tiers 三项（不含其他项）")
    indicators = doc.get("indicators") or {}
    certs = doc.get("certifications") or {}
    tiers = doc.get("tiers")
    if not isinstance(indicators, dict) or not isinstance(certs, dict):
        raise ValidationError("scheme", "indicators 和 certifications 应为“名称: 值”的映射")
    out_ind = []
    for key, spec in indicators.items():
        if key not in INDICATORS:
            raise ValidationError("scheme", f"指标“{key}”不存在（可用：{'、'.join(INDICATORS)}）")
        if not isinstance(spec, dict) or set(spec) != {"weight", "full"}:
            raise ValidationError("scheme", f"指标 {key} 应写成 {{weight: 权重, full: 满分对应的数值}}")
        out_ind.append((key, _number(spec["weight"], f"指标 {key} 的权重"),
                        _number(spec["full"], f"指标 {key} 的满分值", positive=True)))
    out_certs = []
    for kind, points in certs.items():
        if kind not in CERT_KINDS:
            raise ValidationError("scheme", f"资质类型“{kind}”不存在（可用：{'、'.join(CERT_KINDS)}）")
        out_certs.append((kind, _number(points, f"资质 {kind} 的加分")))
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        raise ValidationError("scheme", f"tiers 应列出 1 至 {MAX_TIERS} 个梯度，从高到低")
    out_tiers: list[tuple[str, Decimal]] = []
    for i, t in enumerate(tiers, start=1):
        if not isinstance(t, dict) or set(t) != {"name", "min"}:
            raise ValidationError("scheme", f"第 {i} 个梯度应写成 {{name: 名称, min: 最低得分}}")
        name = str(t["name"]).strip()
        if not name or len(name) > TIER_CHARS or any(ord(c) < 32 for c in name):
            raise ValidationError("scheme", f"第 {i} 个梯度的名称应为 1 至 {TIER_CHARS} 个字")
        low = _number(t["min"], f"梯度 {name} 的最低得分")
        if any(name == n for n, _ in out_tiers):
            raise ValidationError("scheme", f"梯度“{name}”重复")
        if out_tiers and low >= out_tiers[-1][1]:
            raise ValidationError("scheme", f"梯度应从高到低排列：{name} 的最低得分应低于 {out_tiers[-1][0]} 的")
        out_tiers.append((name, low))
    if not out_ind and not out_certs:
        raise ValidationError("scheme", "综合评价方案至少要有一项指标或一项资质加分")
    return Scheme(tuple(out_ind), tuple(out_certs), tuple(out_tiers))


def default_scheme_doc() -> Any:
    return yaml.safe_load((resources_dir() / "registry" / "tier_scheme.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SchemeVersion:
    version: int
    scheme: Scheme
    created_at: dt.datetime
    created_by: str

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                **self.scheme.as_json()}


def save_scheme(uow: UnitOfWork, actor: Actor | None, doc: Any) -> SchemeVersion:
    """Save a new version of the scheme (the 营商办; ``None``: the demo's bootstrap, audited as ``system``)."""
    if actor is not None:
        require(actor, "enterprise.tier")
    scheme = parse_scheme(doc)
    who = actor.username if actor else "system"
    with uow:
        s = uow.session
        version = int(s.execute(select(func.coalesce(func.max(TierScheme.version), 0))).scalar_one()) + 1
        row = TierScheme(version=version, doc=json.dumps(scheme.as_json(), ensure_ascii=False, sort_keys=True),
                         created_by=who)
        s.add(row)
        s.flush()
        uow.audit(who, "enterprise.tier_scheme", "tier_scheme", str(version), scheme.as_json())
        uow.commit()
        return SchemeVersion(version, scheme, row.created_at, who)


def _latest(s: Any) -> SchemeVersion | None:
    row = s.execute(select(TierScheme).order_by(TierScheme.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    doc = json.loads(row.doc)
    return SchemeVersion(row.version, parse_scheme(doc), row.created_at, row.created_by)


def has_scheme(uow: UnitOfWork) -> bool:
    with uow:
        return uow.session.execute(select(TierScheme.version).limit(1)).first() is not None


def current_scheme(uow: UnitOfWork, actor: Actor) -> tuple[SchemeVersion | None, dict[str, int]]:
    """The newest scheme and how many enterprises are in each tier ('' = none)."""
    require(actor, "enterprise.tier")
    with uow:
        s = uow.session
        counts = {t: int(n) for t, n in s.execute(select(Enterprise.tier, func.count()).group_by(Enterprise.tier))}
        return _latest(s), counts


def score(scheme: Scheme, figures: list[EnterpriseYear], kinds: set[str]) -> Decimal:
    """The 综合评价 score from the figures (any years; the latest two count) and the certifications valid now."""
    by_year = sorted(figures, key=lambda y: y.year)
    latest = by_year[-1] if by_year else None
    before = by_year[-2] if len(by_year) > 1 else None
    total = Decimal(0)
    for key, weight, full in scheme.indicators:
        value: Decimal | None = None
        if latest is not None:
            if key == "revenue_growth":
                if before is not None and before.revenue and latest.revenue is not None:
                    value = (latest.revenue - before.revenue) / before.revenue * 100
            elif key == "rd_ratio":
                if latest.revenue and latest.rd_spend is not None:
                    value = latest.rd_spend / latest.revenue * 100
            elif key == "employees":
                value = None if latest.employees is None else Decimal(latest.employees)
            else:
                value = getattr(latest, key)
        if value is not None and value > 0:
            total += weight * min(value / full, Decimal(1))
    total += sum((p for kind, p in scheme.certifications if kind in kinds), Decimal(0))
    return total.quantize(POINTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Recompute:
    scheme_version: int
    evaluated: int
    changed: int
    tiers: dict[str, int]  # enterprises per tier after the run ('' = none)

    def as_json(self) -> dict[str, Any]:
        return {"scheme_version": self.scheme_version, "evaluated": self.evaluated, "changed": self.changed,
                "tiers": self.tiers}


def recompute(uow: UnitOfWork, actor: Actor | None, *, today: dt.date | None = None) -> Recompute:
    """Every enterprise's tier under the newest scheme; a history row only where the tier changed."""
    if actor is not None:
        require(actor, "enterprise.tier")
    who = actor.username if actor else "system"
    day = today or dt.date.today()
    with uow:
        s = uow.session
        version = _latest(s)
        if version is None:
            raise ValidationError("scheme", "尚未设定综合评价方案：请先由营商办设定（enterprise tier-scheme FILE）")
        figures: dict[Any, list[EnterpriseYear]] = {}
        for y in s.execute(select(EnterpriseYear)).scalars():
            figures.setdefault(y.enterprise_id, []).append(y)
        kinds: dict[Any, set[str]] = {}
        for c in s.execute(select(EnterpriseCertification)).scalars():
            if (c.valid_from is None or c.valid_from <= day) and (c.valid_to is None or day <= c.valid_to):
                kinds.setdefault(c.enterprise_id, set()).add(c.kind)
        now = utcnow()
        history: list[dict[str, Any]] = []
        tally: Counter[str] = Counter()
        ents = s.execute(select(Enterprise)).scalars().all()
        for e in ents:
            points = score(version.scheme, figures.get(e.id, []), kinds.get(e.id, set()))
            tier = version.scheme.tier_of(points)
            tally[tier] += 1
            if tier != e.tier:
                history.append({"id": new_id(), "enterprise_id": e.id, "tier": tier, "score": points,
                                "scheme_version": version.version, "decided_at": now, "decided_by": who})
                e.tier, e.updated_at = tier, now
        s.flush()
        if history:
            s.execute(insert(EnterpriseTier), history)
        result = Recompute(version.version, len(ents), len(history), dict(sorted(tally.items())))
        uow.audit(who, "enterprise.tier_recompute", "tier_scheme", str(version.version), result.as_json())
        uow.commit()
        return result
