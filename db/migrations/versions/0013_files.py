"""files: scanned materials (电子件) stored by content, and paper folders' transfer batches (材料流转)

Revision ID: 0013_files
Revises: 0012_decision_docs
Create Date: 2026-12-07 17:41:44

``stored_file`` is one file's content keyed by SHA-256 (stored once however many cases carry it), its bytes in
``stored_file_chunk`` rows of at most 1 MiB (MEDIUMBLOB on MariaDB, whose BLOB stops at 64 KiB).
``case_file`` attaches a stored file to one material of a case, in page order.  ``file_outbox`` is a counter
store's upload queue (empty on the shared database).  ``transfer_batch`` / ``transfer_case``: a 交接单's batch
of paper folders for one department and each case's folder in it.  New tables only: nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

import db.types

revision = "0013_files"
down_revision = "0012_decision_docs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_outbox",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("sent_chunks", sa.Integer(), nullable=False),
        sa.Column("sent_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_file_outbox")),
    )
    op.create_table(
        "stored_file",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_file")),
    )
    op.create_table(
        "stored_file_chunk",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.LargeBinary()
            .with_variant(mysql.MEDIUMBLOB(), "mariadb")
            .with_variant(mysql.MEDIUMBLOB(), "mysql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("sha256", "seq", name=op.f("pk_stored_file_chunk")),
    )
    op.create_table(
        "transfer_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_no", sa.String(length=32), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=False),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", db.types.UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("received_at", db.types.UtcDateTime(), nullable=True),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counter.id"], name=op.f("fk_transfer_batch_counter_id_counter")
        ),
        sa.ForeignKeyConstraint(
            ["dept_id"], ["department.id"], name=op.f("fk_transfer_batch_dept_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_batch")),
        sa.UniqueConstraint("batch_no", name=op.f("uq_transfer_batch_batch_no")),
    )
    with op.batch_alter_table("transfer_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_batch_dept_id"), ["dept_id"], unique=False)

    op.create_table(
        "case_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("material_code", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["hd_case.id"], name=op.f("fk_case_file_case_id_hd_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_file_case_id_material", ["case_id", "material_code", "position"], unique=False
        )
        batch_op.create_index("ix_case_file_sha256", ["sha256"], unique=False)

    op.create_table(
        "transfer_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["transfer_batch.id"],
            name=op.f("fk_transfer_case_batch_id_transfer_batch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["hd_case.id"], name=op.f("fk_transfer_case_case_id_hd_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_case")),
        sa.UniqueConstraint("batch_id", "case_id", name="uq_transfer_case_batch_case"),
    )
    with op.batch_alter_table("transfer_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_case_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transfer_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_case_case_id"))

    op.drop_table("transfer_case")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_sha256")
        batch_op.drop_index("ix_case_file_case_id_material")

    op.drop_table("case_file")
    with op.batch_alter_table("transfer_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_batch_dept_id"))

    op.drop_table("transfer_batch")
    op.drop_table("stored_file_chunk")
    op.drop_table("stored_file")
    op.drop_table("file_outbox")
