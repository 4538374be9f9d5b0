"""A counter PC's own store, and keeping it in step with the shared database (see ``app.infra.sync``).

``CounterStore.open(shared_url, local_path)`` opens (creating and migrating when new) the counter's SQLite
store and, when the shared database answers, pulls the catalog, accounts and keys into it.  Intake runs on the
local store (``take_application``), then pushes at once; when the shared database is out of reach the case is
kept locally and the push is retried later (``sync``), so the applicant always leaves with a receipt.

Public API (stable):

``CounterStore.open(shared_url, local_path=None, *, counter=None, pull=True) -> CounterStore``
    ``local_path`` defaults to ``default_local_path()`` (the user data folder).  Never fails because the
    shared database is down; ``online`` says whether the opening pull worked.
``store.local``                the local ``HallDesk`` (its ``uow()`` writes the counter's audit chain)
``store.counter``              the counter number the store is bound to (None before the first clerk login)
``store.login(username, password) -> Actor``     on the shared database while it answers (failures and the
    lockout count there); offline, against the cached argon2 hash, counting failures in the store.  The first
    clerk binds the store to their counter; clerks of another counter are refused.  The GUI's login window
    calls it through ``store.local.login``.
``store.is_synced(case_id) -> bool``              no outbox row of that case is still pending
``store.take_application(actor, req, *, key_dir=None, push=True) -> (CaseView, synced)``
``store.resubmit(actor, case_no, materials, supplement_due=None, *, key_dir=None, push=True) -> (CaseView, synced)``
``store.push_now(*, batch_size=100) -> PushResult | None``    None when the shared database is out of reach
                                                          (the reason goes to ``status().last_error``)
``store.pull_now() -> bool``
``store.sync() -> SyncStatus``   pull when due (every ``PULL_INTERVAL``), then push; never raises when offline
``store.status() -> SyncStatus``, ``store.pending() -> int``
``store.reconcile(day) -> Reconciliation``        raises ``DatabaseUnavailable`` when offline
``store.reconnect(shared_url)``                   use another shared database address from now on
``store.resend_all() -> int``                      mark the whole outbox unsent (the next push re-sends it)
``store.close()``
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from app import backup, intake
from app.auth import Actor, login
from app.cases import CaseView
from app.context import HallDesk
from app.errors import AuthenticationError, DatabaseBusy, DatabaseUnavailable, HallDeskError
from app.infra import reconcile as reconciling
from app.infra import sync as syncing
from app.infra import sync_errors
from app.infra.outbox import CounterUnitOfWork, counter_chain
from app.installation import resolve_url
from app.uow import UnitOfWork, database_errors
from db import migrate
from db.engine import (
    DatabaseUrlError,
    busy_message,
    is_busy,
    make_engine,
    make_session_factory,
    reading,
)
from db.models import Outbox, User
from db.paths import LOCAL_STORE_FILE, local_store_path
from db.types import utcnow

log = logging.getLogger(__name__)

LOCAL_FILE = LOCAL_STORE_FILE
# How often a running counter re-reads the catalog, accounts and keys from the shared database.
PULL_INTERVAL = timedelta(minutes=2)
# A shared database that does not answer within this is treated as out of reach (the clerk is waiting).
CONNECT_TIMEOUT = 3


def default_local_path() -> Path:
    return local_store_path()


@dataclass
class LocalHall(HallDesk):
    """HallDesk on a counter's local store: audit rows go to chain ``counter:<n>``, intake fills the outbox."""

    counter: int | None = None
    # Set by CounterStore: binds the store to the clerk's counter before a login (see CounterStore.prepare_login).
    prepare_login: Callable[[str], None] | None = None
    # The CounterStore this hall belongs to (the GUI's banner and background sync use it).
    store: CounterStore | None = None

    def _chain(self) -> str:
        if self.counter is None:
            raise HallDeskError("本机窗口库尚未绑定窗口：请先由本窗口的窗口人员登录一次")
        return counter_chain(self.counter)

    def uow(self) -> UnitOfWork:
        return CounterUnitOfWork(self.session_factory, self._chain, self.prepare_login)

    def login(self, username: str, password: str) -> Actor:
        if self.store is not None:
            return self.store.login(username, password)
        return super().login(username, password)

    def account_hall(self) -> HallDesk:
        shared = self.store.shared_hall() if self.store is not None else None
        if shared is None or (self.store is not None and self.store.online is False):
            raise DatabaseUnavailable("共享数据库无法连接：密码只能在共享数据库上修改，请联网后再试")
        return shared


