"""The command-line shell over HallDesk's services: ``python -m app [--db URL] [--user NAME] COMMAND``.

Admins and scripts use it, and so do the tests.  Data goes to stdout (``--json`` where it is data),
messages to stderr; an expected error exits with its own non-zero code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from app import (
    anchor,
    audit,
    cases,
    catalog,
    crashlog,
    demo,
    files,
    intake,
    roles,
    validators,
)
from app.auth import Actor
from app.context import HallDesk
from app.errors import INTERNAL_ERROR_EXIT_CODE, HallDeskError, ValidationError
from app.infra.outbox import counter_chain
from cli import admin, backoffice, clocks, grievance, maintenance, output, overview, printing, sync, tolerate
from cli import enterprise as cli_enterprise
from cli import files as cli_files
from cli import setup as cli_setup
from cli import transfer as cli_transfer
from cli.base import (
    ENV_PASSWORD,
    Cli,
    Parser,
    add_command,
    json_input,
    positive_int,
    print_json,
    print_now,
    read_text,
)

# ---- commands ------------------------------------------------------------------------------------


def cmd_db_upgrade(cli: Cli) -> int:
    cli.hall.upgrade()
    print("数据库已升级到最新版本", file=sys.stderr)
    return 0


def cmd_demo(cli: Cli) -> int:
    h = cli.hall
    h.upgrade()
    actor = None
    if demo.has_users(h.uow()):
        if cli.args.if_empty:
            print("数据库中已有用户，未装入演示数据（未作任何改动）", file=sys.stderr)
            return 0
        # Without --user the service refuses; with it, everyone but an admin.
        actor = cli.actor() if cli.args.user else None
    summary = demo.load_demo(h.uow(), actor)
    print(
        f"演示数据就绪：新建用户 {summary.created_users} 个、窗口 {summary.created_counters} 个，目录事项 {summary.catalog_items} 项。"
        f"演示账户密码均为 {demo.DEMO_PASSWORD}，正式使用前请修改。",
        file=sys.stderr,
    )
    if summary.print_folder:
        print(f"演示窗口的打印机是文件夹：回执（.bin）和通知书（.pdf）保存在 {summary.print_folder}（每个窗口一个子文件夹），"
              "可在打印队列中预览", file=sys.stderr)
    return 0


def cmd_catalog_list(cli: Cli) -> int:
    items = catalog.list_items(cli.ready_hall().uow(), cli.args.dept)
    if cli.args.json:
        print_json([i.as_json() for i in items])
    else:
        for i in items:
            flag = "即办" if i.immediate else f"承诺{i.promised_days}日/法定{i.legal_days}日"
            print(f"{i.code}\t{i.dept}\t{i.name}\t{flag}\t材料{len(i.materials)}项")
    return 0


def cmd_catalog_show(cli: Cli) -> int:
    item = catalog.get_item(cli.ready_hall().uow(), cli.args.code)
    doc = catalog._item_doc(item)
    doc.update(dept=item.dept, version=item.version, active=item.active)
    print_json(doc)
    return 0


def cmd_catalog_import(cli: Cli) -> int:
    text = read_text(cli.args.file)
    actor = cli.actor()
    summary = catalog.import_yaml(cli.hall.uow(), actor, text, source=Path(cli.args.file).name)
    result = summary.__dict__
    if cli.args.json:
        print_json(result)
    else:
        print(
            f"导入完成：部门 {summary.departments} 个；事项新增 {summary.items_added}、更新 {summary.items_updated}、"
            f"未变 {summary.items_unchanged}、停用 {summary.items_withdrawn}；区域评估 {summary.assessments} 项",
            file=sys.stderr,
        )
    return 0


def cmd_catalog_export(cli: Cli) -> int:
    text = catalog.export_yaml(cli.ready_hall().uow())
    if cli.args.file == "-":
        sys.stdout.write(text)
    else:
        Path(cli.args.file).write_text(text, encoding="utf-8")
    return 0


def cmd_catalog_update(cli: Cli) -> int:
    """Apply an item guide given as JSON (the shape of `catalog show`)."""
    guide, version = catalog.guide_from_json(json_input(cli.args.json_file))
    actor = cli.actor()
    item = catalog.update_item(cli.hall.uow(), actor, guide, version)
    print_json(item.as_json() | {"version": item.version})
    return 0


def cmd_audit_verify(cli: Cli) -> int:
    h = cli.ready_hall()
    check: anchor.AnchorCheck | None = None
    if cli.args.anchor:
        check = anchor.check_anchors(h.uow(), Path(cli.args.anchor), only=_chains_held(cli))
        report = check.audit
    else:
        with h.uow() as uow:
            report = audit.verify(uow.session)
    if cli.args.json:
        doc: dict[str, Any] = {
            "ok": report.ok if check is None else check.ok, "rows": report.rows, "chains": report.chains,
            "problem": None if report.problem is None else report.problem.__dict__,
        }
        if check is not None:
            doc["anchor"] = {
                "file": cli.args.anchor, "lines": check.lines, "checked": check.checked, "skipped": check.skipped,
                "keys": [k.as_json() for k in check.keys], "problems": [p.as_json() for p in check.problems],
                "problem": None if check.problem is None else check.problem.as_json(),
            }
        print_json(doc)
    else:
        if report.ok:
            print(f"审计链完整：共 {report.rows} 条，{len(report.chains)} 条链")
        if check is not None:
            _print_anchor_summary(check)
    p = report.problem
    if p is not None:
        print(f"审计链被破坏：链 {p.chain} 第 {p.seq} 条（id {p.event_id or '-'}）：{p.reason}", file=sys.stderr)
    if check is not None and check.problem is not None:
        more = f"（另有 {len(check.problems) - 1} 处问题，--json 列出全部）" if len(check.problems) > 1 else ""
        print(f"审计锚点核验失败：{check.problem.reason}{more}", file=sys.stderr)
    return 0 if report.ok and (check is None or check.ok) else 10


def _chains_held(cli: Cli) -> set[str] | None:
    """The chains this database can prove: all of them, except on a counter's store, which holds its own."""
    if not cli.on_local():
        return None
    return set() if cli.store.counter is None else {counter_chain(cli.store.counter)}


