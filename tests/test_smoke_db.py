from __future__ import annotations

from app import accounts, audit
from app.context import HallDesk
from tests.conftest import log_in


def test_demo_users_and_audit(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    users = accounts.list_users(hall.uow(), admin)
    assert {"admin", "supervisor", "clerk1", "clerk2", "chief_scj", "rev_scj"} <= {u.username for u in users}
    with hall.uow() as uow:
        assert audit.verify(uow.session).ok
