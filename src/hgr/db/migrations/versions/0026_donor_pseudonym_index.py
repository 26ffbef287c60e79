"""donor pseudonym index: a donor found by pseudonym alone (a sample's or a consent's donor)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 14:45:00

The unique key (institution_id, pseudonym) serves lookups that name the institution through the
donor itself. A listing of an institution's samples by their donor names the institution
through the sample, so PostgreSQL read the whole donor table to find one pseudonym (200 ms at a
million donors, on every donor's page).
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_donor_pseudonym", "donor", ["pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_donor_pseudonym", table_name="donor")
