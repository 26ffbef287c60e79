"""Tables of the survey: its cycles (the signed documents it exchanges are kept by
``hgr.federation.models``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = ["SurveyCycle"]


class SurveyCycle(Sealed, Base):
    """A survey cycle as opened by the national authority: period, dates and dictionary."""

    __tablename__ = "survey_cycle"
    __sealed__ = (
        "code",
        "kind",
        "title",
        "period_start",
        "period_end",
        "reference_date",
        "institution_due",
        "province_due",
        "national_due",
        "dictionary",
        "document_sha256",
        "opened_at",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # five_year | ad_hoc
    title: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    reference_date: Mapped[dt.date] = mapped_column(Date)
    institution_due: Mapped[dt.date] = mapped_column(Date)
    province_due: Mapped[dt.date] = mapped_column(Date)
    national_due: Mapped[dt.date] = mapped_column(Date)
    dictionary: Mapped[dict[str, Any]] = mapped_column()
    document_sha256: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
