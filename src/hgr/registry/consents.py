"""Operations on registered consents outside a file import."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.dates import utc_now
from hgr.registry import models as m
from hgr.registry.history import FieldChange, keep_versions
from hgr.vocabulary import ConsentStatus

__all__ = ["withdraw_consent"]


def withdraw_consent(
    session: Session, by: Actor, consent: m.Consent, on: dt.date, *, grounds: str = ""
) -> None:
    """Record that the donor withdrew ``consent`` on ``on``: resealed, versioned, audited."""
    old = {"status": consent.status, "withdrawn_on": consent.withdrawn_on}
    new = {"status": ConsentStatus.WITHDRAWN, "withdrawn_on": on}
    # Resealed as it is flushed (hgr.db.seals).
    consent.status, consent.withdrawn_on = ConsentStatus.WITHDRAWN, on
    now = utc_now()
    consent.updated_at = now
    pseudonym = session.scalar(select(m.Donor.pseudonym).where(m.Donor.id == consent.donor_id))
    name = f"consent {consent.document_version} of donor {str(pseudonym)[:12]}…"
    keep_versions(
        session,
        [
            FieldChange("consent", consent.id, name, field, old[field], new[field])
            for field in ("status", "withdrawn_on")
        ],
        actor=by.name,
        source="consent withdrawn",
        at=now,
    )
    record(
        session,
        by,
        "registry.consent.withdraw",
        f"consents/{consent.id}",
        grounds=grounds,
        detail={"on": on.isoformat()},
    )
