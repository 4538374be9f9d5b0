"""input limits: every column a person types into gets a length

Revision ID: 0009_input_limits
Revises: 0008_grievance
Create Date: 2026-12-07 10:00:00

The ``Text`` columns that hold typed text (reasons, notes, legal basis, grievance content and reply,
comments) become ``VARCHAR(n)``, so that no engine stores more than ``app.limits`` lets through (SQLite
keeps the declared type only).  Values already longer — possible only through the unchecked inputs before
this revision — are cut to ``n`` characters ending in "…" first: PostgreSQL and MariaDB (strict mode) refuse
to narrow a column that holds longer values.  The notices keep the text exactly as it was printed.

On SQLite the tables are copied (batch mode); ``db.migrate`` turns foreign keys off around the migration,
or dropping ``hd_case`` would cascade to its materials, events and notices.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_input_limits"
down_revision = "0008_grievance"
branch_labels = None
depends_on = None

# table -> [(column, characters)]
LIMITS: dict[str, list[tuple[str, int]]] = {
    "regional_assessment": [("note", 255)],
    "service_item": [("legal_basis", 1000)],
    "hd_case": [("refusal_reason", 1000), ("refusal_basis", 1000), ("decision_reason", 1000),
                ("decision_basis", 1000)],
    "case_event": [("note", 1100)],
    "evaluation": [("comment", 500)],
    "rectification": [("callback_note", 1000), ("fix_note", 1000)],
    "grievance": [("content", 2000), ("reply", 2000), ("callback_note", 1000)],
    "grievance_event": [("note", 2100)],
}


def _cut_overlong(table: str, column: str, limit: int) -> None:
    # MariaDB's LENGTH counts bytes; CHAR_LENGTH counts characters, as LENGTH does on PostgreSQL and SQLite.
    length = sa.func.char_length if op.get_bind().dialect.name in ("mysql", "mariadb") else sa.func.length
    t = sa.table(table, sa.column(column, sa.Text()))
    col = t.c[column]
    op.execute(t.update().where(length(col) > limit).values({column: sa.func.substr(col, 1, limit - 1) + "…"}))


def _defaults(table: str) -> dict[str, sa.TextClause | None]:
    """The columns' server defaults as they are: MariaDB's MODIFY COLUMN redefines a column whole and would
    drop a default it is not told about (hd_case's reasons default to '')."""
    found = sa.inspect(op.get_bind()).get_columns(table)
    return {c["name"]: sa.text(c["default"]) if c.get("default") is not None else None for c in found}


def upgrade() -> None:
    for table, columns in LIMITS.items():
        for column, limit in columns:
            _cut_overlong(table, column, limit)
        defaults = _defaults(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, limit in columns:
                batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=limit),
                                      existing_nullable=False, existing_server_default=defaults[column])


def downgrade() -> None:
    for table, columns in LIMITS.items():
        defaults = _defaults(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, limit in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=limit), type_=sa.Text(),
                                      existing_nullable=False, existing_server_default=defaults[column])
