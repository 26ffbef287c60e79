"""What the node knows of one organisation, as an officer reads it: its names and
identifiers, who controls it, whether it is a foreign party, and where it stands against the
debarment list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.organisations.models import Organisation, OrganisationIdentifier, OrganisationName
from hgr.organisations.registry import controllers, find_organisation, foreign_party
from hgr.organisations.screening import screen

__all__ = ["organisation_profile"]


def organisation_profile(session: Session, key: str, today: dt.date) -> dict[str, Any]:
    """The organisation registered under ``key``, with what the node computes from the
    registry (its controllers up the chain, foreign party, debarment screening on ``today``).

    Raises NotFound for a key the registry does not hold.
    """
    organisation = find_organisation(session, key)
    above = controllers(session, organisation.id)
    found = screen(session, organisation, today)
    names = session.scalars(
        select(OrganisationName).where(OrganisationName.organisation_id == organisation.id)
    )
    identifiers = session.scalars(
        select(OrganisationIdentifier.identifier).where(
            OrganisationIdentifier.organisation_id == organisation.id
        )
    )
    above_keys = session.scalars(select(Organisation.key).where(Organisation.id.in_(sorted(above))))
    return {
        "key": organisation.key,
        "country": organisation.country,
        "names": [{"name": n.name, "language": n.language, "former": n.former} for n in names],
        "identifiers": sorted(identifiers),
        "controlled_by": sorted(above_keys),
        "foreign_party": foreign_party(session, organisation),
        "debarment": {
            "level": found.level,
            "entries": list(found.entries),
            "near_misses": [n.__dict__ for n in found.near_misses],
        },
    }
