"""The command-line shell over HallDesk's services: ``python -m app [--db URL] [--user NAME] COMMAND``.

Admins and scripts use it, and so do the tests.  Data goes to stdout (``--json`` where it is data),
messages to stderr; an expected error exits with its own non-zero code.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from app import accounts, audit, catalog, demo, hall, validators
from app.auth import ROLES, Actor, login
from app.context import HallDesk
from app.errors import AuthenticationError, HallDeskError, ValidationError

ENV_PASSWORD = "HALLDESK_PASSWORD"
ENV_NEW_PASSWORD = "HALLDESK_NEW_PASSWORD"


class Cli:
    """What one CLI invocation works with: the database and, when a command needs it, the acting user."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._hall: HallDesk | None = None

    @property
    def hall(self) -> HallDesk:
        if self._hall is None:
            self._hall = HallDesk.open(self.args.db)
        return self._hall

    def ready_hall(self) -> HallDesk:
        self.hall.require_schema()
        return self.hall

    def actor(self) -> Actor:
        username = self.args.user
        if not username:
            raise AuthenticationError("此命令需要以用户身份执行：请在命令前加 --user 用户名")
        password = os.environ.get(ENV_PASSWORD)
        if password is None:
            if not sys.stdin.isatty():
                raise AuthenticationError(f"未提供密码：请设置环境变量 {ENV_PASSWORD}，或在终端中运行以输入密码")
            password = getpass.getpass(f"{username} 的密码：")
        return login(self.ready_hall().uow(), username, password)

    def close(self) -> None:
        if self._hall is not None:
            self._hall.close()


def _new_password(prompt: str = "新密码") -> str:
    value = os.environ.get(ENV_NEW_PASSWORD)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise ValidationError("password", f"未提供新密码：请设置环境变量 {ENV_NEW_PASSWORD}，或在终端中运行以输入")
    first = getpass.getpass(f"{prompt}：")
    if getpass.getpass(f"再次输入{prompt}：") != first:
        raise ValidationError("password", "两次输入的密码不一致")
    return first


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{value}") from None


# ---- commands ------------------------------------------------------------------------------------


def cmd_db_upgrade(cli: Cli) -> int:
    cli.hall.upgrade()
    print("数据库已升级到最新版本", file=sys.stderr)
    return 0


def cmd_demo(cli: Cli) -> int:
    h = cli.hall
    h.upgrade()
    summary = demo.load_demo(h.uow())
    print(
        f"演示数据就绪：新建用户 {summary.created_users} 个、窗口 {summary.created_counters} 个，目录事项 {summary.catalog_items} 项。"
        f"演示账户密码均为 {demo.DEMO_PASSWORD}，正式使用前请修改。",
        file=sys.stderr,
    )
    return 0


def cmd_catalog_list(cli: Cli) -> int:
    items = catalog.list_items(cli.ready_hall().uow(), cli.args.dept)
    if cli.args.json:
        _print_json([i.as_json() for i in items])
    else:
        for i in items:
            flag = "即办" if i.immediate else f"承诺{i.promised_days}日/法定{i.legal_days}日"
            print(f"{i.code}\t{i.dept}\t{i.name}\t{flag}\t材料{len(i.materials)}项")
    return 0


def cmd_catalog_show(cli: Cli) -> int:
    item = catalog.get_item(cli.ready_hall().uow(), cli.args.code)
    doc = catalog._item_doc(item)
    doc.update(dept=item.dept, version=item.version, active=item.active)
    _print_json(doc)
    return 0


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("file", f"文件不存在：{path}") from None
    except UnicodeDecodeError:
        raise ValidationError("file", f"文件不是 UTF-8 编码：{path}") from None


