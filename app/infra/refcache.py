"""Reference data cached in this process behind a change stamp kept in the database.

The hottest use cases (an intake, a claim) read the same reference rows every time: the service item with its
materials, the counter, the hall settings, the work calendar, a department and its settings.  Reading them
cost an intake eight round trips.  Now a unit of work reads one small row, the *stamp*, and takes the rest from
memory when it was loaded under the same stamp.

The stamp is a row of ``counter_sequence`` (scope ``refdata``).  Every change to a reference table made through
an ORM session bumps it in the same transaction, just before commit (session events below, registered when this
module is imported, which ``app.uow`` does for every service).  So a transaction that reads the stamp sees
either the old rows with the old stamp or the new rows with the new one, on every PC sharing the database: a
cache built under another stamp is never used.  Changes made outside HallDesk's sessions (hand-written SQL)
are not seen; HallDesk makes none.

Cached values must be immutable (frozen dataclasses, tuples, ``WorkCalendar``): they are shared between threads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Select, Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from app.infra.numbering import next_value
from db.models import (
    CalendarOverride,
    CalendarYear,
    Counter,
    CounterKey,
    CounterSequence,
    Department,
    MaterialRequirement,
    RegionalAssessment,
    ServiceItem,
    Setting,
    User,
)

STAMP_SCOPE, STAMP_PERIOD = "refdata", "stamp"
_SEQUENCES = cast(Table, CounterSequence.__table__)
_READ_STAMP = select(_SEQUENCES.c.value).where(
    _SEQUENCES.c.scope == STAMP_SCOPE, _SEQUENCES.c.period == STAMP_PERIOD
)

# Tables whose every change invalidates the caches.
WATCHED: tuple[type[Any], ...] = (
    Department,
    Counter,
    CounterKey,
    RegionalAssessment,
    ServiceItem,
    MaterialRequirement,
    Setting,
    CalendarOverride,
    CalendarYear,
)
_MODELS: tuple[type[Any], ...] = (*WATCHED, User)
WATCHED_TABLES = frozenset(str(m.__tablename__) for m in _MODELS)
# A login writes the user row (failed logins, a rehashed password): only these columns are cached.
USER_FIELDS = ("username", "full_name", "role", "dept_id", "counter_id", "active")
# Set through these relationships, the foreign keys above change only during the flush: check them too.
_USER_RELATIONS = ("department", "counter")
_DIRTY = "halldesk.refdata_changed"

T = TypeVar("T")


class _Store:
    """The reference values loaded under one stamp of one database, shared by every session in this process."""

    def __init__(self, stamp: int) -> None:
        self.stamp = stamp
        self.values: dict[tuple[Any, ...], Any] = {}


class NotRemembered(LookupError):
    """An unchecked cache (``remembered``) does not hold the value asked for."""


class RefData:
    """The cache as one transaction sees it; filled lazily by the callers' loaders.

    ``checked``: the transaction read the stamp and it matched.  An unchecked cache (``remembered``) only
    hands out what it already holds, and raises ``NotRemembered`` for the rest.
    """

    def __init__(self, store: _Store, session: Session | None, *, checked: bool = True) -> None:
        self._store = store
        self._session = session
        self.checked = checked

    @property
    def stamp(self) -> int:
        return self._store.stamp

    def get(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        """The value cached under ``key``, else ``load()`` (run in the caller's transaction), cached."""
        if self._session is not None and self._session.info.get(_DIRTY):
            # This transaction changed reference data it has not committed: it reads its own rows, and what it
            # reads is shared with nobody (it may yet roll back).
            return load()
        try:
            return self._store.values[key]  # type: ignore[no-any-return]
        except KeyError:
            if not self.checked:
                # Loading now could mix rows of a newer stamp into this store.
                raise NotRemembered(key) from None
            value = load()
            if self._session is None or not self._session.info.get(_DIRTY):  # loading may flush this session's changes
                self._store.values[key] = value
            return value


# One cache per engine (per database): it goes with the engine, so two databases reached one after the other
# under the same URL (a test database dropped and made again) never share values.
_current: weakref.WeakKeyDictionary[Engine, _Store] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def stamp_query() -> Select[tuple[int]]:
    """The stamp's SELECT, for a statement that wants the stamp beside its own result (a claim)."""
    return _READ_STAMP


def read_stamp(session: Session) -> int:
    value = session.connection().execute(_READ_STAMP).scalar_one_or_none()
    return int(value or 0)


def current(session: Session) -> RefData:
    """The cache valid for this transaction: one round trip (the stamp) when nothing changed."""
    stamp = read_stamp(session)
    key = session.get_bind().engine
    store = _current.get(key)
    if store is None or store.stamp != stamp:
        with _lock:
            store = _current.get(key)
            if store is None or store.stamp != stamp:
                store = _Store(stamp)
                _current[key] = store
    return RefData(store, session)


def remembered(engine: Engine) -> RefData | None:
    """The cache this process last saw for ``engine``'s database, without reading the stamp (and without a
    session): for a use case that gets the stamp with its own statement (``stamp_query``) and starts again with
    ``current`` when it differs from ``RefData.stamp``.  None when nothing has been cached yet."""
    store = _current.get(engine)
    return None if store is None else RefData(store, None, checked=False)


def clear() -> None:
    """Forget everything cached in this process (the stamp makes this unnecessary for correctness)."""
    with _lock:
        _current.clear()


def bump(session: Session) -> int:
    """Record a change of reference data in the session's transaction; returns the new stamp."""
    return next_value(session, STAMP_SCOPE, STAMP_PERIOD)


# ---- noticing changes ------------------------------------------------------------------------------------


def _user_changed(obj: User) -> bool:
    state = obj.__dict__.get("_sa_instance_state")
    if state is None:
        return True
    return any(state.attrs[name].history.has_changes() for name in (*USER_FIELDS, *_USER_RELATIONS))


def _touches(objects: Any, *, dirty: bool) -> bool:
    for obj in objects:
        if isinstance(obj, WATCHED):
            return True
        if isinstance(obj, User) and (not dirty or _user_changed(obj)):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if session.info.get(_DIRTY):
        return
    if (
        _touches(session.new, dirty=False)
        or _touches(session.deleted, dirty=False)
        or _touches((o for o in session.dirty if session.is_modified(o)), dirty=True)
    ):
        session.info[_DIRTY] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    # Bulk INSERT/UPDATE/DELETE statements on reference tables bypass the flush.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[_DIRTY] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # the last changes first, so the stamp row is always the last lock a change takes
    if session.info.pop(_DIRTY, False):
        bump(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)
