"""惠企政策兑现 eligibility conditions (issue 18): compile, evaluate, explain in Chinese, store as JSON.

The language and its checks are in ``app.policy_logic`` (JSON Logic with Decimal numbers, three-valued logic and
the ``rank`` operator for ordered names); this module is what the services call: ``compile_condition`` checks a
condition on save and returns a ``Condition`` whose ``evaluate`` matches enterprises and whose ``explain`` gives
the lines the 兑现结果告知书 prints.  ``canonical_json`` is the stored and compared text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from app.errors import ValidationError
from app.policy_logic import (
    CTX,
    KIND_NAMES,
    MAX_DEPTH,
    MISSING,
    Compiler,
    Facts,
    Field,
    Node,
    Unknown,
    Vocabulary,
    norm_fact,
    truth,
    walk,
)

__all__ = ["CTX", "Condition", "Explanation", "ExplanationLine", "Facts", "Field", "Node", "Unknown", "Vocabulary",
           "canonical_json", "compile_condition", "compile_expression", "explain_line", "format_number",
           "format_percent", "load_json", "render", "show_value", "walk"]

MAX_JSON_CHARS: Final = 200_000


# ---- JSON ----------------------------------------------------------------------------------------------------

def _reject_constant(name: str) -> Any:
    raise ValueError(f"不支持 {name}")


def load_json(text: str, *, field: str = "condition", what: str = "条件") -> Any:
    """Stored JSON text → data, numbers with a fraction as Decimal (never float)."""
    if len(text) > MAX_JSON_CHARS:
        raise ValidationError(field, f"{what}过长（超过 {MAX_JSON_CHARS} 个字符）")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise ValidationError(field, f"{what}：嵌套超过 {MAX_DEPTH} 层") from None
    except ValueError as e:
        where = f"第 {e.lineno} 行第 {e.colno} 列" if isinstance(e, json.JSONDecodeError) else ""
        raise ValidationError(field, f"{what}不是有效的 JSON：{where}{e.msg if isinstance(e, json.JSONDecodeError) else e}"
                              ) from None


def format_number(d: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: Decimal('2E+5') → 200000, 0.030 → 0.03."""
    if d == 0:
        return "0"
    n = d.normalize(CTX)
    return format(n, "f") if -40 < n.adjusted() < 40 else str(n)


def _canonical(data: Any) -> str:
    if data is None or isinstance(data, bool):
        return json.dumps(data)
    if isinstance(data, int | float | Decimal):
        number = norm_fact(data)
        if not isinstance(number, Decimal):
            raise ValueError(f"not a finite number: {data!r}")
        return format_number(number)
    if isinstance(data, str):
        return json.dumps(data, ensure_ascii=False)
    if isinstance(data, list | tuple):
        return "[" + ",".join(_canonical(item) for item in data) + "]"
    if isinstance(data, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_canonical(v)}"
                              for k, v in sorted(data.items(), key=lambda kv: str(kv[0]))) + "}"
    raise TypeError(f"not JSON data: {type(data).__name__}")


def canonical_json(data: Any) -> str:
    """One text per meaning-preserving form: sorted keys, no spaces, numbers normalised (0.030 → 0.03)."""
    return _canonical(load_json(data) if isinstance(data, str) else data)


# ---- conditions ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExplanationLine:
    """One top-level test: in Chinese words, the enterprise's values, and whether it held."""

    condition: str
    values: tuple[tuple[str, str], ...]
    held: bool
    note: str = ""  # why it could not be decided: 缺少数据：… / 数据类型不符 / 除数为零

    @property
    def text(self) -> str:
        shown = "；".join(f"{label}：{value}" for label, value in self.values)
        verdict = "符合" if self.held else f"不符合（{self.note}）" if self.note else "不符合"
        return f"{self.condition}（{shown}）：{verdict}" if shown else f"{self.condition}：{verdict}"


