"""The service catalog (政务服务事项目录): browsing, the chief representative's guide editor, YAML import/export.

The YAML file is the catalog's portable form.  ``export_yaml`` writes one canonical spelling, so that
``import`` followed by ``export`` gives the same bytes back; ``import_yaml`` checks the whole file first and
reports every problem with its line, and imports nothing if there is any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import limits
from app.auth import Actor, require_department
from app.errors import Conflict, HallDeskError, NotFound, ValidationError
from app.roles import require
from app.uow import UnitOfWork
from db.models import Department, MaterialRequirement, RegionalAssessment, Seal, ServiceItem, new_id

ITEM_KINDS = ("行政许可", "行政确认", "行政备案", "其他行政权力", "公共服务")
CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{0,15}$")
ITEM_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
MATERIAL_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
MAX_DAYS = 365
MAX_COPIES = 99  # as at the counter (份数 0–99)


# ---- plain data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    """One required material of an item, as shown, edited, imported and exported."""

    code: str
    name: str
    originals: int = 1
    copies: int = 0
    required: bool = True
    tolerable: bool = False
    covered_by: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ItemGuide:
    """An item's guide (办事指南): everything a chief representative may edit."""

    code: str
    name: str
    kind: str
    legal_basis: str
    legal_days: int
    promised_days: int
    immediate: bool
    fee: str
    materials: tuple[Material, ...] = ()


@dataclass(frozen=True)
class Item(ItemGuide):
    dept: str = ""
    dept_name: str = ""
    version: int = 0
    active: bool = True

    @property
    def guide(self) -> ItemGuide:
        return ItemGuide(**{f: getattr(self, f) for f in ItemGuide.__dataclass_fields__})

    def as_json(self) -> dict[str, Any]:
        """The shape of ``catalog list --json``."""
        return {
            "code": self.code,
            "name": self.name,
            "dept": self.dept,
            "legal_days": self.legal_days,
            "promised_days": self.promised_days,
            "immediate": self.immediate,
            "materials": [
                {"code": m.code, "name": m.name, "required": m.required, "tolerable": m.tolerable,
                 "covered_by": m.covered_by}
                for m in self.materials
            ],
        }


@dataclass(frozen=True)
class DepartmentView:
    code: str
    name: str
    item_count: int


@dataclass(frozen=True)
class Assessment:
    code: str
    name: str
    note: str = ""


@dataclass(frozen=True)
class CatalogDepartment:
    code: str
    name: str
    items: tuple[ItemGuide, ...] = ()


@dataclass(frozen=True)
class CatalogFile:
    assessments: tuple[Assessment, ...]
    departments: tuple[CatalogDepartment, ...]


@dataclass(frozen=True)
class ImportSummary:
    departments: int
    items_added: int
    items_updated: int
    items_unchanged: int
    items_withdrawn: int
    assessments: int


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.message}" if self.line else self.message


class CatalogFileError(HallDeskError):
    """A catalog file with problems; nothing was imported."""

    exit_code = 2

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        head = f"目录文件{('“' + source + '”') if source else ''}有{len(problems)}处问题，未导入任何内容："
        super().__init__("\n".join([head, *(str(p) for p in problems)]))


# ---- rules shared by the editor and the importer --------------------------------------------------


def _shown(code: str, limit: limits.Limit = limits.MATERIAL_CODE) -> str:
    """A code as messages quote it: one that breaks its limit is not echoed (it may be huge or unprintable)."""
    return code if limit.problem(code) is None else "（编码无效）"


def guide_text_problems(guide: ItemGuide) -> list[tuple[str, str]]:
    """The guide's text against ``app.limits`` (too long, control characters), as (field, message)."""
    out: list[tuple[str, str]] = []
    for name, limit in (("code", limits.ITEM_CODE), ("name", limits.ITEM_NAME), ("kind", limits.ITEM_KIND),
                        ("legal_basis", limits.LEGAL_BASIS), ("fee", limits.FEE)):
        problem = limit.problem(getattr(guide, name))
        if problem:
            out.append((name, problem))
    for m in guide.materials:
        where = f"材料 {_shown(m.code)}"
        for limit, value in ((limits.MATERIAL_CODE, m.code), (limits.MATERIAL_NAME, m.name),
                             (limits.MATERIAL_NOTE, m.note), (limits.ASSESSMENT_CODE, m.covered_by or "")):
            problem = limit.problem(value)
            if problem:
                out.append((f"materials.{_shown(m.code)}", f"{where}：{problem}"))
    return out


