"""The applicant's clock at the counter: 等候 mm:ss from F2 (下一位) until the outcome, then 用时 mm:ss."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QLabel, QWidget


def clock_text(msecs: int) -> str:
    seconds = max(0, msecs // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class WaitClock(QLabel):
    """Counts while an applicant is served; stops (and keeps the time) when the case is decided."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("等候 --:--", parent)
        self.setToolTip("当前申请人已等候（办理）的时间；办结时停止")
        self.setStyleSheet("font-size: 13pt; font-weight: bold; color: #1f3a5f; padding: 0 8px;")
        self._clock = QElapsedTimer()
        self._waited_ms: int | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._show)

    def start(self) -> None:
        self._clock.start()
        self._waited_ms = None
        self.timer.start()
        self._show()

    def stop(self) -> None:
        if self._clock.isValid() and self._waited_ms is None:
            self._waited_ms = self._clock.elapsed()
        self.timer.stop()
        self._show()

    def running(self) -> bool:
        return self.timer.isActive()

    def _show(self) -> None:
        if self._waited_ms is not None:
            self.setText(f"用时 {clock_text(self._waited_ms)}")
        elif self._clock.isValid():
            self.setText(f"等候 {clock_text(self._clock.elapsed())}")
        else:
            self.setText("等候 --:--")
