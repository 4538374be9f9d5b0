"""A4 notices as PDF: 受理通知书, 不予受理通知书, 补正材料通知书 (一次性告知), 容缺受理通知书 with its
承诺书 in two copies, the 出件签收单, and the back office's 补正通知书（审查阶段）, 特别程序告知书 and 延期告知书.

The wording lives in ``resources/templates/notices.yaml`` (a hall edits it without touching code); this module
only lays it out.  :func:`load_templates` reads and validates a template file and says in Chinese what is wrong
with a broken one; :func:`render_notice` turns a :class:`Notice` into PDF bytes.

Every page carries the hall name and the 文书编号 in its header, the signed QR slip (drawn as vector modules,
so it stays sharp on any printer) with the case number under it, and a footer with the hall's address and
phone and "第 N 页 共 M 页".  Text is real text in the bundled WenQuanYi Micro Hei, embedded as a TrueType
subset, broken into lines by Chinese rules (:func:`break_cjk_lines`: no closing punctuation at a line's start,
no opening bracket or quote at its end, case and phone numbers kept whole).

Personal data is expected masked already (DOMAIN.md).  As a last guard before paper, anything that still
looks like a full 居民身份证号码 or mobile number in a printed field is masked here, and a clear name passed
as a ``*_masked`` name is cut to surname + ``*``.
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

import qrcode
import yaml
from reportlab.lib import colors, units
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.errors import HallDeskError, ValidationError
from app.resources import font_path, resources_dir
from app.validators import check_id_number, mask_id_number, mask_name, mask_phone

__all__ = [
    "DECISION_KINDS",
    "FONT",
    "KIND_NAMES",
    "MATERIAL_STATES",
    "NOTICE_KINDS",
    "NO_LINE_END",
    "NO_LINE_START",
    "PARAGRAPH_STYLES",
    "TABLE_MODES",
    "CJKParagraph",
    "Common",
    "InfoBlock",
    "InfoRow",
    "MaterialsBlock",
    "Notice",
    "NoticeMaterial",
    "Part",
    "Pledge",
    "SignBlock",
    "SpaceBlock",
    "Template",
    "TextBlock",
    "break_cjk_lines",
    "default_templates_path",
    "load_templates",
    "markup",
    "placeholders",
    "register_font",
    "render_notice",
    "table_style",
]

NOTICE_KINDS: Final = (
    "acceptance", "refusal", "correction", "tolerated", "handover",
    # issue 14 part 7 (容缺 follow-through): 催补通知书, 终止办理通知书
    "reminder", "termination",
    # issue 14, clocks: 退回补正 from the back office, 特别程序告知书, 延期告知书
    "return", "suspension", "extension",
    # issue 14, decision documents: 准予／不予行政许可决定书, and the 办理结果通知书 of other item kinds
    "licence_grant", "licence_denial", "result_notice",
)
# The written decision of a case, whichever of them it is (``print notice --kind decision``).
DECISION_KINDS: Final = ("licence_grant", "licence_denial", "result_notice")
MATERIAL_STATES: Final = ("received", "missing", "defective", "tolerated", "waived", "not_submitted")
TABLE_MODES: Final = ("all", "deficient", "tolerated")
PARAGRAPH_STYLES: Final = ("body", "plain", "note", "center", "right")
_COLUMN_KEYS: Final = ("seq", "name", "originals", "copies", "state", "problem", "requirement", "due", "note")
KIND_NAMES: Final = {
    "acceptance": "受理通知书",
    "refusal": "不予受理通知书",
    "correction": "补正材料通知书",
    "tolerated": "容缺受理通知书",
    "handover": "出件签收单",
    # issue 14 part 7
    "reminder": "容缺材料催补通知书",
    "termination": "终止办理通知书",
    # issue 14, clocks
    "return": "补正通知书（审查阶段）",
    "suspension": "特别程序告知书",
    "extension": "延期告知书",
    "licence_grant": "准予行政许可决定书",
    "licence_denial": "不予行政许可决定书",
    "result_notice": "办理结果通知书",
}


# --------------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class NoticeMaterial:
    """One material row.  ``state``: received | missing | defective | tolerated | waived | not_submitted."""

    code: str
    name: str
    state: str
    note: str = ""  # defect description, or "免提交：<区域评估名称>"
    due: str = ""  # tolerated: supplement deadline YYYY-MM-DD
    originals: int = 0
    copies: int = 0


@dataclass(frozen=True)
class Notice:
    """Everything printed on one A4 notice; personal fields arrive masked."""

    kind: str  # one of NOTICE_KINDS
    doc_no: str  # 文书编号, printed top right
    hall_name: str
    hall_address: str
    hall_phone: str
    case_no: str
    item_code: str
    item_name: str
    dept_name: str
    applicant: str  # enterprise name (or a masked person name)
    uscc: str
    agent_name_masked: str
    agent_id_masked: str
    agent_phone_masked: str
    received_at: str  # "2026年11月27日 10:32"
    issued_on: str  # "2026年11月27日"
    clerk: str
    qr_payload: str  # the signed QR slip
    pickup_code: str = ""
    promised_due: str = ""  # "2026年12月4日"
    legal_due: str = ""
    provisional: bool = False  # due dates 待定: "（暂定）" printed next to them
    materials: tuple[NoticeMaterial, ...] = ()
    reason: str = ""  # refusal reason / correction general remark
    legal_basis: str = ""
    correction_deadline: str = ""
    supplement_due: str = ""
    reprint: bool = False  # "补打" mark at the top of every page
    collector_masked: str = ""
    handed_over_at: str = ""
    delivery: str = ""  # 窗口领取 / EMS 单号 …
    result: str = ""  # handover: what is handed over (决定书、证照 …)
    # issue 14 part 7: reminder / termination — calendar days the 容缺 supplements are late ("" or "0": not late),
    # and, on a termination, the applicant's withdrawal (non-empty: terminated because the applicant withdrew).
    overdue_days: str = ""
    withdrawal: str = ""
    # issue 14, clocks: 特别程序 and 延期 (the reason is ``reason``; days are counts as text, "" when not known)
    procedure: str = ""  # 听证、检验 … (行政许可法第45条)
    approver: str = ""  # the head who approved a 延期
    extension_days: str = ""
    previous_legal_due: str = ""  # the legal due date before the 延期
    promised_left: str = ""  # working days left on a paused clock
    legal_left: str = ""
    # A 行政许可 item: the notices cite 行政许可法 (otherwise the item's own basis and wording).
    licensing: bool = False
    issuer: str = ""  # decision documents: the deciding department
    decision: str = ""  # decision documents: 准予行政许可 / 不予行政许可 / 予以办理 / 不予办理
    seal_label: str = ""  # decision documents: 审批专用章 when it is applied, else 盖章
    # Denials and refusals: where the applicant may apply for 行政复议, and the court for 行政诉讼.
    review_authority: str = ""
    court: str = ""


# ----------------------------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TextBlock:
    text: str
    style: str = "body"
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class InfoRow:
    label: str
    value: str
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class InfoBlock:
    rows: tuple[InfoRow, ...]
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class MaterialsBlock:
    mode: str  # all | deficient | tolerated
    caption: str = ""
    empty: str = ""
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignBlock:
    labels: tuple[str, ...]
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpaceBlock:
    mm: float
    when: tuple[str, ...] = ()


Block = TextBlock | InfoBlock | MaterialsBlock | SignBlock | SpaceBlock


@dataclass(frozen=True)
class Part:
    """A titled document that starts on a new page: the notice itself, or one copy of the 承诺书."""

    title: str
    subtitle: str
    body: tuple[Block, ...]
    signature: tuple[str, ...]


@dataclass(frozen=True)
class Pledge:
    """The 承诺书 that follows a notice, printed once per entry of ``copies`` (each on its own page)."""

    part: Part
    copies: tuple[str, ...]


@dataclass(frozen=True)
class Common:
    header: str
    footer: str
    page_label: str
    qr_caption: str
    reprint_mark: str
    provisional_mark: str
    missing_hint: str
    signature: tuple[str, ...]
    states: Mapping[str, str]
    columns: Mapping[str, str]


@dataclass(frozen=True)
class Template:
    kind: str
    main: Part
    pledge: Pledge | None
    common: Common

    @property
    def title(self) -> str:
        return self.main.title


_NOT_PRINTED: Final = frozenset({"kind", "qr_payload"})
_DERIVED: Final = ("title", "copy_label", "materials_count", "deficient_count", "tolerated_count")


def placeholders() -> frozenset[str]:
    """Every ``{name}`` a template may use: the Notice's text fields plus a few derived ones."""
    own = {f.name for f in fields(Notice) if f.type == "str" and f.name not in _NOT_PRINTED}
    return frozenset(own | set(_DERIVED))