def guide_problems(guide: ItemGuide, assessments: Iterable[str]) -> list[tuple[str, str]]:
    """Every rule an item guide breaks, as (field, Chinese message); empty when the guide is sound."""
    known = set(assessments)
    out = guide_text_problems(guide)
    if not ITEM_CODE_RE.match(guide.code):
        out.append(("code", f"事项编码“{_shown(guide.code, limits.ITEM_CODE)}”格式不正确（2–32位大写字母、数字或连字符）"))
    if not guide.name.strip():
        out.append(("name", "事项名称不能为空"))
    if guide.kind not in ITEM_KINDS:
        out.append(("kind", f"事项类型“{_shown(guide.kind, limits.ITEM_KIND)}”不正确，可选：{'、'.join(ITEM_KINDS)}"))
    for fname, label in (("legal_days", "法定时限"), ("promised_days", "承诺时限")):
        v = getattr(guide, fname)
        if not 0 <= v <= MAX_DAYS:
            out.append((fname, f"{label}须为0–{MAX_DAYS}个工作日，实际为{v}"))
    if guide.legal_days > 0 and guide.promised_days > guide.legal_days:
        out.append(("promised_days", f"承诺时限（{guide.promised_days}个工作日）不能超过法定时限（{guide.legal_days}个工作日）"))
    if guide.immediate and guide.promised_days != 0:
        out.append(("promised_days", "即办件的承诺时限应为0个工作日"))
    if not guide.immediate and guide.promised_days == 0:
        out.append(("promised_days", "承诺件的承诺时限至少为1个工作日（当场办结的请勾选“即办件”）"))
    if not guide.materials:
        out.append(("materials", "至少需要一项申请材料"))
    seen: set[str] = set()
    for m in guide.materials:
        where = f"材料 {_shown(m.code)}"
        if not MATERIAL_CODE_RE.match(m.code):
            out.append((f"materials.{_shown(m.code)}", f"{where}：材料编码格式不正确（1–16位大写字母、数字或连字符）"))
        if m.code in seen:
            out.append((f"materials.{_shown(m.code)}", f"{where}：材料编码重复"))
        seen.add(m.code)
        if not m.name.strip():
            out.append((f"materials.{_shown(m.code)}", f"{where}：材料名称不能为空"))
        if not (0 <= m.originals <= MAX_COPIES and 0 <= m.copies <= MAX_COPIES) or m.originals + m.copies == 0:
            out.append((f"materials.{_shown(m.code)}", f"{where}：原件和复印件份数须为0–{MAX_COPIES}，且至少一份"))
        if m.tolerable and not m.required:
            out.append((f"materials.{_shown(m.code)}", f"{where}：非必需材料无需标为可容缺"))
        if m.covered_by is not None:
            if m.covered_by not in known:
                out.append((f"materials.{_shown(m.code)}", f"{where}：区域评估“{_shown(m.covered_by, limits.ASSESSMENT_CODE)}”不存在"))
            if not m.required:
                out.append((f"materials.{_shown(m.code)}", f"{where}：只有必需材料才能由区域评估免于提交"))
    if guide.materials and all(m.tolerable or m.covered_by or not m.required for m in guide.materials):
        out.append(("materials", "至少需要一项不可容缺的必需材料（否则无从受理）"))
    return out


def _raise_problems(problems: list[tuple[str, str]]) -> None:
    if problems:
        field_name, _ = problems[0]
        raise ValidationError(field_name, "；".join(msg for _, msg in problems))


def _check_guide(guide: ItemGuide, assessments: Iterable[str]) -> None:
    _raise_problems(guide_problems(guide, assessments))


# ---- reading -------------------------------------------------------------------------------------


def _material(m: MaterialRequirement) -> Material:
    return Material(
        code=m.code, name=m.name, originals=m.originals, copies=m.copies, required=m.required,
        tolerable=m.tolerable, covered_by=m.covered_by.code if m.covered_by else None, note=m.note,
    )


