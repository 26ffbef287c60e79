"""Access requests: one lifecycle, decided by rule, reviewed by the right people, four eyes each.

draft → submitted → under_review → approved | rejected; approved → active → expired | revoked |
closed. On submission the policy engine decides (:mod:`hgr.policy`): a prohibited request is
rejected at once with the rules that forbid it; any other goes to the reviews its outcome calls
for. Every request goes to the data access committee; one that needs an approval also to the
ethics committee (ethics review is a precondition: HGR Reg. Art. 9, Art. 22); one that needs a
security review also to the national security review (Reg. Art. 28 ¶1). Each review needs the
approval of two different reviewers of the matching role (four eyes), never the requester nor
anyone of the requester's organisation, and the committees of the institution that holds the
data; one rejection rejects the request. The decision is due
20 working days after submission (Reg. Art. 32; regulations.md CN-22).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.access.export import needs_filing
from hgr.access.models import AccessReview, Filing, RequestRecord, RequestStatus
from hgr.access.parties import bind_parties, node_institution
from hgr.audit import Actor, record
from hgr.auth.models import User
from hgr.auth.roles import ROLE_SCOPE, Role, ScopeLevel
from hgr.dates import months_after, utc_now, utc_today, working_days_after
from hgr.db import next_number
from hgr.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from hgr.lifecycle import Lifecycle, step
from hgr.organisations import normalise_name, organisations_named, organisations_of_party
from hgr.organisations.models import Organisation
from hgr.policy import AccessRequest, NodeFacts, Pack, evaluate

__all__ = [
    "APPROVALS",
    "LIFECYCLE",
    "REVIEWER_ROLE",
    "RequestStatus",
    "ReviewState",
    "activate",
    "create_request",
    "end",
    "find_request",
    "holding_institution",
    "institution_may_act",
    "review",
    "review_state",
    "reviews_for",
    "submit",
]

_R = RequestStatus
LIFECYCLE = Lifecycle(
    RequestStatus,
    {
        (_R.DRAFT, "submit"): _R.SUBMITTED,
        (_R.SUBMITTED, "route"): _R.UNDER_REVIEW,
        (_R.SUBMITTED, "refuse"): _R.REJECTED,
        (_R.UNDER_REVIEW, "approve"): _R.APPROVED,
        (_R.UNDER_REVIEW, "reject"): _R.REJECTED,
        (_R.APPROVED, "activate"): _R.ACTIVE,
        (_R.APPROVED, "close"): _R.CLOSED,
        (_R.ACTIVE, "expire"): _R.EXPIRED,
        (_R.ACTIVE, "revoke"): _R.REVOKED,
        (_R.ACTIVE, "close"): _R.CLOSED,
    },
    action="access.request",
    refused="E_REQUEST_STATE",
)
REVIEWER_ROLE = {
    "dac": Role.ACCESS_COMMITTEE,
    "ethics": Role.ETHICS_COMMITTEE,
    "security": Role.SECURITY_REVIEWER,
}
APPROVALS = 2  # four eyes
DUE_WORKING_DAYS = 20  # HGR Reg. Art. 32


def reviews_for(outcome: str) -> list[str]:
    """The reviews a policy outcome calls for (none for a prohibited request)."""
    if outcome == "prohibited":
        return []
    kinds = ["dac"]
    if outcome in ("approval", "security_review"):
        kinds.append("ethics")
    if outcome == "security_review":
        kinds.append("security")
    return kinds


def _step(
    session: Session,
    by: Actor,
    entry: RequestRecord,
    name: str,
    detail: dict[str, object] | None = None,
) -> None:
    step(
        session,
        by,
        LIFECYCLE,
        entry,
        name,
        target=f"access/requests/{entry.number}",
        refusal=f"request {entry.number} is {entry.status}: it cannot {name} now",
        detail=detail,
    )


def _own_organisation(session: Session, user: User, request: AccessRequest) -> None:
    """Refuse a request whose requester (bound to the registry: hgr.access.parties) is not
    the submitting user's own registered organisation, known by its registry key or by the
    one registered organisation its name is."""
    declared = request.requester
    where = "give the user its registry key (hgr user add --organisation KEY)"
    if not user.organisation.strip():
        raise Forbidden(
            f"user {user.name} belongs to no organisation, so cannot request for "
            f"{declared.name}: {where}",
            code="E_NOT_YOUR_ORGANISATION",
        )
    own = session.scalar(select(Organisation).where(Organisation.key == user.organisation))
    if own is None:
        named = organisations_named(session, user.organisation)
        if len(named) != 1:
            found = (
                f"names {len(named)} registered organisations"
                if named
                else "is not in the organisation registry"
            )
            raise Forbidden(
                f"user {user.name}'s organisation {user.organisation!r} {found}, "
                f"so the node cannot tell it is {declared.name}'s: register it "
                f"(hgr org add) and {where}",
                code="E_NOT_YOUR_ORGANISATION",
            )
        own = named[0]
    if own.key != declared.key:
        raise Forbidden(
            f"{user.name} belongs to {own.key}, and requests only for it, not for "
            f"{declared.key} ({declared.name}): an officer files for another "
            "party with hgr access submit --for-party",
            code="E_NOT_YOUR_ORGANISATION",
        )


def create_request(
    session: Session, by: Actor, requester: User, request: AccessRequest, *, for_party: bool = False
) -> RequestRecord:
    """Keep ``request`` as a draft of ``requester``'s. The request is for the requester's own
    organisation; ``for_party`` is an officer's explicit filing for another party, which the
    audit log records as such.

    The request's organisations are bound to the registry first (hgr.access.parties), and the
    request is kept as bound.

    Raises
    ------
    ValidationFailed
        A party the registry does not hold, or names ambiguously (E_UNREGISTERED_PARTY).
    Forbidden
        The request names another organisation than the user's own, and is not filed for it.
    """
    request = bind_parties(session, request)
    if not for_party:
        _own_organisation(session, requester, request)
    now = utc_now()
    number = next_number(session, "REQ", now.year)
    entry = RequestRecord(
        number=f"REQ-{now.year}-{number:05d}",
        requester=requester.name,
        status=RequestStatus.DRAFT.value,
        body=request.model_dump(mode="json"),
        reviews_needed=[],
        note="",
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    detail = {"requester": requester.name, "request": request.id}
    if for_party:
        # The officer's word that the party asked, kept with who gave it (by).
        detail |= {"filed_for": request.requester.name, "user_organisation": requester.organisation}
    record(session, by, "access.request.create", f"access/requests/{entry.number}", detail=detail)
    return entry


def find_request(session: Session, number: str) -> RequestRecord:
    entry = session.scalar(select(RequestRecord).where(RequestRecord.number == number))
    if entry is None:
        raise NotFound(f"no access request {number}", code="E_NO_REQUEST")
    return entry


def submit(
    session: Session, by: Actor, entry: RequestRecord, facts: NodeFacts, packs: Sequence[Pack]
) -> RequestRecord:
    """Submit the request: the policy engine decides, and the request is refused (prohibited)
    or routed to its reviews, with the decision kept as it was made."""
    request = AccessRequest.model_validate(entry.body)
    _step(session, by, entry, "submit")
    decision = evaluate(request, facts, packs)
    entry.decision = decision.as_dict()
    entry.outcome = decision.outcome
    entry.submitted_on = facts.today
    if decision.outcome == "prohibited":
        entry.decided_on = facts.today
        forbidding = [f.rule.id for f in decision.fired if f.rule.outcome == "prohibited"]
        entry.note = "prohibited by " + ", ".join(forbidding)
        _step(session, by, entry, "refuse", {"rules": forbidding})
        return entry
    entry.reviews_needed = reviews_for(decision.outcome)
    entry.due_on = working_days_after(facts.today, DUE_WORKING_DAYS)
    _step(
        session, by, entry, "route", {"outcome": decision.outcome, "reviews": entry.reviews_needed}
    )
    return entry


@dataclass(frozen=True)
class ReviewState:
    """Approvals per review kind, what is still missing, and the days left to decide."""

    approvals: dict[str, list[str]]
    missing: dict[str, int]
    due_on: dt.date | None
    overdue: bool


def review_state(
    session: Session, entry: RequestRecord, today: dt.date | None = None
) -> ReviewState:
    today = today or utc_today()
    approvals: dict[str, list[str]] = {kind: [] for kind in entry.reviews_needed}
    for kind, reviewer in session.execute(
        select(AccessReview.kind, AccessReview.reviewer).where(
            AccessReview.request_id == entry.id, AccessReview.approve
        )
    ):
        # Four eyes are two people: a reviewer's row counted twice (a copy slipped into the
        # table) is still one pair of eyes.
        if reviewer not in approvals.setdefault(kind, []):
            approvals[kind].append(reviewer)
    missing = {k: APPROVALS - len(v) for k, v in approvals.items() if len(v) < APPROVALS}
    overdue = (
        entry.status == RequestStatus.UNDER_REVIEW
        and entry.due_on is not None
        and today > entry.due_on
    )
    return ReviewState(approvals, missing, entry.due_on, overdue)


def holding_institution(session: Session, request: AccessRequest) -> str | None:
    """The code of the institution whose data the request asks for: its cohort's, or, for a
    request without a cohort, the one registered institution the provider it names is (by
    legal identifier, code or registered name); None when the node holds none of them, or
    when the name and identifiers point to several (a requester cannot pick the committee).
    Its committees, and only they, review and read the request."""
    if request.cohort is not None:
        return request.cohort.institution
    institution = node_institution(session, request.provider)
    return institution.code if institution is not None else None


def institution_may_act(session: Session, role: Role, scope: str, entry: RequestRecord) -> bool:
    """Whether a user of ``role`` and ``scope`` may read or review ``entry`` for its
    institution: a committee of the institution that holds the data, or a role the request's
    institution does not bound (the security reviewers of the national authority)."""
    if ROLE_SCOPE[role] is not ScopeLevel.INSTITUTION:
        return True
    holder = holding_institution(session, AccessRequest.model_validate(entry.body))
    return holder is not None and scope == holder


def _same_organisation(session: Session, reviewer: User, request: AccessRequest) -> bool:
    """Whether the reviewer belongs to the requester or the recipient: by the registry (the
    reviewer's organisation as a key or a name, against every organisation the parties'
    identifiers and names point to), or by normalised name or identifier."""
    own = reviewer.organisation.strip()
    if not own:
        return False
    parties = [request.requester, request.receiver]
    names = {normalise_name(p.name) for p in parties}
    names |= {i.strip().casefold() for p in parties for i in p.identifiers}
    if normalise_name(own) in names or own.casefold() in names:
        return True
    mine = {o.id for o in organisations_named(session, own)}
    mine |= set(session.scalars(select(Organisation.id).where(Organisation.key == own)))
    theirs = {
        o.id for p in parties for o in organisations_of_party(session, p.key, p.identifiers, p.name)
    }
    return bool(mine & theirs)


def review(
    session: Session,
    by: Actor,
    entry: RequestRecord,
    reviewer: User,
    kind: str,
    *,
    approve: bool,
    note: str = "",
    today: dt.date | None = None,
) -> RequestRecord:
    """One reviewer's decision on one review of the request (four eyes: see the module)."""
    today = today or utc_today()
    if entry.status != RequestStatus.UNDER_REVIEW:
        raise Conflict(
            f"request {entry.number} is {entry.status}: it is not under review",
            code="E_REQUEST_STATE",
        )
    if kind not in entry.reviews_needed:
        raise ValidationFailed(
            f"request {entry.number} needs no {kind} review (it needs "
            f"{', '.join(entry.reviews_needed)})",
            [],
            code="E_REVIEW_KIND",
        )
    request = AccessRequest.model_validate(entry.body)
    if reviewer.role != REVIEWER_ROLE[kind].value:
        raise Forbidden(
            f"a {kind} review is for {REVIEWER_ROLE[kind].value}, not {reviewer.role}",
            code="E_REVIEWER",
        )
    if not institution_may_act(session, REVIEWER_ROLE[kind], reviewer.scope, entry):
        holder = holding_institution(session, request) or "no institution of this node"
        raise Forbidden(
            f"{reviewer.name} reviews for {reviewer.scope}, not for {holder}, which holds the data",
            code="E_REVIEWER",
        )
    if reviewer.name == entry.requester or _same_organisation(session, reviewer, request):
        raise Forbidden(
            f"{reviewer.name} may not review a request of their own or of their organisation",
            code="E_REVIEWER",
        )
    if session.scalar(
        select(AccessReview.id).where(
            AccessReview.request_id == entry.id,
            AccessReview.kind == kind,
            AccessReview.reviewer == reviewer.name,
        )
    ):
        raise Conflict(
            f"{reviewer.name} has reviewed {entry.number} ({kind}) already: the "
            "second pair of eyes is someone else's",
            code="E_ALREADY_REVIEWED",
        )
    if not approve and not note.strip():
        raise ValidationFailed("a rejection gives its reasons", [], code="E_REVIEW_NOTE")
    session.add(
        AccessReview(
            request_id=entry.id,
            kind=kind,
            reviewer=reviewer.name,
            organisation=reviewer.organisation,
            approve=approve,
            note=note,
            at=utc_now(),
        )
    )
    session.flush()
    record(
        session,
        by,
        "access.review",
        f"access/requests/{entry.number}",
        detail={"kind": kind, "reviewer": reviewer.name, "approve": approve},
    )
    if not approve:
        entry.decided_on, entry.note = today, f"{kind} review: {note.strip()}"
        _step(session, by, entry, "reject", {"kind": kind})
    elif not review_state(session, entry, today).missing:
        entry.decided_on = today
        _step(session, by, entry, "approve")
    return entry


