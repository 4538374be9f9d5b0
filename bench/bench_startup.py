"""Cold start: the login window and the workspace on screen, against an empty PySide6 window in the same run.

Run: ``.venv/bin/python bench/bench_startup.py [--runs 5]``

Each measurement is a fresh process, from spawning it to the first paint of the window (``ui.startup_probe``:
the program prints ``HALLDESK-PAINTED …`` on stdout at that moment and quits):

* ``empty``: a QApplication with one empty QWidget, painted; the baseline;
* ``login``: ``python -m app`` until the login window is painted;
* ``workspace``: ``python -m app``, logging in as the demo clerk, until the main window is painted.

The three kinds are interleaved run by run (``empty``, ``login``, ``workspace``, ``empty``, …) so that a machine
whose speed drifts affects them alike; medians are printed, with the ratios to ``empty``.  Targets (issue 17):
login ≤ 1.5× empty, workspace ≤ 2 s on the reference machine.  The embedded SQLite database with the demo data
is made once, in a temporary data folder, before the first run.  ``-X importtime`` shows where import time goes:
``python -X importtime -m app`` (README, "Fast start").
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = b"HALLDESK-PAINTED"
CLERK_PASSWORD = "Bench-start-2026"
GIVE_UP = 120.0  # seconds: a window that never paints is a failure, not a hang
EMPTY_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, painted)
        return False

def painted():
    print("HALLDESK-PAINTED empty", flush=True)
    app.quit()

app = QApplication(sys.argv)
window = QWidget()
window.resize(440, 300)
probe = FirstPaint(window)
window.installEventFilter(probe)
window.show()
sys.exit(app.exec())
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``argv`` to its first-paint line."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watchdog = threading.Timer(GIVE_UP, proc.kill)
    watchdog.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(MARK):
            elapsed = time.perf_counter() - started
            break
    else:
        _, err = proc.communicate(timeout=60)
        raise SystemExit(f"{' '.join(argv)} never painted its window:\n{err.decode(errors='replace')}")
    proc.communicate(timeout=60)
    watchdog.cancel()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="halldesk-startup-")
    env = {**os.environ, "HALLDESK_DATA_DIR": data, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    env.pop("HALLDESK_DB", None)
    subprocess.run([sys.executable, "-m", "app", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    # The demo passwords are initial ones, replaced at the first login: the clerk gets a password of their own.
    from app.demo import DEMO_PASSWORD

    subprocess.run([sys.executable, "-m", "app", "--user", "clerk1", "user", "passwd"], cwd=ROOT, check=True,
                   capture_output=True, env={**env, "HALLDESK_PASSWORD": DEMO_PASSWORD,
                                             "HALLDESK_NEW_PASSWORD": CLERK_PASSWORD})

    kinds = {
        "empty": ([sys.executable, "-c", EMPTY_WINDOW], env),
        "login": ([sys.executable, "-m", "app"], {**env, "HALLDESK_STARTUP_PROBE": "login"}),
        "workspace": ([sys.executable, "-m", "app"], {**env, "HALLDESK_STARTUP_PROBE": "workspace",
                                                       "HALLDESK_PROBE_USER": "clerk1",
                                                       "HALLDESK_PROBE_PASSWORD": CLERK_PASSWORD}),
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for argv, kind_env in kinds.values():  # one warm-up each: the OS file cache, .pyc files
        timed(argv, kind_env)
    for _ in range(args.runs):
        for kind, (argv, kind_env) in kinds.items():
            times[kind].append(timed(argv, kind_env))
    empty = statistics.median(times["empty"])
    print(f"cold start, median of {args.runs} (seconds from spawn to first paint)")
    for kind, values in times.items():
        median = statistics.median(values)
        runs = " ".join(f"{v:.2f}" for v in values)
        print(f"  {kind:<10} {median:6.3f} s  {median / empty:5.2f}× empty   [{runs}]")
    login, workspace = statistics.median(times["login"]), statistics.median(times["workspace"])
    print(f"targets: login ≤ 1.5× empty: {'met' if login <= 1.5 * empty else 'MISSED'} ({login / empty:.2f}×); "
          f"workspace ≤ 2 s: {'met' if workspace <= 2.0 else 'MISSED'} ({workspace:.2f} s)")


if __name__ == "__main__":
    main()
