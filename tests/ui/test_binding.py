"""The installed Qt binding must not lose references to None/True (PySide6 6.12.0 did, and pyproject pins it out).

On CPython < 3.12 such a leak aborts the process after some thousand Qt calls — minutes of counter work.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(bool)


def test_qt_calls_and_signals_keep_none_and_true_alive() -> None:
    probe = _Emitter()
    seen: list[bool] = []
    probe.fired.connect(seen.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(500):
        probe.setObjectName("probe")
        probe.fired.emit(True)
    seen.clear()
    assert none_before - sys.getrefcount(None) < 50
    assert true_before - sys.getrefcount(True) < 50
