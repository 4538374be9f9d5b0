"""The command-line shell over HallDesk's services: ``python -m app [--db URL] [--user NAME] COMMAND``.

Admins and scripts use it, and so do the tests.  Data goes to stdout (``--json`` where it is data),
messages to stderr; an expected error exits with its own non-zero code.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from app import (
    accounts,
    anchor,
    audit,
    cases,
    catalog,
    crashlog,
    demo,
    hall_settings,
    intake,
    roles,
    validators,
)
from app.auth import ROLES, Actor
from app.context import HallDesk
from app.errors import INTERNAL_ERROR_EXIT_CODE, HallDeskError, ValidationError
from app.infra import keys
from app.infra.outbox import counter_chain
from app.printing.notice_templates import NOTICE_KINDS
from cli import backoffice, clocks, grievance, output, sync, tolerate
from cli.base import (
    ENV_NEW_PASSWORD,
    ENV_PASSWORD,
    Cli,
    Parser,
    add_command,
    json_input,
    new_password,
    parse_date,
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


def cmd_user_list(cli: Cli) -> int:
    users = accounts.list_users(cli.hall.uow(), cli.actor())
    if cli.args.json:
        print_json([u.as_json() for u in users])
    else:
        for u in users:
            flags = ("" if u.active else "\t已停用") + ("\t已锁定" if u.locked else "")
            print(f"{u.username}\t{u.full_name}\t{ROLES[u.role]}\t{u.dept or '-'}\t{u.counter or '-'}{flags}")
    return 0


def cmd_user_add(cli: Cli) -> int:
    actor = cli.actor()
    a = cli.args
    view = accounts.add_user(
        cli.hall.uow(), actor, username=a.username, full_name=a.name, role=a.role,
        password=new_password(), dept=a.dept, counter=a.counter,
    )
    if a.json:
        print_json(view.as_json())
    else:
        print(f"已添加用户 {view.username}", file=sys.stderr)
    return 0


def cmd_user_set(cli: Cli) -> int:
    actor = cli.actor()
    a = cli.args
    current = next((u for u in accounts.list_users(cli.hall.uow(), actor) if u.username == a.username), None)
    if current is None:
        raise ValidationError("username", f"用户 {a.username} 不存在")
    view = accounts.update_user(
        cli.hall.uow(), actor, a.username,
        full_name=a.name if a.name is not None else current.full_name,
        role=a.role or current.role,
        dept=(a.dept or None) if a.dept is not None else current.dept,
        counter=(a.counter or None) if a.counter is not None else current.counter,
        active=current.active if a.active is None else a.active == "yes",
    )
    print_json(view.as_json()) if a.json else print(f"已更新用户 {view.username}", file=sys.stderr)
    return 0


def cmd_user_passwd(cli: Cli) -> int:
    actor = cli.actor()
    target = cli.args.username or actor.username
    old = None
    if actor.role != "admin":
        old = os.environ.get(ENV_PASSWORD)
    accounts.set_password(cli.hall.uow(), actor, target, new_password(), old)
    print(f"已修改 {target} 的密码", file=sys.stderr)
    return 0


def cmd_user_init_admin(cli: Cli) -> int:
    view = accounts.create_first_admin(cli.ready_hall().uow(), username=cli.args.username, full_name=cli.args.name,
                                       password=new_password())
    print(f"已创建首个管理员 {view.username}", file=sys.stderr)
    return 0


def cmd_user_unlock(cli: Cli) -> int:
    accounts.unlock_user(cli.hall.uow(), cli.actor(), cli.args.username)
    print(f"已解锁 {cli.args.username}", file=sys.stderr)
    return 0


def cmd_counter_list(cli: Cli) -> int:
    counters = accounts.list_counters(cli.ready_hall().uow())
    if cli.args.json:
        print_json([c.as_json() for c in counters])
    else:
        for c in counters:
            flags = "" if c.active else "\t已停用"
            print(f"{c.number}\t{c.name}\t{c.kind_name}\t{c.printer_uri or '-'}{flags}")
    return 0


def cmd_counter_set(cli: Cli) -> int:
    a = cli.args
    actor = cli.actor()
    existing = {c.number: c for c in accounts.list_counters(cli.hall.uow())}.get(a.number)
    view = accounts.save_counter(
        cli.hall.uow(), actor, number=a.number,
        name=a.name if a.name is not None else (existing.name if existing else ""),
        kind=a.kind or (existing.kind if existing else ""),
        printer_uri=a.printer if a.printer is not None else (existing.printer_uri if existing else ""),
        active=(a.active == "yes") if a.active is not None else (existing.active if existing else True),
        a4_printer_uri=a.a4_printer,
    )
    print_json(view.as_json()) if a.json else print(f"已保存{view.number}号窗口", file=sys.stderr)
    return 0


def cmd_hall_show(cli: Cli) -> int:
    settings = hall_settings.get_hall_settings(cli.ready_hall().uow())
    if cli.args.json:
        print_json(settings.as_json())
    else:
        for k, v in settings.as_json().items():
            print(f"{k}\t{v}")
    return 0


def cmd_hall_set(cli: Cli) -> int:
    actor = cli.actor()
    current = hall_settings.get_hall_settings(cli.hall.uow())
    a = cli.args
    changes = {k: getattr(a, k) for k in ("name", "code", "area_code", "address", "phone", "doc_prefix",
                                          "review_authority", "court") if getattr(a, k) is not None}
    saved = hall_settings.save_hall_settings(cli.hall.uow(), actor, replace(current, **changes))
    print_json(saved.as_json()) if a.json else print("已保存大厅设置", file=sys.stderr)
    return 0


def cmd_holiday_list(cli: Cli) -> int:
    rows = hall_settings.list_overrides(cli.ready_hall().uow(), cli.args.year)
    if cli.args.json:
        print_json([{"date": r.day.isoformat(), "workday": r.workday, "note": r.note} for r in rows])
    else:
        for r in rows:
            print(f"{r.day.isoformat()}\t{'上班' if r.workday else '放假'}\t{r.note}")
    return 0


def cmd_holiday_set(cli: Cli) -> int:
    changed = hall_settings.set_override(cli.hall.uow(), cli.actor(), cli.args.date, cli.args.workday, cli.args.note)
    print(f"已设置 {cli.args.date.isoformat()} 为{'工作日' if cli.args.workday else '休息日'}；重算在办件到期日 {changed} 件",
          file=sys.stderr)
    return 0


def cmd_holiday_remove(cli: Cli) -> int:
    changed = hall_settings.remove_override(cli.hall.uow(), cli.actor(), cli.args.date)
    print(f"已删除 {cli.args.date.isoformat()} 的调整；重算在办件到期日 {changed} 件", file=sys.stderr)
    return 0


def cmd_holiday_confirm(cli: Cli) -> int:
    changed = hall_settings.confirm_year(cli.hall.uow(), cli.actor(), cli.args.year)
    print(f"已确认{cli.args.year}年节假日安排；重算在办件到期日 {changed} 件", file=sys.stderr)
    return 0


def cmd_holiday_status(cli: Cli) -> int:
    status = hall_settings.calendar_status(cli.ready_hall().uow())
    if cli.args.json:
        print_json({"unknown_years": list(status.unknown_years), "confirmed_years": list(status.confirmed_years),
                     "warning": status.warning})
    else:
        print(status.warning or "节假日安排已齐全")
    return 0


def cmd_workdays_add(cli: Cli) -> int:
    due = hall_settings.add_workdays(cli.ready_hall().uow(), cli.args.date, cli.args.n)
    if cli.args.json:
        print_json({"start": cli.args.date.isoformat(), "workdays": cli.args.n, "date": due.date.isoformat(),
                     "provisional": due.provisional})
    else:
        print(due.date.isoformat() + ("\t待定" if due.provisional else ""))
        if due.provisional:
            print("注意：涉及尚未录入国务院节假日安排的年份，日期为推算（待定）", file=sys.stderr)
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


def cmd_counter_revoke_key(cli: Cli) -> int:
    keys.revoke_counter_key(cli.hall.uow(), cli.actor(), cli.args.fingerprint)
    print(f"已吊销签名密钥 {cli.args.fingerprint.strip().upper()}：此后由它签名的凭条一律拒收；"
          "该窗口须重新生成密钥（counter keygen）后才能受理", file=sys.stderr)
    return 0


def cmd_counter_keys(cli: Cli) -> int:
    views = keys.list_counter_keys(cli.ready_hall().uow(), cli.actor())
    if cli.args.json:
        print_json([v.as_json() for v in views])
    else:
        states = {"in_force": "使用中", "retired": "已更换（凭条仍有效）", "revoked": "已吊销"}
        for v in views:
            print(f"{v.counter}号窗口\t{v.fingerprint}\t{states[v.state]}\t{v.created_at:%Y-%m-%d}")
    return 0


def cmd_roles(cli: Cli) -> int:
    if cli.args.json:
        print_json(roles.as_json())
    else:
        sys.stdout.write(roles.markdown())
    return 0


def cmd_counter_keygen(cli: Cli) -> int:
    fp = keys.generate_counter_key(cli.hall.uow(), cli.actor(), cli.args.number)
    print(f"已为{cli.args.number}号窗口生成签名密钥，指纹 {fp}；私钥保存在本机 {keys.default_key_dir()}", file=sys.stderr)
    return 0


# ---- cases ---------------------------------------------------------------------------------------


def cmd_case_create(cli: Cli) -> int:
    req = intake.request_from_json(json_input(cli.args.json_file))
    actor = cli.actor()
    view = intake.take_application(cli.hall.uow(), actor, req)
    doc = view.as_json()
    doc["print_jobs"] = print_now(cli, view.case_no)
    if cli.on_local():
        doc["synced"] = cli.store.push_now() is not None and cli.store.is_synced(view.id)
    print_json(doc)
    return 0


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


# ---- printing --------------------------------------------------------------------------------------


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
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    add = add_command

    dbp = sub.add_parser("db", help="数据库").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(dbp, "upgrade", cmd_db_upgrade, "把数据库结构升级到最新版本")
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

    usr = sub.add_parser("user", help="用户").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(usr, "list", cmd_user_list, "列出用户", json_flag=True)
    sp = add(usr, "add", cmd_user_add, f"添加用户（新密码取自 {ENV_NEW_PASSWORD} 或终端输入）", json_flag=True)
    sp.add_argument("username")
    sp.add_argument("--name", required=True, help="姓名")
    sp.add_argument("--role", required=True, choices=list(ROLES))
    sp.add_argument("--dept", help="部门代码（审批人员、首席代表必填）")
    sp.add_argument("--counter", type=int, help="窗口号")
    sp = add(usr, "set", cmd_user_set, "修改用户的姓名、角色、部门、窗口或启用状态", json_flag=True)
    sp.add_argument("username")
    sp.add_argument("--name")
    sp.add_argument("--role", choices=list(ROLES))
    sp.add_argument("--dept", help="部门代码；空字符串表示无部门")
    sp.add_argument("--counter", type=int, help="窗口号；0 表示无窗口")
    sp.add_argument("--active", choices=["yes", "no"])
    sp = add(usr, "passwd", cmd_user_passwd, f"修改密码（新密码取自 {ENV_NEW_PASSWORD} 或终端输入）")
    sp.add_argument("username", nargs="?")
    sp = add(usr, "init-admin", cmd_user_init_admin, f"新安装时创建首个管理员（仅在没有管理员时可用；密码取自 {ENV_NEW_PASSWORD}）")
    sp.add_argument("username")
    sp.add_argument("--name", required=True, help="姓名")
    sp = add(usr, "unlock", cmd_user_unlock, "解除锁定")
    sp.add_argument("username")

    ctr = sub.add_parser("counter", help="窗口").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(ctr, "list", cmd_counter_list, "列出窗口", json_flag=True)
    sp = add(ctr, "set", cmd_counter_set, "新建或修改窗口", json_flag=True)
    sp.add_argument("number", type=int)
    sp.add_argument("--name")
    sp.add_argument("--kind", choices=list(accounts.COUNTER_KINDS))
    sp.add_argument("--printer", metavar="URI", help="热敏打印机地址，如 tcp://192.168.1.50:9100")
    sp.add_argument("--a4-printer", dest="a4_printer", metavar="URI",
                    help="A4 打印机地址：cups://名称、file:///文件夹 或 tcp://地址:9100")
    sp.add_argument("--active", choices=["yes", "no"])

    hl = sub.add_parser("hall", help="大厅设置").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add(hl, "show", cmd_hall_show, "显示大厅设置", json_flag=True)
    sp = add(hl, "set", cmd_hall_set, "修改大厅设置（管理员）", json_flag=True)
    sp.add_argument("--name")
    sp.add_argument("--code", help="大厅代码（1–4位大写字母，用于办件编号）")
    sp.add_argument("--area-code", dest="area_code")
    sp.add_argument("--address")
    sp.add_argument("--phone")
    sp.add_argument("--doc-prefix", dest="doc_prefix", help="受理类文书编号前缀（如 新经开）")
    sp.add_argument("--review-authority", dest="review_authority",
                    help="复议机关（印在不予受理通知书和不予许可决定书上；为空时不能作不予许可决定）")
    sp.add_argument("--court", help="诉讼法院（同上）")

    hol = sub.add_parser("holiday", help="节假日调整").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(hol, "list", cmd_holiday_list, "列出调整", json_flag=True)
    sp.add_argument("--year", type=int)
    sp = add(hol, "set", cmd_holiday_set, "把某天设为工作日或休息日（管理员）")
    sp.add_argument("date", type=parse_date)
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--workday", dest="workday", action="store_true", help="设为工作日（如调休上班）")
    g.add_argument("--off", dest="workday", action="store_false", help="设为休息日（如法定节假日）")
    sp.add_argument("--note", default="")
    sp = add(hol, "remove", cmd_holiday_remove, "删除某天的调整（管理员）")
    sp.add_argument("date", type=parse_date)
    sp = add(hol, "confirm", cmd_holiday_confirm, "确认某年的国务院节假日安排已录入（管理员）")
    sp.add_argument("year", type=int)
    add(hol, "status", cmd_holiday_status, "哪些年份的安排尚未录入", json_flag=True)

    wd = sub.add_parser("workdays", help="工作日计算").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(wd, "add", cmd_workdays_add, "DATE 之后第 N 个工作日（当天不计）", json_flag=True)
    sp.add_argument("date", type=parse_date)
    sp.add_argument("n", type=int)

    au = sub.add_parser("audit", help="审计").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(au, "verify", cmd_audit_verify, "校验审计链；被篡改时以非零状态退出并指出第一条问题记录", json_flag=True)
    sp.add_argument("--anchor", metavar="FILE", help="同时对照锚点文件：每行的签名，各链锚定的条数与哈希")
    sp = add(au, "anchor", cmd_audit_anchor, "把各审计链的链头签名后追加到锚点文件（每日一次；管理员、营商办）",
             json_flag=True)
    sp.add_argument("--out", required=True, metavar="FILE", help="锚点文件（不存在则新建；只追加，不改写已有行）")
    sp.add_argument("--pdf", metavar="FILE.pdf", help="另存 A4 锚点页，供打印、签字、归档")
    sp = add(ctr, "keygen", cmd_counter_keygen, "在本机为窗口生成签名密钥并登记公钥（管理员）")
    sp.add_argument("number", type=int)
    add(ctr, "keys", cmd_counter_keys, "各窗口登记的签名密钥：使用中、已更换、已吊销（管理员）", json_flag=True)
    sp = add(ctr, "revoke-key", cmd_counter_revoke_key, "吊销一把可能泄露的窗口签名密钥：其签名的凭条一律拒收（管理员）")
    sp.add_argument("fingerprint", help="密钥指纹（8位，见 counter keys）")
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
    output.register(sub, cs)
    tolerate.register(sub, cs, cat)  # 容缺 follow-through (issue 14 part 7)
    grievance.register(sub)  # the 办不成事 window

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

    sl = sub.add_parser("slip", help="取件凭条").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(sl, "verify", cmd_slip_verify, "校验凭条签名，输出办件编号", json_flag=True)
    sp.add_argument("payload")

    sync.register(sub)  # sync commands; cli.base.LOCAL_COMMANDS says which run on a local store

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
        print(f"错误：{exc.message}", file=sys.stderr)
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
