"""企业规模: 大型/中型/小型/微型 from employees, revenue and assets, by the national criteria.

The thresholds are data (``resources/registry/enterprise_scale.yaml``, which names its source: 国家统计局
《统计上大中小微型企业划分办法（2017）》); this module reads them and applies the 办法's rule: 大型, 中型 and 小型
need every indicator of the industry at or above its lower bound (else one size down); 微型 needs one below.
Pure: no database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from app.errors import ValidationError
from app.resources import resources_dir

SCALES = ("大型", "中型", "小型", "微型")
INDICATORS = {"employees": "从业人员", "revenue": "营业收入", "assets": "资产总额"}

# GB/T 4754-2017: each 门类 and the range of its 大类 (two-digit divisions).
SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}
_CODE = re.compile(r"[A-T](\d{2}(\d{1,2})?)?")


def scale_path() -> Path:
    return resources_dir() / "registry" / "enterprise_scale.yaml"


def check_industry_code(value: str, field: str = "industry_code") -> str:
    """A GB/T 4754-2017 code: 门类 letter, optionally with its 大类 (2 digits), 中类 (3) or 小类 (4)."""
    code = value.strip().upper()
    if not _CODE.fullmatch(code):
        raise ValidationError(field, f"行业代码“{value[:10]}”不是国民经济行业分类（GB/T 4754-2017）代码"
                                     "（门类字母加2至4位数字，如 C3831）")
    if len(code) > 1:
        low, high = SECTIONS[code[0]]
        if not low <= int(code[1:3]) <= high:
            raise ValidationError(field, f"行业代码“{code}”的大类 {code[1:3]} 不属于门类 {code[0]}"
                                         f"（应为 {low:02d}–{high:02d}）")
    return code


@dataclass(frozen=True)
class Sector:
    """One industry of the 划分标准 and the lower bounds of 大型, 中型, 小型 for each indicator it uses."""

    name: str
    codes: tuple[str, ...]
    lower: Mapping[str, tuple[Decimal, Decimal, Decimal]]


@dataclass(frozen=True)
class Criteria:
    source: str
    sectors: tuple[Sector, ...]
    not_covered: tuple[tuple[str, str], ...]  # (code prefix, reason)

    def sector(self, industry_code: str) -> Sector | None:
        """The sector of ``industry_code`` (longest prefix wins); None when the 办法 does not cover it."""
        best: tuple[int, Sector | None] = (-1, None)
        for prefix, _reason in self.not_covered:
            if industry_code.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), None)
        fallback: Sector | None = None
        for sector in self.sectors:
            if not sector.codes:
                fallback = sector
            for prefix in sector.codes:
                if industry_code.startswith(prefix) and len(prefix) > best[0]:
                    best = (len(prefix), sector)
        return best[1] if best[0] >= 0 else fallback


def parse_criteria(doc: Any) -> Criteria:
    sectors = []
    for s in doc["sectors"]:
        lower = {k: tuple(Decimal(str(v)) for v in bounds) for k, bounds in s["lower"].items()}
        assert set(lower) <= set(INDICATORS) and all(len(b) == 3 and b[0] > b[1] > b[2] for b in lower.values()), s
        sectors.append(Sector(str(s["name"]), tuple(s["codes"]), lower))  # type: ignore[arg-type]
    not_covered = tuple((p, str(n["reason"])) for n in doc.get("not_covered", ()) for p in n["codes"])
    return Criteria(str(doc["source"]), tuple(sectors), not_covered)


@functools.cache
def criteria() -> Criteria:
    return parse_criteria(yaml.safe_load(scale_path().read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Classification:
    scale: str  # one of SCALES, or '' when it cannot be told
    sector: str  # the 划分标准's industry, '' when none
    reason: str  # why '' (missing figures, an industry the 办法 does not cover); '' when classified

    def as_json(self) -> dict[str, str]:
        return {"scale": self.scale, "sector": self.sector, "reason": self.reason}


def classify(industry_code: str, *, employees: int | None, revenue: Decimal | None,
             assets: Decimal | None) -> Classification:
    """The scale by the 2017 办法; ``revenue`` and ``assets`` in 万元."""
    if not industry_code:
        return Classification("", "", "未填行业代码")
    table = criteria()
    sector = table.sector(industry_code)
    if sector is None:
        reason = next((r for p, r in table.not_covered if industry_code.startswith(p)), "不适用")
        return Classification("", "", reason)
    values: dict[str, Decimal | None] = {
        "employees": None if employees is None else Decimal(employees), "revenue": revenue, "assets": assets}
    used = {k: values[k] for k in sector.lower}
    # 微型: below 小型's lower bound in any one indicator, whatever the others are (even unknown).
    if any(v is not None and v < sector.lower[k][2] for k, v in used.items()):
        return Classification("微型", sector.name, "")
    missing = [INDICATORS[k] for k, v in used.items() if v is None]
    if missing:
        return Classification("", sector.name, f"缺少{'、'.join(missing)}")
    for size, name in enumerate(SCALES[:3]):
        if all(v is not None and v >= sector.lower[k][size] for k, v in used.items()):
            return Classification(name, sector.name, "")
    raise AssertionError("unreachable: at or above 小型 in every indicator")