@dataclass(frozen=True)
class Explanation:
    held: bool
    joiner: str  # 且 (all of the lines), 或 (any of them), "" (a single test)
    lines: tuple[ExplanationLine, ...]

    @property
    def text(self) -> str:
        head = {"且": "须同时满足：", "或": "满足其一即可：", "": ""}[self.joiner]
        body = [f"{i}. {line.text}" for i, line in enumerate(self.lines, start=1)] if head else \
            [line.text for line in self.lines]
        return "\n".join([*([head] if head else []), *body, f"结论：{'符合' if self.held else '不符合'}"])


class Condition:
    """A checked, compiled condition: ``evaluate`` for matching, ``explain`` for the notice."""

    def __init__(self, root: Node, data: Any, vocabulary: Vocabulary) -> None:
        self.root = root
        self.data = data
        self.json = canonical_json(data)
        self.vocabulary = vocabulary
        self.fields = frozenset(n.value for n in walk(root) if n.op == "var")
        fn = root.fn
        # ``evaluate(facts) -> bool``: True when the condition holds; missing or wrong data never holds and never
        # raises.  An attribute, not a method: one call less per enterprise in a match.
        self.evaluate: Callable[[Facts], bool] = (lambda facts: fn(facts) is True) if root.kind == "bool" else (
            lambda facts: truth(fn(facts)) is True)

    def __call__(self, facts: Facts) -> bool:
        return self.evaluate(facts)

    def describe(self) -> str:
        return render(self.root)

    def explain(self, facts: Facts) -> Explanation:
        root = self.root
        parts = root.args if root.op in ("and", "or") else (root,)
        lines = tuple(explain_line(part, facts) for part in parts)
        return Explanation(self.evaluate(facts), {"and": "且", "or": "或"}.get(root.op, ""), lines)

    def __repr__(self) -> str:
        return f"Condition({self.json})"


def compile_condition(data: Any, vocabulary: Vocabulary, *, field: str = "condition",
                      where: str = "条件") -> Condition:
    """Check a condition (data, or its JSON text) once and compile it; refusals name their place in the tree."""
    if isinstance(data, str):
        data = load_json(data, field=field, what=where)
    root = _compile_checked(data, vocabulary, field, where, ("bool", "any"), "结果必须是真或假")
    return Condition(root, data, vocabulary)


def compile_expression(data: Any, vocabulary: Vocabulary, *, field: str, where: str) -> Node:
    """A numeric expression (a field path, or JSON Logic arithmetic) for amount rules."""
    if isinstance(data, str):
        data = {"var": data}
    return _compile_checked(data, vocabulary, field, where, ("number", "any"), "需要数字")


def _compile_checked(data: Any, vocabulary: Vocabulary, field: str, where: str, kinds: tuple[str, ...],
                     wanted: str) -> Node:
    """Compile ``data``; every problem in one ``ValidationError``, a result of another kind than ``kinds`` too."""
    compiler = Compiler(vocabulary, where)
    node = compiler.compile(data)
    if not compiler.problems and node.kind not in kinds:
        compiler.problems.append(f"{where}：{wanted}，这里是{KIND_NAMES[node.kind]}")
    if compiler.problems:
        raise ValidationError(field, compiler.problems[0], problems=[(field, p) for p in compiler.problems])
    return node

# ---- Chinese ------------------------------------------------------------------------------------------------
_SYMBOLS: Final = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "+": "+", "-": "−",
                   "*": "×", "/": "÷"}
_PRECEDENCE: Final = {"or": 1, "and": 2, "!": 3, "!!": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
                      "in": 4, "+": 5, "-": 5, "*": 6, "/": 6}


def _is_fraction(node: Node) -> bool:
    return node.op == "lit" and isinstance(node.value, Decimal) and 0 < node.value < 1


def format_percent(d: Decimal) -> str:
    p = CTX.multiply(d, Decimal(100))
    exact = p.quantize(Decimal("0.0001"), context=CTX) == p
    return f"{format_number(p)}%" if exact else f"约 {p.quantize(Decimal('0.0001'), context=CTX)}%"


