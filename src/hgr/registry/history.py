"""The history of every registered record: each change keeps the values before and after.

An import that updates a record, and a sample moved to another donor, write one
:class:`RecordVersion` per changed row in the same transaction as the change: who made it, when,
by which import batch or operation, and every field's value before and after. Nothing in the
registry is overwritten without one. ``hgr history ENTITY KEY`` and ``GET
/registry/{entity}/history`` show them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Table, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hgr.db.base import Base
from hgr.db.seals import Sealed, Sealing, allocate_ids, plain
from hgr.exceptions import NotFound, UsageError
from hgr.registry import models as m
from hgr.registry.entity_names import HISTORY_TABLES

__all__ = [
    "HISTORY_TABLES",
    "FieldChange",
    "RecordVersion",
    "find_row",
    "history",
    "keep_versions",
    "versions_of",
]


class RecordVersion(Sealed, Base):
    """One change to one registry row: the fields it changed, before and after."""

    __tablename__ = "record_version"
    __sealed__ = ("table_name", "row_id", "at", "actor", "source", "changes")
    __table_args__ = (Index("ix_record_version_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(200))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


@dataclass(frozen=True)
class FieldChange:
    """A field of a registered row that an import or an operation changes.

    ``record`` names the row as the institution knows it (``donor DLC-003``), for the person
    importing, who gave that identifier; it is never stored, since a donor's own identifier
    never is (hgr.registry.models). ``row_id`` is the registry's own id of the row, and the
    values are stored as they stand in the registry.
    """

    table: str
    row_id: int
    record: str
    field: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "record": self.record,
            "field": self.field,
            "before": plain(self.before),
            "after": plain(self.after),
        }

    def as_version(self) -> dict[str, Any]:
        """What a version keeps of the change: its row names the table and the row."""
        return {"field": self.field, "before": plain(self.before), "after": plain(self.after)}


def keep_versions(
    session: Session, changes: Iterable[FieldChange], *, actor: str, source: str, at: dt.datetime
) -> int:
    """Write one version per changed row (its fields before and after); returns how many."""
    by_row: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        by_row[(change.table, change.row_id)].append(change.as_version())
    rows = [
        {
            "table_name": table,
            "row_id": row_id,
            "at": at,
            "actor": actor[:300],
            "source": source[:200],
            "changes": fields,
        }
        for (table, row_id), fields in by_row.items()
    ]
    if rows:
        table = cast(Table, RecordVersion.__table__)
        sealing = Sealing(session)
        for row, row_id in zip(rows, allocate_ids(session, table, len(rows)), strict=True):
            row["id"] = row_id
            sealing.inserted(table.name, row)
        session.execute(table.insert(), rows)
    return len(rows)


def versions_of(session: Session, table: str, row_id: int) -> list[RecordVersion]:
    """Every version of one row, oldest first."""
    return list(
        session.scalars(
            select(RecordVersion)
            .where(RecordVersion.table_name == table, RecordVersion.row_id == row_id)
            .order_by(RecordVersion.id)
        )
    )


def find_row(
    session: Session,
    entity: str,
    key: str,
    institution: str | None,
    pseudonym: Callable[[str, str], str],
) -> tuple[str, list[int]]:
    """The table and row ids whose versions tell ``entity`` ``key``'s history (for a donor,
    also their pedigree memberships). ``key`` is the institution's own identifier; a donor's
    is turned into its pseudonym with ``pseudonym(institution, key)``.

    Raises NotFound (``E_NOT_FOUND``), or UsageError for an entity without a history.
    """
    if entity not in HISTORY_TABLES:
        raise UsageError(
            f"history is kept for {', '.join(HISTORY_TABLES)}, not {entity}", code="E_NO_HISTORY"
        )
    if entity == "institutions":
        found = session.scalar(select(m.Institution.id).where(m.Institution.code == key))
        return "institution", _found(found, entity, key)
    if not institution:
        raise UsageError(
            f"name the institution whose {entity} these are (--institution)",
            code="E_HISTORY_INSTITUTION",
        )
    owner = select(m.Institution.id).where(m.Institution.code == institution).scalar_subquery()
    model: Any = {
        "donors": m.Donor,
        "samples": m.Sample,
        "collections": m.Collection,
        "families": m.Family,
    }[entity]
    column = model.pseudonym if entity == "donors" else model.code
    value = pseudonym(institution, key) if entity == "donors" else key
    found = session.scalar(select(model.id).where(model.institution_id == owner, column == value))
    return HISTORY_TABLES[entity], _found(found, entity, key)


def _found(row_id: int | None, entity: str, key: str) -> list[int]:
    if row_id is None:
        raise NotFound(f"no {entity} record {key}", code="E_NOT_FOUND")
    return [row_id]


def history(session: Session, table: str, row_ids: list[int]) -> list[dict[str, Any]]:
    """Every change to the rows, oldest first, one line per field: when, who, by what, the
    value before and after (a donor's pedigree links included)."""
    wanted = RecordVersion.table_name == table
    if table == "donor":
        members = select(m.PedigreeMember.id).where(m.PedigreeMember.donor_id.in_(row_ids))
        wanted = (wanted & RecordVersion.row_id.in_(row_ids)) | (
            (RecordVersion.table_name == "pedigree_member") & RecordVersion.row_id.in_(members)
        )
    else:
        wanted = wanted & RecordVersion.row_id.in_(row_ids)
    lines = []
    for version in session.scalars(select(RecordVersion).where(wanted).order_by(RecordVersion.id)):
        for change in version.changes:
            lines.append(
                {
                    "at": version.at.isoformat(timespec="seconds"),
                    "by": version.actor,
                    "source": version.source,
                    "table": version.table_name,
                    "field": change["field"],
                    "before": change["before"],
                    "after": change["after"],
                }
            )
    return lines
