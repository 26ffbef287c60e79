"""Access requests and their reviews."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = [
    "AccessReview",
    "ExportPackage",
    "Filing",
    "RequestRecord",
    "RequestStatus",
    "WithdrawalNotice",
]


class RequestStatus(StrEnum):
    """The states of an access request."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CLOSED = "closed"


class RequestRecord(Sealed, Base):
    """An access request as submitted (``body``: the request's fields), the policy decision it
    received (``decision``), and where it stands."""

    __tablename__ = "access_request"
    __sealed__ = (
        "number",
        "requester",
        "status",
        "body",
        "outcome",
        "decision",
        "reviews_needed",
        "submitted_on",
        "due_on",
        "decided_on",
        "active_from",
        "expires_on",
        "note",
        "recipient_key",
        "created_at",
        "updated_at",
    )

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
    # The recipient's Crypt4GH public key (hex), registered before any export.
    recipient_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AccessReview(Sealed, Base):
    """One reviewer's decision on one kind of review of a request."""

    __tablename__ = "access_review"
    __sealed__ = ("request_id", "kind", "reviewer", "organisation", "approve", "note", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dac | ethics | security
    reviewer: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(300))
    approve: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Filing(Sealed, Base):
    """The filing made before an outbound provision (HGR Reg. Art. 28 ¶2): recipient, data,
    legal basis, and the checksum of the information backup deposited with the authority."""

    __tablename__ = "access_filing"
    __sealed__ = ("request_id", "record", "backup_sha256", "filed_on")

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), unique=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    backup_sha256: Mapped[str] = mapped_column(String(64))
    filed_on: Mapped[dt.date] = mapped_column(Date)


class ExportPackage(Sealed, Base):
    """One export made from an active request: which donors (as pseudonyms) and fields went,
    and the digest of its signed manifest."""

    __tablename__ = "access_export"
    __sealed__ = ("request_id", "number", "donors", "fields", "manifest_sha256", "created_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    donors: Mapped[list[str]] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WithdrawalNotice(Sealed, Base):
    """A donor of an export withdrew: the recipient must delete their data (published to the
    recipient through ``GET /access/notices``)."""

    __tablename__ = "withdrawal_notice"
    __sealed__ = ("request_id", "export_id", "donor", "withdrawn_on", "published_at")
    __table_args__ = (UniqueConstraint("export_id", "donor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), index=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("access_export.id"))
    donor: Mapped[str] = mapped_column(String(64))
    withdrawn_on: Mapped[dt.date] = mapped_column(Date)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
