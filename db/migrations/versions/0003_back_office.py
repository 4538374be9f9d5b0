"""back office

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 07:40:03.429870
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added to hd_case get server defaults so that rows already there stay valid.
    op.create_table(
        "seal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["dept_id"], ["department.id"], name=op.f("fk_seal_dept_id_department")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal")),
    )
    with op.batch_alter_table("seal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seal_dept_id"), ["dept_id"], unique=False)

    op.create_table(
        "seal_authorisation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("authorised_by", sa.String(length=64), nullable=False),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.Column("used_at", db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["hd_case.id"], name=op.f("fk_seal_authorisation_case_id_hd_case")
        ),
        sa.ForeignKeyConstraint(["seal_id"], ["seal.id"], name=op.f("fk_seal_authorisation_seal_id_seal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal_authorisation")),
    )
    with op.batch_alter_table("seal_authorisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seal_authorisation_case_id"), ["case_id"], unique=False)

    op.create_table(
        "seal_usage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.Column("authorised_by", sa.String(length=64), nullable=False),
        sa.Column("at", db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["hd_case.id"], name=op.f("fk_seal_usage_case_id_hd_case")),
        sa.ForeignKeyConstraint(["seal_id"], ["seal.id"], name=op.f("fk_seal_usage_seal_id_seal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal_usage")),
    )
    with op.batch_alter_table("seal_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seal_usage_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seal_usage_seal_id"), ["seal_id"], unique=False)

    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dept_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("holder_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", db.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("claimed_at", db.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("step_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", db.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("decision_basis", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("result_docs", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("paused_promised", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paused_legal", sa.Integer(), nullable=True))
        batch_op.create_index("ix_hd_case_holder", ["holder_id", "status"], unique=False)
        batch_op.create_index(
            "ix_hd_case_queue", ["dept_id", "status", "promised_due", "received_at", "id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_hd_case_holder_id_hd_user"), "hd_user", ["holder_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_hd_case_decided_by_id_hd_user"), "hd_user", ["decided_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_hd_case_dept_id_department"), "department", ["dept_id"], ["id"]
        )

    # Cases already in the database belong to their item's department.
    op.execute(
        "UPDATE hd_case SET dept_id = (SELECT service_item.dept_id FROM service_item"
        " WHERE service_item.id = hd_case.item_id)"
    )
    # Every department starts with its 审批专用章 on record.
    conn = op.get_bind()
    department = sa.table("department", sa.column("id", sa.Uuid()), sa.column("name", sa.String))
    depts = conn.execute(sa.select(department.c.id, department.c.name)).all()
    seal = sa.table(
        "seal",
        sa.column("id", sa.Uuid()),
        sa.column("dept_id", sa.Uuid()),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
    )
    if depts:
        op.bulk_insert(
            seal,
            [
                {"id": uuid.uuid4(), "dept_id": d.id, "name": f"{d.name}审批专用章", "active": True}
                for d in depts
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("hd_case", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_hd_case_dept_id_department"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_hd_case_decided_by_id_hd_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_hd_case_holder_id_hd_user"), type_="foreignkey")
        batch_op.drop_index("ix_hd_case_queue")
        batch_op.drop_index("ix_hd_case_holder")
        batch_op.drop_column("paused_legal")
        batch_op.drop_column("paused_promised")
        batch_op.drop_column("result_docs")
        batch_op.drop_column("decision_basis")
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("step_due")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("holder_id")
        batch_op.drop_column("dept_id")

    with op.batch_alter_table("seal_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seal_usage_seal_id"))
        batch_op.drop_index(batch_op.f("ix_seal_usage_case_id"))

    op.drop_table("seal_usage")
    with op.batch_alter_table("seal_authorisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seal_authorisation_case_id"))

    op.drop_table("seal_authorisation")
    with op.batch_alter_table("seal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seal_dept_id"))

    op.drop_table("seal")
