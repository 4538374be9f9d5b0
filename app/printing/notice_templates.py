"""The notices' wording: what a notice holds, its kinds, and the templates (``notices.yaml``) that word them.

The wording lives in ``resources/templates/notices.yaml`` (a hall edits it without touching code).
:func:`load_templates` reads and validates a template file and says in Chinese what is wrong with a broken one;
:func:`template_values` and :func:`fill` put a :class:`Notice`'s values into a template's text, and
:func:`holds` decides a block's ``when``.  Laying the filled text out on A4 is :mod:`app.printing.pdf`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any, Final

import yaml

from app.errors import ValidationError
from app.resources import resources_dir

__all__ = [
    "DECISION_KINDS",
    "KIND_NAMES",
    "MATERIAL_STATES",
    "NOTICE_KINDS",
    "PARAGRAPH_STYLES",
    "TABLE_MODES",
    "Block",
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
    "Values",
    "cn_date",
    "default_templates_path",
    "fill",
    "holds",
    "load_templates",
    "placeholders",
    "rows_for",
    "template_values",
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


# ----------------------------------------------------------------------------------- filling a template


class Values(dict[str, str]):
    """The placeholder values; an unknown name fails with a Chinese message instead of a KeyError."""

    def __missing__(self, key: str) -> str:
        raise ValidationError(
            "templates", f"文书模板使用了未知的占位符 {{{key}}}。可用的占位符有：{'、'.join(sorted(self))}"
        )


def fill(text: str, values: Values) -> str:
    try:
        return text.format_map(values)
    except (ValueError, IndexError) as exc:
        raise ValidationError("templates", f"文书模板中的文字“{text}”无法填入：{exc}") from None


def cn_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.year}年{d.month}月{d.day}日"


def template_values(notice: Notice, template: Template) -> Values:
    values = Values()
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
    values["deficient_count"] = str(len(rows_for(notice.materials, "deficient")))
    values["tolerated_count"] = str(len(rows_for(notice.materials, "tolerated")))
    return values


def holds(conditions: tuple[str, ...], notice: Notice, values: Mapping[str, str]) -> bool:
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


def rows_for(materials: tuple[NoticeMaterial, ...], mode: str) -> list[NoticeMaterial]:
    if mode == "deficient":
        return [m for m in materials if m.state in ("missing", "defective")]
    if mode == "tolerated":
        return [m for m in materials if m.state == "tolerated"]
    return list(materials)
