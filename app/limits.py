"""The one home of the limits on what people type: how long each field may be, and which characters no engine
stores safely.

Each limit is derived from the model's column (``String(n)``: n characters on every engine; a ``Text``
column declares its limit as ``info={"max_chars": n}``), so the schema, the services and the GUI's input
fields cannot disagree.  A few fields are tighter than their column, because the service stores them with
words of its own (an opinion in ``case_event.note``); the hall's settings live in one JSON row and have no
column, so their limits are written here.

Every service that takes text from a person calls ``check`` / ``check_all`` first, before anything touches
the database.  Besides the length it refuses text that cannot be stored, with a message that names the
field in Chinese:

* NUL and the other C0 control characters (and DEL): PostgreSQL cannot store NUL at all, and the others are
  invisible garbage from a scanner or a pasted file — tab, line feed and carriage return are allowed in the
  multi-line fields only;
* lone surrogates (U+D800–U+DFFF): not characters at all, they come from a command-line argument or a file
  that was not UTF-8, and no driver can encode them.

Lengths count characters (code points), as PostgreSQL's and MariaDB's VARCHAR(n) do, of the text as given;
the character check ignores the spaces and line breaks around it (a scanner's or a file's trailing newline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.errors import ValidationError
from db.models import (
    CalendarOverride,
    Case,
    CaseEvent,
    CaseFile,
    CaseMaterial,
    Counter,
    CounterKey,
    Department,
    Enterprise,
    EnterpriseCertification,
    Evaluation,
    Grievance,
    GrievanceEvent,
    Handover,
    MaterialRequirement,
    PrinterProfile,
    PrintJob,
    Rectification,
    RegionalAssessment,
    ServiceItem,
    TransferBatch,
    User,
)

# Anything below U+0020 (C0), DEL, and the surrogate range; multi-line text may hold tab, LF and CR.
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True)
class Limit:
    """What one field may hold: ``chars`` characters at most, on one line unless ``multiline``."""

    label: str  # the field's Chinese name, as messages and the README say it
    chars: int
    source: str  # where it is stored: "table.column", or the settings row
    multiline: bool = False

    def problem(self, value: str) -> str | None:
        """The Chinese message for what is wrong with ``value``, or None when it may be stored."""
        # The whole text counts (a few services store it untrimmed); a line break around it is harmless, as
        # the services that store it trimmed drop it.
        if len(value) > self.chars:
            return f"{self.label}不能超过{self.chars}个字（现为{len(value)}个字）"
        core = value.strip()
        bad = (_UNSAFE_TEXT if self.multiline else _UNSAFE_LINE).search(core)
        if bad is None:
            return None
        code = ord(bad.group())
        where = f"第{len(value) - len(value.lstrip()) + bad.start() + 1}个字符"
        if 0xD800 <= code <= 0xDFFF:
            return f"{self.label}含有无法识别的字符（{where}不是有效的文字，可能是文件或命令行的编码不是 UTF-8）"
        if code in (0x09, 0x0A, 0x0D):
            return f"{self.label}只能填写一行（{where}是制表符或换行）"
        return f"{self.label}含有不可见的控制字符（{where}，U+{code:04X}），请删除后重新输入"


ALL: list[Limit] = []


def _register(limit: Limit) -> Limit:
    ALL.append(limit)
    return limit


def _column(attribute: Any, label: str, *, multiline: bool = False, chars: int | None = None) -> Limit:
    """The limit of a mapped column; ``chars`` narrows it where the service adds words of its own."""
    column = attribute.property.columns[0]
    stored: int | None = column.info.get("max_chars") or getattr(column.type, "length", None)
    if stored is None:
        raise TypeError(f"{column.table.name}.{column.name} has no length: give it String(n) or info max_chars")
    if chars is not None and chars > stored:
        raise ValueError(f"{label}: {chars} characters do not fit {column.table.name}.{column.name} ({stored})")
    return _register(Limit(label, chars or stored, f"{column.table.name}.{column.name}", multiline))


def _setting(key: str, label: str, chars: int) -> Limit:
    return _register(Limit(label, chars, f"设置 `{key}`（JSON）"))


# ---- the catalog (事项目录) ---------------------------------------------------------------------------
DEPT_CODE = _column(Department.code, "部门代码")
DEPT_NAME = _column(Department.name, "部门名称")
ASSESSMENT_CODE = _column(RegionalAssessment.code, "区域评估编码")
ASSESSMENT_NAME = _column(RegionalAssessment.name, "区域评估名称")
ASSESSMENT_NOTE = _column(RegionalAssessment.note, "区域评估说明")
ITEM_CODE = _column(ServiceItem.code, "事项编码")
ITEM_NAME = _column(ServiceItem.name, "事项名称")
ITEM_KIND = _column(ServiceItem.kind, "事项类型")
LEGAL_BASIS = _column(ServiceItem.legal_basis, "设定依据", multiline=True)
FEE = _column(ServiceItem.fee, "收费标准")
MATERIAL_CODE = _column(MaterialRequirement.code, "材料编码")
MATERIAL_NAME = _column(MaterialRequirement.name, "材料名称")
MATERIAL_NOTE = _column(MaterialRequirement.note, "材料备注")

# ---- users, counters, printers --------------------------------------------------------------------------
USERNAME = _column(User.username, "用户名")
FULL_NAME = _column(User.full_name, "姓名")
# Not stored (only its argon2 hash): long enough for any passphrase, and no character the hasher cannot encode.
PASSWORD = _register(Limit("密码", 128, "不保存（只存 argon2 摘要）"))
COUNTER_NAME = _column(Counter.name, "窗口名称")
PRINTER_URI = _column(Counter.printer_uri, "热敏打印机地址")
A4_PRINTER_URI = _column(Counter.a4_printer_uri, "A4打印机地址")
PROFILE_URI = _column(PrinterProfile.uri, "打印机地址")

# ---- this PC's set-up (station.json; app/installation.py) ------------------------------------------------
DB_HOST = _register(Limit("数据库服务器地址", 253, "本机设置 `station.json`（一个 DNS 名的上限）"))
DB_NAME = _register(Limit("数据库名", 63, "本机设置 `station.json`（PostgreSQL 标识符的上限）"))
DB_USER = _register(Limit("数据库用户名", 63, "本机设置 `station.json`"))
DB_PASSWORD = _register(Limit("数据库密码", 128, "操作系统的凭据库，否则本机的密码文件（见 Installing in a hall）"))
KEY_FINGERPRINT = _column(CounterKey.fingerprint, "密钥指纹")
JOB_PRINTER_URI = _column(PrintJob.printer_uri, "打印任务的打印机地址")
PRINT_REASON = _column(PrintJob.reason, "补打原因")
CANCEL_REASON = _register(Limit("取消打印的原因", PRINT_REASON.chars, "审计记录（与补打原因同长）"))

# ---- the hall (大厅设置, 节假日) ------------------------------------------------------------------------
HALL_NAME = _setting("hall.name", "大厅名称", 64)
HALL_CODE = _setting("hall.code", "大厅代码", 4)
HALL_AREA_CODE = _setting("hall.area_code", "行政区划代码", 6)
HALL_ADDRESS = _setting("hall.address", "大厅地址", 255)
HALL_PHONE = _setting("hall.phone", "大厅联系电话", 20)
HALL_DOC_PREFIX = _setting("hall.doc_prefix", "文书编号前缀", 8)
HALL_REVIEW_AUTHORITY = _setting("hall.review_authority", "复议机关", 64)
HALL_COURT = _setting("hall.court", "诉讼法院", 64)
HOLIDAY_NOTE = _column(CalendarOverride.note, "节假日说明")

# ---- intake (综合受理) ------------------------------------------------------------------------------
USCC = _column(Enterprise.uscc, "统一社会信用代码")
ENTERPRISE_NAME = _column(Enterprise.name, "企业名称")
LEGAL_REP = _column(Enterprise.legal_rep, "法定代表人")
ENTERPRISE_ADDRESS = _column(Enterprise.address, "企业地址")
ENTERPRISE_PHONE = _column(Enterprise.contact_phone, "企业联系电话")
CERT_NUMBER = _column(EnterpriseCertification.number, "资质证书编号")
AGENT_NAME = _column(Case.agent_name, "经办人姓名")
AGENT_ID_NUMBER = _column(Case.agent_id_number, "经办人身份证号")
AGENT_PHONE = _column(Case.agent_phone, "经办人手机号")
EXTERNAL_ID = _column(Case.external_id, "网上申报编号")
CASE_NO = _column(Case.case_no, "办件编号")
INTAKE_REASON = _column(Case.refusal_reason, "不予受理或补正的理由", multiline=True)
REFUSAL_BASIS = _column(Case.refusal_basis, "不予受理的法律依据", multiline=True)
MATERIAL_PROBLEM = _column(CaseMaterial.note, "材料问题说明")
# 电子件 (issue 16): the file's name as it was on the clerk's PC, and why a file is exported (in the audit row).
FILE_NAME = _column(CaseFile.name, "文件名")
FILE_EXPORT_REASON = _register(Limit("导出原因", 255, "审计记录 `case.file.export`"))

# 材料流转 (issue 16): a 交接单's number, typed or scanned from its QR code (HDTB: and the number).
TRANSFER_BATCH_NO = _column(TransferBatch.batch_no, "交接单号")
TRANSFER_SCAN = _register(Limit("交接单号或交接单二维码", TRANSFER_BATCH_NO.chars + len("HDTB:"),
                                "不保存（签收时输入或扫码）"))

# ---- the back office (后台审批) ---------------------------------------------------------------------
OPINION = _column(CaseEvent.note, "审查意见", multiline=True, chars=1000)
DECISION_REASON = _column(Case.decision_reason, "审批理由", multiline=True)
DECISION_BASIS = _column(Case.decision_basis, "审批依据", multiline=True)
SPECIAL_REASON = _column(Case.special_reason, "特别程序理由", multiline=True)
EXTENSION_APPROVER = _column(Case.extension_approver, "延期批准人")
EXTENSION_REASON = _column(Case.extension_reason, "延期理由", multiline=True)
DEPT_DOC_PREFIX = _setting("dept:<部门>.doc_prefix", "决定书编号前缀", 12)

# ---- the output window (出件) -----------------------------------------------------------------------
SLIP = _column(Case.slip, "取件凭条")
PICKUP_CODE = _column(Case.pickup_code, "取件码")
COLLECTOR_NAME = _column(Handover.collector_name, "领取人姓名")
COLLECTOR_ID_NUMBER = _column(Handover.collector_id_number, "领取人身份证号")
PROXY_NOTE = _column(Handover.proxy_note, "代领说明")
MAIL_RECIPIENT = _column(Handover.mail_recipient, "收件人")
MAIL_PHONE = _column(Handover.mail_phone, "收件人手机号")
MAIL_ADDRESS = _column(Handover.mail_address, "邮寄地址")
TRACKING_NO = _column(Handover.tracking_no, "EMS单号")
# 终止办理 (issue 14 part 7): the reason goes into the history event, after words of the service's own.
TERMINATION_REASON = _column(CaseEvent.note, "终止办理理由", multiline=True, chars=1000)

# ---- 好差评 and 整改 ----------------------------------------------------------------------------------
RATING_COMMENT = _column(Evaluation.comment, "评价意见", multiline=True)
RECTIFICATION_CALLBACK = _column(Rectification.callback_note, "整改回访情况", multiline=True)
RECTIFICATION_FIX = _column(Rectification.fix_note, "整改措施", multiline=True)

# ---- 办不成事 (grievances) ---------------------------------------------------------------------------
GRIEVANCE_NO = _column(Grievance.grievance_no, "诉求编号")
COMPLAINANT = _column(Grievance.complainant, "诉求人姓名")
GRIEVANCE_PHONE = _column(Grievance.phone, "诉求人电话")
GRIEVANCE_CONTENT = _column(Grievance.content, "诉求内容", multiline=True)
GRIEVANCE_REPLY = _column(Grievance.reply, "办理结果", multiline=True)
GRIEVANCE_CALLBACK = _column(Grievance.callback_note, "诉求回访情况", multiline=True)
URGE_NOTE = _column(GrievanceEvent.note, "督办意见", multiline=True, chars=1000)


# ---- searching ------------------------------------------------------------------------------------------
# Not stored: a search box takes as much as the longest thing it finds (an enterprise's name).
SEARCH = _register(Limit("搜索条件", ENTERPRISE_NAME.chars, "不保存（搜索框，与企业名称同长）"))


def check(limit: Limit, value: str, field: str) -> str:
    """``value`` as given when ``limit`` allows it; otherwise a ValidationError on ``field`` in Chinese."""
    if not isinstance(value, str):
        raise ValidationError(field, f"{limit.label}应为文本")
    problem = limit.problem(value)
    if problem is not None:
        raise ValidationError(field, problem)
    return value


def check_all(*fields: tuple[Limit, str | None, str]) -> None:
    """``check`` each (limit, value, field); a None value (not given) passes."""
    for limit, value, field in fields:
        if value is not None:
            check(limit, value, field)


def check_each(limit: Limit, values: Iterable[str], field: str) -> None:
    for value in values:
        check(limit, value, field)


def table_rows() -> list[tuple[str, str, int, str]]:
    """(field, where it is stored, characters, one line or several) for every limit: the README's table."""
    return [(lim.label, lim.source, lim.chars, "多行" if lim.multiline else "单行") for lim in ALL]


def _code(source: str) -> str:
    return f"`{source}`" if re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", source) else source


def markdown_table() -> str:
    """The README's table of limits (``python -m app.limits`` prints it; a test keeps the README equal)."""
    lines = ["| 字段 | 上限（字） | 行 | 存于 |", "|---|---:|---|---|"]
    lines += [f"| {label} | {chars} | {rows} | {_code(source)} |" for label, source, chars, rows in table_rows()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
