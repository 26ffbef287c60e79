"""catalogue: declared pedigrees and specific-region resources

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("institution", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=True),
        sa.Column("trait", sa.Text(), nullable=False),
        sa.Column("generations", sa.Integer(), nullable=False),
        sa.Column("affected", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_entry")),
        sa.UniqueConstraint(
            "kind",
            "institution",
            "subject",
            name=op.f("uq_catalogue_entry_kind_institution_subject"),
        ),
        sa.UniqueConstraint("number", name=op.f("uq_catalogue_entry_number")),
    )
    op.create_index(
        op.f("ix_catalogue_entry_institution"), "catalogue_entry", ["institution"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_catalogue_entry_institution"), table_name="catalogue_entry")
    op.drop_table("catalogue_entry")
