"""A fast start (issue 17): what the login window's path imports, and the start-up benchmark's measuring points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Loaded behind the login (the database layer while the password is typed) or on first use.
NOT_FOR_THE_LOGIN = ("cli", "sqlalchemy", "alembic", "psycopg", "pymysql", "pypinyin", "reportlab", "escpos",
                     "pypdfium2", "PIL", "argon2", "cryptography", "yaml", "app.context", "db.models", "ui.mainwindow")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"], cwd=ROOT,
                         check=True, capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return set(out.stdout.split())


def test_the_login_window_needs_no_database_layer() -> None:
    loaded = _modules_after("import app.__main__, ui.main, ui.login")
    assert {name for name in loaded if name.split(".")[0] in NOT_FOR_THE_LOGIN or name in NOT_FOR_THE_LOGIN} == set()


def test_the_workspace_loads_pinyin_and_pdf_only_when_used() -> None:
    loaded = _modules_after("import app.context, ui.mainwindow, ui.counter.page")
    assert not {"cli", "alembic", "pypinyin", "reportlab", "escpos"} & {name.split(".")[0] for name in loaded}


def test_the_gui_options_do_not_take_a_command() -> None:
    from app.__main__ import gui_options

    options = gui_options(["--db", "sqlite:///x", "--user", "clerk1"])
    assert options is not None and (options.db, options.user, options.local) == ("sqlite:///x", "clerk1", None)
    assert gui_options(["--local"]) is not None and gui_options(["--local"]).local == ""  # type: ignore[union-attr]
    for cli in (["demo"], ["--db", "sqlite:///x", "case", "list"], ["--help"], ["--db"], ["--frobnicate"]):
        assert gui_options(cli) is None, cli


def test_the_startup_benchmark_measures_each_window() -> None:
    """One round of bench/bench_startup.py: each kind of start paints its window and says so (times are printed,
    never asserted)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # the benchmark makes its own data folder
    out = subprocess.run([sys.executable, "bench/bench_startup.py", "--runs", "1"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["empty", "login", "workspace"]
    assert "targets:" in lines[4]


# Runs the real start to the login window's first paint (the benchmark's measuring point) in a fresh process and
# says there whether ``PySide6.QtCore.Qt`` has been built: its first use builds all 111 of its enums.
_QT_AT_LOGIN_PAINT = """
import os, sys, tempfile
os.environ["HALLDESK_STARTUP_PROBE"] = "login"
os.environ["HALLDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="halldesk-qt-ns-")
import PySide6.QtCore
from ui import startup_probe
from app.__main__ import main

original = startup_probe.painted
def painted(what):
    sys.stderr.write(f"QT-NAMESPACE {'Qt' in vars(PySide6.QtCore)}\\n")
    original(what)
startup_probe.painted = painted
main(["--db", "sqlite://"])
"""


def test_the_login_window_is_painted_before_the_qt_namespace_is_built() -> None:
    """About 25 ms, a sixth of an empty window's start (issue 17: the login window within 1.5× of it): the login
    path sets ``Qt::`` flags by name (``ui.labels.set_flags``) and imports ``QtCore.Qt`` where it is used."""
    out = subprocess.run([sys.executable, "-c", _QT_AT_LOGIN_PAINT], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert "QT-NAMESPACE False" in out.stderr.splitlines(), out.stderr[-3000:]


def test_flags_set_by_name_are_the_flags(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    from ui.labels import error_label, set_flags

    label = QLabel("政务服务大厅")
    qtbot.addWidget(label)
    set_flags(label, "alignment", "AlignRight|AlignVCenter")
    assert label.alignment() == Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert error_label().textInteractionFlags() == Qt.TextInteractionFlag.TextSelectableByMouse
    try:
        set_flags(label, "alignment", "AlignSideways")
    except ValueError as exc:
        assert "AlignSideways" in str(exc)
    else:
        raise AssertionError("an unknown flag name was taken")
