"""clocks: 特别程序 (行政许可法第45条) and 延期 (第42条) on the case

Revision ID: 0011_clocks
Revises: 0010_trust
Create Date: 2026-12-07 11:40:00

``hd_case.clock_paused_at``: when the running clock(s) stopped (退回补正 stops the promised one, 特别程序 both).
``hd_case.special_procedure`` / ``special_reason``: the 特别程序 in progress and why.
``hd_case.extension_days`` / ``extension_approver`` / ``extension_reason``: the one 延期 a case may have.
``hd_case.promised_from`` / ``promised_days_from`` / ``legal_from`` / ``legal_days_from``: where each clock last
restarted and with how many working days, so that a change of the calendar recomputes the dates from there.
Every new column has a server default (or is nullable), so existing rows need no update; MariaDB keeps them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0011_clocks"
down_revision = "0010_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hd_case") as batch_op:
        batch_op.add_column(sa.Column("clock_paused_at", db.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("special_procedure", sa.String(8), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("special_reason", sa.String(1000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("extension_days", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("extension_approver", sa.String(64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("extension_reason", sa.String(1000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("promised_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("promised_days_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("legal_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("legal_days_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hd_case") as batch_op:
        for column in ("legal_days_from", "legal_from", "promised_days_from", "promised_from", "extension_reason", "extension_approver", "extension_days", "special_reason",
                       "special_procedure", "clock_paused_at"):
            batch_op.drop_column(column)
