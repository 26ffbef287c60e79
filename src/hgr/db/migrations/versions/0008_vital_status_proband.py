"""vital status of donors and the proband of a family, for pedigree drawings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 15:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table so that the CHECK constraint comes with the column.
    with op.batch_alter_table("donor") as batch:
        batch.add_column(
            sa.Column(
                "vital_status",
                sa.Enum(
                    "alive",
                    "deceased",
                    "unknown",
                    name="vitalstatus",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="unknown",
            )
        )
    with op.batch_alter_table("pedigree_member") as batch:
        batch.add_column(
            sa.Column("proband", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("pedigree_member") as batch:
        batch.drop_column("proband")
    with op.batch_alter_table("donor") as batch:
        batch.drop_column("vital_status")
