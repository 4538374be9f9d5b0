"""intake and printing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:02:34.768330
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added to existing tables get server defaults so that rows already there stay valid.
    op.create_table(
        "counter_sequence",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "period", name=op.f("pk_counter_sequence")),
    )
    op.create_table(
        "printer_profile",
        sa.Column("uri", sa.String(length=255), nullable=False),
        sa.Column("paper_mm", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("chinese_mode", sa.Boolean(), nullable=False),
        sa.Column("raster", sa.Boolean(), nullable=False),
        sa.Column("qr_native", sa.Boolean(), nullable=False),
        sa.Column("cut", sa.Boolean(), nullable=False),
        sa.Column("status_check", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_printer_profile")),
    )
    op.create_table(
        "counter_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("counter_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("retired_at", db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counter.id"], name=op.f("fk_counter_key_counter_id_counter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_key")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_counter_key_fingerprint")),
    )
    with op.batch_alter_table("counter_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counter_key_counter_id"), ["counter_id"], unique=False)

    op.create_table(
        "case_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["hd_case.id"], name=op.f("fk_case_event_case_id_hd_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_material",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("originals", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("electronic", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("assessment", sa.String(length=64), nullable=False),
        sa.Column("supplement_due", sa.Date(), nullable=True),
        sa.Column("supplemented_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["hd_case.id"], name=op.f("fk_case_material_case_id_hd_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_material")),
        sa.UniqueConstraint("case_id", "code", name="uq_case_material_case_code"),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doc_no", sa.String(length=48), nullable=False),
        sa.Column("issued_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["hd_case.id"], name=op.f("fk_notice_case_id_hd_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("doc_no", name=op.f("uq_notice_doc_no")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_case_id"), ["case_id"], unique=False)

    op.create_table(
        "print_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=True),
        sa.Column("printer_uri", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=False),
        sa.Column("next_attempt_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("lease_until", db.types.UtcDateTime(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("printed_at", db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["hd_case.id"], name=op.f("fk_print_job_case_id_hd_case")),
        sa.ForeignKeyConstraint(["counter_id"], ["counter.id"], name=op.f("fk_print_job_counter_id_counter")),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name=op.f("fk_print_job_notice_id_notice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_job")),
    )
    with op.batch_alter_table("print_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_job_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_print_job_status_next", ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("counter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("a4_printer_uri", sa.String(length=255), nullable=False, server_default="")
        )

    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slip", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("supplement_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("refusal_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("refusal_basis", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("correction_deadline", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("deemed_accepted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("finished_at", db.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_unique_constraint(batch_op.f("uq_hd_case_external_id"), ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_hd_case_external_id"), type_="unique")
        batch_op.drop_column("version")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("deemed_accepted")
        batch_op.drop_column("correction_deadline")
        batch_op.drop_column("refusal_basis")
        batch_op.drop_column("refusal_reason")
        batch_op.drop_column("supplement_due")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("counter", schema=None) as batch_op:
        batch_op.drop_column("a4_printer_uri")

    with op.batch_alter_table("print_job", schema=None) as batch_op:
        batch_op.drop_index("ix_print_job_status_next")
        batch_op.drop_index(batch_op.f("ix_print_job_case_id"))

    op.drop_table("print_job")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_case_id"))

    op.drop_table("notice")
    op.drop_table("case_material")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_event_case_id"))

    op.drop_table("case_event")
    with op.batch_alter_table("counter_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_key_counter_id"))

    op.drop_table("counter_key")
    op.drop_table("printer_profile")
    op.drop_table("counter_sequence")
