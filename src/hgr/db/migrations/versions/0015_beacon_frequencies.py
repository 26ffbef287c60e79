"""the beacon: differentially private allele frequencies for approved collaborators

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# The defaults of hgr.beacon.exposure.Exposure, for datasets configured before this revision.
SETTINGS = (
    ("frequency_sd", sa.Float, "0.01"),
    ("frequency_rho", sa.Float, "0.25"),
    ("frequency_rho_per_organisation", sa.Float, "0.125"),
    ("frequency_min_donors", sa.Integer, "50"),
)


def upgrade() -> None:
    with op.batch_alter_table("beacon_dataset") as batch:
        for name, kind, default in SETTINGS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    op.create_table(
        "beacon_frequency_slice",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("store", sa.String(400), primary_key=True),
        sa.Column("slice", sa.String(200), primary_key=True),
        sa.Column("donors", sa.Integer, nullable=False),
        sa.Column("rho", sa.Float, nullable=False),
        sa.Column("released_at", TZ, nullable=False),
    )
    op.create_table(
        "beacon_frequency_release",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("question", sa.String(64), primary_key=True),
        sa.Column("slice", sa.String(200), nullable=False),
        sa.Column("variants", sa.Integer, nullable=False),
        sa.Column("rho", sa.Float, nullable=False),
        sa.Column("noise_sd", sa.Float, nullable=False),
        sa.Column("donors", sa.Integer, nullable=False),
        sa.Column("requester", sa.String(400), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("released_at", TZ, nullable=False),
    )
    op.create_table(
        "beacon_rho_spent",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collection.id"), primary_key=True),
        sa.Column("holder", sa.String(400), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("spent", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("beacon_rho_spent", "beacon_frequency_release", "beacon_frequency_slice"):
        op.drop_table(table)
    with op.batch_alter_table("beacon_dataset") as batch:
        for name, _kind, _default in SETTINGS:
            batch.drop_column(name)
