"""catalogue entries that travel: the pedigree as drawn, the region, the signed declaration

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_entry") as batch:
        batch.add_column(sa.Column("region", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("pedigree", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("declaration", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_entry") as batch:
        batch.drop_column("declaration")
        batch.drop_column("pedigree")
        batch.drop_column("region")
