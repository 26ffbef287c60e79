"""donor links: the same person, or relatives, at two institutions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "donor_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_a", sa.String(length=64), nullable=False),
        sa.Column("donor_a", sa.String(length=64), nullable=False),
        sa.Column("institution_b", sa.String(length=64), nullable=False),
        sa.Column("donor_b", sa.String(length=64), nullable=False),
        sa.Column("relationship", sa.String(length=32), nullable=False),
        sa.Column("kinship", sa.Float(), nullable=False),
        sa.Column("ibs0", sa.Float(), nullable=False),
        sa.Column("discordance", sa.Float(), nullable=False),
        sa.Column("n_sites", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_link")),
        sa.UniqueConstraint(
            "institution_a",
            "donor_a",
            "institution_b",
            "donor_b",
            name=op.f("uq_donor_link_institution_a_donor_a_institution_b_donor_b"),
        ),
    )
    op.create_index(
        op.f("ix_donor_link_institution_a"), "donor_link", ["institution_a"], unique=False
    )
    op.create_index(
        op.f("ix_donor_link_institution_b"), "donor_link", ["institution_b"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_donor_link_institution_b"), table_name="donor_link")
    op.drop_index(op.f("ix_donor_link_institution_a"), table_name="donor_link")
    op.drop_table("donor_link")