def activate(
    session: Session, by: Actor, entry: RequestRecord, today: dt.date | None = None
) -> RequestRecord:
    """Start an approved request's use, for the months it asked; an outbound provision only
    once it is filed (HGR Reg. Art. 28 ¶2: the filing comes before the provision)."""
    today = today or utc_today()
    if (
        needs_filing(entry)
        and session.scalar(select(Filing.id).where(Filing.request_id == entry.id)) is None
    ):
        raise Conflict(
            f"request {entry.number} provides data abroad: file it first (the "
            "filing record with the backup's checksum)",
            code="E_NOT_FILED",
        )
    months = AccessRequest.model_validate(entry.body).duration_months
    entry.active_from = today
    entry.expires_on = months_after(today, months)
    _step(session, by, entry, "activate", {"expires_on": entry.expires_on.isoformat()})
    return entry


def end(
    session: Session,
    by: Actor,
    entry: RequestRecord,
    how: str,
    note: str = "",
    today: dt.date | None = None,
) -> RequestRecord:
    """End a request: ``expire`` (after its term), ``revoke`` (with reasons) or ``close``."""
    today = today or utc_today()
    if how == "expire" and (entry.expires_on is None or today <= entry.expires_on):
        raise Conflict(
            f"request {entry.number} runs until {entry.expires_on}", code="E_REQUEST_STATE"
        )
    if how == "revoke" and not note.strip():
        raise ValidationFailed("a revocation gives its reasons", [], code="E_REVIEW_NOTE")
    if how not in ("expire", "revoke", "close"):
        raise ValidationFailed(f"{how!r} is not expire, revoke or close", [], code="E_REQUEST_END")
    entry.note = note.strip() or entry.note
    _step(session, by, entry, how, {"note": note.strip()})
    return entry
