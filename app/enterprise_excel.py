"""The registry's Excel workbook (园区企业名录): sheets 企业, 资质, 年度数据, headed in Chinese.

``write_workbook`` lays the rows out (frozen header row, column widths, number formats); ``read_workbook``
reads the same columns back and checks every cell, collecting every problem with its sheet, row and column
(``企业 第 7 行 A 列（统一社会信用代码）：…``) instead of stopping at the first.  No database here: the service
(``app.enterprises``) checks what needs the database (departments) and writes all or nothing.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app import limits
from app.enterprise_scale import SCALES, check_industry_code
from app.errors import ValidationError
from app.validators import check_uscc

MAX_FILE_BYTES = 20 * 1024 * 1024  # a registry of tens of thousands of enterprises is a few MB
MAX_ROWS = 50_000  # per sheet, header excluded: the 园区's enterprises and a few years' figures, with room
MAX_PROBLEMS = 200  # listed; the count says how many more there were
MAX_MONEY = Decimal("100000000")  # 万元 (1 万亿元): beyond it is a typing error, and Excel's float stays exact
MAX_EMPLOYEES = 10_000_000
YEARS = (1990, 2100)

CERT_KINDS = ("高新技术企业", "科技型中小企业", "创新型中小企业", "专精特新中小企业", "专精特新“小巨人”企业",
              "制造业单项冠军企业", "瞪羚企业", "独角兽企业")
CERT_LEVELS = ("", "国家级", "省级", "市级", "区级")

MONEY_FORMAT = "#,##0.0000"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: float
    number_format: str = "@"  # text, so that Excel keeps leading zeros and long codes as typed


SHEETS: dict[str, tuple[Column, ...]] = {
    "企业": (
        Column("统一社会信用代码", "uscc", 22), Column("企业名称", "name", 36),
        Column("法定代表人", "legal_rep", 12), Column("地址", "address", 40), Column("联系电话", "contact_phone", 15),
        Column("行业代码", "industry_code", 10), Column("企业规模", "scale", 10),
        Column("注册资本（万元）", "registered_capital", 16, MONEY_FORMAT),
        Column("成立日期", "founded_on", 12, DATE_FORMAT), Column("挂点部门", "liaison_dept", 18),
    ),
    "资质": (
        Column("统一社会信用代码", "uscc", 22), Column("资质类型", "kind", 22), Column("级别", "level", 8),
        Column("证书编号", "number", 24), Column("有效期起", "valid_from", 12, DATE_FORMAT),
        Column("有效期止", "valid_to", 12, DATE_FORMAT),
    ),
    "年度数据": (
        Column("统一社会信用代码", "uscc", 22), Column("年度", "year", 8, "0"),
        Column("工业总产值（万元）", "output_value", 18, MONEY_FORMAT),
        Column("营业收入（万元）", "revenue", 18, MONEY_FORMAT), Column("纳税总额（万元）", "tax", 16, MONEY_FORMAT),
        Column("研发投入（万元）", "rd_spend", 16, MONEY_FORMAT), Column("资产总额（万元）", "assets", 18, MONEY_FORMAT),
        Column("从业人员（人）", "employees", 14, "0"),
    ),
}


class RegistryFileError(ValidationError):
    """The workbook cannot be imported; ``problems`` lists each (where, what), at most MAX_PROBLEMS of them."""

    def __init__(self, problems: Sequence[tuple[str, str]], total: int | None = None) -> None:
        total = len(problems) if total is None else total
        shown = list(problems[:MAX_PROBLEMS])
        lines = [(where, f"{where}：{what}" if where else what) for where, what in shown]
        if total > len(shown):
            lines.append(("", f"另有 {total - len(shown)} 处问题未列出（只列前 {MAX_PROBLEMS} 处）"))
        first = lines[0][1]
        super().__init__(lines[0][0] or "file", first, problems=lines)
        self.total = total


# ---- writing ------------------------------------------------------------------------------------------


def write_workbook(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    """One workbook with the three sheets, ``rows[sheet]`` in order (values keyed by ``Column.key``)."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append([c.header for c in columns])
        for cell in ws[1]:
            cell.font = bold
        for row in rows.get(sheet, []):
            ws.append([row.get(c.key) for c in columns])
        for i, c in enumerate(columns, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = c.width
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = c.number_format
        ws.freeze_panes = "A2"
    try:
        wb.save(path)
    except OSError as exc:
        raise ValidationError("file", f"无法写入 {path}：{exc.strerror or exc}") from None


# ---- reading ------------------------------------------------------------------------------------------


@dataclass
class Problems:
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.items.append((where, what))


def where(sheet: str, row: int, col: int | None = None) -> str:
    if col is None:
        return f"{sheet} 第 {row} 行"
    return f"{sheet} 第 {row} 行 {get_column_letter(col + 1)} 列（{SHEETS[sheet][col].header}）"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number Excel took for a number
    return str(value).strip()


def _money(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("应为数字")
    try:
        # repr of Excel's float is its shortest exact form: 1234.5678 stays 1234.5678.
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"“{_text(value)[:20]}”不是数字") from None
    if not amount.is_finite():
        raise ValueError("应为数字")
    if amount < 0:
        raise ValueError("不能为负数")
    if amount >= MAX_MONEY:
        raise ValueError(f"不能超过 {MAX_MONEY:,} 万元（单位是万元）")
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValueError("最多4位小数（万元精确到元）")
    return amount.quantize(Decimal("0.0001"))


def _whole(value: Any, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("应为整数")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{_text(value)[:20]}”不是整数") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError("应为整数")
    if not low <= number <= high:
        raise ValueError(f"应在 {low} 至 {high} 之间")
    return int(number)


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise ValueError("应为日期（不含时间）")
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"“{_text(value)[:20]}”不是日期（应为 YYYY-MM-DD）") from None


def _limited(limit: limits.Limit) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        text = _text(value)
        problem = limit.problem(text)
        if problem:
            raise ValueError(problem)
        return text
    return read


def _required_text(limit: limits.Limit) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        text = _limited(limit)(value)
        if not text:
            raise ValueError(f"请填写{limit.label}")
        return text
    return read


def _uscc(value: Any) -> str:
    try:
        return check_uscc(_text(value))
    except ValidationError as exc:
        raise ValueError(exc.message) from None


def _industry(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    try:
        return check_industry_code(text)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


def _one_of(choices: Sequence[str], what: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        text = _text(value)
        if text not in choices:
            raise ValueError(f"{what}“{text[:20]}”不在可选值中（{'、'.join(c or '空' for c in choices)}）")
        return text
    return read


READERS: dict[str, Callable[[Any], Any]] = {
    "uscc": _uscc,
    "name": _required_text(limits.ENTERPRISE_NAME),
    "legal_rep": _limited(limits.LEGAL_REP),
    "address": _limited(limits.ENTERPRISE_ADDRESS),
    "contact_phone": _limited(limits.ENTERPRISE_PHONE),
    "industry_code": _industry,
    "scale": _one_of(("", *SCALES), "企业规模"),
    "registered_capital": _money,
    "founded_on": _date,
    "liaison_dept": _limited(limits.DEPT_NAME),
    "kind": _one_of(CERT_KINDS, "资质类型"),
    "level": _one_of(CERT_LEVELS, "级别"),
    "number": _limited(limits.CERT_NUMBER),
    "valid_from": _date,
    "valid_to": _date,
    "year": lambda v: _whole(v, *YEARS),
    "output_value": _money, "revenue": _money, "tax": _money, "rd_spend": _money, "assets": _money,
    "employees": lambda v: _whole(v, 0, MAX_EMPLOYEES),
}


@dataclass(frozen=True)
class SheetRow:
    sheet: str
    row: int  # the row number Excel shows
    values: dict[str, Any]


def _open(path: Path) -> Any:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise ValidationError("file", f"文件不存在：{path}") from None
    except IsADirectoryError:
        raise ValidationError("file", f"{path} 是文件夹，不是文件") from None
    except OSError as exc:
        raise ValidationError("file", f"无法读取文件 {path}：{exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise ValidationError("file", f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_FILE_BYTES // 1048576} MB）")
    if head != b"PK\x03\x04":
        raise ValidationError("file", f"{path.name} 不是 Excel 工作簿（.xlsx）：请在 Excel 中另存为 .xlsx 后再导入")
    try:
        return load_workbook(BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        raise ValidationError("file", f"{path.name} 不是有效的 Excel 工作簿（.xlsx），无法读取") from None


def _rows(ws: Any, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    # Some programs write a wrong <dimension>; read-only openpyxl would trust it and drop rows silently.
    ws.reset_dimensions()
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS + 1:
            raise ValidationError("file", f"工作表“{sheet}”超过 {MAX_ROWS} 行数据，请分批导入")
        yield number, tuple(values)


def read_workbook(path: Path) -> tuple[dict[str, list[SheetRow]], list[tuple[str, str]]]:
    """Every non-blank data row of the three sheets, and every problem found in a cell (sheet, row, column)."""
    wb = _open(path)
    try:
        missing = [s for s in SHEETS if s not in wb.sheetnames]
        if missing:
            raise ValidationError("file", f"工作簿缺少工作表：{'、'.join(missing)}（应有 {'、'.join(SHEETS)}）")
        out: dict[str, list[SheetRow]] = {}
        problems = Problems()
        for sheet, columns in SHEETS.items():
            out[sheet] = []
            rows = _rows(wb[sheet], sheet)
            first = next(rows, None)
            headers = [_text(v) for v in first[1]] if first else []
            wanted = [c.header for c in columns]
            if headers[: len(wanted)] != wanted:
                raise ValidationError("file", f"工作表“{sheet}”的表头应为：{'、'.join(wanted)}（第 1 行，按此顺序）")
            for number, values in rows:
                cells = list(values[: len(columns)]) + [None] * (len(columns) - len(values))
                if all(_text(v) == "" for v in cells):
                    continue
                parsed: dict[str, Any] = {}
                for i, (c, value) in enumerate(zip(columns, cells, strict=True)):
                    try:
                        parsed[c.key] = READERS[c.key](value)
                    except ValueError as exc:
                        problems.add(where(sheet, number, i), str(exc))
                out[sheet].append(SheetRow(sheet, number, parsed))
        return out, problems.items
    finally:
        wb.close()
