"""CLI commands of printing: receipts, notices as PDF, the print queue, printer settings and the QR slip check.
Registered by ``cli.main.build_parser``."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.errors import ValidationError
from app.printing.notice_templates import NOTICE_KINDS
from cli.base import Cli, Parser, add_command, print_json


def _job_outcome(job: Any) -> int:
    if job.status == "printed":
        print(f"已打印（任务 {job.id}）", file=sys.stderr)
    else:
        print(f"打印机暂时无法打印：{job.last_error}。任务 {job.id} 已排队，将自动重试", file=sys.stderr)
    return 0


def cmd_print_receipt(cli: Cli) -> int:
    from app.printing import desk, queue

    a = cli.args
    if a.reprint and not a.reason:
        raise ValidationError("reason", "补打须用 --reason 写明原因")
    actor = cli.actor()
    job_id = desk.receipt_job(cli.hall.uow(), actor, a.case_no, printer=a.printer, reprint=a.reprint,
                              reason=a.reason or "")
    job = queue.send_job(cli.hall.uow, job_id, force=True, timeout=3.0)
    if a.json:
        print_json(job.as_json())
    return _job_outcome(job)


def cmd_print_queue(cli: Cli) -> int:
    from app.printing import queue

    jobs = queue.list_jobs(cli.ready_hall().uow(), status=cli.args.status, counter_number=cli.args.counter)
    if cli.args.json:
        print_json([j.as_json() for j in jobs])
    else:
        for j in jobs:
            print(f"{j.id}\t{j.case_no or '-'}\t{j.kind_name}\t{j.status_name}\t{j.printer or '-'}\t{j.last_error}")
    return 0


def cmd_print_notice(cli: Cli) -> int:
    from app.printing import desk

    a = cli.args
    actor = cli.actor()
    pdf = desk.notice_pdf(cli.hall.uow(), actor, a.case_no, a.kind, reprint=a.reprint, reason=a.reason or "")
    Path(a.out).write_bytes(pdf)
    print(f"已保存 {a.out}", file=sys.stderr)
    return 0


def cmd_print_test(cli: Cli) -> int:
    from app.printing import queue

    actor = cli.actor()
    job_id = queue.enqueue_test_page(cli.hall.uow(), actor, cli.args.printer)
    job = queue.send_job(cli.hall.uow, job_id, force=True, timeout=3.0)
    if job.status != "printed":
        queue.cancel_job(cli.hall.uow(), actor, job_id, "测试页失败")
        print(f"测试页打印失败：{job.last_error}", file=sys.stderr)
        return 9
    print("测试页已打印", file=sys.stderr)
    return 0


def cmd_print_retry(cli: Cli) -> int:
    from app.printing import queue

    actor = cli.actor()
    job_id = queue.retry_job(cli.hall.uow(), actor, cli.args.job_id)
    job = queue.send_job(cli.hall.uow, job_id, force=True, timeout=5.0)
    if cli.args.json:
        print_json(job.as_json())
    if job.status == "printed":
        print("已打印", file=sys.stderr)
        return 0
    print(f"仍未打印：{job.last_error}", file=sys.stderr)
    return 9


def cmd_print_cancel(cli: Cli) -> int:
    from app.printing import queue

    queue.cancel_job(cli.hall.uow(), cli.actor(), cli.args.job_id, cli.args.reason or "")
    print("已取消", file=sys.stderr)
    return 0


def cmd_print_redirect(cli: Cli) -> int:
    from app.printing import queue

    actor = cli.actor()
    job_id = queue.redirect_job(cli.hall.uow(), actor, cli.args.job_id, cli.args.printer)
    return _job_outcome(queue.send_job(cli.hall.uow, job_id, force=True, timeout=3.0))


def cmd_printer_show(cli: Cli) -> int:
    from app.printing import desk

    print_json(desk.get_profile(cli.ready_hall().uow(), cli.args.uri).__dict__)
    return 0


def cmd_printer_set(cli: Cli) -> int:
    from app.printing import desk

    a = cli.args
    current = desk.get_profile(cli.ready_hall().uow(), a.uri)
    changes: dict[str, Any] = {}
    if a.paper is not None:
        changes["paper_mm"] = a.paper
    if a.encoding is not None:
        changes["encoding"] = a.encoding
    for flag in ("chinese_mode", "raster", "cut", "status_check"):
        if getattr(a, flag) is not None:
            changes[flag] = getattr(a, flag) == "yes"
    if a.qr is not None:
        changes["qr_native"] = a.qr == "native"
    saved = desk.save_profile(cli.hall.uow(), cli.actor(), a.uri, replace(current, **changes))
    print_json(saved.__dict__)
    return 0


def cmd_printer_test(cli: Cli) -> int:
    """打印测试页 at a counter's receipt (or ``--a4``) printer, or at ``--printer`` tried for that counter."""
    from app.printing import testpage

    a = cli.args
    outcome = testpage.print_counter_test_page(cli.hall.uow(), cli.actor(), a.counter, a4=a.a4, uri=a.printer)
    if a.json:
        print_json({"ok": outcome.ok, "message": outcome.message, "printer": outcome.uri, "where": outcome.where})
    print(outcome.message, file=sys.stderr)
    return 0 if outcome.ok else 9


