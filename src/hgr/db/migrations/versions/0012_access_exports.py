"""access filings, export packages, withdrawal notices, and the recipient's key

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("donors", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_request.id"],
            name=op.f("fk_access_export_request_id_access_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_export")),
        sa.UniqueConstraint("number", name=op.f("uq_access_export_number")),
    )
    op.create_index(
        op.f("ix_access_export_request_id"), "access_export", ["request_id"], unique=False
    )
    op.create_table(
        "access_filing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("backup_sha256", sa.String(length=64), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_request.id"],
            name=op.f("fk_access_filing_request_id_access_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_filing")),
        sa.UniqueConstraint("request_id", name=op.f("uq_access_filing_request_id")),
    )
    op.create_table(
        "withdrawal_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("donor", sa.String(length=64), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["access_export.id"],
            name=op.f("fk_withdrawal_notice_export_id_access_export"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_request.id"],
            name=op.f("fk_withdrawal_notice_request_id_access_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_notice")),
        sa.UniqueConstraint(
            "export_id", "donor", name=op.f("uq_withdrawal_notice_export_id_donor")
        ),
    )
    op.create_index(
        op.f("ix_withdrawal_notice_request_id"), "withdrawal_notice", ["request_id"], unique=False
    )
    with op.batch_alter_table("access_request") as batch:
        batch.add_column(sa.Column("recipient_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_request") as batch:
        batch.drop_column("recipient_key")
    op.drop_index(op.f("ix_withdrawal_notice_request_id"), table_name="withdrawal_notice")
    op.drop_table("withdrawal_notice")
    op.drop_table("access_filing")
    op.drop_index(op.f("ix_access_export_request_id"), table_name="access_export")
    op.drop_table("access_export")
