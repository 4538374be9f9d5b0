"""output window: hand-overs (出件), ratings (好差评), rectifications (整改), pickup-code lockout

Revision ID: 0005_output_window
Revises: 0004_queue_notify
Create Date: 2026-11-27 09:32:37.520767
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0005_output_window"
down_revision = "0004_queue_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("occasion", sa.String(length=8), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=True),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("clerk_id", sa.Uuid(), nullable=True),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["hd_case.id"], name=op.f("fk_evaluation_case_id_hd_case")),
        sa.ForeignKeyConstraint(["clerk_id"], ["hd_user.id"], name=op.f("fk_evaluation_clerk_id_hd_user")),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counter.id"], name=op.f("fk_evaluation_counter_id_counter")
        ),
        sa.ForeignKeyConstraint(
            ["dept_id"], ["department.id"], name=op.f("fk_evaluation_dept_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
        sa.UniqueConstraint("case_id", "occasion", name="uq_evaluation_case_occasion"),
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_dept_id"), ["dept_id"], unique=False)

    op.create_table(
        "handover",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.Column("clerk_id", sa.Uuid(), nullable=True),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("credential", sa.String(length=8), nullable=False),
        sa.Column("collector_name", sa.String(length=64), nullable=False),
        sa.Column("collector_id_number", sa.String(length=18), nullable=False),
        sa.Column("by_proxy", sa.Boolean(), nullable=False),
        sa.Column("proxy_note", sa.String(length=255), nullable=False),
        sa.Column("mail_recipient", sa.String(length=64), nullable=False),
        sa.Column("mail_phone", sa.String(length=20), nullable=False),
        sa.Column("mail_address", sa.String(length=255), nullable=False),
        sa.Column("tracking_no", sa.String(length=32), nullable=False),
        sa.Column("result_docs", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["hd_case.id"], name=op.f("fk_handover_case_id_hd_case")),
        sa.ForeignKeyConstraint(["clerk_id"], ["hd_user.id"], name=op.f("fk_handover_clerk_id_hd_user")),
        sa.ForeignKeyConstraint(["counter_id"], ["counter.id"], name=op.f("fk_handover_counter_id_counter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover")),
        sa.UniqueConstraint("case_id", name=op.f("uq_handover_case_id")),
    )
    op.create_table(
        "rectification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("callback_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("callback_by", sa.String(length=64), nullable=False),
        sa.Column("callback_note", sa.Text(), nullable=False),
        sa.Column("fix_note", sa.Text(), nullable=False),
        sa.Column("closed_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["hd_case.id"], name=op.f("fk_rectification_case_id_hd_case")),
        sa.ForeignKeyConstraint(
            ["dept_id"], ["department.id"], name=op.f("fk_rectification_dept_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluation.id"], name=op.f("fk_rectification_evaluation_id_evaluation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_rectification_evaluation_id")),
    )
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_rectification_dept_status_due", ["dept_id", "status", "due"], unique=False)

    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        # Cases already there have had no wrong pickup codes yet.
        batch_op.add_column(sa.Column("pickup_failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("pickup_locked_at", db.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("issued_at", db.types.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.drop_column("issued_at")
        batch_op.drop_column("pickup_locked_at")
        batch_op.drop_column("pickup_failures")

    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_index("ix_rectification_dept_status_due")
        batch_op.drop_index(batch_op.f("ix_rectification_case_id"))

    op.drop_table("rectification")
    op.drop_table("handover")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_dept_id"))

    op.drop_table("evaluation")
