"""CLI commands of the paper folders (材料流转): ``transfer create``, ``transfer receive``, ``transfer list``.

Registered by ``cli.main.build_parser``; the rules (which folders wait, who signs, the history events) are in
``app.transfers``.  On a counter's own store (``--local``) these commands still work on the shared database
(``--db``): a transfer is between the counter and a department, never kept on one PC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app import transfers
from app.errors import ValidationError
from app.transfers import BatchView
from cli.base import Cli, Parser, add_command, positive_int, print_json


def _print_batch(view: BatchView) -> None:
    materials, originals, copies = view.totals
    print(f"{view.batch_no}\t{view.dept_name}\t{view.state_name}\t{len(view.cases)}件\t"
          f"材料{materials}项（原件{originals}份，复印件{copies}份）")
    for f in view.cases:
        print(f"  {f.case_no}\t{f.state_name}\t{f.item_name}\t{f.applicant}")


def cmd_transfer_create(cli: Cli) -> int:
    a = cli.args
    hall = cli.ready_hall()
    actor = cli.actor()
    out = Path(a.out)
    if out.is_dir():
        raise ValidationError("out", f"{out} 是文件夹：请给出交接单 PDF 的文件名")
    made = transfers.create_batch(hall.uow(), actor, a.dept, a.cases or None)
    view, pdf = transfers.batch_sheet(hall.uow(), actor, made.batch_no)
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        raise ValidationError("out", f"交接单 {view.batch_no} 已生成，但无法写入 {out}：{exc.strerror or exc}"
                                     f"（可用 transfer list 查到它，再换个位置打印）") from exc
    if a.json:
        print_json({**view.as_json(), "out": str(out)})
    else:
        _print_batch(view)
        print(f"交接单已保存到 {out}")
    return 0


def cmd_transfer_receive(cli: Cli) -> int:
    a = cli.args
    view = transfers.receive_batch(cli.ready_hall().uow(), cli.actor(), a.batch_no, a.missing or ())
    if a.json:
        print_json(view.as_json())
    else:
        _print_batch(view)
    return 0


def cmd_transfer_list(cli: Cli) -> int:
    a = cli.args
    views = transfers.list_batches(cli.ready_hall().uow(), cli.actor(), a.dept, limit=a.limit)
    if a.json:
        print_json([v.as_json() for v in views])
    else:
        for v in views:
            _print_batch(v)
    return 0


def register(sub: Any) -> None:
    """Add ``transfer create|receive|list``."""
    tr = sub.add_parser("transfer", help="材料流转（纸质材料交接单）").add_subparsers(
        dest="sub", required=True, parser_class=Parser)
    sp = add_command(tr, "create", cmd_transfer_create,
                     "把本窗口受理的、待移交某部门的纸质材料生成交接单（A4 PDF）", json_flag=True)
    sp.add_argument("--dept", required=True, help="接收部门代码")
    sp.add_argument("--out", required=True, metavar="FILE.pdf", help="交接单 PDF 写入的文件")
    sp.add_argument("--case", dest="cases", action="append", metavar="CASE_NO",
                    help="只移交这些办件（可重复；默认全部待移交的）")
    sp = add_command(tr, "receive", cmd_transfer_receive,
                     "部门签收交接单（交接单号，或扫描二维码得到的 HDTB:…）；未到的办件用 --missing 注明", json_flag=True)
    sp.add_argument("batch_no", metavar="BATCH_NO")
    sp.add_argument("--missing", action="append", metavar="CASE_NO", help="纸质材料未到的办件（可重复）")
    sp = add_command(tr, "list", cmd_transfer_list, "列出交接单（最新在前）", json_flag=True)
    sp.add_argument("--dept", help="接收部门代码")
    sp.add_argument("--limit", type=positive_int, default=100)