def cmd_printer_list(cli: Cli) -> int:
    """The receipt printers this PC can reach (no database needed)."""
    from app.printing.discovery import discover_thermal

    found = discover_thermal()
    if cli.args.json:
        print_json({"printers": [c.__dict__ for c in found.candidates], "notes": list(found.notes)})
    else:
        for c in found.candidates:
            print(f"{c.uri}\t{c.name}\t{c.detail}")
        for note in found.notes:
            print(note, file=sys.stderr)
    return 0


def cmd_slip_verify(cli: Cli) -> int:
    from app.printing import desk

    info = desk.verify_slip(cli.ready_hall().uow(), cli.args.payload)
    if not desk.case_exists(cli.hall.uow(), info.case_no):
        print(f"凭条签名有效，但办件 {info.case_no} 尚未同步到本库", file=sys.stderr)
    if cli.args.json:
        print_json(info.__dict__)
    else:
        print(info.case_no)
    return 0


def register(sub: Any) -> None:
    add = add_command
    pr = sub.add_parser("print", help="打印").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(pr, "receipt", cmd_print_receipt, "打印受理回执（补打须 --reprint --reason）", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--printer", metavar="URI")
    sp.add_argument("--reprint", action="store_true")
    sp.add_argument("--reason")
    sp = add(pr, "queue", cmd_print_queue, "打印队列", json_flag=True)
    sp.add_argument("--status", choices=["pending", "printed", "failed", "cancelled"])
    sp.add_argument("--counter", type=int)
    sp = add(pr, "notice", cmd_print_notice, "把通知书保存为 PDF")
    sp.add_argument("case_no")
    sp.add_argument("--kind", required=True, choices=[*NOTICE_KINDS, "decision"])
    sp.add_argument("--out", required=True, metavar="FILE.pdf")
    sp.add_argument("--reprint", action="store_true")
    sp.add_argument("--reason")
    sp = add(pr, "test", cmd_print_test, "打印测试页")
    sp.add_argument("--printer", required=True, metavar="URI")
    sp = add(pr, "retry", cmd_print_retry, "立即重发一个打印任务（打印成功才以 0 退出）", json_flag=True)
    sp.add_argument("job_id")
    sp = add(pr, "cancel", cmd_print_cancel, "取消一个等待中的打印任务")
    sp.add_argument("job_id")
    sp.add_argument("--reason")
    sp = add(pr, "redirect", cmd_print_redirect, "把等待中的任务改派到另一台打印机")
    sp.add_argument("job_id")
    sp.add_argument("--printer", required=True, metavar="URI")

    pp = sub.add_parser("printer", help="打印机设置").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(pp, "show", cmd_printer_show, "显示打印机设置")
    sp.add_argument("uri")
    sp = add(pp, "set", cmd_printer_set, "修改打印机设置")
    sp.add_argument("uri")
    sp.add_argument("--paper", type=int, choices=[58, 80])
    sp.add_argument("--encoding", choices=["GB18030", "GBK", "UTF-8"])
    sp.add_argument("--chinese-mode", dest="chinese_mode", choices=["yes", "no"])
    sp.add_argument("--raster", choices=["yes", "no"], help="整张回执按图片打印（打印机无中文字库时）")
    sp.add_argument("--qr", choices=["native", "image"])
    sp.add_argument("--cut", choices=["yes", "no"])
    sp.add_argument("--status-check", dest="status_check", choices=["yes", "no"])
    add(pp, "list", cmd_printer_list, "列出本机可用的回执打印机（Windows、CUPS、USB、串口）", json_flag=True)
    sp = add(pp, "test", cmd_printer_test, "在窗口的回执（或 A4）打印机上立即打印测试页", json_flag=True)
    sp.add_argument("--counter", required=True, type=int, metavar="N")
    sp.add_argument("--a4", action="store_true", help="测试 A4 打印机")
    sp.add_argument("--printer", metavar="URI", help="试用这个地址（不保存）")

    sl = sub.add_parser("slip", help="取件凭条").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(sl, "verify", cmd_slip_verify, "校验凭条签名，输出办件编号", json_flag=True)
    sp.add_argument("payload")