def _item(i: ServiceItem) -> Item:
    return Item(
        code=i.code, name=i.name, kind=i.kind, legal_basis=i.legal_basis, legal_days=i.legal_days,
        promised_days=i.promised_days, immediate=i.immediate, fee=i.fee,
        materials=tuple(_material(m) for m in i.materials),
        dept=i.department.code, dept_name=i.department.name, version=i.version, active=i.active,
    )


def _items_query(active_only: bool = True) -> Any:
    q = (
        select(ServiceItem)
        .join(Department)
        .options(
            selectinload(ServiceItem.materials).selectinload(MaterialRequirement.covered_by),
            selectinload(ServiceItem.department),
        )
        .order_by(Department.sort_order, ServiceItem.sort_order, ServiceItem.code)
    )
    return q.where(ServiceItem.active.is_(True)) if active_only else q


def list_departments(uow: UnitOfWork) -> list[DepartmentView]:
    with uow:
        s = uow.session
        depts = s.execute(select(Department).order_by(Department.sort_order, Department.code)).scalars().all()
        counts: dict[Any, int] = {}
        for dept_id in s.execute(select(ServiceItem.dept_id).where(ServiceItem.active.is_(True))).scalars():
            counts[dept_id] = counts.get(dept_id, 0) + 1
        return [DepartmentView(d.code, d.name, counts.get(d.id, 0)) for d in depts]


def list_assessments(uow: UnitOfWork) -> list[Assessment]:
    with uow:
        rows = uow.session.execute(select(RegionalAssessment).order_by(RegionalAssessment.sort_order)).scalars()
        return [Assessment(a.code, a.name, a.note) for a in rows]


def list_items(uow: UnitOfWork, dept: str | None = None, *, include_withdrawn: bool = False) -> list[Item]:
    with uow:
        q = _items_query(active_only=not include_withdrawn)
        if dept:
            q = q.where(Department.code == dept)
        return [_item(i) for i in uow.session.execute(q).scalars()]


def get_item(uow: UnitOfWork, code: str) -> Item:
    with uow:
        i = uow.session.execute(_items_query(active_only=False).where(ServiceItem.code == code)).scalar_one_or_none()
        if i is None:
            raise NotFound(f"事项编码 {code} 不存在")
        return _item(i)


# ---- editing -------------------------------------------------------------------------------------


def _assessment_map(s: Session) -> dict[str, RegionalAssessment]:
    return {a.code: a for a in s.execute(select(RegionalAssessment)).scalars()}


def _apply_guide(s: Session, item: ServiceItem, guide: ItemGuide, assessments: dict[str, RegionalAssessment]) -> None:
    """Write ``guide`` onto ``item``, keeping material rows (and their ids) whose codes stay."""
    item.name = guide.name.strip()
    item.kind = guide.kind
    item.legal_basis = guide.legal_basis.strip()
    item.legal_days = guide.legal_days
    item.promised_days = guide.promised_days
    item.immediate = guide.immediate
    item.fee = guide.fee.strip()
    existing = {m.code: m for m in item.materials}
    wanted = {m.code for m in guide.materials}
    for code, old in existing.items():
        if code not in wanted:
            item.materials.remove(old)
    # Deleting first: a code can move between rows without tripping the (item, code) unique key.
    s.flush()
    for order, m in enumerate(guide.materials):
        row = existing.get(m.code)
        if row is None:
            row = MaterialRequirement(code=m.code)
            item.materials.append(row)
        assert row is not None
        row.name = m.name.strip()
        row.originals = m.originals
        row.copies = m.copies
        row.required = m.required
        row.tolerable = m.tolerable
        row.covered_by = assessments[m.covered_by] if m.covered_by else None
        row.note = m.note.strip()
        row.sort_order = order


def _guide_json(g: ItemGuide) -> dict[str, Any]:
    d = asdict(g)
    d["materials"] = [asdict(m) for m in g.materials]
    return d


