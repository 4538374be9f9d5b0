"""Receipt bytes, checked by decoding them the way a printer would (tests/support/escpos_decode.py)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime

import pytest
import qrcode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, QRData

from app.printing import escpos
from app.printing.escpos import render_receipt
from app.printing.model import Encoding, PaperWidth, PrinterProfile, Receipt
from app.printing.testpage import build_test_receipt
from tests.support.escpos_decode import Decoded, EscPosDecodeError, Line, Style, decode, decode_qr_images

QR = "https://yichuangtong.example.gov.cn/r/HD20240612-0017?sig=Zm9vYmFy"
ROWS = (
    ("申请人", "张**（身份证号：330102********1234）"),
    ("事项名称", "企业设立登记（有限责任公司），“一窗通”综合受理：材料齐全、符合法定形式。"),
    ("受理窗口", "3号窗口、综合受理区"),
    ("受理时间", "2024-06-12 10:30:01"),
    ("承诺时限", "5个工作日（不含法定节假日）"),
    ("联系电话", "138****5678"),
)
MATERIALS = tuple(
    (f"材料{i}：{name}", state)
    for i, (name, state) in enumerate(
        [
            ("营业执照（副本）复印件", "复印件1份，已收取"),
            ("法定代表人身份证明", "原件1份，已核验、退还"),
            ("公司章程", "原件2份，已收取"),
            ("股东会决议", "原件1份，已收取"),
            ("住所使用证明（租赁合同）", "复印件1份，已收取；原件已核验"),
            ("名称自主申报告知书", "打印件1份，已收取"),
            ("委托书（“全权委托”）", "原件1份，已收取"),
            ("经办人身份证", "复印件1份，已收取"),
            ("章程修正案", "原件1份，容缺后补（5日内）"),
            ("Form-A 外资备案回执", "PDF printout, 1 copy"),
        ],
        1,
    )
)
RECEIPT = Receipt(
    title="受理回执",
    hall_name="杭州市某某区政务服务中心",
    case_no="HD20240612-0017",
    rows=ROWS,
    materials=MATERIALS,
    notes=("请妥善保管本回执，凭回执或短信取件码取件。", "如需咨询，请拨打12345。"),
    qr_payload=QR,
    pickup_code="7302",
    footer=("一窗通 · 受审分离", "Thank you."),
)

ENCODINGS: tuple[Encoding, ...] = ("GB18030", "GBK", "UTF-8")
PAPERS: tuple[PaperWidth, ...] = (80, 58)
TEXT_PROFILES = [
    PrinterProfile(paper_mm=paper, encoding=enc, chinese_mode=mode)
    for paper, enc, mode in itertools.product(PAPERS, ENCODINGS, (True, False))
]


def _id(p: PrinterProfile) -> str:
    return f"{p.paper_mm}mm-{p.encoding}-{'fs' if p.chinese_mode else 'plain'}{'-raster' if p.raster else ''}"


def width(text: str) -> int:
    """Display columns, computed independently of the renderer."""
    return sum(1 if " " <= ch <= "~" else 2 for ch in text)


def decoded(receipt: Receipt, profile: PrinterProfile) -> Decoded:
    data = render_receipt(receipt, profile)
    return decode(data, profile.encoding, chinese_mode=profile.chinese_mode)


def hanging_value(d: Decoded, head: str, hang: int) -> str:
    """The text after ``head`` on its line plus the continuation lines (those indented by ``hang`` spaces)."""
    lines = [line.text for line in d.lines]
    starts = [i for i, text in enumerate(lines) if text.startswith(head)]
    assert len(starts) == 1, f"{head!r} starts {len(starts)} lines"
    value = lines[starts[0]][len(head) :]
    for text in lines[starts[0] + 1 :]:
        if len(text) <= hang or text[:hang] != " " * hang:
            break
        value += text[hang:]
    return value


def row_value(d: Decoded, label: str) -> str:
    head = label + "："
    return hanging_value(d, head, width(head))


def material_blocks(d: Decoded, indent: int = 4) -> list[list[str]]:
    """The 材料清单 items: each item's lines with the number / indent taken off."""
    lines = [line.text for line in d.lines]
    start = next(i for i, text in enumerate(lines) if text.startswith("材料清单"))
    blocks: list[list[str]] = []
    for text in lines[start + 1 :]:
        if text[:1].isdigit():
            blocks.append([text[indent:]])
        elif blocks and len(text) > indent and text[:indent] == " " * indent:
            blocks[-1].append(text[indent:])
        else:
            break
    return blocks


