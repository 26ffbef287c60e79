"""registry: a seal on every donor, sample and consent row (hgr.registry.seals)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 02:40:00

Rows made before carry none, and ``hgr audit verify --records`` reports them as not sealed
until an operator seals them with ``hgr audit reseal``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ("donor", "sample", "consent")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("seal")
