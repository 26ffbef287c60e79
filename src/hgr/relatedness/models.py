"""Registry tables of the relatedness engine."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = ["DonorLink"]


class DonorLink(Sealed, Base):
    """Two donor records, usually at two institutions, that genotypes show to be related.

    ``relationship`` is ``duplicate`` when they are one person (the survey then counts them
    once), or a relative class (``parent-offspring``, ``full-siblings``)
    found by the optional relatives search. Donors are named as institutions know them in
    the registry: institution code and keyed pseudonym. A national node holds links without
    holding the donor records themselves, and each institution's survey return counts its
    donors under the same pseudonyms. The pair is stored in sorted order. The evidence is
    kept with the link: KING-robust kinship, IBS0 and discordance over the fingerprint sites
    both were called at, and the panel used.
    """

    __tablename__ = "donor_link"
    __sealed__ = (
        "institution_a",
        "donor_a",
        "institution_b",
        "donor_b",
        "relationship",
        "kinship",
        "ibs0",
        "discordance",
        "n_sites",
        "panel_id",
        "created_at",
    )
    __table_args__ = (UniqueConstraint("institution_a", "donor_a", "institution_b", "donor_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_a: Mapped[str] = mapped_column(String(64), index=True)
    donor_a: Mapped[str] = mapped_column(String(64))
    institution_b: Mapped[str] = mapped_column(String(64), index=True)
    donor_b: Mapped[str] = mapped_column(String(64))
    relationship: Mapped[str] = mapped_column(String(32))
    kinship: Mapped[float] = mapped_column(Float)
    ibs0: Mapped[float] = mapped_column(Float)
    discordance: Mapped[float] = mapped_column(Float)
    n_sites: Mapped[int] = mapped_column(Integer)
    panel_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
