"""Every character a name can hold: utf8mb4 forced on MariaDB, and rare characters and emoji round-trip on
every engine through the services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import cases, grievance, intake
from app.context import HallDesk
from app.errors import DatabaseUnavailable
from tests.conftest import ENGINES, Server, _unique, log_in
from tests.intake_support import AGENT, ENTERPRISE, item_with_tolerable, request

ROOT = Path(__file__).resolve().parent.parent
EXT_B = "\U00020000"  # 𠀀, CJK extension B: four bytes in UTF-8
EMOJI = "\U0001F600"  # 😀
mariadb_only = pytest.mark.parametrize("server", ["mariadb"], indirect=True)
needs_mariadb = pytest.mark.skipif("mariadb" not in ENGINES, reason="MariaDB not in HALLDESK_TEST_ENGINES")


def _app(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HALLDESK_PASSWORD", "HALLDESK_DB")}
    return subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


@needs_mariadb
@mariadb_only
def test_a_utf8mb3_database_is_refused_before_anything_is_migrated(server: Server) -> None:
    db = _unique("hd_mb3")
    assert server.admin is not None
    with server.admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"))
    try:
        url = server.url(db)
        proc = _app("--db", url, "db", "upgrade")
        assert proc.returncode == 7, proc.stderr
        assert f"数据库 {db} 的字符集是 utf8mb3，HallDesk 需要 utf8mb4" in proc.stderr
        assert "CREATE DATABASE" in proc.stderr and "ALTER DATABASE" in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        with pytest.raises(DatabaseUnavailable, match="utf8mb3"):
            HallDesk.open(url)
        with server.admin.connect() as c:  # nothing was made there, not even Alembic's table
            tables = c.execute(sa.text("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = :db"),
                               {"db": db}).scalar_one()
        assert tables == 0
    finally:
        server.drop(db)


@needs_mariadb
@mariadb_only
def test_a_halldesk_table_that_is_not_utf8mb4_is_refused(empty_db_url: str) -> None:
    HallDesk.open(empty_db_url, upgrade=True).close()
    hall = HallDesk.open(empty_db_url)
    with hall.engine.begin() as c:
        c.execute(sa.text("ALTER TABLE grievance CONVERT TO CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"))
    hall.close()
    with pytest.raises(DatabaseUnavailable) as refused:
        HallDesk.open(empty_db_url)
    assert "表 grievance（utf8mb3）" in refused.value.message and "CONVERT TO CHARACTER SET utf8mb4" in refused.value.message
    proc = _app("--db", empty_db_url, "db", "upgrade")
    assert proc.returncode == 7 and "grievance" in proc.stderr and "Traceback" not in proc.stderr


def test_rare_characters_and_emoji_round_trip(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    name = f"张{EXT_B}"
    company = f"南昌{EXT_B}科技{EMOJI}有限公司"
    taken = intake.take_application(hall.uow(), clerk, request(
        item, agent=AGENT.__class__(name, AGENT.id_number, AGENT.phone),
        enterprise=ENTERPRISE.__class__(ENTERPRISE.uscc, company, f"刘{EXT_B}", f"长堎大道{EMOJI}8号")))
    stored = cases.read_case(hall.uow(), taken.case_no)
    assert stored.agent_name == name and stored.enterprise_name == company

    grievance_clerk = log_in(hall, "clerk9")
    registered = grievance.register(hall.uow(), grievance_clerk, complainant=f"王{EXT_B}",
                                    content=f"办事太慢了{EMOJI}，材料跑了三趟{EXT_B}")
    again = grievance.get_grievance(hall.uow(), log_in(hall, "supervisor"), registered.grievance_no).grievance
    assert again.complainant == f"王{EXT_B}" and again.content.endswith(f"三趟{EXT_B}") and EMOJI in again.content
