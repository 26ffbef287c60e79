"""access requests, their reviews, and the organisation of each user

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("requester", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("reviews_needed", sa.JSON(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_request")),
        sa.UniqueConstraint("number", name=op.f("uq_access_request_number")),
    )
    op.create_index(
        op.f("ix_access_request_requester"), "access_request", ["requester"], unique=False
    )
    op.create_index(op.f("ix_access_request_status"), "access_request", ["status"], unique=False)
    op.create_table(
        "access_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("approve", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_request.id"],
            name=op.f("fk_access_review_request_id_access_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_review")),
    )
    op.create_index(
        op.f("ix_access_review_request_id"), "access_review", ["request_id"], unique=False
    )
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("organisation", sa.String(length=300), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("organisation")
    op.drop_index(op.f("ix_access_review_request_id"), table_name="access_review")
    op.drop_table("access_review")
    op.drop_index(op.f("ix_access_request_status"), table_name="access_request")
    op.drop_index(op.f("ix_access_request_requester"), table_name="access_request")
    op.drop_table("access_request")
