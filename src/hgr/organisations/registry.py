"""Registering organisations, their names, identifiers and control, and walking the control
graph.

Control follows the actual-control tests of the HGR Regulation's Implementing Rules (and of
28 CFR 202.211 for the US covered-person test): an organisation controls another when it holds
50% or more of its equity or of its votes, or dominates it by agreement. Control is transitive:
the controller of a controller controls. The walk keeps the organisations it has seen, so a
cycle that reached the tables by other means than this module (which refuses one) ends it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.dates import utc_now
from hgr.exceptions import NotFound, ValidationFailed
from hgr.organisations.models import (
    Organisation,
    OrganisationControl,
    OrganisationIdentifier,
    OrganisationName,
)
from hgr.organisations.names import normalise_name
from hgr.policy.request import REGISTRY_KEY

__all__ = [
    "CONTROL_SHARE",
    "COUNTRIES_OF_CONCERN",
    "KINDS",
    "Fact",
    "add_control",
    "add_identifier",
    "add_name",
    "concern_ownership",
    "controllers",
    "find_organisation",
    "foreign_party",
    "normalise_identifier",
    "organisation_by_identity",
    "organisations_matching",
    "organisations_named",
    "organisations_of_party",
    "register_organisation",
]

CONTROL_SHARE = 50.0  # percent of equity or votes that controls (IR actual-control tests)
# 28 CFR 202.601: China (with Hong Kong and Macau), Cuba, Iran, North Korea, Russia, Venezuela;
# the US rule pack's countries_of_concern set is the same list (tests/access/test_counted_us.py).
COUNTRIES_OF_CONCERN = frozenset({"CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE"})
KINDS = ("equity", "votes", "agreement")
_KEY = re.compile(REGISTRY_KEY)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9-]{0,15}:[A-Z0-9._/-]{1,80}$")


@dataclass(frozen=True)
class Fact:
    """Where a fact about an organisation comes from, and the officer who verified it."""

    source: str
    verified_by: str

    def checked(self) -> Fact:
        if not self.source.strip() or not self.verified_by.strip():
            raise ValidationFailed(
                "every fact of the organisation registry names its source "
                "(--source) and the officer who verified it (--verified-by)",
                [],
                code="E_ORG_FACT",
            )
        return Fact(self.source.strip()[:500], self.verified_by.strip()[:100])


def _bad(message: str) -> ValidationFailed:
    return ValidationFailed(message, [], code="E_ORG_FIELD")


def find_organisation(session: Session, key: str) -> Organisation:
    """The organisation registered under ``key``.

    Raises
    ------
    NotFound
        No such key, with how to register one.
    """
    found = session.scalar(select(Organisation).where(Organisation.key == key))
    if found is None:
        raise NotFound(
            f"no organisation {key!r} in the registry: register it with hgr org add "
            f"{key} --country CC --name NAME --source S --verified-by OFFICER",
            code="E_UNKNOWN_ORGANISATION",
        )
    return found


def register_organisation(
    session: Session,
    by: Actor,
    key: str,
    country: str,
    name: str,
    fact: Fact,
    *,
    language: str = "en",
    identifiers: Iterable[str] = (),
) -> Organisation:
    """Register an organisation with its first name and its identifiers.

    Raises
    ------
    ValidationFailed
        A malformed key, country, name or identifier, a key already taken, or a fact without
        its source or verifier.
    """
    fact = fact.checked()
    if not _KEY.match(key):
        raise _bad(f"key {key!r}: 2 to 64 lower-case letters, digits, '.', '_' or '-'")
    if not _COUNTRY.match(country):
        raise _bad(f"country {country!r}: an ISO 3166-1 alpha-2 code such as CN or GB")
    if session.scalar(select(Organisation.id).where(Organisation.key == key)) is not None:
        raise _bad(f"key {key!r} is registered already: add names or identifiers to it")
    organisation = Organisation(
        key=key,
        country=country,
        source=fact.source,
        verified_by=fact.verified_by,
        recorded_at=utc_now(),
    )
    session.add(organisation)
    session.flush()
    add_name(session, by, organisation, name, fact, language=language, audit=False)
    for identifier in identifiers:
        add_identifier(session, by, organisation, identifier, fact, audit=False)
    record(
        session,
        by,
        "org.register",
        f"organisations/{key}",
        detail={
            "country": country,
            "name": name,
            "identifiers": sorted(identifiers),
            "source": fact.source,
            "verified_by": fact.verified_by,
        },
    )
    return organisation


def add_name(
    session: Session,
    by: Actor,
    organisation: Organisation,
    name: str,
    fact: Fact,
    *,
    language: str = "en",
    former: bool = False,
    audit: bool = True,
) -> None:
    """Add a name (in ``language``, or a ``former`` name) to the organisation."""
    fact = fact.checked()
    normalised = normalise_name(name)
    if not normalised or len(name) > 300 or any(ord(c) < 32 for c in name):
        raise _bad(
            f"name {name[:80]!r}: give the organisation's name (at most 300 characters, "
            "no control characters)"
        )
    session.add(
        OrganisationName(
            organisation_id=organisation.id,
            name=name.strip(),
            language=language[:16],
            former=former,
            normalised=normalised,
            source=fact.source,
            verified_by=fact.verified_by,
        )
    )
    if audit:
        record(
            session,
            by,
            "org.name",
            f"organisations/{organisation.key}",
            detail={
                "name": name,
                "language": language,
                "former": former,
                "source": fact.source,
                "verified_by": fact.verified_by,
            },
        )


def add_identifier(
    session: Session,
    by: Actor,
    organisation: Organisation,
    identifier: str,
    fact: Fact,
    *,
    audit: bool = True,
) -> None:
    """Add a legal identifier (``SCHEME:VALUE``) to the organisation.

    Raises
    ------
    ValidationFailed
        A malformed identifier, or one another organisation holds.
    """
    fact = fact.checked()
    identifier = normalise_identifier(identifier)
    if not _IDENTIFIER.match(identifier):
        raise _bad(
            f"identifier {identifier[:80]!r}: write SCHEME:VALUE, such as "
            "USCC:91310000MA1FL0001R, CH:00000001 or LEI:5493001KJTIIGC8Y1R12"
        )
    holder = session.scalar(
        select(Organisation.key)
        .join(OrganisationIdentifier)
        .where(OrganisationIdentifier.identifier == identifier)
    )
    if holder is not None:
        raise _bad(f"identifier {identifier} belongs to {holder} already")
    session.add(
        OrganisationIdentifier(
            organisation_id=organisation.id,
            identifier=identifier,
            source=fact.source,
            verified_by=fact.verified_by,
        )
    )
    if audit:
        record(
            session,
            by,
            "org.identifier",
            f"organisations/{organisation.key}",
            detail={
                "identifier": identifier,
                "source": fact.source,
                "verified_by": fact.verified_by,
            },
        )


def _controlling() -> object:
    C = OrganisationControl
    return or_(C.kind == "agreement", C.share >= CONTROL_SHARE)


def controllers(session: Session, organisation_id: int) -> set[int]:
    """Every organisation that controls ``organisation_id``, directly or through others
    (not the organisation itself)."""
    C = OrganisationControl
    seen: set[int] = set()
    frontier = {organisation_id}
    while frontier:
        above = set(
            session.scalars(
                select(C.controller_id).where(
                    C.controlled_id.in_(sorted(frontier)),
                    _controlling(),  # type: ignore[arg-type]
                )
            )
        )
        frontier = above - seen - {organisation_id}
        seen |= frontier
    return seen


def add_control(
    session: Session,
    by: Actor,
    controller: str,
    controlled: str,
    kind: str,
    share: float | None,
    fact: Fact,
) -> OrganisationControl:
    """Record that ``controller`` holds ``share`` percent of ``controlled``'s equity or votes,
    or controls it by agreement.

    Raises
    ------
    NotFound
        An organisation key the registry does not hold.
    ValidationFailed
        An organisation controlling itself, a share out of range or missing, shares of one
        kind summing above 100%, a relation that would make a control cycle, or a fact
        without its source or verifier.
    """
    fact = fact.checked()
    upper, lower = find_organisation(session, controller), find_organisation(session, controlled)
    if upper.id == lower.id:
        raise _bad(f"{controller} cannot hold or control itself")
    if kind not in KINDS:
        raise _bad(f"kind {kind!r}: one of {', '.join(KINDS)}")
    if kind == "agreement":
        if share is not None:
            raise _bad("control by agreement has no share: leave it out")
    elif share is None or not 0 < share <= 100:
        raise _bad(f"a holding of {kind} gives its share, above 0 and at most 100 percent")
    C = OrganisationControl
    if session.scalar(
        select(C.id).where(C.controller_id == upper.id, C.controlled_id == lower.id, C.kind == kind)
    ):
        raise _bad(f"{controller}'s {kind} in {controlled} is recorded already")
    if share is not None:
        held = (
            session.scalar(
                select(func.coalesce(func.sum(C.share), 0.0)).where(
                    C.controlled_id == lower.id, C.kind == kind
                )
            )
            or 0.0
        )
        if held + share > 100 + 1e-9:
            raise _bad(
                f"the recorded holdings of {controlled}'s {kind} come to {held:g}%: "
                f"{share:g}% more would exceed 100%"
            )
    if (kind == "agreement" or (share or 0) >= CONTROL_SHARE) and (
        lower.id in controllers(session, upper.id)
    ):
        raise _bad(
            f"{controlled} controls {controller} already: {controller} controlling "
            f"{controlled} would make a control cycle"
        )
    relation = OrganisationControl(
        controller_id=upper.id,
        controlled_id=lower.id,
        kind=kind,
        share=share,
        source=fact.source,
        verified_by=fact.verified_by,
        recorded_at=utc_now(),
    )
    session.add(relation)
    session.flush()
    record(
        session,
        by,
        "org.control",
        f"organisations/{controlled}",
        detail={
            "controller": controller,
            "kind": kind,
            "share": share,
            "source": fact.source,
            "verified_by": fact.verified_by,
        },
    )
    return relation


def organisations_named(session: Session, name: str) -> list[Organisation]:
    """Every registered organisation one of whose names (any language, or a former name)
    normalises as ``name`` does, in any country."""
    normalised = normalise_name(name)
    if not normalised:
        return []
    query = (
        select(Organisation).join(OrganisationName).where(OrganisationName.normalised == normalised)
    )
    return list(session.scalars(query.distinct().order_by(Organisation.id)))


def normalise_identifier(identifier: str) -> str:
    """An identifier as identifiers are stored: no spaces, scheme and value upper-case
    ("uscc: 9131…" and "USCC:9131…" are one identifier)."""
    return "".join(identifier.split()).upper()


def organisations_matching(
    session: Session, identifiers: Iterable[str], name: str
) -> list[Organisation]:
    """Every registered organisation that holds one of ``identifiers`` or has ``name`` (in
    normalised form, in any country): all of them, so that adding another organisation's
    identifier to a request, or naming a namesake, cannot make one of them stand for the
    rest."""
    wanted = sorted({normalise_identifier(i) for i in identifiers if i.strip()})
    found = {o.id: o for o in organisations_named(session, name)}
    if wanted:
        held = (
            select(Organisation)
            .join(OrganisationIdentifier)
            .where(OrganisationIdentifier.identifier.in_(wanted))
        )
        found |= {o.id: o for o in session.scalars(held)}
    return [found[k] for k in sorted(found)]


def organisations_of_party(
    session: Session, key: str | None, identifiers: Iterable[str], name: str
) -> list[Organisation]:
    """The registered organisations a request's party stands for. A party with a registry
    ``key`` is that organisation and every holder of an identifier it gives (another's
    identifier added is not dropped), never a namesake: its name is the registry's. A party
    without one is every organisation its identifiers and name point to
    (organisations_matching)."""
    if key is None:
        return organisations_matching(session, identifiers, name)
    found = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.key == key))}
    found |= {o.id: o for o in organisations_matching(session, identifiers, "")}
    return list(found.values())


def organisation_by_identity(
    session: Session, identifiers: Iterable[str], name: str, country: str = ""
) -> Organisation | None:
    """The one registered organisation the identifiers and the name point to: by
    identifier, else by normalised name (in ``country`` first, else the only one anywhere);
    None when they point to none, or to several (hgr.organisations.organisations_matching
    gives them all)."""
    wanted = sorted({normalise_identifier(i) for i in identifiers if i.strip()})
    if wanted:
        held = list(
            session.scalars(
                select(Organisation)
                .join(OrganisationIdentifier)
                .where(OrganisationIdentifier.identifier.in_(wanted))
                .distinct()
            )
        )
        if len(held) == 1:
            return held[0]
        if held:
            return None
    named = organisations_named(session, name)
    here = [o for o in named if o.country == country]
    if len(here) == 1:
        return here[0]
    return named[0] if len(named) == 1 else None


@dataclass(frozen=True)
class _Above:
    """Every organisation above one in the control graph, at any level: who holds what of
    whom (``held``: controlled -> (controller, kind, share)), and each one's country."""

    held: dict[int, list[tuple[int, str, float]]]
    countries: dict[int, str]


