"""What every CLI command module shares: the invocation (``Cli``), the parser class and the small helpers.

``cli.main`` builds the parser from its own commands and those of the other modules of ``cli/``; they all
take what they share from here, so no command module imports another.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from app import inputfiles, installation
from app.auth import Actor
from app.context import HallDesk
from app.errors import AuthenticationError, ValidationError
from app.infra.counter_store import CounterStore

ENV_PASSWORD = "HALLDESK_PASSWORD"
ENV_NEW_PASSWORD = "HALLDESK_NEW_PASSWORD"


# (command, subcommand) pairs that a counter runs on its own store when --local is given.
LOCAL_COMMANDS: frozenset[tuple[str | None, str | None]] = frozenset(
    {
        ("case", "create"),
        ("case", "resubmit"),
        ("case", "show"),
        ("case", "list"),
        ("print", "receipt"),
        ("print", "queue"),
        ("print", "notice"),
        ("print", "retry"),
        ("print", "cancel"),
        ("print", "redirect"),
        ("print", "test"),
        ("slip", "verify"),
        ("audit", "verify"),
        ("sync", "run"),
        ("sync", "status"),
        ("sync", "reconcile"),
    }
)



class Cli:
    """What one CLI invocation works with: the database and, when a command needs it, the acting user."""

    def __init__(self, args: argparse.Namespace, *, hall: HallDesk | None = None, actor: Actor | None = None) -> None:
        """``hall`` and ``actor``: an open database and a user logged in already (a script running many commands
        as one user; the role table's tests)."""
        self.args = args
        self._hall = hall
        self._owns_hall = hall is None
        self._store: CounterStore | None = None
        self._actor = actor

    @property
    def hall(self) -> HallDesk:
        if self.on_local():
            return self.store.local
        if self._hall is None:
            self._hall = HallDesk.open(self.args.db)
        return self._hall

    def on_local(self) -> bool:
        """``--local`` given (or this PC set up as a 窗口电脑) and the command is one a counter runs on its own
        store (see cli/sync.py)."""
        command = (getattr(self.args, "command", None), getattr(self.args, "sub", None))
        return command in LOCAL_COMMANDS and self._local() is not None

    def _local(self) -> str | None:
        """``--local``'s value; a 窗口电脑 set up with ``setup`` works on its store without it."""
        return installation.local_store(getattr(self.args, "db", None), getattr(self.args, "local", None))

    @property
    def store(self) -> CounterStore:
        """The counter's local store (``--local PATH``, default in the data folder) with ``--db`` as shared."""
        if self._store is None:
            # `sync status` answers from the store alone, at once, even when the shared database hangs.
            quiet = (getattr(self.args, "command", None), getattr(self.args, "sub", None)) == ("sync", "status")
            self._store = CounterStore.open(self.args.db, self._local() or None, pull=not quiet)
        return self._store

    def ready_hall(self) -> HallDesk:
        self.hall.require_schema()
        return self.hall

    def actor(self) -> Actor:
        """The logged-in user (one login per invocation, so that a failure is counted once)."""
        if self._actor is None:
            self._actor = self._login()
            command = (getattr(self.args, "command", None), getattr(self.args, "sub", None))
            if self._actor.must_change_password and command != ("user", "passwd"):
                print(f"警告：{self._actor.username} 仍在使用初始或重置的密码，请尽快修改"
                      f"（python -m app --user {self._actor.username} user passwd）", file=sys.stderr)
        return self._actor

    def _login(self) -> Actor:
        username = self.args.user
        if not username:
            raise AuthenticationError("此命令需要以用户身份执行：请在命令前加 --user 用户名")
        password = os.environ.get(ENV_PASSWORD)
        if password is None:
            if not sys.stdin.isatty():
                raise AuthenticationError(f"未提供密码：请设置环境变量 {ENV_PASSWORD}，或在终端中运行以输入密码")
            password = getpass.getpass(f"{username} 的密码：")
        # On a counter's store: the shared database when it answers, else the cached accounts (offline).
        return self.ready_hall().login(username, password)

    def close(self) -> None:
        if self._hall is not None and self._owns_hall:
            self._hall.close()
        if self._store is not None:
            self._store.close()


def new_password(prompt: str = "新密码") -> str:
    value = os.environ.get(ENV_NEW_PASSWORD)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise ValidationError("password", f"未提供新密码：请设置环境变量 {ENV_NEW_PASSWORD}，或在终端中运行以输入")
    first = getpass.getpass(f"{prompt}：")
    if getpass.getpass(f"再次输入{prompt}：") != first:
        raise ValidationError("password", "两次输入的密码不一致")
    return first


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{value}") from None


def read_text(path: str) -> str:
    return inputfiles.read_text(path)


def json_input(path: str) -> Any:
    return inputfiles.parse_json(inputfiles.read_text(path))


def print_now(cli: Cli, case_no: str) -> list[dict[str, Any]]:
    """Send this case's waiting print jobs right away; printer trouble leaves them pending, never fails."""
    from app.printing import queue

    h = cli.hall
    jobs = queue.list_jobs(h.uow(), case_no=case_no)
    # The applicant waits for the receipt: slips go out before the A4 notices (as at the counter).
    for job in sorted((j for j in jobs if j.status == "pending"),
                      key=lambda j: (queue.SEND_ORDER.get(j.kind, 1), j.created_at)):
        queue.send_job(h.uow, job.id, timeout=3.0)
    return [job.as_json() for job in queue.list_jobs(h.uow(), case_no=case_no)]


# Integers go to INTEGER columns and SQLite's 64-bit binding: anything beyond 32 bits is a typing error.
INT_RANGE = (-(2**31), 2**31 - 1)

# argparse's own messages (Python 3.11–3.13), by their shape, in Chinese.
_ARGPARSE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the following arguments are required: (.*)"), r"缺少必填参数：\1"),
    (re.compile(r"one of the arguments (.*) is required"), r"须给出以下参数之一：\1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"无法识别的参数：\1"),
    (re.compile(r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)"), r"参数 \1 的值 \2 无效，可选：\3"),
    (re.compile(r"argument (\S+): expected one argument"), r"参数 \1 后面缺少值"),
    (re.compile(r"argument (\S+): expected at most one argument"), r"参数 \1 只能有一个值"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), r"参数 \1 不能与 \2 同时使用"),
    (re.compile(r"argument (\S+): ignored explicit argument (.*)"), r"参数 \1 不接受值 \2"),
    (re.compile(r"argument (\S+): invalid \S+ value: (.*)"), r"参数 \1 的值 \2 格式不正确"),
    (re.compile(r"argument (\S+): (.*[\u4e00-\u9fff].*)"), r"参数 \1：\2"),  # our own (Chinese) type errors
    (re.compile(r"ambiguous option: (\S+) could match (.*)"), r"参数 \1 不明确，可能是：\2"),
)


def _chinese(message: str) -> str:
    for pattern, replacement in _ARGPARSE_MESSAGES:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return "命令行参数不正确，请用 --help 查看用法"


def cli_int(text: str) -> int:
    """``type=int`` of every option: a Chinese message for what is not a whole number in range."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text[:20]}”不是整数") from None
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise argparse.ArgumentTypeError(f"数值 {text[:20]} 超出范围") from None
    return value


def positive_int(text: str) -> int:
    value = cli_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数，实际为 {value}")
    return value


class Parser(argparse.ArgumentParser):
    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("type") is int:
            kwargs["type"] = cli_int
        return super().add_argument(*args, **kwargs)

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "用法：", 1)

    def error(self, message: str) -> Any:  # argparse's default exit code 2 is fine, but say it in Chinese
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{_chinese(message)}\n")


def add_command(parent: Any, name: str, fn: Callable[[Cli], int], help: str, json_flag: bool = False) -> Any:
    """One ``COMMAND SUB`` parser that runs ``fn``; ``json_flag`` adds ``--json``."""
    sp = parent.add_parser(name, help=help, description=help)
    sp.set_defaults(func=fn)
    if json_flag:
        sp.add_argument("--json", action="store_true", help="以 JSON 输出")
    return sp
