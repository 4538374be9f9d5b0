"""办不成事: the grievance window — complaints and demands the hall could not meet, from 受理 to 归档.

``GrievancePanel`` lists grievances (红黄牌 lights, overdue first) with filters, the selected one's details and
history, and the steps the actor may take on it:

* the supervisor (营商办) — 登记…, 分类…, 转办…, 督办…, 办结…, 回访…, 归档 — on every department's grievances;
* a chief representative — 办结… (the reply) on the grievances handed to the own department (their page's
  投诉与办不成事 tab);
* the clerk at a 办不成事 counter — 登记… only: the service lets a clerk write a grievance down but not read the
  list, so the panel shows what was registered at this PC since the login.

Each step is a small dialog (``GrievanceActionDialog``, ``RegisterGrievanceDialog``) whose save runs in the
background; the service's ValidationError stays in the open dialog, in red.  ``GrievancePage`` is the main
window's 办不成事 page: the panel, and for the supervisor the default deadline (限时督办天数).
"""


from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import catalog, grievance, roles
from app.auth import Actor
from app.catalog import DepartmentView
from app.context import HallDesk
from app.errors import HallDeskError
from app.grievance import (
    ACTIONS,
    STATUSES,
    GrievanceDetail,
    GrievanceEventView,
    GrievanceView,
)
from app.validators import mask_phone
from ui.errors import confirm, show_error
from ui.grievance.dialogs import GrievanceActionDialog, RegisterGrievanceDialog, ServiceDialog
from ui.grievance.models import GrievanceTableModel
from ui.models import local_time
from ui.ops import Change, run_op, supersede
from ui.shortcuts import set_available
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    fit_columns,
    hint_label,
    open_dialog,
    restore_current,
    select_key,
    set_empty_text,
    set_shown,
    set_tab_order,
    table_view,
)

DialogT = TypeVar("DialogT", bound=ServiceDialog)


def detail_text(g: GrievanceView, events: tuple[GrievanceEventView, ...] | None = None,
                names: Mapping[str, str] | None = None) -> str:
    """The grievance as the detail pane shows it: fields (phone masked), replies, then the history (who by
    name: ``names`` maps the events' usernames to full names)."""
    names = names or {}
    lines = [
        f"{g.grievance_no}　{g.status_name}　{g.category_name or '未分类'}",
        f"收件：{local_time(g.received_at, with_date=True)}（{g.channel_name}）"
        f"　反映人：{g.complainant}　电话：{mask_phone(g.phone) if g.phone else '—'}",
    ]
    if g.case_no:
        lines.append(f"关联办件：{g.case_no}")
    if g.dept_name:
        due = f"　期限：{g.due.isoformat()}" if g.due else ""
        urged = f"　督办{g.urge_count}次" if g.urge_count else ""
        lines.append(f"承办部门：{g.dept_name}{due}{urged}")
    lines += ["", f"反映内容：{g.content}"]
    if g.reply:
        lines.append(f"办理结果：{g.reply}（{g.resolved_by_name or ''}）")
    if g.callback_note:
        lines.append(f"回访：{'满意' if g.satisfied else '不满意'}，{g.callback_note}")
    if events is not None:
        lines += ["", "办理过程："]
        for e in events:
            note = f"：{e.note}" if e.note else ""
            lines.append(f"  {local_time(e.at, with_date=True)} {names.get(e.actor, e.actor)} {e.action_name}{note}")
    return "\n".join(lines)


def grievances_empty(actor: Actor) -> str:
    """What the grievance list says while empty, for whoever looks at it."""
    if actor.role == "chief_rep":
        return "暂无转办本部门的投诉和办不成事诉求。督查人员转办后会在这里出现，请在期限内办结并答复。"
    if actor.role == "supervisor":
        return "暂无诉求。窗口、电话、网上或信件收到的投诉、办不成事诉求和建议，按“登记”录入后会在这里出现。"
    return "本次登录后尚未登记诉求。申请人反映办不成事时，按“登记”录入，督查人员会分类转办。"


GRIEVANCES_FILTERED = "没有符合筛选条件的诉求。选择“全部”状态、“全部部门”或取消“仅看超期”可看到全部。"

