"""今日办件 (F6): the clerk's cases of today, or any case found by number, code, enterprise or agent.

The selected case shows below the list with its notices and print jobs; its actions (打印回执, 预览通知书,
补正后受理) are the counter page's, as for the result panel after an intake.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from app import cases, hall_settings, limits
from app.auth import Actor
from app.cases import CaseView
from app.context import HallDesk
from app.printing import queue
from app.printing.queue import JobView
from ui.counter.models import CaseTableModel
from ui.counter.summary import CaseSummary
from ui.ops import run_op
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    fit_columns,
    limit_line,
    restore_current,
    select_key,
    set_empty_text,
    table_view,
)

# What 今日办件 says while empty: the own day (no search) or a search that found nothing.
TODAY_EMPTY = "今天您还没有办件。在“当前受理”中受理、一次性告知补正或不予受理的办件，会列在这里。"
SEARCH_EMPTY = "没有找到符合条件的办件。请核对办件编号、统一社会信用代码、企业名称或经办人姓名。"


class TodayCases(Page):
    """The 今日办件 tab: a search box, the list and the selected case.

    Signals:
        status_message(str): for the main window's status bar (from ``Page``).
    """

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.search = limit_line(QLineEdit(), limits.SEARCH)
        self.search.setPlaceholderText("办件编号、统一社会信用代码或企业名称、经办人姓名（留空：本人今日办件）")
        self.search.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("刷新 (F5)")
        self.caption = QLabel()
        self.caption.setObjectName("sectionTitle")
        self.model = CaseTableModel(parent=self)
        self.view = table_view(self.model, empty=TODAY_EMPTY)
        fit_columns(self.view, stretch=2)
        self.summary = CaseSummary(large=False, counter=actor.counter_number)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(300)
        self.search_timer.timeout.connect(self.refresh)
        head = QHBoxLayout()
        head.addWidget(buddy_label("查找(&K)", self.search))
        head.addWidget(self.search, 1)
        head.addWidget(self.refresh_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.summary)
        split.setSizes([330, 270])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.caption)
        layout.addWidget(split, 1)
        self.search.textChanged.connect(self.search_timer.start)
        self.search.returnPressed.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.selectionModel().currentChanged.connect(self._selected)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        self.search_timer.stop()
        hall, actor, text = self._hall, self._actor, self.search.text().strip()
        selected = self.selected_case()
        keep = selected.case_no if selected else None

        def load() -> list[CaseView]:
            if text:
                return cases.list_cases(hall.uow(), actor, text=text, limit=200)
            return cases.my_cases_today(hall.uow(), actor)

        run_op(load, lambda rows: self._rows_loaded(text, rows, keep), owner=self, key="today")

    def _rows_loaded(self, text: str, rows: list[CaseView], keep: str | None) -> None:
        self.model.today = hall_settings.today()
        set_empty_text(self.view, SEARCH_EMPTY if text else TODAY_EMPTY)
        self.model.set_rows(rows)
        self.caption.setText(f"查找“{text}”：{len(rows)}件" if text else f"本人今日办件：{len(rows)}件")
        restore_current(self.view, self.model, keep)
        self._loaded = True
        if not rows:
            self.summary.show_case(None)

    def selected_case(self) -> CaseView | None:
        return current_row(self.view, self.model)

    def select_case(self, case_no: str) -> bool:
        return select_key(self.view, self.model, case_no)

    def _selected(self) -> None:
        case = self.selected_case()
        self.summary.show_case(case)
        if case is None:
            return
        hall, case_no = self._hall, case.case_no
        run_op(lambda: queue.list_jobs(hall.uow(), case_no=case_no),
               lambda jobs: self.show_jobs(case_no, jobs), owner=self)

    def show_jobs(self, case_no: str, jobs: list[JobView]) -> None:
        """The print jobs of ``case_no``, if it is the case shown."""
        if self.summary.case is not None and self.summary.case.case_no == case_no:
            self.summary.set_jobs(jobs)
