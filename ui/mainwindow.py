"""The main window: a workspace that follows the logged-in user's role."""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from app import hall_settings
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from app.hall_settings import CalendarStatus
from app.infra.counter_store import LocalHall
from ui.backups import DailyBackup
from ui.backups import applies as backup_applies
from ui.diagnostics import DiagnosisExport
from ui.display import (
    DisplayController,
    DisplaySettingsDialog,
    DisplayWindow,
    display_enabled,
    display_screen,
)
from ui.errors import confirm, show_error
from ui.offline import OfflineBanner, SyncWorker
from ui.ops import Change, run_op, subscribe
from ui.password import ChangePasswordDialog
from ui.printing.queue import PrintQueuePage, PrintWorker
from ui.shortcuts import ShortcutsDialog, add_tab_keys, explain_disabled_keys, focus_page
from ui.widgets import (
    ElidedLabel,
    open_dialog,
)

# Page key → navigation title.
PAGE_TITLES: dict[str, str] = {
    "counter": "综合受理",
    "printqueue": "打印队列",
    "catalog": "事项目录",
    "users": "用户管理",
    "counters": "窗口管理",
    "hall": "大厅设置",
    "holidays": "节假日",
    "backoffice": "后台审批",
    "chiefrep": "首席代表",
    "output": "统一出件",
    "supervision": "督查",
    "grievance": "办不成事",
    "overdue": "容缺催补",  # issue 14 part 7
}
ADMIN_PAGES = ("catalog", "users", "counters", "hall", "holidays")
# A clerk starts at the counter workspace and consults the guides there too.
CLERK_PAGES = ("counter", "output", "catalog", "printqueue")
# At an output counter (kind "output", 出件) the clerk starts at 统一出件.
OUTPUT_CLERK_PAGES = ("output", "counter", "overdue", "catalog", "printqueue")
# At the 办不成事 counter (kind "grievance") the clerk starts at 办不成事 (登记 of complaints and demands).
GRIEVANCE_CLERK_PAGES = ("grievance", "counter", "catalog", "printqueue")
SUPERVISOR_PAGES = ("supervision", "grievance", "catalog")
# Chief representatives edit their department's guides; the others read them.
OTHER_PAGES = ("catalog",)
# The back office starts at its department queue.
REVIEWER_PAGES = ("backoffice", "catalog")
CHIEF_REP_PAGES = ("backoffice", "chiefrep", "overdue", "catalog")



# Page key → (module, class).  A desk's module is imported when its page is first built (``MainWindow.page``), so
# a clerk's workspace does not wait for the back office's code; ``ui.main`` imports them all in the background
# while the user logs in (``import_pages``).
PAGE_CLASSES: dict[str, tuple[str, str]] = {
    "counter": ("ui.counter.page", "CounterPage"),
    "printqueue": ("ui.printing.queue", "PrintQueuePage"),
    "catalog": ("ui.catalog.page", "CatalogPage"),
    "users": ("ui.admin.users", "UsersPage"),
    "counters": ("ui.admin.counters", "CountersPage"),
    "hall": ("ui.admin.hall_settings", "HallSettingsPage"),
    "holidays": ("ui.admin.holidays", "HolidaysPage"),
    "backoffice": ("ui.backoffice.page", "BackOfficePage"),
    "chiefrep": ("ui.chief.page", "ChiefRepPage"),
    "output": ("ui.output.page", "OutputPage"),
    "supervision": ("ui.supervision.page", "SupervisionPage"),
    "grievance": ("ui.grievance.page", "GrievancePage"),
    "overdue": ("ui.output.overdue", "OverduePage"),
}