_PLACEHOLDERS: Final = placeholders()
_FLAGS: Final = frozenset({"provisional", "reprint", "licensing"})
_PAGE_PLACEHOLDERS: Final = frozenset({"page", "pages"})


def default_templates_path() -> Path:
    return resources_dir() / "templates" / "notices.yaml"


class _TemplateReader:
    """Turns the parsed YAML into Template objects, failing with a Chinese message that names the spot."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> ValidationError:
        return ValidationError(f"templates.{where}", f"文书模板 {self.file.name} 有误（位置：{where}）：{problem}")

    # -- scalars

    def mapping(self, value: object, where: str, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "这里应是“名称: 内容”形式的一组设置")
        unknown = [str(k) for k in value if k not in allowed]
        if unknown:
            raise self.fail(where, f"不认识的设置项“{'、'.join(unknown)}”（可用：{'、'.join(allowed)}）")
        return value

    def text(self, value: object, where: str, names: frozenset[str] = _PLACEHOLDERS, *,
             required: bool = True) -> str:
        if value is None and not required:
            return ""
        if isinstance(value, dict | set):
            raise self.fail(where, "这里应是一段文字；以 { 开头的文字请用英文引号括起来，如 \"{case_no}\"")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(where, "这里应是一段文字")
        text = str(value)
        if required and not text.strip():
            raise self.fail(where, "文字不能为空")
        self.check_format(text, where, names)
        return text

    def check_format(self, text: str, where: str, names: frozenset[str]) -> None:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError:
            raise self.fail(
                where, f"花括号不配对：“{text}”。占位符写成 {{case_no}}，文字中的花括号本身请写成 {{{{ 和 }}}}"
            ) from None
        for _literal, name, spec, _conversion in parsed:
            if name is None:
                continue
            if not name or name.isdigit():
                raise self.fail(where, f"占位符 {{{name}}} 缺少名称，应写成 {{case_no}} 这样的形式")
            if not name.isidentifier():
                raise self.fail(where, f"占位符 {{{name}}} 的写法不支持，只能写名称，如 {{case_no}}")
            if name not in names:
                raise self.fail(
                    where, f"使用了未知的占位符 {{{name}}}。可用的占位符有：{'、'.join(sorted(names))}"
                )
            if spec and "{" in spec:
                raise self.fail(where, f"占位符 {{{name}:{spec}}} 的格式写法不支持")
        try:
            text.format_map(dict.fromkeys(names, "示例"))
        except (ValueError, KeyError, IndexError) as exc:
            raise self.fail(where, f"占位符的格式写法有误：{exc}") from None

    def text_list(self, value: object, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, "这里应是一组文字（每行以“- ”开头）")
        return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(value))

    def when(self, value: object, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        conditions: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(where, "when 应是占位符名称（如 pickup_code），或前加 ! 表示为空时才打印")
            name = item.strip()
            bare = name.removeprefix("!").strip()
            if bare not in _PLACEHOLDERS | _FLAGS:
                raise self.fail(
                    where,
                    f"when 使用了未知的名称“{bare}”。可用：{'、'.join(sorted(_PLACEHOLDERS | _FLAGS))}",
                )
            conditions.append(("!" if name.startswith("!") else "") + bare)
        return tuple(conditions)

    # -- structure

    def block(self, value: object, where: str) -> Block:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return TextBlock(self.text(value, where))
        if not isinstance(value, dict):
            raise self.fail(where, "正文的每一项应是一段文字，或 text / info / materials / sign / space 之一")
        kinds = [k for k in ("text", "info", "materials", "sign", "space") if k in value]
        if len(kinds) != 1:
            raise self.fail(
                where, "正文的每一项须且只能有 text、info、materials、sign、space 中的一个（含占位符的文字请加引号）"
            )
        kind = kinds[0]
        if kind == "text":
            raw = self.mapping(value, where, ("text", "style", "when"))
            style = raw.get("style", "body")
            if style not in PARAGRAPH_STYLES:
                raise self.fail(f"{where}.style", f"段落样式“{style}”不存在（可用：{'、'.join(PARAGRAPH_STYLES)}）")
            return TextBlock(self.text(raw["text"], f"{where}.text"), style, self.when(raw.get("when"), where))
        if kind == "info":
            raw = self.mapping(value, where, ("info", "when"))
            rows = raw["info"]
            if not isinstance(rows, list) or not rows:
                raise self.fail(f"{where}.info", "info 应是一组“[标签, 内容]”")
            return InfoBlock(
                tuple(self.info_row(row, f"{where}.info[{i}]") for i, row in enumerate(rows)),
                self.when(raw.get("when"), where),
            )
        if kind == "materials":
            raw = self.mapping(value, where, ("materials", "caption", "empty", "when"))
            mode = raw["materials"]
            if mode not in TABLE_MODES:
                raise self.fail(
                    f"{where}.materials",
                    f"材料表“{mode}”不存在（all 全部材料；deficient 缺少及有误的；tolerated 容缺的）",
                )
            return MaterialsBlock(
                mode,
                self.text(raw.get("caption"), f"{where}.caption", required=False),
                self.text(raw.get("empty"), f"{where}.empty", required=False),
                self.when(raw.get("when"), where),
            )
        if kind == "sign":
            raw = self.mapping(value, where, ("sign", "when"))
            labels = self.text_list(raw["sign"], f"{where}.sign")
            if not labels:
                raise self.fail(f"{where}.sign", "sign 至少要有一个签名项")
            return SignBlock(labels, self.when(raw.get("when"), where))
        raw = self.mapping(value, where, ("space", "when"))
        space = raw["space"]
        if isinstance(space, bool) or not isinstance(space, int | float) or not 0 <= space <= 100:
            raise self.fail(f"{where}.space", "space 应是 0–100 之间的毫米数")
        return SpaceBlock(float(space), self.when(raw.get("when"), where))

    def info_row(self, value: object, where: str) -> InfoRow:
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail(where, "信息行应写成 [标签, \"内容\"]")
            return InfoRow(self.text(value[0], f"{where}[0]"), self.text(value[1], f"{where}[1]", required=False))
        raw = self.mapping(value, where, ("label", "value", "when"))
        if "label" not in raw:
            raise self.fail(where, "信息行缺少 label（标签）")
        return InfoRow(
            self.text(raw["label"], f"{where}.label"),
            self.text(raw.get("value"), f"{where}.value", required=False),
            self.when(raw.get("when"), where),
        )

    def part(self, value: dict[str, Any], where: str, common: Common | None, name: str) -> Part:
        if "title" not in value or value["title"] is None or not str(value["title"]).strip():
            raise self.fail(f"{where}.title", f"“{name}”缺少标题（title）")
        body = value.get("body")
        if not isinstance(body, list) or not body:
            raise self.fail(f"{where}.body", f"“{name}”缺少正文（body）")
        signature = value.get("signature")
        return Part(
            title=self.text(value["title"], f"{where}.title"),
            subtitle=self.text(value.get("subtitle"), f"{where}.subtitle", required=False),
            body=tuple(self.block(item, f"{where}.body[{i}]") for i, item in enumerate(body)),
            signature=(
                common.signature if signature is None and common else self.text_list(signature or [], f"{where}.signature")
            ),
        )

    def common(self, value: object) -> Common:
        keys = ("header", "footer", "page_label", "qr_caption", "reprint_mark", "provisional_mark", "missing_hint",
                "signature", "states", "columns")
        raw = self.mapping(value, "common", keys)
        missing = [k for k in keys if k not in raw]
        if missing:
            raise self.fail("common", f"缺少设置项：{'、'.join(missing)}")
        states = self.mapping(raw["states"], "common.states", MATERIAL_STATES)
        columns = self.mapping(raw["columns"], "common.columns", _COLUMN_KEYS)
        for group, need, got in (("states", MATERIAL_STATES, states), ("columns", _COLUMN_KEYS, columns)):
            lacking = [k for k in need if k not in got]
            if lacking:
                raise self.fail(f"common.{group}", f"缺少：{'、'.join(lacking)}")
        return Common(
            header=self.text(raw["header"], "common.header", required=False),
            footer=self.text(raw["footer"], "common.footer", required=False),
            page_label=self.text(raw["page_label"], "common.page_label", _PAGE_PLACEHOLDERS),
            qr_caption=self.text(raw["qr_caption"], "common.qr_caption", required=False),
            reprint_mark=self.text(raw["reprint_mark"], "common.reprint_mark", frozenset()),
            provisional_mark=self.text(raw["provisional_mark"], "common.provisional_mark", frozenset()),
            missing_hint=self.text(raw["missing_hint"], "common.missing_hint", frozenset(), required=False),
            signature=self.text_list(raw["signature"], "common.signature"),
            states={k: self.text(states[k], f"common.states.{k}", frozenset()) for k in MATERIAL_STATES},
            columns={k: self.text(columns[k], f"common.columns.{k}", frozenset()) for k in _COLUMN_KEYS},
        )

    def templates(self, data: object) -> dict[str, Template]:
        root = self.mapping(data, "（文件）", ("version", "common", "kinds"))
        if root.get("version") != 1:
            raise self.fail("version", "version 应为 1")
        if "common" not in root:
            raise self.fail("common", "缺少公共设置（common）")
        common = self.common(root["common"])
        kinds = self.mapping(root.get("kinds"), "kinds", NOTICE_KINDS)
        result: dict[str, Template] = {}
        for kind in NOTICE_KINDS:
            name = KIND_NAMES[kind]
            if kind not in kinds:
                raise self.fail(f"kinds.{kind}", f"缺少“{name}”的模板（kinds.{kind}）")
            where = f"kinds.{kind}"
            raw = self.mapping(kinds[kind], where, ("title", "subtitle", "body", "signature", "pledge"))
            pledge: Pledge | None = None
            if raw.get("pledge") is not None:
                raw_pledge = self.mapping(
                    raw["pledge"], f"{where}.pledge", ("title", "subtitle", "body", "signature", "copies")
                )
                copies = self.text_list(raw_pledge.get("copies"), f"{where}.pledge.copies")
                if not copies:
                    raise self.fail(f"{where}.pledge.copies", "承诺书至少要打印一联（copies）")
                pledge = Pledge(self.part(raw_pledge, f"{where}.pledge", common, "承诺书"), copies)
            elif kind == "tolerated":
                raise self.fail(f"{where}.pledge", "容缺受理通知书须附容缺受理承诺书（pledge）")
            result[kind] = Template(kind, self.part(raw, where, common, name), pledge, common)
        return result


_cache: dict[Path, tuple[tuple[int, int], dict[str, Template]]] = {}


def _template_file(path: Path | None) -> Path:
    if path is None:
        return default_templates_path()
    return path / "notices.yaml" if path.is_dir() else path


def load_templates(path: Path | None = None) -> dict[str, Template]:
    """Read and validate the notice templates: a ``notices.yaml`` file, or a directory holding one.

    Raises :class:`ValidationError` with a Chinese message naming the spot of the first problem.  The
    result is cached until the file changes.
    """
    file = _template_file(path)
    try:
        stat = file.stat()
    except OSError:
        raise ValidationError("templates", f"找不到文书模板文件：{file}") from None
    key = file.resolve()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(key)
    if cached and cached[0] == stamp:
        return dict(cached[1])
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValidationError("templates", f"文书模板 {file.name} 不是 UTF-8 编码，请以 UTF-8 保存") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""
        raise ValidationError(
            "templates", f"文书模板 {file.name} 格式有误{('（' + at + '）') if at else ''}，请检查缩进、冒号和引号"
        ) from None
    except OSError as exc:
        raise ValidationError("templates", f"无法读取文书模板 {file}：{exc.strerror}") from None
    templates = _TemplateReader(file).templates(data)
    _cache[key] = (stamp, templates)
    return dict(templates)


# ---------------------------------------------------------------------------------------- personal data

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
# Identifiers that are public or ours, never personal: left as they are.
_NOT_SCRUBBED: Final = frozenset({"kind", "doc_no", "case_no", "item_code", "uscc", "hall_phone", "qr_payload",
                                  "pickup_code"})
_MASKED_NAMES: Final = ("agent_name_masked", "collector_masked")


def _mask_id_like(match: re.Match[str]) -> str:
    try:
        number = check_id_number(match[0])
    except ValidationError:
        return match[0]
    return mask_id_number(number)


def _scrub(text: str) -> str:
    """Mask anything in free text that is a valid 身份证号码 or a mobile number."""
    text = _ID_LIKE.sub(_mask_id_like, text)
    return _MOBILE_LIKE.sub(lambda m: mask_phone(m[0]), text)


def _scrubbed(notice: Notice) -> Notice:
    changes: dict[str, Any] = {}
    for f in fields(Notice):
        value = getattr(notice, f.name)
        if isinstance(value, str) and f.name not in _NOT_SCRUBBED:
            clean = _scrub(value)
            if f.name in _MASKED_NAMES and clean.strip() and "*" not in clean and "＊" not in clean:
                # A name handed over unmasked: print surname + * as DOMAIN.md asks.
                clean = mask_name(clean)
            if clean != value:
                changes[f.name] = clean
    materials = tuple(replace(m, name=_scrub(m.name), note=_scrub(m.note)) for m in notice.materials)
    if materials != notice.materials:
        changes["materials"] = materials
    return replace(notice, **changes) if changes else notice


# ------------------------------------------------------------------------------------------------ values


class _Values(dict[str, str]):
    """The placeholder values; an unknown name fails with a Chinese message instead of a KeyError."""

    def __missing__(self, key: str) -> str:
        raise ValidationError(
            "templates", f"文书模板使用了未知的占位符 {{{key}}}。可用的占位符有：{'、'.join(sorted(self))}"
        )


def _fill(text: str, values: _Values) -> str:
    try:
        return text.format_map(values)
    except (ValueError, IndexError) as exc:
        raise ValidationError("templates", f"文书模板中的文字“{text}”无法填入：{exc}") from None


def _cn_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.year}年{d.month}月{d.day}日"


def _values(notice: Notice, template: Template) -> _Values:
    values = _Values()
    for f in fields(Notice):
        if f.name in _PLACEHOLDERS:
            values[f.name] = str(getattr(notice, f.name))
    if notice.provisional:
        for name in ("promised_due", "legal_due"):
            if values[name].strip():
                values[name] += template.common.provisional_mark
    # The refusal reason sits inside a sentence of the template: no doubled full stop.
    values["reason"] = values["reason"].strip().rstrip("。．.；;，,")
    values["legal_basis"] = values["legal_basis"].strip().rstrip("。．.；;，,")
    values["title"] = template.title
    values["copy_label"] = ""
    values["materials_count"] = str(len(notice.materials))
    values["deficient_count"] = str(len(_rows_for(notice.materials, "deficient")))
    values["tolerated_count"] = str(len(_rows_for(notice.materials, "tolerated")))
    return values


def _holds(conditions: tuple[str, ...], notice: Notice, values: Mapping[str, str]) -> bool:
    for condition in conditions:
        name = condition.removeprefix("!")
        if name in _FLAGS:
            present = bool(getattr(notice, name))
        else:
            value = values.get(name, "").strip()
            present = bool(value) and value != "0"
        if present == condition.startswith("!"):
            return False
    return True


def _rows_for(materials: tuple[NoticeMaterial, ...], mode: str) -> list[NoticeMaterial]:
    if mode == "deficient":
        return [m for m in materials if m.state in ("missing", "defective")]
    if mode == "tolerated":
        return [m for m in materials if m.state == "tolerated"]
    return list(materials)


# ------------------------------------------------------------------------------------------------ layout

FONT: Final = "WenQuanYi"
_font_ready = False


def register_font() -> None:
    global _font_ready
    if _font_ready:
        return
    path = font_path()
    try:
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    except Exception as exc:  # reportlab raises plain TTFError / OSError
        raise HallDeskError(f"无法加载打印字体 {path}：{exc}") from exc
    _font_ready = True


MM: Final = float(units.mm)
PAGE_W: Final = float(A4[0])
PAGE_H: Final = float(A4[1])
MARGIN_X: Final = 20 * MM
CONTENT_W: Final = PAGE_W - 2 * MARGIN_X
HEADER_BASELINE: Final = PAGE_H - 13 * MM
HEADER_RULE: Final = PAGE_H - 15.5 * MM
QR_TOP: Final = PAGE_H - 19 * MM
FOOTER_RULE: Final = 17 * MM
FOOTER_BASELINE: Final = 12 * MM
FRAME_BOTTOM: Final = 20 * MM
QR_MODULE_MIN: Final = 0.5 * MM
QR_SIDE_MIN: Final = 26 * MM
QR_SIDE_MAX: Final = 40 * MM
CAPTION_SIZE: Final = 9.0
BODY_SIZE: Final = 12.0
TABLE_SIZE: Final = 10.5
TITLE_SIZE: Final = 22.0
SUBTITLE_SIZE: Final = 14.0
STAMP_RED: Final = colors.Color(0.78, 0.1, 0.1)


# Chinese line breaking (GB/T 15834 punctuation, the usual 避头尾 rules): closing punctuation never
# begins a line and opening brackets and quotes never end one; a run of Latin letters and digits (a case
# number, a phone number, a date's year) is not split unless it is longer than a whole line.  reportlab's own
# CJK breaker knows only the Japanese set of these rules, so lines could begin with "，" or "：" and end
# with "（" or "“".
NO_LINE_START: Final = "，。、：；！？）》〉」』】〕〗〙”’％‰℃…—·,.;:!?)]}%"
NO_LINE_END: Final = "（《〈「『【〔〖〘“‘([{￥$"
_FUZZ: Final = 1e-6


def _units(text: str) -> list[str]:
    """Characters, except that runs of ASCII letters, digits and punctuation stay together."""
    units: list[str] = []
    for ch in text:
        if ch != " " and ch.isascii() and units and units[-1] != " " and units[-1][-1].isascii() \
                and ch not in NO_LINE_END and units[-1][-1] not in NO_LINE_END:
            units[-1] += ch
        else:
            units.append(ch)
    return units


def _clusters(text: str) -> list[str]:
    """Units glued by the punctuation rules: an opener sticks to what follows, a closer to what precedes."""
    clusters: list[str] = []
    opening = ""
    for unit in _units(text):
        if unit == " ":
            if opening:
                clusters.append(opening)
                opening = ""
            clusters.append(unit)
        elif unit in NO_LINE_START and not opening and clusters and clusters[-1] != " ":
            clusters[-1] += unit
        elif unit in NO_LINE_END:
            opening += unit
        else:
            clusters.append(opening + unit)
            opening = ""
    if opening:
        clusters.append(opening)
    return clusters


def break_cjk_lines(text: str, widths: Sequence[float], font: str, size: float) -> list[tuple[float, str]]:
    """Break ``text`` into lines no wider than ``widths[i]`` (the last width repeats); (spare width, line).

    One closing punctuation mark may hang into the margin rather than pull a character down with it.
    """
    def width(s: str) -> float:
        return float(pdfmetrics.stringWidth(s, font, size))

    lines: list[tuple[float, str]] = []
    line = ""
    used = 0.0  # width of line; widths add up, reportlab does not kern

    def limit() -> float:
        return widths[min(len(lines), len(widths) - 1)]

    def finish() -> None:
        nonlocal line, used
        done = line.rstrip(" ")
        lines.append((limit() - width(done), done))
        line, used = "", 0.0

    def add(piece: str, piece_width: float) -> None:
        nonlocal line, used
        line += piece
        used += piece_width

    for cluster in _clusters(text):
        if cluster == " " and not line:
            continue
        w = width(cluster)
        if used + w <= limit() + _FUZZ:
            add(cluster, w)
            continue
        body = cluster.rstrip(NO_LINE_START)
        if line and len(cluster) - len(body) == 1 and body and used + width(body) <= limit() + _FUZZ:
            add(cluster, w)  # hanging punctuation
            finish()
            continue
        if line.strip(" "):
            finish()
        line, used = "", 0.0
        if cluster == " ":
            continue
        if w <= limit() + _FUZZ:
            add(cluster, w)
            continue
        # A cluster wider than a whole line (a very long number or word): split it where it must.
        for ch in cluster:
            cw = width(ch)
            if line and ch not in NO_LINE_START and used + cw > limit() + _FUZZ:
                finish()
            add(ch, cw)
    if line.strip(" ") or not lines:
        finish()
    return lines


class CJKParagraph(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A Paragraph that breaks Chinese text with :func:`break_cjk_lines` (one font, no inline markup)."""

    def breakLinesCJK(self, maxWidths: Any) -> Any:
        frags = self.frags
        same_look = all(
            (f.fontName, f.fontSize, f.textColor) == (frags[0].fontName, frags[0].fontSize, frags[0].textColor)
            for f in frags
        ) if frags else False
        plain = same_look and not any(hasattr(f, "cbDefn") for f in frags) and not self.style.endDots
        if not plain or (hasattr(self, "blPara") and getattr(self, "_splitpara", False)) or self.bulletText:
            return super().breakLinesCJK(maxWidths)
        widths = list(maxWidths) if isinstance(maxWidths, list | tuple) else [maxWidths]
        self.height = 0
        first = frags[0]
        segments = [""]
        for f in frags:
            if hasattr(f, "lineBreak"):
                segments.append("")
            else:
                segments[-1] += getattr(f, "text", "")
        lines: list[tuple[float, str]] = []
        for segment in segments:
            rest = widths[min(len(lines), len(widths) - 1):]
            lines += break_cjk_lines(segment, rest, first.fontName, first.fontSize)
        return first.clone(kind=0, lines=[(spare, [text]) for spare, text in lines], ascent=first.fontSize,
                           descent=-0.2 * first.fontSize)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.75, wordWrap="CJK",
                          firstLineIndent=2 * BODY_SIZE, alignment=TA_LEFT, spaceAfter=2)
    return {
        "body": base,
        "plain": ParagraphStyle("plain", parent=base, firstLineIndent=0, alignment=TA_LEFT, spaceBefore=4),
        "note": ParagraphStyle("note", parent=base, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.6,
                               firstLineIndent=0, alignment=TA_LEFT, textColor=colors.Color(0.2, 0.2, 0.2)),
        "center": ParagraphStyle("center", parent=base, firstLineIndent=0, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=base, firstLineIndent=0, alignment=TA_RIGHT),
        "caption": ParagraphStyle("caption", parent=base, firstLineIndent=0, alignment=TA_LEFT, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                               firstLineIndent=0, alignment=TA_LEFT, spaceAfter=0),
        "cell_center": ParagraphStyle("cell_center", parent=base, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                                      firstLineIndent=0, alignment=TA_CENTER, spaceAfter=0),
        "sign": ParagraphStyle("sign", parent=base, firstLineIndent=0, alignment=TA_CENTER, spaceAfter=0),
    }


