"""Who may read an access request and its withdrawal notices: the requester their own, the
committees the requests they review for their institution, the nation and auditors all.
Another's request is answered as one that does not exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.access.export import publish_withdrawals
from hgr.access.models import ExportPackage, RequestRecord, WithdrawalNotice
from hgr.access.requests import REVIEWER_ROLE, institution_may_act
from hgr.audit import Actor
from hgr.auth.roles import Principal, Role
from hgr.crypto import NodeKeys
from hgr.exceptions import NotFound

__all__ = ["OVERSEERS", "Notice", "readable", "readable_request", "withdrawal_notices"]

# Who reads every request and every notice.
OVERSEERS = frozenset({Role.NATIONAL_OFFICER, Role.AUDITOR})


def readable(session: Session, principal: Principal, entry: RequestRecord) -> bool:
    """Whether ``principal`` may read the request ``entry``."""
    if principal.role in OVERSEERS:
        return True
    if principal.role is Role.RESEARCHER:
        return entry.requester == principal.user
    kinds = [k for k, role in REVIEWER_ROLE.items() if role is principal.role]
    if not any(k in entry.reviews_needed for k in kinds):
        return False
    # A committee reads only the requests its own institution holds the data of.
    return institution_may_act(session, principal.role, principal.scope, entry)


def readable_request(session: Session, principal: Principal, number: str) -> RequestRecord:
    """The request ``number`` if ``principal`` may read it; NotFound otherwise, whether it is
    another's or does not exist (E_NO_REQUEST)."""
    entry = session.scalar(select(RequestRecord).where(RequestRecord.number == number))
    if entry is None or not readable(session, principal, entry):
        raise NotFound(f"no access request {number}", code="E_NO_REQUEST")
    return entry


@dataclass(frozen=True)
class Notice:
    """One withdrawal notice: a donor of an export withdrew on ``withdrawn_on``."""

    request: str
    export: str
    donor: str
    withdrawn_on: dt.date
    published_at: dt.datetime


def withdrawal_notices(session: Session, principal: Principal, keys: NodeKeys) -> list[Notice]:
    """The withdrawal notices ``principal`` may read (every one for the overseers, else those
    of their own requests), after publishing any the node has not published yet."""
    publish_withdrawals(session, Actor(principal.actor, principal.role.value), keys)
    query = (
        select(WithdrawalNotice, RequestRecord.number, ExportPackage.number)
        .join(RequestRecord, RequestRecord.id == WithdrawalNotice.request_id)
        .join(ExportPackage, ExportPackage.id == WithdrawalNotice.export_id)
        .order_by(WithdrawalNotice.id)
    )
    if principal.role not in OVERSEERS:
        query = query.where(RequestRecord.requester == principal.user)
    return [
        Notice(number, export, n.donor, n.withdrawn_on, n.published_at)
        for n, number, export in session.execute(query)
    ]