def update_item(uow: UnitOfWork, actor: Actor, guide: ItemGuide, expected_version: int | None = None) -> Item:
    """Save a chief representative's (or admin's) edit of an item's guide; audited with before/after."""
    require(actor, "catalog.edit")
    _raise_problems(guide_text_problems(guide))
    with uow:
        s = uow.session
        item = s.execute(_items_query(active_only=False).where(ServiceItem.code == guide.code)).scalar_one_or_none()
        if item is None:
            raise NotFound(f"事项编码 {guide.code} 不存在")
        require_department(actor, item.dept_id, item.department.name)
        if expected_version is not None and item.version != expected_version:
            raise Conflict("该事项已被他人修改，请重新打开后再编辑")
        assessments = _assessment_map(s)
        _check_guide(guide, assessments)
        before = _item(item).guide
        if before == guide:
            return _item(item)
        _apply_guide(s, item, guide, assessments)
        s.flush()
        uow.audit(actor.username, "item.update", "service_item", str(item.id),
                  {"code": item.code, "before": _guide_json(before), "after": _guide_json(guide)})
        s.refresh(item)
        result = _item(item)
        uow.commit()
        return result


def create_item(uow: UnitOfWork, actor: Actor, dept: str, guide: ItemGuide) -> Item:
    """Add a new item to ``dept`` (its chief representative, or an admin)."""
    require(actor, "catalog.edit")
    limits.check(limits.DEPT_CODE, dept, "dept")
    _raise_problems(guide_text_problems(guide))
    with uow:
        s = uow.session
        department = s.execute(select(Department).where(Department.code == dept)).scalar_one_or_none()
        if department is None:
            raise NotFound(f"部门代码 {dept} 不存在")
        require_department(actor, department.id, department.name)
        assessments = _assessment_map(s)
        _check_guide(guide, assessments)
        if s.execute(select(ServiceItem.id).where(ServiceItem.code == guide.code)).first():
            raise Conflict(f"事项编码 {guide.code} 已存在")
        last = max((i.sort_order for i in department.items), default=-1)
        item = ServiceItem(code=guide.code, department=department, sort_order=last + 1, materials=[])
        s.add(item)
        _apply_guide(s, item, guide, assessments)
        s.flush()
        uow.audit(actor.username, "item.create", "service_item", str(item.id),
                  {"code": item.code, "dept": dept, "after": _guide_json(guide)})
        result = _item(item)
        uow.commit()
        return result


def guide_from_json(doc: object) -> tuple[ItemGuide, int | None]:
    """An edited guide in the shape of ``catalog show`` (``catalog update --json``) and the version it was made
    from; a ValidationError naming the field when the shape is wrong."""
    if not isinstance(doc, dict):
        raise ValidationError("json", "事项 JSON 应为对象（catalog show 的输出）")

    def get(obj: dict[Any, Any], key: str, kind: type | tuple[type, ...], what: str, where: str = "",
            default: Any = None) -> Any:
        if key not in obj:
            if default is None:
                raise ValidationError(f"{where}{key}", f"缺少字段 {where}{key}（{what}）")
            return default
        value = obj[key]
        # bool is an int to Python; a count or a number of days written as true/false is still wrong.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValidationError(f"{where}{key}", f"字段 {where}{key}（{what}）的类型不正确")
        return value

    materials = get(doc, "materials", list, "申请材料列表")
    parsed: list[Material] = []
    for i, m in enumerate(materials, start=1):
        if not isinstance(m, dict):
            raise ValidationError("materials", f"第{i}项申请材料应为对象")
        at = f"materials[{i}]."
        covered = m.get("covered_by")
        if covered is not None and not isinstance(covered, str):
            raise ValidationError(f"{at}covered_by", f"字段 {at}covered_by（区域评估编码）应为文本或 null")
        parsed.append(Material(
            code=get(m, "code", str, "材料编码", at), name=get(m, "name", str, "材料名称", at),
            originals=get(m, "originals", int, "原件份数", at, 1), copies=get(m, "copies", int, "复印件份数", at, 0),
            required=get(m, "required", bool, "是否必需", at, True), tolerable=get(m, "tolerable", bool, "可否容缺", at, False),
            covered_by=covered, note=get(m, "note", str, "材料备注", at, "")))
    version = doc.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValidationError("version", "字段 version 应为整数")
    guide = ItemGuide(
        code=get(doc, "code", str, "事项编码"), name=get(doc, "name", str, "事项名称"), kind=get(doc, "kind", str, "事项类型"),
        legal_basis=get(doc, "legal_basis", str, "设定依据", default=""),
        legal_days=get(doc, "legal_days", int, "法定时限"), promised_days=get(doc, "promised_days", int, "承诺时限"),
        immediate=get(doc, "immediate", bool, "是否即办件", default=False), fee=get(doc, "fee", str, "收费标准", default="不收费"),
        materials=tuple(parsed))
    return guide, version