def _shared_engine(url: str) -> Engine:
    parsed = url.split(":", 1)[0]
    if parsed.startswith("sqlite"):
        return make_engine(url)
    return make_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT})


class CounterStore:
    """One counter PC: its local store and the shared database it pushes to and pulls from."""

    def __init__(self, local: LocalHall, shared: Engine | None, shared_url: str | None) -> None:
        self.local = local
        self.shared = shared
        self.shared_url = shared_url
        self.online: bool | None = None
        self._shared_hall: HallDesk | None = None
        # For the log: failed rounds since the shared database last answered, and the last reason written.
        self._failures = 0
        self._logged_error = ""

    @classmethod
    def open(
        cls,
        shared_url: str | None,
        local_path: Path | str | None = None,
        *,
        counter: int | None = None,
        pull: bool = True,
    ) -> CounterStore:
        path = Path(local_path) if local_path else default_local_path()
        try:
            engine = make_engine(f"sqlite:///{path}")
        except DatabaseUrlError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        try:
            # The GUI, its print worker and a script may open a new store at once: the first migrates, the
            # others wait for its write lock and find the schema at head.
            if migrate.schema_state(engine) != migrate.CURRENT:
                backup.before_upgrade(engine)  # a store at an older revision is copied first
                migrate.upgrade(engine)  # a store a newer HallDesk made is refused (MigrationError)
            bound = syncing.bound_counter(engine)
            if counter is not None and bound != counter:
                syncing.bind_counter(engine, counter)
        except migrate.MigrationError as exc:  # e.g. a store a newer HallDesk made: never migrated back
            engine.dispose()
            raise DatabaseUnavailable(f"本机窗口库 {path}：{exc}") from None
        except SQLAlchemyError as exc:
            engine.dispose()
            if is_busy(exc):
                raise DatabaseBusy(busy_message()) from exc
            raise DatabaseUnavailable(f"无法打开本机窗口库 {path}：{exc}") from exc
        local = LocalHall(f"sqlite:///{path}", engine, make_session_factory(engine))
        local.counter = counter if counter is not None else bound
        shared = None
        resolved = resolve_url(shared_url)
        try:
            shared = _shared_engine(resolved)
        except DatabaseUrlError as exc:
            engine.dispose()
            raise DatabaseUnavailable(str(exc)) from exc
        store = cls(local, shared, resolved)
        local.prepare_login = store.prepare_login
        local.store = store
        if pull:
            problem = store.shared_schema_problem()
            if problem is not None:
                store.close()
                raise DatabaseUnavailable(problem)
            if store.online is not False:
                store.pull_now()
        return store

    @property
    def counter(self) -> int | None:
        return self.local.counter

    def reconnect(self, shared_url: str) -> None:
        """Point the store at another shared database address (e.g. the server moved); the next sync uses it."""
        engine = _shared_engine(resolve_url(shared_url))
        old, self.shared, self.shared_url = self.shared, engine, resolve_url(shared_url)
        self.online = None
        self._shared_hall = None
        if old is not None:
            old.dispose()

    def shared_hall(self) -> HallDesk | None:
        """The shared database as a HallDesk, for the work a counter cannot do on its own store: the output
        window hands over cases other counters took and the back office decided.  None without ``--db``."""
        if self.shared is None or self.shared_url is None:
            return None
        if self._shared_hall is None:
            self._shared_hall = HallDesk(self.shared_url, self.shared, make_session_factory(self.shared))
        return self._shared_hall

    def shared_schema_problem(self) -> str | None:
        """Why this program must not sync with the shared database — its schema is older (an admin upgrades it)
        or newer (this program is too old) than this program's — or None.  Out of reach: None (and offline);
        the counter keeps taking cases on its store and the next sync tries again."""
        if self.shared is None:
            return None
        try:
            state = migrate.schema_state(self.shared)
            current = migrate.current_revision(self.shared) if state != migrate.CURRENT else None
        except DBAPIError as exc:
            self._offline(exc)
            return None
        return None if state == migrate.CURRENT else migrate.schema_message(state, current)

    # ---- sync ----------------------------------------------------------------------------------------------

    def _offline(self, exc: BaseException) -> None:
        # A SQLite file busy with another program of this PC says nothing about the network: stay as we were.
        if not is_busy(exc):
            self.online = False
        self._log_failure(exc)
        try:
            syncing.record_error(self.local.engine, sync_errors.describe_error(exc, self.shared_url),
                                 sync_errors.error_kind(exc, self.shared_url))
        except DBAPIError as again:
            if not is_busy(again):
                raise  # the store is busy too: the next round records it

    def _log_failure(self, exc: BaseException) -> None:
        """One log line when the reason changes (not one every round while the network is down)."""
        self._failures += 1
        reason = f"{type(getattr(exc, 'orig', None) or exc).__name__}: {getattr(exc, 'orig', None) or exc}"
        reason = reason.strip().splitlines()[0][:300] if reason.strip() else type(exc).__name__
        if reason != self._logged_error:
            self._logged_error = reason
            log.warning("sync with the shared database failed (round %d): %s", self._failures, reason)

    def _log_success(self, what: str, result: syncing.PushResult | syncing.PullResult | None = None) -> None:
        if self._failures:
            log.info("shared database reachable again after %d failed rounds", self._failures)
            self._failures, self._logged_error = 0, ""
        if isinstance(result, syncing.PushResult) and (result.cases or result.audit_rows or result.files
                                                       or result.conflicts):
            log.info("sync push: %d cases, %d audit rows, %d files (%d chunks); %d cases and %d files waiting%s",
                     result.cases, result.audit_rows, result.files, result.file_chunks, result.pending,
                     result.files_pending, f"; {len(result.conflicts)} refused" if result.conflicts else "")
        elif isinstance(result, syncing.PullResult):
            log.debug("sync %s: %d rows", what, result.rows)

    def pull_now(self) -> bool:
        """Refresh the cached catalog, accounts and keys; False (and the reason recorded) when offline."""
        if self.shared is None:
            return False
        try:
            pulled = syncing.pull(self.local.engine, self.shared, counter=self.counter)
        except (DBAPIError, DatabaseUnavailable) as exc:
            self._offline(exc)
            return False
        self.online = True
        self._log_success("pull", pulled)
        return True

    def push_now(self, *, batch_size: int = 100) -> syncing.PushResult | None:
        """Push the outbox now; None when the shared database is out of reach (never raises for that)."""
        if self.shared is None:
            return None
        try:
            result = syncing.push(self.local.engine, self.shared, batch_size=batch_size)
        except (DBAPIError, DatabaseUnavailable) as exc:
            self._offline(exc)
            return None
        self.online = True
        self._log_success("push", result)
        return result

    def sync(self) -> syncing.SyncStatus:
        """One background round: pull when due, then push.  Never raises because the network is down."""
        last = self.status().last_pull
        if (last is None or utcnow() - last >= PULL_INTERVAL) and not self.pull_now():
            return self.status()  # out of reach: one connection attempt per round is enough
        self.push_now()
        return self.status()

    def status(self) -> syncing.SyncStatus:
        with database_errors():
            return syncing.status(self.local.engine)

    def pending(self) -> int:
        return int(self.status().pending)

    def resend_all(self) -> int:
        with database_errors():
            return syncing.resend_all(self.local.engine)

    def reconcile(self, day: date) -> reconciling.Reconciliation:
        if self.shared is None:
            raise DatabaseUnavailable("没有共享数据库地址，无法对账")
        try:
            return reconciling.reconcile(self.local.engine, self.shared, day)
        except DBAPIError as exc:
            self._offline(exc)
            if is_busy(exc):
                raise DatabaseBusy(busy_message()) from exc
            raise DatabaseUnavailable("共享数据库无法连接，无法对账：请在联网后再试") from exc

    def is_synced(self, case_id: uuid.UUID) -> bool:
        with database_errors(), reading(self.local.engine) as conn:
            left = conn.execute(
                select(Outbox.seq).where(Outbox.case_id == case_id, Outbox.sent_at.is_(None))
            ).first()
        return left is None

    # ---- the counter's work ----------------------------------------------------------------------------------

    def bind(self, number: int) -> None:
        """Bind this store to counter ``number``; when online, continue the counter's chain and sequences."""
        with database_errors():
            syncing.bind_counter(self.local.engine, number)
        self.local.counter = number
        self.pull_now()

    def prepare_login(self, username: str) -> None:
        """Before a login on the local store: the first clerk binds the store to their counter (and, when the
        shared database answers, the store takes the counter's audit chain and sequences so far).

        Clerks of another counter are refused: the case numbers, slip key and audit chain are this counter's.
        """
        with database_errors(), reading(self.local.engine) as conn, Session(conn) as s:
            user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
            any_user = user is not None or s.execute(select(User.id).limit(1)).first() is not None
            number = user.counter.number if user is not None and user.counter is not None else None
            role = user.role if user is not None else None
        if not any_user:
            raise AuthenticationError(
                "本机还没有账户资料：请在共享数据库可以连接时登录一次（自动下载目录和账户）"
            )
        if self.counter is None:
            if number is None:
                raise AuthenticationError("本机窗口库尚未绑定窗口：请先由本窗口的窗口人员登录一次")
            self.bind(number)
        elif role == "clerk" and number is not None and number != self.counter:
            raise AuthenticationError(
                f"本机是{self.counter}号窗口，{username} 的账户属于{number}号窗口：请在本人的窗口登录，"
                "或请管理员调整账户的窗口"
            )

    def login(self, username: str, password: str) -> Actor:
        """Log in on the shared database when it answers (failed logins and the lockout count there, for every
        PC of the hall); only when it is out of reach, against the accounts cached at the last pull (argon2
        hashes only), counting failures in the store.  Either way the store keeps the account's login state."""
        self.prepare_login(username)
        shared = self.shared_hall()
        if shared is not None and self.online is not False:
            try:
                actor = login(shared.uow(), username, password)
            except AuthenticationError:
                self._keep_login_state(username)
                raise
            except (DBAPIError, DatabaseUnavailable) as exc:
                self._offline(exc)
            else:
                self.online = True
                self._keep_login_state(username)
                return actor
        return login(self.local.uow(), username, password)

    def _keep_login_state(self, username: str) -> None:
        """Copy the account's password hash, failures and lock from the shared database into the store, so that
        a login attempted offline next goes on from there."""
        assert self.shared is not None
        columns = (User.password_hash, User.failed_logins, User.locked_until, User.must_change_password)
        try:
            with self.shared.connect() as conn:
                row = conn.execute(select(*columns).where(User.username == username)).first()
        except DBAPIError as exc:
            self._offline(exc)
            return
        if row is None:
            return
        with self.local.engine.begin() as conn:
            conn.execute(update(User).where(User.username == username)
                         .values(dict(zip((c.key for c in columns), row, strict=True))))

    def take_application(
        self, actor: Actor, req: intake.IntakeRequest, *, key_dir: Path | None = None, push: bool = True
    ) -> tuple[CaseView, bool]:
        """Intake on the local store (case + outbox row in one transaction), then push at once when online."""
        view = intake.take_application(self.local.uow(), actor, req, key_dir=key_dir)
        synced = push and self.push_now() is not None and self.is_synced(view.id)
        return view, synced

    def resubmit(
        self,
        actor: Actor,
        case_no: str,
        materials: Mapping[str, intake.MaterialInput],
        supplement_due: date | None = None,
        *,
        key_dir: Path | None = None,
        push: bool = True,
    ) -> tuple[CaseView, bool]:
        view = intake.resubmit(self.local.uow(), actor, case_no, materials, supplement_due, key_dir=key_dir)
        synced = push and self.push_now() is not None and self.is_synced(view.id)
        return view, synced

    def close(self) -> None:
        self.local.close()
        if self.shared is not None:
            self.shared.dispose()


def last_sync_text(status: syncing.SyncStatus, now: datetime | None = None) -> str:
    """Age of the last successful sync ("3分钟前"), for the banner. of the last successful sync, for the banner."""
    if status.last_success is None:
        return "从未同步"
    seconds = int(((now or utcnow()) - status.last_success).total_seconds())
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{seconds // 60}分钟前"
    return f"{seconds // 3600}小时前"