def assert_materials(d: Decoded) -> None:
    blocks = material_blocks(d)
    assert len(blocks) == len(MATERIALS)
    for (name, state), block in zip(MATERIALS, blocks, strict=True):
        # the name's lines, then the state's lines: some split point must give both back exactly
        assert any("".join(block[:k]) == name and "".join(block[k:]) == state for k in range(1, len(block))), block


# ---------------------------------------------------------------------------------------------------------
# Text mode


@pytest.mark.parametrize("profile", TEXT_PROFILES, ids=_id)
def test_every_row_and_material_comes_back_exactly(profile: PrinterProfile) -> None:
    d = decoded(RECEIPT, profile)
    for label, value in ROWS:
        assert row_value(d, label) == value
    assert_materials(d)
    text = d.text
    for needle in (RECEIPT.title, RECEIPT.hall_name, "HD20240612-0017", "材料清单（共10项）", "7302", "Thank you."):
        assert needle in text
    for note in RECEIPT.notes:  # notes wrap without indent
        assert note in text.replace("\n", "")
    assert "?" not in text  # full-width punctuation did not degrade
    for ch in "（），。：、“”；":
        assert ch in text


@pytest.mark.parametrize("profile", TEXT_PROFILES, ids=_id)
def test_native_qr_carries_the_payload_centred(profile: PrinterProfile) -> None:
    d = decoded(RECEIPT, profile)
    assert d.qr_codes == [QR]
    qr = d.qr[0]
    assert (qr.model, qr.ecc, qr.align) == (2, "M", "center")
    assert qr.module_size == (6 if profile.paper_mm == 80 else 5)
    assert d.rasters == []


@pytest.mark.parametrize("profile", TEXT_PROFILES, ids=_id)
def test_lines_fit_the_paper(profile: PrinterProfile) -> None:
    d = decoded(RECEIPT, profile)
    for line in d.lines:
        assert width(line.text) * line.style.width <= profile.columns, line


def test_58mm_wraps_narrower_than_80mm() -> None:
    wide = decoded(RECEIPT, PrinterProfile(paper_mm=80))
    narrow = decoded(RECEIPT, PrinterProfile(paper_mm=58))
    assert max(width(line.text) for line in wide.lines) == 48  # the rule, and long rows use the width
    assert max(width(line.text) for line in narrow.lines) == 32
    assert any(width(line.text) > 32 for line in wide.lines if not line.text.startswith("-"))
    assert len(narrow.lines) > len(wide.lines)
    long_label = "事项名称"
    assert row_value(wide, long_label) == row_value(narrow, long_label) == dict(ROWS)[long_label]


def test_chinese_mode_wraps_each_run_of_hanzi() -> None:
    profile = PrinterProfile(encoding="GBK", chinese_mode=True)
    data = render_receipt(RECEIPT, profile)
    d = decode(data, "GBK", chinese_mode=True)  # strict: a hanzi byte outside FS & raises
    runs = sum(len([r for r in _runs(line.text) if not r.isascii()]) for line in d.lines)
    assert d.chinese_runs == runs
    assert data.count(b"\x1c&") == data.count(b"\x1c.") == runs


def _runs(text: str) -> list[str]:
    return ["".join(g) for _, g in itertools.groupby(text, key=lambda ch: " " <= ch <= "~")]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_without_chinese_mode_no_fs_commands(encoding: Encoding) -> None:
    profile = PrinterProfile(encoding=encoding, chinese_mode=False)
    data = render_receipt(RECEIPT, profile)
    assert b"\x1c&" not in data
    assert "受理回执" in decode(data, encoding, chinese_mode=False).text


