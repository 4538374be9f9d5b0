"""decision documents: the document number of a case's written decision

Revision ID: 0012_decision_docs
Revises: 0011_clocks
Create Date: 2026-12-07 11:30:00

``hd_case.decision_doc_no``: the number of the 准予／不予行政许可决定书 or 办理结果通知书 made with the decision
(the document itself is a ``notice`` row); NULL while the case is undecided.  Nullable without a default, so
MariaDB's ALTER keeps every other column as it is.  Cases decided before had a fixed text as what the output
window hands over ("准予行政许可决定书；许可证照（如有）") although no such document was ever made: the 签收单 now
lists only documents that exist, so that text is cleared (the decision itself still shows as 准予许可 / 不予许可).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_decision_docs"
down_revision = "0011_clocks"
branch_labels = None
depends_on = None

# What 0003–0010's decide wrote whether or not the document existed.
_OLD_FIXED_TEXTS = ("准予行政许可决定书；许可证照（如有）", "不予行政许可决定书")


def upgrade() -> None:
    with op.batch_alter_table("hd_case") as batch_op:
        batch_op.add_column(sa.Column("decision_doc_no", sa.String(48), nullable=True))
    case = sa.table("hd_case", sa.column("result_docs", sa.Text()), sa.column("decision_doc_no", sa.String(48)))
    op.execute(case.update().where(case.c.decision_doc_no.is_(None),
                                   case.c.result_docs.in_(_OLD_FIXED_TEXTS)).values(result_docs=""))


def downgrade() -> None:
    with op.batch_alter_table("hd_case") as batch_op:
        batch_op.drop_column("decision_doc_no")
