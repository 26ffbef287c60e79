"""seals on every registry and governance row (hgr.db.seals)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 04:30:00

Every sealed table gets its ``seal`` column. Seals now cover the row's id too, so the seals
of donor, sample and consent rows made before are recomputed by ``hgr audit reseal`` after an
operator has checked ``hgr audit verify --records``: this migration clears them, and rows
made before carry no seal until then (the migration has no key to seal with).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TABLES = (
    "region",
    "institution",
    "collection",
    "donor_phenotype",
    "donor_diagnosis",
    "ethics_approval",
    "family",
    "pedigree_member",
    "pedigree_affection",
    "data_file",
    "import_batch",
    "access_request",
    "access_review",
    "access_filing",
    "access_export",
    "withdrawal_notice",
    "debarment_entry",
    "control_relation",
    "catalogue_entry",
    "organisation",
    "organisation_control",
    "organisation_identifier",
    "organisation_name",
    "survey_cycle",
    "survey_document",
    "survey_key",
    "genotype_store",
    "genotype_source",
    "genotype_sample",
    "genotype_sample_qc",
    "donor_link",
    "record_version",
    "beacon_dataset",
)
RESEALED = ("donor", "sample", "consent")

# Survey documents stay append-only, but the node seals each one once, right after storing it
# (the seal needs the row's id): an UPDATE that only fills an empty seal is let through.
DOCUMENT_COLUMNS = (
    "id",
    "kind",
    "cycle",
    "subject",
    "version",
    "replaces",
    "body",
    "sha256",
    "signer",
    "key_id",
    "signature",
    "received_at",
)
PG_SEAL_ONCE = """
CREATE OR REPLACE FUNCTION hgr_survey_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seal IS NULL AND NEW.seal IS NOT NULL
       AND (to_jsonb(NEW) - 'seal') = (to_jsonb(OLD) - 'seal') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'survey documents are append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$
"""
PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION hgr_survey_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'survey documents are append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$
"""
_SQLITE_UPDATE = (
    "CREATE TRIGGER survey_document_no_update BEFORE UPDATE ON survey_document "
    "{when}BEGIN SELECT RAISE(ABORT, 'survey documents are append-only: UPDATE "
    "on survey_document refused'); END"
)


def _document_trigger(seal_once: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_SEAL_ONCE if seal_once else PG_APPEND_ONLY)
        return
    # Dropping a column on SQLite remakes the table without its triggers: both are made again.
    op.execute("DROP TRIGGER IF EXISTS survey_document_no_update")
    op.execute("DROP TRIGGER IF EXISTS survey_document_no_delete")
    op.execute(
        "CREATE TRIGGER survey_document_no_delete BEFORE DELETE ON survey_document "
        "BEGIN SELECT RAISE(ABORT, 'survey documents are append-only: DELETE on "
        "survey_document refused'); END"
    )
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in DOCUMENT_COLUMNS)
    when = f"WHEN NOT (OLD.seal IS NULL AND NEW.seal IS NOT NULL AND {same}) "
    op.execute(_SQLITE_UPDATE.format(when=when if seal_once else ""))


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
    for table in RESEALED:
        op.execute(sa.text(f"UPDATE {table} SET seal = NULL"))
    _document_trigger(seal_once=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("seal")
    _document_trigger(seal_once=False)