def test_styles_title_case_number_and_hall() -> None:
    d = decoded(RECEIPT, PrinterProfile())
    title = d.lines_with("受理回执")[0].style
    assert (title.align, title.width, title.height, title.bold) == ("center", 2, 2, True)
    case = d.lines_with("HD20240612-0017")[0].style
    assert (case.align, case.width, case.height) == ("center", 2, 2)
    assert d.lines_with(RECEIPT.hall_name)[0].style.align == "center"
    assert d.lines_with("申请人")[0].style == Style()  # rows in the default style
    assert d.bold_seen and (2, 2) in d.sizes and {"left", "center"} <= d.alignments
    assert d.inits == 1 and d.commands[0] == "ESC @"


def test_reprint_banner_near_the_top() -> None:
    d = decoded(replace(RECEIPT, reprint=True), PrinterProfile())
    banner = d.lines_with("补打")
    assert len(banner) == 1
    assert banner[0].style.inverse and banner[0].style.width == 2
    texts = [line.text for line in d.lines]
    assert texts.index(banner[0].text) < texts.index(next(t for t in texts if t.startswith("申请人")))
    assert "补打" not in decoded(RECEIPT, PrinterProfile()).text


@pytest.mark.parametrize("cut", [True, False])
def test_cut_only_when_asked(cut: bool) -> None:
    d = decoded(RECEIPT, PrinterProfile(cut=cut))
    if cut:
        assert d.cuts == ["partial"] and d.commands[-1].startswith("GS V")
    else:
        assert d.cuts == [] and d.feeds >= 3


def test_gbk_replaces_what_it_cannot_encode() -> None:
    rare = "𠀀"  # CJK extension B: in GB18030, not in GBK
    receipt = Receipt(title="受理回执", hall_name="大厅", rows=(("姓名", f"王{rare}明"), ("备注", "费用€5 √ 😀")))
    gbk = decoded(receipt, PrinterProfile(encoding="GBK"))
    assert row_value(gbk, "姓名") == "王□明"
    assert row_value(gbk, "备注") == "费用□5 √ □"
    gb18030 = decoded(receipt, PrinterProfile(encoding="GB18030"))
    assert row_value(gb18030, "姓名") == f"王{rare}明"
    utf8 = decoded(receipt, PrinterProfile(encoding="UTF-8"))
    assert row_value(utf8, "备注") == "费用€5 √ 😀"


def test_control_characters_cannot_inject_commands() -> None:
    receipt = Receipt(title="受理回执", hall_name="大厅", rows=(("备注", "a\x1b@b\x1dV\x00c\nd\u200be"),))
    d = decoded(receipt, PrinterProfile(cut=False))
    assert d.inits == 1 and d.cuts == []
    assert row_value(d, "备注") == "a @b V c de"


def test_empty_and_minimal_receipts() -> None:
    d = decoded(Receipt(title="", hall_name=""), PrinterProfile())
    assert d.cuts == ["partial"] and d.qr == []
    d = decoded(Receipt(title="出件签收单", hall_name="大厅", rows=(("", "只有值"),)), PrinterProfile(paper_mm=58))
    assert "只有值" in d.text


def test_line_breaking_keeps_closing_punctuation_off_line_starts() -> None:
    value = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九。（完）"
    for paper in PAPERS:
        d = decoded(Receipt(title="t", hall_name="h", notes=(value,)), PrinterProfile(paper_mm=paper))
        texts = [line.text for line in d.lines]
        body = texts[texts.index("-" * (48 if paper == 80 else 32)) + 1 :]
        assert "".join(body) == value
        assert all(not line.startswith(("。", "）")) and not line.endswith("（") for line in body)


# ---------------------------------------------------------------------------------------------------------
# QR as an image, and raster mode


@pytest.mark.parametrize("paper", [80, 58])
def test_image_qr_decodes_and_is_centred(paper: int) -> None:
    profile = PrinterProfile(paper_mm=paper, qr_native=False)  # type: ignore[arg-type]
    d = decoded(RECEIPT, profile)
    assert d.qr == []
    assert [img.width for img in d.images] == [profile.dots]
    assert decode_qr_images(d.images) == [QR]
    bbox = d.images[0].convert("L").point(lambda v: 255 - v).getbbox()
    assert bbox is not None
    assert abs((bbox[0] + bbox[2]) / 2 - profile.dots / 2) <= 6
    # the rest is still text
    assert row_value(d, "申请人") == dict(ROWS)["申请人"]