# ---- YAML export -----------------------------------------------------------------------------------


def _material_doc(m: Material) -> dict[str, Any]:
    return {"code": m.code, "name": m.name, "originals": m.originals, "copies": m.copies, "required": m.required,
            "tolerable": m.tolerable, "covered_by": m.covered_by, "note": m.note}


def _item_doc(g: ItemGuide) -> dict[str, Any]:
    return {"code": g.code, "name": g.name, "kind": g.kind, "legal_basis": g.legal_basis,
            "legal_days": g.legal_days, "promised_days": g.promised_days, "immediate": g.immediate,
            "fee": g.fee, "materials": [_material_doc(m) for m in g.materials]}


def dump_catalog(catalog: CatalogFile) -> str:
    doc = {
        "version": 1,
        "regional_assessments": [{"code": a.code, "name": a.name, "note": a.note} for a in catalog.assessments],
        "departments": [
            {"code": d.code, "name": d.name, "items": [_item_doc(i) for i in d.items]} for d in catalog.departments
        ],
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100_000, indent=2)


def read_catalog(uow: UnitOfWork) -> CatalogFile:
    with uow:
        s = uow.session
        assessments = tuple(
            Assessment(a.code, a.name, a.note)
            for a in s.execute(select(RegionalAssessment).order_by(RegionalAssessment.sort_order)).scalars()
        )
        items = [_item(i) for i in s.execute(_items_query()).scalars()]
        depts = s.execute(select(Department).order_by(Department.sort_order, Department.code)).scalars().all()
        return CatalogFile(
            assessments=assessments,
            departments=tuple(
                CatalogDepartment(d.code, d.name, tuple(i.guide for i in items if i.dept == d.code)) for d in depts
            ),
        )


def export_yaml(uow: UnitOfWork) -> str:
    return dump_catalog(read_catalog(uow))


# ---- YAML import -----------------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"


@dataclass
class _Reader:
    """Reads a composed YAML node tree, collecting every problem with its line instead of stopping."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1 if node is not None else 0, message))

    def mapping(self, node: yaml.Node, what: str, keys: dict[str, bool]) -> dict[str, yaml.Node] | None:
        """A mapping with the given keys (True = required); unknown and duplicate keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.add(node, f"{what}应为键值映射")
            return None
        out: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else None
            if key is None or key not in keys:
                self.add(knode, f"{what}中有未知字段“{key}”（可用字段：{'、'.join(keys)}）")
            elif key in out:
                self.add(knode, f"{what}中字段“{key}”重复")
            else:
                out[key] = vnode
        for key, required in keys.items():
            if required and key not in out:
                self.add(node, f"{what}缺少字段“{key}”")
        return out

    def sequence(self, node: yaml.Node | None, what: str) -> list[yaml.Node]:
        if node is None:
            return []
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null":
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.add(node, f"{what}应为列表")
            return []
        return list(node.value)

    def text(self, m: dict[str, yaml.Node], key: str, what: str, default: str | None = None, *, nonempty: bool = False,
             limit: limits.Limit | None = None) -> str:
        node = m.get(key)
        if node is None:
            return default if default is not None else ""
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_TAG + "str", _TAG + "null"):
            self.add(node, f"{what}的“{key}”应为文本")
            return ""
        value = "" if node.tag == _TAG + "null" else str(node.value)
        if nonempty and not value.strip():
            self.add(node, f"{what}的“{key}”不能为空")
        problem = limit.problem(value) if limit is not None else None
        if problem:
            self.add(node, f"{what}：{problem}")
        return value

    def integer(self, m: dict[str, yaml.Node], key: str, what: str, default: int) -> int:
        node = m.get(key)
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag != _TAG + "int":
            self.add(node, f"{what}的“{key}”应为整数，实际为“{str(getattr(node, 'value', ''))[:20]}”")
            return default
        try:
            return int(node.value)
        except ValueError:  # 0x1A, 1_000, an explicit !!int tag on text, thousands of digits
            self.add(node, f"{what}的“{key}”应为十进制整数，实际为“{str(node.value)[:20]}”")
            return default

    def boolean(self, m: dict[str, yaml.Node], key: str, what: str, default: bool) -> bool:
        node = m.get(key)
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag != _TAG + "bool":
            self.add(node, f"{what}的“{key}”应为 true 或 false，实际为“{str(getattr(node, 'value', ''))[:20]}”")
            return default
        return str(node.value).lower() in ("true", "yes", "on")

    def optional_code(self, m: dict[str, yaml.Node], key: str, what: str) -> str | None:
        node = m.get(key)
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null"):
            return None
        return self.text(m, key, what) or None


