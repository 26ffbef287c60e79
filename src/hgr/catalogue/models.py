"""The catalogue of important genetic pedigrees and specific-region resources."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = ["CatalogueEntry", "CatalogueStatus"]


class CatalogueStatus(StrEnum):
    """The states of a catalogue entry: declared by the institution, decided by the province,
    registered or rejected by the nation."""

    DECLARED = "declared"
    PROVINCE_APPROVED = "province_approved"
    PROVINCE_REJECTED = "province_rejected"
    REGISTERED = "registered"
    REJECTED = "rejected"


class CatalogueEntry(Sealed, Base):
    """One declared resource and where it stands: declared by the institution that found it,
    reviewed by its province, registered by the nation (IR Arts. 24-26).

    ``kind`` is ``pedigree`` (a family, ``subject`` its code) or ``region`` (a population of a
    specific region, ``subject`` the population, ``region`` the region's code). ``evidence``
    holds what hgr checked by itself; ``pedigree`` the family as drawn, members known only by
    their place in it, so that a provincial or national node can draw it without the
    registry; ``declaration`` the digest of the signed document the entry arrived in (None
    where it was declared on this node). ``protected`` is set on registration and read by the
    policy engine.
    """

    __tablename__ = "catalogue_entry"
    __sealed__ = (
        "kind",
        "institution",
        "province",
        "subject",
        "region",
        "condition",
        "trait",
        "generations",
        "affected",
        "evidence",
        "pedigree",
        "declaration",
        "status",
        "review_note",
        "number",
        "protected",
        "declared_at",
        "updated_at",
    )
    __table_args__ = (UniqueConstraint("kind", "institution", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    institution: Mapped[str] = mapped_column(String(64), index=True)
    province: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(32))
    condition: Mapped[str | None] = mapped_column(String(64))
    trait: Mapped[str] = mapped_column(Text)
    generations: Mapped[int] = mapped_column(Integer)
    affected: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict[str, Any]] = mapped_column()
    pedigree: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    declaration: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    review_note: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
