"""the beacon: per-dataset exposure, the disclosure ledger, and users' countries

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("country", sa.String(2), nullable=False, server_default=""))
    op.create_table(
        "beacon_dataset",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("anonymous", sa.String(16), nullable=False),
        sa.Column("registered", sa.String(16), nullable=False),
        sa.Column("controlled", sa.String(16), nullable=False),
        sa.Column("min_carriers", sa.Integer, nullable=False),
        sa.Column("count_floor", sa.Integer, nullable=False),
        sa.Column("count_step", sa.Integer, nullable=False),
        sa.Column("count_epsilon", sa.Float, nullable=False),
        sa.Column("epsilon_budget", sa.Float, nullable=False),
        sa.Column("evidence_budget", sa.Float, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "beacon_allele",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("allele", sa.String(400), primary_key=True),
        sa.Column("shown", sa.Boolean, nullable=False),
        sa.Column("carriers", sa.Integer, nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
    )
    op.create_table(
        "beacon_donor_budget",
        sa.Column(
            "donor_id", sa.Integer, sa.ForeignKey("donor.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("spent", sa.Float, nullable=False),
    )
    op.create_table(
        "beacon_count_release",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("question", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("released_at", TZ, nullable=False),
    )
    op.create_table(
        "beacon_epsilon_spent",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("spent", sa.Float, nullable=False),
    )
    op.create_table(
        "beacon_requester_budget",
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("questions", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "beacon_requester_budget",
        "beacon_epsilon_spent",
        "beacon_count_release",
        "beacon_donor_budget",
        "beacon_allele",
        "beacon_dataset",
    ):
        op.drop_table(table)
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("country")
