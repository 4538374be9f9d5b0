"""decision documents: the document number of a case's written decision

Revision ID: 0011_decision_docs
Revises: 0010_trust
Create Date: 2026-12-07 11:30:00

``hd_case.decision_doc_no``: the number of the 准予／不予行政许可决定书 or 办理结果通知书 made with the decision
(the document itself is a ``notice`` row); NULL while the case is undecided.  Nullable without a default, so
MariaDB's ALTER keeps every other column as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_decision_docs"
down_revision = "0010_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hd_case") as batch_op:
        batch_op.add_column(sa.Column("decision_doc_no", sa.String(48), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hd_case") as batch_op:
        batch_op.drop_column("decision_doc_no")
