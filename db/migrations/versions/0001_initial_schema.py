"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 06:50:05.308384
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("chain", "seq", name="uq_audit_event_chain_seq"),
    )
    op.create_table(
        "calendar_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_override")),
    )
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
    )
    op.create_table(
        "counter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("printer_uri", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter")),
        sa.UniqueConstraint("number", name=op.f("uq_counter_number")),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_table(
        "enterprise",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("legal_rep", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprise_uscc")),
    )
    op.create_table(
        "regional_assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_assessment")),
        sa.UniqueConstraint("code", name=op.f("uq_regional_assessment_code")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "hd_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=True),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", db.types.UtcDateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["counter_id"], ["counter.id"], name=op.f("fk_hd_user_counter_id_counter")),
        sa.ForeignKeyConstraint(["dept_id"], ["department.id"], name=op.f("fk_hd_user_dept_id_department")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hd_user")),
        sa.UniqueConstraint("username", name=op.f("uq_hd_user_username")),
    )
    op.create_table(
        "service_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("legal_days", sa.Integer(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("immediate", sa.Boolean(), nullable=False),
        sa.Column("fee", sa.String(length=255), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dept_id"], ["department.id"], name=op.f("fk_service_item_dept_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_item")),
        sa.UniqueConstraint("code", name=op.f("uq_service_item_code")),
    )
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_item_dept_id"), ["dept_id"], unique=False)

    op.create_table(
        "hd_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("agent_name", sa.String(length=64), nullable=False),
        sa.Column("agent_id_number", sa.String(length=18), nullable=False),
        sa.Column("agent_phone", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("clerk_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("received_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("accepted_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("promised_due", sa.Date(), nullable=True),
        sa.Column("legal_due", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("pickup_code", sa.String(length=8), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clerk_id"], ["hd_user.id"], name=op.f("fk_hd_case_clerk_id_hd_user")),
        sa.ForeignKeyConstraint(["counter_id"], ["counter.id"], name=op.f("fk_hd_case_counter_id_counter")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_hd_case_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_hd_case_item_id_service_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hd_case")),
        sa.UniqueConstraint("case_no", name=op.f("uq_hd_case_case_no")),
    )
    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hd_case_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_hd_case_status_promised_due", ["status", "promised_due"], unique=False)

    op.create_table(
        "material_requirement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("originals", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("tolerable", sa.Boolean(), nullable=False),
        sa.Column("covered_by_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["covered_by_id"],
            ["regional_assessment.id"],
            name=op.f("fk_material_requirement_covered_by_id_regional_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_item.id"],
            name=op.f("fk_material_requirement_item_id_service_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_requirement")),
        sa.UniqueConstraint("item_id", "code", name="uq_material_requirement_item_code"),
    )

    op.bulk_insert(
        sa.table(
            "audit_chain_head",
            sa.column("chain", sa.String),
            sa.column("seq", sa.Integer),
            sa.column("hash", sa.String),
        ),
        [{"chain": "hall", "seq": 0, "hash": "0" * 64}],
    )


def downgrade() -> None:
    op.drop_table("material_requirement")
    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.drop_index("ix_hd_case_status_promised_due")
        batch_op.drop_index(batch_op.f("ix_hd_case_item_id"))

    op.drop_table("hd_case")
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_item_dept_id"))

    op.drop_table("service_item")
    op.drop_table("hd_user")
    op.drop_table("setting")
    op.drop_table("regional_assessment")
    op.drop_table("enterprise")
    op.drop_table("department")
    op.drop_table("counter")
    op.drop_table("calendar_year")
    op.drop_table("calendar_override")
    op.drop_table("audit_event")
    op.drop_table("audit_chain_head")
