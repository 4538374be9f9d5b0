"""惠企政策兑现 conditions: the evaluator core (values, the compiler, the operators) behind ``policy_rules``.

A condition is JSON Logic (jsonlogic.com) over an enterprise's registry fields, evaluated by this module alone:
no ``eval``, no attribute access, only the operators below.  ``compile_condition`` checks the whole tree once
(operators, arity, field paths, kinds, depth, size) and turns it into closures, so a match over the registry
never walks the JSON again.

Differences from JavaScript's JSON Logic, on purpose:
- Numbers are ``Decimal`` (a float fact is read through its shortest repr, 0.1 stays 0.1); no string is ever
  coerced to a number.  Arithmetic runs in a private 34-digit context, whatever the thread's context says.
- Logic has three values: a test over missing data (absent or None) is *unknown*, ``and``/``or``/``!``/``!!``
  keep it unknown (Kleene), and a condition holds only when its result is true.  Negating a test never turns
  missing data into eligibility.  A value of the wrong kind and a division by zero are unknown too.
- ISO date strings (YYYY-MM-DD) and ``date`` values compare as dates; text is not ordered.
- Ordered names (梯度 雏鹰 < 瞪羚 < …, 认定级别 市 < 省 < 国家) go through our one own operator,
  ``{"rank": [name, "scale"]}``: the name's position in a scale the hall declares in ``Vocabulary.scales``,
  so ``{">=": [{"rank": [{"var": "tier"}, "tier"]}, {"rank": ["瞪羚", "tier"]}]}`` reads 梯度 ≥ 瞪羚.
- ``if`` needs an else branch; ``null`` and list literals (except as ``in``'s list) are refused.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any, Final, Literal

from app.errors import ValidationError

Facts = Mapping[str, Any]
Kind = Literal["number", "text", "date", "bool", "list", "any"]
Fn = Callable[[Facts], Any]

MAX_DEPTH: Final = 32
MAX_NODES: Final = 2000
CTX: Final = Context(prec=34, traps=[InvalidOperation, DivisionByZero, Overflow])
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A literal beyond this is a typo (or 1e999999 meant to exhaust memory), not a policy's figure.
_MAX_LITERAL = Decimal("1e18")


class Unknown:
    """A result that cannot be decided (missing data, a wrong kind, no quotient); never held."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason})"


MISSING: Final = Unknown("缺少数据")
WRONG_KIND: Final = Unknown("数据类型不符")
NOT_COMPUTABLE: Final = Unknown("无法计算")
ZERO_DIVISOR: Final = Unknown("除数为零")
NOT_IN_SCALE: Final = Unknown("名称不在序列中")


@dataclass(frozen=True)
class Field:
    """A registry field a condition may read: its Chinese label and, when known, its kind."""

    label: str
    kind: Kind = "any"


@dataclass(frozen=True)
class Vocabulary:
    """What conditions may say: field paths (→ label and kind) and ordered name scales (lowest first)."""

    fields: Mapping[str, Field]
    scales: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, fields: Mapping[str, str | Field], scales: Mapping[str, tuple[str, ...] | list[str]] | None = None
           ) -> Vocabulary:
        return cls({p: f if isinstance(f, Field) else Field(f) for p, f in fields.items()},
                   {name: tuple(order) for name, order in (scales or {}).items()})

    def label(self, path: str) -> str:
        known = self.fields.get(path)
        return known.label if known else path


# ---- values ------------------------------------------------------------------------------------------------

def norm_fact(v: Any) -> Any:
    """A fact as the evaluator sees it: numbers as Decimal, datetimes as dates, None as missing."""
    t = type(v)
    if t is Decimal:
        return v if v.is_finite() else WRONG_KIND
    if t is str or t is bool:
        return v
    if t is int:
        return Decimal(v)
    if v is None:
        return MISSING
    if t is float:
        return Decimal(repr(v)) if math.isfinite(v) else WRONG_KIND
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date | list | tuple):
        return v
    if isinstance(v, int):
        return Decimal(int(v))
    return WRONG_KIND


def _as_date(v: Any) -> date | None:
    if type(v) is date:
        return v
    if type(v) is str and len(v) == 10 and _ISO_DATE.fullmatch(v):
        try:
            return date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _first_unknown(*values: Any) -> Unknown:
    for v in values:
        if isinstance(v, Unknown):
            return v
    return WRONG_KIND