def _print_anchor_summary(check: anchor.AnchorCheck) -> None:
    skipped = f"，跳过本库没有的链 {check.skipped} 处" if check.skipped else ""
    verdict = "通过" if not check.problems else f"发现 {len(check.problems)} 处问题"
    print(f"锚点核验{verdict}：锚点 {check.lines} 行，对照链头 {check.checked} 处{skipped}")
    for k in check.keys:
        print(f"签名密钥指纹 {anchor.group(k.fingerprint)}：{k.lines} 行，"
              f"{anchor.local_time(k.first)} 至 {anchor.local_time(k.last)}")
    if check.keys:
        print("请与打印存档的锚点页上的指纹核对：不认识的指纹说明锚点文件被他人改写")


def cmd_audit_anchor(cli: Cli) -> int:
    actor = cli.actor()
    written = anchor.write_anchor(cli.hall.uow(), actor, Path(cli.args.out))
    a = written.anchor
    if cli.args.pdf:
        try:
            Path(cli.args.pdf).write_bytes(anchor.anchor_page(written, actor.full_name))
        except OSError as exc:
            raise ValidationError("pdf", f"锚点已写入 {written.path}，但无法保存 PDF {cli.args.pdf}：{exc.strerror}") from None
    if written.new_key:
        print(f"已在本机生成审计锚点签名密钥（{written.key_path}），指纹 {anchor.group(a.fingerprint)}：请打印锚点页存档",
              file=sys.stderr)
    if cli.args.json:
        print_json({**a.as_json(), "file": str(written.path), "line": written.line_no, "pdf": cli.args.pdf,
                    "new_key": written.new_key})
    else:
        print(f"已追加锚点：{written.path} 第 {written.line_no} 行，{len(a.marks)} 条链，"
              f"锚定时间 {anchor.local_time(a.at)}，密钥指纹 {anchor.group(a.fingerprint)}", file=sys.stderr)
        print(f"本行 SHA-256：{a.digest}" + (f"；锚点页已保存 {cli.args.pdf}" if cli.args.pdf else ""), file=sys.stderr)
    return 0


