from __future__ import annotations

from pathlib import Path

from app import accounts, audit
from app.context import HallDesk
from db.engine import make_engine
from tests.conftest import log_in


def test_demo_users_and_audit(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    users = accounts.list_users(hall.uow(), admin)
    assert {"admin", "supervisor", "clerk1", "clerk2", "chief_scj", "rev_scj"} <= {u.username for u in users}
    with hall.uow() as uow:
        assert audit.verify(uow.session).ok


def test_a_sqlite_file_commits_to_disk_before_intake_goes_on(tmp_path: Path) -> None:
    # A counter's store holds cases the shared database has not seen yet: a commit must survive a power cut
    # (synchronous FULL), and a killed process must leave whole transactions (WAL).
    engine = make_engine(f"sqlite:///{tmp_path / 'local.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
