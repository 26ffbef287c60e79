"""Authentication and authorization: users, tokens, roles, scopes, and the access rules."""

from hgr.auth.credentials import Authenticator
from hgr.auth.passport import Passport, Visa, VisaType, verify_passport
from hgr.auth.permissions import Action, Decision, authorize, authorize_entity
from hgr.auth.roles import Principal, Role, ScopeLevel, anonymous
from hgr.auth.users import (
    add_user,
    authenticate_token,
    create_token,
    disable_user,
    find_user,
    list_tokens,
    revoke_token,
)

__all__ = [
    "Action",
    "Authenticator",
    "Decision",
    "Passport",
    "Principal",
    "Role",
    "ScopeLevel",
    "Visa",
    "VisaType",
    "add_user",
    "anonymous",
    "authenticate_token",
    "authorize",
    "authorize_entity",
    "create_token",
    "disable_user",
    "find_user",
    "list_tokens",
    "revoke_token",
    "verify_passport",
]
