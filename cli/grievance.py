"""CLI commands of the 办不成事 window: ``grievance add|classify|assign|urge|resolve|callback|archive|list|show|settings``.

Registered by ``cli.main.build_parser``.  Every step prints the grievance (``--json``: as JSON, phone masked).
"""

from __future__ import annotations

import sys
from typing import Any

from app import grievance
from app.backoffice import LIGHTS
from app.grievance import GrievanceView
from cli.base import Cli, Parser, add_command, print_json


def _show(cli: Cli, view: GrievanceView) -> int:
    if cli.args.json:
        print_json(view.as_json())
    else:
        where = view.dept_name or "-"
        due = f"\t期限 {view.due.isoformat()}" if view.due else ""
        print(f"{view.grievance_no}\t{view.status_name}\t{where}{due}")
    return 0


def cmd_add(cli: Cli) -> int:
    a = cli.args
    view = grievance.register(cli.hall.uow(), cli.actor(), complainant=a.name, content=a.content,
                              phone=a.phone or "", channel=a.channel, case_no=a.case)
    return _show(cli, view)


def cmd_classify(cli: Cli) -> int:
    return _show(cli, grievance.classify(cli.hall.uow(), cli.actor(), cli.args.no, cli.args.category))


def cmd_assign(cli: Cli) -> int:
    a = cli.args
    return _show(cli, grievance.assign(cli.hall.uow(), cli.actor(), a.no, a.dept, days=a.days))


def cmd_urge(cli: Cli) -> int:
    a = cli.args
    return _show(cli, grievance.urge(cli.hall.uow(), cli.actor(), a.no, a.note, days=a.days))


def cmd_resolve(cli: Cli) -> int:
    return _show(cli, grievance.resolve(cli.hall.uow(), cli.actor(), cli.args.no, cli.args.reply))


def cmd_callback(cli: Cli) -> int:
    a = cli.args
    return _show(cli, grievance.callback(cli.hall.uow(), cli.actor(), a.no, satisfied=a.satisfied == "yes",
                                         note=a.note))


def cmd_archive(cli: Cli) -> int:
    return _show(cli, grievance.archive(cli.hall.uow(), cli.actor(), cli.args.no))


def cmd_list(cli: Cli) -> int:
    a = cli.args
    views = grievance.list_grievances(cli.hall.uow(), cli.actor(), dept=a.dept, status=a.status, overdue=a.overdue)
    if a.json:
        print_json([v.as_json() for v in views])
    else:
        for v in views:
            light = LIGHTS.get(v.light, "")
            print(f"{v.grievance_no}\t{v.status_name}\t{v.category_name or '未分类'}\t{v.dept_name or '-'}\t"
                  f"{v.due.isoformat() if v.due else '-'}\t{light}\t{v.complainant_masked}")
    return 0


def cmd_show(cli: Cli) -> int:
    detail = grievance.get_grievance(cli.hall.uow(), cli.actor(), cli.args.no)
    if cli.args.json:
        print_json(detail.as_json())
        return 0
    doc = detail.grievance.as_json(full_name=True)  # the masked phone, as on every other output
    print(f"{doc['grievance_no']}\t{doc['status_name']}\t{doc['category_name'] or '未分类'}\t{doc['channel_name']}受理")
    print(f"诉求人：{doc['complainant']}  {doc['phone']}")
    print(f"内容：{doc['content']}")
    if doc["case_no"]:
        print(f"相关办件：{doc['case_no']}")
    if doc["dept_name"]:
        print(f"承办部门：{doc['dept_name']}  期限 {doc['due'] or '-'}  督办 {doc['urge_count']} 次")
    if doc["reply"]:
        print(f"办理结果：{doc['reply']}")
    for e in detail.events:
        print(f"  {e.as_json()['at']}\t{e.action_name}\t{e.actor}\t{e.note}")
    return 0


