"""file archive: a stored file moved to the hall's file share (``files archive``)

Revision ID: 0014_file_archive
Revises: 0013_files
Create Date: 2026-12-07 18:53:07

``stored_file.archive_path``: where the file now lies on the share; its ``stored_file_chunk`` rows are gone.
NULL (every file so far) means the bytes are in the database.  Nullable without a default, so MariaDB's ALTER
keeps the other columns as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_file_archive"
down_revision = "0013_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_path", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_column("archive_path")
