"""Who may do what, decided in one place (OWASP ASVS 5.0 V8.1.1, 8.2.1-8.2.2, 8.4.1).

Everything is denied unless a rule below allows it. A rule names the roles allowed an action;
the caller's scope then limits which institutions' records they see:

* institution-level roles see their own institution's records;
* a provincial officer sees the institutions registered in the province (or below it);
* national roles see every institution.

Registry entities fall into four classes (docs/access.md gives the full table):

``reference``     regions: public.
``directory``     institutions, collections: any signed-in user (researchers find resources).
``institutional`` ethics approvals, data files, families: the officers, committees,
                  security reviewers and auditors whose scope covers the institution.
``individual``    donors, samples, consents, pedigree members: the institution's steward;
                  consents also its ethics committee; a researcher only with a grant
                  (granted by governed access). Every such read is audited.

A record outside the caller's scope is reported as not found, exactly like a record that does
not exist, so that scope cannot be probed (security.md §5.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from hgr.auth.roles import Principal, Role, ScopeLevel
from hgr.registry import models as m

__all__ = [
    "ENTITY_CLASS",
    "Action",
    "Decision",
    "authorize",
    "authorize_entity",
    "authorize_import",
    "import_target",
    "visible_institutions",
]

R = Role
EVERYONE = frozenset(Role)
SIGNED_IN = EVERYONE - {R.PUBLIC}
OVERSIGHT = frozenset(
    {
        R.INSTITUTION_STEWARD,
        R.PROVINCIAL_OFFICER,
        R.NATIONAL_OFFICER,
        R.ETHICS_COMMITTEE,
        R.ACCESS_COMMITTEE,
        R.SECURITY_REVIEWER,
        R.AUDITOR,
    }
)


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    SUMMARY = "summary"
    AUDIT_EVENTS = "audit.events"
    AUDIT_PROOFS = "audit.proofs"
    SURVEY_SUBMIT = "survey.submit"
    SURVEY_SEND = "survey.send"
    SURVEY_STATUS = "survey.status"
    CATALOGUE_READ = "catalogue.read"
    ACCESS_NOTICES = "access.notices"
    ACCESS_REQUEST = "access.request"
    ACCESS_REVIEW = "access.review"
    ACCESS_READ = "access.read"


ENTITY_CLASS = {
    "regions": "reference",
    "institutions": "directory",
    "collections": "directory",
    "ethics": "institutional",
    "files": "institutional",
    "families": "institutional",
    "donors": "individual",
    "samples": "individual",
    "consents": "individual",
    "members": "individual",
}

READERS = {
    "reference": EVERYONE,
    "directory": SIGNED_IN,
    "institutional": OVERSIGHT,
    "individual": frozenset({R.INSTITUTION_STEWARD}),
}
# Ethics committees check what donors agreed to, so they read consents (not donors or samples).
EXTRA_READERS = {"consents": frozenset({R.ETHICS_COMMITTEE})}

# Writing: a national officer registers institutions (their control facts feed the transfer
# rules, so an institution does not declare its own); a steward registers what its own
# institution holds.
WRITERS = {
    "institutions": frozenset({R.NATIONAL_OFFICER}),
    **{
        name: frozenset({R.INSTITUTION_STEWARD})
        for name in ENTITY_CLASS
        if name not in {"regions", "institutions"}
    },
}

REVIEWERS = frozenset({R.ACCESS_COMMITTEE, R.ETHICS_COMMITTEE, R.SECURITY_REVIEWER})

OTHER_ACTIONS = {
    Action.SUMMARY: OVERSIGHT - {R.ETHICS_COMMITTEE, R.ACCESS_COMMITTEE},
    Action.AUDIT_EVENTS: frozenset({R.AUDITOR, R.SECURITY_REVIEWER}),
    # Checkpoints and proofs carry hashes only; anyone may witness the log (RFC 9162 §8).
    Action.AUDIT_PROOFS: EVERYONE,
    # Survey documents travel upward: a steward sends the institution's return (and catalogue
    # declarations), a provincial officer the province's edition (and catalogue review);
    # completeness is for the officers above the returns.
    Action.SURVEY_SUBMIT: frozenset({R.INSTITUTION_STEWARD}),
    Action.SURVEY_SEND: frozenset({R.PROVINCIAL_OFFICER}),
    Action.SURVEY_STATUS: frozenset({R.PROVINCIAL_OFFICER, R.NATIONAL_OFFICER}),
    # The register of protected resources is enforced by every node's policy engine, so the
    # roles that run or oversee a node read it; researchers and the public do not.
    Action.CATALOGUE_READ: OVERSIGHT,
    # Recipients read the withdrawal notices of their own requests; national officers and
    # auditors read them all (the route narrows the rows).
    Action.ACCESS_NOTICES: frozenset({R.RESEARCHER, R.NATIONAL_OFFICER, R.AUDITOR}),
    # Researchers ask; the committees and the security reviewers review (the request decides
    # which reviews it needs, and hgr.access.requests which reviewer may give one); a request
    # is read by its requester, its reviewers, national officers and auditors.
    Action.ACCESS_REQUEST: frozenset({R.RESEARCHER}),
    Action.ACCESS_REVIEW: REVIEWERS,
    Action.ACCESS_READ: REVIEWERS | {R.RESEARCHER, R.NATIONAL_OFFICER, R.AUDITOR},
}


@dataclass(frozen=True)
class Decision:
    """The outcome of an authorization check.

    ``visible`` is the set of institution codes whose records the caller may see (None: all);
    ``individual`` says the action touches individual-level data and must be audited;
    ``grounds`` says why it was allowed or refused, for the audit log.
    """

    allowed: bool
    grounds: str
    visible: frozenset[str] | None = None
    individual: bool = False


def visible_institutions(session: Session, principal: Principal) -> frozenset[str] | None:
    """Codes of the institutions within the caller's scope (None: every institution)."""
    level = principal.level
    if level is ScopeLevel.INSTITUTION:
        return frozenset({principal.scope})
    if level is ScopeLevel.PROVINCE:
        return frozenset(_institutions_in_region(session, principal.scope))
    if level is ScopeLevel.NATION:
        return None
    return frozenset() if principal.role is Role.PUBLIC else None


