"""Starting the GUI: ``run_gui`` is what ``python -m app`` calls without a command."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLoggingCategory, QObject, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from app.infra.counter_store import CounterStore
from app.resources import font_path, resources_dir
from ui.errors import install_excepthook, show_crash
from ui.login import LoginWindow
from ui.mainwindow import MainWindow
from ui.qtlog import forward_qt_messages
from ui.worker import collect_garbage_on_gui_thread, wait_idle

APP_NAME = "HallDesk"
FONT_POINT_SIZE = 10


def stylesheet_path() -> str:
    return str(resources_dir() / "styles" / "halldesk.qss")


def setup_application(app: QApplication) -> None:
    """Names, the bundled CJK font and the style sheet: everything that makes the app look like itself."""
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
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


def open_hall(db_url: str | None) -> HallDesk | None:
    """Open the database; None (after telling the user) when that is impossible.

    The embedded SQLite file belongs to this program and is migrated on start; a shared server is
    upgraded by its admin (``python -m app db upgrade``), so there we only check it is up to date.
    """
    hall: HallDesk | None = None
    try:
        hall = HallDesk.open(db_url)
        if hall.url.startswith("sqlite"):
            hall.upgrade()
        else:
            hall.require_schema()
        return hall
    except HallDeskError as exc:
        QMessageBox.critical(None, "无法打开数据库", exc.message)
    except Exception as exc:
        show_crash(None, exc, blocking=True)  # no event loop yet: this dialog must block
    if hall is not None:
        hall.close()
    return None


def create_main_window(hall: HallDesk, actor: Actor, *, calendar_notice: bool = True) -> MainWindow:
    """The main window for ``actor``; tests pass ``calendar_notice=False`` to skip the admin's notice."""
    return MainWindow(hall, actor, calendar_notice=calendar_notice)


class GuiSession(QObject):
    """Login window → main window → (退出登录) → login window again, until the last window closes."""

    def __init__(self, hall: HallDesk, username: str | None) -> None:
        super().__init__()
        self.hall = hall
        self.login_window = LoginWindow(hall, username)
        self.main_window: MainWindow | None = None
        # The window being closed stays referenced until Qt has deleted it: dropping the last Python
        # reference would delete it at once, in the middle of its own 退出登录 action.
        self._retired: MainWindow | None = None
        self.login_window.logged_in.connect(self._logged_in)

    def start(self) -> None:
        self.login_window.show()

    def _logged_in(self, actor: Actor) -> None:
        window = create_main_window(self.hall, actor)
        window.logout_requested.connect(self._logout)
        self.main_window = window
        window.showMaximized()
        self.login_window.hide()

    def _logout(self) -> None:
        # Show the login window before closing the main one, or Qt quits on "last window closed".
        self.login_window.reset()
        self.login_window.show()
        window, self.main_window = self.main_window, None
        if window is not None:
            window.close()
            window.deleteLater()
            self._retired = window


def run_gui(db_url: str | None, username: str | None) -> int:
    """Run the desktop GUI until its last window closes; returns the process exit code."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    setup_application(app)
    install_translator(app)
    hall = open_hall(db_url)
    if hall is None:
        return 1
    install_excepthook()
    forward_qt_messages()  # Qt's warnings into the log file (app.logs)
    session = GuiSession(hall, username)
    session.start()
    try:
        return app.exec()
    finally:
        wait_idle(10.0)  # let database work in flight finish before the engine goes away
        hall.close()


def run_counter_gui(shared_url: str | None, local_path: str | None, username: str | None) -> int:
    """``python -m app --local [PATH] [--db URL]``: the GUI on this counter's own store.

    The store is created and migrated when new, and filled from the shared database when it answers; the
    clerk then logs in against the cached accounts, online or not.
    """
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    setup_application(app)
    install_translator(app)
    try:
        store = CounterStore.open(shared_url, local_path)
    except HallDeskError as exc:
        QMessageBox.critical(None, "无法打开本机窗口库", exc.message)
        return 1
    install_excepthook()
    forward_qt_messages()
    session = GuiSession(store.local, username)
    session.start()
    try:
        return app.exec()
    finally:
        wait_idle(10.0)  # let a sync round in flight finish before the engines go away
        store.close()
