"""the status of an ethics approval: active, suspended or withdrawn

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 16:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ethics_approval") as batch:
        batch.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "active",
                    "suspended",
                    "withdrawn",
                    name="ethicsstatus",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="active",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ethics_approval") as batch:
        batch.drop_column("status")