def table_style(commands: list[tuple[Any, ...]]) -> Any:
    # Our font for every cell, also the empty ones (reportlab would name Helvetica for those).
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def markup(text: str) -> str:
    """Plain text → Paragraph markup: escaped, ideographic spaces kept wide, line breaks kept."""
    text = escape(text).replace("\u3000", "\xa0" * 4)
    return "<br/>".join(text.splitlines()) if "\n" in text else text


@dataclass(frozen=True)
class _QR:
    matrix: tuple[tuple[bool, ...], ...]

    @property
    def modules(self) -> int:
        return len(self.matrix)

    @property
    def side(self) -> float:
        if not self.matrix:
            return QR_SIDE_MIN
        return min(max(QR_SIDE_MIN, self.modules * QR_MODULE_MIN), QR_SIDE_MAX)


def _qr(payload: str) -> _QR:
    if not payload:
        return _QR(())
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return _QR(tuple(tuple(bool(v) for v in row) for row in code.get_matrix()))


_QR_FORM: Final = "HallDeskQR"


@dataclass(frozen=True)
class _Decor:
    """What is drawn around the flowing text on every page."""

    header: str
    doc_no: str
    qr: _QR
    caption: str
    footer: str
    page_label: str
    reprint_mark: str

    @property
    def band_bottom(self) -> float:
        """Lowest point of the QR block (QR + caption); body text on continuation pages starts below it."""
        return QR_TOP - self.qr.side - 4.2 * MM - 2.5 * MM

    def define_qr(self, c: Any) -> None:
        """The QR code as one form XObject, drawn once and placed on every page."""
        n = self.qr.modules
        if not n:
            return
        c.beginForm(_QR_FORM, 0, 0, self.qr.side, self.qr.side)
        c.scale(self.qr.side / n, self.qr.side / n)
        path = c.beginPath()
        for r, row in enumerate(self.qr.matrix):
            col = 0
            while col < n:
                if not row[col]:
                    col += 1
                    continue
                start = col
                while col < n and row[col]:
                    col += 1
                # one rectangle per run of dark modules, in module units (row 0 at the top)
                path.rect(start, n - r - 1, col - start, 1)
        c.drawPath(path, stroke=0, fill=1)
        c.endForm()

    def draw(self, c: Any, page: int, pages: int) -> None:
        c.saveState()
        # header: hall name left, 文书编号 right, a rule under both
        c.setFillColor(colors.black)
        c.setFont(FONT, 10.5)
        c.drawRightString(PAGE_W - MARGIN_X, HEADER_BASELINE, self.doc_no)
        room = CONTENT_W - _width(self.doc_no, 10.5) - 8 * MM
        c.setFont(FONT, _fit(self.header, room, 10.5))
        c.drawString(MARGIN_X, HEADER_BASELINE, self.header)
        c.setLineWidth(0.6)
        c.line(MARGIN_X, HEADER_RULE, PAGE_W - MARGIN_X, HEADER_RULE)
        # QR slip, top right, with the case number under it
        side = self.qr.side
        x0 = PAGE_W - MARGIN_X - side
        if self.qr.matrix:
            c.saveState()
            c.translate(x0, QR_TOP - side)
            c.doForm(_QR_FORM)
            c.restoreState()
        size = _fit(self.caption, side + 14 * MM, CAPTION_SIZE)
        c.setFont(FONT, size)
        # centred under the code, but never past the right margin
        centre = min(x0 + side / 2, PAGE_W - MARGIN_X - _width(self.caption, size) / 2)
        c.drawCentredString(centre, QR_TOP - side - 4.2 * MM, self.caption)
        if self.reprint_mark:
            self._stamp(c)
        # footer: address and phone left, page number right
        c.setStrokeColor(colors.Color(0.45, 0.45, 0.45))
        c.setLineWidth(0.4)
        c.line(MARGIN_X, FOOTER_RULE, PAGE_W - MARGIN_X, FOOTER_RULE)
        label = self.page_label.format(page=page, pages=pages)
        c.setFillColor(colors.Color(0.2, 0.2, 0.2))
        c.setFont(FONT, 9)
        c.drawRightString(PAGE_W - MARGIN_X, FOOTER_BASELINE, label)
        room = CONTENT_W - _width(label, 9) - 8 * MM
        c.setFont(FONT, _fit(self.footer, room, 9))
        c.drawString(MARGIN_X, FOOTER_BASELINE, self.footer)
        c.restoreState()

    def _stamp(self, c: Any) -> None:
        """The 补打 mark: a red stamp-like box at the top left, slightly turned."""
        size = 18.0
        width = _width(self.reprint_mark, size) + 8 * MM
        height = size + 4 * MM
        c.saveState()
        c.translate(MARGIN_X + 2 * MM, QR_TOP - 3 * MM - height)
        c.rotate(6)
        c.setStrokeColor(STAMP_RED)
        c.setFillColor(STAMP_RED)
        c.setLineWidth(1.6)
        c.roundRect(0, 0, width, height, 2 * MM, stroke=1, fill=0)
        c.setLineWidth(0.5)
        c.roundRect(1.2 * MM, 1.2 * MM, width - 2.4 * MM, height - 2.4 * MM, 1.2 * MM, stroke=1, fill=0)
        text = c.beginText(4 * MM, (height - size * 0.72) / 2)
        text.setFont(FONT, size)
        text.setTextRenderMode(2)  # fill + stroke: a bolder look from the one-weight font
        c.setLineWidth(0.5)
        text.textOut(self.reprint_mark)
        c.drawText(text)
        c.restoreState()