def cmd_roles(cli: Cli) -> int:
    if cli.args.json:
        print_json(roles.as_json())
    else:
        sys.stdout.write(roles.markdown())
    return 0


# ---- cases ---------------------------------------------------------------------------------------


def cmd_case_create(cli: Cli) -> int:
    doc = json_input(cli.args.json_file)
    req = intake.request_from_json(doc)
    actor = cli.actor()
    if isinstance(doc, dict) and doc.get("files"):
        req = replace(req, files=file_inputs(cli, doc["files"]))
    view = intake.take_application(cli.hall.uow(), actor, req)
    out = view.as_json()
    out["print_jobs"] = print_now(cli, view.case_no)
    if cli.on_local():
        out["synced"] = cli.store.push_now() is not None and cli.store.is_synced(view.id)
    print_json(out)
    return 0


def file_inputs(cli: Cli, listed: Any) -> tuple[files.FileInput, ...]:
    """The case JSON's ``files``: ``[{"material": CODE, "path": FILE}, ...]``, each judged and normalised."""
    if not isinstance(listed, list) or not all(isinstance(f, dict) and isinstance(f.get("material"), str)
                                               and isinstance(f.get("path"), str) for f in listed):
        raise ValidationError("files", 'files 应为 [{"material": 材料编码, "path": 文件}, ...]')
    lim = files.get_limits(cli.hall.uow())
    return tuple(files.prepare_path(f["material"], Path(f["path"]), lim) for f in listed)


def cmd_case_resubmit(cli: Cli) -> int:
    doc = json_input(cli.args.json_file)
    req = intake.request_from_json({"item": "-", "agent": {}, **doc} if isinstance(doc, dict) else doc)
    actor = cli.actor()
    view = intake.resubmit(cli.hall.uow(), actor, cli.args.case_no, req.materials, req.supplement_due)
    out = view.as_json()
    out["print_jobs"] = print_now(cli, view.case_no)
    if cli.on_local():
        out["synced"] = cli.store.push_now() is not None and cli.store.is_synced(view.id)
    print_json(out)
    return 0


def cmd_case_show(cli: Cli) -> int:
    view = cases.get_case(cli.ready_hall().uow(), cli.actor(), cli.args.case_no)
    if cli.args.json:
        print_json(view.as_json())
    else:
        print(f"{view.case_no}\t{view.status_name}\t{view.item_name}\t{view.dept_name}")
    return 0


def cmd_case_credentials(cli: Cli) -> int:
    creds = cases.pickup_credentials(cli.ready_hall().uow(), cli.actor(), cli.args.case_no)
    if cli.args.json:
        print_json(creds.as_json())
    else:
        print(f"{creds.case_no}\t{creds.pickup_code}\t{creds.slip}")
    return 0


def cmd_case_list(cli: Cli) -> int:
    a = cli.args
    views = cases.list_cases(cli.ready_hall().uow(), cli.actor(), dept=a.dept, status=a.status, counter=a.counter, text=a.search,
                             limit=a.limit)
    if a.json:
        print_json([v.as_json() for v in views])
    else:
        for v in views:
            print(f"{v.case_no}\t{v.status_name}\t{v.item_name}\t{v.enterprise_name or ''}")
    return 0


def cmd_case_import(cli: Cli) -> int:
    lines = read_text(cli.args.file).splitlines()
    actor = cli.actor()
    results = intake.import_online(cli.hall.uow, actor, lines)
    errors = [r for r in results if r[2].startswith("error:")]
    if cli.args.json:
        print_json([{"line": n, "external_id": ext, "result": r} for n, ext, r in results])
    else:
        for n, ext, r in results:
            print(f"{n}\t{ext}\t{r}")
    created = sum(1 for r in results if not r[2].startswith(("error:", "exists:")))
    print(f"导入完成：新建 {created} 件，已存在 {sum(1 for r in results if r[2].startswith('exists:'))} 件，"
          f"错误 {len(errors)} 行", file=sys.stderr)
    return 2 if errors else 0


CHECKS: dict[str, Callable[[str], str]] = {
    "uscc": validators.check_uscc,
    "id": validators.check_id_number,
    "phone": validators.check_mobile,
}