if TYPE_CHECKING:
    from ui.admin.counters import CountersPage
    from ui.admin.hall_settings import HallSettingsPage
    from ui.admin.holidays import HolidaysPage
    from ui.admin.users import UsersPage
    from ui.backoffice.page import BackOfficePage
    from ui.catalog.page import CatalogPage
    from ui.chief.page import ChiefRepPage
    from ui.counter.page import CounterPage
    from ui.grievance.page import GrievancePage
    from ui.output.overdue import OverduePage
    from ui.output.page import OutputPage
    from ui.supervision.page import SupervisionPage

    AnyPage = (CounterPage | PrintQueuePage | CatalogPage | UsersPage | CountersPage | HallSettingsPage
               | HolidaysPage | BackOfficePage | ChiefRepPage | OutputPage | SupervisionPage | GrievancePage
               | OverduePage)


def page_class(key: str) -> type[AnyPage]:
    module, name = PAGE_CLASSES[key]
    cls: type[AnyPage] = getattr(importlib.import_module(module), name)
    return cls


def import_pages() -> None:
    """Import every desk's page module (on a pool thread while the user logs in: ``ui.main.warm_up``)."""
    for module, _ in PAGE_CLASSES.values():
        importlib.import_module(module)


def pages_for(role: str, counter_kind: str | None = None) -> tuple[str, ...]:
    if role == "clerk" and counter_kind == "output":
        return OUTPUT_CLERK_PAGES
    if role == "clerk" and counter_kind == "grievance":
        return GRIEVANCE_CLERK_PAGES
    if role == "supervisor":
        return SUPERVISOR_PAGES
    if role == "admin":
        return ADMIN_PAGES
    if role == "reviewer":
        return REVIEWER_PAGES
    if role == "chief_rep":
        return CHIEF_REP_PAGES
    return CLERK_PAGES if role == "clerk" else OTHER_PAGES


def describe_database(url: str) -> str:
    """Where the data lives, in words: ``本机数据库`` or ``共享数据库 · 10.0.0.5`` (never user, password, file)."""
    backend = url.partition("://")[0].split("+", 1)[0]
    if backend == "sqlite":
        path = url.partition("://")[2].split("?", 1)[0].lstrip("/")
        return "本机数据库" if path and path != ":memory:" else "临时数据库（关闭后不保留）"
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return f"共享数据库 · {host}" if host else "共享数据库"


def database_tip(url: str) -> str:
    """The status bar's tooltip for ``describe_database``: what it means for the user."""
    if url.partition("://")[0].split("+", 1)[0] == "sqlite":
        return "数据只保存在这台电脑上"
    return "数据保存在大厅的数据库服务器上，各窗口和后台共用"


def app_version() -> str:
    try:
        return version("halldesk")
    except PackageNotFoundError:
        return "开发版"


