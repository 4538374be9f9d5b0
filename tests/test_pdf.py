"""A4 notices: what ends up on paper (text, fonts, QR code, pages) and what a broken template says."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import cast

import pypdf
import pytest
import zxingcpp
from PIL import Image
from pypdf.generic import DictionaryObject
from reportlab.pdfbase import pdfmetrics

from app.errors import ValidationError
from app.printing.chinese_text import FONT, NO_LINE_END, NO_LINE_START, break_cjk_lines
from app.printing.notice_templates import (
    NOTICE_KINDS,
    Notice,
    NoticeMaterial,
    default_templates_path,
    load_templates,
)
from app.printing.pdf import render_notice
from app.validators import make_id_number, mask_id_number

PAYLOAD = "HD1.XJ01-02-20261127-0007.SCJ003.20261127T1032.K7Q2ZP.MEUCIQD1x9fKp3c8w2n0aTqL5yVh4mRzE8uJbNnQ4sWv"
TITLES = {
    "acceptance": "受理通知书",
    "refusal": "不予受理通知书",
    "correction": "补正材料通知书",
    "tolerated": "容缺受理通知书",
    "handover": "出件签收单",
    # issue 14 part 7
    "reminder": "容缺材料催补通知书",
    "termination": "终止办理通知书",
    "return": "补正通知书",
    "suspension": "特别程序告知书",
    "extension": "延期告知书",
    "licence_grant": "准予行政许可决定书",
    "licence_denial": "不予行政许可决定书",
    "result_notice": "办理结果通知书",
}
MATERIALS = (
    NoticeMaterial("M01", "食品经营许可申请书", "received", originals=1),
    NoticeMaterial("M02", "营业执照", "received", copies=1),
    NoticeMaterial("M03", "法定代表人身份证明", "defective", note="复印件模糊不清，请提供清晰复印件", copies=1),
    NoticeMaterial("M04", "主要设备设施布局及操作流程文件", "missing", originals=1),
    NoticeMaterial("M05", "食品安全管理制度文本", "tolerated", due="2026-12-01", originals=1),
    NoticeMaterial("M06", "地震安全性评价报告", "waived", note="免提交：地震安全性评价"),
    NoticeMaterial("M07", "经营场所使用证明", "tolerated", due="2026-12-03", copies=1),
)
BASE = Notice(
    kind="acceptance", doc_no="新经开受〔2026〕0001号", hall_name="新建经开区政务服务大厅",
    hall_address="南昌市新建区经开区管委会一楼", hall_phone="0791-83712345",
    case_no="XJ01-02-20261127-0007", item_code="SCJ003", item_name="食品经营许可（新办）", dept_name="区市场监管局",
    applicant="南昌新建示范食品有限公司", uscc="91360112MA35XXXX0X",
    agent_name_masked="张*", agent_id_masked="360***********123X", agent_phone_masked="138****5678",
    received_at="2026年11月27日 10:32", issued_on="2026年11月27日", clerk="李晓雯", qr_payload=PAYLOAD,
    pickup_code="583120", promised_due="2026年12月4日", legal_due="2026年12月25日", materials=MATERIALS,
    legal_basis="《中华人民共和国食品安全法》第三十五条", licensing=True,
)
DECISION_REASON = "申请人的经营场所与食品经营项目相适应，符合法定条件"
DENIAL_REASON = "经营场所距离污染源不足二十五米，不符合食品安全要求"
DECIDED = {"issuer": "区市场监管局", "seal_label": "审批专用章", "issued_on": "2026年12月3日", "pickup_code": "",
           "promised_due": "", "legal_due": ""}
REFUSAL_REASON = "申请事项依法不需要取得行政许可，预包装食品仅销售的办理备案即可"


def notice(kind: str, **changes: object) -> Notice:
    per_kind: dict[str, dict[str, object]] = {
        "acceptance": {},
        "refusal": {"doc_no": "新经开不受〔2026〕0002号", "promised_due": "", "legal_due": "",
                    "reason": REFUSAL_REASON, "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（一）项"},
        "correction": {"doc_no": "新经开补〔2026〕0003号", "promised_due": "", "legal_due": "",
                       "correction_deadline": "2026年12月10日"},
        "tolerated": {"doc_no": "新经开容〔2026〕0004号", "supplement_due": "2026年12月3日"},
        "handover": {"doc_no": "新经开出〔2026〕0005号", "collector_masked": "王*", "handed_over_at": "2026年12月3日 15:20",
                     "delivery": "EMS 1100123456789", "result": "准予许可，《食品经营许可证》正本1份、副本1份"},
        # issue 14 part 7
        "reminder": {"doc_no": "新经开催补〔2026〕030001号", "supplement_due": "2026年12月3日", "overdue_days": "4"},
        "termination": {"doc_no": "新经开终止〔2026〕000001号", "overdue_days": "9",
                        "reason": "逾期未补齐容缺材料，经催补仍未补齐"},
        # issue 14, clocks
        "return": {"doc_no": "新经开退补〔2026〕010006号", "promised_due": "", "promised_left": "4",
                   "reason": "营业执照复印件不清晰，请提交清晰复印件", "delivery": "由1号窗口（受理窗口）送达",
                   "materials": (NoticeMaterial("M01", "营业执照", "defective", note="见补正要求", copies=1),)},
        "suspension": {"doc_no": "新经开特告〔2026〕010007号", "promised_due": "", "legal_due": "", "procedure": "检验",
                       "reason": "需对样品进行检验", "promised_left": "3", "legal_left": "12"},
        "extension": {"doc_no": "新经开延告〔2026〕010008号", "extension_days": "10", "approver": "王局长",
                      "reason": "需现场核查", "previous_legal_due": "2026年12月25日", "legal_due": "2027年1月11日"},
        "licence_grant": {"doc_no": "新建市场监管局准许〔2026〕0001号", "decision": "准予行政许可",
                          "reason": DECISION_REASON, **DECIDED},
        "licence_denial": {"doc_no": "新建市场监管局不许〔2026〕0001号", "decision": "不予行政许可",
                           "reason": DENIAL_REASON, "legal_basis": "《中华人民共和国行政许可法》第三十八条第二款",
                           "review_authority": "南昌市新建区人民政府", "court": "南昌市新建区人民法院", **DECIDED},
        "result_notice": {"doc_no": "新建市场监管局办结〔2026〕0001号", "decision": "予以办理", "licensing": False,
                          "reason": DECISION_REASON, **DECIDED},
    }
    fields: dict[str, object] = {"kind": kind, **per_kind[kind], **changes}
    return replace(BASE, **fields)  # type: ignore[arg-type]


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def flat(pdf: bytes) -> str:
    """All text, without the line breaks a wrapped paragraph gets."""
    return "".join("".join(pages_text(pdf)).split())


def rasterise(pdf: bytes, tmp_path: Path, page: int = 1) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pdftoppm (poppler-utils) is not installed")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "notice.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(source),
                    str(tmp_path / "page")], check=True, timeout=60)
    (png,) = tmp_path.glob("page-*.png")
    return Image.open(png)


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {kind: render_notice(notice(kind)) for kind in NOTICE_KINDS}


# ------------------------------------------------------------------------------------------------ content


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_kind_prints_case_item_doc_no_and_title(rendered: dict[str, bytes], kind: str) -> None:
    pdf = rendered[kind]
    assert pdf.startswith(b"%PDF-")
    text = flat(pdf)
    n = notice(kind)
    for expected in (n.case_no, n.item_name, n.doc_no, TITLES[kind]):
        assert expected in text, expected


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_page_has_header_footer_and_page_numbers(kind: str) -> None:
    state = "missing" if kind == "correction" else "tolerated" if kind in ("reminder", "termination") else "received"
    many = tuple(NoticeMaterial(f"M{i:02}", f"申请材料第{i}号（含附件）", state, originals=1) for i in range(40))
    long_text = "申请事项依法不属于本机关职权范围，请向有关行政机关申请" * 30
    pdf = render_notice(notice(kind, materials=many + MATERIALS, reason=long_text, result=long_text))
    pages = pages_text(pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        squeezed = "".join(text.split())
        assert f"第{number}页共{len(pages)}页" in squeezed
        assert BASE.hall_name in squeezed
        assert BASE.hall_address in squeezed
        assert BASE.hall_phone in squeezed
        assert notice(kind).doc_no in squeezed
        assert BASE.case_no in squeezed  # under the QR code


def test_acceptance_lists_materials_dates_and_pickup(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["acceptance"])
    for m in MATERIALS:
        assert m.name in text
    assert "2026年12月4日" in text and "2026年12月25日" in text
    assert "583120" in text
    assert "统一出件窗口" in text
    assert "（盖章）" in text
    assert "暂定" not in text


def test_provisional_dates_are_marked() -> None:
    text = flat(render_notice(notice("acceptance", provisional=True)))
    assert "2026年12月4日（暂定）" in text
    assert "2026年12月25日（暂定）" in text


def test_refusal_gives_reason_basis_and_remedies(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["refusal"])
    assert REFUSAL_REASON in text
    assert "第三十二条第一款第（一）项" in text
    assert "决定不予受理" in text
    assert "六十日内" in text and "行政复议" in text and "《中华人民共和国行政复议法》" in text
    assert "六个月内" in text and "行政诉讼" in text and "《中华人民共和国行政诉讼法》" in text


def test_refusal_names_the_department_the_window_and_where_to_appeal() -> None:
    text = flat(render_notice(notice("refusal", review_authority="南昌市新建区人民政府", court="南昌市新建区人民法院")))
    assert "区市场监管局决定不予受理" in text  # the 承办部门 decides …
    assert "新建经开区政务服务大厅综合受理窗口" in text  # … the hall received the application
    assert "六十日内" in text and "向南昌市新建区人民政府申请行政复议" in text
    assert "六个月内" in text and "第四十六条" in text and "向南昌市新建区人民法院提起行政诉讼" in text
    assert "区市场监管局（盖章）" in text and "收件窗口：新建经开区政务服务大厅" in text


def test_correction_of_other_item_kinds_does_not_cite_the_licensing_law() -> None:
    licensing = flat(render_notice(notice("correction")))
    other = flat(render_notice(notice("correction", licensing=False)))
    assert "行政许可法" in licensing and "第三十二条" in licensing
    assert "行政许可法" not in other and "一次性告知制度" in other
    assert "经区市场监管局审查" in other and "区市场监管局（盖章）" in other


def test_licence_grant_states_issuer_decision_reasons_basis_and_seal(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["licence_grant"])
    assert "准予行政许可决定书" in text and "新建市场监管局准许〔2026〕0001号" in text
    assert "南昌新建示范食品有限公司" in text and "食品经营许可（新办）" in text
    assert DECISION_REASON in text and "《中华人民共和国食品安全法》第三十五条" in text
    assert "决定准予行政许可" in text and "2026年12月3日" in text
    assert "区市场监管局（审批专用章）" in text
    assert "行政复议" not in text and "行政诉讼" not in text


def test_licence_denial_tells_where_and_how_long_to_appeal(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["licence_denial"])
    assert "不予行政许可决定书" in text and "决定不予行政许可" in text
    assert DENIAL_REASON in text and "《中华人民共和国行政许可法》第三十八条第二款" in text
    assert "六十日内" in text and "向南昌市新建区人民政府申请行政复议" in text
    assert "六个月内" in text and "第四十六条" in text and "向南昌市新建区人民法院提起行政诉讼" in text
    assert "区市场监管局（审批专用章）" in text


def test_result_notice_speaks_its_own_words() -> None:
    granted = flat(render_notice(notice("result_notice", seal_label="盖章")))
    assert "办理结果通知书" in granted and "决定予以办理" in granted and "行政许可" not in granted
    assert "区市场监管局（盖章）" in granted and "行政复议" not in granted
    denied = flat(render_notice(notice("result_notice", decision="不予办理", review_authority="南昌市新建区人民政府",
                                       court="南昌市新建区人民法院")))
    assert "决定不予办理" in denied and "向南昌市新建区人民政府申请行政复议" in denied and "六个月内" in denied


def test_correction_names_every_deficient_material_once(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["correction"])
    assert "一次性告知" in text
    for m in MATERIALS:
        if m.state in ("missing", "defective"):
            assert text.count(m.name) == 1, m.name
        else:
            assert m.name not in text, m.name
    assert "复印件模糊不清，请提供清晰复印件" in text  # what is wrong with the defective one
    assert "共2项" in text
    assert "第三十二条" in text and "五日内" in text and "即为受理" in text
    assert "2026年12月10日" in text


def test_tolerated_notice_is_followed_by_two_pledge_copies(rendered: dict[str, bytes]) -> None:
    pages = ["".join(p.split()) for p in pages_text(rendered["tolerated"])]
    pledge = [i for i, p in enumerate(pages) if "郑重承诺" in p]
    assert len(pledge) == 2
    first = pledge[0]
    assert pledge == [first, first + 1] and len(pages) == first + 2  # each copy on its own (last) page
    assert "申请人留存" in pages[first] and "窗口留存" in pages[first + 1]
    for i in pledge:
        assert "容缺受理承诺书" in pages[i]
        assert "申请人（签字/盖章）" in pages[i] and "日期" in pages[i]
        assert "食品安全管理制度文本" in pages[i] and "经营场所使用证明" in pages[i]
        assert "2026年12月1日" in pages[i] and "2026年12月3日" in pages[i]  # per-material deadlines
        assert "信用" in pages[i]
    notice_text = "".join(pages[:first])
    assert "容缺受理通知书" in notice_text and "申请人（签字/盖章）" not in notice_text
    assert f"共{len(pages)}页" in pages[-1]


def test_handover_shows_masked_collector_and_delivery(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["handover"])
    assert "王*" in text
    assert "EMS1100123456789" in text
    assert "《食品经营许可证》正本1份" in text
    assert "领取人（签字）" in text


def test_reprint_is_marked_on_every_page() -> None:
    pdf = render_notice(notice("tolerated", reprint=True))
    assert all("补打" in page for page in pages_text(pdf))
    assert "补打" not in flat(render_notice(notice("tolerated")))


def test_long_chinese_text_wraps_inside_the_margins() -> None:
    reason = "经审查，" + "申请人提交的材料与申请事项不符且无法通过补正予以解决" * 12
    pdf = render_notice(notice("refusal", reason=reason))
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    width = float(page.mediabox.width)
    right_edges: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            right_edges.append(x)

    page.extract_text(visitor_text=visit)
    assert right_edges
    assert max(right_edges) < width - 20 / 25.4 * 72
    assert reason in flat(pdf)


# --------------------------------------------------------------------------------------- fonts and QR


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_cjk_truetype_font_is_embedded(rendered: dict[str, bytes], kind: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(rendered[kind]))
    seen = 0
    for page in reader.pages:
        resources = cast(DictionaryObject, page["/Resources"])
        for ref in cast(DictionaryObject, resources["/Font"]).values():
            font = cast(DictionaryObject, ref.get_object())
            assert str(font["/Subtype"]) == "/TrueType", font["/BaseFont"]
            assert "WenQuanYi" in str(font["/BaseFont"])
            assert "/FontFile2" in cast(DictionaryObject, font["/FontDescriptor"].get_object())
            assert "/ToUnicode" in font  # text can be selected and searched
            seen += 1
    assert seen


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_qr_code_decodes_to_the_slip(rendered: dict[str, bytes], kind: str, tmp_path: Path) -> None:
    codes = zxingcpp.read_barcodes(rasterise(rendered[kind], tmp_path))
    assert [c.text for c in codes] == [PAYLOAD]
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode


def test_long_slip_still_decodes_on_the_last_page(tmp_path: Path) -> None:
    payload = "HD1." + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" * 4
    pdf = render_notice(notice("tolerated", qr_payload=payload))
    last = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    codes = zxingcpp.read_barcodes(rasterise(pdf, tmp_path, page=last))
    assert [c.text for c in codes] == [payload]


# --------------------------------------------------------------------------------------- personal data


def test_only_masked_personal_data_is_printed() -> None:
    full_id = make_id_number("360112", date(1990, 3, 7), 123)
    masked_id = mask_id_number(full_id)
    pdf = render_notice(notice(
        "acceptance",
        agent_id_masked=full_id,  # a caller forgot to mask
        agent_phone_masked="13812345678",
        agent_name_masked="张三丰",
        reason=f"经办人身份证 {full_id}，电话 13912345678",
    ))
    text = flat(pdf)
    assert full_id not in text
    assert masked_id in text
    assert "13812345678" not in text and "138****5678" in text
    assert "13912345678" not in text
    assert "张三丰" not in text and "张*" in text
    # the public identifiers stay as they are
    assert BASE.uscc in text and BASE.hall_phone in text


def test_masked_inputs_appear_as_given(rendered: dict[str, bytes]) -> None:
    text = flat(rendered["acceptance"])
    assert "360***********123X" in text
    assert "138****5678" in text
    assert "张*" in text


# ----------------------------------------------------------------------------------------------- templates


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(default_templates_path(), folder / "notices.yaml")
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    file = folder / "notices.yaml"
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_templates_cover_every_kind() -> None:
    templates = load_templates()
    assert set(templates) == set(NOTICE_KINDS)
    assert {k: t.title for k, t in templates.items()} == TITLES
    tolerated = templates["tolerated"].pledge
    assert tolerated is not None and len(tolerated.copies) == 2


def test_wording_comes_from_the_template_directory(template_dir: Path) -> None:
    edit(template_dir, "title: 受理通知书", "title: 受理决定告知书")
    edit(template_dir, "二、进度查询。", "二、进度查询（本大厅周末照常办公）。")
    text = flat(render_notice(notice("acceptance"), template_dir))
    assert "受理决定告知书" in text
    assert "本大厅周末照常办公" in text
    assert "受理通知书" not in text
    # a file path works as well as its directory
    assert "受理决定告知书" in flat(render_notice(notice("acceptance"), template_dir / "notices.yaml"))


def test_unknown_placeholder_is_a_clear_chinese_error(template_dir: Path) -> None:
    edit(template_dir, "经审查，{reason}。根据{legal_basis}", "经审查，{reasn}。根据{legal_basis}")
    with pytest.raises(ValidationError) as caught:
        load_templates(template_dir)
    message = caught.value.message
    assert "未知的占位符 {reasn}" in message
    assert "kinds.refusal.body" in message and "notices.yaml" in message
    assert "reason" in message  # the list of valid names helps to spot the typo
    with pytest.raises(ValidationError, match="未知的占位符"):
        render_notice(notice("acceptance"), template_dir)


def test_missing_title_is_a_clear_chinese_error(template_dir: Path) -> None:
    edit(template_dir, "    title: 补正材料通知书\n", "")
    with pytest.raises(ValidationError, match=re.escape("“补正材料通知书”缺少标题（title）")):
        load_templates(template_dir)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("title: 出件签收单\n    body:", "title: 出件签收单\n    bodyy:", "不认识的设置项“bodyy”"),
    ("      - materials: deficient", "      - materials: broken", "材料表“broken”不存在"),
    ("  handover:\n", "  handover_x:\n", "不认识的设置项“handover_x”"),
    ("        when: pickup_code\n", "        when: pick_code\n", "when 使用了未知的名称“pick_code”"),
    ("page_label: \"第 {page} 页 共 {pages} 页\"", "page_label: \"第 {page} 页 共 {total} 页\"", "{total}"),
    ("    title: 容缺受理承诺书\n", "    title: 容缺受理承诺书 {\n", "花括号不配对"),
    ("  states:\n", "  states: [\n", "格式有误（第"),
])
def test_broken_templates_say_what_is_wrong(template_dir: Path, old: str, new: str, expected: str) -> None:
    edit(template_dir, old, new)
    with pytest.raises(ValidationError) as caught:
        load_templates(template_dir)
    assert expected in caught.value.message


def test_missing_template_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="找不到文书模板文件"):
        load_templates(tmp_path)


def test_bad_notice_input_is_rejected() -> None:
    with pytest.raises(ValidationError, match="未知的文书类型"):
        render_notice(replace(notice("acceptance"), kind="receipt"))
    broken = (NoticeMaterial("M01", "申请书", "lost"),)
    with pytest.raises(ValidationError, match="状态“lost”无效"):
        render_notice(notice("acceptance", materials=broken))


# ------------------------------------------------------------------------------------------- typesetting


def test_chinese_punctuation_never_starts_or_ends_a_line_wrongly() -> None:
    phrase = "经审查，“申请材料”（第一项）、《说明书》：内容不全；请补正。"
    for shift in range(6):
        reason = "注" * shift + phrase * 8
        lines = [line.strip() for line in pages_text(render_notice(notice("refusal", reason=reason)))[0].splitlines()]
        body = [line for line in lines if line and any(ch in line for ch in "“（《")]
        assert body
        for line in lines:
            if line:
                assert line[0] not in NO_LINE_START, line
                assert line[-1] not in NO_LINE_END, line


def test_line_breaker_keeps_numbers_whole_and_hangs_one_mark() -> None:
    text = "请于2026年12月10日前携带本通知书（办件编号：XJ01-02-20261127-0007）到窗口办理。"
    size = 12.0
    full = pdfmetrics.stringWidth(text, FONT, size)
    number = pdfmetrics.stringWidth("XJ01-02-20261127-0007", FONT, size)
    for chars in range(4, 40):
        width = chars * size
        lines = break_cjk_lines(text, [width], FONT, size)
        assert "".join(line for _, line in lines) == text
        if width >= number + size:
            assert any("XJ01-02-20261127-0007" in line for _, line in lines), width
        for spare, line in lines:
            assert spare >= -size  # at most one hanging mark
            assert (line[0] not in NO_LINE_START and line[-1] not in NO_LINE_END) or len(lines) == 1
    assert break_cjk_lines(text, [full + 1], FONT, size) == [(pytest.approx(1.0), text)]


def test_clock_notices_state_the_law_and_the_days(rendered: dict[str, bytes]) -> None:
    """Issue 14: 退回补正 stops the promised clock only; 特别程序 stops both (第45条); 延期 once, ≤ 10 days (第42条)."""
    returned = flat(rendered["return"])
    assert "营业执照" in returned and "不符合要求" in returned and "补正要求：营业执照复印件不清晰" in returned
    assert "承诺办结时限暂停计算" in returned and "剩余4个工作日" in returned
    assert "法定办理期限不因补正而中止，法定办结日期仍为2026年12月25日" in returned
    assert "由1号窗口（受理窗口）送达" in returned and "区市场监管局（盖章）" in returned
    suspended = flat(rendered["suspension"])
    assert "依法需要进行检验，理由如下：需对样品进行检验" in suspended and "第四十五条" in suspended
    assert "承诺办结时限剩余3个工作日，法定办理期限剩余12个工作日" in suspended
    extended = flat(rendered["extension"])
    assert "第四十二条第一款" in extended and "延长10个工作日" in extended
    assert "法定办结日期为2026年12月25日" in extended and "延长后的法定办结日期为2027年1月11日" in extended
    assert "王局长" in extended and "因需现场核查" in extended