_ASSESSMENT_KEYS = {"code": True, "name": True, "note": False}
_DEPT_KEYS = {"code": True, "name": True, "items": False}
_ITEM_KEYS = {"code": True, "name": True, "kind": True, "legal_basis": False, "legal_days": True,
              "promised_days": True, "immediate": False, "fee": False, "materials": True}
_MATERIAL_KEYS = {"code": True, "name": True, "originals": False, "copies": False, "required": False,
                  "tolerable": False, "covered_by": False, "note": False}


# PyYAML's problems, by a part of their English text, in Chinese.
_YAML_PROBLEMS = (
    ("'\\t' that cannot start any token", "不能用制表符缩进，请用空格"),
    ("that cannot start any token", "有不能出现在此处的字符"),
    ("mapping values are not allowed here", "此处不能出现“键: 值”（冒号后须有空格，或缩进不对）"),
    ("could not find expected ':'", "缺少冒号"),
    ("unexpected end of stream", "文件意外结束（引号或括号没有闭合）"),
    ("expected <block end>", "缩进不一致"),
    ("expected ',' or ']'", "方括号没有闭合"),
    ("expected ',' or '}'", "花括号没有闭合"),
    ("unknown escape character", "双引号文本中的反斜杠转义不正确"),
    ("undefined alias", "引用了未定义的别名（*）"),
    ("duplicate anchor", "锚点（&）重复"),
    ("second occurrence", "锚点（&）重复"),
    ("incompatible YAML document", "YAML 版本不受支持"),
)


