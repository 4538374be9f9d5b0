"""Starting the GUI: ``run_gui`` is what ``python -m app`` calls without a command.

A fast start: importing this module loads Qt and the login window, nothing of the database layer.  The login
window is shown first; the database is opened (and the workspace's modules imported) on a pool thread while the
user types, and a login submitted before that waits for it (``LoginWindow.set_hall``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLoggingCategory, QObject, QTranslator, Signal
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

from app.errors import HallDeskError
from app.resources import font_path, icon_path, resources_dir
from ui import input_method, startup_probe
from ui.errors import install_excepthook, show_crash
from ui.login import LoginWindow
from ui.ops import run_op
from ui.qtlog import forward_qt_messages
from ui.worker import collect_garbage_on_gui_thread, wait_idle

if TYPE_CHECKING:
    from app.auth import Actor
    from app.context import HallDesk
    from ui.mainwindow import MainWindow

APP_NAME = "HallDesk"
FONT_POINT_SIZE = 10


def stylesheet_path() -> str:
    return str(resources_dir() / "styles" / "halldesk.qss")


def setup_application(app: QApplication) -> None:
    """Names, the bundled CJK font and the style sheet: everything that makes the app look like itself."""
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(QIcon(str(icon_path())))
    collect_garbage_on_gui_thread(app)  # never on a pool thread: see ui.worker
    # Qt Multimedia (the 高拍仪) probes for hardware video decoders and says so on every start: not our concern.
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver.warning=false\nqt.multimedia.ffmpeg.info=false")
    # The counter PCs may have no Chinese font at all: the bundled one keeps Chinese from turning into boxes.
    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        app.setFont(QFont(families[0], FONT_POINT_SIZE))
    try:
        with open(stylesheet_path(), encoding="utf-8") as fh:
            app.setStyleSheet(fh.read())
    except OSError:
        pass  # unstyled is still usable


def install_translator(app: QApplication) -> QTranslator | None:
    """Qt's own texts (context menus, standard buttons, the calendar popup) in Chinese."""
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    # By file name: the locale-based lookup tries zh_Hans_CN spellings and misses qtbase_zh_CN.qm.
    if translator.load("qtbase_zh_CN", path):
        app.installTranslator(translator)
        return translator
    return None


def open_hall(db_url: str | None) -> HallDesk:
    """Open the database (on a pool thread); a ``HallDeskError`` says in Chinese why that is impossible.

    The embedded SQLite file belongs to this program and is migrated on start; a shared server is
    upgraded by its admin (``python -m app db upgrade``), so there we only check it is up to date.
    """
    from app.context import HallDesk

    hall = HallDesk.open(db_url)
    try:
        if hall.url.startswith("sqlite"):
            hall.upgrade()
        else:
            hall.require_schema()
    except BaseException:
        hall.close()
        raise
    return hall


def prepare_workspace() -> None:
    """Import the main window while the user types the password (its desks follow: ``warm_up``)."""
    import ui.mainwindow  # noqa: F401


def warm_up() -> None:
    """Import every desk's pages in the background after the database is open, so that the workspace opens at
    once after the login (a desk not imported yet is imported when its page is built)."""
    import gc

    from ui.mainwindow import import_pages

    import_pages()
    # What is loaded by now lives as long as the program: keep it out of every later full collection (the
    # GUI thread collects, ui.worker; walking these objects took half a second there).
    gc.freeze()


def create_main_window(hall: HallDesk, actor: Actor, *, calendar_notice: bool = True) -> MainWindow:
    """The main window for ``actor``; tests pass ``calendar_notice=False`` to skip the admin's notice."""
    from ui.mainwindow import MainWindow

    return MainWindow(hall, actor, calendar_notice=calendar_notice)


# What the background opening hands back: the hall the GUI works on, and how to close everything it opened.
Opened = tuple["HallDesk", Callable[[], None]]


