"""grievance: the 办不成事 window's complaints and unresolved demands, with their history

Revision ID: 0008_grievance
Revises: 0007_lease_index
Create Date: 2026-11-27 15:10:00

``grievance`` holds one complaint or demand from 受理 to 归档 (number, complainant, content, the case it is
about, the department it was handed to, status, the 限时督办 deadline, reply, callback); ``grievance_event``
its history.  ``(dept_id, status, due)`` serves a department's list ordered by deadline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0008_grievance"
down_revision = "0007_lease_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grievance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_no", sa.String(length=32), nullable=False),
        sa.Column("received_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("complainant", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("dept_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("callback_note", sa.Text(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("archived_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["hd_case.id"], name=op.f("fk_grievance_case_id_hd_case")),
        sa.ForeignKeyConstraint(["dept_id"], ["department.id"], name=op.f("fk_grievance_dept_id_department")),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["hd_user.id"], name=op.f("fk_grievance_resolved_by_id_hd_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grievance")),
        sa.UniqueConstraint("grievance_no", name=op.f("uq_grievance_grievance_no")),
    )
    with op.batch_alter_table("grievance", schema=None) as batch_op:
        batch_op.create_index("ix_grievance_dept_status_due", ["dept_id", "status", "due"], unique=False)

    op.create_table(
        "grievance_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grievance_id"], ["grievance.id"], name=op.f("fk_grievance_event_grievance_id_grievance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grievance_event")),
    )
    with op.batch_alter_table("grievance_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grievance_event_grievance_id"), ["grievance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grievance_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grievance_event_grievance_id"))
    op.drop_table("grievance_event")

    with op.batch_alter_table("grievance", schema=None) as batch_op:
        batch_op.drop_index("ix_grievance_dept_status_due")
    op.drop_table("grievance")
