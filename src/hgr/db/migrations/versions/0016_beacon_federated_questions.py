"""the beacon: questions the federation's ledger has counted for federated holders

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "beacon_federated_question",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("question", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("beacon_federated_question")
