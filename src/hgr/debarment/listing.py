"""The published list as a reader browses it: searched, filtered, with the signed version it
belongs to.

The list is public by design (Procurement Act 2023 s.62; HGR Reg. Art. 43 ¶3: bans are
publicised). A reader searches by name, number, identifier or country, and filters by ground
and by whether the exclusion is mandatory or discretionary (Procurement Act 2023 ss.57-58).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hgr.debarment.cases import public_entries
from hgr.debarment.national import CYCLE, KIND
from hgr.federation.documents import latest_anchored

__all__ = ["ListVersion", "PublishedList", "published_list"]


@dataclass(frozen=True)
class ListVersion:
    """The signed national list this node holds: its version, digest and signature."""

    version: int
    sha256: str
    signer: str
    key_id: str
    received_at: dt.datetime


@dataclass(frozen=True)
class PublishedList:
    """The entries in force that match a search, and what the search can choose from."""

    entries: list[dict[str, Any]]
    in_force: int  # entries in force, before the search
    grounds: list[str]  # every ground of an entry in force, for the filter
    version: ListVersion | None  # None: this node holds no signed national list


def published_list(
    session: Session,
    nation: str,
    *,
    text: str = "",
    ground: str = "",
    mandatory: bool | None = None,
    today: dt.date | None = None,
) -> PublishedList:
    """The entries in force whose number, organisation, country or an identifier contains
    ``text`` (any case), on ``ground`` where one is given, mandatory or discretionary where
    ``mandatory`` says; and the signed national list of ``nation`` held here.

    Raises
    ------
    IntegrityBroken
        The audit log knows a later version of the national list than this node holds.
    """
    rows = public_entries(session, today)
    needle = text.casefold().strip()
    found = [
        row
        for row in rows
        if (not needle or needle in _haystack(row))
        and (not ground or row["ground"] == ground)
        and (mandatory is None or row["mandatory"] is mandatory)
    ]
    kept = latest_anchored(session, KIND, CYCLE, nation)
    version = (
        ListVersion(kept.version, kept.sha256, kept.signer, kept.key_id, kept.received_at)
        if kept is not None
        else None
    )
    return PublishedList(found, len(rows), sorted({str(r["ground"]) for r in rows}), version)


def _haystack(row: dict[str, Any]) -> str:
    parts = [row["number"], row["organisation"], row["country"], *row["identifiers"]]
    return "\n".join(str(p) for p in parts).casefold()
