"""What one institution holds, and what in it needs its steward's attention.

The steward's home page reads this: counts of every kind of record, each collection with its
size, and the things a steward must act on, each found from the registry rather than from
anything declared:

* ethics approvals that have ended, or end within ``EXPIRY_NOTICE``, while still marked active
  (no resource may be collected, kept, used or provided without ethics review: HGR Regulation
  Art. 9 ¶1);
* donors who withdrew consent while a sample of theirs is still stored as available or
  reserved (a donor may withdraw at any time, and no use may follow: Art. 9 ¶2, Art. 12; the
  sample's status must say what became of it);
* consents past their time limit that are still marked active.

Counting an institution of a million donors takes seconds, so what it holds is counted once
per state of the registry and day (:func:`hgr.registry.state.counted`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.exceptions import NotFound
from hgr.registry import models as m
from hgr.registry.state import counted
from hgr.vocabulary import ConsentStatus, EthicsStatus, StorageStatus

__all__ = ["EXPIRY_NOTICE", "CollectionSize", "Holdings", "holdings"]

EXPIRY_NOTICE = dt.timedelta(days=90)
# Samples that are still there to be used, and so must be acted on after a withdrawal.
IN_STORE = (StorageStatus.AVAILABLE, StorageStatus.RESERVED)


@dataclass(frozen=True)
class CollectionSize:
    """One collection: its code and name, and the donors and samples in it."""

    code: str
    name: str
    donors: int
    samples: int


@dataclass(frozen=True)
class Expiring:
    """An ethics approval that has ended or is about to, still marked active."""

    committee: str
    reference: str
    valid_to: dt.date
    ended: bool


@dataclass(frozen=True)
class Holdings:
    """What an institution holds (``counts`` by kind of record) and what needs attention."""

    institution: str
    name: str
    counts: dict[str, int]
    collections: list[CollectionSize]
    expiring: list[Expiring]
    withdrawn_with_samples: int
    samples_after_withdrawal: int
    consents_past_limit: int

    @property
    def attention(self) -> int:
        """How many things need acting on."""
        return len(self.expiring) + self.withdrawn_with_samples + self.consents_past_limit


def _count(session: Session, query: object) -> int:
    return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def holdings(session: Session, code: str, today: dt.date) -> Holdings:
    """What institution ``code`` holds and needs to act on, as of ``today``.

    Raises NotFound (``E_NOT_FOUND``) for an institution that is not registered.
    """
    return counted(
        session, ("holdings", code, today), lambda: _count_holdings(session, code, today)
    )


def _count_holdings(session: Session, code: str, today: dt.date) -> Holdings:
    institution = session.scalar(select(m.Institution).where(m.Institution.code == code))
    if institution is None:
        raise NotFound(f"no institutions record {code}", code="E_NOT_FOUND")
    owner = institution.id
    own_donors = select(m.Donor.id).where(m.Donor.institution_id == owner)
    consents = select(func.count()).select_from(m.Consent).where(m.Consent.donor_id.in_(own_donors))
    counts = {
        "collections": _count(
            session, select(func.count()).where(m.Collection.institution_id == owner)
        ),
        "donors": _count(session, select(func.count()).where(m.Donor.institution_id == owner)),
        "samples": _count(session, select(func.count()).where(m.Sample.institution_id == owner)),
        "families": _count(session, select(func.count()).where(m.Family.institution_id == owner)),
        "consents": _count(session, consents),
        "withdrawn": _count(session, consents.where(m.Consent.status == ConsentStatus.WITHDRAWN)),
        "ethics": _count(
            session, select(func.count()).where(m.EthicsApproval.institution_id == owner)
        ),
    }
    sizes = session.execute(
        select(
            m.Collection.code,
            m.Collection.name,
            func.count(func.distinct(m.Sample.donor_id)),
            func.count(m.Sample.id),
        )
        .outerjoin(m.Sample, m.Sample.collection_id == m.Collection.id)
        .where(m.Collection.institution_id == owner)
        .group_by(m.Collection.id, m.Collection.code, m.Collection.name)
        .order_by(m.Collection.code)
    ).all()
    approvals = session.execute(
        select(m.EthicsApproval.committee, m.EthicsApproval.reference, m.EthicsApproval.valid_to)
        .where(
            m.EthicsApproval.institution_id == owner,
            m.EthicsApproval.status == EthicsStatus.ACTIVE,
            m.EthicsApproval.valid_to.is_not(None),
            m.EthicsApproval.valid_to <= today + EXPIRY_NOTICE,
        )
        .order_by(m.EthicsApproval.valid_to, m.EthicsApproval.reference)
    ).all()
    withdrawn = select(m.Consent.donor_id).where(
        m.Consent.status == ConsentStatus.WITHDRAWN, m.Consent.donor_id.in_(own_donors)
    )
    stored = (
        m.Sample.institution_id == owner,
        m.Sample.donor_id.in_(withdrawn),
        m.Sample.storage_status.in_(IN_STORE),
    )
    return Holdings(
        institution=institution.code,
        name=institution.name,
        counts=counts,
        collections=[CollectionSize(c, n, d, s) for c, n, d, s in sizes],
        expiring=[
            Expiring(committee, reference, valid_to, valid_to < today)
            for committee, reference, valid_to in approvals
            if valid_to is not None  # the query asks for dated approvals only
        ],
        withdrawn_with_samples=_count(
            session, select(func.count(func.distinct(m.Sample.donor_id))).where(*stored)
        ),
        samples_after_withdrawal=_count(session, select(func.count(m.Sample.id)).where(*stored)),
        consents_past_limit=_count(
            session,
            consents.where(
                m.Consent.status == ConsentStatus.ACTIVE,
                m.Consent.time_limit.is_not(None),
                m.Consent.time_limit < today,
            ),
        ),
    )
