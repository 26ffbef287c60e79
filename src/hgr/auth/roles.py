"""Who a caller is to hgr: a role, a scope, and what that lets them see.

Roles follow the people named in ARCHITECTURE.md. Each role works at one scope level: a steward,
an ethics committee member and a data access committee member serve one institution; a
provincial officer one province; national officers, security reviewers and auditors the nation.
Researchers and the public have no scope: what they may reach comes from grants and from what
is public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hgr.auth.passport import Passport

__all__ = ["ROLE_SCOPE", "Principal", "Role", "ScopeLevel", "anonymous"]


class Role(StrEnum):
    INSTITUTION_STEWARD = "institution_steward"
    PROVINCIAL_OFFICER = "provincial_officer"
    NATIONAL_OFFICER = "national_officer"
    ETHICS_COMMITTEE = "ethics_committee"
    ACCESS_COMMITTEE = "access_committee"
    SECURITY_REVIEWER = "security_reviewer"
    RESEARCHER = "researcher"
    AUDITOR = "auditor"
    PUBLIC = "public"


class ScopeLevel(StrEnum):
    INSTITUTION = "institution"
    PROVINCE = "province"
    NATION = "nation"
    NONE = "none"


ROLE_SCOPE: dict[Role, ScopeLevel] = {
    Role.INSTITUTION_STEWARD: ScopeLevel.INSTITUTION,
    Role.ETHICS_COMMITTEE: ScopeLevel.INSTITUTION,
    Role.ACCESS_COMMITTEE: ScopeLevel.INSTITUTION,
    Role.PROVINCIAL_OFFICER: ScopeLevel.PROVINCE,
    Role.NATIONAL_OFFICER: ScopeLevel.NATION,
    Role.SECURITY_REVIEWER: ScopeLevel.NATION,
    Role.AUDITOR: ScopeLevel.NATION,
    Role.RESEARCHER: ScopeLevel.NONE,
    Role.PUBLIC: ScopeLevel.NONE,
}
"""The scope level each role works at."""


@dataclass(frozen=True)
class Principal:
    """An authenticated (or anonymous) caller.

    ``actor`` is the name the audit log records (``token:alice``, ``oidc:<iss>|<sub>``);
    ``scope`` is an institution code (institution level), a region code (province level) or
    empty; ``grants`` names datasets a data access committee opened to this caller (governed
    access fills it; until then it is empty and individual-level data stays closed);
    ``passport`` holds the verified GA4GH visas the caller presented, if any.
    """

    actor: str
    role: Role
    scope: str = ""
    grants: tuple[str, ...] = field(default=())
    passport: Passport | None = None

    @property
    def level(self) -> ScopeLevel:
        return ROLE_SCOPE[self.role]

    @property
    def authenticated(self) -> bool:
        return self.role is not Role.PUBLIC

    @property
    def user(self) -> str:
        """The account's name, without the kind of credential (``token:alice`` → ``alice``)."""
        return self.actor.split(":", 1)[-1]


def anonymous() -> Principal:
    """The caller who presented no credential."""
    return Principal("anonymous", Role.PUBLIC)