class MainWindow(QMainWindow):
    """Navigation on the left, the chosen page on the right, who/where in the status bar.

    An admin gets 事项目录, 用户管理, 窗口管理, 大厅设置 and 节假日; a clerk 综合受理 (first), 统一出件, 事项目录
    and 打印队列 (统一出件 first at an output counter; at the 办不成事 counter 办不成事, 综合受理, 事项目录 and
    打印队列; at an output counter also 容缺催补), and a customer display (评价器) if this PC has one (设置 → 客户评价器); a reviewer 后台审批 and
    事项目录; a chief representative 后台审批, 首席代表, 容缺催补 and 事项目录 (editable for the own department); a
    supervisor 督查, 办不成事 and 事项目录; every other role 事项目录.  Pages load
    when first shown.  At a clerk's counter a ``PrintWorker`` sends due print jobs in the background, and
    the status bar shows a red 打印机异常 while a job waits with a printer error.

    Signals:
        logout_requested(): the user chose 账户 → 退出登录; whoever opened the window closes it.
    """

    logout_requested = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, *, calendar_notice: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hall = hall
        self.actor = actor
        self._calendar_notice = calendar_notice and actor.role == "admin"
        self.calendar_notice_box: QMessageBox | None = None
        self.calendar_status: CalendarStatus | None = None
        self.dialog: QDialog | None = None
        self._leave_confirmed = False
        # What the clerk's pages report to the customer display (评价器), if this PC has one.
        self.display = DisplayController(self)
        store = hall.store if isinstance(hall, LocalHall) else None
        self.shared_hall: HallDesk = (store.shared_hall() if store is not None else None) or hall
        self.display_window: DisplayWindow | None = None
        self.setWindowTitle(f"HallDesk 一窗通 — {actor.full_name}（{actor.role_name}）")
        self.setMinimumSize(1000, 600)
        self.resize(1280, 720)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(128)
        self.stack = QStackedWidget()
        # A page is built the first time it is shown (``page``): the workspace opens with one page built, not
        # all of them (a fast start, bench/bench_startup.py).  ``pages`` holds those built so far.
        self._keys = pages_for(actor.role, actor.counter_kind)
        self.pages: dict[str, AnyPage] = {}
        for key in self._keys:
            self.nav.addItem(PAGE_TITLES[key])
        self.nav.setVisible(len(self._keys) > 1)  # a single page needs no navigation
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        # A counter working on its own store (python -m app --local): the 离线 banner over the workspace.
        self.offline_banner = OfflineBanner()
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.offline_banner)
        column.addWidget(central, 1)
        self.setCentralWidget(body)

        self._build_menus()
        self._build_status_bar()
        self._explain_keys = explain_disabled_keys(self)  # a key of a greyed button says why in the status bar
        self.sync_worker: SyncWorker | None = None
        if isinstance(hall, LocalHall) and hall.store is not None:
            self.sync_worker = SyncWorker(hall.store, self)
            self.sync_worker.status_changed.connect(self.offline_banner.show_status)
            self.sync_worker.start()
        # A counter's own store or the embedded file: copied once a day while the program runs (app.backup).
        self.daily_backup: DailyBackup | None = None
        if backup_applies(hall):
            self.daily_backup = DailyBackup(hall, self)
            self.daily_backup.trouble_changed.connect(self.show_backup_trouble)
            self.daily_backup.start()
        self.print_worker: PrintWorker | None = None
        if actor.role == "clerk" and actor.counter_number is not None:
            self._start_print_worker(actor.counter_number)
            if display_enabled():
                self.open_display()
        self.nav.currentRowChanged.connect(self._nav_changed)
        self.nav.setCurrentRow(0)
        if actor.role == "admin":
            self.refresh_calendar_status()

    # ---- construction
    def _make_page(self, key: str) -> AnyPage:
        hall, actor = self.hall, self.actor
        # At a counter on its own store these pages still work on the shared database: the output window hands
        # over cases taken at other counters and decided in the back office; 容缺 cases were taken anywhere;
        # grievances live on the shared database only (a counter's store never sends them).
        on_shared = key in ("output", "overdue", "grievance")
        # Built inside the stack: a page made as a window of its own, then moved in, takes the activation away
        # from the main window when the main window is already on screen.
        page = page_class(key)(self.shared_hall if on_shared else hall, actor, self.stack)
        if key == "counter":
            counter = cast("CounterPage", page)
            counter.jobs_changed.connect(self._jobs_changed)
            counter.case_saved.connect(self._case_saved)
            counter.display = self.display
        elif key == "output":
            out = cast("OutputPage", page)
            if self.shared_hall is not hall:
                out.offline_keys = hall
            out.jobs_changed.connect(self._jobs_changed)
            out.display = self.display
        elif key == "printqueue":
            cast("PrintQueuePage", page).jobs_changed.connect(self._jobs_changed)
        elif key == "holidays":
            subscribe(self, {Change.CALENDAR}, self.refresh_calendar_status)  # the holidays page, or any other
        return page

    def _build_menus(self) -> None:
        bar = self.menuBar()
        account = bar.addMenu("账户(&A)")
        self.password_action = QAction("修改密码(&P)…", self)
        self.password_action.triggered.connect(self.change_password)
        self.logout_action = QAction("退出登录(&L)", self)
        self.logout_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.logout_action.triggered.connect(self.request_logout)
        self.quit_action = QAction("退出程序(&X)", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.request_quit)
        account.addAction(self.password_action)
        account.addSeparator()
        account.addAction(self.logout_action)
        account.addAction(self.quit_action)
        if self.actor.role == "clerk":
            settings = bar.addMenu("设置(&O)")
            self.display_action = QAction("客户评价器(&D)…", self)
            self.display_action.triggered.connect(self.open_display_settings)
            settings.addAction(self.display_action)
        if self.actor.role == "admin":  # 本机设置 (issue 17): the set-up wizard's pages, for this PC
            settings = bar.addMenu("设置(&O)")
            self.station_action = QAction("本机设置(&S)…", self)
            self.station_action.triggered.connect(self.open_station_setup)
            settings.addAction(self.station_action)
        if len(self._keys) > 1:
            view = bar.addMenu("页面(&G)")
            for number, key in enumerate(self._keys, start=1):
                action = QAction(PAGE_TITLES[key], self)
                action.setShortcut(QKeySequence(f"Ctrl+{number}"))
                action.setData(key)
                view.addAction(action)
            view.triggered.connect(self._page_action)
        help_menu = bar.addMenu("帮助(&H)")
        self.shortcuts_action = QAction("快捷键(&K)…", self)
        self.shortcuts_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        self.diagnosis = DiagnosisExport(self.hall, self)
        self.diagnosis_action = QAction("导出诊断包(&D)…", self)
        self.diagnosis_action.setToolTip("日志、版本和本机设置，供技术支持排查问题（不含密码和个人信息）")
        self.diagnosis_action.triggered.connect(self.diagnosis.ask)
        help_menu.addAction(self.diagnosis_action)
        self.about_action = QAction("关于 HallDesk(&A)", self)
        self.about_action.triggered.connect(self.about)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        a = self.actor
        bar = self.statusBar()
        self.calendar_label = ElidedLabel()
        self.calendar_label.setObjectName("calendarWarning")
        self.calendar_label.hide()
        bar.addWidget(self.calendar_label, 1)
        self.user_label = QLabel(a.full_name)
        self.user_label.setToolTip(f"用户名：{a.username}")
        self.role_label = QLabel(a.role_name)
        self.dept_label = QLabel(a.dept_name or "")
        self.dept_label.setVisible(bool(a.dept_name))
        self.counter_label = QLabel(f"{a.counter_number}号窗口" if a.counter_number is not None else "未分配窗口")
        # A clerk without a counter cannot print receipts: worth showing. Back-office roles have none.
        self.counter_label.setVisible(a.counter_number is not None or a.role == "clerk")
        self.db_label = QLabel(describe_database(self.hall.url))
        self.db_label.setToolTip(database_tip(self.hall.url))
        # Permanent, so that a passing status message never hides it.
        self.printer_label = ElidedLabel()
        self.printer_label.setObjectName("printerAlarm")
        self.printer_label.setStyleSheet("color: #ffffff; background: #c0392b; font-weight: bold;")
        self.printer_label.setMinimumWidth(260)
        self.printer_label.hide()
        bar.addPermanentWidget(self.printer_label, 1)
        self.backup_label = ElidedLabel()  # the day's backup of this PC's database failed (ui.backups)
        self.backup_label.setObjectName("backupAlarm")
        self.backup_label.setStyleSheet("color: #ffffff; background: #d35400; font-weight: bold;")
        self.backup_label.setMinimumWidth(200)
        self.backup_label.hide()
        bar.addPermanentWidget(self.backup_label, 1)
        for label in (self.user_label, self.role_label, self.dept_label, self.counter_label, self.db_label):
            bar.addPermanentWidget(label)

    # ---- pages
    def page_keys(self) -> list[str]:
        return list(self._keys)

    def page_titles(self) -> list[str]:
        return [self.nav.item(i).text() for i in range(self.nav.count())]

    def page(self, key: str) -> AnyPage:
        """The page ``key`` of this user's workspace, built now if it has not been shown yet."""
        page = self.pages.get(key)
        if page is None:
            if key not in self._keys:
                raise KeyError(key)
            page = self._make_page(key)
            self.pages[key] = page
            self.stack.addWidget(page)
            page.status_message.connect(self.show_message)
            add_tab_keys(page)
        return page

    def page_title(self, page: QWidget) -> str:
        """The navigation title of a built page ("" for any other widget)."""
        return next((PAGE_TITLES[key] for key, built in self.pages.items() if built is page), "")

    def current_page_key(self) -> str:
        return self._keys[self.nav.currentRow()]

    def show_page(self, key: str) -> AnyPage:
        self.nav.setCurrentRow(self._keys.index(key))
        return self.page(key)

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        page = self.page(self._keys[row])
        self.stack.setCurrentWidget(page)
        # The print queue changes behind the clerk's back (the print worker): fresh each time it is shown.
        if not page.is_loaded() or isinstance(page, PrintQueuePage):
            page.refresh()

    def _page_action(self, action: QAction) -> None:
        # Ctrl+1…: the page and the keyboard both move there (arrow keys in the navigation keep the focus in it).
        focus_page(self.show_page(str(action.data())))

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # ---- printing (clerks)
    def _start_print_worker(self, counter_number: int) -> None:
        worker = PrintWorker(self.hall, counter_number, self)
        worker.trouble_changed.connect(self.show_printer_trouble)
        worker.jobs_changed.connect(self._worker_pass)
        self.print_worker = worker
        worker.start()

    def show_printer_trouble(self, error: str) -> None:
        self.printer_label.setText(f"打印机异常：{error}" if error else "")
        self.printer_label.setVisible(bool(error))

    def show_backup_trouble(self, error: str) -> None:
        self.backup_label.setText(f"备份失败：{error}" if error else "")  # cut to fit; the tooltip has it whole
        self.backup_label.setVisible(bool(error))

    def printer_alarm(self) -> str:
        return self.printer_label.text() if self.printer_label.isVisible() else ""

    def _jobs_changed(self) -> None:
        """A page created, sent or changed jobs: re-check the alarm (the queue page refreshes after that pass)."""
        if self.print_worker is not None:
            self.print_worker.check()

    def _worker_pass(self) -> None:
        page = self.pages.get("printqueue")
        if isinstance(page, PrintQueuePage) and page.isVisible():
            page.refresh()

    # ---- leaving: a half-filled form is not thrown away without asking
    def _unsaved(self) -> tuple[QWidget, str] | None:
        """The first open dialog, else the first page, with typed work not saved (``unsaved_work()``)."""
        for dialog in self.findChildren(QDialog):
            ask = getattr(dialog, "unsaved_work", None)
            text = ask() if callable(ask) and dialog.isVisible() else ""
            if text:
                title = dialog.windowTitle().split(" — ", 1)[0]
                return dialog, f"{title}：{text}"
        for key, page in self.pages.items():  # a page never built holds no work
            ask = getattr(page, "unsaved_work", None)
            text = ask() if callable(ask) else ""
            if text:
                return page, f"{PAGE_TITLES[key]}：{text}"
        return None

    def unsaved_work(self) -> str:
        """What would be lost by leaving now, in the user's words ("" if nothing): an open dialog's form or a
        page's."""
        found = self._unsaved()
        return found[1] if found is not None else ""

    def may_leave(self, verb: str) -> bool:
        """Ask before leaving with unsaved input; 否 (stay) is the default answer, and brings the form back."""
        found = self._unsaved()
        if found is None:
            return True
        if confirm(self, f"{found[1]}。\n{verb}将丢弃已填写的内容，确定{verb}？", f"确定{verb}？"):
            return True
        where = found[0]
        if isinstance(where, QDialog):
            where.activateWindow()
        else:
            focus_page(self.show_page(next(k for k, p in self.pages.items() if p is where)))
        return False

    def request_logout(self) -> bool:
        if not self.may_leave("退出登录"):
            return False
        self.logout_requested.emit()
        return True

    def request_quit(self) -> bool:
        if not self.may_leave("退出程序"):
            return False
        self._leave_confirmed = True
        self.close()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        # The window's close button asks too; a close by the program (logout, tests) has asked already.
        if event.spontaneous() and not self._leave_confirmed and not self.may_leave("关闭窗口"):
            event.ignore()
            return
        # No more printing passes once the window is gone (a closed window may outlive its database).
        if self.print_worker is not None:
            self.print_worker.stop()
        if self.sync_worker is not None:
            self.sync_worker.stop()
        if self.daily_backup is not None:
            self.daily_backup.stop()
        self.close_display()
        super().closeEvent(event)

    # ---- customer display (clerks)
    def open_display(self) -> DisplayWindow:
        """The customer display on the screen chosen in this PC's settings (opened once, moved after)."""
        if self.display_window is None:
            self.display_window = DisplayWindow(self.hall, self.actor, self.display, issue_hall=self.shared_hall)
        self.display_window.present(display_screen())
        return self.display_window

    def close_display(self) -> None:
        window, self.display_window = self.display_window, None
        if window is not None:
            window.close()
            window.deleteLater()

    def open_display_settings(self) -> DisplaySettingsDialog:
        dialog = DisplaySettingsDialog(QSettings(), self)
        dialog.saved.connect(self._display_settings_saved)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def open_station_setup(self) -> QWizard:
        """设置 → 本机设置…: the set-up wizard's pages for this PC; what it saves counts from the next start."""
        from ui.setup import SetupWizard, saved_station

        wizard = SetupWizard(self, saved_station())
        wizard.accepted.connect(lambda: self.show_message("本机设置已保存：重新启动 HallDesk 后生效"))
        self.dialog = wizard
        return open_dialog(wizard, self._dialog_closed)

    def _display_settings_saved(self) -> None:
        if display_enabled():
            self.open_display()
            self.show_message("评价器已打开")
        else:
            self.close_display()
            self.show_message("评价器已关闭")

    def _case_saved(self) -> None:
        """A case was written at this counter: push it now rather than at the next sync round."""
        if self.sync_worker is not None:
            self.sync_worker.sync_soon()

    # ---- calendar warning (admins)
    def refresh_calendar_status(self) -> None:
        hall = self.hall
        run_op(lambda: hall_settings.calendar_status(hall.uow()), self._calendar_loaded,
               self._calendar_failed, owner=self, key="calendar")

    def _calendar_loaded(self, status: CalendarStatus) -> None:
        self.calendar_status = status
        warning = status.warning or ""
        self.calendar_label.setText(f"⚠ {warning}" if warning else "")
        self.calendar_label.setVisible(bool(warning))
        if warning and self._calendar_notice:
            self._calendar_notice = False  # once per login
            box = QMessageBox(QMessageBox.Icon.Warning, "节假日安排尚未录入", warning, QMessageBox.StandardButton.Ok, self)
            self.calendar_notice_box = box
            open_dialog(box, self._notice_closed)

    def _notice_closed(self) -> None:
        self.calendar_notice_box = None

    def _calendar_failed(self, exc: BaseException) -> None:
        # The warning is a courtesy: an expected error here only means no warning is shown.
        if not isinstance(exc, HallDeskError):
            show_error(self, exc)

    # ---- menus
    def change_password(self) -> ChangePasswordDialog:
        dialog = ChangePasswordDialog(self.hall, self.actor, self)
        dialog.saved.connect(self._password_changed)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _password_changed(self) -> None:
        self.show_message("密码已修改，下次登录请使用新密码")

    def _dialog_closed(self) -> None:
        self.dialog = None

    def show_shortcuts(self) -> ShortcutsDialog:
        """F1: the keys of this window and of the page shown now, read from the widgets themselves."""
        dialog = ShortcutsDialog(self)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("关于 HallDesk")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"HallDesk 一窗通 {app_version()}")
        box.setInformativeText(
            "政务服务大厅综合受理系统：综合窗口受理、后台分类审批、统一窗口出件。\n\n"
            f"界面：Qt for Python (PySide6) {pyside_version}\n"
            "字体：文泉驿微米黑（WenQuanYi Micro Hei），随程序附带，许可见 resources/fonts。"
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