def _above(session: Session, organisation_id: int, kinds: tuple[str, ...]) -> _Above:
    C = OrganisationControl
    held: dict[int, list[tuple[int, str, float]]] = {}
    members = frontier = {organisation_id}
    while frontier:
        rows = session.execute(
            select(C.controlled_id, C.controller_id, C.kind, C.share).where(
                C.controlled_id.in_(sorted(frontier)), C.kind.in_(kinds)
            )
        ).all()
        for lower, upper, kind, share in rows:
            held.setdefault(lower, []).append((upper, kind, share or 0.0))
        frontier = {upper for _, upper, _, _ in rows} - members
        members = members | frontier
    countries = dict(
        session.execute(
            select(Organisation.id, Organisation.country).where(
                Organisation.id.in_(sorted(members))
            )
        ).all()
    )
    return _Above(held, countries)


def _fixpoint(above: _Above, seeds: set[int], joins: Callable[[int, set[int]], bool]) -> set[int]:
    """``seeds`` and every organisation above that ``joins`` the set given the set so far,
    until none is added: a ring of holdings counts in full, whichever way it is reached."""
    found = set(seeds)
    while added := {o for o in above.countries.keys() - found if joins(o, found)}:
        found |= added
    return found


def _share(above: _Above, member: int, kind: str, holders: set[int]) -> float:
    return min(
        sum(
            share
            for upper, k, share in above.held.get(member, ())
            if k == kind and upper in holders
        ),
        100.0,
    )