def _width(text: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, FONT, size))


def _fit(text: str, width: float, size: float, smallest: float = 6.0) -> float:
    """The largest font size ≤ ``size`` at which ``text`` fits in ``width``."""
    natural = _width(text, size)
    if natural <= width or natural == 0:
        return size
    return max(smallest, size * width / natural)


class _DeferredCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Keeps every page until the end, so each can say "共 M 页" and get its header, QR and footer."""

    def __init__(self, *args: Any, decor: _Decor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decor = decor
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        self._decor.define_qr(self)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decor.draw(self, number, total)
            Canvas.showPage(self)
        Canvas.save(self)


class _TitleBand(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """The title (and subtitle) centred on the page, beside the QR code in the top band."""

    def __init__(self, title: str, subtitle: str, height: float, side: float) -> None:
        super().__init__()
        self.title = title
        self.subtitle = subtitle
        self.band_height = height
        self.side = side

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.band_height

    def draw(self) -> None:
        c = self.canv
        room = self.width - 2 * (self.side + 4 * MM)
        title_size = _fit(self.title, room, TITLE_SIZE, 12)
        sub_size = _fit(self.subtitle, room, SUBTITLE_SIZE, 8) if self.subtitle else 0.0
        gap = 3 * MM if self.subtitle else 0.0
        block = title_size + gap + sub_size
        top = (self.band_height + block) / 2
        centre = self.width / 2
        c.saveState()
        text = c.beginText()
        text.setTextRenderMode(2)
        c.setLineWidth(0.6)
        text.setFont(FONT, title_size)
        text.setTextOrigin(centre - _width(self.title, title_size) / 2, top - title_size * 0.85)
        text.textOut(self.title)
        c.drawText(text)
        c.restoreState()
        if self.subtitle:
            c.setFont(FONT, sub_size)
            c.drawCentredString(centre, top - title_size - gap - sub_size * 0.85, self.subtitle)


class _Builder:
    """Turns one Part of a template into flowables."""

    def __init__(self, notice: Notice, template: Template, decor: _Decor) -> None:
        self.notice = notice
        self.common = template.common
        self.decor = decor
        self.styles = _styles()
        self.grid = colors.Color(0.15, 0.15, 0.15)
        self.shade = colors.Color(0.92, 0.92, 0.92)

    def part(self, part: Part, values: _Values) -> list[Flowable]:
        band = QR_TOP - self.decor.band_bottom
        story: list[Flowable] = [
            _TitleBand(_fill(part.title, values), _fill(part.subtitle, values), band, self.decor.qr.side),
            NextPageTemplate("continued"),
        ]
        body: list[Flowable] = []
        for block in part.body:
            if _holds(block.when, self.notice, values):
                body += self.block(block, values)
        if part.signature:
            # The issuer's block never starts a page on its own: it takes the last paragraph along.
            tail = [body.pop()] if body and isinstance(body[-1], Paragraph) else []
            body.append(KeepTogether([*tail, *self.signature([_fill(line, values) for line in part.signature])]))
        return story + body

    def block(self, block: Block, values: _Values) -> list[Flowable]:
        if isinstance(block, TextBlock):
            return [CJKParagraph(markup(_fill(block.text, values)), self.styles[block.style])]
        if isinstance(block, InfoBlock):
            return self.info(block, values)
        if isinstance(block, MaterialsBlock):
            return self.materials(block, values)
        if isinstance(block, SignBlock):
            return [self.sign([_fill(label, values) for label in block.labels])]
        return [Spacer(CONTENT_W, block.mm * MM)]

    def cell(self, text: str, *, centre: bool = False) -> Paragraph:
        return CJKParagraph(markup(text), self.styles["cell_center" if centre else "cell"])

    def info(self, block: InfoBlock, values: _Values) -> list[Flowable]:
        """A bordered label/value table; two short rows share a line, so the notice stays on fewer pages."""
        pairs: list[tuple[str, str]] = []
        for row in block.rows:
            if not _holds(row.when, self.notice, values):
                continue
            value = _fill(row.value, values)
            if value.strip():
                pairs.append((_fill(row.label, values), value))
        if not pairs:
            return []
        pad = 5.0
        widest = max(_width(label, TABLE_SIZE) for label, _ in pairs)
        label_w = min(max(widest + 2 * pad + 1, 24 * MM), 42 * MM)
        half = CONTENT_W / 2
        room = half - label_w - 2 * pad

        def short(pair: tuple[str, str]) -> bool:
            label, value = pair
            return ("\n" not in value and _width(value, TABLE_SIZE) <= room
                    and _width(label, TABLE_SIZE) <= label_w - 2 * pad)

        rows: list[list[Any]] = []
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.6, self.grid),
            ("BACKGROUND", (0, 0), (0, -1), self.shade),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ]
        i = 0
        while i < len(pairs):
            r = len(rows)
            if i + 1 < len(pairs) and short(pairs[i]) and short(pairs[i + 1]):
                (l1, v1), (l2, v2) = pairs[i], pairs[i + 1]
                rows.append([self.cell(l1), self.cell(v1), self.cell(l2), self.cell(v2)])
                style.append(("BACKGROUND", (2, r), (2, r), self.shade))
                i += 2
            else:
                label, value = pairs[i]
                rows.append([self.cell(label), self.cell(value), "", ""])
                style.append(("SPAN", (1, r), (3, r)))
                i += 1
        table = Table(rows, colWidths=[label_w, half - label_w, label_w, half - label_w], hAlign="CENTER")
        table.setStyle(table_style(style))
        return [Spacer(CONTENT_W, 2 * MM), table, Spacer(CONTENT_W, 3 * MM)]

    def materials(self, block: MaterialsBlock, values: _Values) -> list[Flowable]:
        col = self.common.columns
        states = self.common.states

        def count(n: int) -> str:
            return str(n) if n else "—"

        materials = _rows_for(self.notice.materials, block.mode)
        numeric: tuple[int, ...]
        if block.mode == "deficient":
            head = [col["seq"], col["name"], col["problem"], col["requirement"], col["originals"], col["copies"]]
            widths = [12, 50, 24, 0, 14, 14]
            numeric = (0, 2, 4, 5)
            hint = self.common.missing_hint
            body = [[str(i), m.name, states[m.state], m.note or (hint if m.state == "missing" else "") or "—",
                     count(m.originals), count(m.copies)]
                    for i, m in enumerate(materials, 1)]
        elif block.mode == "tolerated":
            head = [col["seq"], col["name"], col["originals"], col["copies"], col["due"], col["note"]]
            widths = [12, 0, 14, 14, 32, 44]
            numeric = (0, 2, 3, 4)
            body = [[str(i), m.name, count(m.originals), count(m.copies),
                     _cn_date(m.due) if m.due else self.notice.supplement_due or "—", m.note or "—"]
                    for i, m in enumerate(materials, 1)]
        else:
            head = [col["seq"], col["name"], col["originals"], col["copies"], col["state"]]
            widths = [12, 0, 15, 15, 50]
            numeric = (0, 2, 3)
            body = [[str(i), m.name, count(m.originals), count(m.copies), self.state_text(m, states)]
                    for i, m in enumerate(materials, 1)]
        fixed = sum(widths) * MM
        col_widths = [w * MM if w else CONTENT_W - fixed for w in widths]
        rows: list[list[Any]] = []
        caption = _fill(block.caption, values) if block.caption else ""
        if caption:
            # The caption is the table's first row, repeated with the header on every page the table spans,
            # so it never stays behind alone (and the table can still split).
            rows.append([CJKParagraph(markup(caption), self.styles["caption"])] + [""] * (len(head) - 1))
        top = len(rows)
        rows.append([self.cell(h, centre=True) for h in head])
        rows += [[self.cell(v, centre=i in numeric) for i, v in enumerate(r)] for r in body]
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, top), (-1, -1), 0.6, self.grid),
            ("BACKGROUND", (0, top), (-1, top), self.shade),
            ("VALIGN", (0, top), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, top), (-1, -1), 3),
            ("BOTTOMPADDING", (0, top), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        if caption:
            style += [("SPAN", (0, 0), (-1, 0)), ("LEFTPADDING", (0, 0), (-1, 0), 0),
                      ("TOPPADDING", (0, 0), (-1, 0), 4), ("BOTTOMPADDING", (0, 0), (-1, 0), 4)]
        if not body:
            rows.append([self.cell(_fill(block.empty, values) or "—", centre=True)] + [""] * (len(head) - 1))
            style.append(("SPAN", (0, top + 1), (-1, top + 1)))
        table = Table(rows, colWidths=col_widths, repeatRows=top + 1, hAlign="CENTER")
        table.setStyle(table_style(style))
        lead = [] if caption else [Spacer(CONTENT_W, 2 * MM)]
        return [*lead, table, Spacer(CONTENT_W, 3 * MM)]

    @staticmethod
    def state_text(m: NoticeMaterial, states: Mapping[str, str]) -> str:
        label = states[m.state]
        extra = m.note
        if m.state == "tolerated" and m.due:
            extra = _cn_date(m.due)
        if not extra:
            return label
        if extra.startswith(label) or m.state == "waived":
            return extra
        return f"{label}（{extra}）"

    def signature(self, lines: list[str]) -> list[Flowable]:
        """The issuer's block at the bottom right: hall name with （盖章）, then the date."""
        style = self.styles["sign"]
        width = max(_width(line, style.fontSize) for line in lines) + 6 * MM
        inset = 2 * BODY_SIZE
        table = Table([[CJKParagraph(markup(line), style), ""] for line in lines],
                      colWidths=[min(width, CONTENT_W - inset), inset], hAlign="RIGHT")
        table.setStyle(table_style([
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        return [Spacer(CONTENT_W, 9 * MM), table]

    def sign(self, labels: list[str]) -> Flowable:
        """Lines to sign on by hand, two per row: "申请人（签字/盖章）：________   日期：________"."""
        half = CONTENT_W / 2
        size = BODY_SIZE
        rows: list[list[Any]] = []
        widths: list[float] = []
        for i in range(0, len(labels), 2):
            pair = labels[i:i + 2]
            row: list[Any] = []
            for label in pair:
                row += [CJKParagraph(markup(label), self.styles["cell"].clone("signlabel", fontSize=size,
                                                                            leading=size * 1.4)), ""]
            rows.append(row + [""] * (4 - len(row)))
        label_w = [
            max((_width(labels[i], size) for i in range(j, len(labels), 2)), default=0.0)
            + 2 for j in (0, 1)
        ]
        label_w = [min(w, half - 25 * MM) for w in label_w]
        gap = 6 * MM
        widths = [label_w[0], half - label_w[0] - gap, label_w[1] + gap, half - label_w[1]]
        style: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 9 * MM), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("LEFTPADDING", (2, 0), (2, -1), gap),
        ]
        for r, row_labels in enumerate(labels[i:i + 2] for i in range(0, len(labels), 2)):
            style.append(("LINEBELOW", (1, r), (1, r), 0.6, colors.black))
            if len(row_labels) == 2:
                style.append(("LINEBELOW", (3, r), (3, r), 0.6, colors.black))
        table = Table(rows, colWidths=widths, hAlign="LEFT")
        table.setStyle(table_style(style))
        return KeepTogether([table, Spacer(CONTENT_W, 4 * MM)])


def _check(notice: Notice) -> None:
    if notice.kind not in NOTICE_KINDS:
        raise ValidationError("kind", f"未知的文书类型“{notice.kind}”（应为 {'、'.join(NOTICE_KINDS)} 之一）")
    for m in notice.materials:
        if m.state not in MATERIAL_STATES:
            raise ValidationError(
                f"materials.{m.code}", f"材料“{m.name}”的状态“{m.state}”无效（应为 {'、'.join(MATERIAL_STATES)} 之一）"
            )


def render_notice(notice: Notice, templates: Path | None = None) -> bytes:
    """The notice as a PDF (A4).  ``templates``: a ``notices.yaml`` or a directory holding one."""
    _check(notice)
    template = load_templates(templates)[notice.kind]
    register_font()
    notice = _scrubbed(notice)
    values = _values(notice, template)
    common = template.common
    decor = _Decor(
        header=_fill(common.header, values),
        doc_no=notice.doc_no,
        qr=_qr(notice.qr_payload),
        caption=_fill(common.qr_caption, values),
        footer=_fill(common.footer, values),
        page_label=common.page_label,
        reprint_mark=common.reprint_mark if notice.reprint else "",
    )
    builder = _Builder(notice, template, decor)
    story = builder.part(template.main, values)
    if template.pledge is not None:
        for copy in template.pledge.copies:
            copy_values = _Values(values)
            copy_values["copy_label"] = _fill(copy, values)
            copy_values["title"] = template.pledge.part.title
            story += [NextPageTemplate("titled"), PageBreak()]
            story += builder.part(template.pledge.part, copy_values)

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=PAGE_H - QR_TOP,
        bottomMargin=FRAME_BOTTOM, title=f"{values['title']} {notice.doc_no}", author=notice.hall_name,
        subject=notice.case_no, creator="HallDesk 一窗通", initialFontName=FONT,
    )
    frame = partial(Frame, MARGIN_X, FRAME_BOTTOM, CONTENT_W, leftPadding=0, rightPadding=0, topPadding=0,
                    bottomPadding=0)
    doc.addPageTemplates([
        PageTemplate("titled", frames=[frame(QR_TOP - FRAME_BOTTOM, id="titled")]),
        PageTemplate("continued", frames=[frame(decor.band_bottom - FRAME_BOTTOM, id="continued")]),
    ])
    maker: Callable[..., Any] = partial(_DeferredCanvas, decor=decor)
    doc.build(story, canvasmaker=maker)
    return buffer.getvalue()
