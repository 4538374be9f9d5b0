"""Entry point: ``python -m app`` starts the GUI; ``python -m app COMMAND`` runs the CLI.

The two shells, the GUI (``ui/``) and the CLI (``cli/``), sit on top of the services; this is the only module
that wires them in (``tests/test_architecture.py`` checks that nothing else does).
"""

from __future__ import annotations

import sys
from typing import TextIO


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _attach_console(argv)
    if argv[:1] in (["--version"], ["--smoke-test"]):
        return _self_check(argv[0])
    from cli.main import build_parser, run

    args, _ = build_parser().parse_known_args(argv)
    if getattr(args, "command", None):
        return run(argv)
    if getattr(args, "local", None) is not None:
        # A counter PC: work on its own store, sync with the shared database (--db) in the background.
        from ui.main import run_counter_gui

        return int(run_counter_gui(shared_url=args.db, local_path=args.local or None, username=args.user))
    from ui.main import run_gui

    return int(run_gui(db_url=args.db, username=args.user))


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