def cmd_check(cli: Cli) -> int:
    """Check one 统一社会信用代码 / 身份证号 / mobile number; print it normalised."""
    print(CHECKS[cli.args.kind](cli.args.value))
    return 0


# ---- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m app", description="HallDesk（一窗通）命令行。无命令时启动图形界面。")
    p.add_argument("--db", metavar="URL", help="数据库地址（默认：环境变量 HALLDESK_DB，否则内置 SQLite 文件）")
    p.add_argument("--user", metavar="NAME", help=f"以该用户身份执行；密码取自环境变量 {ENV_PASSWORD} 或终端输入")
    p.add_argument("--local", metavar="PATH", nargs="?", const="",
                   help="本窗口的本机库（离线受理，--db 为共享数据库）；不写 PATH 时用数据文件夹中的 local.sqlite3")
    p.add_argument("--setup", action="store_true",
                   help="打开本机设置向导（工作方式、数据库、窗口、打印机）；首次启动且未设置时会自动打开")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    add = add_command

    dbp = sub.add_parser("db", help="数据库").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(dbp, "upgrade", cmd_db_upgrade, "把数据库结构升级到最新版本（SQLite 文件先自动备份）")
    maintenance.register(sub, dbp)  # db backup, db restore, diag export
    sp = add(sub, "demo", cmd_demo, "在空数据库中建立演示数据（已有用户时须管理员运行）")
    sp.add_argument("--if-empty", dest="if_empty", action="store_true",
                    help="数据库已有用户时什么也不做并正常退出（./dev start 用）")

    cat = sub.add_parser("catalog", help="事项目录").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(cat, "list", cmd_catalog_list, "列出事项", json_flag=True)
    sp.add_argument("--dept", help="部门代码")
    sp = add(cat, "show", cmd_catalog_show, "显示一个事项的办事指南（JSON）")
    sp.add_argument("code")
    sp = add(cat, "import", cmd_catalog_import, "从 YAML 文件导入目录（管理员）", json_flag=True)
    sp.add_argument("file")
    sp = add(cat, "export", cmd_catalog_export, "把目录导出为 YAML 文件（- 为标准输出）")
    sp.add_argument("file")
    sp = add(cat, "update", cmd_catalog_update, "按 JSON 修改一个事项的办事指南（首席代表/管理员）")
    sp.add_argument("--json", dest="json_file", required=True, metavar="FILE", help="事项 JSON 文件，- 为标准输入")

    admin.register(sub)  # user, counter (and its keys), hall, holiday, workdays

    au = sub.add_parser("audit", help="审计").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(au, "verify", cmd_audit_verify, "校验审计链；被篡改时以非零状态退出并指出第一条问题记录", json_flag=True)
    sp.add_argument("--anchor", metavar="FILE", help="同时对照锚点文件：每行的签名，各链锚定的条数与哈希")
    sp = add(au, "anchor", cmd_audit_anchor, "把各审计链的链头签名后追加到锚点文件（每日一次；管理员、营商办）",
             json_flag=True)
    sp.add_argument("--out", required=True, metavar="FILE", help="锚点文件（不存在则新建；只追加，不改写已有行）")
    sp.add_argument("--pdf", metavar="FILE.pdf", help="另存 A4 锚点页，供打印、签字、归档")
    add(sub, "roles", cmd_roles, "角色权限表（谁可以做什么；--json 或 Markdown）", json_flag=True)

    cs = sub.add_parser("case", help="办件").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(cs, "create", cmd_case_create, "综合受理：按 JSON 建立办件（窗口人员）")
    sp.add_argument("--json", dest="json_file", required=True, metavar="FILE",
                    help="办件 JSON 文件，- 为标准输入；materials 须列出每项必需材料（区域评估免提交的除外），"
                         "未列出的非必需材料记为未提交")
    sp = add(cs, "resubmit", cmd_case_resubmit, "补正后受理：申请人带齐材料回来（窗口人员）")
    sp.add_argument("case_no")
    sp.add_argument("--json", dest="json_file", required=True, metavar="FILE",
                    help='{"materials": {编码: 状态}, "supplement_due": 日期}')
    sp = add(cs, "show", cmd_case_show, "显示办件", json_flag=True)
    sp.add_argument("case_no")
    sp = add(cs, "credentials", cmd_case_credentials, "取件码和取件凭条（出件窗口或受理该件的窗口；记入审计）",
             json_flag=True)
    sp.add_argument("case_no")
    sp = add(cs, "list", cmd_case_list, "列出办件（最新在前）", json_flag=True)
    sp.add_argument("--dept")
    sp.add_argument("--status", choices=list(cases.STATUSES))
    sp.add_argument("--counter", type=int)
    sp.add_argument("--search", help="办件编号、统一社会信用代码、企业名称或经办人姓名")
    sp.add_argument("--limit", type=positive_int, default=500)
    sp = add(cs, "import", cmd_case_import, "导入网上申请（JSON lines，按 external_id 幂等）", json_flag=True)
    sp.add_argument("file")

    backoffice.register(sub, cs)
    clocks.register(cs)  # 特别程序, 恢复计时, 延期
    cli_files.register(sub, cs)  # 电子件: attach, files, file-get
    cli_transfer.register(sub)  # 材料流转: transfer create, receive, list
    output.register(sub, cs)
    tolerate.register(sub, cs, cat)  # 容缺 follow-through (issue 14 part 7)
    grievance.register(sub)  # the 办不成事 window
    overview.register(sub)  # the supervisor's 大厅概览
    cli_enterprise.register(sub)  # 园区企业名录 (issue 18)

    printing.register(sub)  # print, printer, slip

    sync.register(sub)  # sync commands; cli.base.LOCAL_COMMANDS says which run on a local store

    cli_setup.register(sub)  # this PC's set-up from a roll-out file (issue 17)

    sp = add(sub, "check", cmd_check, "校验统一社会信用代码（uscc）、身份证号（id）或手机号（phone），输出规范写法")
    sp.add_argument("kind", choices=list(CHECKS))
    sp.add_argument("value")
    return p