class _CatalogLoader(yaml.SafeLoader):
    """No aliases (*name): the canonical file has none, and a few nested ones would make the checks read
    a billion nodes."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark: yaml.Mark | None = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "alias", mark)
        return super().compose_node(parent, index)


def _yaml_error(exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        return Problem(0, f"YAML 文件第{exc.position + 1}个字符是不允许的控制字符（U+{exc.character:04X}）"
                          if isinstance(exc.character, int) else "YAML 文件含有无法识别的字节")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        if exc.problem == "alias":
            return Problem(line, "YAML 语法错误：目录文件不能使用别名（*）")
        what = next((cn for en, cn in _YAML_PROBLEMS if en in (exc.problem or "")), "格式不正确")
        return Problem(line, f"YAML 语法错误：{what}")
    return Problem(0, "YAML 语法错误：格式不正确")


def parse_catalog(text: str) -> CatalogFile:
    """Parse and check a whole catalog file; raises CatalogFileError listing every problem."""
    r = _Reader()
    try:
        root = yaml.compose(text.removeprefix("\ufeff"), Loader=_CatalogLoader)
    except yaml.YAMLError as exc:
        raise CatalogFileError([_yaml_error(exc)]) from None
    except RecursionError:
        raise CatalogFileError([Problem(0, "YAML 嵌套层数过多，无法读取")]) from None
    if root is None:
        raise CatalogFileError([Problem(0, "文件为空")])
    top = r.mapping(root, "目录文件", {"version": True, "regional_assessments": False, "departments": True})
    if top is None:
        raise CatalogFileError(r.problems)
    if "version" in top and r.integer(top, "version", "目录文件", 0) != 1:
        r.add(top["version"], "目录文件版本（version）应为 1")

    assessments: list[Assessment] = []
    assessment_lines: dict[str, int] = {}
    for node in r.sequence(top.get("regional_assessments"), "regional_assessments"):
        m = r.mapping(node, "区域评估", _ASSESSMENT_KEYS)
        if m is None:
            continue
        code = r.text(m, "code", "区域评估", nonempty=True, limit=limits.ASSESSMENT_CODE)
        what = f"区域评估 {_shown(code, limits.ASSESSMENT_CODE)}"
        if code and not CODE_RE.match(code):
            r.add(m["code"], f"{what}：编码须为大写字母开头的1–16位大写字母或数字")
        if code in assessment_lines:
            r.add(m["code"], f"{what}：编码重复（第{assessment_lines[code]}行已有）")
        assessment_lines[code] = node.start_mark.line + 1
        assessments.append(Assessment(code, r.text(m, "name", what, nonempty=True, limit=limits.ASSESSMENT_NAME),
                                      r.text(m, "note", what, limit=limits.ASSESSMENT_NOTE)))

    departments: list[CatalogDepartment] = []
    dept_lines: dict[str, int] = {}
    item_lines: dict[str, int] = {}
    for dnode in r.sequence(top.get("departments"), "departments"):
        dm = r.mapping(dnode, "部门", _DEPT_KEYS)
        if dm is None:
            continue
        dcode = r.text(dm, "code", "部门", nonempty=True, limit=limits.DEPT_CODE)
        dwhat = f"部门 {_shown(dcode, limits.DEPT_CODE)}"
        if dcode and not CODE_RE.match(dcode):
            r.add(dm["code"], f"{dwhat}：部门代码须为大写字母开头的1–16位大写字母或数字")
        if dcode in dept_lines:
            r.add(dm["code"], f"{dwhat}：部门代码重复（第{dept_lines[dcode]}行已有）")
        dept_lines[dcode] = dnode.start_mark.line + 1
        items: list[ItemGuide] = []
        for inode in r.sequence(dm.get("items"), f"{dwhat}的 items"):
            im = r.mapping(inode, f"{dwhat}的事项", _ITEM_KEYS)
            if im is None:
                continue
            icode = r.text(im, "code", "事项", nonempty=True)
            iwhat = f"事项 {_shown(icode, limits.ITEM_CODE)}"
            if icode in item_lines:
                r.add(im["code"], f"{iwhat}：事项编码重复（第{item_lines[icode]}行已有）")
            item_lines[icode] = inode.start_mark.line + 1
            materials: list[Material] = []
            material_lines: dict[str, yaml.Node] = {}
            for mnode in r.sequence(im.get("materials"), f"{iwhat}的 materials"):
                mm = r.mapping(mnode, f"{iwhat}的材料", _MATERIAL_KEYS)
                if mm is None:
                    continue
                mcode = r.text(mm, "code", f"{iwhat}的材料", nonempty=True)
                mwhat = f"{iwhat}的材料 {_shown(mcode)}"
                material_lines.setdefault(mcode, mnode)
                materials.append(Material(
                    code=mcode,
                    name=r.text(mm, "name", mwhat, nonempty=True),
                    originals=r.integer(mm, "originals", mwhat, 1),
                    copies=r.integer(mm, "copies", mwhat, 0),
                    required=r.boolean(mm, "required", mwhat, True),
                    tolerable=r.boolean(mm, "tolerable", mwhat, False),
                    covered_by=r.optional_code(mm, "covered_by", mwhat),
                    note=r.text(mm, "note", mwhat),
                ))
            guide = ItemGuide(
                code=icode,
                name=r.text(im, "name", iwhat, nonempty=True),
                kind=r.text(im, "kind", iwhat),
                legal_basis=r.text(im, "legal_basis", iwhat),
                legal_days=r.integer(im, "legal_days", iwhat, 0),
                promised_days=r.integer(im, "promised_days", iwhat, 0),
                immediate=r.boolean(im, "immediate", iwhat, False),
                fee=r.text(im, "fee", iwhat, "不收费"),
                materials=tuple(materials),
            )
            for fname, message in guide_problems(guide, assessment_lines):
                if fname.startswith("materials."):
                    node = material_lines.get(fname.split(".", 1)[1], inode)
                else:
                    node = im.get(fname.split(".")[0], inode)
                named = f"（{guide.name}）" if limits.ITEM_NAME.problem(guide.name) is None else ""
                r.add(node, f"{iwhat}{named}：{message}")
            items.append(guide)
        departments.append(CatalogDepartment(dcode, r.text(dm, "name", dwhat, nonempty=True, limit=limits.DEPT_NAME),
                                             tuple(items)))
    if not departments and "departments" in top:
        r.add(top["departments"], "目录中没有任何部门")
    if r.problems:
        raise CatalogFileError(sorted(r.problems, key=lambda p: p.line))
    return CatalogFile(tuple(assessments), tuple(departments))


def import_catalog(uow: UnitOfWork, actor: Actor | None, catalog: CatalogFile, *, source: str = "") -> ImportSummary:
    """Make the database's catalog equal to ``catalog`` in one transaction.

    Items missing from the file are withdrawn (停用), not deleted: cases refer to them.  ``actor`` None is
    the bootstrap (`demo`, first start), audited as ``system``.
    """
    if actor is not None:
        require(actor, "catalog.import")
    who = actor.username if actor else "system"
    added = updated = unchanged = withdrawn = 0
    with uow:
        s = uow.session
        depts = {d.code: d for d in s.execute(select(Department)).scalars()}
        assessments = _assessment_map(s)
        for order, a in enumerate(catalog.assessments):
            arow = assessments.get(a.code)
            if arow is None:
                arow = RegionalAssessment(code=a.code)
                s.add(arow)
                assessments[a.code] = arow
            arow.name, arow.note, arow.sort_order = a.name, a.note, order
        for order, d in enumerate(catalog.departments):
            dept = depts.get(d.code)
            if dept is None:
                dept = Department(id=new_id(), code=d.code, name=d.name)
                s.add(dept)
                depts[d.code] = dept
                # Every department's back office gets its 审批专用章 on record, kept by its chief representative.
                s.add(Seal(id=new_id(), dept_id=dept.id, name=f"{d.name}审批专用章", active=True))
            dept.name, dept.sort_order = d.name, order
        s.flush()
        items = {i.code: i for i in s.execute(_items_query(active_only=False)).scalars()}
        in_file: set[str] = set()
        for d in catalog.departments:
            for order, guide in enumerate(d.items):
                in_file.add(guide.code)
                irow = items.get(guide.code)
                if irow is None:
                    irow = ServiceItem(code=guide.code, department=depts[d.code], materials=[])
                    s.add(irow)
                    _apply_guide(s, irow, guide, assessments)
                    added += 1
                else:
                    same = _item(irow).guide == guide and irow.department.code == d.code and irow.active
                    irow.department = depts[d.code]
                    irow.active = True
                    if same:
                        unchanged += 1
                    else:
                        _apply_guide(s, irow, guide, assessments)
                        updated += 1
                irow.sort_order = order
        for code, old in items.items():
            if code not in in_file and old.active:
                old.active = False
                withdrawn += 1
        s.flush()
        used = set(s.execute(select(MaterialRequirement.covered_by_id)).scalars())
        wanted = {a.code for a in catalog.assessments}
        for code, unused in assessments.items():
            if code not in wanted and unused.id not in used:
                s.delete(unused)
        summary = ImportSummary(
            departments=len(catalog.departments), items_added=added, items_updated=updated,
            items_unchanged=unchanged, items_withdrawn=withdrawn, assessments=len(catalog.assessments),
        )
        uow.audit(who, "catalog.import", "catalog", source or "-", asdict(summary))
        uow.commit()
        return summary


def import_yaml(uow: UnitOfWork, actor: Actor | None, text: str, *, source: str = "") -> ImportSummary:
    try:
        catalog = parse_catalog(text)
    except CatalogFileError as exc:
        raise CatalogFileError(exc.problems, source) from None
    return import_catalog(uow, actor, catalog, source=source)


def with_materials(guide: ItemGuide, materials: Iterable[Material]) -> ItemGuide:
    return replace(guide, materials=tuple(materials))
