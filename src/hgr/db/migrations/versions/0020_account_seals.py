"""accounts: a seal on every user and token row (hgr.auth.seals)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:10:00

Rows made before have no seal and no longer authenticate until an operator seals them with
``hgr audit reseal`` (the migration cannot: the key is outside the database).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("app_user", "api_token"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("app_user", "api_token"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("seal")