class GuiSession(QObject):
    """Login window → main window → (退出登录) → login window again, until the last window closes.

    Signals:
        workspace_opened(MainWindow): a main window was shown after a login.
    """

    workspace_opened = Signal(object)

    def __init__(self, hall: HallDesk | None, username: str | None) -> None:
        super().__init__()
        self.hall = hall
        self.login_window = LoginWindow(hall, username)
        self.main_window: MainWindow | None = None
        self._close: Callable[[], None] | None = None
        self._warm_later = False
        # The window being closed stays referenced until Qt has deleted it: dropping the last Python
        # reference would delete it at once, in the middle of its own 退出登录 action.
        self._retired: MainWindow | None = None
        self.login_window.logged_in.connect(self._logged_in)

    def start(self) -> None:
        self.login_window.show()
        input_method.tell_admin_once(self.login_window)  # fcitx without a plugin for our Qt: once per PC

    def open_in_background(self, opener: Callable[[], Opened], failure_title: str) -> None:
        """Open the database off the GUI thread while the login window is on screen; on failure say why and quit."""

        def work() -> Opened:
            from app import logs

            logs.start("gui")  # here, not before the login window: its import and first line cost a paint's time
            opened = opener()
            prepare_workspace()
            return opened

        def failed(exc: BaseException) -> None:
            if isinstance(exc, HallDeskError):
                from PySide6.QtWidgets import QMessageBox  # a failure's: not on the fast path

                QMessageBox.critical(self.login_window, failure_title, exc.message)
            else:
                show_crash(self.login_window, exc, blocking=True)
            QApplication.exit(1)

        run_op(work, self._opened, failed, owner=self.login_window)

    def close(self) -> None:
        """Close what ``open_in_background`` opened (after the event loop has ended)."""
        if self._close is not None:
            self._close()
            self._close = None

    def _opened(self, opened: Opened) -> None:
        self.hall, self._close = opened
        self.login_window.set_hall(opened[0])
        if self.login_window.is_busy():
            # A login was waiting for the database and runs now: importing the other desks beside it would
            # only slow it down (one interpreter lock); they follow once the workspace is on screen.
            self._warm_later = True
        else:
            run_op(warm_up, lambda _: None, owner=self.login_window)

    def _logged_in(self, actor: Actor) -> None:
        assert self.hall is not None  # a login needs the open database
        window = create_main_window(self.hall, actor)
        window.logout_requested.connect(self._logout)
        self.main_window = window
        window.showMaximized()
        self.login_window.hide()
        self.workspace_opened.emit(window)
        if self._warm_later:
            self._warm_later = False

            def warm() -> None:
                run_op(warm_up, lambda _: None, owner=window)

            startup_probe.FirstPaint(window, warm)

    def _logout(self) -> None:
        # Show the login window before closing the main one, or Qt quits on "last window closed".
        self.login_window.reset()
        self.login_window.show()
        window, self.main_window = self.main_window, None
        if window is not None:
            window.close()
            window.deleteLater()
            self._retired = window


def _probe(session: GuiSession) -> None:
    """``HALLDESK_STARTUP_PROBE`` (``ui.startup_probe``): mark the first paint of the window measured."""
    what = startup_probe.wanted()
    if what == "login":
        startup_probe.FirstPaint(session.login_window, lambda: startup_probe.painted("login"))
    elif what == "workspace":
        import os

        def log_in() -> None:
            session.login_window.username_edit.setText(os.environ.get(startup_probe.ENV_USER, ""))
            session.login_window.password_edit.setText(os.environ.get(startup_probe.ENV_PASSWORD, ""))
            session.login_window.submit()

        startup_probe.FirstPaint(session.login_window, log_in)
        session.workspace_opened.connect(
            lambda window: startup_probe.FirstPaint(window, lambda: startup_probe.painted("workspace")))


def _run(opener: Callable[[], Opened], username: str | None, failure_title: str) -> int:
    app = _application()
    setup_application(app)
    install_translator(app)
    install_excepthook()
    forward_qt_messages()  # Qt's warnings into the log file (app.logs)
    session = GuiSession(None, username)
    _probe(session)
    # Only once the login window is on screen: the opening imports on a pool thread, and while it holds the
    # interpreter lock the first paint would wait for it.
    startup_probe.FirstPaint(session.login_window, lambda: session.open_in_background(opener, failure_title))
    session.start()
    try:
        return app.exec()
    finally:
        wait_idle(10.0)  # let database work in flight (a sync round, the opening itself) finish first
        session.close()


def run_gui(db_url: str | None, username: str | None) -> int:
    """Run the desktop GUI until its last window closes; returns the process exit code."""

    def opener() -> Opened:
        hall = open_hall(db_url)
        return hall, hall.close

    return _run(opener, username, "无法打开数据库")


# ---- this PC's set-up (issue 17): the wizard before the login -------------------------------------------------


def run_setup_wizard() -> bool:
    """The set-up wizard (``ui.setup``) on the first start of a fresh PC or with ``--setup``; True once saved."""
    from PySide6.QtWidgets import QDialog

    from app import logs
    from ui.setup import SetupWizard, saved_station

    logs.start("gui")

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    setup_application(app)
    install_translator(app)
    return SetupWizard(station=saved_station()).exec() == QDialog.DialogCode.Accepted


# ----------------------------------------------------------------------------------------------------------------


def run_counter_gui(shared_url: str | None, local_path: str | None, username: str | None) -> int:
    """``python -m app --local [PATH] [--db URL]``: the GUI on this counter's own store.

    The store is created and migrated when new, and filled from the shared database when it answers; the
    clerk then logs in against the cached accounts, online or not.
    """

    def opener() -> Opened:
        from app.infra.counter_store import CounterStore

        store = CounterStore.open(shared_url, local_path)
        return store.local, store.close

    return _run(opener, username, "无法打开本机窗口库")


# ---- issue 17: the input method is chosen while the QApplication starts ------------------------------------


def _application() -> QApplication:
    """The running QApplication, or a new one after ``input_method.prepare()`` (fcitx plugin folders, the check)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    input_method.prepare()
    return QApplication(sys.argv)
