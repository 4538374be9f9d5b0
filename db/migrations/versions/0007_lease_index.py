"""lease index: a case whose holder's lease ran out is found without scanning the cases in review

Revision ID: 0007_lease_index
Revises: 0006_offline_sync
Create Date: 2026-11-27 11:40:00

A claim first looks for a case whose reviewer's lease has run out (the PC died), then takes the queue's next
case.  Without this index the first look read every case of the department under review, one more each claim.
"""

from __future__ import annotations

from alembic import op

revision = "0007_lease_index"
down_revision = "0006_offline_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_hd_case_lease", "hd_case", ["dept_id", "status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_hd_case_lease", table_name="hd_case")
