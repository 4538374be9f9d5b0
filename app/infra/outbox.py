"""The transactional outbox of a counter's local store (see ``app.infra.sync``).

A counter PC keeps a full HallDesk schema in a local SQLite file.  Its units of work are
``CounterUnitOfWork``: audit rows go to the counter's own chain ``counter:<number>``, and every intake or
resubmission adds an ``outbox`` row in the same transaction as the case (``record``), so a case is either
stored and queued for the shared database, or not stored at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app import audit
from app.uow import UnitOfWork
from db.models import Outbox
from db.types import utcnow


def counter_chain(number: int) -> str:
    """The audit chain of counter ``number``'s local store; it verifies on its own on the shared database."""
    return f"counter:{number}"


class CounterUnitOfWork(UnitOfWork):
    """A unit of work on a counter's local store: own audit chain, and intake use cases fill the outbox."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        chain: Callable[[], str],
        prepare_login: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(session_factory)
        # Asked at each audit row, not at construction: a store is bound to its counter at the first login.
        self._chain = chain
        self._prepare_login = prepare_login

    def prepare_login(self, username: str) -> None:
        """Called by ``app.auth.login`` before it starts: the store binds itself to the clerk's counter."""
        if self._prepare_login is not None:
            self._prepare_login(username)

    def audit(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        payload: dict[str, Any] | None = None,
        *,
        chain: str | None = None,
    ) -> None:
        # A counter's store has one writer, the counter: every row goes to its chain, whoever the actor.
        audit.append(
            self.session,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            payload=payload,
            chain=self._chain(),
        )


def record(uow: UnitOfWork, case_id: uuid.UUID) -> None:
    """Queue ``case_id`` for the shared database, in ``uow``'s transaction; nothing outside a local store."""
    if isinstance(uow, CounterUnitOfWork):
        uow.session.execute(
            insert(Outbox), [{"case_id": case_id, "created_at": utcnow(), "attempts": 0, "last_error": ""}]
        )


def pending_count(session: Session) -> int:
    return int(
        session.execute(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))).scalar_one()
    )
