"""The organisation registry: who the node deals with, who controls them, and what the
debarment list says of them (docs/policy.md, "The organisation registry")."""

from hgr.organisations.names import normalise_name
from hgr.organisations.registry import (
    COUNTRIES_OF_CONCERN,
    Fact,
    add_control,
    add_identifier,
    add_name,
    concern_ownership,
    controllers,
    find_organisation,
    foreign_party,
    normalise_identifier,
    organisation_by_identity,
    organisations_matching,
    organisations_named,
    organisations_of_party,
    register_organisation,
)
from hgr.organisations.screening import NearMiss, Screening, screen, screen_names, screen_party

__all__ = [
    "COUNTRIES_OF_CONCERN",
    "Fact",
    "NearMiss",
    "Screening",
    "add_control",
    "add_identifier",
    "add_name",
    "concern_ownership",
    "controllers",
    "find_organisation",
    "foreign_party",
    "normalise_identifier",
    "normalise_name",
    "organisation_by_identity",
    "organisations_matching",
    "organisations_named",
    "organisations_of_party",
    "register_organisation",
    "screen",
    "screen_names",
    "screen_party",
]
