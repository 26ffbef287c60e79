"""Operations on registered samples that a file import never does on its own.

A sample registered to one donor is moved to another only by :func:`move_sample`: a named,
reasoned and audited operation, with the move kept in the sample's history. An import that
gives a registered sample another donor is refused (``E_SAMPLE_MOVE``): a shifted row in a
spreadsheet would otherwise hand one person's material to another.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.crypto import NodeKeys
from hgr.dates import utc_now
from hgr.exceptions import NotFound, UsageError
from hgr.registry import models as m
from hgr.registry.history import FieldChange, keep_versions

__all__ = ["move_sample"]


def move_sample(
    session: Session,
    by: Actor,
    keys: NodeKeys,
    *,
    institution: str,
    sample: str,
    donor: str,
    reason: str,
) -> None:
    """Move ``sample`` of ``institution`` to its donor ``donor`` (the institution's own id).

    Raises NotFound for an unknown institution, sample or donor; UsageError without a reason or
    when the sample is that donor's already.
    """
    if not reason.strip():
        raise UsageError(
            "say why the sample moves (--reason): the move is audited", code="E_REASON_REQUIRED"
        )
    owner = session.scalar(select(m.Institution.id).where(m.Institution.code == institution))
    if owner is None:
        raise NotFound(f"no institution {institution}", code="E_NOT_FOUND")
    found = session.scalar(
        select(m.Sample).where(m.Sample.institution_id == owner, m.Sample.code == sample)
    )
    if found is None:
        raise NotFound(f"no sample {sample} at {institution}", code="E_NOT_FOUND")
    pseudonym = keys.pseudonymiser.pseudonym(institution, donor)
    target = session.scalar(
        select(m.Donor.id).where(m.Donor.institution_id == owner, m.Donor.pseudonym == pseudonym)
    )
    if target is None:
        raise NotFound(
            f"no donor {donor} at {institution}: import the donor first", code="E_NOT_FOUND"
        )
    if found.donor_id == target:
        raise UsageError(f"sample {sample} is donor {donor}'s already", code="E_NO_CHANGE")
    before = session.scalar(select(m.Donor.pseudonym).where(m.Donor.id == found.donor_id))
    now = utc_now()
    found.donor_id = target  # resealed as it is flushed (hgr.db.seals)
    found.updated_at = now
    # The donors by pseudonym: a donor's own identifier is never stored.
    change = FieldChange(
        "sample",
        found.id,
        f"sample {sample}",
        "donor_id",
        f"donor {str(before)[:12]}…",
        f"donor {pseudonym[:12]}…",
    )
    keep_versions(session, [change], actor=by.name, source=f"sample move: {reason.strip()}", at=now)
    record(
        session,
        by,
        "registry.sample.move",
        f"institutions/{institution}/samples/{sample}",
        grounds=reason.strip(),
        detail={"to_donor": pseudonym},
    )
