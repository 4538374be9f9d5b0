"""CLI commands of the 容缺 follow-through (issue 14 part 7): the overdue list, 催补, 终止办理, and the public list
of what may be 容缺.  Registered by ``cli.main.build_parser``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app import tolerate
from cli.base import Cli, Parser, add_command, positive_int, print_json


def cmd_supplement_overdue(cli: Cli) -> int:
    rows = tolerate.overdue(cli.hall.uow(), cli.actor(), dept=cli.args.dept, limit=cli.args.limit)
    if cli.args.json:
        print_json([r.as_json() for r in rows])
    else:
        for r in rows:
            names = "、".join(m.name for m in r.materials if m.days_overdue > 0)
            print(f"{r.case_no}\t逾期{r.days_overdue}日\t{r.dept_name}\t{r.item_name}\t{r.applicant}\t{names}"
                  f"\t催补{r.reminders}次")
    return 0


def _served(cli: Cli, served: tolerate.Served) -> int:
    if cli.args.json:
        print_json(served.as_json())
    else:
        print(f"{served.case.case_no}\t{served.case.status_name}\t{served.doc_no}")
    return 0


def cmd_case_remind(cli: Cli) -> int:
    return _served(cli, tolerate.remind(cli.hall.uow(), cli.actor(), cli.args.case_no))


def cmd_case_terminate(cli: Cli) -> int:
    a = cli.args
    return _served(cli, tolerate.terminate(cli.hall.uow(), cli.actor(), a.case_no, a.reason, withdrawn=a.withdrawn))


def cmd_catalog_tolerable_list(cli: Cli) -> int:
    pdf, items = tolerate.tolerable_list_pdf(cli.ready_hall().uow())
    Path(cli.args.out).write_bytes(pdf)
    if cli.args.json:
        print_json([i.as_json() for i in items])
    print(f"已保存 {cli.args.out}（{len(items)}项事项）", file=sys.stderr)
    return 0


def register(sub: Any, case_sub: Any, catalog_sub: Any) -> None:
    """Add ``supplement overdue``, ``case remind``, ``case terminate`` and ``catalog tolerable-list``."""
    add = add_command
    sup = sub.add_parser("supplement", help="容缺材料").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(sup, "overdue", cmd_supplement_overdue, "容缺材料逾期未补齐的办件（逾期最久的在前，逾期按自然日计）",
             json_flag=True)
    sp.add_argument("--dept", help="部门代码（首席代表只看本部门）")
    sp.add_argument("--limit", type=positive_int, default=500)
    sp = add(case_sub, "remind", cmd_case_remind, "催补容缺材料：出具容缺材料催补通知书", json_flag=True)
    sp.add_argument("case_no")
    sp = add(case_sub, "terminate", cmd_case_terminate,
             "终止办理（容缺材料逾期未补齐，或 --withdrawn 申请人撤回），出具终止办理通知书", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--reason", required=True, help="终止办理的理由")
    sp.add_argument("--withdrawn", action="store_true", help="申请人申请撤回")
    sp = add(catalog_sub, "tolerable-list", cmd_catalog_tolerable_list,
             "可容缺受理事项及容缺材料清单（A4 PDF，按部门）", json_flag=True)
    sp.add_argument("--out", required=True, metavar="FILE.pdf")
