"""``setup``: this PC set up unattended from a roll-out file, as the set-up wizard does (``app.station_setup``).

``python -m app setup --file station.yaml [--json]``, ``setup show [--json]``, ``setup forget-password``.
None needs ``--user``: the file names the admin who confirms the counter's key pair.
"""

from __future__ import annotations

import sys
from typing import Any

from app import installation, station_setup
from app.errors import ValidationError
from cli.base import Cli, Parser, add_command, print_json, read_text


def cmd_setup(cli: Cli) -> int:
    if not cli.args.file:
        raise ValidationError("file", "请用 --file 指定设置文件（YAML），或运行 setup show / setup forget-password；"
                                      "图形界面的设置向导：python -m app --setup")
    plan = station_setup.read_plan(read_text(cli.args.file))
    result = station_setup.apply(plan)
    if cli.args.json:
        print_json(result.as_json())
        return 0
    st, done = result.station, result.done
    print(f"本机已设置为{st.mode_name}" + (f"，{st.counter}号窗口" if st.counter else "")
          + (f"，数据库 {st.server.label}" if st.server else "，使用内置数据库"), file=sys.stderr)
    if result.schema_created:
        print("已在新数据库中建立 HallDesk 的数据表", file=sys.stderr)
    if done.first_admin:
        print(f"已创建首个管理员 {done.first_admin}", file=sys.stderr)
    if done.catalog_items:
        print(f"新数据库已装入默认事项目录（{done.catalog_items} 项），请管理员按本大厅的实际情况修改", file=sys.stderr)
    if done.counter_created:
        print(f"数据库中原来没有{done.counter}号窗口，已新建（综合受理）", file=sys.stderr)
    if done.fingerprint:
        how = "已生成并登记" if done.key_made else "本机已有且已登记，沿用"
        print(f"{done.counter}号窗口的签名密钥{how}：指纹 {done.fingerprint}", file=sys.stderr)
    if done.printers:
        print(f"打印机：热敏 {done.printers['thermal'] or '（未设置）'}，A4 {done.printers['a4'] or '（未设置）'}",
              file=sys.stderr)
    if result.kept:
        print(result.kept.message, file=sys.stderr)
    print(f"设置已保存到 {result.settings}", file=sys.stderr)
    return 0


def cmd_setup_show(cli: Cli) -> int:
    doc = station_setup.describe(installation.load_station())
    if cli.args.json:
        print_json(doc)
        return 0
    if not doc["configured"]:
        print(doc["message"], file=sys.stderr)
        return 0
    print(f"工作方式：{doc['mode_name']}" + (f"（{doc['counter']}号窗口）" if doc["counter"] else ""))
    print(f"数据库：{doc['url']}")
    password: dict[str, Any] | None = doc["password"]
    print(password["message"] if password else "数据库密码：本机未保存")
    print(f"设置文件：{doc['settings']}")
    return 0


def cmd_setup_forget_password(cli: Cli) -> int:
    station, found = station_setup.forget_password()
    if station is None or station.server is None:
        print("本机没有设置数据库服务器，没有要删除的密码", file=sys.stderr)
    elif found:
        print(f"已删除本机保存的数据库密码（{station.server.label}）：下次启动前请用设置向导重新输入", file=sys.stderr)
    else:
        print(f"本机没有保存 {station.server.label} 的密码", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    sp = add_command(sub, "setup", cmd_setup, "按设置文件无人值守地设置本机（工作方式、数据库、窗口、打印机、签名密钥）",
                     json_flag=True)
    sp.add_argument("--file", metavar="FILE.yaml", help="设置文件（YAML，见 README：Installing in a hall）")
    st = sp.add_subparsers(dest="sub", required=False, parser_class=Parser, metavar="SUB")
    show = add_command(st, "show", cmd_setup_show, "显示本机设置（不含密码）", json_flag=True)
    show.set_defaults(func=cmd_setup_show)
    add_command(st, "forget-password", cmd_setup_forget_password, "删除本机保存的数据库密码")
