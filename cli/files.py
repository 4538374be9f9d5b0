"""CLI commands of the scanned materials (电子件): ``case attach``, ``case files``, ``case file-get``.

Registered by ``cli.main.build_parser``; the rules (who may open, limits, the audit of every opening) are in
``app.files``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app import file_archive, files
from cli.base import Cli, Parser, add_command, parse_date, print_json


def _mb(n: int) -> str:
    return f"{n / files.MB:.1f} MB"


def cmd_case_attach(cli: Cli) -> int:
    a = cli.args
    hall = cli.ready_hall()
    lim = files.get_limits(hall.uow())
    inputs = [files.prepare_path(a.material, Path(p), lim) for p in a.files]
    done = files.attach(hall.uow(), cli.actor(), a.case_no, inputs)
    if a.json:
        print_json(done.as_json())
    else:
        for f in done.files:
            print(f"{f.id}\t{f.material_name}\t{f.name}\t{f.pages}页\t{_mb(f.size)}")
    return 0


def cmd_case_files(cli: Cli) -> int:
    listed = files.list_files(cli.ready_hall().uow(), cli.actor(), cli.args.case_no)
    if cli.args.json:
        print_json(listed.as_json())
    else:
        for f in listed.files:
            state = "" if f.available else "\t（尚未上传）"
            print(f"{f.id}\t{f.material_name}\t{f.name}\t{f.kind_name}\t{f.pages}页\t{_mb(f.size)}{state}")
    return 0


def cmd_case_file_get(cli: Cli) -> int:
    a = cli.args
    out = Path(a.out)
    view = files.export_file(cli.ready_hall().uow(), cli.actor(), a.case_no, a.file_id, out, a.reason or "")
    if a.json:
        print_json({**view.as_json(), "out": str(out)})
    else:
        print(f"{out}\t{view.name}\t{_mb(view.size)}\tsha256 {view.sha256}")
    return 0


def cmd_files_archive(cli: Cli) -> int:
    a = cli.args
    hall = cli.ready_hall()
    actor = cli.actor()

    def progress(done: int, total: int) -> None:
        print(f"已归档 {done}/{total}", file=sys.stderr)

    report = file_archive.archive(hall.uow, actor, a.finished_before, Path(a.to), progress)
    if a.json:
        print_json(report.as_json())
    else:
        print(f"已把 {report.files} 份电子件（{_mb(report.bytes)}）移到 {report.root}")
    return 0


def register(sub: Any, case_sub: Any) -> None:
    """Add ``case attach|files|file-get`` and ``files archive``."""
    fs = sub.add_parser("files", help="电子件").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add_command(fs, "archive", cmd_files_archive,
                     "把办结早于某日的办件的电子件移到文件共享（逐份校验后删去库中内容；之后仍可查看、导出）",
                     json_flag=True)
    sp.add_argument("--finished-before", required=True, type=parse_date, metavar="YYYY-MM-DD",
                    help="归档办结日期早于此日的办件的电子件（仍有未办结办件引用的不归档）")
    sp.add_argument("--to", required=True, metavar="DIR", help="文件共享的完整路径（各电脑须能以同一路径访问）")
    cs = case_sub
    sp = add_command(cs, "attach", cmd_case_attach,
                     "给办件的一项材料附电子件（PDF、JPEG、PNG、TIFF，按内容判断类型；全部成功或全部不附）",
                     json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("--material", required=True, metavar="CODE", help="材料编码（catalog show 可查）")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp = add_command(cs, "files", cmd_case_files, "列出办件的电子件（材料、编号、校验值、页数、大小、类型）",
                     json_flag=True)
    sp.add_argument("case_no")
    sp = add_command(cs, "file-get", cmd_case_file_get,
                     "导出一份电子件（原样字节；须填写原因，记入查看留痕）", json_flag=True)
    sp.add_argument("case_no")
    sp.add_argument("file_id", metavar="FILE_ID", help="case files 列出的电子件编号")
    sp.add_argument("--out", required=True, metavar="PATH", help="写入的文件")
    sp.add_argument("--reason", help="导出原因（必填）")
