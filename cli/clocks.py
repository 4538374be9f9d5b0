"""CLI commands of the case clocks: ``case suspend`` (特别程序), ``case resume`` (恢复计时), ``case extend`` (延期).

Registered by ``cli.main.build_parser``; the rules are in ``app.clocks`` and ``app.clock_actions``.
"""

from __future__ import annotations

from typing import Any

from app import clock_actions, lifecycle
from cli.base import Cli, add_command, cli_int, print_json


def cmd_case_suspend(cli: Cli) -> int:
    a = cli.args
    done = clock_actions.suspend(cli.hall.uow(), cli.actor(), a.case_no, a.procedure, a.reason or "", token=a.token)
    if a.json:
        print_json(done.as_json())
    else:
        clock = done.case.clock
        print(f"{done.case.case_no}\t{done.case.status_name}（{clock.procedure}）\t承诺时限剩余{clock.paused_promised}"
              f"个工作日\t法定期限剩余{clock.paused_legal}个工作日\t{done.notice.doc_no}\t{done.notice.delivery}")
    return 0


def cmd_case_resume(cli: Cli) -> int:
    held = clock_actions.resume(cli.hall.uow(), cli.actor(), cli.args.case_no)
    if cli.args.json:
        print_json(held.as_json())
    else:
        case = held.case
        print(f"{case.case_no}\t恢复计时\t承诺办结 {case.promised_due}\t法定办结 {case.legal_due}\t领取令牌 {held.token}")
    return 0


def cmd_case_extend(cli: Cli) -> int:
    a = cli.args
    done = clock_actions.extend(cli.hall.uow(), cli.actor(), a.case_no, a.days, a.approver or "", a.reason or "")
    if a.json:
        print_json(done.as_json())
    else:
        case = done.case
        due = case.legal_due if case.clock.state(case.status, "legal") != "paused" else "（暂停计时中）"
        print(f"{case.case_no}\t延期{a.days}个工作日\t法定办结 {due}\t{done.notice.doc_no}\t{done.notice.delivery}")
    return 0


def register(case_sub: Any) -> None:
    """Add ``case suspend|resume|extend``."""
    cs = case_sub
    procedures = "、".join(lifecycle.PROCEDURES)
    sp = add_command(cs, "suspend", cmd_case_suspend,
                     f"特别程序：中止计时（两个时限均暂停）并出具特别程序告知书（须持有有效领取）；程序为 {procedures} 之一",
                     json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--procedure", required=True, metavar="P", help=f"特别程序：{procedures}（行政许可法第四十五条）")
    sp.add_argument("--reason", help="理由（必填，写入告知书）")
    sp.add_argument("--token", type=int, help="领取令牌（脚本用）")
    sp = add_command(cs, "resume", cmd_case_resume, "特别程序结束：恢复计时（按剩余工作日重新计算办结日期），并领取该办件",
                     json_flag=True)
    sp.add_argument("case_no")
    sp = add_command(cs, "extend", cmd_case_extend,
                     "延期（行政许可法第四十二条）：法定办结日期顺延 N 个工作日，每件一次，N 不超过10，出具延期告知书",
                     json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--days", required=True, type=cli_int, metavar="N", help="延长的工作日数（1–10）")
    sp.add_argument("--approver", help="批准延期的本行政机关负责人（必填）")
    sp.add_argument("--reason", help="延期理由（必填，告知申请人）")
