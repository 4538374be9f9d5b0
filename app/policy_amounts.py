"""惠企政策兑现 amount rules and rule versions (issue 18): data, checked on save, worked out in Chinese.

An amount rule is a JSON object with a ``kind``:

- ``{"kind": "fixed", "amount": 200000}``
- ``{"kind": "tiered", "by": "cert.level", "bands": [{"value": "国家", "amount": 200000}, …]}`` — the first band
  whose value equals the field's; or ``"bands": [{"when": <condition>, "amount": …}, …]`` — the first band whose
  condition holds (``policy_rules`` conditions).  No band → 0 元.
- ``{"kind": "percent", "of": "figures.last_year.rd_spend", "percent": 10}`` — ``of`` is a field path or a
  JSON Logic arithmetic expression.
- ``{"kind": "per_unit", "of": "figures.last_year.new_employees", "unit_amount": 2000}``

Every kind takes an optional ``"cap"`` (yuan per enterprise per year: what was paid this year already counts) and
an optional ``"split": [{"level": "区", "percent": 60}, {"level": "市", "percent": 40}]`` whose percents sum to
exactly 100.  Amounts are yuan rounded to 0.01 with ROUND_HALF_UP; each level's share is rounded the same way and
the last level takes the remainder, so the parts add up to the total exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Final

from app.errors import ValidationError
from app.policy_rules import (
    CTX,
    Condition,
    Facts,
    Node,
    Unknown,
    Vocabulary,
    compile_condition,
    compile_expression,
    format_number,
    load_json,
    render,
    show_value,
    walk,
)

CENT: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)
_MAX_AMOUNT: Final = Decimal("1e12")  # a trillion yuan: anything beyond is a typo
_KINDS: Final = {"fixed": "定额", "tiered": "分档", "percent": "按比例", "per_unit": "按数量"}
_KEYS: Final = {
    "fixed": {"amount"}, "tiered": {"by", "bands"}, "percent": {"of", "percent"}, "per_unit": {"of", "unit_amount"},
}
_OPTIONAL: Final = {"kind", "cap", "split"}


def cents(d: Decimal) -> Decimal:
    """Yuan rounded to the cent, half up, in our own context (not the thread's)."""
    return d.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)


