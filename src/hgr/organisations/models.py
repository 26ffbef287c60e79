"""The organisation registry: the organisations the node deals with, their names and legal
identifiers, and who holds or controls them, each fact with its source and who verified it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = ["Organisation", "OrganisationControl", "OrganisationIdentifier", "OrganisationName"]


class Organisation(Sealed, Base):
    """An organisation, known by its registry ``key`` (a short stable name the officer
    chooses, such as ``oxbridge-univ``)."""

    __tablename__ = "organisation"
    __sealed__ = ("key", "country", "source", "verified_by", "recorded_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(500))
    verified_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OrganisationName(Sealed, Base):
    """One name of an organisation in one language, or a former name; ``normalised`` is the
    form names are matched by (hgr.organisations.names)."""

    __tablename__ = "organisation_name"
    __sealed__ = (
        "organisation_id",
        "name",
        "language",
        "former",
        "normalised",
        "source",
        "verified_by",
    )
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(16))
    former: Mapped[bool] = mapped_column(default=False)
    normalised: Mapped[str] = mapped_column(String(300), index=True)
    source: Mapped[str] = mapped_column(String(500))
    verified_by: Mapped[str] = mapped_column(String(100))


class OrganisationIdentifier(Sealed, Base):
    """A legal identifier, written ``SCHEME:VALUE`` (USCC, CH for Companies House, LEI…):
    one organisation's only."""

    __tablename__ = "organisation_identifier"
    __sealed__ = ("organisation_id", "identifier", "source", "verified_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(500))
    verified_by: Mapped[str] = mapped_column(String(100))


class OrganisationControl(Sealed, Base):
    """``controller`` holds ``share`` percent of the equity or the votes of ``controlled``,
    or controls it by agreement (``kind`` ``agreement``, no share)."""

    __tablename__ = "organisation_control"
    __sealed__ = (
        "controller_id",
        "controlled_id",
        "kind",
        "share",
        "source",
        "verified_by",
        "recorded_at",
    )
    __table_args__ = (
        UniqueConstraint("controller_id", "controlled_id", "kind"),
        CheckConstraint("controller_id <> controlled_id", name="not_itself"),
        CheckConstraint("share IS NULL OR (share > 0 AND share <= 100)", name="share_pct"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    controller_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    controlled_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # equity | votes | agreement
    share: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(500))
    verified_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
