"""The debarment list and the control relations it reaches through."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = ["ControlRelation", "DebarmentEntry", "DebarmentStatus"]


class DebarmentStatus(StrEnum):
    """The states of a debarment case."""

    INVESTIGATION = "investigation"
    NOTIFIED = "notified"
    STANDSTILL = "standstill"
    SUSPENDED = "suspended"
    LISTED = "listed"
    CLEARED = "cleared"
    REMOVED = "removed"


class DebarmentEntry(Sealed, Base):
    """One organisation's case, from investigation to listing and removal.

    Modelled on the UK Procurement Act 2023 list (ss.60-65; regulations.md §3.1, UK-P03 to
    UK-P08) and China's bans under HGR Reg. Art. 43 (``regime`` ``cn-art43``): the ground and
    whether it is mandatory, the published reasons, the decision date, the standstill period,
    the listing date, the expected end (at most five years, or permanent) and removal.
    """

    __tablename__ = "debarment_entry"
    __sealed__ = (
        "number",
        "organisation",
        "country",
        "identifiers",
        "regime",
        "ground",
        "mandatory",
        "status",
        "reasons",
        "representations",
        "opened_on",
        "notice_on",
        "decided_on",
        "standstill_ends",
        "listed_on",
        "expected_end",
        "permanent",
        "closed_on",
        "closing_note",
        "updated_at",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(2))
    identifiers: Mapped[list[str]] = mapped_column(JSON)
    regime: Mapped[str] = mapped_column(String(16))  # hgr | uk | cn-art43
    ground: Mapped[str] = mapped_column(Text)
    mandatory: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reasons: Mapped[str] = mapped_column(Text, default="")
    representations: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    notice_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    standstill_ends: Mapped[dt.date | None] = mapped_column(Date)
    listed_on: Mapped[dt.date | None] = mapped_column(Date)
    expected_end: Mapped[dt.date | None] = mapped_column(Date)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closing_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ControlRelation(Sealed, Base):
    """``controller`` owns or controls ``controlled`` (both organisation identifiers), so a
    debarment of the controller reaches the controlled entity."""

    __tablename__ = "control_relation"
    __sealed__ = ("controller", "controlled", "basis", "recorded_at")
    __table_args__ = (UniqueConstraint("controller", "controlled"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    controller: Mapped[str] = mapped_column(String(100), index=True)
    controlled: Mapped[str] = mapped_column(String(100), index=True)
    basis: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
