"""numbering: a counter per series and year (requests, debarment cases)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 01:50:00

The counters start where the numbers already given end.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SERIES = {"REQ": "access_request", "DEB": "debarment_entry"}


def upgrade() -> None:
    counters = op.create_table(
        "number_counter",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_number_counter")),
    )
    bind = op.get_bind()
    rows: list[dict[str, object]] = []
    for series, table in SERIES.items():
        last: dict[int, int] = {}
        for (number,) in bind.execute(sa.text(f"SELECT number FROM {table}")):
            found = re.fullmatch(rf"{series}-(\d{{4}})-(\d+)", number or "")
            if found:
                year, n = int(found[1]), int(found[2])
                last[year] = max(last.get(year, 0), n)
        rows.extend({"series": series, "year": y, "last": n} for y, n in last.items())
    if rows:
        op.bulk_insert(counters, rows)


def downgrade() -> None:
    op.drop_table("number_counter")
