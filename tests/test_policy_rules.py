"""惠企政策兑现's rules core (app/policy_rules.py, app/policy_amounts.py): no database, no Qt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationError
from app.policy_amounts import RuleVersions, compile_amount, split_amount
from app.policy_rules import Field, Vocabulary, canonical_json, compile_condition, load_json

TIERS = ("雏鹰", "瞪羚", "潜在独角兽", "龙头")
VOCAB = Vocabulary.of(
    {
        "tier": "梯度",
        "scale": Field("企业规模", "text"),
        "name": Field("企业名称", "text"),
        "industry": "行业代码",
        "founded": Field("成立日期", "date"),
        "certs": Field("资质", "list"),
        "cert.level": "高新认定级别",
        "cert.valid_until": Field("认定有效期至", "date"),
        "high_tech": Field("高新技术企业", "bool"),
        "a": "甲", "b": "乙", "c": "丙",
        "figures.last_year.rd_spend": Field("上年研发投入", "number"),
        "figures.last_year.revenue": Field("上年营业收入", "number"),
        "figures.last_year.new_employees": Field("上年新增就业人数", "number"),
    },
    {"tier": TIERS, "level": ("市", "省", "国家")},
)
RD = {"var": "figures.last_year.rd_spend"}
REVENUE = {"var": "figures.last_year.revenue"}
TIER_AT_LEAST_GAZELLE = {">=": [{"rank": [{"var": "tier"}, "tier"]}, {"rank": ["瞪羚", "tier"]}]}
REALISTIC = {"and": [TIER_AT_LEAST_GAZELLE, {">=": [RD, {"*": [REVENUE, 0.03]}]}]}


def holds(data: Any, facts: dict[str, Any]) -> bool:
    return compile_condition(data, VOCAB).evaluate(facts)


def refusal(data: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        compile_condition(data, VOCAB)
    assert caught.value.field == "condition"
    return caught.value.message


# ---- every operator ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "facts", "expected"), [
    ({"==": [{"var": "a"}, 1]}, {"a": 1}, True),
    ({"==": [{"var": "a"}, 1]}, {"a": 1.0}, True),
    ({"==": [{"var": "a"}, "1"]}, {"a": 1}, False),  # no JavaScript coercion: a number is not the text "1"
    ({"!=": [{"var": "a"}, "国家"]}, {"a": "省"}, True),
    ({"<": [{"var": "a"}, 10]}, {"a": 9}, True),
    ({"<": [{"var": "a"}, 10]}, {"a": 10}, False),
    ({"<=": [{"var": "a"}, 10]}, {"a": 10}, True),
    ({">": [{"var": "a"}, 10]}, {"a": 10}, False),
    ({">=": [{"var": "a"}, 10]}, {"a": 10}, True),
    ({"<": [1, {"var": "a"}, 10]}, {"a": 5}, True),
    ({"<": [1, {"var": "a"}, 10]}, {"a": 10}, False),
    ({"<=": [1, {"var": "a"}, 10]}, {"a": 10}, True),
    ({"<=": [1, {"var": "a"}, 10]}, {"a": 0}, False),
    ({"and": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"a": 2, "b": 2}, True),
    ({"and": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"a": 2, "b": 1}, False),
    ({"or": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"a": 0, "b": 2}, True),
    ({"or": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"a": 0, "b": 0}, False),
    ({"!": {"var": "high_tech"}}, {"high_tech": False}, True),
    ({"!!": {"var": "high_tech"}}, {"high_tech": True}, True),
    ({"!!": {"var": "a"}}, {"a": 0}, False),
    ({"in": [{"var": "industry"}, ["C39", "C40"]]}, {"industry": "C40"}, True),
    ({"in": [{"var": "industry"}, ["C39", "C40"]]}, {"industry": "C41"}, False),
    ({"in": [{"var": "a"}, [1, 2.5]]}, {"a": Decimal("2.50")}, True),
    ({"in": ["专精特新", {"var": "certs"}]}, {"certs": ["高新技术企业", "专精特新"]}, True),
    ({"in": ["科技", {"var": "name"}]}, {"name": "南昌新建科技有限公司"}, True),
    ({"in": ["制药", {"var": "name"}]}, {"name": "南昌新建科技有限公司"}, False),
    ({"==": [{"+": [{"var": "a"}, {"var": "b"}, 1]}, 6]}, {"a": 2, "b": 3}, True),
    ({"==": [{"-": [{"var": "a"}, {"var": "b"}]}, -1]}, {"a": 2, "b": 3}, True),
    ({"==": [{"-": {"var": "a"}}, -2]}, {"a": 2}, True),
    ({"==": [{"*": [{"var": "a"}, {"var": "b"}, 2]}, 12]}, {"a": 2, "b": 3}, True),
    ({"==": [{"/": [{"var": "a"}, {"var": "b"}]}, 0.4]}, {"a": 2, "b": 5}, True),
    ({"==": [{"min": [{"var": "a"}, {"var": "b"}, 7]}, 2]}, {"a": 2, "b": 3}, True),
    ({"==": [{"max": [{"var": "a"}, {"var": "b"}, 7]}, 7]}, {"a": 2, "b": 3}, True),
    ({"==": [{"if": [{">": [{"var": "a"}, 5]}, "大", {">": [{"var": "a"}, 2]}, "中", "小"]}, "中"]}, {"a": 3}, True),
    ({"==": [{"if": [{">": [{"var": "a"}, 5]}, "大", "小"]}, "小"]}, {"a": 1}, True),
    ({"in": ["figures.last_year.revenue", {"missing": ["figures.last_year.rd_spend", "figures.last_year.revenue"]}]},
     {"figures": {"last_year": {"rd_spend": 1}}}, True),
    ({"!": {"missing": ["a", "b"]}}, {"a": 1, "b": 2}, True),
    ({"!": {"missing": ["a", "b"]}}, {"a": 1, "b": ""}, False),  # JSON Logic: "" counts as missing
    ({">=": [{"var": ["a", 0]}, 0]}, {}, True),  # a default stands in for a missing value
    ({">=": [{"var": "figures.last_year.rd_spend"}, 5]}, {"figures": {"last_year": {"rd_spend": 5}}}, True),
    ({"<": [{"var": "founded"}, "2024-01-01"]}, {"founded": date(2023, 12, 31)}, True),
    ({"<": [{"var": "founded"}, "2024-01-01"]}, {"founded": "2024-01-01"}, False),
    ({">=": [{"var": "cert.valid_until"}, {"var": "founded"}]}, {"cert": {"valid_until": "2027-05-01"},
                                                                  "founded": date(2020, 1, 1)}, True),
    ({"==": [{"var": "founded"}, "2024-02-29"]}, {"founded": date(2024, 2, 29)}, True),
    (TIER_AT_LEAST_GAZELLE, {"tier": "瞪羚"}, True),
    (TIER_AT_LEAST_GAZELLE, {"tier": "龙头"}, True),
    (TIER_AT_LEAST_GAZELLE, {"tier": "雏鹰"}, False),
    ({"<": [{"rank": ["雏鹰", "tier"]}, {"rank": [{"var": "tier"}, "tier"]}, {"rank": ["龙头", "tier"]}]},
     {"tier": "潜在独角兽"}, True),
    ({"==": [{"rank": [{"var": "cert.level"}, "level"]}, {"rank": ["国家", "level"]}]}, {"cert": {"level": "国家"}},
     True),
    (True, {}, True),
])
def test_operator(data: Any, facts: dict[str, Any], expected: bool) -> None:
    assert holds(data, facts) is expected


def test_decimal_exactness() -> None:
    # Binary floating point says 0.1 + 0.2 != 0.3; money must not.
    assert holds({"==": [{"+": [{"var": "a"}, {"var": "b"}]}, 0.3]}, {"a": 0.1, "b": 0.2})
    assert holds({"==": [{"+": [0.1, 0.2]}, 0.3]}, {})
    assert holds({"==": [{"*": [{"var": "a"}, 3]}, 0.3]}, {"a": "0.1"}) is False  # text is not a number
    ratio = {">=": [{"/": [RD, REVENUE]}, 0.03]}
    at_three = {"figures": {"last_year": {"rd_spend": 300000, "revenue": 10000000}}}
    just_below = {"figures": {"last_year": {"rd_spend": Decimal("299999.99"), "revenue": 10000000}}}
    assert holds(ratio, at_three) and not holds(ratio, just_below)
    share = {">=": [RD, {"*": [REVENUE, 0.03]}]}
    assert holds(share, at_three) and not holds(share, just_below)
    # The same boundary with float facts that are not exact in binary: 0.07 × 3 …
    assert holds({">=": [{"var": "a"}, {"*": [{"var": "b"}, 0.03]}]}, {"a": 0.0021, "b": 0.07})


def test_the_thread_decimal_context_does_not_change_results() -> None:
    # Another library lowering the thread's precision must not make 3 % of a revenue drift.
    condition = compile_condition({">=": [RD, {"*": [REVENUE, 0.03]}]}, VOCAB)
    rule = compile_amount({"kind": "percent", "of": "figures.last_year.revenue", "percent": 3}, VOCAB)
    facts = {"figures": {"last_year": {"rd_spend": Decimal("3703703.70"), "revenue": Decimal("123456790")}}}
    with localcontext() as ctx:
        ctx.prec = 4
        assert condition.evaluate(facts)
        assert not condition.evaluate({"figures": {"last_year": {"rd_spend": Decimal("3703703.69"),
                                                                 "revenue": Decimal("123456790")}}})
        assert rule.compute(facts).amount == Decimal("3703703.70")


def test_fields_read_are_known_before_matching() -> None:
    # The services load only what the clause reads.
    assert compile_condition(REALISTIC, VOCAB).fields == {"tier", "figures.last_year.rd_spend",
                                                          "figures.last_year.revenue"}
    rule = compile_amount({"kind": "tiered", "bands": [{"when": TIER_AT_LEAST_GAZELLE, "amount": 1}]}, VOCAB)
    assert rule.fields == {"tier"}
    assert compile_amount({"kind": "percent", "of": {"-": [RD, {"var": "a"}]}, "percent": 1}, VOCAB).fields == {
        "figures.last_year.rd_spend", "a"}


def test_logic_keeps_missing_data_unknown() -> None:
    # Negating a test over missing data never makes an enterprise eligible.
    assert not holds({"!": TIER_AT_LEAST_GAZELLE}, {})
    assert not holds({"!": {">": [{"var": "a"}, 1]}}, {"a": None})
    assert not holds({"or": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"b": 0})
    assert holds({"or": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"b": 2})
    assert not holds({"and": [{">": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 1]}]}, {"b": 2})
    # A wrong kind or a zero divisor is not decided either.
    assert not holds({"!": {">": [{"var": "a"}, 1]}}, {"a": "很多"})
    assert not holds({"!": {">": [{"/": [{"var": "a"}, {"var": "b"}]}, 1]}}, {"a": 1, "b": 0})
    assert not holds(TIER_AT_LEAST_GAZELLE, {"tier": "独角兽"})  # not a name of the scale


# ---- refusals on save ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "message"), [
    ({"and": [TIER_AT_LEAST_GAZELLE, {">==": [RD, 1]}]}, "条件第 2 项：未知运算“>==”"),
    ({"and": [True, {">=": [{"var": "figures.last_year.rd_spent"}, 1]}]},
     "条件第 2.1 项：未知字段“figures.last_year.rd_spent”（名录中没有这个字段）"),
    ({">=": [RD]}, "条件：“>=”需要 2–3 个参数，这里是 1 个"),
    ({">": [1, RD, 3]}, "条件：“>”需要 2 个参数，这里是 3 个（三参数的区间写法只用于“<”和“<=”）"),
    ({"!": [True, False]}, "条件：“!”需要 1 个参数，这里是 2 个"),
    ({">=": [{"+": [RD, "十万"]}, 1]}, "条件第 1.2 项：“+”需要数字，这里是文字“十万”"),
    ({">=": [{"/": [RD, {"-": [1, 1]}]}, 1]}, "条件第 1.2 项：除数为零"),
    ({">=": [{"/": [RD, 0]}, 1]}, "条件第 1.2 项：除数为零"),
    ({"<": [{"var": "name"}, "某"]}, "条件第 1 项：比较大小需要数字或日期（有序名称请用“rank”），这里是文字“企业名称”"),
    ({">=": [{"var": "tier"}, "瞪羚"]}, "条件第 2 项：比较大小需要数字或日期（有序名称请用“rank”），这里是文字“瞪羚”"),
    ({">=": [{"rank": [{"var": "tier"}, "tier"]}, {"rank": ["瞪铃", "tier"]}]},
     "条件第 2.1 项：“瞪铃”不在序列“tier”中（雏鹰 < 瞪羚 < 潜在独角兽 < 龙头）"),
    ({">=": [{"rank": [{"var": "tier"}, "梯队"]}, 1]}, "条件第 1.2 项：未知序列“梯队”（可用：tier、level）"),
    ({">=": [{"rank": [{"var": "tier"}, "tier"]}, 2]}, "条件：不能比较不同序列的名称（或名称与数字），两边都要用同一个“rank”"),
    ({"==": [RD, "2024-01-01"]}, "条件：“==”两边类型不同：数字与日期"),
    ({"and": [True, {">": [RD, 1]}], "or": [True]}, "条件：一个运算只能有一个运算符，这里是 2 个（and、or）"),
    ({"==": [{"var": "a"}, None]}, "条件第 2 项：不支持空值 null（判断缺少数据请用“missing”）"),
    ({"==": [{"var": "a"}, [1, 2]]}, "条件第 2 项：列表只能作为“in”的第 2 个参数"),
    ({"if": [True, 1]}, "条件：“if”需要至少 3 个参数，这里是 2 个"),
    ({"if": [True, True, False, False]}, "条件：“if”需要奇数个参数（条件、结果……、否则的结果），这里是 4 个"),
    ({"+": [RD, 1]}, "条件：结果必须是真或假，这里是数字"),
    ({"var": ""}, "条件：“var”的字段名必须是非空文字"),
    ({"var": [{"var": "a"}]}, "条件：“var”的字段名必须是非空文字"),
    ({">": [RD, 1e30]}, "条件第 2 项：数字“1e+30”超出范围"),
    ({"missing": ["a", "nope"]}, "条件第 2 项：未知字段“nope”（名录中没有这个字段）"),
    ({"in": [1, {"var": "a"}]} | {}, None),  # a var of unknown kind may hold a list: accepted
    ({"in": ["x", RD]}, "条件第 2 项：“in”的第 2 个参数需要列表或文字，这里是数字“上年研发投入”"),
])
def test_refused_on_save_naming_the_place(data: Any, message: str | None) -> None:
    if message is None:
        compile_condition(data, VOCAB)
    else:
        assert refusal(data) == message


def test_every_problem_is_reported_in_order() -> None:
    with pytest.raises(ValidationError) as caught:
        compile_condition({"and": [{">==": [1, 2]}, {"var": "nope"}, {"<": [{"var": "name"}, 1]}]}, VOCAB)
    assert [m for _, m in caught.value.problems] == [
        "条件第 1 项：未知运算“>==”", "条件第 2 项：未知字段“nope”（名录中没有这个字段）",
        "条件第 3.1 项：比较大小需要数字或日期（有序名称请用“rank”），这里是文字“企业名称”"]


def test_depth_size_and_bad_json_are_refused() -> None:
    deep: Any = True
    for _ in range(40):
        deep = {"!": deep}
    assert refusal(deep) == "条件：嵌套超过 32 层"
    wide = {"or": [{"==": [{"var": "a"}, i]} for i in range(700)]}
    assert refusal(wide) == "条件：超过 2000 个节点"
    assert refusal('{"and": [true,') .startswith("条件不是有效的 JSON：第 1 行第 15 列")
    assert refusal('{"==": [1, NaN]}').startswith("条件不是有效的 JSON")
    assert refusal("[" * 150_000 + "]" * 150_000).startswith("条件过长")


def test_json_text_and_canonical_form() -> None:
    text = '{ "and" : [ {">=": [{"var":"figures.last_year.rd_spend"}, {"*": [{"var": "figures.last_year.revenue"},' \
           ' 0.030]}]}, true ] }'
    condition = compile_condition(text, VOCAB)
    assert condition.json == ('{"and":[{">=":[{"var":"figures.last_year.rd_spend"},{"*":[{"var":'
                              '"figures.last_year.revenue"},0.03]}]},true]}')
    assert canonical_json({"b": [1.50, Decimal("2E+2")], "a": "梯度"}) == '{"a":"梯度","b":[1.5,200]}'
    assert canonical_json(condition.json) == condition.json
    assert isinstance(load_json('{"x": 0.1}')["x"], Decimal)
    assert condition.fields == {"figures.last_year.rd_spend", "figures.last_year.revenue"}


# ---- explanations ------------------------------------------------------------------------------------------

def test_explanation_of_a_realistic_clause() -> None:
    condition = compile_condition(REALISTIC, VOCAB)
    assert condition.describe() == "梯度 ≥ 瞪羚 且 上年研发投入 ≥ 上年营业收入的 3%"
    facts = {"tier": "潜在独角兽", "figures": {"last_year": {"rd_spend": 280000, "revenue": 10000000}}}
    explanation = condition.explain(facts)
    assert not explanation.held and explanation.joiner == "且"
    first, second = explanation.lines
    assert (first.condition, first.values, first.held) == ("梯度 ≥ 瞪羚", (("梯度", "潜在独角兽"),), True)
    assert second.condition == "上年研发投入 ≥ 上年营业收入的 3%"
    assert second.values == (("上年研发投入", "280000"), ("上年营业收入", "10000000"), ("上年营业收入的 3%", "300000"))
    assert not second.held and second.note == ""
    assert explanation.text == (
        "须同时满足：\n"
        "1. 梯度 ≥ 瞪羚（梯度：潜在独角兽）：符合\n"
        "2. 上年研发投入 ≥ 上年营业收入的 3%（上年研发投入：280000；上年营业收入：10000000；"
        "上年营业收入的 3%：300000）：不符合\n"
        "结论：不符合")
    assert condition.explain({**facts, "figures": {"last_year": {"rd_spend": 300000, "revenue": 10000000}}}).held


def test_explanation_of_missing_data_and_ratios() -> None:
    condition = compile_condition(REALISTIC, VOCAB)
    explanation = condition.explain({"figures": {"last_year": {"rd_spend": 1}}})
    assert not explanation.held
    assert explanation.lines[0].text == "梯度 ≥ 瞪羚（梯度：缺少数据）：不符合（缺少数据：梯度）"
    assert explanation.lines[1].note == "缺少数据：上年营业收入"
    ratio = compile_condition({">=": [{"/": [RD, REVENUE]}, 0.03]}, VOCAB)
    single = ratio.explain({"figures": {"last_year": {"rd_spend": 1, "revenue": 30}}})
    assert single.joiner == "" and single.held
    assert single.text == ("上年研发投入 ÷ 上年营业收入 ≥ 3%（上年研发投入：1；上年营业收入：30；"
                           "上年研发投入 ÷ 上年营业收入：约 3.3333%）：符合\n结论：符合")
    zero = ratio.explain({"figures": {"last_year": {"rd_spend": 1, "revenue": 0}}})
    assert zero.lines[0].note == "除数为零" and not zero.held
    either = compile_condition({"or": [{"in": [{"var": "industry"}, ["C39", "C40"]]}, {"!!": {"var": "high_tech"}}]},
                               VOCAB).explain({"industry": "C27", "high_tech": True})
    assert [line.condition for line in either.lines] == ["行业代码 属于 “C39”、“C40”", "高新技术企业 为是"]
    assert either.held and either.text.startswith("满足其一即可：")
    defaulted = compile_condition({">=": [{"var": ["a", 0]}, 0]}, VOCAB).explain({})
    assert defaulted.lines[0].values == (("甲", "0（默认值）"),) and defaulted.held


# ---- amounts ----------------------------------------------------------------------------------------------

LAST_YEAR = {"figures": {"last_year": {"rd_spend": Decimal("345678.90"), "new_employees": 12}}}


def test_fixed_and_tiered_amounts() -> None:
    fixed = compile_amount({"kind": "fixed", "amount": 200000}, VOCAB).compute({})
    assert fixed.amount == Decimal("200000.00") and fixed.working == ("定额 200000.00 元", "兑现金额 200000.00 元")
    by_level = compile_amount('{"kind": "tiered", "by": "cert.level", "bands": [{"value": "国家", "amount": 200000},'
                              ' {"value": "省", "amount": 100000}, {"value": "市", "amount": 50000}]}', VOCAB)
    assert by_level.describe() == "按高新认定级别分档：国家 200000.00 元；省 100000.00 元；市 50000.00 元"
    assert by_level.compute({"cert": {"level": "省"}}).amount == Decimal("100000.00")
    assert by_level.compute({"cert": {"level": "县"}}).working[0] == "高新认定级别：县，无对应档次，0.00 元"
    lacking = by_level.compute({})
    assert (lacking.amount, lacking.missing) == (Decimal("0.00"), ("高新认定级别",))
    by_tier = compile_amount({"kind": "tiered", "bands": [
        {"when": {">=": [{"rank": [{"var": "tier"}, "tier"]}, {"rank": ["龙头", "tier"]}]}, "amount": 500000},
        {"when": TIER_AT_LEAST_GAZELLE, "amount": 200000}]}, VOCAB)
    result = by_tier.compute({"tier": "瞪羚"})
    assert result.amount == Decimal("200000.00")
    assert result.working[:2] == ("第 1 档（梯度 ≥ 龙头）：不符合", "第 2 档（梯度 ≥ 瞪羚）：符合，200000.00 元")
    assert by_tier.compute({}).missing == ("梯度",)


def test_percent_with_cap_counting_this_year() -> None:
    rule = compile_amount({"kind": "percent", "of": "figures.last_year.rd_spend", "percent": 10, "cap": 50000}, VOCAB)
    assert rule.describe() == "按上年研发投入的 10% 计，每家企业每年最高 50000.00 元"
    assert rule.compute(LAST_YEAR).amount == Decimal("34567.89")
    capped = rule.compute(LAST_YEAR, paid_this_year=Decimal("20000"))
    assert capped.amount == Decimal("30000.00")
    assert capped.working == ("上年研发投入 345678.9 × 10% = 34567.89 元",
                              "每年最高 50000.00 元，本年已兑现 20000.00 元，尚可兑现 30000.00 元", "兑现金额 30000.00 元")
    assert rule.compute(LAST_YEAR, paid_this_year=Decimal("60000")).amount == Decimal("0.00")
    # ROUND_HALF_UP at the cent: 12.345 → 12.35 (binary rounding of 12.345 would give 12.34).
    assert rule.compute({"figures": {"last_year": {"rd_spend": 123.45}}}).amount == Decimal("12.35")
    assert rule.compute({"figures": {"last_year": {"rd_spend": -5}}}).amount == Decimal("0.00")
    with pytest.raises(ValidationError):
        rule.compute(LAST_YEAR, paid_this_year=Decimal("-1"))
    expression = compile_amount({"kind": "percent", "percent": 5,
                                 "of": {"-": [{"var": "figures.last_year.rd_spend"}, 100000]}}, VOCAB)
    assert expression.compute(LAST_YEAR).amount == Decimal("12283.95")


def test_per_unit_with_cap_and_split() -> None:
    rule = compile_amount({"kind": "per_unit", "of": "figures.last_year.new_employees", "unit_amount": 2000,
                           "cap": 20000, "split": [{"level": "区", "percent": 60}, {"level": "市", "percent": 40}]},
                          VOCAB)
    result = rule.compute(LAST_YEAR)
    assert result.amount == Decimal("20000.00")
    assert [(s.level, s.amount) for s in result.split] == [("区", Decimal("12000.00")), ("市", Decimal("8000.00"))]
    assert result.working[0] == "上年新增就业人数 12 × 2000.00 元 = 24000.00 元"
    small = rule.compute({"figures": {"last_year": {"new_employees": 5}}})
    assert small.amount == Decimal("10000.00")
    lacking = rule.compute({})
    assert lacking.amount == Decimal("0.00") and lacking.missing == ("上年新增就业人数",)


def test_split_remainder_goes_to_the_last_level() -> None:
    shares = split_amount(Decimal("100.01"), [("区", Decimal("33.33")), ("市", Decimal("33.33")),
                                              ("省", Decimal("33.34"))])
    assert [s.amount for s in shares] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.35")]
    assert sum(s.amount for s in shares) == Decimal("100.01")
    # Half-up on every level would leave the last negative: the first ones are rounded down instead.
    tiny = split_amount(Decimal("0.05"), [("a", Decimal(30)), ("b", Decimal(30)), ("c", Decimal(30)), ("d", Decimal(10))])
    assert [s.amount for s in tiny] == [Decimal("0.01"), Decimal("0.01"), Decimal("0.01"), Decimal("0.02")]


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "lump"}, "金额规则：未知类型“lump”（可用：fixed、tiered、percent、per_unit）"),
    ({"kind": "fixed"}, "金额规则：定额规则缺少“amount”"),
    ({"kind": "fixed", "amount": 1, "ceiling": 2}, "金额规则：不认识的项“ceiling”"),
    ({"kind": "fixed", "amount": "20万"}, "金额规则：“amount”需要数字，这里是“20万”"),
    ({"kind": "fixed", "amount": -1}, "金额规则：“amount”必须不小于 0，这里是 -1"),
    ({"kind": "percent", "of": "figures.last_year.rd_spent", "percent": 10},
     "金额规则计算基数：未知字段“figures.last_year.rd_spent”（名录中没有这个字段）"),
    ({"kind": "percent", "of": "name", "percent": 10}, "金额规则计算基数：需要数字，这里是文字"),
    ({"kind": "percent", "of": "figures.last_year.rd_spend", "percent": 150}, "金额规则：比例“150%”不能超过 100%"),
    ({"kind": "percent", "of": "figures.last_year.rd_spend", "percent": 10, "cap": 0},
     "金额规则：“cap”必须大于 0，这里是 0"),
    ({"kind": "tiered", "by": "cert.level", "bands": []}, "金额规则：“bands”需要至少一档"),
    ({"kind": "tiered", "by": "cert.level", "bands": [{"value": "国家", "amount": 2}, {"value": "国家", "amount": 1}]},
     "金额规则第 2 档：取值“国家”与前面的档次重复"),
    ({"kind": "tiered", "bands": [{"value": "国家", "amount": 2}]},
     "金额规则第 1 档：需要“when”和“amount”两项（没有“by”时按条件分档）"),
    ({"kind": "tiered", "bands": [{"when": TIER_AT_LEAST_GAZELLE, "amount": 1}, {"when": {">==": [1, 2]}, "amount": 1}]},
     "金额规则第 2 档条件：未知运算“>==”"),
    ({"kind": "fixed", "amount": 1, "split": [{"level": "区", "percent": 60}, {"level": "市", "percent": 30}]},
     "金额规则：分担比例合计须为 100%，这里是 90%"),
    ({"kind": "fixed", "amount": 1, "split": [{"level": "区", "percent": 50}, {"level": "区", "percent": 50}]},
     "金额规则分担第 2 级：“区”重复"),
    ("[1]", "金额规则需要一个对象，如 {\"kind\": \"fixed\", \"amount\": 200000}"),
])
def test_amount_rules_refused_on_save(data: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_amount(data, VOCAB)
    assert caught.value.message == message and caught.value.field == "amount"


# ---- versions by date -----------------------------------------------------------------------------------------

def test_versions_by_date() -> None:
    this_year = (compile_condition(REALISTIC, VOCAB), compile_amount({"kind": "fixed", "amount": 100000}, VOCAB))
    next_year = (compile_condition(TIER_AT_LEAST_GAZELLE, VOCAB),
                 compile_amount({"kind": "fixed", "amount": 80000}, VOCAB))
    versions = RuleVersions(clause="XJ-2026-04")
    versions.add(date(2026, 1, 1), *this_year)
    versions.add(date(2027, 1, 1), *next_year)
    assert versions.for_date(date(2026, 12, 31)).amount.compute({}).amount == Decimal("100000.00")
    assert versions.for_date(date(2027, 1, 1)).condition is next_year[0]
    assert versions.for_date(date(2030, 6, 1)).effective_from == date(2027, 1, 1)
    with pytest.raises(ValidationError) as early:
        versions.for_date(date(2025, 12, 31))
    assert early.value.message == "2025-12-31 早于条款“XJ-2026-04”最早版本的生效日期 2026-01-01，没有适用的规则"
    with pytest.raises(ValidationError) as stale:
        versions.add(date(2027, 1, 1), *next_year)
    assert stale.value.message == "条款“XJ-2026-04”新版本的生效日期 2027-01-01 须晚于现行版本的生效日期 2027-01-01"
    with pytest.raises(ValidationError):
        versions.add(date(2026, 6, 1), *next_year)
    loaded = RuleVersions(reversed(list(versions)))  # stored rows in any order
    assert [v.effective_from for v in loaded] == [date(2026, 1, 1), date(2027, 1, 1)] and len(loaded) == 2
    with pytest.raises(ValidationError) as empty:
        RuleVersions().for_date(date(2026, 1, 1))
    assert empty.value.message == "本条款还没有规则版本"


# ---- properties -------------------------------------------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                    st.sampled_from([*TIERS, "2024-01-01", "2024-02-30", "C39"]), st.dates())
FACTS = st.fixed_dictionaries({}, optional={
    "tier": SCALARS, "a": SCALARS, "b": SCALARS, "industry": SCALARS, "founded": SCALARS, "name": SCALARS,
    "certs": st.one_of(SCALARS, st.lists(SCALARS, max_size=3)), "high_tech": SCALARS,
    "figures": st.one_of(SCALARS, st.fixed_dictionaries({}, optional={"last_year": st.one_of(
        SCALARS, st.fixed_dictionaries({}, optional={"rd_spend": SCALARS, "revenue": SCALARS,
                                                     "new_employees": SCALARS}))}))})
EVERYTHING = {"and": [
    REALISTIC, {"or": [{"!": {"in": [{"var": "industry"}, ["C39", 40]]}}, {"in": ["科技", {"var": "name"}]}]},
    {"<=": [0, {"+": [{"var": "a"}, {"*": [{"var": "b"}, 2]}, {"/": [{"var": "a"}, {"var": "b"}]}]}, 10]},
    {"!=": [{"-": [{"max": [{"var": "a"}, 1]}, {"min": [{"var": "b"}, 2]}]}, {"if": [{"var": "high_tech"}, 1, 2]}]},
    {">": [{"var": "founded"}, "2000-01-01"]}, {"in": [{"var": "tier"}, {"var": "certs"}]},
    {"!!": {"missing": ["a", "b"]}}, {"==": [{"var": ["tier", "雏鹰"]}, {"var": "name"}]},
]}
EVERYTHING_CONDITION = compile_condition(EVERYTHING, VOCAB)
PARTS = [compile_condition(part, VOCAB) for part in EVERYTHING["and"]]


@settings(max_examples=300, deadline=None)
@given(FACTS)
def test_evaluation_and_explanation_never_raise(facts: dict[str, Any]) -> None:
    held = EVERYTHING_CONDITION.evaluate(facts)
    explanation = EVERYTHING_CONDITION.explain(facts)
    assert explanation.held is held and len(explanation.lines) == len(EVERYTHING["and"])
    assert all(isinstance(line.text, str) for line in explanation.lines)
    # ``and`` of conditions is all() of each, and each line says what its own condition says.
    assert held == all(part.evaluate(facts) for part in PARTS)
    assert [line.held for line in explanation.lines] == [part.evaluate(facts) for part in PARTS]


@settings(max_examples=200, deadline=None)
@given(FACTS, st.decimals(min_value=0, max_value=10**7, places=2))
def test_amounts_never_raise(facts: dict[str, Any], paid: Decimal) -> None:
    rule = compile_amount({"kind": "percent", "of": {"/": [RD, REVENUE]}, "percent": 10, "cap": 50000,
                           "split": [{"level": "区", "percent": 60}, {"level": "市", "percent": 40}]}, VOCAB)
    result = rule.compute(facts, paid_this_year=paid)
    assert Decimal(0) <= result.amount <= Decimal(50000) and result.amount == result.amount.quantize(Decimal("0.01"))
    assert sum(s.amount for s in result.split) == result.amount


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2),
       st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=5))
def test_split_always_sums_to_the_total(total: Decimal, weights: list[int]) -> None:
    # Percents with two decimals summing to exactly 100.
    raw = [Decimal(w * 10_000 // sum(weights)) / 100 for w in weights]
    raw[-1] += Decimal(100) - sum(raw)
    if raw[-1] <= 0:
        return
    shares = split_amount(total, [(f"L{i}", p) for i, p in enumerate(raw)])
    assert sum(s.amount for s in shares) == total
    assert all(s.amount >= 0 for s in shares)
    assert all(abs(s.amount - total * s.percent / 100) <= Decimal("0.01") * len(shares) for s in shares)