def _unreadable_argument(argv: Sequence[str]) -> str | None:
    """The option whose value holds a lone surrogate: bytes the terminal's encoding could not turn into text
    (Python keeps them as U+DC80–U+DCFF); no database can store them, and printing them fails."""
    for i, arg in enumerate(argv):
        if any("\ud800" <= ch <= "\udfff" for ch in arg):
            option, eq, _ = arg.partition("=")
            if eq and option.startswith("--"):
                return f"命令行参数 {option} "
            return f"命令行参数 {argv[i - 1]} " if i and argv[i - 1].startswith("--") else f"第{i + 1}个命令行参数"
    return None


def _guarded(args: argparse.Namespace, step: Callable[[], int]) -> int:
    """Run ``step``; an expected error is its message and exit code, a bug one line with a reference."""
    try:
        return step()
    except HallDeskError as exc:
        messages = [m for _, m in exc.problems] if isinstance(exc, ValidationError) else [exc.message]
        for message in messages:  # a form check names every problem at once
            print(f"错误：{message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # `python -m app catalog list | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已取消", file=sys.stderr)
        return 130
    except Exception as exc:
        # Never a traceback on the terminal: the details go to the log, the user gets a reference to pass on.
        command = " ".join(str(x) for x in (getattr(args, "command", None), getattr(args, "sub", None)) if x)
        incident = crashlog.record(exc, context=[f"命令：{command or '-'}（参数不记入日志）"])
        print(incident.message, file=sys.stderr)
        return INTERNAL_ERROR_EXIT_CODE


def _command(cli: Cli) -> int:
    return int(cli.args.func(cli))


def run(argv: Sequence[str], *, hall: HallDesk | None = None, actor: Actor | None = None) -> int:
    """Run one CLI command; returns the exit code.  ``hall``/``actor``: see ``Cli``."""
    unreadable = _unreadable_argument(argv)
    if unreadable is not None:
        print(f"错误：{unreadable}含有无法识别的字符（不是有效的 UTF-8 文字），请检查终端或脚本的编码设置", file=sys.stderr)
        return ValidationError.exit_code
    args = build_parser().parse_args(argv)
    cli = Cli(args, hall=hall, actor=actor)
    code = _guarded(args, lambda: _command(cli))

    def close() -> int:
        cli.close()
        return 0

    return _guarded(args, close) or code
