"""The role table: which role may do what.  The one home of every permission in HallDesk.

Each service starts with ``require(actor, "<action>")``; the GUI asks ``allowed(actor, "<action>")`` to show or
enable an action; the README's role table is printed from ``PERMISSIONS`` (``python -m app roles --markdown``),
and tests/test_roles.py runs every command named here as every role and compares the outcome with this table.
So the services, the two shells and the documentation cannot drift apart.

A role says *what* a user may do.  *Where* (``scope``) is checked by the service against the data: a reviewer
acts only on cases of their own department, a clerk only at their own counter, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.auth import ROLES, Actor
from app.errors import PermissionDenied

CLERK, REVIEWER, CHIEF, SUPERVISOR, ADMIN = "clerk", "reviewer", "chief_rep", "supervisor", "admin"
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Permission:
    """One action: its Chinese title, the roles that may take it, where (scope), and its CLI commands."""

    action: str
    title: str
    roles: frozenset[str]
    scope: str = ""
    commands: tuple[str, ...] = ()


def _p(action: str, title: str, roles: set[str] | frozenset[str], scope: str = "",
       commands: tuple[str, ...] = ()) -> Permission:
    unknown = set(roles) - EVERYONE
    assert not unknown, f"unknown roles in {action}: {unknown}"
    return Permission(action, title, frozenset(roles), scope, commands)


_TABLE: tuple[Permission, ...] = (
    # ---- the counter: 综合受理 -----------------------------------------------------------------------------
    _p("case.intake", "综合受理、补正后受理", {CLERK}, "本人所在窗口", ("case create", "case resubmit")),
    _p("case.import", "导入网上申请", {CLERK, ADMIN}, "", ("case import",)),
    _p("case.view", "查看办件（个人信息脱敏，不含取件码）", EVERYONE, "", ("case show", "case list", "case files")),
    _p("case.credentials", "查看取件码和取件凭条（记入审计）", {CLERK}, "出件窗口，或受理该件的窗口",
       ("case credentials",)),
    _p("case.files.attach", "给办件附电子件（扫描件）", {CLERK, REVIEWER, CHIEF},
       "窗口人员限本人受理的办件；审批人员和首席代表限本部门", ("case attach",)),
    _p("case.files.view", "打开电子件（记入查看留痕）", {CLERK, REVIEWER, CHIEF},
       "承办部门的审批人员和首席代表；采集该电子件的窗口人员；出件窗口", ()),
    _p("case.files.export", "导出电子件（须填写原因，记入查看留痕）", {CLERK, REVIEWER, CHIEF},
       "同打开电子件", ("case file-get",)),
    _p("transfer.create", "移交纸质材料（材料流转，生成交接单）", {CLERK}, "综合受理窗口，本窗口受理的办件",
       ("transfer create",)),
    _p("print.receipt", "打印、补打受理回执", {CLERK}, "受理该件的窗口", ("print receipt",)),
    _p("print.notice", "查看、补打通知书", {CLERK, REVIEWER, CHIEF, SUPERVISOR},
       "审批人员和首席代表限本部门办件；凭条二维码只印给出件窗口和受理窗口", ("print notice",)),
    _p("print.manage", "重试、取消打印任务", {CLERK, ADMIN}, "窗口人员限本窗口的任务", ("print retry", "print cancel")),
    _p("print.redirect", "把打印任务改派到另一台打印机", {CLERK}, "本窗口的任务", ("print redirect",)),
    _p("printer.setup", "打印机设置、打印测试页", {CLERK, ADMIN}, "窗口人员限本窗口的打印机",
       ("printer set", "printer test", "print test")),
    # ---- the back office: 后台审批 -------------------------------------------------------------------------
    _p("queue.view", "查看部门后台队列", {REVIEWER, CHIEF, SUPERVISOR}, "审批人员和首席代表限本部门", ("queue",)),
    _p("case.review", "领取、续期、释放、审查意见、审批决定", {REVIEWER, CHIEF}, "本部门的办件",
       ("case claim", "case renew", "case release", "case opinion", "case decide")),
    _p("transfer.receive", "签收纸质材料（交接单）", {REVIEWER, CHIEF}, "移交本部门的交接单", ("transfer receive",)),
    _p("transfer.view", "查看交接单", {CLERK, REVIEWER, CHIEF, SUPERVISOR},
       "窗口人员限本窗口移交的；审批人员和首席代表限本部门", ("transfer list",)),
    _p("case.reassign", "改派办件", {CHIEF}, "本部门", ("case reassign",)),
    _p("case.clock", "特别程序中止、恢复计时、延期", {REVIEWER, CHIEF}, "本部门的办件", ("case suspend", "case resume", "case extend")),
    _p("seal.authorise", "授权使用审批专用章", {CHIEF}, "本部门的办件", ("seal authorise",)),
    _p("seal.register", "查看、打印用章登记簿", {CHIEF, SUPERVISOR}, "首席代表限本部门", ("seal log",)),
    _p("workload.view", "查看人员工作量", {CHIEF, SUPERVISOR}, "首席代表限本部门", ("workload",)),
    _p("dept.settings", "修改部门设置", {CHIEF, ADMIN}, "首席代表限本部门", ("dept settings",)),
    _p("catalog.edit", "修改事项办事指南", {CHIEF, ADMIN}, "首席代表限本部门事项", ("catalog update",)),
    # ---- the output window: 统一出件 -----------------------------------------------------------------------
    _p("case.handover", "出件：核验凭条或取件码、交付办理结果", {CLERK}, "", ("case pickup", "case issue", "output list")),
    _p("case.supplement", "登记容缺材料补交", {CLERK, REVIEWER, CHIEF}, "审批人员和首席代表限本部门",
       ("case supplement",)),
    _p("supplement.overdue", "查看容缺逾期清单", {CLERK, CHIEF, SUPERVISOR}, "首席代表限本部门", ("supplement overdue",)),
    _p("case.remind", "催补容缺材料（催补通知）", {CLERK, CHIEF}, "首席代表限本部门", ("case remind",)),
    _p("case.terminate", "终止办理", {CLERK, CHIEF}, "首席代表限本部门；窗口人员仅限申请人撤回", ("case terminate",)),
    _p("pickup.unlock", "解除取件码锁定", {SUPERVISOR}, "", ("case unlock-pickup",)),
    _p("case.rate", "记录申请人的评价", {CLERK}, "", ("case rate",)),
    # ---- 好差评 and 整改 ------------------------------------------------------------------------------------
    _p("rating.view", "查看评价统计和差评整改", {CHIEF, SUPERVISOR}, "首席代表限本部门",
       ("rating summary", "rectification list")),
    _p("rectification.handle", "登记回访、整改办结", {CHIEF}, "本部门",
       ("rectification callback", "rectification close")),
    _p("rating.settings", "修改整改期限和评价器等待时间", {SUPERVISOR}, "", ("rating settings",)),
    _p("hall.overview", "查看大厅概览（当日收件、超期、差评、未办结诉求）", {SUPERVISOR}, "全大厅", ("overview",)),
    # ---- 办不成事 --------------------------------------------------------------------------------------------
    _p("grievance.register", "登记办不成事诉求", {CLERK, SUPERVISOR}, "窗口人员限办不成事窗口", ("grievance add",)),
    _p("grievance.view", "查看诉求", {CHIEF, SUPERVISOR}, "首席代表限转办本部门的", ("grievance list", "grievance show")),
    _p("grievance.supervise", "分类、转办、督办、回访、归档诉求，修改转办期限", {SUPERVISOR}, "",
       ("grievance classify", "grievance assign", "grievance urge", "grievance callback", "grievance archive",
        "grievance settings")),
    _p("grievance.resolve", "办结诉求", {CHIEF, SUPERVISOR}, "首席代表限转办本部门的", ("grievance resolve",)),
    # ---- 园区企业名录 (the enterprise registry) --------------------------------------------------------------
    _p("enterprise.view", "查看园区企业名录", EVERYONE, "", ("enterprise show", "enterprise list")),
    _p("enterprise.import", "从 Excel 导入园区企业名录（资质、年度数据）", {ADMIN, SUPERVISOR}, "",
       ("enterprise import",)),
    _p("enterprise.export", "把园区企业名录导出为 Excel（记入审计）", {ADMIN, SUPERVISOR}, "", ("enterprise export",)),
    _p("enterprise.tier", "设定梯度综合评价方案、重新评定企业梯度", {SUPERVISOR}, "",
       ("enterprise tier", "enterprise tier-scheme")),
    # ---- administration ------------------------------------------------------------------------------------
    _p("user.list", "查看用户列表", {ADMIN, SUPERVISOR}, "", ("user list",)),
    _p("user.manage", "添加、修改、解锁用户，重置他人密码", {ADMIN}, "",
       ("user add", "user set", "user unlock", "user passwd NAME")),
    _p("user.password", "修改本人密码", EVERYONE, "本人", ("user passwd",)),
    _p("counter.manage", "窗口设置，查看、生成和吊销窗口签名密钥", {ADMIN}, "",
       ("counter set", "counter keys", "counter keygen", "counter revoke-key")),
    _p("hall.settings", "大厅设置", {ADMIN}, "", ("hall set", "hall files-set", "hall backup-set")),
    _p("holiday.manage", "节假日调整", {ADMIN}, "", ("holiday set", "holiday remove", "holiday confirm")),
    _p("catalog.import", "导入事项目录", {ADMIN}, "", ("catalog import",)),
    _p("files.archive", "把已办结办件的电子件移到文件共享", {ADMIN}, "", ("files archive",)),
    _p("demo.load", "向已有用户的数据库装入演示数据", {ADMIN}, "空数据库无需登录", ("demo",)),
    _p("audit.anchor", "导出审计链锚点", {ADMIN, SUPERVISOR}, "", ("audit anchor",)),
)

PERMISSIONS: dict[str, Permission] = {p.action: p for p in _TABLE}
assert len(PERMISSIONS) == len(_TABLE), "an action is listed twice"

# Commands that change nothing and need no login: public reference data, the machine's own sync, checks.
OPEN_COMMANDS: tuple[str, ...] = (
    "db upgrade", "db backup", "db restore", "diag export", "catalog list", "catalog show", "catalog export", "counter list", "hall show", "holiday list",
    "holiday status", "workdays add", "audit verify", "print queue", "printer show", "slip verify", "sync run",
    "sync status", "sync reconcile", "check", "roles", "user init-admin",
    "catalog tolerable-list",  # issue 14 part 7: the public list of what may be 容缺
    # issue 17: this PC's set-up; the roll-out file names the admin who confirms the counter's key
    "setup", "setup show", "setup forget-password",
    "printer list",  # issue 17: the printers this PC has (reads no database)
)


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor``'s role may take ``action`` at all (the scope is the service's to check)."""
    return actor.role in PERMISSIONS[action].roles


def require(actor: Actor, action: str) -> None:
    """Refuse, in Chinese, unless ``actor``'s role may take ``action``."""
    permission = PERMISSIONS[action]
    if actor.role not in permission.roles:
        names = "、".join(ROLES[r] for r in ROLES if r in permission.roles)
        raise PermissionDenied(f"{actor.role_name}无权{permission.title}（仅限{names}）")


def markdown() -> str:
    """The role table as the README prints it."""
    roles = list(ROLES)
    head = "| 操作 | action | " + " | ".join(ROLES[r] for r in roles) + " | 范围 | 命令 |"
    rule = "|---|---|" + "---|" * len(roles) + "---|---|"
    lines = [head, rule]
    for p in _TABLE:
        marks = " | ".join("✓" if r in p.roles else "" for r in roles)
        commands = ", ".join(f"`{c}`" for c in p.commands)
        lines.append(f"| {p.title} | `{p.action}` | {marks} | {p.scope} | {commands} |")
    return "\n".join(lines) + "\n"


def as_json() -> list[dict[str, object]]:
    return [{"action": p.action, "title": p.title, "roles": sorted(p.roles), "scope": p.scope,
             "commands": list(p.commands)} for p in _TABLE]
