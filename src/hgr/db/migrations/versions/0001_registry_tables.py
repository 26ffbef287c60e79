"""registry tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:35:16.550379
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_local", sa.String(length=200), nullable=True),
        sa.Column(
            "level",
            sa.Enum(
                "nation",
                "province",
                "prefecture",
                name="regionlevel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["region.id"], name=op.f("fk_region_parent_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("country", "code", name=op.f("uq_region_country_code")),
    )
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_region_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "hospital",
                "university",
                "research_institute",
                "biobank",
                "company",
                name="institutionkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("legal_person_id", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column(
            "control",
            sa.Enum(
                "domestic",
                "foreign",
                "foreign_controlled",
                name="controlstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("foreign_equity_pct", sa.Float(), nullable=True),
        sa.Column("foreign_voting_pct", sa.Float(), nullable=True),
        sa.Column("control_by_agreement", sa.Boolean(), nullable=False),
        sa.Column("controlling_party", sa.String(length=300), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "foreign_equity_pct IS NULL OR (foreign_equity_pct >= 0 AND foreign_equity_pct <= 100)",
            name=op.f("ck_institution_equity_pct"),
        ),
        sa.CheckConstraint(
            "foreign_voting_pct IS NULL OR (foreign_voting_pct >= 0 AND foreign_voting_pct <= 100)",
            name=op.f("ck_institution_voting_pct"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_institution_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("code", name=op.f("uq_institution_code")),
        sa.UniqueConstraint("legal_person_id", name=op.f("uq_institution_legal_person_id")),
    )
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_institution_region_id"), ["region_id"], unique=False)

    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("material_types", sa.JSON(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("disease_focus", sa.JSON(), nullable=False),
        sa.Column("target_size", sa.Integer(), nullable=True),
        sa.Column("duo_codes", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_collection_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection")),
        sa.UniqueConstraint(
            "institution_id", "code", name=op.f("uq_collection_institution_id_code")
        ),
    )
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "donor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column(
            "sex",
            sa.Enum(
                "male",
                "female",
                "other",
                "unknown",
                name="sex",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("residence_region_id", sa.Integer(), nullable=True),
        sa.Column("population", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1850 AND 2200", name=op.f("ck_donor_birth")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institution.id"], name=op.f("fk_donor_institution_id_institution")
        ),
        sa.ForeignKeyConstraint(
            ["residence_region_id"], ["region.id"], name=op.f("fk_donor_residence_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor")),
        sa.UniqueConstraint(
            "institution_id", "pseudonym", name=op.f("uq_donor_institution_id_pseudonym")
        ),
    )
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_donor_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_donor_residence_region_id"), ["residence_region_id"], unique=False
        )

    op.create_table(
        "family",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=True),
        sa.Column("condition_label", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("generations", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_family_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family")),
        sa.UniqueConstraint("institution_id", "code", name=op.f("uq_family_institution_id_code")),
    )
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_import_batch_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_batch_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("document_version", sa.String(length=64), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("permission", sa.String(length=16), nullable=False),
        sa.Column("disease", sa.String(length=64), nullable=True),
        sa.Column("modifiers", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("time_limit", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "withdrawn",
                "expired",
                "superseded",
                name="consentstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_on IS NOT NULL)",
            name=op.f("ck_consent_withdrawal_date"),
        ),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"], name=op.f("fk_consent_donor_id_donor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
        sa.UniqueConstraint(
            "donor_id", "document_version", name=op.f("uq_consent_donor_id_document_version")
        ),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "data_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "vcf",
                "bcf",
                "plink",
                "cram",
                "bam",
                "fastq",
                "phenotypes",
                "consent_document",
                "other",
                name="filekind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "encryption",
            sa.Enum(
                "none",
                "crypt4gh",
                name="encryption",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_data_file_size")),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collection.id"], name=op.f("fk_data_file_collection_id_collection")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_data_file_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_file")),
        sa.UniqueConstraint(
            "institution_id", "location", name=op.f("uq_data_file_institution_id_location")
        ),
    )
    with op.batch_alter_table("data_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_file_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_data_file_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "donor_diagnosis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["donor_id"],
            ["donor.id"],
            name=op.f("fk_donor_diagnosis_donor_id_donor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_diagnosis")),
        sa.UniqueConstraint(
            "donor_id", "term_id", name=op.f("uq_donor_diagnosis_donor_id_term_id")
        ),
    )
    with op.batch_alter_table("donor_diagnosis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donor_diagnosis_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "donor_phenotype",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"],
            ["donor.id"],
            name=op.f("fk_donor_phenotype_donor_id_donor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_phenotype")),
        sa.UniqueConstraint(
            "donor_id", "term_id", name=op.f("uq_donor_phenotype_donor_id_term_id")
        ),
    )
    with op.batch_alter_table("donor_phenotype", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donor_phenotype_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "ethics_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("committee", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_ethics_approval_validity")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_ethics_approval_collection_id_collection"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_ethics_approval_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ethics_approval")),
        sa.UniqueConstraint(
            "institution_id",
            "committee",
            "reference",
            name=op.f("uq_ethics_approval_institution_id_committee_reference"),
        ),
    )
    with op.batch_alter_table("ethics_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ethics_approval_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ethics_approval_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "pedigree_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("father_id", sa.Integer(), nullable=True),
        sa.Column("mother_id", sa.Integer(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donor.id"], name=op.f("fk_pedigree_member_donor_id_donor")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_pedigree_member_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["father_id"],
            ["pedigree_member.id"],
            name=op.f("fk_pedigree_member_father_id_pedigree_member"),
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"],
            ["pedigree_member.id"],
            name=op.f("fk_pedigree_member_mother_id_pedigree_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pedigree_member")),
        sa.UniqueConstraint(
            "family_id", "donor_id", name=op.f("uq_pedigree_member_family_id_donor_id")
        ),
    )
    with op.batch_alter_table("pedigree_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pedigree_member_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pedigree_member_family_id"), ["family_id"], unique=False
        )

    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column(
            "material_type",
            sa.Enum(
                "whole_blood",
                "serum",
                "plasma",
                "buffy_coat",
                "pbmc",
                "dna",
                "rna",
                "cdna",
                "saliva",
                "urine",
                "feces",
                "tissue_frozen",
                "tissue_ffpe",
                "cell_line",
                "csf",
                "other",
                name="materialtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("collection_date", sa.Date(), nullable=True),
        sa.Column(
            "storage_status",
            sa.Enum(
                "available",
                "reserved",
                "depleted",
                "destroyed",
                "transferred",
                name="storagestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collection.id"], name=op.f("fk_sample_collection_id_collection")
        ),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"], name=op.f("fk_sample_donor_id_donor")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_sample_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample")),
        sa.UniqueConstraint("institution_id", "code", name=op.f("uq_sample_institution_id_code")),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sample_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sample_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sample_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "pedigree_affection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "affected",
                "unaffected",
                "unknown",
                name="affectedstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["pedigree_member.id"],
            name=op.f("fk_pedigree_affection_member_id_pedigree_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pedigree_affection")),
        sa.UniqueConstraint(
            "member_id", "condition", name=op.f("uq_pedigree_affection_member_id_condition")
        ),
    )
    with op.batch_alter_table("pedigree_affection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pedigree_affection_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("pedigree_affection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pedigree_affection_member_id"))

    op.drop_table("pedigree_affection")
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_institution_id"))
        batch_op.drop_index(batch_op.f("ix_sample_donor_id"))
        batch_op.drop_index(batch_op.f("ix_sample_collection_id"))

    op.drop_table("sample")
    with op.batch_alter_table("pedigree_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pedigree_member_family_id"))
        batch_op.drop_index(batch_op.f("ix_pedigree_member_donor_id"))

    op.drop_table("pedigree_member")
    with op.batch_alter_table("ethics_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ethics_approval_institution_id"))
        batch_op.drop_index(batch_op.f("ix_ethics_approval_collection_id"))

    op.drop_table("ethics_approval")
    with op.batch_alter_table("donor_phenotype", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donor_phenotype_donor_id"))

    op.drop_table("donor_phenotype")
    with op.batch_alter_table("donor_diagnosis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donor_diagnosis_donor_id"))

    op.drop_table("donor_diagnosis")
    with op.batch_alter_table("data_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_file_institution_id"))
        batch_op.drop_index(batch_op.f("ix_data_file_collection_id"))

    op.drop_table("data_file")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_donor_id"))

    op.drop_table("consent")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batch_institution_id"))

    op.drop_table("import_batch")
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_institution_id"))

    op.drop_table("family")
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donor_residence_region_id"))
        batch_op.drop_index(batch_op.f("ix_donor_institution_id"))

    op.drop_table("donor")
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_institution_id"))

    op.drop_table("collection")
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_region_id"))

    op.drop_table("institution")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_region_parent_id"))

    op.drop_table("region")
