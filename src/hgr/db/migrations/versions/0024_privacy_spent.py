"""one ledger of privacy loss (hgr.privacy.budgets)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 11:00:00

The epsilon spent on the Beacon's counts (``beacon_epsilon_spent``, over a dataset's life) and
the rho spent on frequency releases (``beacon_rho_spent``, per year) had two tables of the same
shape; both move, row for row, into ``privacy_spent``, named by ledger and period.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_spent",
        sa.Column("ledger", sa.String(16), primary_key=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("spent", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO privacy_spent (ledger, collection_id, holder, period, spent) "
        "SELECT 'epsilon', collection_id, holder, 'all', spent FROM beacon_epsilon_spent"
    )
    op.execute(
        "INSERT INTO privacy_spent (ledger, collection_id, holder, period, spent) "
        "SELECT 'rho', collection_id, holder, CAST(year AS VARCHAR(16)), spent "
        "FROM beacon_rho_spent"
    )
    op.drop_table("beacon_epsilon_spent")
    op.drop_table("beacon_rho_spent")


def downgrade() -> None:
    op.create_table(
        "beacon_epsilon_spent",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("spent", sa.Float, nullable=False),
    )
    op.create_table(
        "beacon_rho_spent",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("spent", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO beacon_epsilon_spent (collection_id, holder, spent) "
        "SELECT collection_id, holder, spent FROM privacy_spent WHERE ledger = 'epsilon'"
    )
    op.execute(
        "INSERT INTO beacon_rho_spent (collection_id, holder, year, spent) "
        "SELECT collection_id, holder, CAST(period AS INTEGER), spent FROM privacy_spent "
        "WHERE ledger = 'rho'"
    )
    op.drop_table("privacy_spent")
