"""trust: initial passwords to change, revoked counter keys, seal grants bound to their department

Revision ID: 0010_trust
Revises: 0009_input_limits
Create Date: 2026-12-07 10:00:00

``hd_user.must_change_password``: an admin-set (or demo) password is replaced by the user at the next login.
``counter_key.revoked_at``: a compromised counter key; slips it signed are refused from then on.
``seal_authorisation.dept_id`` / ``revoked_at``: a chief representative's grant is bound to their department
(existing grants take their seal's department) and is voided when the case is transferred.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0010_trust"
down_revision = "0009_input_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hd_user") as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("counter_key") as batch_op:
        batch_op.add_column(sa.Column("revoked_at", db.types.UtcDateTime(), nullable=True))
    with op.batch_alter_table("seal_authorisation") as batch_op:
        batch_op.add_column(sa.Column("dept_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", db.types.UtcDateTime(), nullable=True))
        batch_op.create_foreign_key("fk_seal_authorisation_dept_id_department", "department", ["dept_id"], ["id"])
    seal = sa.table("seal", sa.column("id", sa.Uuid()), sa.column("dept_id", sa.Uuid()))
    grant = sa.table("seal_authorisation", sa.column("seal_id", sa.Uuid()), sa.column("dept_id", sa.Uuid()))
    op.execute(grant.update().values(
        dept_id=sa.select(seal.c.dept_id).where(seal.c.id == grant.c.seal_id).scalar_subquery()))


def downgrade() -> None:
    with op.batch_alter_table("seal_authorisation") as batch_op:
        batch_op.drop_constraint("fk_seal_authorisation_dept_id_department", type_="foreignkey")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("dept_id")
    with op.batch_alter_table("counter_key") as batch_op:
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("hd_user") as batch_op:
        batch_op.drop_column("must_change_password")
