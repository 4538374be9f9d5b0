"""办不成事's dialogs: 登记… and each later step (分类, 转办, 督办, 办结, 回访), saved off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import grievance, limits
from app.auth import Actor
from app.catalog import DepartmentView
from app.context import HallDesk
from app.errors import HallDeskError, ValidationError
from app.grievance import (
    CATEGORIES,
    CHANNELS,
    MAX_DAYS,
    GrievanceView,
)
from app.validators import check_mobile
from ui.errors import show_error
from ui.models import summary
from ui.ops import Change, run_op
from ui.unsaved import watch_form
from ui.widgets import (
    CheckedField,
    buddy_label,
    dialog_buttons,
    error_label,
    hint_label,
    limit_line,
    limit_text,
    set_error,
    set_tab_order,
)


class ServiceDialog(QDialog):
    """A dialog whose OK sends one service call to the background.

    Bad input (the service's ValidationError) is shown under the form and the dialog stays open; any other
    refusal (the grievance changed meanwhile, no permission) is a message box, after which the dialog closes
    and ``failed`` tells the panel to reload.  While the call runs the dialog cannot be closed: its result
    must reach the panel.

    Signals:
        saved(object): the GrievanceView the service returned.
        failed(): the service refused for a reason other than bad input.
    """

    saved = Signal(object)
    failed = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self._busy = False
        self.error_label = error_label()
        self.buttons, self.ok_button = dialog_buttons(self, ok_text, on_accept=self.save)

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "已填写的内容尚未保存" if self._form.changed() else ""

    def problem(self) -> str:
        """A problem found before asking the service ('' when there is none)."""
        return ""

    def job(self) -> Callable[[], GrievanceView]:
        raise NotImplementedError

    def focus_field(self, field: str) -> None:
        """Put the cursor where the service found the problem (``ValidationError.field``)."""

    def is_busy(self) -> bool:
        return self._busy

    def save(self) -> bool:
        if self._busy:
            return False
        if problem := self.problem():
            set_error(self.error_label, problem)
            return False
        set_error(self.error_label, "")
        self._set_busy(True)
        run_op(self.job(), self._done, self._failed, changes={Change.GRIEVANCES}, owner=self)
        return True

    def reject(self) -> None:
        if not self._busy:
            super().reject()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.buttons.setEnabled(not busy)

    def _done(self, view: GrievanceView) -> None:
        self._set_busy(False)
        self.saved.emit(view)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, ValidationError):
            set_error(self.error_label, exc.message)
            self.focus_field(exc.field)
            return
        show_error(self, exc)
        if isinstance(exc, HallDeskError):
            self.failed.emit()
            self.reject()


def _text_edit(placeholder: str, height: int = 96) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)  # Tab moves on to the next field, as in a line edit
    edit.setFixedHeight(height)
    return edit


def _days_spin(none_text: str) -> QSpinBox:
    """Working days 1–60, or 0 shown as ``none_text`` (no days given: the service decides)."""
    spin = QSpinBox()
    spin.setRange(0, MAX_DAYS)
    spin.setSpecialValueText(none_text)
    spin.setSuffix(" 个工作日")
    return spin


class RegisterGrievanceDialog(ServiceDialog):
    """受理: write down a complaint or an unresolved demand (反映人, 电话, 来源, 关联办件编号, 反映内容)."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, "登记", parent)
        self.setWindowTitle("登记诉求 — 办不成事")
        self.name_edit = limit_line(QLineEdit(), limits.COMPLAINANT)
        self.name_edit.setPlaceholderText("诉求人姓名")
        self.phone_field = CheckedField(check_mobile, 11, placeholder="手机号码，便于回访（可不填）", optional=True)
        limit_line(self.phone_field.edit, limits.GRIEVANCE_PHONE)
        self.channel_combo = QComboBox()
        for key, name in CHANNELS.items():
            self.channel_combo.addItem(name, key)
        self.case_edit = limit_line(QLineEdit(), limits.CASE_NO)
        self.case_edit.setPlaceholderText("与某一办件有关时填写（可不填）")
        self.content_edit = _text_edit(f"办不成的事或投诉的具体情况（不超过{limits.GRIEVANCE_CONTENT.chars}字）", 120)
        self.content_limit = limit_text(self.content_edit, limits.GRIEVANCE_CONTENT)
        form = QFormLayout()
        form.addRow(buddy_label("反映人(&N)", self.name_edit), self.name_edit)
        form.addRow(buddy_label("电话(&P)", self.phone_field.edit), self.phone_field)
        form.addRow(buddy_label("来源(&L)", self.channel_combo), self.channel_combo)
        form.addRow(buddy_label("关联办件编号(&C)", self.case_edit), self.case_edit)
        form.addRow(buddy_label("反映内容(&T)", self.content_edit), self.content_edit)
        form.addRow("", self.content_limit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        set_tab_order(self.name_edit, self.phone_field.edit, self.channel_combo, self.case_edit,
                      self.content_edit, self.ok_button)
        self.name_edit.setFocus()

    def job(self) -> Callable[[], GrievanceView]:
        hall, actor = self._hall, self._actor
        name, content, phone = self.name_edit.text(), self.content_edit.toPlainText(), self.phone_field.text()
        channel, case_no = str(self.channel_combo.currentData()), self.case_edit.text().strip() or None
        return lambda: grievance.register(hall.uow(), actor, complainant=name, content=content, phone=phone,
                                          channel=channel, case_no=case_no)

    def focus_field(self, field: str) -> None:
        if field == "phone":
            self.phone_field.show_problem(self.error_label.text())
        widget = {"complainant": self.name_edit, "phone": self.phone_field.edit, "channel": self.channel_combo,
                  "case_no": self.case_edit, "content": self.content_edit}.get(field)
        if widget is not None:
            widget.setFocus()


class GrievanceActionDialog(ServiceDialog):
    """One step on a grievance: 分类 (类别), 转办 (承办部门, 期限), 督办 (意见, 新期限), 办结 (办理结果),
    回访 (满意/不满意, 回访情况).  ``kind`` is the step's key in ``app.grievance.ACTIONS``."""

    KINDS: dict[str, tuple[str, str]] = {  # kind → (title, OK caption)
        "classify": ("分类", "分类"),
        "assign": ("转办", "转办"),
        "urge": ("督办", "督办"),
        "resolve": ("办结", "办结"),
        "callback": ("回访", "登记回访"),
    }

    def __init__(self, hall: HallDesk, actor: Actor, g: GrievanceView, kind: str, *,
                 departments: Sequence[DepartmentView] = (), default_days: int | None = None,
                 parent: QWidget | None = None) -> None:
        title, ok_text = self.KINDS[kind]
        super().__init__(hall, actor, ok_text, parent)
        self.kind = kind
        self.grievance = g
        self.setWindowTitle(f"{title} — {g.grievance_no}")
        about = QLabel(f"{g.grievance_no}　{g.complainant}　{g.status_name}"
                       + (f"　{g.dept_name}" if g.dept_name else "") + f"\n{summary(g.content, 80)}")
        about.setWordWrap(True)
        about.setToolTip(g.content)
        self.category_combo = QComboBox()
        self.dept_combo = QComboBox()
        default = f"按默认期限（{default_days}个工作日）" if default_days else "按默认期限"
        self.days_spin = _days_spin(default if kind == "assign" else "不变更期限")
        self.satisfied_radio = QRadioButton("满意(&Y)")
        self.unsatisfied_radio = QRadioButton("不满意(&B)")
        self.satisfaction = QButtonGroup(self)
        self.note_edit = _text_edit("")
        form = QFormLayout()
        first: QWidget
        if kind == "classify":
            for key, name in CATEGORIES.items():
                self.category_combo.addItem(name, key)
            self.category_combo.setCurrentIndex(max(self.category_combo.findData(g.category), 0))
            form.addRow(buddy_label("类别(&K)", self.category_combo), self.category_combo)
            first = self.category_combo
        elif kind == "assign":
            self.dept_combo.addItem("（请选择承办部门）", None)
            for d in departments:
                self.dept_combo.addItem(d.name, d.code)
            # Reassigning starts from the department it is with now.
            self.dept_combo.setCurrentIndex(max(self.dept_combo.findData(g.dept), 0))
            form.addRow(buddy_label("承办部门(&D)", self.dept_combo), self.dept_combo)
            form.addRow(buddy_label("办理期限(&T)", self.days_spin), self.days_spin)
            form.addRow(hint_label("期限按工作日计算，自今日起；重新转办即重新计算期限。"))
            first = self.dept_combo
        elif kind == "urge":
            self.note_edit.setPlaceholderText("督办意见，如：请于三个工作日内答复诉求人")
            form.addRow(buddy_label("督办意见(&N)", self.note_edit), self.note_edit)
            form.addRow("", limit_text(self.note_edit, limits.URGE_NOTE))
            form.addRow(buddy_label("新期限(&T)", self.days_spin), self.days_spin)
            first = self.note_edit
        elif kind == "resolve":
            self.note_edit.setPlaceholderText("答复诉求人的内容：怎样办理、结果如何")
            form.addRow(buddy_label("办理结果(&N)", self.note_edit), self.note_edit)
            form.addRow("", limit_text(self.note_edit, limits.GRIEVANCE_REPLY))
            first = self.note_edit
        else:
            if g.reply:
                reply = QLabel(f"办理结果：{g.reply}")
                reply.setWordWrap(True)
                form.addRow(reply)
            self.satisfaction.addButton(self.satisfied_radio)
            self.satisfaction.addButton(self.unsatisfied_radio)
            radios = QHBoxLayout()
            radios.addWidget(self.satisfied_radio)
            radios.addWidget(self.unsatisfied_radio)
            radios.addStretch(1)
            form.addRow("诉求人意见：", radios)
            self.note_edit.setPlaceholderText("回访方式和诉求人的意见")
            form.addRow(buddy_label("回访情况(&N)", self.note_edit), self.note_edit)
            form.addRow("", limit_text(self.note_edit, limits.GRIEVANCE_CALLBACK))
            form.addRow(hint_label("不满意的，诉求重新交承办部门办理，并重新计算期限。"))
            first = self.satisfied_radio
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        first.setFocus()

    def choose_satisfied(self, satisfied: bool) -> None:
        (self.satisfied_radio if satisfied else self.unsatisfied_radio).setChecked(True)

    def satisfied(self) -> bool | None:
        if self.satisfied_radio.isChecked():
            return True
        return False if self.unsatisfied_radio.isChecked() else None

    def problem(self) -> str:
        if self.kind == "assign" and self.dept_combo.currentData() is None:
            return "请选择承办部门"
        if self.kind == "callback" and self.satisfied() is None:
            return "请选择诉求人是否满意"
        return ""

    def job(self) -> Callable[[], GrievanceView]:
        hall, actor, no = self._hall, self._actor, self.grievance.grievance_no
        note = self.note_edit.toPlainText()
        days = self.days_spin.value() or None  # 0 is the special value: no days given
        match self.kind:
            case "classify":
                category = str(self.category_combo.currentData())
                return lambda: grievance.classify(hall.uow(), actor, no, category)
            case "assign":
                dept = str(self.dept_combo.currentData())
                return lambda: grievance.assign(hall.uow(), actor, no, dept, days=days)
            case "urge":
                return lambda: grievance.urge(hall.uow(), actor, no, note, days=days)
            case "resolve":
                return lambda: grievance.resolve(hall.uow(), actor, no, note)
            case _:
                satisfied = bool(self.satisfied())
                return lambda: grievance.callback(hall.uow(), actor, no, satisfied=satisfied, note=note)

    def focus_field(self, field: str) -> None:
        widget = {"category": self.category_combo, "dept": self.dept_combo, "days": self.days_spin}.get(
            field, self.note_edit)
        widget.setFocus()
