"""CLI commands of the enterprise registry (园区企业名录): ``enterprise import|export|show|list``.

Registered by ``cli.main.build_parser``; the rules (permissions, the all-or-nothing import, the audit) are in
``app.enterprises``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app import enterprise_tiers, enterprises
from cli.base import Cli, Parser, add_command, json_input, positive_int, print_json


def cmd_enterprise_import(cli: Cli) -> int:
    hall = cli.ready_hall()
    summary = enterprises.import_xlsx(hall.uow(), cli.actor(), Path(cli.args.file))
    if cli.args.json:
        print_json(summary.as_json())
    else:
        print(f"导入完成：企业新增 {summary.added}、更新 {summary.updated}、未变 {summary.unchanged}；"
              f"资质新增或更新 {summary.certifications} 条，年度数据新增或更新 {summary.years} 条；"
              f"按标准测算企业规模 {summary.scales_computed} 家", file=sys.stderr)
    return 0


def cmd_enterprise_export(cli: Cli) -> int:
    hall = cli.ready_hall()
    summary = enterprises.export_xlsx(hall.uow(), cli.actor(), Path(cli.args.file))
    if cli.args.json:
        print_json(summary.as_json())
    else:
        print(f"已导出 {summary.path}：企业 {summary.enterprises} 家，资质 {summary.certifications} 条，"
              f"年度数据 {summary.years} 条", file=sys.stderr)
    return 0


def cmd_enterprise_show(cli: Cli) -> int:
    view = enterprises.get_enterprise(cli.ready_hall().uow(), cli.actor(), cli.args.uscc)
    if cli.args.json:
        print_json(view.as_json())
        return 0
    computed = view.computed_scale
    print(f"{view.uscc}\t{view.name}\t行业 {view.industry_code or '-'}\t规模 {view.scale or '-'}"
          f"（按标准测算：{computed.scale or computed.reason or '-'}）\t梯度 {view.tier or '-'}\t"
          f"挂点部门 {view.liaison_dept or '-'}")
    for c in view.certifications:
        print(f"资质\t{c.kind}\t{c.level or '-'}\t{c.number}\t{c.valid_from or ''}至{c.valid_to or ''}")
    for y in view.years:
        print(f"{y.year}年\t营业收入 {y.revenue if y.revenue is not None else '-'} 万元\t"
              f"纳税 {y.tax if y.tax is not None else '-'} 万元\t研发投入 {y.rd_spend if y.rd_spend is not None else '-'} 万元\t"
              f"从业人员 {y.employees if y.employees is not None else '-'} 人")
    for t in view.tiers:
        print(f"梯度\t{t.tier}\t{t.decided_at:%Y-%m-%d}\t{t.decided_by}")
    return 0


def cmd_enterprise_list(cli: Cli) -> int:
    found = enterprises.search(cli.ready_hall().uow(), cli.actor(), cli.args.query or "", cli.args.limit)
    if cli.args.json:
        print_json([e.as_json() for e in found])
    else:
        for e in found:
            print(f"{e.uscc}\t{e.name}\t{e.industry_code or '-'}\t{e.scale or '-'}\t{e.tier or '-'}")
    return 0


def cmd_enterprise_tier(cli: Cli) -> int:
    hall = cli.ready_hall()
    if cli.args.recompute:
        result = enterprise_tiers.recompute(hall.uow(), cli.actor())
        if cli.args.json:
            print_json(result.as_json())
        else:
            tiers = "，".join(f"{t or '未入梯度'} {n} 家" for t, n in result.tiers.items())
            print(f"按第 {result.scheme_version} 版方案评定 {result.evaluated} 家，梯度变化 {result.changed} 家；{tiers}",
                  file=sys.stderr)
        return 0
    version, counts = enterprise_tiers.current_scheme(hall.uow(), cli.actor())
    if cli.args.json:
        print_json({"scheme": version and version.as_json(), "tiers": counts})
    elif version is None:
        print("尚未设定综合评价方案（enterprise tier-scheme FILE）", file=sys.stderr)
    else:
        print(f"第 {version.version} 版方案（{version.created_by}，{version.created_at:%Y-%m-%d}）")
        for name, low in version.scheme.tiers:
            print(f"{name}\t≥{low} 分\t{counts.get(name, 0)} 家")
        print(f"未入梯度\t\t{counts.get('', 0)} 家")
    return 0


def cmd_enterprise_tier_scheme(cli: Cli) -> int:
    saved = enterprise_tiers.save_scheme(cli.ready_hall().uow(), cli.actor(), json_input(cli.args.file))
    if cli.args.json:
        print_json(saved.as_json())
    else:
        print(f"已保存第 {saved.version} 版综合评价方案；用 enterprise tier --recompute 按它重新评定", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add ``enterprise import|export|show|list``."""
    es = sub.add_parser("enterprise", help="园区企业名录").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add_command(es, "import", cmd_enterprise_import,
                     "从 Excel（.xlsx，工作表 企业、资质、年度数据）导入名录：有任何问题则全部不导入，并逐一指出工作表、行和列",
                     json_flag=True)
    sp.add_argument("file", metavar="FILE.xlsx")
    sp = add_command(es, "export", cmd_enterprise_export, "把名录导出为 Excel 工作簿（可修改后再导入）", json_flag=True)
    sp.add_argument("file", metavar="FILE.xlsx")
    sp = add_command(es, "show", cmd_enterprise_show, "显示一家企业：资质、各年度数据、梯度变化", json_flag=True)
    sp.add_argument("uscc", metavar="USCC", help="统一社会信用代码")
    sp = add_command(es, "list", cmd_enterprise_list, "按企业名称或统一社会信用代码查找企业", json_flag=True)
    sp.add_argument("--query", help="企业名称中的文字，或统一社会信用代码的开头")
    sp.add_argument("--limit", type=positive_int, default=200)
    sp = add_command(es, "tier", cmd_enterprise_tier,
                     "梯度培育：显示当前综合评价方案和各梯度企业数；--recompute 按最新方案重新评定每家企业（营商办）",
                     json_flag=True)
    sp.add_argument("--recompute", action="store_true", help="重新评定，梯度有变化的记入历史")
    sp = add_command(es, "tier-scheme", cmd_enterprise_tier_scheme,
                     "保存新一版综合评价方案（JSON：indicators 权重、certifications 加分、tiers 从高到低的最低得分）",
                     json_flag=True)
    sp.add_argument("file", metavar="FILE.json", help="方案 JSON 文件，- 为标准输入")
