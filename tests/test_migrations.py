"""Migrations run from empty to head on every engine, and the models agree with them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db import migrate
from db.engine import make_engine
from db.models import Base
from db.types import UtcDateTime


def test_upgrade_from_empty_to_head_and_models_agree(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        # Running it again is harmless.
        migrate.upgrade(engine)
        with engine.connect() as conn:
            head = conn.execute(sa.text("SELECT chain, seq FROM audit_chain_head")).all()
        assert [tuple(r) for r in head] == [("hall", 0)]
    finally:
        engine.dispose()


def test_upgrade_keeps_existing_data(empty_db_url: str) -> None:
    """A hall already running 0001 with departments, items and a case upgrades to head intact."""
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0001")
        dept, item, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        now = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        department = sa.table("department", sa.column("id", sa.Uuid()), sa.column("code", sa.String),
                              sa.column("name", sa.String), sa.column("sort_order", sa.Integer))
        service_item = sa.table(
            "service_item", *(sa.column(c) for c in ("code", "name", "kind", "legal_basis", "fee")),
            sa.column("id", sa.Uuid()), sa.column("dept_id", sa.Uuid()), sa.column("legal_days", sa.Integer),
            sa.column("promised_days", sa.Integer), sa.column("immediate", sa.Boolean),
            sa.column("sort_order", sa.Integer), sa.column("active", sa.Boolean), sa.column("version", sa.Integer))
        hd_case = sa.table(
            "hd_case", sa.column("id", sa.Uuid()), sa.column("item_id", sa.Uuid()),
            *(sa.column(c) for c in ("case_no", "agent_name", "agent_id_number", "agent_phone", "channel", "status",
                                     "pickup_code")),
            sa.column("received_at", UtcDateTime()), sa.column("created_at", UtcDateTime()),
            sa.column("updated_at", UtcDateTime()), sa.column("due_provisional", sa.Boolean))
        with engine.begin() as conn:
            conn.execute(sa.insert(department).values(id=dept, code="SCJ", name="区市场监管局", sort_order=0))
            conn.execute(sa.insert(service_item).values(
                id=item, dept_id=dept, code="SCJ001", name="食品经营许可", kind="行政许可", legal_basis="", fee="不收费",
                legal_days=20, promised_days=5, immediate=False, sort_order=0, active=True, version=1))
            conn.execute(sa.insert(hd_case).values(
                id=case, item_id=item, case_no="XJ261102-01-0001", agent_name="张伟", agent_id_number="",
                agent_phone="", channel="window", status="accepted", pickup_code="123456", received_at=now,
                created_at=now, updated_at=now, due_provisional=False))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT case_no, claim_token, refusal_reason FROM hd_case")).one()
            seals = conn.execute(sa.text("SELECT name FROM seal")).scalars().all()
            dept_of_case = conn.execute(sa.select(sa.column("dept_id", sa.Uuid())).select_from(
                sa.table("hd_case"))).scalar_one()
        assert tuple(row) == ("XJ261102-01-0001", 0, "")
        assert seals == ["区市场监管局审批专用章"]
        assert dept_of_case == dept
    finally:
        engine.dispose()


def _reflected(engine: sa.Engine, models: sa.MetaData) -> dict[str, sa.Table]:
    """The tables of ``models`` as the database has them now; types as the models declare them (UUIDs, times)."""
    present = sa.MetaData()
    present.reflect(engine, only=[name for name in models.tables if sa.inspect(engine).has_table(name)])
    return {name: sa.Table(name, sa.MetaData(), *(c._copy() for c in table.columns
                                                    if c.name in present.tables[name].c))
            for name, table in models.tables.items() if name in present.tables}


def test_input_limits_keep_rows_and_cut_overlong_text(empty_db_url: str) -> None:
    """0009 narrows the typed-text columns: rows that refer to a changed table survive (SQLite copies tables,
    which must not cascade), and a value longer than its new limit is cut to it, ending in "…"."""
    engine = make_engine(empty_db_url)
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    dept, item, case, grievance_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        migrate.upgrade(engine, "0008_grievance")
        # The tables as 0008 left them: the models' columns of later revisions (with their defaults) do not exist.
        t = _reflected(engine, Base.metadata)
        with engine.begin() as conn:
            conn.execute(t["department"].insert().values(id=dept, code="SCJ", name="区市场监管局"))
            conn.execute(t["service_item"].insert().values(
                id=item, dept_id=dept, code="SCJ001", name="食品经营许可", kind="行政许可", legal_basis="依据" * 600,
                legal_days=20, promised_days=5))
            conn.execute(t["hd_case"].insert().values(
                id=case, case_no="XJ261201-01-0001", item_id=item, status="refused", dept_id=dept,
                refusal_reason="理" * 1500, received_at=now))
            conn.execute(t["case_material"].insert().values(case_id=case, code="M01", name="申请书", state="received"))
            conn.execute(t["case_event"].insert().values(case_id=case, actor="clerk1", action="intake.refuse",
                                                         to_status="refused", note="短"))
            conn.execute(t["notice"].insert().values(case_id=case, kind="refusal", doc_no="新经开不〔2026〕010001号",
                                                     issued_by="clerk1", payload="{}"))
            conn.execute(t["print_job"].insert().values(case_id=case, kind="receipt", requested_by="clerk1",
                                                        payload="{}"))
            conn.execute(t["grievance"].insert().values(
                id=grievance_id, grievance_no="BC261201-0001", complainant="王芳", content="诉" * 2500, received_at=now))
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
        with engine.connect() as conn:
            counts = {name: conn.execute(sa.select(sa.func.count()).select_from(t[name])).scalar_one()
                      for name in ("hd_case", "case_material", "case_event", "notice", "print_job", "grievance")}
            reason = conn.execute(sa.select(t["hd_case"].c.refusal_reason)).scalar_one()
            basis = conn.execute(sa.select(t["service_item"].c.legal_basis)).scalar_one()
            content = conn.execute(sa.select(t["grievance"].c.content)).scalar_one()
        assert counts == dict.fromkeys(counts, 1)
        assert reason == "理" * 999 + "…" and basis == ("依据" * 600)[:999] + "…"
        assert content == "诉" * 1999 + "…"
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # on again after the upgrade
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
    finally:
        engine.dispose()


def test_narrowing_a_column_keeps_its_default(empty_db_url: str) -> None:
    """0009 turns reasons and notes into VARCHAR(n); MariaDB's MODIFY COLUMN would have dropped their defaults
    (a row written by a program that leaves them out, as 0001's rows do, would then be refused)."""
    engine = make_engine(empty_db_url)
    columns = ("refusal_reason", "refusal_basis", "decision_reason", "decision_basis")
    try:
        migrate.upgrade(engine, "0008_grievance")
        before = {c["name"]: c.get("default") for c in sa.inspect(engine).get_columns("hd_case")}
        assert all(before[c] is not None for c in columns), before
        migrate.upgrade(engine)
        after = {c["name"]: c.get("default") for c in sa.inspect(engine).get_columns("hd_case")}
        assert [after[c] is not None for c in columns] == [True] * len(columns), after
    finally:
        engine.dispose()


def test_the_revisions_read_without_alembic_are_alembics() -> None:
    """The start-up check reads the scripts' ``revision =`` lines itself (db.migrate.revisions): the same
    revisions, the same order and the same head as Alembic's own reading."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    alembic_view = {rev.revision: rev.down_revision for rev in script.walk_revisions()}
    assert migrate.revisions() == alembic_view and len(alembic_view) >= 14
    assert migrate.head_revision() == script.get_current_head()
