"""Checks and masks for the identifiers a counter clerk types in.

* 统一社会信用代码 (GB 32100-2015, with the GB 11714 organisation code in positions 9–17),
* 居民身份证号码 (GB 11643-1999),
* mainland mobile numbers.

Every ``check_*`` function returns the normalised value or raises :class:`ValidationError` with a Chinese
message that says exactly what is wrong, so the clerk can correct the one character instead of retyping all
of it.  ``make_*`` build valid values for tests and demo data.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from app.errors import ValidationError

__all__ = [
    "USCC_CHARSET",
    "check_id_number",
    "check_mobile",
    "check_uscc",
    "id_check_char",
    "make_id_number",
    "make_uscc",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "org_code_check_char",
    "uscc_check_char",
]

# GB 32100-2015: digits and capital letters without I, O, Z, S, V (too easily confused with 1, 0, 2, 5, U).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
# 3**i mod 31 for i = 0..16; all non-zero, so any single wrong character changes the check character.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DIGITS = frozenset("0123456789")

# 登记管理部门代码 (position 1).  GB 32100-2015 annex A lists 1–9, A–G and Y; N (农业农村部门, 农村集体经济组织)
# came with a later amendment and real codes use it, so it is accepted too.
_REGISTRAR_CODES = frozenset("123456789ABCDEFGNY")
# 机构类别代码 (position 2) only for the registrars whose categories are the same in every edition of the
# table; for the others any code character is accepted rather than rejecting a real code.
_CATEGORY_CODES: dict[str, tuple[str, str]] = {
    "1": ("1239", "机构编制：1 机关、2 事业单位、3 群众团体、9 其他"),
    "5": ("1239", "民政：1 社会团体、2 民办非企业单位、3 基金会、9 其他"),
    "9": ("123", "工商：1 企业、2 个体工商户、3 农民专业合作社"),
}


def _normalise(value: str) -> str:
    # NFKC turns full-width digits and letters from a Chinese IME (１２Ｘ) into ASCII.
    return unicodedata.normalize("NFKC", value).strip().upper()


def _org_value(char: str) -> int:
    # GB 11714 counts 0–9 as themselves and A–Z as 10–35.
    return int(char) if char in _DIGITS else ord(char) - ord("A") + 10


def uscc_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 characters are ``first17``."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError(f"need 17 characters from USCC_CHARSET, got {first17!r}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character (9th) of an organisation code whose body is ``first8``."""
    if len(first8) != 8 or any(not ("0" <= c <= "9" or "A" <= c <= "Z") for c in first8):
        raise ValueError(f"need 8 digits or capital letters, got {first8!r}")
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    if c == 10:
        return "X"
    if c == 11:
        return "0"
    return str(c)


def check_uscc(value: str, field: str = "uscc") -> str:
    """Validate a 统一社会信用代码 and return it stripped and upper-cased."""
    code = _normalise(value)
    if not code:
        raise ValidationError(field, "请填写统一社会信用代码")
    if len(code) != 18:
        raise ValidationError(field, f"统一社会信用代码应为18位，实际为{len(code)}位")
    for pos, char in enumerate(code, start=1):
        if char not in _USCC_VALUE:
            raise ValidationError(
                field,
                f"第{pos}位“{char}”不是统一社会信用代码允许的字符（只用数字和大写字母，不用 I、O、Z、S、V）",
            )
    registrar, category = code[0], code[1]
    if registrar not in _REGISTRAR_CODES:
        raise ValidationError(
            field, f"第1位登记管理部门代码“{registrar}”不存在（应为 1–9、A–G、N 或 Y，企业和个体户为 9）"
        )
    if registrar in _CATEGORY_CODES:
        allowed, meaning = _CATEGORY_CODES[registrar]
        if category not in allowed:
            raise ValidationError(
                field,
                f"第2位机构类别代码“{category}”与登记管理部门代码“{registrar}”不符（{meaning}）",
            )
    area = code[2:8]
    if any(c not in _DIGITS for c in area):
        raise ValidationError(field, f"第3–8位登记管理机关行政区划码“{area}”应为6位数字")
    org_expected = org_code_check_char(code[8:16])
    if code[16] != org_expected:
        raise ValidationError(
            field,
            f"第9–17位组织机构代码“{code[8:17]}”有误：第17位 GB 11714 校验码应为{org_expected}，"
            f"实际为{code[16]}（请核对第9–17位）",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            field, f"统一社会信用代码第18位校验码应为{expected}，实际为{code[17]}（请逐位核对前17位）"
        )
    return code


