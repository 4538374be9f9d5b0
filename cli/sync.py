"""CLI for offline-first counters: ``sync run``, ``sync status``, ``sync reconcile``, and which commands run on
the counter's local store when ``--local`` is given (see ``app.infra.counter_store``).

With ``--db URL --local PATH``, ``case create`` writes to the local store and pushes at once (its JSON gains
``"synced": true|false``), and the clerk logs in against the accounts cached at the last pull, so it works
while the shared database is out of reach.  ``sync`` commands always work on the local store (``--local``
or its default in the data folder).
"""

from __future__ import annotations

import sys
from typing import Any

from app.hall_settings import today
from cli.base import Cli, Parser, add_command, parse_date, print_json


def _say_status(cli: Cli) -> int:
    st = cli.store.status()
    if cli.args.json:
        print_json(st.as_json())
    else:
        when = st.last_success.isoformat(timespec="seconds") if st.last_success else "从未"
        print(f"待同步 {st.pending} 件；上次成功同步：{when}", file=sys.stderr)
        if st.last_error:
            print(f"上次错误：{st.last_error}", file=sys.stderr)
        if st.files_pending:
            print(f"待上传电子件 {st.files_pending} 个，{st.files_pending_bytes / 1048576:.1f} MB", file=sys.stderr)
        print(f"本机窗口库 {st.store_bytes / 1048576:.0f} MB（预算 {st.store_budget_mb} MB）", file=sys.stderr)
    if st.budget_warning:
        print(f"警告：{st.budget_warning}", file=sys.stderr)
    return 0


def cmd_sync_run(cli: Cli) -> int:
    """Pull, then push everything pending; exit 7 when the shared database is out of reach."""
    store = cli.store
    if cli.args.resend_all:
        store.resend_all()
    store.pull_now()
    result = store.push_now()
    code = _say_status(cli)
    if result is None:
        print("共享数据库无法连接：办件保存在本机，稍后再同步", file=sys.stderr)
        return 7
    return code


def cmd_sync_status(cli: Cli) -> int:
    return _say_status(cli)


def cmd_sync_reconcile(cli: Cli) -> int:
    report = cli.store.reconcile(cli.args.date or today())
    if cli.args.json:
        print_json(report.as_json())
    else:
        print(
            f"{report.day} 本窗口 {report.local} 件：已在共享库 {len(report.present)} 件，"
            f"缺少 {len(report.missing)} 件，不一致 {len(report.differing)} 件，"
            f"电子件未到共享库 {len(report.files_missing)} 个",
            file=sys.stderr,
        )
        for no in report.missing:
            print(f"缺少\t{no}")
        for d in report.differing:
            print(
                f"不一致\t{d.case_no}\t本机 {d.local_status} v{d.local_version}\t共享 {d.shared_status} v{d.shared_version}"
            )
        for f in report.files_missing:
            print(f"电子件未到\t{f.case_no}\t{f.material_code}\t{f.name}\t{f.sha256}")
    return 0


def register(sub: Any) -> None:
    """Add the ``sync`` commands to the parser."""
    add = add_command
    sy = sub.add_parser("sync", help="离线窗口同步").add_subparsers(
        dest="sub", required=True, parser_class=Parser
    )
    sp = add(sy, "run", cmd_sync_run, "立即同步：下载目录和账户，上传本机待同步的办件", json_flag=True)
    sp.add_argument(
        "--resend-all",
        dest="resend_all",
        action="store_true",
        help="把本机全部办件重新上传一遍（共享库中已有的不会重复）",
    )
    add(sy, "status", cmd_sync_status, "待同步件数、待上传电子件、本机库大小与预算、上次成功同步、上次错误", json_flag=True)
    sp = add(
        sy, "reconcile", cmd_sync_reconcile, "日终对账：本窗口当天的办件与共享数据库对比", json_flag=True
    )
    sp.add_argument("--date", type=parse_date, help="日期 YYYY-MM-DD（默认今天）")
