"""CLI for keeping a hall's data safe and its problems diagnosable: ``db backup``, ``db restore`` and ``diag export``.

They need no login: whoever can run them holds the database already (the SQLite file in this user's data folder,
or the server's address with its password), and ``db restore`` must work when nobody can log in any more.
``--local [PATH]`` points them at this counter's own store instead of ``--db``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app import backup, diagnostics
from app.context import HallDesk
from app.errors import HallDeskError
from app.infra.counter_store import CounterStore
from cli.base import Cli, Parser, add_command, print_json


def _url(cli: Cli) -> str:
    """Never opened through ``cli.hall``: a restore must find the file unused, by this program too."""
    return backup.target_url(cli.args.db, getattr(cli.args, "local", None))


def cmd_db_backup(cli: Cli) -> int:
    result = backup.backup(_url(cli), Path(cli.args.file) if cli.args.file else None)
    if cli.args.json:
        print_json(result.as_json())
    else:
        print(f"已备份到 {result.path}（{result.size / 1048576:.1f} MB，用时 {result.seconds:.1f} 秒）", file=sys.stderr)
    return 0


def cmd_db_restore(cli: Cli) -> int:
    result = backup.restore(_url(cli), Path(cli.args.file))
    if cli.args.json:
        print_json(result.as_json())
        return 0
    kept = f"；原文件已另存为 {result.safety_copy}" if result.safety_copy else ""
    print(f"已从备份恢复 {result.target}（数据库结构 {result.revision}）{kept}", file=sys.stderr)
    if result.needs_upgrade:
        print("该备份的数据库结构较旧：图形界面打开时会自动升级，也可运行 python -m app db upgrade", file=sys.stderr)
    return 0


def cmd_diag_export(cli: Cli) -> int:
    hall: HallDesk | None = None
    store: CounterStore | None = None
    problem = ""
    try:
        if getattr(cli.args, "local", None) is not None:
            store = CounterStore.open(cli.args.db, cli.args.local or None, pull=False)
            hall = store.local
        else:
            hall = cli.hall
    except HallDeskError as exc:
        problem = exc.message  # the package is still made: why the database could not be opened is in the log
    try:
        package = diagnostics.export(Path(cli.args.file), hall, settings={"opened": not problem})
    finally:
        if store is not None:
            store.close()
    if cli.args.json:
        print_json(package.as_json())
    else:
        note = f"（数据库未能打开：{problem}）" if problem else ""
        print(f"诊断包已保存到 {package.path}，共 {len(package.members)} 个文件{note}；"
              "其中不含密码、密钥和办件信息，可发给技术支持", file=sys.stderr)
    return 0


def register(sub: Any, dbp: Any) -> None:
    add = add_command
    sp = add(dbp, "backup", cmd_db_backup, "备份数据库：SQLite 用在线备份（不停止使用），默认存入数据文件夹的 backups；"
             "PostgreSQL/MariaDB 调用 pg_dump/mariadb-dump（须指定 FILE）", json_flag=True)
    sp.add_argument("file", nargs="?", metavar="FILE", help="备份文件（SQLite 可省略）")
    sp = add(dbp, "restore", cmd_db_restore, "从备份恢复本机 SQLite 数据库（须先关闭本机所有 HallDesk 程序；原文件先另存）",
             json_flag=True)
    sp.add_argument("file", metavar="FILE", help="备份文件")
    dg = sub.add_parser("diag", help="诊断").add_subparsers(dest="sub", required=True, parser_class=Parser)
    sp = add(dg, "export", cmd_diag_export, "导出诊断包（日志、版本、本机设置，不含密码和个人信息）", json_flag=True)
    sp.add_argument("file", metavar="FILE", help="诊断包文件（.zip）")