@pytest.mark.parametrize("paper", [80, 58])
@pytest.mark.parametrize("reprint", [False, True])
def test_raster_mode_is_only_images(paper: int, reprint: bool) -> None:
    profile = PrinterProfile(paper_mm=paper, raster=True)  # type: ignore[arg-type]
    receipt = replace(RECEIPT, reprint=reprint)
    data = render_receipt(receipt, profile)
    d = decode(data, profile.encoding, chinese_mode=False)  # no FS & either
    assert d.text_bytes == 0 and d.lines == [] and d.qr == []
    assert d.rasters and all(img.width == profile.dots for img in d.images)
    assert all(img.height <= 1024 for img in d.images)
    assert decode_qr_images(d.images) == [QR]
    assert d.cuts == ["partial"]
    ink = sum(img.convert("L").point(lambda v: 255 - v).histogram()[255] for img in d.images)
    assert ink > 20_000  # text was drawn, not just the QR


def test_raster_reprint_adds_the_banner() -> None:
    profile = PrinterProfile(raster=True)
    plain = decode(render_receipt(RECEIPT, profile))
    again = decode(render_receipt(replace(RECEIPT, reprint=True), profile))
    assert sum(i.height for i in again.images) > sum(i.height for i in plain.images)


def test_raster_without_cut_feeds() -> None:
    d = decode(render_receipt(RECEIPT, PrinterProfile(raster=True, cut=False)))
    assert d.cuts == [] and d.feeds >= 3


# ---------------------------------------------------------------------------------------------------------
# QR sizes


def test_qr_capacity_table_matches_the_qr_encoder() -> None:
    for version, capacity in enumerate(escpos._QR_M_BYTES, 1):
        for length, expected in ((capacity, version), (capacity + 1, version + 1)):
            if expected > 40:
                continue
            code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
            code.add_data(QRData(b"a" * length, mode=MODE_8BIT_BYTE))
            assert code.best_fit() == expected, (length, expected)  # version only, no symbol drawn


@pytest.mark.parametrize("paper", [80, 58])
def test_long_native_qr_shrinks_modules_to_fit(paper: int) -> None:
    profile = PrinterProfile(paper_mm=paper)  # type: ignore[arg-type]
    payload = "x" * 1000  # version 22: 105 modules + quiet zone
    d = decoded(Receipt(title="t", hall_name="h", qr_payload=payload), profile)
    assert d.qr_codes == [payload]
    module = d.qr[0].module_size
    assert module is not None and (105 + 8) * module <= profile.dots


def test_too_long_qr_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        render_receipt(Receipt(title="t", hall_name="h", qr_payload="x" * 3000), PrinterProfile())


# ---------------------------------------------------------------------------------------------------------
# Test page


@pytest.mark.parametrize("profile", [PrinterProfile(), PrinterProfile(paper_mm=58, encoding="GBK", qr_native=False),
                                     PrinterProfile(encoding="UTF-8", chinese_mode=False)], ids=_id)
def test_test_page(profile: PrinterProfile) -> None:
    now = datetime(2024, 6, 12, 9, 30, 5)
    uri = "win32://收件打印机"
    data = render_receipt(build_test_receipt(profile, "某某区政务服务中心", 3, uri, now), profile)
    d = decode(data, profile.encoding, chinese_mode=profile.chinese_mode)
    text = d.text
    for needle in ("打印测试页", "某某区政务服务中心", "3号窗口", "Windows 打印机", "2024-06-12 09:30:05",
                   "，。、；：？！", "“”‘’（）《》【】—…", profile.encoding, f"{profile.paper_mm} 毫米"):
        assert needle in text
    assert ("𠮷" in text) == (profile.encoding != "GBK")  # extension B only where the encoding has it
    assert "?" not in text
    qr = d.qr_codes if profile.qr_native else decode_qr_images(d.images)
    assert qr == ["HALLDESK-TEST"]
    ruler = [line.text for line in d.lines if line.text.startswith("1234567890")]
    assert [len(r) for r in ruler] == [profile.columns]


def test_test_page_raster() -> None:
    profile = PrinterProfile(raster=True, paper_mm=58)
    d = decode(render_receipt(build_test_receipt(profile, "大厅", None, "tcp://192.168.1.50:9100"), profile))
    assert d.text_bytes == 0 and decode_qr_images(d.images) == ["HALLDESK-TEST"]


