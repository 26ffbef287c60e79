"""survey: cycles, signed survey documents (append-only), trusted signing keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Signed documents are never changed or removed: a correction is a new version.
PG_FUNCTION = """
CREATE FUNCTION hgr_survey_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'survey documents are append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "survey_cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("institution_due", sa.Date(), nullable=False),
        sa.Column("province_due", sa.Date(), nullable=False),
        sa.Column("national_due", sa.Date(), nullable=False),
        sa.Column("dictionary", sa.JSON(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_cycle")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_cycle_code")),
    )
    op.create_table(
        "survey_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cycle", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("replaces", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_document")),
        sa.UniqueConstraint(
            "kind",
            "cycle",
            "subject",
            "version",
            name=op.f("uq_survey_document_kind_cycle_subject_version"),
        ),
        sa.UniqueConstraint("sha256", name=op.f("uq_survey_document_sha256")),
    )
    op.create_index(op.f("ix_survey_document_cycle"), "survey_document", ["cycle"], unique=False)
    op.create_table(
        "survey_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_key")),
        sa.UniqueConstraint(
            "level", "subject", "key_id", name=op.f("uq_survey_key_level_subject_key_id")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER survey_document_append_only BEFORE UPDATE OR DELETE ON "
            "survey_document FOR EACH ROW EXECUTE FUNCTION hgr_survey_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER survey_document_no_{verb.lower()} BEFORE {verb} ON "
                f"survey_document BEGIN SELECT RAISE(ABORT, 'survey documents are "
                f"append-only: {verb} on survey_document refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER survey_document_append_only ON survey_document")
        op.execute("DROP FUNCTION hgr_survey_append_only()")
    op.drop_table("survey_key")
    op.drop_index(op.f("ix_survey_document_cycle"), table_name="survey_document")
    op.drop_table("survey_document")
    op.drop_table("survey_cycle")
