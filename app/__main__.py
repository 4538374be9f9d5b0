"""Entry point: ``python -m app`` starts the GUI; ``python -m app COMMAND`` runs the CLI.

The two shells, the GUI (``ui/``) and the CLI (``cli/``), sit on top of the services; this is the only module
that wires them in (``tests/test_architecture.py`` checks that nothing else does).

The GUI path never imports the CLI: which shell is wanted is read from the arguments by a small parser of the
GUI's own options (``gui_options``); anything else — a command, ``--help`` —
goes to the CLI's full parser.  A fast start matters at a counter (``bench/bench_startup.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO


@dataclass
class GuiOptions:
    """What the GUI takes from the command line (the CLI's parser documents them: ``python -m app --help``)."""

    db: str | None = None
    user: str | None = None
    local: str | None = None  # "" for --local without a path
    setup: bool = False


def gui_options(argv: Sequence[str]) -> GuiOptions | None:
    """The GUI's options when ``argv`` asks for the GUI, else None (a command, ``--help``, a typo: the CLI's).

    Read by hand rather than with argparse: building a parser costs a few milliseconds of a start whose budget
    is counted in them.  The same forms as the CLI's parser: ``--db URL`` / ``--db=URL``, likewise ``--user``;
    ``--local`` with an optional path that does not start with ``-``; ``--setup``.
    """
    options = GuiOptions()
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        name, eq, value = tokens[i].partition("=")
        if name in ("--db", "--user"):
            if not eq:
                if i + 1 >= len(tokens) or tokens[i + 1].startswith("-"):
                    return None  # a missing value: the CLI's parser says so in its own words
                i += 1
                value = tokens[i]
            setattr(options, name[2:], value)
        elif name == "--local":
            if eq:
                options.local = value
            elif i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
                i += 1
                options.local = tokens[i]
            else:
                options.local = ""
        elif tokens[i] == "--setup":
            options.setup = True
        else:
            return None
        i += 1
    return options


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _attach_console(argv)
    if argv[:1] in (["--version"], ["--smoke-test"]):
        return _self_check(argv[0])
    options = gui_options(argv)
    if options is None:
        from app import logs

        logs.start("cli")  # <data folder>/logs, no personal data; the GUI starts its log behind the login window
        from cli.main import run

        return run(argv)
    # ---- this PC's set-up (issue 17): the wizard on a fresh PC or with --setup; a 窗口电脑 runs on its store
    from app import installation

    if options.setup or installation.needs_setup(options.db, options.local):
        from ui.main import run_setup_wizard

        if not run_setup_wizard():
            return 0  # cancelled: nothing was set up
    options.local = installation.local_store(options.db, options.local)
    # ----------------------------------------------------------------------------------------------------------
    if options.local is not None:
        # A counter PC: work on its own store, sync with the shared database (--db) in the background.
        from ui.main import run_counter_gui

        return int(run_counter_gui(shared_url=options.db, local_path=options.local or None, username=options.user))
    from ui.main import run_gui

    return int(run_gui(db_url=options.db, username=options.user))


# ---- the frozen program (issue 17): a console for the CLI, --version, --smoke-test ---------------------------


def _attach_console(argv: list[str]) -> None:
    """Give a frozen Windows build (``console=False``) somewhere to write: it starts with no stdout/stderr.

    ``HallDesk.exe COMMAND`` typed in cmd or PowerShell attaches to that console; started with no console
    (Explorer, a shortcut, a scheduled task), output goes to ``logs/console.log`` in the data folder.  Streams
    that exist (a pipe, a file) are kept.  Never fails: a program that cannot print still runs.
    """
    if sys.stdout is not None and sys.stderr is not None:
        return
    try:
        if argv and sys.platform == "win32":
            import ctypes

            attach_parent_process = -1
            if ctypes.windll.kernel32.AttachConsole(attach_parent_process):
                console = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
                sys.stdout = sys.stdout or console
                sys.stderr = sys.stderr or console
                return
        from app.crashlog import log_folder

        log: TextIO = open(log_folder() / "console.log", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    except Exception:
        import io

        log = io.StringIO()  # nowhere to write: output is dropped rather than the program failing
    sys.stdout = sys.stdout or log
    sys.stderr = sys.stderr or log


def _self_check(option: str) -> int:
    from ui.selfcheck import smoke_test, version_text

    if option == "--version":
        print(version_text())
        return 0
    return smoke_test()


if __name__ == "__main__":
    sys.exit(main())
