"""debarment list and control relations

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("controller", sa.String(length=100), nullable=False),
        sa.Column("controlled", sa.String(length=100), nullable=False),
        sa.Column("basis", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_relation")),
        sa.UniqueConstraint(
            "controller", "controlled", name=op.f("uq_control_relation_controller_controlled")
        ),
    )
    op.create_index(
        op.f("ix_control_relation_controlled"), "control_relation", ["controlled"], unique=False
    )
    op.create_index(
        op.f("ix_control_relation_controller"), "control_relation", ["controller"], unique=False
    )
    op.create_table(
        "debarment_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("ground", sa.Text(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("representations", sa.JSON(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("standstill_ends", sa.Date(), nullable=True),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("expected_end", sa.Date(), nullable=True),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debarment_entry")),
        sa.UniqueConstraint("number", name=op.f("uq_debarment_entry_number")),
    )
    op.create_index(op.f("ix_debarment_entry_status"), "debarment_entry", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_debarment_entry_status"), table_name="debarment_entry")
    op.drop_table("debarment_entry")
    op.drop_index(op.f("ix_control_relation_controller"), table_name="control_relation")
    op.drop_index(op.f("ix_control_relation_controlled"), table_name="control_relation")
    op.drop_table("control_relation")