class GrievancePanel(Page):
    """The grievances with their lights, filters, the selected one's details and history, and its steps.

    What the panel offers follows the actor: the supervisor all steps and a 部门 filter; a chief
    representative 办结… on the own department's grievances; a clerk at a 办不成事 counter only 登记… (and the
    grievances registered here since the login).  After a step the list reloads with the same grievance
    selected.

    Signals:
        status_message(str): for the main window's status bar.
    """


    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.loaded = False
        self.lists = roles.allowed(actor, "grievance.view")
        self.registers = grievance.may_register(actor)
        self.steps = grievance.steps_for(actor)
        self.departments: list[DepartmentView] = []
        self.default_days: int | None = None
        self.detail: GrievanceDetail | None = None
        self.dialog: ServiceDialog | None = None
        supervisor = actor.role == "supervisor"

        self.dept_combo = QComboBox()
        self.dept_combo.addItem("全部部门", None)
        self.status_combo = QComboBox()
        self.status_combo.addItem("全部", None)
        for key, name in STATUSES.items():
            self.status_combo.addItem(name, key)
        self.overdue_check = QCheckBox("仅看超期(&O)")
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新读取诉求（F5）")
        self.register_button = QPushButton("登记(&N)…")
        self.register_button.setToolTip("登记新的投诉或办不成的事")
        dept_label = buddy_label("部门(&D)", self.dept_combo)
        status_label = buddy_label("状态(&T)", self.status_combo)
        filters = QHBoxLayout()
        # Every widget goes into the layout (one window for the tab order); what the actor cannot use is hidden.
        for widget in (dept_label, self.dept_combo, status_label, self.status_combo, self.overdue_check):
            filters.addWidget(widget)
            set_shown(widget, self.lists and (supervisor or widget not in (dept_label, self.dept_combo)))
        filters.addStretch(1)
        filters.addWidget(self.register_button)
        filters.addWidget(self.refresh_button)
        set_shown(self.register_button, self.registers)
        set_shown(self.refresh_button, self.lists)

        self.model = GrievanceTableModel(parent=self)
        self.view = table_view(self.model, empty=grievances_empty(actor))
        fit_columns(self.view, stretch=GrievanceTableModel.SUMMARY)
        self.count_label = hint_label()
        if not self.lists:
            self.count_label.setText("本窗口登记的诉求由营商办分类、转办和督办；下表为本次登录后在本机登记的诉求。")
        self.detail_edit = QPlainTextEdit()
        self.detail_edit.setReadOnly(True)
        self.detail_edit.setTabChangesFocus(True)
        self.detail_edit.setMaximumHeight(200)
        self.detail_edit.setPlaceholderText("选择一条诉求查看详情和办理过程")

        self.buttons: dict[str, QPushButton] = {
            "classify": QPushButton("分类(&F)…"),
            "assign": QPushButton("转办(&Z)…"),
            "urge": QPushButton("督办(&U)…"),
            "resolve": QPushButton("办结(&J)…"),
            "callback": QPushButton("回访(&C)…"),
            "archive": QPushButton("归档(&R)"),
        }
        self.buttons["resolve"].setToolTip("填写办理结果（答复诉求人的内容）")
        self.buttons["callback"].setToolTip("登记回访：诉求人满意的可归档，不满意的重新办理")
        actions = QHBoxLayout()
        for key, button in self.buttons.items():
            set_shown(button, key in self.steps)
            actions.addWidget(button)
        actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.detail_edit)
        layout.addLayout(actions)

        self.dept_combo.currentIndexChanged.connect(self.refresh)
        self.status_combo.currentIndexChanged.connect(self.refresh)
        self.overdue_check.toggled.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.register_button.clicked.connect(self.register)
        self.buttons["classify"].clicked.connect(self.classify)
        self.buttons["assign"].clicked.connect(self.assign)
        self.buttons["urge"].clicked.connect(self.urge)
        self.buttons["resolve"].clicked.connect(self.resolve)
        self.buttons["callback"].clicked.connect(self.callback)
        self.buttons["archive"].clicked.connect(self.archive)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        set_tab_order(self.dept_combo, self.status_combo, self.overdue_check, self.register_button,
                      self.refresh_button, self.view, self.detail_edit, *self.buttons.values())
        self._update()

    # ---- loading
    def refresh(self, *_: object, select: str | None = None) -> None:
        """Reload the list (in the background); the cursor stays on ``select`` or the selected grievance."""
        if not self.lists:
            self.loaded = True  # nothing to read: a clerk's list is what was registered here
            return
        hall, actor = self._hall, self._actor
        dept = self.dept_combo.currentData() if actor.role == "supervisor" else None
        status, overdue = self.status_combo.currentData(), self.overdue_check.isChecked()
        keep = select or self.selected_no()
        need_departments = actor.role == "supervisor" and not self.departments

        def load() -> tuple[list[GrievanceView], list[DepartmentView] | None, int | None]:
            rows = grievance.list_grievances(hall.uow(), actor, dept=dept, status=status, overdue=overdue)
            departments = catalog.list_departments(hall.uow()) if need_departments else None
            days = grievance.get_grievance_settings(hall.uow()).days if actor.role == "supervisor" else None
            return rows, departments, days

        def loaded(data: tuple[list[GrievanceView], list[DepartmentView] | None, int | None]) -> None:
            rows, departments, days = data
            if departments is not None:
                self.set_departments(departments)
            self.default_days = days
            narrowed = dept is not None or status is not None or overdue
            set_empty_text(self.view, GRIEVANCES_FILTERED if narrowed else grievances_empty(actor))
            self.model.set_rows(rows)
            restore_current(self.view, self.model, keep)
            late = sum(1 for r in rows if r.overdue)
            # No count under an empty list: the list's own note says what will appear there.
            self.count_label.setText((f"共 {len(rows)} 件" + (f"，其中超期 {late} 件" if late else "")) if rows else "")
            self.loaded = True
            if not self.view.currentIndex().isValid():
                self._current_changed()  # an empty list: no cursor moved, yet the old details must go

        run_op(load, loaded, owner=self, key="load")

    def set_departments(self, departments: list[DepartmentView]) -> None:
        self.departments = list(departments)
        keep = self.dept_combo.currentData()
        self.dept_combo.blockSignals(True)  # filling the combo is no new filter choice
        self.dept_combo.clear()
        self.dept_combo.addItem("全部部门", None)
        for d in departments:
            self.dept_combo.addItem(d.name, d.code)
        self.dept_combo.setCurrentIndex(max(self.dept_combo.findData(keep), 0))
        self.dept_combo.blockSignals(False)

    def selected(self) -> GrievanceView | None:
        return current_row(self.view, self.model)

    def selected_no(self) -> str | None:
        g = self.selected()
        return g.grievance_no if g else None

    def select(self, grievance_no: str) -> bool:
        return select_key(self.view, self.model, grievance_no)

    def _current_changed(self, *_: object) -> None:
        self._update()
        self._load_detail()

    def _load_detail(self) -> None:
        """The selected grievance with its history (only the supervisor and chief representatives may read it)."""
        g = self.selected()
        supersede(self, "detail")  # the history of the grievance selected before is not wanted any more
        self.detail = None
        if g is None:
            self.detail_edit.clear()
            return
        self.detail_edit.setPlainText(detail_text(g))
        if not self.lists:
            return
        hall, actor, no = self._hall, self._actor, g.grievance_no

        def loaded(detail: GrievanceDetail) -> None:
            self.detail = detail
            self.detail_edit.setPlainText(detail_text(detail.grievance, detail.events, detail.names))

        def failed(exc: BaseException) -> None:
            # The summary stays; the history is a courtesy, not worth a message box.
            if not isinstance(exc, HallDeskError):
                show_error(self, exc)
                return
            self.detail_edit.appendPlainText(f"\n无法读取办理过程：{exc.message}")

        run_op(lambda: grievance.get_grievance(hall.uow(), actor, no), loaded, failed, owner=self, key="detail")

    def _update(self) -> None:
        g = self.selected()
        for key, button in self.buttons.items():
            set_available(button, "请先在列表中选择诉求" if g is None else "" if g.status in self.steps.get(key, ())
                          else f"诉求当前为“{g.status_name}”，不能{ACTIONS[key]}")

    # ---- steps
    def register(self) -> RegisterGrievanceDialog | None:
        if not self.registers:
            return None
        dialog = RegisterGrievanceDialog(self._hall, self._actor, self)
        dialog.saved.connect(self._registered)
        return self._show(dialog)

    def classify(self) -> GrievanceActionDialog | None:
        return self._open("classify")

    def assign(self) -> GrievanceActionDialog | None:
        return self._open("assign")

    def urge(self) -> GrievanceActionDialog | None:
        return self._open("urge")

    def resolve(self) -> GrievanceActionDialog | None:
        return self._open("resolve")

    def callback(self) -> GrievanceActionDialog | None:
        return self._open("callback")

    def archive(self) -> bool:
        """归档 after a yes to the question; the call runs in the background."""
        g = self.selected()
        if g is None or g.status not in self.steps.get("archive", ()):
            return False
        if not confirm(self, f"诉求 {g.grievance_no}（{g.complainant}）已回访满意，归档后不再办理。归档？", "归档"):
            return False
        hall, actor, no = self._hall, self._actor, g.grievance_no

        def failed(exc: BaseException) -> None:
            show_error(self, exc)
            self.refresh()

        run_op(lambda: grievance.archive(hall.uow(), actor, no), lambda v: self._stepped("archive", v),
                          failed, changes={Change.GRIEVANCES}, owner=self)
        return True

    def _open(self, kind: str) -> GrievanceActionDialog | None:
        g = self.selected()
        if g is None or g.status not in self.steps.get(kind, ()):
            return None
        dialog = GrievanceActionDialog(self._hall, self._actor, g, kind, departments=self.departments,
                                       default_days=self.default_days, parent=self)
        dialog.saved.connect(lambda view: self._stepped(kind, view))
        return self._show(dialog)

    def _show(self, dialog: DialogT) -> DialogT:
        dialog.failed.connect(self.refresh)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None

    def _stepped(self, kind: str, view: GrievanceView) -> None:
        self.status_message.emit(f"诉求 {view.grievance_no}：{ACTIONS[kind]}完成，现为“{view.status_name}”")
        self.refresh(select=view.grievance_no)

    def _registered(self, view: GrievanceView) -> None:
        self.status_message.emit(f"已登记诉求 {view.grievance_no}（{view.complainant}）")
        if self.lists:
            self.refresh(select=view.grievance_no)
            return
        # A clerk may not read the list back: show what the service returned, newest first.
        self.model.set_rows([view, *self.model.rows()])
        self.select(view.grievance_no)