# ---------------------------------------------------------------------------------------------------------
# Property tests

HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
PUNCT = st.sampled_from(list("（），。：；、“”‘’「」《》！？…—　"))
ENCODABLE = st.text(st.one_of(HANZI, ASCII, PUNCT), max_size=120)
LABELS = st.text(st.one_of(HANZI, st.sampled_from(list("ABC123"))), min_size=1, max_size=6).filter(
    lambda s: not s.endswith((":", "："))
)
ANY_PROFILE = st.builds(
    PrinterProfile,
    paper_mm=st.sampled_from([58, 80]),
    encoding=st.sampled_from(ENCODINGS),
    chinese_mode=st.booleans(),
    qr_native=st.booleans(),
    cut=st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=LABELS, value=ENCODABLE, profile=ANY_PROFILE)
def test_encodable_rows_round_trip(label: str, value: str, profile: PrinterProfile) -> None:
    receipt = Receipt(title="受理回执", hall_name="大厅", rows=((label, value), ("末行", "x")))
    d = decoded(receipt, profile)
    head = label + "："
    got = hanging_value_exact(d, head, width(head), stop="末行：")
    assert got == value
    for line in d.lines:
        assert width(line.text) * line.style.width <= profile.columns


def hanging_value_exact(d: Decoded, head: str, hang: int, stop: str) -> str:
    """Like :func:`hanging_value` but delimited by the next row, so values with leading spaces are exact."""
    lines: list[Line] = d.lines
    texts = [line.text for line in lines]
    i = next(i for i, t in enumerate(texts) if t.startswith(head))
    j = next(k for k in range(i + 1, len(texts)) if texts[k].startswith(stop))
    parts = [texts[i][len(head) :]] + [t[hang:] for t in texts[i + 1 : j]]
    assert all(t[:hang] == " " * hang for t in texts[i + 1 : j])
    return "".join(parts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(max_size=40),
    rows=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=80)), max_size=4),
    materials=st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=3),
    qr=st.one_of(st.none(), st.text(min_size=1, max_size=200)),
    profile=ANY_PROFILE,
)
def test_arbitrary_text_never_crashes(
    title: str, rows: list[tuple[str, str]], materials: list[tuple[str, str]], qr: str | None, profile: PrinterProfile
) -> None:
    receipt = Receipt(title=title, hall_name="大厅", rows=tuple(rows), materials=tuple(materials), qr_payload=qr,
                      case_no=title[:10] or None, notes=(title,), footer=(title,), pickup_code=title[:4] or None)
    d = decoded(receipt, profile)
    if qr and profile.qr_native:
        assert d.qr_codes == [qr]
    for line in d.lines:
        assert width(line.text) * line.style.width <= profile.columns


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=200)), max_size=4), paper=st.sampled_from([58, 80]))
def test_arbitrary_text_never_crashes_in_raster_mode(rows: list[tuple[str, str]], paper: int) -> None:
    profile = PrinterProfile(paper_mm=paper, raster=True)  # type: ignore[arg-type]
    d = decode(render_receipt(Receipt(title="受理回执", hall_name="大厅", rows=tuple(rows)), profile))
    assert d.text_bytes == 0 and all(img.width == profile.dots for img in d.images)


# ---------------------------------------------------------------------------------------------------------
# The decoder itself rejects garbage


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (b"\x1b@\x1b\x99\x00", {}),  # unknown ESC command
        (b"\x1b@\x1d(k\x10\x00\x31", {}),  # truncated GS ( k
        (b"\x1b@\xd6\xd0\n", {"chinese_mode": True}),  # hanzi outside FS &
        (b"\x1b@\x1c&\xd6\xd0\x1c.\n", {"chinese_mode": False}),
        (b"\x1b@\xff\xff\n", {}),  # not GB18030
        (b"\x1b@\x07", {}),  # stray control byte
    ],
)
def test_decoder_rejects_garbage(data: bytes, kwargs: dict[str, bool]) -> None:
    with pytest.raises(EscPosDecodeError):
        decode(data, **kwargs)  # type: ignore[arg-type]
