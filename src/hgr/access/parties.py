"""The organisations of a request, bound to the node's registries before it is kept.

A request names each organisation by its key in the organisation registry (hgr org add), or
gives a name and identifiers the node finds it by. Either way the node binds the party to what
it knows: the registered organisation (its key, its names, its country and identifiers), or,
for the provider, one of the node's own institutions. A party the node cannot find is refused
with how to register it; a name and identifiers that point to several organisations, or a key
with another organisation's identifier or name, are refused too, so the decision is never made
on whichever one the requester picked (docs/policy.md, "The organisation registry").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.exceptions import NotFound, ValidationFailed
from hgr.organisations import (
    find_organisation,
    normalise_identifier,
    normalise_name,
    organisations_matching,
)
from hgr.organisations.models import Organisation as Registered
from hgr.organisations.models import OrganisationIdentifier, OrganisationName
from hgr.policy.request import AccessRequest, Organisation
from hgr.registry import models as m

__all__ = ["bind_parties", "node_institution"]

ROLES = ("provider", "requester", "recipient", "domestic_partner")


def _refuse(role: str, message: str, fix: str) -> ValidationFailed:
    return ValidationFailed(
        f"{role.replace('_', ' ')}: {message}; {fix}", [], code="E_UNREGISTERED_PARTY"
    )


def node_institution(session: Session, party: Organisation) -> m.Institution | None:
    """The one institution of the node's registry that ``party`` names (by code, legal
    identifier or normalised name), or None."""
    keys = {normalise_name(party.name), party.name.strip().casefold()} - {""}
    keys |= {i.strip().casefold() for i in party.identifiers}
    keys |= {i.split(":", 1)[1].strip().casefold() for i in party.identifiers if ":" in i}
    found = [
        i
        for i in session.scalars(select(m.Institution))
        if {i.code.casefold(), normalise_name(i.name), i.legal_person_id.casefold()} & keys
    ]
    return found[0] if len(found) == 1 else None


def _registered(session: Session, organisation: Registered, party: Organisation) -> Organisation:
    """``party`` as the registry records ``organisation``: its key, its first name (or the
    declared one where it is one of the organisation's names), its country, and its
    identifiers with those declared."""
    names = list(
        session.execute(
            select(OrganisationName.name, OrganisationName.normalised)
            .where(OrganisationName.organisation_id == organisation.id)
            .order_by(OrganisationName.former, OrganisationName.id)
        )
    )
    declared = normalise_name(party.name)
    name = next((n for n, normal in names if normal == declared), names[0][0] if names else "")
    held = session.scalars(
        select(OrganisationIdentifier.identifier).where(
            OrganisationIdentifier.organisation_id == organisation.id
        )
    )
    given = {normalise_identifier(i) for i in party.identifiers if i.strip()}
    identifiers = sorted(set(held) | given)
    return party.model_copy(
        update={
            "key": organisation.key,
            "name": name or party.name,
            "country": organisation.country,
            "identifiers": tuple(identifiers),
        }
    )


def _bind(session: Session, role: str, party: Organisation) -> Organisation:
    named = party.name.strip()
    if party.key is not None:
        try:
            organisation = find_organisation(session, party.key)
        except NotFound as exc:
            raise _refuse(role, str(exc), "or name an organisation that is registered") from None
        # A key names one organisation: a namesake elsewhere is not it, but an identifier of
        # another organisation given with it is a contradiction.
        others = [
            o.key
            for o in organisations_matching(session, party.identifiers, "")
            if o.id != organisation.id
        ]
        if others:
            raise _refuse(
                role,
                f"the identifiers given with {party.key} are those of {', '.join(others)}",
                "name the one organisation by its key alone",
            )
        own = set(
            session.scalars(
                select(OrganisationName.normalised).where(
                    OrganisationName.organisation_id == organisation.id
                )
            )
        )
        if named and normalise_name(named) not in own:
            raise _refuse(
                role,
                f"{party.key} is not registered under the name {named!r}",
                f"add the name to it (hgr org name {party.key} ...) or leave the name out",
            )
        return _registered(session, organisation, party)
    found = organisations_matching(session, party.identifiers, named)
    if len(found) > 1:
        raise _refuse(
            role,
            f"{named!r} names {len(found)} registered organisations "
            f"({', '.join(o.key for o in found)})",
            "name the one meant by its registry key (key: ...)",
        )
    if found:
        return _registered(session, found[0], party)
    institution = node_institution(session, party) if role == "provider" else None
    if institution is not None:
        # One of the node's own institutions: the registry's country, whatever was declared
        # (a provider declared in the destination's country would skip the filing).
        return party.model_copy(update={"name": institution.name, "country": institution.country})
    ids = f" ({', '.join(party.identifiers)})" if party.identifiers else ""
    raise _refuse(
        role,
        f"{named!r}{ids} is not in the node's organisation registry",
        f"an officer registers it (hgr org add KEY --country {party.country or 'CC'} "
        f"--name {named!r} --source S --verified-by OFFICER), and the request names "
        "it by that key",
    )


def bind_parties(session: Session, request: AccessRequest) -> AccessRequest:
    """``request`` with each of its organisations bound to the node's registries: a
    registered organisation by key (or by the one organisation its name and identifiers
    point to), filled in from the registry; the provider may also be one of the node's own
    institutions.

    Raises
    ------
    ValidationFailed
        (E_UNREGISTERED_PARTY) A party the registries do not hold, one whose name and
        identifiers point to several organisations, a key given with another organisation's
        name or identifiers, or a provider that is not the cohort's institution; the message
        names the party and how to fix it.
    """
    bound = {
        role: _bind(session, role, party)
        for role in ROLES
        if (party := getattr(request, role)) is not None
    }
    cohort = request.cohort
    if cohort is not None:
        # The data is the cohort's institution's to provide: a request cannot name another
        # provider (another country, another committee) for it.
        provider = bound["provider"]
        holder = node_institution(session, provider)
        if holder is None or holder.code != cohort.institution:
            raise _refuse(
                "provider",
                f"{provider.name!r} is not {cohort.institution}, which holds the cohort",
                "name the cohort's institution as the provider",
            )
    return request.model_copy(update=bound)
