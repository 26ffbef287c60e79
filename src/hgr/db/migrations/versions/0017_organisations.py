"""the organisation registry: organisations, names, identifiers and control

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _fact() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("verified_by", sa.String(100), nullable=False),
    ]


def _owner(table: str, column: str = "organisation_id") -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey("organisation.id", name=op.f(f"fk_{table}_{column}_organisation")),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        *_fact(),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("key", name=op.f("uq_organisation_key")),
    )
    op.create_table(
        "organisation_name",
        sa.Column("id", sa.Integer(), nullable=False),
        _owner("organisation_name"),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("former", sa.Boolean(), nullable=False),
        sa.Column("normalised", sa.String(300), nullable=False),
        *_fact(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_name")),
        sa.UniqueConstraint(
            "organisation_id", "name", name=op.f("uq_organisation_name_organisation_id_name")
        ),
    )
    op.create_index(
        op.f("ix_organisation_name_organisation_id"),
        "organisation_name",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organisation_name_normalised"), "organisation_name", ["normalised"], unique=False
    )
    op.create_table(
        "organisation_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        _owner("organisation_identifier"),
        sa.Column("identifier", sa.String(100), nullable=False),
        *_fact(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_identifier")),
        sa.UniqueConstraint("identifier", name=op.f("uq_organisation_identifier_identifier")),
    )
    op.create_index(
        op.f("ix_organisation_identifier_organisation_id"),
        "organisation_identifier",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "organisation_control",
        sa.Column("id", sa.Integer(), nullable=False),
        _owner("organisation_control", "controller_id"),
        _owner("organisation_control", "controlled_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("share", sa.Float(), nullable=True),
        *_fact(),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "controller_id <> controlled_id", name=op.f("ck_organisation_control_not_itself")
        ),
        sa.CheckConstraint(
            "share IS NULL OR (share > 0 AND share <= 100)",
            name=op.f("ck_organisation_control_share_pct"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_control")),
        sa.UniqueConstraint(
            "controller_id",
            "controlled_id",
            "kind",
            name=op.f("uq_organisation_control_controller_id_controlled_id_kind"),
        ),
    )
    for column in ("controller_id", "controlled_id"):
        op.create_index(
            op.f(f"ix_organisation_control_{column}"),
            "organisation_control",
            [column],
            unique=False,
        )


def downgrade() -> None:
    for table in (
        "organisation_control",
        "organisation_identifier",
        "organisation_name",
        "organisation",
    ):
        op.drop_table(table)
