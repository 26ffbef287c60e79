"""Access requests and their reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base

__all__ = ["AccessReview", "RequestRecord"]


class RequestRecord(Base):
    """An access request as submitted (``body``: the request's fields), the policy decision it
    received (``decision``), and where it stands."""

    __tablename__ = "access_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    requester: Mapped[str] = mapped_column(String(100), index=True)  # the user's name
    status: Mapped[str] = mapped_column(String(16), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reviews_needed: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    active_from: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AccessReview(Base):
    """One reviewer's decision on one kind of review of a request."""

    __tablename__ = "access_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dac | ethics | security
    reviewer: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(300))
    approve: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
