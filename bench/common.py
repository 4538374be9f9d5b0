"""Shared bench helpers: a throw-away database with the demo data, and percentiles."""

from __future__ import annotations

import os
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

os.environ.setdefault("HALLDESK_DATA_DIR", tempfile.mkdtemp(prefix="halldesk-bench-"))

from app.context import HallDesk
from app.demo import load_demo
from db.engine import make_engine

PG_ADMIN = os.environ.get("HALLDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_hall() -> Iterator[HallDesk]:
    """HallDesk on a fresh PostgreSQL database with the demo data; dropped afterwards."""
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"hd_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    hall = HallDesk.open(admin.url.set(database=name).render_as_string(hide_password=False), upgrade=True)
    try:
        load_demo(hall.uow())
        yield hall
    finally:
        hall.close()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"
