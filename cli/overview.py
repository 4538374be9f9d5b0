"""CLI command ``overview``: the hall's figures of a day (the supervisor's first screen).

Registered by ``cli.main.build_parser``.
"""

from __future__ import annotations

from typing import Any

from app import overview
from cli.base import Cli, add_command, parse_date, print_json


def cmd_overview(cli: Cli) -> int:
    view = overview.hall_overview(cli.hall.uow(), cli.actor(), on=cli.args.date)
    if cli.args.json:
        print_json(view.as_json())
    else:
        print(f"{view.day.isoformat()} 大厅概览")
        print(f"今日收件\t{view.received}\t其中受理 {view.accepted}")
        print(f"超期办件\t{view.overdue}")
        print(f"今日差评\t{view.bad_ratings}")
        print(f"差评整改未办结\t{view.open_rectifications}\t其中超期 {view.overdue_rectifications}")
        print(f"诉求未办结\t{view.open_grievances}\t其中超期 {view.overdue_grievances}")
    return 0


def register(sub: Any) -> None:
    """Add ``overview``."""
    sp = add_command(sub, "overview", cmd_overview, "大厅概览：当日收件、超期办件、差评、未办结的整改和诉求",
                     json_flag=True)
    sp.add_argument("--date", type=parse_date, help="统计哪一天（默认今天）")
