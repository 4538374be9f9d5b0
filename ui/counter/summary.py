"""One case at the counter: its number, outcome, notices and print jobs (the result panel and 今日办件's detail)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.cases import CaseView
from app.printing.queue import JobView
from ui.models import NOTICE_NAMES, due_text, local_time
from ui.printing.models import JobTableModel
from ui.widgets import (
    format_date,
    table_view,
    tint,
)


class CaseSummary(QWidget):
    """One case: number, status, pickup code, dates, the notices issued and the print jobs with their status.

    ``large`` is the result panel after an outcome (the number read out to the applicant); the small one
    is the detail of a case selected in 今日办件.

    Signals:
        preview_requested(str, str): 预览通知书 — case number and notice kind.
        reprint_requested(str): 补打回执 (or 打印回执 while the original waits) for this case number.
        resubmit_requested(str): 补正后受理 for this case number.
    """

    preview_requested = Signal(str, str)
    reprint_requested = Signal(str)
    resubmit_requested = Signal(str)

    def __init__(self, *, large: bool = False, counter: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case: CaseView | None = None
        self.large = large
        self.counter = counter  # this PC's counter: receipts of other counters' cases are not printed here
        self.case_label = QLabel()
        self.case_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel()
        self.caption_label = QLabel("办件编号" if large else "")
        self.caption_label.setObjectName("hintLabel")
        if large:
            self.case_label.setStyleSheet("font-size: 30pt; font-weight: bold; color: #1f3a5f;")
            self.status_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        else:
            self.case_label.setObjectName("detailTitle")
            self.status_label.setStyleSheet("font-weight: bold;")
        head = QHBoxLayout()
        head.addWidget(self.case_label)
        head.addSpacing(16)
        head.addWidget(self.status_label, 1, Qt.AlignmentFlag.AlignBottom)

        self.item_value = self._value()
        self.applicant_value = self._value()
        self.agent_value = self._value()
        self.pickup_value = self._value()
        if large:
            self.pickup_value.setStyleSheet("font-size: 18pt; font-weight: bold; letter-spacing: 2px;")
        self.received_value = self._value()
        self.promised_value = self._value()
        self.correction_value = self._value()
        self.supplement_value = self._value()
        self.reason_value = self._value()
        self.form = QFormLayout()
        self.form.setVerticalSpacing(3)
        for text, value in (("事项", self.item_value), ("企业/申请人", self.applicant_value),
                            ("经办人", self.agent_value), ("取件码", self.pickup_value),
                            ("收件时间", self.received_value), ("承诺办结日", self.promised_value),
                            ("补正告知期限", self.correction_value), ("容缺补交期限", self.supplement_value),
                            ("不予受理理由", self.reason_value)):
            key = QLabel(text)
            key.setObjectName("keyLabel")
            self.form.addRow(key, value)

        self.notices_list = QListWidget()
        self.notices_list.setMaximumHeight(96)
        notices_label = QLabel("通知书(&N)")
        notices_label.setObjectName("sectionTitle")
        notices_label.setBuddy(self.notices_list)
        self.jobs_model = JobTableModel(parent=self)
        self.jobs_view = table_view(self.jobs_model, empty="本办件暂无打印任务。受理回执、通知书和取件凭条送打后会列在这里。")
        self.jobs_view.hideColumn(1)  # the case number is the panel's title
        header = self.jobs_view.horizontalHeader()
        for column in range(self.jobs_model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.jobs_view.setMaximumHeight(130)
        jobs_label = QLabel("打印任务")
        jobs_label.setObjectName("sectionTitle")
        jobs_label.setBuddy(self.jobs_view)

        self.preview_button = QPushButton("预览通知书(&V)")
        self.reprint_button = QPushButton("补打回执(&P)")
        self.resubmit_button = QPushButton("补正后受理(&Z)")
        self.resubmit_button.setToolTip("申请人已按补正通知书补齐材料：核对后受理")
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.reprint_button)
        buttons.addWidget(self.resubmit_button)
        buttons.addStretch(1)

        # Large: one column under the big number.  Small (今日办件, wide and low): facts left, documents right.
        documents = QVBoxLayout()
        documents.setSpacing(4)
        documents.addWidget(notices_label)
        documents.addWidget(self.notices_list)
        documents.addWidget(jobs_label)
        documents.addWidget(self.jobs_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        if large:
            layout.addWidget(self.caption_label)
            layout.addLayout(head)
            layout.addLayout(self.form)
            layout.addLayout(documents)
        else:
            facts = QVBoxLayout()
            facts.addLayout(head)
            facts.addLayout(self.form)
            facts.addStretch(1)
            body = QHBoxLayout()
            body.addLayout(facts, 2)
            body.addSpacing(12)
            body.addLayout(documents, 3)
            layout.addLayout(body, 1)
        layout.addLayout(buttons)
        if large:
            layout.addStretch(1)

        self.preview_button.clicked.connect(self._preview)
        self.notices_list.itemActivated.connect(self._preview)
        self.reprint_button.clicked.connect(self._reprint)
        self.resubmit_button.clicked.connect(self._resubmit)
        self.show_case(None)

    @staticmethod
    def _value() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # ---- showing
    def show_case(self, case: CaseView | None, jobs: Sequence[JobView] | None = None) -> None:
        self.case = case
        self.notices_list.clear()
        if case is None:
            self.case_label.setText("—" if self.large else "请选择办件")
            self.status_label.clear()
            for value in (self.item_value, self.applicant_value, self.agent_value, self.pickup_value,
                          self.received_value, self.promised_value, self.correction_value,
                          self.supplement_value, self.reason_value):
                value.clear()
            self.jobs_model.set_rows([])
            self._update_buttons()
            return
        self.case_label.setText(case.case_no)
        status = case.status_name + ("（逾期未告知补正，视为受理）" if case.deemed_accepted else "")
        self.status_label.setText(status)
        tint(self.status_label, {"refused": "#c0392b", "correction_requested": "#9a6200"}.get(case.status, "#1e7d45"))
        self.item_value.setText(f"{case.item_name}（{case.dept_name}）")
        applicant = case.enterprise_name or "个人申请"
        self.applicant_value.setText(applicant + (f"　{case.enterprise_uscc}" if case.enterprise_uscc else ""))
        self.agent_value.setText(case.agent_name)
        # The code is shown once, in the intake's own result; a listed case never carries it (见回执).
        self.pickup_value.setText("" if case.status == "refused" else case.pickup_code or "（见回执）")
        self.received_value.setText(local_time(case.received_at, with_date=True))
        promised = due_text(case.promised_due, case.due_provisional).replace("（待定）", "（待定：该年节假日未确认）")
        self.promised_value.setText(promised)
        correcting = case.status in ("correction_requested", "returned")
        self.correction_value.setText(
            f"{format_date(case.correction_deadline)}（收件后5个工作日内一次性告知）"
            if correcting and case.correction_deadline else "")
        self.supplement_value.setText(format_date(case.supplement_due) if case.supplement_due else "")
        self.reason_value.setText(case.refusal_reason if case.status == "refused" else "")
        for label in (self.pickup_value, self.promised_value, self.correction_value, self.supplement_value,
                      self.reason_value):
            self.form.setRowVisible(label, bool(label.text()))
        for notice in case.notices:
            entry = QListWidgetItem(f"{NOTICE_NAMES.get(notice.kind, notice.kind)}　{notice.doc_no}")
            entry.setData(Qt.ItemDataRole.UserRole, notice.kind)
            self.notices_list.addItem(entry)
        if self.notices_list.count():
            self.notices_list.setCurrentRow(0)
        self.set_jobs(jobs or [])

    def set_jobs(self, jobs: Sequence[JobView]) -> None:
        self.jobs_model.set_rows(jobs)
        self._update_buttons()

    def jobs(self) -> list[JobView]:
        return self.jobs_model.rows()

    def notice_kinds(self) -> list[str]:
        return [str(self.notices_list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.notices_list.count())]

    def receipt_printed(self) -> bool:
        return any(j.kind == "receipt" and j.status == "printed" for j in self.jobs())

    def _update_buttons(self) -> None:
        case = self.case
        self.preview_button.setEnabled(case is not None and bool(case.notices))
        # The receipt is printed only at the counter that took the case (the service's rule; here: said early).
        self.reprint_button.setEnabled(case is not None and case.status != "refused"
                                       and (self.counter is None or case.counter == self.counter))
        self.reprint_button.setText("补打回执(&P)" if self.receipt_printed() or not self.jobs() else "打印回执(&P)")
        self.resubmit_button.setEnabled(case is not None and case.status in ("correction_requested", "returned"))

    # ---- actions
    def _preview(self) -> None:
        item = self.notices_list.currentItem()
        if self.case is not None and item is not None:
            self.preview_requested.emit(self.case.case_no, str(item.data(Qt.ItemDataRole.UserRole)))

    def _reprint(self) -> None:
        if self.case is not None:
            self.reprint_requested.emit(self.case.case_no)

    def _resubmit(self) -> None:
        if self.case is not None:
            self.resubmit_requested.emit(self.case.case_no)