def id_check_char(first17: str) -> str:
    """The 18th character of a 居民身份证号码 whose first 17 digits are ``first17``."""
    if len(first17) != 17 or any(c not in _DIGITS for c in first17):
        raise ValueError(f"need 17 digits, got {first17!r}")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def check_id_number(value: str, field: str = "id_number", *, today: dt.date | None = None) -> str:
    """Validate an 18-digit 居民身份证号码 and return it with a lower-case x upper-cased.

    ``today`` is only for tests; the birth date may not be after it.
    """
    number = _normalise(value)
    if not number:
        raise ValidationError(field, "请填写身份证号码")
    if len(number) != 18:
        hint = "（15位旧号码请换用18位号码）" if len(number) == 15 else ""
        raise ValidationError(field, f"身份证号码应为18位，实际为{len(number)}位{hint}")
    for pos, char in enumerate(number[:17], start=1):
        if char not in _DIGITS:
            raise ValidationError(field, f"身份证号码第{pos}位“{char}”不是数字（前17位只能是数字）")
    if number[17] not in _DIGITS and number[17] != "X":
        raise ValidationError(field, f"身份证号码第18位“{number[17]}”无效（只能是数字或 X）")
    birth_text = number[6:14]
    try:
        birth = dt.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise ValidationError(field, f"出生日期 {birth_text} 不是有效日期（第7–14位）") from None
    if birth.year < 1900:
        raise ValidationError(field, f"出生日期 {birth_text} 早于1900年（第7–14位）")
    if birth > (today or dt.date.today()):
        raise ValidationError(field, f"出生日期 {birth_text} 晚于今天（第7–14位）")
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            field, f"身份证号码第18位校验码应为{expected}，实际为{number[17]}（请逐位核对前17位）"
        )
    return number


def check_mobile(value: str, field: str = "phone") -> str:
    """Validate a mainland mobile number and return its 11 digits.

    Spaces and hyphens anywhere and a leading +86 / 0086 / 86 are dropped, as people write them.
    """
    # No upper-casing here: a stray letter is quoted back as typed.
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace("-", "")
    if not text:
        raise ValidationError(field, "请填写手机号码")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        # Without the length test a bare "86..." could be a mistyped number, not a country code.
        text = text[2:]
    for char in text:
        if char not in _DIGITS:
            raise ValidationError(field, f"手机号码含非数字字符“{char}”")
    if len(text) != 11:
        raise ValidationError(field, f"手机号码应为11位，实际为{len(text)}位")
    if text[0] != "1":
        raise ValidationError(field, f"手机号码应以1开头，实际以{text[0]}开头")
    if text[1] not in "3456789":
        raise ValidationError(field, f"手机号码号段“{text[:3]}”不存在（第2位应为3–9）")
    return text


def _mask_middle(text: str, head: int, tail: int) -> str:
    # Too short to show anything safely: hide it all but keep its length for layout.
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def mask_id_number(number: str) -> str:
    """``36010219900101123X`` → ``360***********123X`` (first 3 and last 4 shown)."""
    return _mask_middle(number, 3, 4)


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return _mask_middle(phone, 3, 4)


def mask_name(name: str) -> str:
    """``张三丰`` → ``张*``: the (single-character) surname and one ``*``, whatever the name's length."""
    name = name.strip()
    return name[0] + "*" if name else ""


_USCC_BODY_SPACE = 31**8
# Odd multiplier coprime to 31: seq → body is a bijection on [0, 31**8) that spreads neighbouring seqs.
_USCC_BODY_MIX = 48_271


def make_uscc(seq: int, area: str = "360112", kind: str = "91") -> str:
    """A valid 统一社会信用代码 derived from ``seq`` (distinct seqs give distinct codes).

    ``kind`` is the registrar and category (``91`` company, ``92`` individual business, ``12`` 事业单位,
    ``51`` 社会团体, ``52`` 民办非企业单位); ``area`` the six-digit GB/T 2260 code.
    """
    if not 0 <= seq < _USCC_BODY_SPACE:
        raise ValueError(f"seq must be in [0, 31**8), got {seq}")
    if len(area) != 6 or any(c not in _DIGITS for c in area):
        raise ValueError(f"area must be six digits, got {area!r}")
    if len(kind) != 2 or any(c not in _USCC_VALUE for c in kind):
        raise ValueError(f"kind must be two code characters, got {kind!r}")
    n = seq * _USCC_BODY_MIX % _USCC_BODY_SPACE
    body = ""
    for _ in range(8):
        n, r = divmod(n, 31)
        body = USCC_CHARSET[r] + body
    first17 = kind + area + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def make_id_number(area: str, birth: dt.date, seq: int) -> str:
    """A valid 身份证号码 for ``area`` (six digits) and ``birth``; ``seq`` 0–999 (odd = male, even = female)."""
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be in [0, 999], got {seq}")
    if len(area) != 6 or any(c not in _DIGITS for c in area):
        raise ValueError(f"area must be six digits, got {area!r}")
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)
