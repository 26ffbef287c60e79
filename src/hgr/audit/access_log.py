"""What the node records of who asked for what: refused requests, each in a transaction of
its own, and reads of the audit log itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.audit.log import Actor, record
from hgr.audit.models import AuditEvent
from hgr.db import Database

__all__ = ["read_events", "record_denied"]


def record_denied(
    db: Database,
    by: Actor,
    action: str,
    target: str,
    grounds: str,
    request_id: str = "",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Audit a refused request (ASVS 16.3.1, 16.3.2) in a transaction of its own, so that the
    refusal is kept whatever becomes of the request's work."""
    with db.transaction() as session:
        record(
            session,
            by,
            action,
            target,
            outcome="denied",
            grounds=grounds,
            request_id=request_id,
            detail=detail,
        )


def read_events(
    session: Session, by: Actor, *, limit: int, offset: int, grounds: str, request_id: str = ""
) -> tuple[list[tuple[int, str]], int]:
    """A page of the audit log's events (id, body) in order, and how many there are; the read
    is itself audited (``audit.read``) on the grounds it was allowed."""
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.body).order_by(AuditEvent.id).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    record(
        session,
        by,
        "audit.read",
        "audit/events",
        grounds=grounds,
        request_id=request_id,
        detail={"limit": limit, "offset": offset},
    )
    return [(int(i), str(b)) for i, b in rows], int(total)
