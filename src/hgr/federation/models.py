"""Tables of what nodes send one another: signed documents, and the keys trusted to sign them.

Every document (a survey cycle's definition, an institution return, a provincial or national
edition; a catalogue declaration, review or register; a national debarment list) is stored as
the exact canonical JSON that was signed, with its SHA-256 and Ed25519 signature. The table is
append-only, like the audit log: a correction is a new version that names the digest of the
one it replaces (docs/architecture.md). The tables keep the names they were created with
(``survey_document``, ``survey_key``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base
from hgr.db.seals import Sealed

__all__ = ["SignedDocument", "TrustedKey"]


class SignedDocument(Sealed, Base):
    """One signed document exchanged between nodes, exactly as signed.

    ``kind`` is ``cycle``, ``return``, ``province`` or ``nation``; ``subject`` the code of the
    institution, province or nation it speaks for; ``replaces`` the SHA-256 of the version it
    corrects (None for a first version).
    """

    __tablename__ = "survey_document"
    __sealed__ = (
        "kind",
        "cycle",
        "subject",
        "version",
        "replaces",
        "body",
        "sha256",
        "signer",
        "key_id",
        "signature",
        "received_at",
    )
    __table_args__ = (UniqueConstraint("kind", "cycle", "subject", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    replaces: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    signer: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    signature: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TrustedKey(Sealed, Base):
    """A public key trusted to sign for one institution, province or the nation."""

    __tablename__ = "survey_key"
    __sealed__ = ("level", "subject", "signer", "public_key", "key_id", "added_at")
    __table_args__ = (UniqueConstraint("level", "subject", "key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))  # institution | province | nation
    subject: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64))  # hex of the raw Ed25519 key
    key_id: Mapped[str] = mapped_column(String(8))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