def _total(values: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for v in values:
        total = CTX.add(total, v)
    return total


def yuan(d: Decimal) -> str:
    """0.01-rounded yuan as printed: 200000.00 元."""
    return f"{cents(d)} 元"


@dataclass(frozen=True)
class Share:
    level: str  # 区 / 市 / 省 …
    percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Amount:
    """One enterprise's amount under a rule: the yuan, the working in Chinese, the split between levels."""

    amount: Decimal
    working: tuple[str, ...]
    split: tuple[Share, ...] = ()
    missing: tuple[str, ...] = ()  # labels of the fields the rule needed and the facts lacked

    @property
    def text(self) -> str:
        return "\n".join(self.working)


def split_amount(total: Decimal, shares: Iterable[tuple[str, Decimal]]) -> tuple[Share, ...]:
    """``total`` split by percents (summing to 100): each level rounded half-up, the last takes the remainder.

    When half-up rounding of the first levels would leave the last one negative (a total of a few cents over
    three or more levels), the first levels are rounded down instead.
    """
    levels = list(shares)
    for rounding in (ROUND_HALF_UP, ROUND_DOWN):
        parts = [CTX.divide(CTX.multiply(total, p), HUNDRED).quantize(CENT, rounding=rounding, context=CTX)
                 for _, p in levels[:-1]]
        rest = CTX.subtract(total, _total(parts))
        if rest >= 0:
            break
    return tuple(Share(level, p, amount) for (level, p), amount in zip(levels, [*parts, rest], strict=True))


class AmountRule:
    """A checked amount rule; ``compute`` gives one enterprise's ``Amount``."""

    def __init__(self, data: Mapping[str, Any], vocabulary: Vocabulary, field: str) -> None:
        self.data = data
        self.vocabulary = vocabulary
        self.kind: str = data["kind"]
        problems: list[str] = []
        self.cap = _money(data, "cap", problems, positive=True) if "cap" in data else None
        self.split = _split(data.get("split"), problems) if "split" in data else ()
        self.amount = _money(data, "amount", problems) if self.kind == "fixed" else Decimal(0)
        self.base: Node | None = None
        self.rate = Decimal(0)
        self.by: Node | None = None
        self.bands: list[tuple[Any, Decimal]] = []
        if self.kind in ("percent", "per_unit"):
            self.base = _expression(data["of"], vocabulary, field, problems)
            if self.kind == "percent":
                self.rate = _money(data, "percent", problems, positive=True)
                if self.rate > HUNDRED:
                    problems.append(f"金额规则：比例“{format_number(self.rate)}%”不能超过 100%")
            else:
                self.rate = _money(data, "unit_amount", problems, positive=True)
        elif self.kind == "tiered":
            self._bands(data, field, problems)
        if problems:
            raise ValidationError(field, problems[0], problems=[(field, p) for p in problems])
        self.fields = frozenset(
            {n.value for node in (self.base, self.by) if node for n in walk(node) if n.op == "var"}
            | {f for value, _ in self.bands if isinstance(value, Condition) for f in value.fields})

    def _bands(self, data: Mapping[str, Any], field: str, problems: list[str]) -> None:
        bands = data["bands"]
        by = data.get("by")
        if by is not None:
            self.by = _expression(by, self.vocabulary, field, problems, numeric=False)
        if not isinstance(bands, list) or not bands:
            problems.append("金额规则：“bands”需要至少一档")
            return
        seen: set[str] = set()
        for i, band in enumerate(bands, start=1):
            where = f"金额规则第 {i} 档"
            key = "value" if by is not None else "when"
            if not isinstance(band, dict) or set(band) != {key, "amount"}:
                problems.append(f"{where}：需要“{key}”和“amount”两项" + (
                    "（有“by”时按字段取值分档）" if by is not None else "（没有“by”时按条件分档）"))
                continue
            amount = _money(band, "amount", problems, where=where)
            if key == "when":
                try:
                    self.bands.append((compile_condition(band["when"], self.vocabulary, field=field,
                                                         where=f"{where}条件"), amount))
                except ValidationError as e:
                    problems.extend(p for _, p in e.problems)
                continue
            value = band["value"]
            if isinstance(value, float):
                value = Decimal(repr(value))
            if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
                problems.append(f"{where}：取值需要文字或数字")
                continue
            shown = str(value)
            if shown in seen:
                problems.append(f"{where}：取值“{shown}”与前面的档次重复")
            seen.add(shown)
            self.bands.append((Decimal(value) if isinstance(value, int) else value, amount))

    def describe(self) -> str:
        """The rule in Chinese, for the catalog and the notice."""
        if self.kind == "fixed":
            text = f"定额 {yuan(self.amount)}"
        elif self.kind == "percent" and self.base:
            text = f"按{render(self.base)}的 {format_number(self.rate)}% 计"
        elif self.kind == "per_unit" and self.base:
            text = f"按{render(self.base)}每单位 {yuan(self.rate)} 计"
        elif self.by:
            text = "按" + render(self.by) + "分档：" + "；".join(
                f"{show_value(v)} {yuan(a)}" for v, a in self.bands)
        else:
            text = "分档：" + "；".join(f"{c.describe()} {yuan(a)}" for c, a in self.bands)
        if self.cap is not None:
            text += f"，每家企业每年最高 {yuan(self.cap)}"
        if self.split:
            text += "；" + "、".join(f"{level} {format_number(p)}%" for level, p in self.split) + " 分担"
        return text

    def compute(self, facts: Facts, paid_this_year: Decimal = Decimal(0)) -> Amount:
        """The amount for one enterprise; missing data gives 0 元 with the fields named, never an exception."""
        if paid_this_year < 0:
            raise ValidationError("paid_this_year", "本年已兑现金额不能为负数")
        working: list[str] = []
        missing: list[str] = []
        try:
            raw = self._raw(facts, working, missing)
        except ArithmeticError:  # a figure near Decimal's exponent limit: bad data, not a reason to crash
            working.append("计算溢出，无法计算，0.00 元")
            raw = Decimal(0)
        if raw.copy_abs() >= _MAX_AMOUNT:
            working.append(f"计算结果 {format_number(raw)} 超出范围，无法兑现，0.00 元")
            raw = Decimal(0)
        total = cents(max(raw, Decimal(0)))
        if raw < 0:
            working.append("计算结果为负，按 0.00 元")
        if self.cap is not None:
            room = max(CTX.subtract(self.cap, paid_this_year), Decimal(0))
            if total > room:
                working.append(f"每年最高 {yuan(self.cap)}，本年已兑现 {yuan(paid_this_year)}，"
                               f"尚可兑现 {yuan(room)}")
                total = cents(room)
        shares = split_amount(total, self.split) if self.split else ()
        if shares:
            working.append("分担：" + "；".join(
                f"{s.level} {format_number(s.percent)}% {yuan(s.amount)}" for s in shares))
        working.append(f"兑现金额 {yuan(total)}")
        return Amount(total, tuple(working), shares, tuple(missing))

    def _raw(self, facts: Facts, working: list[str], missing: list[str]) -> Decimal:
        if self.kind == "fixed":
            working.append(f"定额 {yuan(self.amount)}")
            return self.amount
        if self.base is not None:
            value = self.base.fn(facts)
            label = render(self.base)
            if not isinstance(value, Decimal):
                return _lacking(self.base, value, facts, label, working, missing)
            if self.kind == "percent":
                raw = CTX.divide(CTX.multiply(value, self.rate), HUNDRED)
                working.append(f"{label} {format_number(value)} × {format_number(self.rate)}% = {yuan(raw)}")
            else:
                raw = CTX.multiply(value, self.rate)
                working.append(f"{label} {format_number(value)} × {yuan(self.rate)} = {yuan(raw)}")
            return raw
        if self.by is not None:
            value = self.by.fn(facts)
            label = render(self.by)
            if isinstance(value, Unknown):
                return _lacking(self.by, value, facts, label, working, missing)
            for band, amount in self.bands:
                if type(band) is type(value) and band == value:
                    working.append(f"{label}：{show_value(value)}，对应 {yuan(amount)}")
                    return amount
            working.append(f"{label}：{show_value(value)}，无对应档次，0.00 元")
            return Decimal(0)
        for i, (condition, amount) in enumerate(self.bands, start=1):
            explanation = condition.explain(facts)
            for line in explanation.lines:
                missing.extend(label for label, shown in line.values if shown == "缺少数据" and label not in missing)
            if explanation.held:
                working.append(f"第 {i} 档（{condition.describe()}）：符合，{yuan(amount)}")
                return amount
            working.append(f"第 {i} 档（{condition.describe()}）：不符合")
        working.append("无符合的档次，0.00 元")
        return Decimal(0)


def _lacking(node: Node, value: Any, facts: Facts, label: str, working: list[str], missing: list[str]) -> Decimal:
    lacking = [n.label for n in walk(node) if n.op == "var" and n.probe and isinstance(n.probe(facts), Unknown)]
    missing.extend(lacking)
    if lacking:
        reason = "缺少数据" if [label] == lacking else f"缺少数据（{'、'.join(lacking)}）"
    else:
        reason = show_value(value) if isinstance(value, Unknown) else f"{show_value(value)}（数据类型不符）"
    working.append(f"{label}：{reason}，无法计算，0.00 元")
    return Decimal(0)


def _money(data: Mapping[str, Any], key: str, problems: list[str], *, positive: bool = False,
           where: str = "金额规则") -> Decimal:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        problems.append(f"{where}：“{key}”需要数字，这里是“{value}”")
        return Decimal(0)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite() or number.copy_abs() >= _MAX_AMOUNT:
        problems.append(f"{where}：“{key}”的数字“{value}”超出范围")
        return Decimal(0)
    if number < 0 or (positive and number == 0):
        problems.append(f"{where}：“{key}”必须{'大于 0' if positive else '不小于 0'}，这里是 {format_number(number)}")
    return number


def _split(raw: Any, problems: list[str]) -> tuple[tuple[str, Decimal], ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("金额规则：“split”需要至少一级，如 [{\"level\": \"区\", \"percent\": 60}, …]")
        return ()
    levels: list[tuple[str, Decimal]] = []
    for i, item in enumerate(raw, start=1):
        where = f"金额规则分担第 {i} 级"
        if not isinstance(item, dict) or set(item) != {"level", "percent"}:
            problems.append(f"{where}：需要“level”和“percent”两项")
            continue
        level = item["level"]
        if not isinstance(level, str) or not level.strip():
            problems.append(f"{where}：“level”需要非空文字（如 区、市）")
            continue
        if level in (name for name, _ in levels):
            problems.append(f"{where}：“{level}”重复")
        levels.append((level, _money(item, "percent", problems, positive=True, where=where)))
    total = _total(p for _, p in levels)
    if len(levels) == len(raw) and total != HUNDRED:
        problems.append(f"金额规则：分担比例合计须为 100%，这里是 {format_number(total)}%")
    return tuple(levels)


def _expression(data: Any, vocabulary: Vocabulary, field: str, problems: list[str], *,
                numeric: bool = True) -> Node | None:
    try:
        node = compile_expression(data, vocabulary, field=field, where="金额规则计算基数")
    except ValidationError as e:
        problems.extend(p for _, p in e.problems)
        return None
    if not numeric and node.op != "var":
        problems.append("金额规则：“by”需要一个字段名")
    return node


def compile_amount(data: Any, vocabulary: Vocabulary, *, field: str = "amount") -> AmountRule:
    """Check an amount rule (data, or its JSON text) on save; refusals name the band or level."""
    if isinstance(data, str):
        data = load_json(data, field=field, what="金额规则")
    if not isinstance(data, dict):
        raise ValidationError(field, "金额规则需要一个对象，如 {\"kind\": \"fixed\", \"amount\": 200000}")
    kind = data.get("kind")
    if kind not in _KINDS:
        raise ValidationError(field, f"金额规则：未知类型“{kind}”（可用：{'、'.join(_KINDS)}）")
    needed = _KEYS[kind]
    absent = sorted(needed - set(data) - ({"by"} if kind == "tiered" else set()))
    unknown = sorted(set(data) - needed - _OPTIONAL)
    if absent or unknown:
        raise ValidationError(field, "金额规则：" + "；".join(
            [*([f"{_KINDS[kind]}规则缺少“{'”“'.join(absent)}”"] if absent else []),
             *([f"不认识的项“{'”“'.join(unknown)}”"] if unknown else [])]))
    return AmountRule(data, vocabulary, field)


# ---- versions by date ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleVersion:
    """A clause's condition and amount rule in force from ``effective_from`` until the next version."""

    effective_from: date
    condition: Condition
    amount: AmountRule


class RuleVersions:
    """The versions of one clause's rules; a claim is judged by the version in force on its date."""

    def __init__(self, versions: Iterable[RuleVersion] = (), *, clause: str = "") -> None:
        self.clause = clause
        self._versions: list[RuleVersion] = []
        for version in sorted(versions, key=lambda v: v.effective_from):
            self.add(version.effective_from, version.condition, version.amount)

    def _name(self) -> str:
        return f"条款“{self.clause}”" if self.clause else "本条款"

    def add(self, effective_from: date, condition: Condition, amount: AmountRule) -> RuleVersion:
        """A new version; it must start after the latest one (a past version is never rewritten)."""
        if self._versions and effective_from <= self._versions[-1].effective_from:
            latest = self._versions[-1].effective_from
            raise ValidationError("effective_from", f"{self._name()}新版本的生效日期 {effective_from.isoformat()} "
                                                    f"须晚于现行版本的生效日期 {latest.isoformat()}")
        version = RuleVersion(effective_from, condition, amount)
        self._versions.append(version)
        return version

    def for_date(self, day: date) -> RuleVersion:
        """The version in force on ``day`` (a claim's date)."""
        if not self._versions:
            raise ValidationError("claim_date", f"{self._name()}还没有规则版本")
        if day < self._versions[0].effective_from:
            raise ValidationError("claim_date", f"{day.isoformat()} 早于{self._name()}最早版本的生效日期 "
                                                f"{self._versions[0].effective_from.isoformat()}，没有适用的规则")
        chosen = self._versions[0]
        for version in self._versions:
            if version.effective_from > day:
                break
            chosen = version
        return chosen

    @property
    def latest(self) -> RuleVersion | None:
        return self._versions[-1] if self._versions else None

    def __iter__(self) -> Iterator[RuleVersion]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)
