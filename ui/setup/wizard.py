"""本机设置 (the set-up wizard): the first start on a fresh PC, ``python -m app --setup``, and 设置 → 本机设置… for
the admin.  It writes what ``python -m app setup --file`` writes (``app.station_setup``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget, QWizard

from app import installation, station_setup
from app.accounts import CounterView, has_admin, list_counters
from app.context import HallDesk
from app.errors import HallDeskError
from app.installation import STANDALONE, Server, Station
from ui.setup.pages import (
    COUNTER_PAGE,
    DATABASE_PAGE,
    DONE_PAGE,
    MODE_PAGE,
    PRINTERS_PAGE,
    REGISTER_PAGE,
    CounterPage,
    DatabasePage,
    DonePage,
    ModePage,
    PrintersPage,
    RegisterPage,
)
from ui.worker import wait_idle


def saved_station() -> Station | None:
    """This PC's settings to start the wizard from; a broken file is set up again from scratch."""
    try:
        return installation.load_station()
    except HallDeskError:
        return None


class SetupWizard(QWizard):
    """The pages share what was chosen so far here; ``saved`` is set once 完成 has written the settings."""

    def __init__(self, parent: QWidget | None = None, station: Station | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("HallDesk 本机设置")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        for button, text in ((QWizard.WizardButton.BackButton, "< 上一步(&B)"),
                             (QWizard.WizardButton.NextButton, "下一步(&N) >"),
                             (QWizard.WizardButton.FinishButton, "完成(&F)"),
                             (QWizard.WizardButton.CancelButton, "取消")):
            self.setButtonText(button, text)
        self.mode = station.mode if station else STANDALONE
        self.server: Server | None = station.server if station else None
        self.password: str | None = None
        self.counter: int | None = station.counter if station else None
        self.thermal = ""
        self.a4 = ""
        self.has_admin = True
        self.hall: HallDesk | None = None
        self.registration: station_setup.Registration | None = None
        self.saved: tuple[Any, Any] | None = None
        self.made_embedded = False
        self.mode_page = ModePage(self)
        self.database_page = DatabasePage(self)
        self.counter_page = CounterPage(self)
        self.printers_page = PrintersPage(self)
        self.register_page = RegisterPage(self)
        self.done_page = DonePage(self)
        for number, page in ((MODE_PAGE, self.mode_page), (DATABASE_PAGE, self.database_page),
                             (COUNTER_PAGE, self.counter_page), (PRINTERS_PAGE, self.printers_page),
                             (REGISTER_PAGE, self.register_page), (DONE_PAGE, self.done_page)):
            self.setPage(number, page)
        self.setStartId(MODE_PAGE)
        self.resize(640, 480)

    def url(self) -> str:
        if self.mode == STANDALONE or self.server is None:
            return f"sqlite:///{installation.embedded_path()}"
        return self.server.url(self.password)

    def station(self) -> Station:
        server = None if self.mode == STANDALONE else self.server
        counter = None if self.mode == installation.BACKOFFICE else self.counter
        return Station(self.mode, server, counter)

    def open_hall(self, url: str, *, create: bool) -> tuple[list[CounterView], bool]:
        """(On a pool thread.) The database the counter and the 登记 are for; the embedded one is made when new."""
        if create:
            if not installation.embedded_path().exists():
                self.made_embedded = True  # removed again if the wizard is cancelled
            station_setup.prepare_database(url, create=True)
        if self.hall is not None and self.hall.url != url:
            self.hall.close()
            self.hall = None
        if self.hall is None:
            self.hall = HallDesk.open(url)
            self.hall.require_schema()
        return list_counters(self.hall.uow()), has_admin(self.hall.uow())

    def done(self, result: int) -> None:
        super().done(result)
        self._close_hall()
        if result != QWizard.DialogCode.Accepted and self.made_embedded and not installation.station_path().exists():
            # A fresh PC's embedded database the cancelled wizard made: the next start offers the set-up again.
            station_setup.discard_embedded()
            self.made_embedded = False

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self._close_hall()

    def _close_hall(self) -> None:
        hall, self.hall = self.hall, None
        if hall is not None:
            wait_idle(10.0)  # an op on it may still be running
            hall.close()
