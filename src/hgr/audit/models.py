"""Tables of the audit log: events, their place in the Merkle tree, and signed checkpoints.

``audit_event`` is written in the same transaction as the change or read it records. The
sequencer (:func:`hgr.audit.log.integrate`) later gives each event the next leaf of the tree in
``audit_leaf`` and stores the hashes of completed perfect subtrees in ``audit_node``, the way
Trillian's sequencer integrates queued leaves. All four tables are append-only: triggers
created by migration 0002 reject UPDATE and DELETE. Every event carries ``seq``, a gapless number
in commit order (migration 0018), and leaf ``n`` is always event ``seq = n``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hgr.db import Base

__all__ = [
    "APPEND_ONLY_TABLES",
    "AuditCheckpoint",
    "AuditCounter",
    "AuditEvent",
    "AuditLeaf",
    "AuditNode",
]

# BIGINT keys, except on SQLite where only INTEGER PRIMARY KEY auto-increments (rowid).
_BigId = BigInteger().with_variant(Integer, "sqlite")

APPEND_ONLY_TABLES = ("audit_event", "audit_leaf", "audit_node", "audit_checkpoint")


class AuditEvent(Base):
    """One audited action: who did what to which record, when, on what grounds, with what outcome.

    ``body`` is the canonical JSON (sorted keys, no spaces; RFC 8785 for the value types used)
    of every other field; the leaf hash is computed over it, and verification checks that the
    columns still say what the body says. ``seq`` is the event's gapless number in commit
    order: given at commit on PostgreSQL (so it is NULL inside the writing transaction), at
    insert on SQLite.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(300), index=True)
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))
    grounds: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    seq: Mapped[int | None] = mapped_column(_BigId, unique=True, index=True)


class AuditCounter(Base):
    """PostgreSQL's count of numbered events: the next ``seq`` to give (one row, ``id`` 1).

    Verification compares it with the events present, so events deleted from the end of the
    log before they were integrated are caught too.
    """

    __tablename__ = "audit_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next: Mapped[int] = mapped_column(_BigId)


class AuditLeaf(Base):
    """An event's position in the tree (0-based, gap-free) and its RFC 6962 leaf hash."""

    __tablename__ = "audit_leaf"

    seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), unique=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditNode(Base):
    """The hash of the perfect subtree of 2**level leaves starting at leaf ``index * 2**level``."""

    __tablename__ = "audit_node"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed tree head: the tree's size and root at a moment, signed with the node's key.

    ``note`` is the signed text in the C2SP tlog-checkpoint layout (origin, size, base64 root,
    then a ``time`` extension line); ``signature`` is Ed25519 over it.
    """

    __tablename__ = "audit_checkpoint"

    size: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