def render(node: Node, percent: bool = False) -> str:
    """The expression in Chinese words (梯度 ≥ 瞪羚, 上年营业收入的 3%)."""
    op, args = node.op, node.args
    if op == "var":
        return node.label
    if op == "lit":
        v = node.value
        if isinstance(v, Decimal):
            return format_percent(v) if percent else format_number(v)
        if isinstance(v, bool):
            return "是" if v else "否"
        if isinstance(v, tuple):
            return "、".join(f"“{item}”" if isinstance(item, str) else render(Node("lit", node.fn, "any", value=item))
                            for item in v)
        return f"“{v}”"
    if op == "rank":
        inner = args[0]
        return str(inner.value) if inner.op == "lit" else render(inner)
    mine = _PRECEDENCE.get(op, 9)

    def sub(arg: Node, pct: bool = False) -> str:
        text = render(arg, pct)
        return f"（{text}）" if _PRECEDENCE.get(arg.op, 9) < mine or (
            _PRECEDENCE.get(arg.op, 9) == mine and arg.op in ("-", "/") and arg is not args[0]) else text
    if op in ("==", "!=", "<", "<=", ">", ">="):
        ratio = any(a.op == "/" for a in args)
        return f" {_SYMBOLS[op]} ".join(sub(a, ratio and _is_fraction(a)) for a in args)
    if op in ("and", "or"):
        return f" {'且' if op == 'and' else '或'} ".join(sub(a) for a in args)
    if op == "!":
        return f"{render(args[0])} 为否" if args[0].op == "var" else f"并非（{render(args[0])}）"
    if op == "!!":
        return f"{render(args[0])} 为是" if args[0].op == "var" else f"（{render(args[0])}）成立"
    if op == "in":
        verb = "属于" if args[1].kind == "list" else "包含于"
        return f"{sub(args[0])} {verb} {render(args[1])}"
    if op == "*" and len(args) == 2 and any(_is_fraction(a) for a in args):
        base, rate = (args[0], args[1]) if _is_fraction(args[1]) else (args[1], args[0])
        return f"{sub(base)}的 {render(rate, True)}"
    if op == "-" and len(args) == 1:
        return f"−{sub(args[0])}"
    if op in _SYMBOLS:
        return f" {_SYMBOLS[op]} ".join(sub(a) for a in args)
    if op in ("min", "max"):
        return f"{'、'.join(render(a) for a in args)} 中的{'较小者' if op == 'min' else '较大者'}"
    if op == "if":
        text = "；".join(f"若 {render(args[i])} 则 {render(args[i + 1])}" for i in range(0, len(args) - 1, 2))
        return f"{text}；否则 {render(args[-1])}"
    if op == "missing":
        return f"缺少 {'、'.join(render(a) for a in args)}"
    return op


def show_value(v: Any, percent: bool = False) -> str:
    """A fact or computed value as the notice prints it."""
    if isinstance(v, Unknown):
        return v.reason
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return format_percent(v) if percent else format_number(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "、".join(show_value(norm_fact(item)) for item in v) or "（无）"
    return str(v)


def explain_line(node: Node, facts: Facts) -> ExplanationLine:
    result = truth(node.fn(facts))
    values: list[tuple[str, str]] = []
    missing: list[str] = []
    seen: set[str] = set()
    for var in (n for n in walk(node) if n.op == "var"):
        if var.value in seen:
            continue
        seen.add(var.value)
        raw = var.probe(facts) if var.probe else MISSING
        if raw is MISSING:
            missing.append(var.label)
        shown = show_value(var.fn(facts)) + ("（默认值）" if raw is MISSING and var.fn(facts) is not MISSING else "")
        values.append((var.label, shown))
    if node.op in ("==", "!=", "<", "<=", ">", ">="):
        ratio = any(a.op == "/" for a in node.args)
        for side in node.args:
            if side.op not in ("var", "lit", "rank"):
                values.append((render(side, ratio), show_value(side.fn(facts), ratio and side.op == "/")))
    note = ""
    if isinstance(result, Unknown):
        note = f"缺少数据：{'、'.join(missing)}" if result is MISSING and missing else result.reason
    return ExplanationLine(render(node), tuple(values), result is True, note)