def _cmp(a: Any, b: Any) -> int | Unknown:
    if type(a) is Decimal and type(b) is Decimal:
        return (a > b) - (a < b)
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return _first_unknown(a, b)
    da, db = _as_date(a), _as_date(b)
    if da is not None and db is not None:
        return (da > db) - (da < db)
    return WRONG_KIND


def _eq(a: Any, b: Any) -> bool | Unknown:
    ta = type(a)
    if ta is type(b) and ta in (Decimal, str, bool):
        return bool(a == b)
    c = _cmp(a, b)
    return c if isinstance(c, Unknown) else c == 0


def truth(v: Any) -> bool | Unknown:
    if v is True or v is False:
        return v
    if isinstance(v, Unknown):
        return v
    return bool(v)


def _member_key(v: Any) -> tuple[str, Any] | None:
    t = type(v)
    if t is Decimal:
        return ("n", v)
    if t is str:
        return ("s", v)
    if t is bool:
        return ("b", v)
    if t is date:
        return ("s", v.isoformat())
    return None


# ---- the compiled tree ---------------------------------------------------------------------------------------

_NO_CONST: Final = object()


@dataclass(eq=False)
class Node:
    """One compiled operation: its closure, and what the explanation needs to write it in Chinese."""

    op: str  # an operator, or "lit" / "var"
    fn: Fn
    kind: Kind
    args: tuple[Node, ...] = ()
    value: Any = None  # the literal, or the var's path
    label: str = ""
    scale: str | None = None
    const: Any = _NO_CONST
    probe: Fn | None = None  # var: the value without its default


class _Refused(Exception):
    """One problem found while compiling (collected; compiling goes on with the next branch)."""


class Compiler:
    """Checks and compiles one JSON Logic tree; ``problems`` collects every refusal with its place."""

    def __init__(self, vocabulary: Vocabulary, where: str = "条件") -> None:
        self.vocabulary = vocabulary
        self.where = where
        self.problems: list[str] = []

    def place(self, at: tuple[int, ...]) -> str:
        return f"{self.where}第 {'.'.join(map(str, at))} 项" if at else self.where

    def refuse(self, at: tuple[int, ...], message: str) -> _Refused:
        self.problems.append(f"{self.place(at)}：{message}")
        return _Refused()

    def compile(self, data: Any) -> Node:
        self._check_shape(data)
        try:
            return self.node(data, ())
        except _Refused:
            return Node("lit", lambda facts: WRONG_KIND, "any")

    def _check_shape(self, data: Any) -> None:
        # Depth and size first, without recursion, so a hostile tree is refused before anything walks it.
        stack: list[tuple[Any, int]] = [(data, 1)]
        count = 0
        while stack:
            item, depth = stack.pop()
            count += 1
            if depth > MAX_DEPTH:
                raise ValidationError("condition", f"{self.where}：嵌套超过 {MAX_DEPTH} 层")
            if count > MAX_NODES:
                raise ValidationError("condition", f"{self.where}：超过 {MAX_NODES} 个节点")
            children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
            stack.extend((child, depth + 1) for child in children)

    # -- nodes --
    def node(self, data: Any, at: tuple[int, ...]) -> Node:
        if isinstance(data, dict):
            if len(data) != 1:
                keys = "、".join(map(str, data)) or "无"
                raise self.refuse(at, f"一个运算只能有一个运算符，这里是 {len(data)} 个（{keys}）")
            ((op, raw),) = data.items()
            args = raw if isinstance(raw, list) else [raw]
            build = _OPERATORS.get(op)
            if build is None:
                raise self.refuse(at, f"未知运算“{op}”")
            low, high = _ARITY[op]
            if len(args) < low or (high is not None and len(args) > high):
                need = f"{low} 个" if low == high else f"{low}–{high} 个" if high else f"至少 {low} 个"
                raise self.refuse(at, f"“{op}”需要{'' if high is None else ' '}{need}参数，这里是 {len(args)} 个")
            return build(self, op, args, at)
        return self.literal(data, at)

    def literal(self, data: Any, at: tuple[int, ...]) -> Node:
        if isinstance(data, bool):
            return Node("lit", lambda facts: data, "bool", value=data, const=data)
        if isinstance(data, int | float | Decimal):
            number = norm_fact(data)
            if not isinstance(number, Decimal) or number.copy_abs() >= _MAX_LITERAL:
                raise self.refuse(at, f"数字“{data}”超出范围")
            return Node("lit", lambda facts: number, "number", value=number, const=number)
        if isinstance(data, str):
            kind: Kind = "date" if _as_date(data) else "text"
            return Node("lit", lambda facts: data, kind, value=data, const=data)
        if data is None:
            raise self.refuse(at, "不支持空值 null（判断缺少数据请用“missing”）")
        if isinstance(data, list):
            raise self.refuse(at, "列表只能作为“in”的第 2 个参数")
        raise self.refuse(at, f"无法识别的值“{data!r}”")

    def args(self, raw: list[Any], at: tuple[int, ...]) -> list[Node]:
        nodes: list[Node] = []
        failed = False
        for i, item in enumerate(raw, start=1):
            try:
                nodes.append(self.node(item, (*at, i)))
            except _Refused:
                failed = True
        if failed:
            raise _Refused()
        return nodes

    def need(self, node: Node, kinds: tuple[Kind, ...], at: tuple[int, ...], what: str) -> None:
        if node.kind != "any" and node.kind not in kinds:
            shown = f"“{node.value}”" if node.op == "lit" else f"“{node.label or node.op}”"
            raise self.refuse(at, f"{what}，这里是{KIND_NAMES[node.kind]}{shown}")


