"""Tests for app.validators: USCC, ID number, mobile checks, masks and generators (no database, no Qt)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ValidationError
from app.validators import (
    USCC_CHARSET,
    check_id_number,
    check_mobile,
    check_uscc,
    id_check_char,
    make_id_number,
    make_uscc,
    mask_id_number,
    mask_name,
    mask_phone,
    org_code_check_char,
    uscc_check_char,
)

# Published codes of well-known organisations (each also worked through by hand for the mod-31 and
# GB 11714 checks; see test_huawei_by_hand for one written out).
REAL_USCCS = {
    "华为技术有限公司": "914403001922038216",
    "深圳市腾讯计算机系统有限公司": "91440300708461136T",
    "阿里巴巴（中国）有限公司": "91330100799655058B",
    "小米科技有限责任公司": "91110108551385082Q",
    "比亚迪股份有限公司": "91440300192317458F",
    "百度在线网络技术（北京）有限公司": "91110000802100433B",
    "国家电网有限公司": "9111000071093123XX",
    "贵州茅台酒股份有限公司": "91520000214434146R",
    "中国工商银行股份有限公司": "91100000100003962T",
    "中国银行股份有限公司": "911000001000013428",
    "中国建设银行股份有限公司": "911100001000044477",
    "中国平安保险（集团）股份有限公司": "91440300100012316L",
    "清华大学": "12100000400000624D",
}
HUAWEI = REAL_USCCS["华为技术有限公司"]
GB11643_SAMPLE = "11010519491231002X"
TODAY = dt.date(2026, 6, 1)


def _message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return exc.value.message


# ---------------------------------------------------------------- 统一社会信用代码


@pytest.mark.parametrize(("name", "code"), sorted(REAL_USCCS.items()))
def test_real_codes_pass(name: str, code: str) -> None:
    assert check_uscc(code) == code, name


def test_huawei_by_hand() -> None:
    # Σ value·weight over the first 17 characters of 914403001922038216, written out.
    values = [9, 1, 4, 4, 0, 3, 0, 0, 1, 9, 2, 2, 0, 3, 8, 2, 1]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(v * w for v, w in zip(values, weights, strict=True))
    assert total == 831
    assert (31 - 831 % 31) % 31 == 6
    assert uscc_check_char(HUAWEI[:17]) == "6"
    # GB 11714 over 19220382: 3+63+18+20+0+24+32+4 = 164; 164 mod 11 = 10; 11 - 10 = 1.
    assert org_code_check_char("19220382") == "1"


def test_org_code_check_char_special_values() -> None:
    # 国家电网's organisation code 71093123X: remainder 1 → 10 → 'X'.
    assert org_code_check_char("71093123") == "X"
    # Remainder 0 → 11 → '0'.
    assert org_code_check_char("00000000") == "0"
    # Letters count as A=10 … (MA-prefixed codes issued since 2015).
    body = "MA35ABCD"
    total = sum(v * w for v, w in zip([22, 10, 3, 5, 10, 11, 12, 13], [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    expected = 11 - total % 11
    assert org_code_check_char(body) == {10: "X", 11: "0"}.get(expected, str(expected))


def test_uscc_normalises() -> None:
    assert check_uscc("  91440300708461136t ") == "91440300708461136T"
    # Full-width characters typed with a Chinese IME.
    assert check_uscc("９１４４０３００７０８４６１１３６Ｔ") == "91440300708461136T"


@pytest.mark.parametrize(
    ("value", "fragment"), [("", "请填写"), ("9144030070846113", "应为18位，实际为16位")]
)
def test_uscc_length(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_uscc(value)
    assert fragment in _message(exc)
    assert exc.value.field == "uscc"


def test_uscc_length_checked_before_characters() -> None:
    with pytest.raises(ValidationError) as exc:
        check_uscc("9144030070846113OOO")
    assert "应为18位，实际为19位" in _message(exc)


@pytest.mark.parametrize("bad", ["O", "I", "Z", "S", "V", "-", "中"])
def test_uscc_bad_character_and_position(bad: str) -> None:
    code = HUAWEI[:10] + bad + HUAWEI[11:]
    with pytest.raises(ValidationError) as exc:
        check_uscc(code, field="enterprise.uscc")
    msg = _message(exc)
    assert f"第11位“{bad}”不是统一社会信用代码允许的字符" in msg
    assert "I、O、Z、S、V" in msg
    assert exc.value.field == "enterprise.uscc"


def test_uscc_registrar_code() -> None:
    code = "H" + HUAWEI[1:]
    with pytest.raises(ValidationError) as exc:
        check_uscc(code)
    assert "第1位登记管理部门代码“H”" in _message(exc)


def test_uscc_category_code() -> None:
    code = "94" + HUAWEI[2:]
    with pytest.raises(ValidationError) as exc:
        check_uscc(code)
    msg = _message(exc)
    assert "第2位机构类别代码“4”" in msg
    assert "个体工商户" in msg


@pytest.mark.parametrize(
    "kind", ["91", "92", "93", "11", "12", "13", "19", "51", "52", "53", "59", "Y1", "N2", "31"]
)
def test_uscc_known_kinds_accepted(kind: str) -> None:
    code = make_uscc(7, kind=kind)
    assert check_uscc(code) == code


def test_uscc_area_code() -> None:
    first17 = "9136A112" + HUAWEI[8:17]
    with pytest.raises(ValidationError) as exc:
        check_uscc(first17 + uscc_check_char(first17))
    assert "第3–8位登记管理机关行政区划码“36A112”应为6位数字" in _message(exc)


def test_uscc_org_code_check() -> None:
    # Change the organisation code's own check character and repair the final one, so only GB 11714 fails.
    first17 = HUAWEI[:16] + "2"
    code = first17 + uscc_check_char(first17)
    with pytest.raises(ValidationError) as exc:
        check_uscc(code)
    msg = _message(exc)
    assert "第17位 GB 11714 校验码应为1，实际为2" in msg
    assert "192203822" in msg


def test_uscc_final_check() -> None:
    with pytest.raises(ValidationError) as exc:
        check_uscc(HUAWEI[:17] + "7")
    assert "校验码应为6，实际为7" in _message(exc)


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("123")
    with pytest.raises(ValueError):
        uscc_check_char("9144030019220382O")


def test_make_uscc_deterministic_and_distinct() -> None:
    assert make_uscc(1) == make_uscc(1)
    codes = {make_uscc(i) for i in range(2000)}
    assert len(codes) == 2000
    assert all(c.startswith("91360112") for c in codes)
    with pytest.raises(ValueError):
        make_uscc(-1)


seqs = st.integers(min_value=0, max_value=31**8 - 1)
kinds = st.sampled_from(["91", "92", "93", "12", "51", "52", "Y1"])


@given(seqs, kinds)
def test_generated_uscc_is_valid(seq: int, kind: str) -> None:
    code = make_uscc(seq, kind=kind)
    assert check_uscc(code) == code


# Every weight 3**i mod 31 is non-zero and 31 is prime, so changing one of the first 17 characters to another
# character of the set changes Σ mod 31 and with it the expected 18th character; a change of the 18th
# character contradicts the unchanged first 17.  So every single substitution must be rejected.
@given(seqs, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_CHARSET + "IOZSV-a"))
def test_uscc_single_substitution_rejected(seq: int, pos: int, char: str) -> None:
    code = make_uscc(seq)
    if code[pos] == char.upper():
        return  # not a change (lower case is normalised)
    with pytest.raises(ValidationError):
        check_uscc(code[:pos] + char + code[pos + 1 :])


def test_uscc_every_substitution_of_real_code_rejected() -> None:
    for code in REAL_USCCS.values():
        for pos in range(18):
            for char in USCC_CHARSET:
                if char != code[pos]:
                    with pytest.raises(ValidationError):
                        check_uscc(code[:pos] + char + code[pos + 1 :])


# ---------------------------------------------------------------- 居民身份证号码


def test_gb11643_sample() -> None:
    assert id_check_char(GB11643_SAMPLE[:17]) == "X"
    assert check_id_number(GB11643_SAMPLE) == GB11643_SAMPLE


def test_id_lower_case_x() -> None:
    assert check_id_number(" 11010519491231002x ") == GB11643_SAMPLE


def test_id_length() -> None:
    with pytest.raises(ValidationError) as exc:
        check_id_number("110105491231002")
    assert "身份证号码应为18位，实际为15位" in _message(exc)
    assert exc.value.field == "id_number"


def test_id_non_digit_with_position() -> None:
    with pytest.raises(ValidationError) as exc:
        check_id_number("110105194912310A2X")
    assert "第16位“A”不是数字" in _message(exc)


def test_id_bad_last_char() -> None:
    with pytest.raises(ValidationError) as exc:
        check_id_number("11010519491231002Y")
    assert "第18位“Y”" in _message(exc)


def test_id_impossible_birth_date() -> None:
    first17 = "36010219990231123"
    with pytest.raises(ValidationError) as exc:
        check_id_number(first17 + id_check_char(first17))
    assert "出生日期 19990231 不是有效日期" in _message(exc)


def test_id_future_birth_date() -> None:
    number = make_id_number("360102", dt.date(2026, 6, 2), 123)
    with pytest.raises(ValidationError) as exc:
        check_id_number(number, today=TODAY)
    assert "出生日期 20260602 晚于今天" in _message(exc)
    assert check_id_number(make_id_number("360102", TODAY, 123), today=TODAY)


def test_id_future_birth_date_against_real_today() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="晚于今天"):
        check_id_number(make_id_number("360102", tomorrow, 1))


def test_id_birth_before_1900() -> None:
    first17 = "36010218991231123"
    with pytest.raises(ValidationError) as exc:
        check_id_number(first17 + id_check_char(first17))
    assert "早于1900年" in _message(exc)


def test_id_check_char_wrong() -> None:
    with pytest.raises(ValidationError) as exc:
        check_id_number("110105194912310021")
    assert "校验码应为X，实际为1" in _message(exc)


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
areas = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)


@given(areas, birth_dates, st.integers(min_value=0, max_value=999))
def test_generated_id_is_valid(area: str, birth: dt.date, seq: int) -> None:
    number = make_id_number(area, birth, seq)
    assert len(number) == 18
    assert check_id_number(number, today=TODAY) == number
    assert check_id_number(number.lower(), today=TODAY) == number


# Weights 7,9,10,5,8,4,2,1,6,3 are all non-zero mod the prime 11, and two digits differ by 1–9, so a changed
# digit among the first 17 changes Σ mod 11 and the expected check character.
@given(
    birth_dates, st.integers(min_value=0, max_value=999), st.integers(0, 17), st.sampled_from("0123456789XA")
)
def test_id_single_substitution_rejected(birth: dt.date, seq: int, pos: int, char: str) -> None:
    number = make_id_number("360112", birth, seq)
    if number[pos] == char:
        return
    with pytest.raises(ValidationError):
        check_id_number(number[:pos] + char + number[pos + 1 :], today=TODAY)


# ---------------------------------------------------------------- 手机号码


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "0086-138-1234-5678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_accepted(value: str) -> None:
    assert check_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写手机号码"),
        ("1381234567", "应为11位，实际为10位"),
        ("138123456789", "应为11位，实际为12位"),
        ("138l2345678", "非数字字符“l”"),
        ("(138)12345678", "非数字字符“(”"),
        ("23812345678", "应以1开头"),
        ("12812345678", "号段“128”"),
        ("10812345678", "第2位应为3–9"),
    ],
)
def test_mobile_rejected(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_mobile(value)
    assert fragment in _message(exc)
    assert exc.value.field == "phone"


# ---------------------------------------------------------------- masks


def test_masks_examples() -> None:
    assert mask_id_number("36010219900101123X") == "360***********123X"
    assert mask_name("张三丰") == "张*"
    assert mask_name("李四") == "李*"
    assert mask_name("") == ""
    assert mask_phone("13812345678") == "138****5678"


def test_masks_short_values_fully_hidden() -> None:
    assert mask_phone("1234567") == "*******"
    assert mask_id_number("") == ""


@given(st.text(alphabet="0123456789X", min_size=8, max_size=30))
def test_masks_keep_length_and_visible_parts(text: str) -> None:
    for masked in (mask_id_number(text), mask_phone(text)):
        assert len(masked) == len(text)
        assert masked[:3] == text[:3]
        assert masked[-4:] == text[-4:]
        assert set(masked[3:-4]) <= {"*"}


@given(st.text(min_size=1).filter(lambda s: s.strip()))
def test_mask_name_keeps_only_first_character(name: str) -> None:
    masked = mask_name(name)
    assert masked == name.strip()[0] + "*"
