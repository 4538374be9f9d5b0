"""CLI commands of the back office (后台审批) and the chief representative's desk (首席代表).

Registered by ``cli.main.build_parser``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from app import backoffice, chief_rep, claims, decisions
from app.errors import ValidationError
from cli.base import Cli, Parser, add_command, parse_date, positive_int, print_json


def cmd_queue(cli: Cli) -> int:
    a = cli.args
    actor = cli.actor()
    statuses = (a.status,) if a.status else backoffice.QUEUE_STATUSES
    page = backoffice.queue_page(cli.hall.uow(), actor, a.dept, statuses=statuses, limit=a.limit, search=a.search,
                                 with_light=a.light, channel=a.channel, mine=a.mine)
    if a.json:
        print_json([r.as_json() for r in page.rows])
    else:
        for r in page.rows:
            print(f"{r.case_no}\t{backoffice.LIGHTS[r.light]}\t{r.promised_due}\t{r.item_name}\t{r.holder or '-'}")
    return 0


def cmd_case_claim(cli: Cli) -> int:
    a = cli.args
    actor = cli.actor()
    if a.case_no:
        result: claims.Claim | None = claims.claim(cli.hall.uow(), actor, a.case_no)
    else:
        if not a.dept:
            raise ValidationError("dept", "请给出办件编号，或用 --dept 领取本部门队列中的下一件")
        result = claims.claim_next(cli.hall.uow(), actor, a.dept)
    if a.json:
        # The case as README shows it, read after the claim (the claim itself stays lean).
        print_json(claims.held(cli.hall.uow(), result).as_json() if result else None)
    elif result is None:
        print("队列中没有待领取的办件", file=sys.stderr)
    else:
        print(f"{result.case_no}\t领取令牌 {result.token}")
    return 0


def cmd_case_release(cli: Cli) -> int:
    view = claims.release(cli.hall.uow(), cli.actor(), cli.args.case_no)
    print(f"已释放 {view.case_no}", file=sys.stderr)
    return 0


def cmd_case_decide(cli: Cli) -> int:
    a = cli.args
    decision = "approve" if a.approve else "deny" if a.deny else "return" if a.return_ else "transfer"
    view = decisions.decide(cli.hall.uow(), cli.actor(), a.case_no, decision, token=a.token, reason=a.reason or "",
                             legal_basis=a.legal_basis or "", transfer_to=a.transfer, seal=a.seal,
                             supply=tuple(c for c in (a.supply or "").split(",") if c.strip()))
    if a.json:
        print_json(view.as_json())
    else:
        print(f"{view.case_no}\t{view.status_name}")
    return 0


def cmd_seal_authorise(cli: Cli) -> int:
    chief_rep.authorise_seal(cli.hall.uow(), cli.actor(), cli.args.case_no)
    print(f"已授权办件 {cli.args.case_no} 使用审批专用章", file=sys.stderr)
    return 0


def cmd_seal_log(cli: Cli) -> int:
    a = cli.args
    if a.pdf:  # the register as the A4 report to print, sign and file
        pdf = chief_rep.seal_register_pdf(cli.hall.uow(), cli.actor(), a.dept, since=a.since, until=a.until)
        Path(a.pdf).write_bytes(pdf)
        print(f"已保存 {a.pdf}", file=sys.stderr)
        return 0
    uses = chief_rep.seal_log(cli.hall.uow(), cli.actor(), a.dept, since=a.since, until=a.until)
    if cli.args.json:
        print_json([u.as_json() for u in uses])
    else:
        for u in uses:
            print(f"{u.at:%Y-%m-%d %H:%M}\t{u.case_no}\t{u.decision}\t{u.applied_by}\t{u.authorised_by}")
    return 0


def cmd_workload(cli: Cli) -> int:
    rows = chief_rep.workload(cli.hall.uow(), cli.actor(), cli.args.dept, cli.args.week)
    if cli.args.json:
        print_json([w.as_json() for w in rows])
    else:
        for w in rows:
            print(f"{w.username}\t{w.full_name}\t领取{w.claimed}\t办结{w.decided}\t平均{w.avg_hours}h\t超期{w.overdue}")
    return 0


def cmd_case_renew(cli: Cli) -> int:
    done = claims.renew(cli.hall.uow(), cli.actor(), cli.args.case_no, cli.args.token)
    if cli.args.json:
        print_json(done.as_json())
    else:
        print(f"{done.case.case_no}\t领取延长至 {done.lease_until:%H:%M}")
    return 0


def cmd_case_opinion(cli: Cli) -> int:
    decisions.add_opinion(cli.hall.uow(), cli.actor(), cli.args.case_no, cli.args.text, cli.args.token)
    print(f"已记录审查意见：{cli.args.case_no}", file=sys.stderr)
    return 0


def cmd_case_reassign(cli: Cli) -> int:
    claim = claims.reassign(cli.hall.uow(), cli.actor(), cli.args.case_no, cli.args.to)
    if cli.args.json:
        print_json(claim.as_json())
    else:
        print(f"{claim.case_no}\t已改派给 {claim.holder}\t领取令牌 {claim.token}")
    return 0


def cmd_dept_settings(cli: Cli) -> int:
    a = cli.args
    current = backoffice.get_dept_settings(cli.ready_hall().uow(), a.dept)
    changes: dict[str, Any] = {}
    if a.review_days is not None:
        changes["review_days"] = a.review_days
    if a.lease_minutes is not None:
        changes["lease_minutes"] = a.lease_minutes
    if a.paused is not None:
        changes["paused"] = tuple(u.strip() for u in a.paused.split(",") if u.strip())
    if a.issue_before_supplement is not None:
        changes["issue_before_supplement"] = a.issue_before_supplement == "yes"
    if a.doc_prefix is not None:
        changes["doc_prefix"] = a.doc_prefix
    if a.licence_seal is not None:
        changes["licence_seal"] = a.licence_seal == "yes"
    if changes:
        current = backoffice.save_dept_settings(cli.hall.uow(), cli.actor(), a.dept, replace(current, **changes))
    print_json(current.as_json())
    return 0


def register(sub: Any, case_sub: Any) -> None:
    """Add the back-office commands: ``queue``, ``case claim|release|decide|renew|opinion|reassign``, ``seal``,
    ``workload`` and ``dept settings``."""
    add = add_command
    cs = case_sub
    sp = add(sub, "queue", cmd_queue, "部门后台队列（按承诺办结日排序，带红黄牌）", json_flag=True)
    sp.add_argument("--dept", required=True)
    sp.add_argument("--status", choices=["accepted", "in_review", "suspended"])
    sp.add_argument("--search")
    sp.add_argument("--light", choices=list(backoffice.LIGHTS), help="只看该时限灯：red 超期、yellow 临期、green 正常、paused 暂停计时（特别程序中）")
    sp.add_argument("--channel", choices=["window", "online"], help="只看窗口受理（window）或网上申报（online）的办件")
    sp.add_argument("--mine", action="store_true", help="只看本人领取在办的办件")
    sp.add_argument("--limit", type=positive_int, default=200)
    sp = add(cs, "claim", cmd_case_claim, "领取办件：给出办件编号，或 --dept 领取队列中的下一件（空队列输出 null）",
             json_flag=True)
    sp.add_argument("case_no", nargs="?")
    sp.add_argument("--dept")
    sp = add(cs, "release", cmd_case_release, "释放已领取的办件回队列")
    sp.add_argument("case_no")
    sp = add(cs, "decide", cmd_case_decide, "审批决定（须持有有效领取）", json_flag=True)
    sp.add_argument("case_no")
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--approve", action="store_true", help="准予许可")
    g.add_argument("--deny", action="store_true", help="不予许可")
    g.add_argument("--return", dest="return_", action="store_true", help="退回补正")
    g.add_argument("--transfer", metavar="DEPT", help="转办到其他部门")
    sp.add_argument("--reason", help="理由（不予许可、退回、转办必填）")
    sp.add_argument("--legal-basis", dest="legal_basis")
    sp.add_argument("--seal", action="store_true", help="加盖审批专用章（须首席代表授权）")
    sp.add_argument("--supply", metavar="CODES", help="退回补正：需补正的材料代码，逗号分隔（列入补正通知书）")
    sp.add_argument("--token", type=int, help="领取令牌（脚本用：领取已被他人重新领取时拒绝）")
    se = sub.add_parser("seal", help="审批专用章").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(se, "authorise", cmd_seal_authorise, "首席代表授权某办件用章")
    sp.add_argument("case_no")
    sp = add(se, "log", cmd_seal_log, "用章登记簿（--pdf 生成可打印的登记簿报表）", json_flag=True)
    sp.add_argument("--dept", required=True)
    sp.add_argument("--since", type=parse_date, help="自该日起（含）")
    sp.add_argument("--until", type=parse_date, help="至该日止（含）")
    sp.add_argument("--pdf", metavar="FILE.pdf", help="把登记簿存为 A4 报表（PDF），供打印、签字、归档")
    sp = add(sub, "workload", cmd_workload, "首席代表：本部门人员本周工作量", json_flag=True)
    sp.add_argument("--dept", required=True)
    sp.add_argument("--week", type=parse_date, help="该周内任一天（默认本周）")
    sp = add(cs, "renew", cmd_case_renew, "续期：延长自己持有的领取（审批人员处理中时）", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--token", type=int)
    sp = add(cs, "opinion", cmd_case_opinion, "填写审查意见（须持有有效领取）")
    sp.add_argument("case_no")
    sp.add_argument("--text", required=True)
    sp.add_argument("--token", type=int)
    sp = add(cs, "reassign", cmd_case_reassign, "首席代表：把办件改派给本部门另一名审批人员", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--to", dest="to", required=True, metavar="USER")
    dp = sub.add_parser("dept", help="部门后台设置").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(dp, "settings", cmd_dept_settings, "显示或修改部门设置（首席代表）：环节时限、领取时长、暂停领件人员、容缺先发证、"
                                                     "决定书编号前缀和用章")
    sp.add_argument("--dept", required=True)
    sp.add_argument("--review-days", dest="review_days", type=int, help="审批环节时限（工作日）")
    sp.add_argument("--lease-minutes", dest="lease_minutes", type=int, help="领取后保留分钟数")
    sp.add_argument("--paused", help="暂停领件的人员，逗号分隔；空字符串表示无")
    sp.add_argument("--issue-before-supplement", dest="issue_before_supplement", choices=["yes", "no"],
                    help="容缺材料补齐前可先发证")
    sp.add_argument("--doc-prefix", dest="doc_prefix",
                    help="决定书编号前缀（如 新建市监）；空字符串表示按部门名称（新建市场监管局）")
    sp.add_argument("--licence-seal", dest="licence_seal", choices=["yes", "no"],
                    help="行政许可决定书须加盖审批专用章（默认 yes：须经首席代表授权用章）")