KIND_NAMES: Final = {"number": "数字", "text": "文字", "date": "日期", "bool": "真假值", "list": "列表", "any": "值"}


# ---- operators: each builds a Node from checked arguments -----------------------------------------------------

def _var(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    path = raw[0]
    if not isinstance(path, str) or not path:
        raise c.refuse(at, "“var”的字段名必须是非空文字")
    known = c.vocabulary.fields.get(path)
    if known is None:
        raise c.refuse(at, f"未知字段“{path}”（名录中没有这个字段）")
    has_default = len(raw) == 2
    default = c.literal(raw[1], (*at, 2)).value if has_default else None
    parts = tuple(path.split("."))

    # Unrolled for the usual depths and with the common kinds inline: a match reads 100,000 enterprises.
    if len(parts) == 1:
        (k1,) = parts

        def probe(facts: Facts) -> Any:
            try:
                v = facts[k1]
            except (KeyError, TypeError, IndexError):
                return MISSING
            return v if type(v) is str or (type(v) is Decimal and v.is_finite()) else norm_fact(v)
    elif len(parts) == 3:
        k1, k2, k3 = parts

        def probe(facts: Facts) -> Any:
            try:
                v = facts[k1][k2][k3]
            except (KeyError, TypeError, IndexError):
                return MISSING
            return v if type(v) is str or (type(v) is Decimal and v.is_finite()) else norm_fact(v)
    else:
        def probe(facts: Facts) -> Any:
            cur: Any = facts
            try:
                for part in parts:
                    cur = cur[part]
            except (KeyError, TypeError, IndexError):
                return MISSING
            return norm_fact(cur)

    def with_default(facts: Facts) -> Any:
        v = probe(facts)
        return default if v is MISSING else v
    fn: Fn = with_default if has_default else probe
    kind = known.kind if known.kind != "any" or not has_default else c.literal(raw[1], at).kind
    return Node("var", fn, kind, value=path, label=known.label, probe=probe)


def _comparison(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    if len(raw) == 3 and op not in ("<", "<="):
        raise c.refuse(at, f"“{op}”需要 2 个参数，这里是 3 个（三参数的区间写法只用于“<”和“<=”）")
    args = c.args(raw, at)
    ordered = op not in ("==", "!=")
    kinds = {a.kind for a in args} - {"any"}
    scales = {a.scale for a in args}
    if len(scales) > 1:
        raise c.refuse(at, "不能比较不同序列的名称（或名称与数字），两边都要用同一个“rank”")
    if ordered:
        for i, a in enumerate(args, start=1):
            c.need(a, ("number", "date"), (*at, i), "比较大小需要数字或日期（有序名称请用“rank”）")
    if len(kinds) > 1 and not kinds <= {"text", "date"}:
        shown = "与".join(dict.fromkeys(KIND_NAMES[a.kind] for a in args if a.kind != "any"))
        raise c.refuse(at, f"“{op}”两边类型不同：{shown}")
    if ordered and kinds == {"text", "date"}:
        raise c.refuse(at, "比较大小需要数字或日期")
    fa, fb = args[0].fn, args[1].fn
    if op in ("==", "!="):
        negate = op == "!="

        def eq(facts: Facts) -> Any:
            r = _eq(fa(facts), fb(facts))
            return r if isinstance(r, Unknown) or not negate else not r
        return Node(op, eq, "bool", tuple(args))
    test = _ORDER[op]
    if len(args) == 3:
        fc = args[2].fn

        def between(facts: Facts) -> Any:
            a, b, x = fa(facts), fb(facts), fc(facts)
            first, second = _cmp(a, b), _cmp(b, x)
            if (not isinstance(first, Unknown) and not test(first, 0)) or (
                    not isinstance(second, Unknown) and not test(second, 0)):
                return False
            return first if isinstance(first, Unknown) else second if isinstance(second, Unknown) else True
        return Node(op, between, "bool", tuple(args))

    def order(facts: Facts) -> Any:
        a, b = fa(facts), fb(facts)
        if type(a) is Decimal and type(b) is Decimal:
            return test(a, b)
        r = _cmp(a, b)
        return r if isinstance(r, Unknown) else test(r, 0)
    return Node(op, order, "bool", tuple(args))


_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _junction(fns: tuple[Fn, ...], decisive: bool) -> Fn:
    """``and`` (``decisive`` False) or ``or`` (True) in three-valued logic: the first part that is ``decisive``
    decides; else an unknown part makes the whole unknown (the first such); else the other value."""

    def join(facts: Facts) -> Any:
        unknown: Unknown | None = None
        for f in fns:
            t = f(facts)
            if t is (not decisive):
                continue
            t = truth(t)
            if t is decisive:
                return decisive
            if isinstance(t, Unknown) and unknown is None:
                unknown = t
        return unknown or (not decisive)

    return join


def _logic(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    args = c.args(raw, at)
    fns = tuple(a.fn for a in args)
    if op in ("and", "or"):
        return Node(op, _junction(fns, decisive=op == "or"), "bool", tuple(args))
    inner = fns[0]
    if op == "!":
        def negation(facts: Facts) -> Any:
            t = truth(inner(facts))
            return t if isinstance(t, Unknown) else not t
        return Node(op, negation, "bool", tuple(args))

    def truthy(facts: Facts) -> Any:
        return truth(inner(facts))
    return Node(op, truthy, "bool", tuple(args))


def _arithmetic(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    if op in ("-", "/") and len(raw) > 2:
        raise c.refuse(at, f"“{op}”需要 1–2 个参数，这里是 {len(raw)} 个" if op == "-" else
                       f"“/”需要 2 个参数，这里是 {len(raw)} 个")
    args = c.args(raw, at)
    for i, a in enumerate(args, start=1):
        c.need(a, ("number",), (*at, i), f"“{op}”需要数字")
        if a.scale:
            raise c.refuse((*at, i), "“rank”的名次不能参与计算，只能比较")
    if op == "/" and args[1].const is not _NO_CONST and args[1].const == 0:
        raise c.refuse((*at, 2), "除数为零")
    fns = tuple(a.fn for a in args)
    step = _STEP[op]
    if op == "-" and len(fns) == 1:
        only = fns[0]

        def negate(facts: Facts) -> Any:
            v = only(facts)
            return CTX.minus(v) if type(v) is Decimal else _first_unknown(v)
        fn: Fn = negate
    elif len(fns) == 2:
        fa, fb = fns

        def pair(facts: Facts) -> Any:
            a, b = fa(facts), fb(facts)
            if type(a) is Decimal and type(b) is Decimal:
                try:
                    return step(a, b)
                except DivisionByZero:
                    return ZERO_DIVISOR
                except ArithmeticError:
                    return NOT_COMPUTABLE
            return _first_unknown(a, b)
        fn = pair
    else:
        def fold(facts: Facts) -> Any:
            values = [f(facts) for f in fns]
            total = values[0]
            for v in values:
                if type(v) is not Decimal:
                    return _first_unknown(v)
            try:
                for v in values[1:]:
                    total = step(total, v)
            except ArithmeticError:
                return NOT_COMPUTABLE
            return total
        fn = fold
    node = Node(op, fn, "number", tuple(args))
    if all(a.const is not _NO_CONST for a in args):
        value = fn({})
        if isinstance(value, Decimal):
            node.const = value
            node.fn = lambda facts: value
    return node


_STEP: Final[dict[str, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": CTX.add, "-": CTX.subtract, "*": CTX.multiply, "/": CTX.divide, "min": CTX.min, "max": CTX.max}


def _if(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    if len(raw) % 2 == 0:
        raise c.refuse(at, f"“if”需要奇数个参数（条件、结果……、否则的结果），这里是 {len(raw)} 个")
    args = c.args(raw, at)
    pairs = tuple((args[i].fn, args[i + 1].fn) for i in range(0, len(args) - 1, 2))
    otherwise = args[-1].fn
    results = {a.kind for a in args[1::2]} | {args[-1].kind}

    def choose(facts: Facts) -> Any:
        for test, then in pairs:
            t = truth(test(facts))
            if t is True:
                return then(facts)
            if t is not False:
                return t
        return otherwise(facts)
    return Node(op, choose, results.pop() if len(results) == 1 else "any", tuple(args))


def _in(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    needle = c.node(raw[0], (*at, 1))
    fn_needle = needle.fn
    if isinstance(raw[1], list):
        items = [c.literal(item, (*at, 2, i)) for i, item in enumerate(raw[1], start=1)]
        keys = frozenset(_member_key(item.value) for item in items)
        haystack = Node("lit", lambda facts: raw[1], "list", value=tuple(i.value for i in items))

        def member(facts: Facts) -> Any:
            v = fn_needle(facts)
            if type(v) is str:
                return ("s", v) in keys
            key = _member_key(v)
            return key in keys if key is not None else _first_unknown(v)
        return Node(op, member, "bool", (needle, haystack))
    container = c.node(raw[1], (*at, 2))
    c.need(container, ("text", "list"), (*at, 2), "“in”的第 2 个参数需要列表或文字")
    fn_container = container.fn

    def contains(facts: Facts) -> Any:
        v, box = fn_needle(facts), fn_container(facts)
        if isinstance(box, Unknown) or isinstance(v, Unknown):
            return _first_unknown(box, v)
        if type(box) is str:
            return v in box if type(v) is str else WRONG_KIND
        if isinstance(box, list | tuple):
            return any(_eq(v, norm_fact(item)) is True for item in box)
        return WRONG_KIND
    return Node(op, contains, "bool", (needle, container))


def _missing(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    nodes = [_var(c, "var", [path], (*at, i)) for i, path in enumerate(raw, start=1)]
    probes = tuple((n.value, n.probe) for n in nodes)

    def absent(facts: Facts) -> Any:
        return [path for path, probe in probes if probe is not None and probe(facts) in (MISSING, "")]
    return Node(op, absent, "list", tuple(nodes))


def _rank(c: Compiler, op: str, raw: list[Any], at: tuple[int, ...]) -> Node:
    scale_name = raw[1]
    order = c.vocabulary.scales.get(scale_name) if isinstance(scale_name, str) else None
    if order is None:
        known = "、".join(c.vocabulary.scales) or "无"
        raise c.refuse((*at, 2), f"未知序列“{scale_name}”（可用：{known}）")
    positions = {name: Decimal(i) for i, name in enumerate(order, start=1)}
    name = c.node(raw[0], (*at, 1))
    c.need(name, ("text",), (*at, 1), "“rank”需要名称")
    if name.op == "lit":
        if name.value not in positions:
            raise c.refuse((*at, 1), f"“{name.value}”不在序列“{scale_name}”中（{' < '.join(order)}）")
        pos = positions[name.value]
        return Node(op, lambda facts: pos, "number", (name,), scale=scale_name, const=pos)
    fn = name.fn

    def position(facts: Facts) -> Any:
        v = fn(facts)
        if type(v) is str:
            return positions.get(v, NOT_IN_SCALE)
        return _first_unknown(v)
    return Node(op, position, "number", (name,), scale=scale_name)


_OPERATORS: Final[dict[str, Callable[[Compiler, str, list[Any], tuple[int, ...]], Node]]] = {
    "var": _var, "==": _comparison, "!=": _comparison, "<": _comparison, "<=": _comparison, ">": _comparison,
    ">=": _comparison, "and": _logic, "or": _logic, "!": _logic, "!!": _logic, "in": _in, "+": _arithmetic,
    "-": _arithmetic, "*": _arithmetic, "/": _arithmetic, "min": _arithmetic, "max": _arithmetic, "if": _if,
    "missing": _missing, "rank": _rank,
}
_ARITY: Final[dict[str, tuple[int, int | None]]] = {
    "var": (1, 2), "==": (2, 2), "!=": (2, 2), "<": (2, 3), "<=": (2, 3), ">": (2, 3), ">=": (2, 3),
    "and": (1, None), "or": (1, None), "!": (1, 1), "!!": (1, 1), "in": (2, 2), "+": (1, None), "-": (1, 2),
    "*": (2, None), "/": (2, 2), "min": (1, None), "max": (1, None), "if": (3, None), "missing": (1, None),
    "rank": (2, 2),
}


def walk(node: Node) -> Iterator[Node]:
    """The node and everything under it, depth first."""
    yield node
    for arg in node.args:
        yield from walk(arg)
