"""The customer display (评价器): a second window on a monitor facing the applicant.

It shows the hall, the counter and the clerk, and what is happening now: 欢迎 while idle, 正在为您办理… with
the materials checklist during an intake, 请核对回执 after it, the result at a hand-over.  After an intake or a
hand-over it asks for a voluntary rating on the national five levels (好差评); 不满意 and 非常不满意 ask for at
least one reason.  The applicant may skip, and after ``EvaluationSettings.prompt_seconds`` without an answer
the display thanks them and records nothing.  A case is rated once per occasion (``evaluation.rated_occasions``).

The counter window and the output page do not know the display: they report to a ``DisplayController``,
which the display window (if one is open) listens to.  Where the display goes is a per-PC choice kept in
QSettings (``display/enabled``, ``display/screen``), set in ``DisplaySettingsDialog``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import evaluation, hall_settings
from app.auth import Actor
from app.context import HallDesk
from app.errors import Conflict, HallDeskError
from app.evaluation import BAD_LEVELS, LEVELS, OCCASIONS, REASONS, EvaluationSettings, EvaluationView
from app.hall_settings import HallSettings
from ui.errors import show_crash
from ui.ops import Change, run_op
from ui.widgets import buddy_label, dialog_buttons

ENABLED_KEY = "display/enabled"
SCREEN_KEY = "display/screen"
THANKS_MS = 4000  # how long a thank-you stays before the display returns to 欢迎
_LEVEL_COLOURS = {5: "#1e7d45", 4: "#3f8f5a", 3: "#5b6b7f", 2: "#c46a1b", 1: "#c0392b"}


# ---- where the display goes (this PC's settings) -----------------------------------------------------------


def display_enabled(settings: QSettings | None = None) -> bool:
    s = settings or QSettings()
    return str(s.value(ENABLED_KEY, "false")).lower() in ("true", "1")


def display_screen(settings: QSettings | None = None) -> str:
    s = settings or QSettings()
    return str(s.value(SCREEN_KEY, "") or "")


def screen_named(name: str) -> QScreen | None:
    """The screen called ``name``; else the first one that is not the primary (the applicant's), else None."""
    screens = QGuiApplication.screens()
    found = next((s for s in screens if s.name() == name), None)
    if found is not None or name:
        return found
    primary = QGuiApplication.primaryScreen()
    return next((s for s in screens if s is not primary), None)


class DisplaySettingsDialog(QDialog):
    """客户评价器: whether this PC drives a customer display, and on which screen.

    Signals:
        saved(): the settings were written (the main window opens, moves or closes the display).
    """

    saved = Signal()

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings or QSettings()
        self.setWindowTitle("客户评价器设置")
        self.enabled_check = QCheckBox("本窗口连接面向申请人的评价器显示屏(&E)")
        self.screen_combo = QComboBox()
        for screen in QGuiApplication.screens():
            size = screen.geometry()
            primary = "（主屏幕）" if screen is QGuiApplication.primaryScreen() else ""
            self.screen_combo.addItem(
                f"{screen.name()}　{size.width()}×{size.height()}{primary}", screen.name()
            )
        note = QLabel(
            "评价器全屏显示在所选屏幕上，显示窗口号、工作人员、办理进度，并在受理和出件后请申请人评价。"
        )
        note.setObjectName("hintLabel")
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.enabled_check)
        form.addRow(buddy_label("显示屏(&S)", self.screen_combo), self.screen_combo)
        buttons, self.ok_button = dialog_buttons(self, on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.enabled_check.toggled.connect(self.screen_combo.setEnabled)
        self.setMinimumWidth(420)
        self.load()

    def load(self) -> None:
        self.enabled_check.setChecked(display_enabled(self._settings))
        self.screen_combo.setEnabled(self.enabled_check.isChecked())
        row = self.screen_combo.findData(display_screen(self._settings))
        if row < 0:
            screen = screen_named("")  # the default suggestion: a screen that is not the clerk's
            row = self.screen_combo.findData(screen.name()) if screen is not None else 0
        self.screen_combo.setCurrentIndex(max(row, 0))

    def save(self) -> bool:
        self._settings.setValue(ENABLED_KEY, self.enabled_check.isChecked())
        self._settings.setValue(SCREEN_KEY, self.screen_combo.currentData() or "")
        self._settings.sync()
        self.saved.emit()
        self.accept()
        return True


# ---- what the windows report ---------------------------------------------------------------------------------


class DisplayController(QObject):
    """What the clerk's windows report to the customer display; the display window listens.

    The counter window calls ``serve`` when an item is picked, ``show_materials`` as the checklist changes,
    ``intake_done`` after an outcome and ``idle`` when the form is cleared; the output page calls ``serve``
    when a case is found and ``handed_over`` after the hand-over.  Without a display nobody listens.

    Signals:
        idle_requested(): nothing in progress: 欢迎.
        serving(str): an item is being handled (its name).
        materials_changed(list): the checklist, as [(material name, state name), ...].
        intake_finished(str, str): (case number, item name) after an intake outcome: 请核对回执, then a rating.
        handover_finished(str, str): (case number, result text) after a hand-over: the result, then a rating.
    """

    idle_requested = Signal()
    serving = Signal(str)
    materials_changed = Signal(list)
    intake_finished = Signal(str, str)
    handover_finished = Signal(str, str)

    def idle(self) -> None:
        self.idle_requested.emit()

    def serve(self, item_name: str) -> None:
        self.serving.emit(item_name)

    def show_materials(self, rows: Sequence[tuple[str, str]]) -> None:
        self.materials_changed.emit([(str(name), str(state)) for name, state in rows])

    def intake_done(self, case_no: str, item_name: str) -> None:
        self.intake_finished.emit(case_no, item_name)

    def handed_over(self, case_no: str, result: str) -> None:
        self.handover_finished.emit(case_no, result)


# ---- the window ------------------------------------------------------------------------------------------------


class DisplayWindow(QWidget):
    """The applicant's screen: header (hall, counter, clerk), what happens now, and the rating prompt.

    ``state()`` is ``idle``, ``serving``, ``rating`` (the five levels shown), ``reasons`` (a 差评: reasons
    to tick) or ``thanks``.  Ratings are recorded for the clerk at this counter (``evaluation.rate``).

    Signals:
        rated(object): an EvaluationView was recorded.
    """

    rated = Signal(object)

    def __init__(
        self,
        hall: HallDesk,
        actor: Actor,
        controller: DisplayController,
        parent: QWidget | None = None,
        *,
        issue_hall: HallDesk | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._hall = hall
        # Ratings after a hand-over go where the hand-over was recorded (the shared database, at a counter
        # working on its own store); ratings after an intake go with the case (and its outbox).
        self._issue_hall = issue_hall or hall
        self._actor = actor
        self._settings = EvaluationSettings()
        self._state = "idle"
        self._case_no = ""
        self._occasion = ""
        self._level: int | None = None
        self._item = ""
        self.setObjectName("customerDisplay")
        self.setWindowTitle("评价器")
        self.setStyleSheet(
            "QWidget#customerDisplay { background: #f4f8fc; }"
            " QLabel#displayHall { font-size: 22pt; font-weight: bold; color: #1f3a5f; }"
            " QLabel#displayCounter { font-size: 16pt; color: #33465c; }"
            " QLabel#displayHeadline { font-size: 26pt; font-weight: bold; color: #1f3a5f; }"
            " QLabel#displayText { font-size: 16pt; color: #33465c; }"
            # Large targets: the applicant answers with a finger or a mouse they have never used.
            " QCheckBox { font-size: 15pt; spacing: 12px; padding: 6px; }"
            " QCheckBox::indicator { width: 28px; height: 28px; }"
        )

        self.hall_label = QLabel(hall_settings.HallSettings().name)
        self.hall_label.setObjectName("displayHall")
        counter = f"{actor.counter_number}号窗口" if actor.counter_number is not None else ""
        self.counter_label = QLabel(f"{counter}　工作人员：{actor.full_name}".strip())
        self.counter_label.setObjectName("displayCounter")
        head = QHBoxLayout()
        head.addWidget(self.hall_label, 1)
        head.addWidget(self.counter_label)

        self.headline = QLabel()
        self.headline.setObjectName("displayHeadline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline.setWordWrap(True)
        self.text = QLabel()
        self.text.setObjectName("displayText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)

        # The rating: five large buttons, the reasons for a 差评, 提交 and 跳过.
        self.level_buttons: dict[int, QPushButton] = {}
        levels = QHBoxLayout()
        for level in sorted(LEVELS, reverse=True):
            button = QPushButton(LEVELS[level])
            button.setMinimumSize(150, 90)
            button.setCheckable(True)  # the chosen 差评 level stays marked while its reasons are picked
            button.setStyleSheet(
                f"QPushButton {{ font-size: 18pt; font-weight: bold; color: white;"
                f" background: {_LEVEL_COLOURS[level]}; border-radius: 8px; padding: 8px;"
                f" border: 4px solid transparent; }}"
                " QPushButton:checked { border: 4px solid #1f3a5f; }"
            )
            button.clicked.connect(lambda _=False, lv=level: self.choose(lv))
            self.level_buttons[level] = button
            levels.addWidget(button)
        self.reason_checks: dict[str, QCheckBox] = {}
        reasons = QGridLayout()
        for i, (code, name) in enumerate(REASONS.items()):
            check = QCheckBox(name)
            check.toggled.connect(self._reasons_changed)
            self.reason_checks[code] = check
            reasons.addWidget(check, i // 2, i % 2)
        self.reasons_box = QWidget()
        self.reasons_box.setLayout(reasons)
        self.submit_button = QPushButton("提交")
        self.skip_button = QPushButton("跳过 / 不评价")
        for button in (self.submit_button, self.skip_button):
            button.setMinimumSize(180, 60)
            button.setStyleSheet("QPushButton { font-size: 16pt; padding: 6px 20px; }")
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.submit_button)
        actions.addWidget(self.skip_button)
        actions.addStretch(1)
        self.rating_panel = QWidget()
        rating_layout = QVBoxLayout(self.rating_panel)
        rating_layout.addLayout(levels)
        rating_layout.addWidget(self.reasons_box)
        rating_layout.addLayout(actions)

        self.pages = QStackedWidget()
        self.pages.addWidget(QWidget())  # nothing to ask
        self.pages.addWidget(self.rating_panel)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addLayout(head)
        layout.addStretch(1)
        layout.addWidget(self.headline)
        layout.addWidget(self.text)
        layout.addStretch(1)
        layout.addWidget(self.pages)
        layout.addStretch(1)

        self.prompt_timer = QTimer(self)
        self.prompt_timer.setSingleShot(True)
        self.prompt_timer.timeout.connect(self._timed_out)
        self.back_timer = QTimer(self)
        self.back_timer.setSingleShot(True)
        self.back_timer.setInterval(THANKS_MS)
        self.back_timer.timeout.connect(self.show_idle)
        self.submit_button.clicked.connect(self.submit)
        self.skip_button.clicked.connect(self.skip)
        controller.idle_requested.connect(self._idle_requested)
        controller.serving.connect(self.show_serving)
        controller.materials_changed.connect(self.show_materials)
        controller.intake_finished.connect(self.after_intake)
        controller.handover_finished.connect(self.after_handover)
        self.show_idle()
        self.load()

    def load(self) -> None:
        """The hall's name and how long to wait for a rating, read again from the database."""
        hall = self._hall

        def load() -> tuple[HallSettings, EvaluationSettings]:
            return hall_settings.get_hall_settings(hall.uow()), evaluation.get_evaluation_settings(hall.uow())

        run_op(load, self._loaded, self._load_failed, owner=self, key="load")

    def _loaded(self, data: tuple[HallSettings, EvaluationSettings]) -> None:
        hall_settings, self._settings = data
        self.hall_label.setText(hall_settings.name)

    def _load_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, HallDeskError):  # offline: the defaults do
            show_crash(self, exc)

    def present(self, screen_name: str = "") -> None:
        """Full screen on the chosen screen; where there is no such screen (or no real display), a window."""
        screen = screen_named(screen_name)
        if QGuiApplication.platformName() in ("offscreen", "minimal") or screen is None:
            self.resize(1024, 600)
            self.show()
            return
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        self.showFullScreen()

    # ---- what is shown
    def state(self) -> str:
        return self._state

    def prompt_seconds(self) -> int:
        return self._settings.prompt_seconds

    def _show(self, state: str, headline: str, text: str = "", *, rating: bool = False) -> None:
        self._state = state
        self.headline.setText(headline)
        self.text.setText(text)
        self.pages.setCurrentIndex(1 if rating else 0)
        if not rating:
            self.prompt_timer.stop()

    def show_idle(self) -> None:
        self.back_timer.stop()
        self._case_no = self._occasion = ""
        self._show("idle", "欢迎您！", "请将材料交给工作人员，我们将竭诚为您服务")

    def _idle_requested(self) -> None:
        # The clerk's form was cleared (下一位): an applicant still rating finishes first.
        if self._state not in ("rating", "reasons", "thanks"):
            self.show_idle()

    def show_serving(self, item_name: str) -> None:
        self.back_timer.stop()
        self._item = item_name
        self._show("serving", "正在为您办理…", item_name)

    def show_materials(self, rows: list[tuple[str, str]]) -> None:
        if self._state != "serving":
            return
        item = self._item
        checklist = "\n".join(
            f"{'✓' if state in ('已收', '免提交') else '○'} {name}　{state}" for name, state in rows
        )
        self.text.setText(f"{item}\n\n{checklist}" if checklist else item)

    def after_intake(self, case_no: str, item_name: str) -> None:
        self._ask(
            case_no,
            "intake",
            "请核对回执",
            f"办件编号 {case_no}　{item_name}\n请核对回执上的信息，并妥善保管取件凭条",
        )

    def after_handover(self, case_no: str, result: str) -> None:
        self._ask(case_no, "issue", "办理完成，请收好您的材料", f"办件编号 {case_no}　{result}")

    # ---- the rating
    def _ask(self, case_no: str, occasion: str, headline: str, text: str) -> None:
        """Show ``headline``; ask for a rating unless this case was rated for ``occasion`` already."""
        self.back_timer.stop()
        self._case_no, self._occasion = case_no, occasion
        self._show("serving", headline, text)
        hall = self._hall_for(occasion)
        # A newer case at the counter supersedes the question about this one.
        run_op(lambda: evaluation.rated_occasions(hall.uow(), case_no),
               lambda done: self._prompt(headline, text, done), self._ask_failed, owner=self, key="ask")

    def _hall_for(self, occasion: str) -> HallDesk:
        return self._issue_hall if occasion == "issue" else self._hall

    def _prompt(self, headline: str, text: str, done: frozenset[str]) -> None:
        if self._occasion in done:
            self.back_timer.start()
            return
        self._level = None
        for check in self.reason_checks.values():
            check.setChecked(False)
        for button in self.level_buttons.values():
            button.setChecked(False)
        self.reasons_box.hide()
        self.submit_button.hide()
        self._show(
            "rating",
            headline,
            f"{text}\n\n请您对本次{OCCASIONS[self._occasion][:2]}服务进行评价（自愿）",
            rating=True,
        )
        self.prompt_timer.start(self._settings.prompt_seconds * 1000)

    def _ask_failed(self, exc: BaseException) -> None:
        # No rating without the database: the applicant only sees the result.
        if not isinstance(exc, HallDeskError):
            show_crash(self, exc)
        self.back_timer.start()

    def choose(self, level: int) -> None:
        """A level was pressed: a good or fair one is recorded at once; a 差评 asks for its reasons."""
        if self._state not in ("rating", "reasons"):
            return
        self._level = level
        for lv, button in self.level_buttons.items():
            button.setChecked(lv == level)
        if level in BAD_LEVELS:
            self._state = "reasons"
            self.text.setText(f"您选择了“{LEVELS[level]}”。请选择不满意的原因（至少一项），以便我们改进")
            self.reasons_box.show()
            self.submit_button.show()
            self._reasons_changed()
            self.prompt_timer.start()  # the applicant is answering: the full wait again
            return
        self.submit()

    def selected_reasons(self) -> list[str]:
        return [code for code, check in self.reason_checks.items() if check.isChecked()]

    def _reasons_changed(self) -> None:
        self.submit_button.setEnabled(bool(self.selected_reasons()))

    def submit(self) -> bool:
        level = self._level
        if level is None or self._state not in ("rating", "reasons"):
            return False
        reasons = self.selected_reasons() if level in BAD_LEVELS else []
        if level in BAD_LEVELS and not reasons:
            return False
        self.prompt_timer.stop()
        hall, actor, case_no, occasion = self._hall_for(self._occasion), self._actor, self._case_no, self._occasion
        self._show("thanks", "正在提交…")
        run_op(
            lambda: evaluation.rate(hall.uow(), actor, case_no, level, reasons=reasons, occasion=occasion),
            self._rated,
            self._rate_failed,
            changes={Change.CASES, Change.RECTIFICATIONS}, owner=self,
        )
        return True

    def _rated(self, view: EvaluationView) -> None:
        self._thank("感谢您的评价！", "您的意见我们已经记录" + ("，相关部门将尽快回访" if view.bad else ""))
        self.rated.emit(view)

    def _rate_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Conflict):
            self._thank("感谢您的参与", "本次服务已经评价过了")
        elif isinstance(exc, HallDeskError):
            self._thank("感谢您的参与", "评价暂时未能保存，请稍后再试或告知工作人员")
        else:
            self._thank("感谢您的参与", "")
            show_crash(self, exc)

    def skip(self) -> None:
        if self._state in ("rating", "reasons"):
            self._thank("感谢您的光临", "")

    def _timed_out(self) -> None:
        if self._state in ("rating", "reasons"):
            self._thank("感谢您的耐心", "")

    def _thank(self, headline: str, text: str) -> None:
        self._level = None
        self._show("thanks", headline, text)
        self.back_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.prompt_timer.stop()
        self.back_timer.stop()
        super().closeEvent(event)
