"""enterprise registry: 园区企业名录 — industry, scale, capital, founding, 挂点 department, 资质, 年度数据, 梯度

Revision ID: 0015_enterprise_registry
Revises: 0014_file_archive
Create Date: 2026-12-08 01:10:00

``enterprise`` gains ``industry_code`` (GB/T 4754-2017, e.g. ``C3831``), ``scale`` (大型/中型/小型/微型),
``registered_capital`` (万元), ``founded_on``, ``liaison_dept_id`` (the 挂点 department), ``tier`` (the current
梯度 tier) and ``updated_at``.  New tables: ``enterprise_certification`` (资质 with validity),
``enterprise_year`` (one year's figures), ``tier_scheme`` (the versioned 综合评价 scheme) and
``enterprise_tier`` (the tier's history, each row naming the scheme version).

Money (``db.types.Money``) is 万元 to the 元: NUMERIC(18,4) on PostgreSQL and MariaDB, on SQLite an INTEGER of
ten-thousandths (SQLite's NUMERIC is a float).  Every new ``enterprise`` column has a server default or is
nullable, so existing rows need no update; on SQLite the table is copied (``db.migrate`` turns foreign keys off
around it, so ``hd_case``'s references stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0015_enterprise_registry"
down_revision = "0014_file_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("industry_code", sa.String(length=5), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("scale", sa.String(length=4), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("registered_capital", db.types.Money(), nullable=True))
        batch_op.add_column(sa.Column("founded_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("liaison_dept_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("tier", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("updated_at", db.types.UtcDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_enterprise_liaison_dept_id_department"), "department", ["liaison_dept_id"], ["id"]
        )
    op.create_table(
        "enterprise_certification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_enterprise_certification_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_certification")),
        sa.UniqueConstraint("enterprise_id", "kind", "number",
                            name=op.f("uq_enterprise_certification_enterprise_id")),
    )
    op.create_table(
        "enterprise_year",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("output_value", db.types.Money(), nullable=True),
        sa.Column("revenue", db.types.Money(), nullable=True),
        sa.Column("tax", db.types.Money(), nullable=True),
        sa.Column("rd_spend", db.types.Money(), nullable=True),
        sa.Column("assets", db.types.Money(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_enterprise_year_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "year", name=op.f("pk_enterprise_year")),
    )
    op.create_table(
        "tier_scheme",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_tier_scheme")),
    )
    op.create_table(
        "enterprise_tier",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("score", db.types.Money(), nullable=True),
        sa.Column("scheme_version", sa.Integer(), nullable=False),
        sa.Column("decided_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_enterprise_tier_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_tier")),
    )
    op.create_index("ix_enterprise_tier_enterprise_at", "enterprise_tier", ["enterprise_id", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_enterprise_tier_enterprise_at", table_name="enterprise_tier")
    op.drop_table("enterprise_tier")
    op.drop_table("tier_scheme")
    op.drop_table("enterprise_year")
    op.drop_table("enterprise_certification")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_enterprise_liaison_dept_id_department"), type_="foreignkey")
        for column in ("updated_at", "tier", "liaison_dept_id", "founded_on", "registered_capital", "scale",
                       "industry_code"):
            batch_op.drop_column(column)
