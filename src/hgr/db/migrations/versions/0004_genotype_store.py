"""genotype store

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:17:08.482012
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "genotype_store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column("build", sa.String(length=16), nullable=False),
        sa.Column("vcf_zarr_version", sa.String(length=16), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("variants", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("qc", sa.JSON(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_genotype_store_version")),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_genotype_store_collection_id_collection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotype_store")),
        sa.UniqueConstraint(
            "collection_id", "version", name=op.f("uq_genotype_store_collection_id_version")
        ),
    )
    with op.batch_alter_table("genotype_store", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genotype_store_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "genotype_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_sample_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_genotype_sample_sample_id_sample")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["genotype_store.id"],
            name=op.f("fk_genotype_sample_store_id_genotype_store"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotype_sample")),
        sa.UniqueConstraint(
            "store_id", "position", name=op.f("uq_genotype_sample_store_id_position")
        ),
        sa.UniqueConstraint(
            "store_id", "sample_id", name=op.f("uq_genotype_sample_store_id_sample_id")
        ),
    )
    with op.batch_alter_table("genotype_sample", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genotype_sample_sample_id"), ["sample_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_genotype_sample_store_id"), ["store_id"], unique=False)

    op.create_table(
        "genotype_sample_qc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("call_rate", sa.Float(), nullable=False),
        sa.Column("heterozygosity", sa.Float(), nullable=True),
        sa.Column("ti_tv", sa.Float(), nullable=True),
        sa.Column("x_f", sa.Float(), nullable=True),
        sa.Column("x_sites", sa.Integer(), nullable=False),
        sa.Column("y_call_rate", sa.Float(), nullable=True),
        sa.Column("inferred_sex", sa.String(length=16), nullable=False),
        sa.Column("declared_sex", sa.String(length=16), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_genotype_sample_qc_sample_id_sample")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["genotype_store.id"],
            name=op.f("fk_genotype_sample_qc_store_id_genotype_store"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotype_sample_qc")),
        sa.UniqueConstraint(
            "store_id", "sample_id", name=op.f("uq_genotype_sample_qc_store_id_sample_id")
        ),
    )
    with op.batch_alter_table("genotype_sample_qc", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genotype_sample_qc_sample_id"), ["sample_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_genotype_sample_qc_store_id"), ["store_id"], unique=False
        )

    op.create_table(
        "genotype_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("data_file_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("header_lines", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("sample_offset", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_file_id"],
            ["data_file.id"],
            name=op.f("fk_genotype_source_data_file_id_data_file"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["genotype_store.id"],
            name=op.f("fk_genotype_source_store_id_genotype_store"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotype_source")),
    )
    with op.batch_alter_table("genotype_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genotype_source_data_file_id"), ["data_file_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_genotype_source_store_id"), ["store_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("genotype_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genotype_source_store_id"))
        batch_op.drop_index(batch_op.f("ix_genotype_source_data_file_id"))

    op.drop_table("genotype_source")
    with op.batch_alter_table("genotype_sample_qc", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genotype_sample_qc_store_id"))
        batch_op.drop_index(batch_op.f("ix_genotype_sample_qc_sample_id"))

    op.drop_table("genotype_sample_qc")
    with op.batch_alter_table("genotype_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genotype_sample_store_id"))
        batch_op.drop_index(batch_op.f("ix_genotype_sample_sample_id"))

    op.drop_table("genotype_sample")
    with op.batch_alter_table("genotype_store", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genotype_store_collection_id"))

    op.drop_table("genotype_store")
