"""大厅今日概览: the supervisor's first screen — today's figures for the whole hall, not an empty table.

Six figures from ``app.overview``, each with one line on what it counts and where to act on it; the figures that
need attention (anything overdue, any 差评) are red.  The panel reloads when another page changes cases,
rectifications or grievances, and on F5 (the supervision page's refresh).
"""


from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app import overview
from app.auth import Actor
from app.context import HallDesk
from app.overview import HallOverview
from ui.ops import Change, run_op, subscribe
from ui.widgets import Page, format_date, hint_label, set_shown, tint

ALERT, CALM, QUIET = "#c0392b", "#33465c", "#5b6b7f"

# (field, title, what it counts / where to act, alert when > 0)
FIGURES: tuple[tuple[str, str, str, bool], ...] = (
    ("received", "今日收件", "各窗口今天登记的办件（含补正、不予受理）", False),
    ("accepted", "今日受理", "今天受理的办件（含即办件和补正后受理的）", False),
    ("overdue", "超期办件", "已过承诺时限仍在审批中的办件（特别程序中的不计）", True),
    ("bad_ratings", "今日差评", "申请人今天给出的“不满意”“非常不满意”评价", True),
    ("open_rectifications", "差评整改未办结", "见“差评整改”页：督促部门在期限内回访和整改", True),
    ("open_grievances", "诉求未办结", "见“办不成事”页：分类、转办、督办，直至办结", True),
)
# The "of which overdue" line under a figure.
LATE_FIELDS = {"open_rectifications": "overdue_rectifications", "open_grievances": "overdue_grievances"}


class OverviewPanel(Page):
    """Today's figures for the whole hall, each a tile; ``show_rectifications`` asks to open 差评整改.

    Signals:
        show_rectifications(): the user chose to look at the 差评整改 list.
    """

    show_rectifications = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.loaded = False
        self.figures: dict[str, QLabel] = {}
        self.lates: dict[str, QLabel] = {}
        subscribe(self, {Change.CASES, Change.RECTIFICATIONS, Change.GRIEVANCES}, self.refresh)

        self.caption = QLabel("正在读取今日概况…")
        self.caption.setObjectName("sectionTitle")
        grid = QGridLayout()
        grid.setSpacing(12)
        for n, (field, title, note, _alert) in enumerate(FIGURES):
            tile = QFrame()
            tile.setFrameShape(QFrame.Shape.StyledPanel)
            tile_layout = QVBoxLayout(tile)
            name = QLabel(title)
            name.setObjectName("sectionTitle")
            figure = QLabel("—")
            figure.setObjectName("overviewFigure")
            late = hint_label()
            set_shown(late, field in LATE_FIELDS)
            tile_layout.addWidget(name)
            tile_layout.addWidget(figure)
            tile_layout.addWidget(late)
            tile_layout.addWidget(hint_label(note))
            tile_layout.addStretch(1)
            self.figures[field] = figure
            self.lates[field] = late
            grid.addWidget(tile, n // 3, n % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        self.verdict = hint_label()
        self.rectifications_button = QPushButton("查看差评整改(&V)")
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新统计（F5）")
        buttons = QHBoxLayout()
        buttons.addWidget(self.verdict, 1)
        buttons.addWidget(self.rectifications_button)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self.rectifications_button.clicked.connect(self.show_rectifications)
        self.refresh_button.clicked.connect(self.refresh)

    def refresh(self) -> None:
        hall, actor = self._hall, self._actor
        run_op(lambda: overview.hall_overview(hall.uow(), actor), self.show_overview, owner=self, key="load")

    def show_overview(self, view: HallOverview) -> None:
        self.caption.setText(f"{format_date(view.day)} 大厅概况")
        data = view.as_json()
        for field, _title, _note, alert in FIGURES:
            value = int(data[field])
            self.figures[field].setText(str(value))
            tint(self.figures[field], ALERT if alert and value else CALM)
            late_field = LATE_FIELDS.get(field)
            if late_field is not None:
                late = int(data[late_field])
                self.lates[field].setText(f"其中超期 {late} 件" if late else "没有超期")
                tint(self.lates[field], ALERT if late else QUIET)
        attention = view.overdue + view.bad_ratings + view.overdue_rectifications + view.overdue_grievances
        self.verdict.setText(
            "有需要督办的事项：红色数字请优先处理。" if attention
            else "今天暂无超期办件、差评和超期诉求。"
        )
        self.loaded = True