def cmd_catalog_import(cli: Cli) -> int:
    text = _read_text(cli.args.file)
    actor = cli.actor()
    summary = catalog.import_yaml(cli.hall.uow(), actor, text, source=Path(cli.args.file).name)
    result = summary.__dict__
    if cli.args.json:
        _print_json(result)
    else:
        print(
            f"导入完成：部门 {summary.departments} 个；事项新增 {summary.items_added}、更新 {summary.items_updated}、"
            f"未变 {summary.items_unchanged}、停用 {summary.items_withdrawn}；区域评估 {summary.assessments} 项",
            file=sys.stderr,
        )
    return 0


def cmd_catalog_export(cli: Cli) -> int:
    text = catalog.export_yaml(cli.ready_hall().uow())
    if cli.args.file == "-":
        sys.stdout.write(text)
    else:
        Path(cli.args.file).write_text(text, encoding="utf-8")
    return 0


def cmd_catalog_update(cli: Cli) -> int:
    """Apply an item guide given as JSON (the shape of `catalog show`)."""
    raw = _read_text(cli.args.json_file)
    try:
        doc = json.loads(raw)
        guide = catalog.ItemGuide(
            code=doc["code"], name=doc["name"], kind=doc["kind"], legal_basis=doc.get("legal_basis", ""),
            legal_days=int(doc["legal_days"]), promised_days=int(doc["promised_days"]),
            immediate=bool(doc.get("immediate", False)), fee=doc.get("fee", "不收费"),
            materials=tuple(catalog.Material(**m) for m in doc["materials"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError("json", f"事项 JSON 格式不正确：{exc}") from None
    actor = cli.actor()
    item = catalog.update_item(cli.hall.uow(), actor, guide, doc.get("version"))
    _print_json(item.as_json() | {"version": item.version})
    return 0


def cmd_user_list(cli: Cli) -> int:
    users = accounts.list_users(cli.hall.uow(), cli.actor())
    if cli.args.json:
        _print_json([u.as_json() for u in users])
    else:
        for u in users:
            flags = ("" if u.active else "\t已停用") + ("\t已锁定" if u.locked else "")
            print(f"{u.username}\t{u.full_name}\t{ROLES[u.role]}\t{u.dept or '-'}\t{u.counter or '-'}{flags}")
    return 0


def cmd_user_add(cli: Cli) -> int:
    actor = cli.actor()
    a = cli.args
    view = accounts.add_user(
        cli.hall.uow(), actor, username=a.username, full_name=a.name, role=a.role,
        password=_new_password(), dept=a.dept, counter=a.counter,
    )
    if a.json:
        _print_json(view.as_json())
    else:
        print(f"已添加用户 {view.username}", file=sys.stderr)
    return 0


def cmd_user_set(cli: Cli) -> int:
    actor = cli.actor()
    a = cli.args
    current = next((u for u in accounts.list_users(cli.hall.uow(), actor) if u.username == a.username), None)
    if current is None:
        raise ValidationError("username", f"用户 {a.username} 不存在")
    view = accounts.update_user(
        cli.hall.uow(), actor, a.username,
        full_name=a.name if a.name is not None else current.full_name,
        role=a.role or current.role,
        dept=(a.dept or None) if a.dept is not None else current.dept,
        counter=(a.counter or None) if a.counter is not None else current.counter,
        active=current.active if a.active is None else a.active == "yes",
    )
    _print_json(view.as_json()) if a.json else print(f"已更新用户 {view.username}", file=sys.stderr)
    return 0


def cmd_user_passwd(cli: Cli) -> int:
    actor = cli.actor()
    target = cli.args.username or actor.username
    old = None
    if actor.role != "admin":
        old = os.environ.get(ENV_PASSWORD)
    accounts.set_password(cli.hall.uow(), actor, target, _new_password(), old)
    print(f"已修改 {target} 的密码", file=sys.stderr)
    return 0


def cmd_user_unlock(cli: Cli) -> int:
    accounts.unlock_user(cli.hall.uow(), cli.actor(), cli.args.username)
    print(f"已解锁 {cli.args.username}", file=sys.stderr)
    return 0


def cmd_counter_list(cli: Cli) -> int:
    counters = accounts.list_counters(cli.ready_hall().uow())
    if cli.args.json:
        _print_json([c.as_json() for c in counters])
    else:
        for c in counters:
            flags = "" if c.active else "\t已停用"
            print(f"{c.number}\t{c.name}\t{c.kind_name}\t{c.printer_uri or '-'}{flags}")
    return 0


def cmd_counter_set(cli: Cli) -> int:
    a = cli.args
    actor = cli.actor()
    existing = {c.number: c for c in accounts.list_counters(cli.hall.uow())}.get(a.number)
    view = accounts.save_counter(
        cli.hall.uow(), actor, number=a.number,
        name=a.name if a.name is not None else (existing.name if existing else ""),
        kind=a.kind or (existing.kind if existing else ""),
        printer_uri=a.printer if a.printer is not None else (existing.printer_uri if existing else ""),
        active=(a.active == "yes") if a.active is not None else (existing.active if existing else True),
    )
    _print_json(view.as_json()) if a.json else print(f"已保存{view.number}号窗口", file=sys.stderr)
    return 0


def cmd_hall_show(cli: Cli) -> int:
    settings = hall.get_hall_settings(cli.ready_hall().uow())
    if cli.args.json:
        _print_json(settings.as_json())
    else:
        for k, v in settings.as_json().items():
            print(f"{k}\t{v}")
    return 0


def cmd_hall_set(cli: Cli) -> int:
    actor = cli.actor()
    current = hall.get_hall_settings(cli.hall.uow())
    a = cli.args
    changes = {k: getattr(a, k) for k in ("name", "code", "area_code", "address", "phone") if getattr(a, k) is not None}
    saved = hall.save_hall_settings(cli.hall.uow(), actor, replace(current, **changes))
    _print_json(saved.as_json()) if a.json else print("已保存大厅设置", file=sys.stderr)
    return 0


def cmd_holiday_list(cli: Cli) -> int:
    rows = hall.list_overrides(cli.ready_hall().uow(), cli.args.year)
    if cli.args.json:
        _print_json([{"date": r.day.isoformat(), "workday": r.workday, "note": r.note} for r in rows])
    else:
        for r in rows:
            print(f"{r.day.isoformat()}\t{'上班' if r.workday else '放假'}\t{r.note}")
    return 0


def cmd_holiday_set(cli: Cli) -> int:
    changed = hall.set_override(cli.hall.uow(), cli.actor(), cli.args.date, cli.args.workday, cli.args.note)
    print(f"已设置 {cli.args.date.isoformat()} 为{'工作日' if cli.args.workday else '休息日'}；重算在办件到期日 {changed} 件",
          file=sys.stderr)
    return 0


def cmd_holiday_remove(cli: Cli) -> int:
    changed = hall.remove_override(cli.hall.uow(), cli.actor(), cli.args.date)
    print(f"已删除 {cli.args.date.isoformat()} 的调整；重算在办件到期日 {changed} 件", file=sys.stderr)
    return 0


def cmd_holiday_confirm(cli: Cli) -> int:
    changed = hall.confirm_year(cli.hall.uow(), cli.actor(), cli.args.year)
    print(f"已确认{cli.args.year}年节假日安排；重算在办件到期日 {changed} 件", file=sys.stderr)
    return 0


def cmd_holiday_status(cli: Cli) -> int:
    status = hall.calendar_status(cli.ready_hall().uow())
    if cli.args.json:
        _print_json({"unknown_years": list(status.unknown_years), "confirmed_years": list(status.confirmed_years),
                     "warning": status.warning})
    else:
        print(status.warning or "节假日安排已齐全")
    return 0


def cmd_workdays_add(cli: Cli) -> int:
    due = hall.add_workdays(cli.ready_hall().uow(), cli.args.date, cli.args.n)
    if cli.args.json:
        _print_json({"start": cli.args.date.isoformat(), "workdays": cli.args.n, "date": due.date.isoformat(),
                     "provisional": due.provisional})
    else:
        print(due.date.isoformat() + ("\t待定" if due.provisional else ""))
        if due.provisional:
            print("注意：涉及尚未录入国务院节假日安排的年份，日期为推算（待定）", file=sys.stderr)
    return 0


def cmd_audit_verify(cli: Cli) -> int:
    h = cli.ready_hall()
    with h.uow() as uow:
        report = audit.verify(uow.session)
    if cli.args.json:
        _print_json({
            "ok": report.ok, "rows": report.rows, "chains": report.chains,
            "problem": None if report.problem is None else report.problem.__dict__,
        })
    if report.ok:
        if not cli.args.json:
            print(f"审计链完整：共 {report.rows} 条，{len(report.chains)} 条链")
        return 0
    p = report.problem
    assert p is not None
    print(f"审计链被破坏：链 {p.chain} 第 {p.seq} 条（id {p.event_id or '-'}）：{p.reason}", file=sys.stderr)
    return 10


CHECKS: dict[str, Callable[[str], str]] = {
    "uscc": validators.check_uscc,
    "id": validators.check_id_number,
    "phone": validators.check_mobile,
}


def cmd_check(cli: Cli) -> int:
    """Check one 统一社会信用代码 / 身份证号 / mobile number; print it normalised."""
    print(CHECKS[cli.args.kind](cli.args.value))
    return 0


# ---- parser --------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's default exit code 2 is fine, but say it in Chinese too
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m app", description="HallDesk（一窗通）命令行。无命令时启动图形界面。")
    p.add_argument("--db", metavar="URL", help="数据库地址（默认：环境变量 HALLDESK_DB，否则内置 SQLite 文件）")
    p.add_argument("--user", metavar="NAME", help=f"以该用户身份执行；密码取自环境变量 {ENV_PASSWORD} 或终端输入")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(parent: Any, name: str, fn: Callable[[Cli], int], help: str, json_flag: bool = False) -> Any:
        sp = parent.add_parser(name, help=help, description=help)
        sp.set_defaults(func=fn)
        if json_flag:
            sp.add_argument("--json", action="store_true", help="以 JSON 输出")
        return sp

    dbp = sub.add_parser("db", help="数据库").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    add(dbp, "upgrade", cmd_db_upgrade, "把数据库结构升级到最新版本")
    add(sub, "demo", cmd_demo, "建立演示数据（可重复运行）")

    cat = sub.add_parser("catalog", help="事项目录").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    sp = add(cat, "list", cmd_catalog_list, "列出事项", json_flag=True)
    sp.add_argument("--dept", help="部门代码")
    sp = add(cat, "show", cmd_catalog_show, "显示一个事项的办事指南（JSON）")
    sp.add_argument("code")
    sp = add(cat, "import", cmd_catalog_import, "从 YAML 文件导入目录（管理员）", json_flag=True)
    sp.add_argument("file")
    sp = add(cat, "export", cmd_catalog_export, "把目录导出为 YAML 文件（- 为标准输出）")
    sp.add_argument("file")
    sp = add(cat, "update", cmd_catalog_update, "按 JSON 修改一个事项的办事指南（首席代表/管理员）")
    sp.add_argument("--json", dest="json_file", required=True, metavar="FILE", help="事项 JSON 文件，- 为标准输入")

    usr = sub.add_parser("user", help="用户").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    add(usr, "list", cmd_user_list, "列出用户", json_flag=True)
    sp = add(usr, "add", cmd_user_add, f"添加用户（新密码取自 {ENV_NEW_PASSWORD} 或终端输入）", json_flag=True)
    sp.add_argument("username")
    sp.add_argument("--name", required=True, help="姓名")
    sp.add_argument("--role", required=True, choices=list(ROLES))
    sp.add_argument("--dept", help="部门代码（审批人员、首席代表必填）")
    sp.add_argument("--counter", type=int, help="窗口号")
    sp = add(usr, "set", cmd_user_set, "修改用户的姓名、角色、部门、窗口或启用状态", json_flag=True)
    sp.add_argument("username")
    sp.add_argument("--name")
    sp.add_argument("--role", choices=list(ROLES))
    sp.add_argument("--dept", help="部门代码；空字符串表示无部门")
    sp.add_argument("--counter", type=int, help="窗口号；0 表示无窗口")
    sp.add_argument("--active", choices=["yes", "no"])
    sp = add(usr, "passwd", cmd_user_passwd, f"修改密码（新密码取自 {ENV_NEW_PASSWORD} 或终端输入）")
    sp.add_argument("username", nargs="?")
    sp = add(usr, "unlock", cmd_user_unlock, "解除锁定")
    sp.add_argument("username")

    ctr = sub.add_parser("counter", help="窗口").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    add(ctr, "list", cmd_counter_list, "列出窗口", json_flag=True)
    sp = add(ctr, "set", cmd_counter_set, "新建或修改窗口", json_flag=True)
    sp.add_argument("number", type=int)
    sp.add_argument("--name")
    sp.add_argument("--kind", choices=list(accounts.COUNTER_KINDS))
    sp.add_argument("--printer", metavar="URI", help="打印机地址，如 tcp://192.168.1.50:9100")
    sp.add_argument("--active", choices=["yes", "no"])

    hl = sub.add_parser("hall", help="大厅设置").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    add(hl, "show", cmd_hall_show, "显示大厅设置", json_flag=True)
    sp = add(hl, "set", cmd_hall_set, "修改大厅设置（管理员）", json_flag=True)
    sp.add_argument("--name")
    sp.add_argument("--code", help="大厅代码（1–4位大写字母，用于办件编号）")
    sp.add_argument("--area-code", dest="area_code")
    sp.add_argument("--address")
    sp.add_argument("--phone")

    hol = sub.add_parser("holiday", help="节假日调整").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    sp = add(hol, "list", cmd_holiday_list, "列出调整", json_flag=True)
    sp.add_argument("--year", type=int)
    sp = add(hol, "set", cmd_holiday_set, "把某天设为工作日或休息日（管理员）")
    sp.add_argument("date", type=_parse_date)
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--workday", dest="workday", action="store_true", help="设为工作日（如调休上班）")
    g.add_argument("--off", dest="workday", action="store_false", help="设为休息日（如法定节假日）")
    sp.add_argument("--note", default="")
    sp = add(hol, "remove", cmd_holiday_remove, "删除某天的调整（管理员）")
    sp.add_argument("date", type=_parse_date)
    sp = add(hol, "confirm", cmd_holiday_confirm, "确认某年的国务院节假日安排已录入（管理员）")
    sp.add_argument("year", type=int)
    add(hol, "status", cmd_holiday_status, "哪些年份的安排尚未录入", json_flag=True)

    wd = sub.add_parser("workdays", help="工作日计算").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    sp = add(wd, "add", cmd_workdays_add, "DATE 之后第 N 个工作日（当天不计）", json_flag=True)
    sp.add_argument("date", type=_parse_date)
    sp.add_argument("n", type=int)

    au = sub.add_parser("audit", help="审计").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    add(au, "verify", cmd_audit_verify, "校验审计链；被篡改时以非零状态退出并指出第一条问题记录", json_flag=True)
    sp = add(sub, "check", cmd_check, "校验统一社会信用代码（uscc）、身份证号（id）或手机号（phone），输出规范写法")
    sp.add_argument("kind", choices=list(CHECKS))
    sp.add_argument("value")
    return p


def run(argv: Sequence[str]) -> int:
    """Run one CLI command; returns the exit code."""
    args = build_parser().parse_args(argv)
    cli = Cli(args)
    try:
        return int(args.func(cli))
    except HallDeskError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # `python -m app catalog list | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    finally:
        cli.close()
