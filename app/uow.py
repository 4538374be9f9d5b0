"""Unit of work: one database transaction per use case, with its audit rows inside it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.orm import Session, sessionmaker

from app import audit


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — anything not committed is rolled back on exit."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed, and leaves loaded objects readable (detached).
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def audit(self, actor: str, action: str, entity: str, entity_id: str, payload: dict[str, Any] | None = None) -> None:
        audit.append(self.session, actor=actor, action=action, entity=entity, entity_id=entity_id, payload=payload)
