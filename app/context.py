"""Opening HallDesk's database: the one object the CLI and the GUI hold."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from app import backup
from app.auth import Actor, login
from app.errors import DatabaseBusy, DatabaseUnavailable
from app.installation import resolve_url
from app.uow import UnitOfWork, database_errors
from db import charset, migrate
from db.engine import (
    DatabaseBusyError,
    DatabaseUrlError,
    check_reachable,
    make_engine,
    make_session_factory,
    where,
)

log = logging.getLogger(__name__)


@dataclass
class HallDesk:
    """A connection to one HallDesk database; ``uow()`` starts a unit of work."""

    url: str
    engine: Engine
    session_factory: sessionmaker[Session]

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = False) -> HallDesk:
        """Connect (``--db``, else ``HALLDESK_DB``, else this PC's set-up, else the embedded SQLite file; see
        ``app.installation.resolve_url``), optionally migrating."""
        resolved = resolve_url(url)
        try:
            engine = make_engine(resolved)
            check_reachable(engine)
        except DatabaseBusyError as exc:
            raise DatabaseBusy(str(exc)) from exc
        except DatabaseUrlError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        try:
            charset.check(engine)  # MariaDB/MySQL: utf8mb4 or nothing (db.charset)
        except charset.CharsetError as exc:
            engine.dispose()
            raise DatabaseUnavailable(str(exc)) from None
        hall = cls(resolved, engine, make_session_factory(engine))
        # Now rather than inside the first query (the login's): resolving the models' relationships takes a
        # noticeable moment, and the GUI opens the database while the user types (ui.main).
        configure_mappers()
        if log.isEnabledFor(logging.INFO):
            log.info("database opened: %s, schema %s", where(engine.url), hall.schema_revision())
        if upgrade:
            hall.upgrade()
        return hall

    def upgrade(self) -> None:
        # Several programs opening a new file at once: the first migrates, the others wait for its lock and
        # then find the schema at head (Alembic reads the version inside the locked transaction).
        try:
            with database_errors():
                backup.before_upgrade(self.engine)  # a SQLite file at an older revision is copied first
                migrate.upgrade(self.engine)
        except (charset.CharsetError, migrate.MigrationError) as exc:
            raise DatabaseUnavailable(str(exc)) from None

    def schema_revision(self) -> str:
        """The database's Alembic revision, for the log and the diagnosis package (``none``: no schema yet)."""
        try:
            return migrate.current_revision(self.engine) or "none"
        except SQLAlchemyError as exc:
            return f"unknown ({type(exc).__name__})"

    def is_up_to_date(self) -> bool:
        with database_errors():
            return migrate.is_up_to_date(self.engine)

    def schema_state(self) -> str:
        """``db.migrate.schema_state``: empty, older, current or newer."""
        with database_errors():
            return migrate.schema_state(self.engine)

    def require_schema(self) -> None:
        """Refuse a schema older (an admin upgrades it) or newer (this program is too old) than this program's."""
        state = self.schema_state()
        if state != migrate.CURRENT:
            with database_errors():
                current = migrate.current_revision(self.engine)
            raise DatabaseUnavailable(migrate.schema_message(state, current))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def login(self, username: str, password: str) -> Actor:
        """Check a password (``auth.login``); a counter's store overrides this to ask the shared database."""
        return login(self.uow(), username, password)

    def account_hall(self) -> HallDesk:
        """Where passwords are changed: this database (a counter's store: the shared one)."""
        return self

    def close(self) -> None:
        self.engine.dispose()
