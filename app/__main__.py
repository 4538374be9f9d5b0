"""Entry point: ``python -m app`` starts the GUI; ``python -m app COMMAND`` runs the CLI.

The two shells, the GUI (``ui/``) and the CLI (``cli/``), sit on top of the services; this is the only module
that wires them in (``tests/test_architecture.py`` checks that nothing else does).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from cli.main import build_parser, run

    args, _ = build_parser().parse_known_args(argv)
    from app import logs

    logs.start("cli" if getattr(args, "command", None) else "gui")  # <data folder>/logs, no personal data
    if getattr(args, "command", None):
        return run(argv)
    if getattr(args, "local", None) is not None:
        # A counter PC: work on its own store, sync with the shared database (--db) in the background.
        from ui.main import run_counter_gui

        return int(run_counter_gui(shared_url=args.db, local_path=args.local or None, username=args.user))
    from ui.main import run_gui

    return int(run_gui(db_url=args.db, username=args.user))


if __name__ == "__main__":
    sys.exit(main())
