"""CLI commands of the hall's administration: users, counters and their signing keys, the hall's settings,
the working-day calendar.  Registered by ``cli.main.build_parser``."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import Any

from app import accounts, backup, files, hall_settings, holidays
from app.auth import ROLES
from app.errors import ValidationError
from app.infra import keys
from cli.base import (
    ENV_NEW_PASSWORD,
    ENV_PASSWORD,
    Cli,
    Parser,
    add_command,
    new_password,
    parse_date,
    print_json,
)


def cmd_user_list(cli: Cli) -> int:
    users = accounts.list_users(cli.hall.uow(), cli.actor())
    if cli.args.json:
        print_json([u.as_json() for u in users])
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
        password=new_password(), dept=a.dept, counter=a.counter,
    )
    if a.json:
        print_json(view.as_json())
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
    print_json(view.as_json()) if a.json else print(f"已更新用户 {view.username}", file=sys.stderr)
    return 0


def cmd_user_passwd(cli: Cli) -> int:
    actor = cli.actor()
    target = cli.args.username or actor.username
    old = None
    if actor.role != "admin":
        old = os.environ.get(ENV_PASSWORD)
    accounts.set_password(cli.hall.uow(), actor, target, new_password(), old)
    print(f"已修改 {target} 的密码", file=sys.stderr)
    return 0


def cmd_user_init_admin(cli: Cli) -> int:
    view = accounts.create_first_admin(cli.ready_hall().uow(), username=cli.args.username, full_name=cli.args.name,
                                       password=new_password())
    print(f"已创建首个管理员 {view.username}", file=sys.stderr)
    return 0


def cmd_user_unlock(cli: Cli) -> int:
    accounts.unlock_user(cli.hall.uow(), cli.actor(), cli.args.username)
    print(f"已解锁 {cli.args.username}", file=sys.stderr)
    return 0


def cmd_counter_list(cli: Cli) -> int:
    counters = accounts.list_counters(cli.ready_hall().uow())
    if cli.args.json:
        print_json([c.as_json() for c in counters])
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
        a4_printer_uri=a.a4_printer,
    )
    print_json(view.as_json()) if a.json else print(f"已保存{view.number}号窗口", file=sys.stderr)
    return 0


def cmd_hall_show(cli: Cli) -> int:
    hall = cli.ready_hall()
    settings = hall_settings.get_hall_settings(hall.uow())
    shown = {**settings.as_json(), "files": files.get_limits(hall.uow()).as_json(),
             "backup": backup.get_settings(hall.uow()).as_json()}
    if cli.args.json:
        print_json(shown)
    else:
        for k, v in shown.items():
            for key, value in (v.items() if isinstance(v, dict) else [(None, v)]):
                print(f"{k}.{key}\t{value}" if key else f"{k}\t{value}")
    return 0


def cmd_hall_files_set(cli: Cli) -> int:
    a = cli.args
    current = files.get_limits(cli.hall.uow())
    changes = {k: getattr(a, k) for k in ("max_file_mb", "max_case_mb", "store_budget_mb") if getattr(a, k) is not None}
    saved = files.save_limits(cli.hall.uow(), cli.actor(), replace(current, **changes))
    print_json(saved.as_json()) if a.json else print("已保存电子件设置", file=sys.stderr)
    return 0


def cmd_hall_backup_set(cli: Cli) -> int:
    saved = backup.save_settings(cli.hall.uow(), cli.actor(), backup.BackupSettings(keep_days=cli.args.keep_days))
    print_json(saved.as_json()) if cli.args.json else print(f"已保存备份设置：每台电脑保留最近 {saved.keep_days} 天的每日备份",
                                                           file=sys.stderr)
    return 0


def cmd_hall_set(cli: Cli) -> int:
    actor = cli.actor()
    current = hall_settings.get_hall_settings(cli.hall.uow())
    a = cli.args
    changes = {k: getattr(a, k) for k in ("name", "code", "area_code", "address", "phone", "doc_prefix",
                                          "review_authority", "court") if getattr(a, k) is not None}
    saved = hall_settings.save_hall_settings(cli.hall.uow(), actor, replace(current, **changes))
    print_json(saved.as_json()) if a.json else print("已保存大厅设置", file=sys.stderr)
    return 0


def cmd_holiday_list(cli: Cli) -> int:
    rows = hall_settings.list_overrides(cli.ready_hall().uow(), cli.args.year)
    if cli.args.json:
        print_json([{"date": r.day.isoformat(), "workday": r.workday, "note": r.note} for r in rows])
    else:
        for r in rows:
            print(f"{r.day.isoformat()}\t{'上班' if r.workday else '放假'}\t{r.note}")
    return 0


def cmd_holiday_set(cli: Cli) -> int:
    changed = holidays.set_override(cli.hall.uow(), cli.actor(), cli.args.date, cli.args.workday, cli.args.note)
    print(f"已设置 {cli.args.date.isoformat()} 为{'工作日' if cli.args.workday else '休息日'}；重算在办件到期日 {changed} 件",
          file=sys.stderr)
    return 0


def cmd_holiday_remove(cli: Cli) -> int:
    changed = holidays.remove_override(cli.hall.uow(), cli.actor(), cli.args.date)
    print(f"已删除 {cli.args.date.isoformat()} 的调整；重算在办件到期日 {changed} 件", file=sys.stderr)
    return 0


def cmd_holiday_confirm(cli: Cli) -> int:
    changed = holidays.confirm_year(cli.hall.uow(), cli.actor(), cli.args.year)
    print(f"已确认{cli.args.year}年节假日安排；重算在办件到期日 {changed} 件", file=sys.stderr)
    return 0


def cmd_holiday_status(cli: Cli) -> int:
    status = hall_settings.calendar_status(cli.ready_hall().uow())
    if cli.args.json:
        print_json({"unknown_years": list(status.unknown_years), "confirmed_years": list(status.confirmed_years),
                     "warning": status.warning})
    else:
        print(status.warning or "节假日安排已齐全")
    return 0


def cmd_workdays_add(cli: Cli) -> int:
    due = hall_settings.add_workdays(cli.ready_hall().uow(), cli.args.date, cli.args.n)
    if cli.args.json:
        print_json({"start": cli.args.date.isoformat(), "workdays": cli.args.n, "date": due.date.isoformat(),
                     "provisional": due.provisional})
    else:
        print(due.date.isoformat() + ("\t待定" if due.provisional else ""))
        if due.provisional:
            print("注意：涉及尚未录入国务院节假日安排的年份，日期为推算（待定）", file=sys.stderr)
    return 0


def cmd_counter_revoke_key(cli: Cli) -> int:
    keys.revoke_counter_key(cli.hall.uow(), cli.actor(), cli.args.fingerprint)
    print(f"已吊销签名密钥 {cli.args.fingerprint.strip().upper()}：此后由它签名的凭条一律拒收；"
          "该窗口须重新生成密钥（counter keygen）后才能受理", file=sys.stderr)
    return 0


def cmd_counter_keys(cli: Cli) -> int:
    views = keys.list_counter_keys(cli.ready_hall().uow(), cli.actor())
    if cli.args.json:
        print_json([v.as_json() for v in views])
    else:
        states = {"in_force": "使用中", "retired": "已更换（凭条仍有效）", "revoked": "已吊销"}
        for v in views:
            print(f"{v.counter}号窗口\t{v.fingerprint}\t{states[v.state]}\t{v.created_at:%Y-%m-%d}")
    return 0


def cmd_counter_keygen(cli: Cli) -> int:
    fp = keys.generate_counter_key(cli.hall.uow(), cli.actor(), cli.args.number)
    print(f"已为{cli.args.number}号窗口生成签名密钥，指纹 {fp}；私钥保存在本机 {keys.default_key_dir()}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    add = add_command
    usr = sub.add_parser("user", help="用户").add_subparsers(dest="sub", required=True, parser_class=Parser)
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
    sp = add(usr, "init-admin", cmd_user_init_admin, f"新安装时创建首个管理员（仅在没有管理员时可用；密码取自 {ENV_NEW_PASSWORD}）")
    sp.add_argument("username")
    sp.add_argument("--name", required=True, help="姓名")
    sp = add(usr, "unlock", cmd_user_unlock, "解除锁定")
    sp.add_argument("username")

    ctr = sub.add_parser("counter", help="窗口").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(ctr, "list", cmd_counter_list, "列出窗口", json_flag=True)
    sp = add(ctr, "set", cmd_counter_set, "新建或修改窗口", json_flag=True)
    sp.add_argument("number", type=int)
    sp.add_argument("--name")
    sp.add_argument("--kind", choices=list(accounts.COUNTER_KINDS))
    sp.add_argument("--printer", metavar="URI", help="热敏打印机地址，如 tcp://192.168.1.50:9100")
    sp.add_argument("--a4-printer", dest="a4_printer", metavar="URI",
                    help="A4 打印机地址：cups://名称、file:///文件夹 或 tcp://地址:9100")
    sp.add_argument("--active", choices=["yes", "no"])

    hl = sub.add_parser("hall", help="大厅设置").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(hl, "show", cmd_hall_show, "显示大厅设置", json_flag=True)
    sp = add(hl, "set", cmd_hall_set, "修改大厅设置（管理员）", json_flag=True)
    sp.add_argument("--name")
    sp.add_argument("--code", help="大厅代码（1–4位大写字母，用于办件编号）")
    sp.add_argument("--area-code", dest="area_code")
    sp.add_argument("--address")
    sp.add_argument("--phone")
    sp.add_argument("--doc-prefix", dest="doc_prefix", help="受理类文书编号前缀（如 新经开）")
    sp.add_argument("--review-authority", dest="review_authority",
                    help="复议机关（印在不予受理通知书和不予许可决定书上；为空时不能作不予许可决定）")
    sp.add_argument("--court", help="诉讼法院（同上）")
    sp = add(hl, "files-set", cmd_hall_files_set, "修改电子件上限：每个文件、每件、窗口本机存储预算（管理员）", json_flag=True)
    sp.add_argument("--max-file-mb", dest="max_file_mb", type=int, metavar="N", help="每个文件上限（MB）")
    sp.add_argument("--max-case-mb", dest="max_case_mb", type=int, metavar="N", help="每件电子件合计上限（MB）")
    sp.add_argument("--store-budget-mb", dest="store_budget_mb", type=int, metavar="N",
                    help="离线窗口本机存储预算（MB，超过时提醒）")

    sp = add(hl, "backup-set", cmd_hall_backup_set, "修改每日备份的保留天数（窗口本机库、内置数据库；管理员）",
             json_flag=True)
    sp.add_argument("--keep-days", dest="keep_days", type=int, required=True, metavar="N", help="保留最近 N 天（1–365）")

    hol = sub.add_parser("holiday", help="节假日调整").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(hol, "list", cmd_holiday_list, "列出调整", json_flag=True)
    sp.add_argument("--year", type=int)
    sp = add(hol, "set", cmd_holiday_set, "把某天设为工作日或休息日（管理员）")
    sp.add_argument("date", type=parse_date)
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--workday", dest="workday", action="store_true", help="设为工作日（如调休上班）")
    g.add_argument("--off", dest="workday", action="store_false", help="设为休息日（如法定节假日）")
    sp.add_argument("--note", default="")
    sp = add(hol, "remove", cmd_holiday_remove, "删除某天的调整（管理员）")
    sp.add_argument("date", type=parse_date)
    sp = add(hol, "confirm", cmd_holiday_confirm, "确认某年的国务院节假日安排已录入（管理员）")
    sp.add_argument("year", type=int)
    add(hol, "status", cmd_holiday_status, "哪些年份的安排尚未录入", json_flag=True)

    wd = sub.add_parser("workdays", help="工作日计算").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(wd, "add", cmd_workdays_add, "DATE 之后第 N 个工作日（当天不计）", json_flag=True)
    sp.add_argument("date", type=parse_date)
    sp.add_argument("n", type=int)
    sp = add(ctr, "keygen", cmd_counter_keygen, "在本机为窗口生成签名密钥并登记公钥（管理员）")
    sp.add_argument("number", type=int)
    add(ctr, "keys", cmd_counter_keys, "各窗口登记的签名密钥：使用中、已更换、已吊销（管理员）", json_flag=True)
    sp = add(ctr, "revoke-key", cmd_counter_revoke_key, "吊销一把可能泄露的窗口签名密钥：其签名的凭条一律拒收（管理员）")
    sp.add_argument("fingerprint", help="密钥指纹（8位，见 counter keys）")
