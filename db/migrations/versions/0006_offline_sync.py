"""offline sync: a counter's transactional outbox and its sync facts

Revision ID: 0006_offline_sync
Revises: 0005_output_window
Create Date: 2026-11-27 09:33:46

A counter's local SQLite store has the full HallDesk schema; ``outbox`` lists the cases it still has to push
to the shared database and ``sync_state`` keeps its counter number and the last pull, success and error.
Both tables exist in every database (the shared one leaves them empty), so one schema fits all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0006_offline_sync"
down_revision = "0005_output_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("sent_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_sent_at_seq", ["sent_at", "seq"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_state")),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at_seq")
    op.drop_table("outbox")