def cmd_settings(cli: Cli) -> int:
    a = cli.args
    current = grievance.get_grievance_settings(cli.ready_hall().uow())
    if a.days is not None:
        current = grievance.save_grievance_settings(cli.hall.uow(), cli.actor(),
                                                    grievance.GrievanceSettings(days=a.days))
        print(f"已保存：转办期限 {current.days} 个工作日", file=sys.stderr)
    if a.json:
        print_json(current.as_json())
    else:
        print(f"转办期限（限时督办）：{current.days} 个工作日")
    return 0


def register(sub: Any) -> None:
    """Add the ``grievance`` command group to the parser."""
    add = add_command
    gv = sub.add_parser("grievance", help="办不成事窗口：诉求受理、转办督办、回访归档").add_subparsers(
        dest="sub", required=True, parser_class=Parser)

    sp = add(gv, "add", cmd_add, "受理：登记诉求（营商办、办不成事窗口）", json_flag=True)
    sp.add_argument("--name", required=True, help="诉求人姓名")
    sp.add_argument("--content", required=True, help="诉求内容（不超过2000字）")
    sp.add_argument("--phone", help="诉求人手机号码（可不填）")
    sp.add_argument("--channel", default="window", choices=list(grievance.CHANNELS),
                    help="受理渠道：" + "、".join(f"{k} {v}" for k, v in grievance.CHANNELS.items()))
    sp.add_argument("--case", metavar="CASE_NO", help="相关办件编号（投诉某一办件时）")

    sp = add(gv, "classify", cmd_classify, "分类（营商办）", json_flag=True)
    sp.add_argument("no", metavar="NO")
    sp.add_argument("--category", required=True, choices=list(grievance.CATEGORIES),
                    help="、".join(f"{k} {v}" for k, v in grievance.CATEGORIES.items()))

    sp = add(gv, "assign", cmd_assign, "转办到部门，限时办结（营商办；已转办的可改派）", json_flag=True)
    sp.add_argument("no", metavar="NO")
    sp.add_argument("--dept", required=True, help="部门代码，如 SCJ")
    sp.add_argument("--days", type=int, help="办理期限（工作日，默认取 grievance settings）")

    sp = add(gv, "urge", cmd_urge, "督办（营商办）", json_flag=True)
    sp.add_argument("no", metavar="NO")
    sp.add_argument("--note", required=True, help="督办意见")
    sp.add_argument("--days", type=int, help="重新限时：自今日起的工作日数")

    sp = add(gv, "resolve", cmd_resolve, "办结：登记办理结果（承办部门首席代表，或营商办当场办结）", json_flag=True)
    sp.add_argument("no", metavar="NO")
    sp.add_argument("--reply", required=True, help="办理结果（答复诉求人的内容）")

    sp = add(gv, "callback", cmd_callback, "回访（营商办）：满意则待归档，不满意则退回原部门重新办理", json_flag=True)
    sp.add_argument("no", metavar="NO")
    sp.add_argument("--satisfied", required=True, choices=["yes", "no"])
    sp.add_argument("--note", required=True, help="回访情况")

    sp = add(gv, "archive", cmd_archive, "归档（营商办；回访满意后）", json_flag=True)
    sp.add_argument("no", metavar="NO")

    sp = add(gv, "list", cmd_list, "诉求列表（超期在前，再按期限）；首席代表只看本部门", json_flag=True)
    sp.add_argument("--dept", help="部门代码")
    sp.add_argument("--status", choices=list(grievance.STATUSES))
    sp.add_argument("--overdue", action="store_true", help="只列超期的")

    sp = add(gv, "show", cmd_show, "一件诉求及其办理过程", json_flag=True)
    sp.add_argument("no", metavar="NO")

    sp = add(gv, "settings", cmd_settings, "显示或修改转办期限（工作日，营商办修改）", json_flag=True)
    sp.add_argument("--days", type=int, help="1–60个工作日")