def foreign_party(session: Session, organisation: Organisation, home: str = "CN") -> bool:
    """Whether the organisation is a foreign party of ``home`` (HGR Reg. Art. 21 and the
    Implementing Rules): established abroad, or controlled, directly or through others, by
    a foreign party, or 50% or more of its equity or votes held by foreign parties together
    (the same of each organisation above it, found as a fixpoint)."""
    above = _above(session, organisation.id, KINDS)

    def joins(member: int, foreign: set[int]) -> bool:
        pairs = above.held.get(member, ())
        controlled = any(
            upper in foreign and (kind == "agreement" or share >= CONTROL_SHARE)
            for upper, kind, share in pairs
        )
        return controlled or any(
            _share(above, member, kind, foreign) >= CONTROL_SHARE for kind in ("equity", "votes")
        )

    abroad = {o for o, country in above.countries.items() if country != home}
    return organisation.id in _fixpoint(above, abroad, joins)


def concern_ownership(
    session: Session, organisation: Organisation, concern: frozenset[str] = COUNTRIES_OF_CONCERN
) -> float:
    """The percent of the organisation's equity owned, directly or indirectly, individually or
    in aggregate, by countries of concern and covered persons (28 CFR 202.211(a)(1)): every
    holder established in a country of ``concern``, or itself so owned 50% or more (a covered
    person, found as a fixpoint over the organisations above), counts with its whole share;
    100 for an organisation established in one."""
    above = _above(session, organisation.id, ("equity",))
    if above.countries.get(organisation.id) in concern:
        return 100.0
    seeds = {o for o, country in above.countries.items() if country in concern}
    covered = _fixpoint(
        above, seeds, lambda member, found: _share(above, member, "equity", found) >= CONTROL_SHARE
    )
    return _share(above, organisation.id, "equity", covered)