def _institutions_in_region(session: Session, code: str) -> Iterable[str]:
    # The province itself and every region below it (prefectures, cities).
    region = aliased(m.Region)
    tree = select(region.id).where(region.code == code).cte(recursive=True)
    child = aliased(m.Region)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return session.scalars(
        select(m.Institution.code).where(m.Institution.region_id.in_(select(tree.c.id)))
    ).all()


def _scope_words(principal: Principal) -> str:
    if principal.level in (ScopeLevel.INSTITUTION, ScopeLevel.PROVINCE):
        return f"{principal.role.value} of {principal.scope}"
    return principal.role.value


def authorize_entity(
    session: Session, principal: Principal, entity: str, action: Action
) -> Decision:
    """May ``principal`` read or write records of ``entity``, and which institutions' records."""
    kind = ENTITY_CLASS.get(entity)
    if kind is None:
        return Decision(False, f"unknown entity {entity}")
    individual = kind == "individual"
    if action is Action.READ:
        allowed = principal.role in READERS[kind] | EXTRA_READERS.get(entity, frozenset())
        if not allowed and individual and principal.role is Role.RESEARCHER:
            # Researchers reach individual-level data only through a grant of governed access.
            return Decision(
                False, "researcher without a grant for individual-level data", individual=True
            )
    elif action is Action.WRITE:
        allowed = principal.role in WRITERS.get(entity, frozenset())
    else:
        return Decision(False, f"{action.value} is not an entity action")
    if not allowed:
        return Decision(
            False, f"{principal.role.value} may not {action.value} {entity}", individual=individual
        )
    if kind == "reference":
        return Decision(True, "public reference data")
    # Researchers (no scope) see every institution's directory entries: the national directory
    # of resources is open to signed-in users.
    return Decision(
        True, _scope_words(principal), visible_institutions(session, principal), individual
    )


def authorize(session: Session, principal: Principal, action: Action) -> Decision:
    """May ``principal`` take an action that is not about one entity (summary, audit)."""
    roles = OTHER_ACTIONS.get(action)
    if roles is None or principal.role not in roles:
        return Decision(False, f"{principal.role.value} may not {action.value}")
    visible = None if action is Action.AUDIT_PROOFS else visible_institutions(session, principal)
    return Decision(True, _scope_words(principal), visible)


def import_target(principal: Principal, institution: str | None) -> str | None:
    """The institution an import writes to: the one named, else a steward's own."""
    if institution is None and principal.level is ScopeLevel.INSTITUTION:
        return principal.scope
    return institution


def authorize_import(
    session: Session, principal: Principal, entities: Iterable[str], institution: str | None
) -> Decision:
    """May ``principal`` import records of every one of ``entities`` for ``institution``.

    Every kind of record in an import must be the caller's to write: a steward cannot slip an
    institutions template in among its holdings, nor write another institution's.
    """
    decisions = [authorize_entity(session, principal, e, Action.WRITE) for e in sorted(entities)]
    for decision in decisions:
        if not decision.allowed:
            return decision
        if decision.visible is not None and (institution or "") not in decision.visible:
            return Decision(False, "outside the caller's scope")
    if not decisions:
        return Decision(False, "an import of nothing")
    return decisions[0]
