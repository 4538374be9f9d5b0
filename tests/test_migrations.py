"""Migrations run from empty to head on every engine, and the models agree with them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db import migrate
from db.engine import make_engine
from db.models import Base


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
