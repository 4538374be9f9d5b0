"""CLI commands of the output window (出件), ratings (好差评) and rectifications (整改).

Registered by ``cli.main.build_parser``; kept apart so that the main CLI module stays readable.
"""

from __future__ import annotations

import sys
from typing import Any

from app import evaluation, output
from app.errors import ValidationError
from cli.base import Cli, Parser, add_command, json_input, parse_date, positive_int, print_json, print_now


def _text(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationError(f"{where}.{key}", f"字段 {key} 应为文本")
    return str(value)  # a phone or tracking number written as a number is still that number


def _collector(path: str | None) -> output.Collector | None:
    if not path:
        return None
    doc = json_input(path)
    if not isinstance(doc, dict):
        raise ValidationError("collector", '领取人 JSON 应为对象：{"name", "id_number", "proxy": true, "proxy_note"}')
    return output.Collector(name=_text(doc, "name", "collector"), id_number=_text(doc, "id_number", "collector"),
                            by_proxy=doc.get("proxy", False) is True,
                            proxy_note=_text(doc, "proxy_note", "collector"))


def _mailing(path: str | None) -> output.Mailing | None:
    if not path:
        return None
    doc = json_input(path)
    if not isinstance(doc, dict):
        raise ValidationError("mail", '邮寄 JSON 应为对象：{"recipient", "phone", "address", "tracking_no"}')
    return output.Mailing(recipient=_text(doc, "recipient", "mail"), phone=_text(doc, "phone", "mail"),
                          address=_text(doc, "address", "mail"), tracking_no=_text(doc, "tracking_no", "mail"))


def _credentials(cli: Cli) -> dict[str, str | None]:
    a = cli.args
    if bool(a.slip) == bool(a.pickup_code):
        raise ValidationError("slip", "请给出 --slip 凭条内容，或 --pickup-code 取件码（二选一）")
    return {"slip": a.slip, "case_no": None if a.slip else a.case_no, "pickup_code": a.pickup_code}


def cmd_case_pickup(cli: Cli) -> int:
    found = output.find_for_pickup(cli.hall.uow(), cli.actor(), **_credentials(cli))
    if found.slip_case_no_differs(cli.args.case_no):
        raise ValidationError("case_no", f"凭条属于办件 {found.case.case_no}，不是 {cli.args.case_no}")
    if cli.args.json:
        print_json(found.as_json())
    else:
        print(f"{found.case.case_no}\t{found.case.status_name}\t{'可出件' if found.ready else '；'.join(found.blockers)}")
    return 0


def cmd_case_issue(cli: Cli) -> int:
    a = cli.args
    actor = cli.actor()
    creds = _credentials(cli)
    if a.slip:
        # The slip names its case: make sure it is the one the clerk typed, before anything is written.
        found = output.find_for_pickup(cli.hall.uow(), actor, **creds)
        if found.slip_case_no_differs(a.case_no):
            raise ValidationError("case_no", f"凭条属于办件 {found.case.case_no}，不是 {a.case_no}")
    done = output.issue(cli.hall.uow(), actor, collector=_collector(a.collector_json), mail=_mailing(a.mail_json),
                        **creds)
    doc = done.as_json()
    doc["print_jobs"] = [j for j in print_now(cli, done.case.case_no) if j["kind"] == "handover"]
    if a.json:
        print_json(doc)
    else:
        print(f"{done.case.case_no}\t已出件\t{done.handover.delivery}")
    return 0


def cmd_case_supplement(cli: Cli) -> int:
    view = output.record_supplement(cli.hall.uow(), cli.actor(), cli.args.case_no, cli.args.material)
    if cli.args.json:
        print_json(view.as_json())
    else:
        print(f"{view.case_no}\t已登记补交 {cli.args.material}")
    return 0


def cmd_case_unlock_pickup(cli: Cli) -> int:
    view = output.unlock_pickup(cli.hall.uow(), cli.actor(), cli.args.case_no)
    print(f"已解锁 {view.case_no}", file=sys.stderr)
    return 0


def cmd_case_rate(cli: Cli) -> int:
    a = cli.args
    rated = evaluation.rate(cli.hall.uow(), cli.actor(), a.case_no, a.level, reasons=a.reason or [],
                            comment=a.comment or "", occasion=a.occasion)
    if a.json:
        print_json(rated.as_json())
    else:
        due = f"\t整改期限 {rated.rectification_due}" if rated.rectification_due else ""
        print(f"{rated.case_no}\t{rated.level_name}{due}")
    return 0


def cmd_output_list(cli: Cli) -> int:
    actor = cli.actor()
    views = (output.issued_on(cli.hall.uow(), actor, cli.args.issued_on) if cli.args.issued_on
             else output.awaiting_pickup(cli.hall.uow(), actor, limit=cli.args.limit))
    if cli.args.json:
        print_json([v.as_json() for v in views])
    else:
        for v in views:
            print(f"{v.case_no}\t{v.status_name}\t{v.item_name}\t{v.enterprise_name or ''}")
    return 0


def cmd_rectification_list(cli: Cli) -> int:
    a = cli.args
    rows = evaluation.list_rectifications(cli.hall.uow(), cli.actor(), dept=a.dept, status=a.status,
                                          overdue_only=a.overdue)
    if a.json:
        print_json([r.as_json() for r in rows])
    else:
        for r in rows:
            print(f"{r.id}\t{r.case_no}\t{r.dept_name}\t{r.status_name}\t期限 {r.due}\t{'超期' if r.overdue else ''}")
    return 0


def cmd_rectification_callback(cli: Cli) -> int:
    view = evaluation.record_callback(cli.hall.uow(), cli.actor(), cli.args.id, cli.args.note)
    if cli.args.json:
        print_json(view.as_json())
    else:
        print(f"{view.case_no}\t{view.status_name}")
    return 0


def cmd_rectification_close(cli: Cli) -> int:
    view = evaluation.close_rectification(cli.hall.uow(), cli.actor(), cli.args.id, cli.args.fix)
    if cli.args.json:
        print_json(view.as_json())
    else:
        print(f"{view.case_no}\t{view.status_name}")
    return 0


def cmd_rating_summary(cli: Cli) -> int:
    a = cli.args
    summary = evaluation.evaluation_summary(cli.hall.uow(), cli.actor(), dept=a.dept, since=a.since, until=a.until)
    if a.json:
        print_json(summary.as_json())
    else:
        levels = "  ".join(f"{evaluation.LEVELS[k]} {summary.counts.get(k, 0)}" for k in sorted(evaluation.LEVELS,
                                                                                           reverse=True))
        print(f"共 {summary.total} 条  差评 {summary.bad}  满意率 {summary.satisfaction:.1%}\n{levels}")
    return 0


def cmd_rating_settings(cli: Cli) -> int:
    a = cli.args
    current = evaluation.get_evaluation_settings(cli.ready_hall().uow())
    if a.rectification_days is not None or a.prompt_seconds is not None:
        current = evaluation.save_evaluation_settings(cli.hall.uow(), cli.actor(), evaluation.EvaluationSettings(
            rectification_days=a.rectification_days if a.rectification_days is not None
            else current.rectification_days,
            prompt_seconds=a.prompt_seconds if a.prompt_seconds is not None else current.prompt_seconds))
    print_json(current.as_json())
    return 0


def register(sub: Any, case_sub: Any) -> None:
    """Add the output-window, rating and rectification commands to the parser."""
    add = add_command

    def credentials(sp: Any) -> None:
        sp.add_argument("case_no")
        sp.add_argument("--slip", metavar="PAYLOAD", help="扫描到的取件凭条内容（HD1:…）")
        sp.add_argument("--pickup-code", dest="pickup_code", metavar="CODE", help="6位取件码")

    sp = add(case_sub, "pickup", cmd_case_pickup, "出件窗口：核验凭条或取件码，显示办理结果和能否出件", json_flag=True)
    credentials(sp)
    sp = add(case_sub, "issue", cmd_case_issue, "出件：凭凭条或取件码交付办理结果（默认领取人为登记的经办人）",
             json_flag=True)
    credentials(sp)
    sp.add_argument("--collector-json", dest="collector_json", metavar="FILE",
                    help='代领人 {"name", "id_number", "proxy": true（已核验委托书）, "proxy_note"}')
    sp.add_argument("--mail-json", dest="mail_json", metavar="FILE",
                    help='EMS 邮寄 {"recipient", "phone", "address", "tracking_no"}')
    sp = add(case_sub, "supplement", cmd_case_supplement, "登记容缺材料已补交", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--material", required=True, metavar="CODE")
    sp = add(case_sub, "unlock-pickup", cmd_case_unlock_pickup, "主管：解除取件码多次错误造成的锁定")
    sp.add_argument("case_no")
    sp = add(case_sub, "rate", cmd_case_rate, "好差评：记录申请人的评价（1–5）", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--level", type=int, required=True, help="5 非常满意 4 满意 3 基本满意 2 不满意 1 非常不满意")
    sp.add_argument("--reason", action="append", metavar="R",
                    help=f"差评原因，可重复：{'、'.join(f'{k} {v}' for k, v in evaluation.REASONS.items())}")
    sp.add_argument("--comment")
    sp.add_argument("--occasion", choices=list(evaluation.OCCASIONS), help="评价环节（默认：已出件为 issue，否则 intake）")

    op = sub.add_parser("output", help="统一出件窗口").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(op, "list", cmd_output_list, "待出件的办件（等待最久的在前），或 --issued-on 某日已出件", json_flag=True)
    sp.add_argument("--issued-on", dest="issued_on", type=parse_date)
    sp.add_argument("--limit", type=positive_int, default=200)

    rc = sub.add_parser("rectification", help="差评整改").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(rc, "list", cmd_rectification_list, "整改列表（超期在前）", json_flag=True)
    sp.add_argument("--dept")
    sp.add_argument("--status", choices=list(evaluation.RECTIFICATION_STATUSES))
    sp.add_argument("--overdue", action="store_true", help="只列超期的")
    sp = add(rc, "callback", cmd_rectification_callback, "首席代表：登记回访情况", json_flag=True)
    sp.add_argument("id")
    sp.add_argument("--note", required=True)
    sp = add(rc, "close", cmd_rectification_close, "首席代表：登记整改措施并办结", json_flag=True)
    sp.add_argument("id")
    sp.add_argument("--fix", required=True)

    rt = sub.add_parser("rating", help="好差评统计与设置").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(rt, "summary", cmd_rating_summary, "评价统计（各等级数量、差评数、满意率）", json_flag=True)
    sp.add_argument("--dept")
    sp.add_argument("--since", type=parse_date)
    sp.add_argument("--until", type=parse_date)
    sp = add(rt, "settings", cmd_rating_settings, "显示或修改整改期限（工作日）与评价器等待秒数")
    sp.add_argument("--rectification-days", dest="rectification_days", type=int)
    sp.add_argument("--prompt-seconds", dest="prompt_seconds", type=int)
