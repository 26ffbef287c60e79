"""Inserting rows that may already be there, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hgr.db.base import Base

__all__ = ["insert_missing"]


def insert_missing(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``model``'s table, leaving alone any whose key is already taken
    (``INSERT .. ON CONFLICT DO NOTHING``): the row already there, perhaps written by a
    concurrent transaction, stands."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    make = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # On the table, not the mapped class: the same statement, run as one executemany rather
    # than through the ORM's bulk-insert machinery, which costs more than the insert on the
    # ledgers' hot path (every Beacon question). The session still flushes what is pending.
    table = cast(Table, model.__table__)
    session.execute(make(table).on_conflict_do_nothing(), list(rows))
