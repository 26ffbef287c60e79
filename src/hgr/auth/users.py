"""Managing users and personal API tokens, and recognising a token on a request.

Every change here is a state change, so each writes its audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.auth.models import ApiToken, User
from hgr.auth.roles import ROLE_SCOPE, Principal, Role, ScopeLevel
from hgr.auth.seals import seal_token, seal_user, token_seal, user_is_sealed, user_seal
from hgr.dates import as_utc, utc_now
from hgr.db import seal_key
from hgr.exceptions import Conflict, NotAuthenticated, NotFound, UsageError
from hgr.organisations import normalise_name, organisations_of_party
from hgr.policy.request import REGISTRY_KEY
from hgr.registry import models as m
from hgr.vocabulary import RegionLevel

__all__ = [
    "IssuedToken",
    "TokenRow",
    "add_user",
    "authenticate_token",
    "create_token",
    "disable_user",
    "find_user",
    "list_tokens",
    "principal_for",
    "revoke_token",
]

TOKEN_PREFIX = "hgr"
_TOKEN = re.compile(r"^hgr_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
MAX_TOKEN_DAYS = 366
BAD_CREDENTIAL = "the token is not valid"


@dataclass(frozen=True)
class IssuedToken:
    """A token as issued: ``value`` is shown once and never stored."""

    value: str
    token_id: str
    expires_at: dt.datetime


def _check_scope(session: Session, role: Role, scope: str) -> None:
    level = ROLE_SCOPE[role]
    if level is ScopeLevel.INSTITUTION:
        if not session.scalar(select(m.Institution.id).where(m.Institution.code == scope)):
            raise NotFound(
                f"a {role.value} works for one institution: {scope!r} is not a registered "
                "institution code",
                code="E_SCOPE",
            )
    elif level is ScopeLevel.PROVINCE:
        found = session.scalar(
            select(m.Region.id).where(
                m.Region.code == scope, m.Region.level == RegionLevel.PROVINCE
            )
        )
        if not found:
            raise NotFound(
                f"a {role.value} works for one province: {scope!r} is not a province code",
                code="E_SCOPE",
            )
    elif scope:
        raise UsageError(f"a {role.value} has no scope; drop {scope!r}", code="E_UNSCOPED_ROLE")


def _check_organisation(session: Session, role: Role, organisation: str) -> None:
    """Refuse an organisation the node cannot look up: a user belongs to a registered
    organisation (its registry key, or the names or identifier of exactly one), or to one of
    the node's institutions (its code or name). A researcher, who may request data, must name
    one; the authorities' own officers, reviewers and auditors may leave it out."""
    given = organisation.strip()
    fix = (
        "register it (hgr org add KEY --country CC --name NAME --source S --verified-by "
        "OFFICER) and give the user its key (--organisation KEY)"
    )
    if not given:
        if role is Role.RESEARCHER:
            raise UsageError(
                f"a researcher belongs to a registered organisation: {fix}",
                code="E_USER_ORGANISATION",
            )
        return
    institutions = session.execute(select(m.Institution.code, m.Institution.name)).all()
    if any(
        given == code or normalise_name(given) == normalise_name(name)
        for code, name in institutions
    ):
        return
    identifiers = [given] if ":" in given else []
    key = given if re.match(REGISTRY_KEY, given) else None
    found = organisations_of_party(session, key, identifiers, given)
    if key is not None and not found:
        found = organisations_of_party(session, None, identifiers, given)
    if len(found) == 1:
        return
    what = (
        f"names {len(found)} registered organisations"
        if found
        else "is not in the organisation registry"
    )
    raise UsageError(f"organisation {given!r} {what}: {fix}", code="E_USER_ORGANISATION")


def add_user(
    session: Session,
    by: Actor,
    name: str,
    role: Role,
    scope: str = "",
    *,
    oidc_subject: str = "",
    organisation: str = "",
    country: str = "",
) -> User:
    """Register a user with a role and scope (checked against the registry), and the
    organisation they work for and its country (ISO 3166-1 alpha-2; the beacon's disclosure
    rules depend on it)."""
    if not _NAME.match(name):
        raise UsageError(
            f"user name {name!r}: use 1-100 letters, digits and . _ @ -", code="E_USER_NAME"
        )
    if role is Role.PUBLIC:
        raise UsageError("the public role is for anonymous callers, not users", code="E_ROLE")
    _check_scope(session, role, scope)
    _check_organisation(session, role, organisation)
    country = country.strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise UsageError(
            f"country {country!r}: give an ISO 3166-1 alpha-2 code such as CN", code="E_COUNTRY"
        )
    if session.scalar(select(User.id).where(User.name == name)):
        raise Conflict(f"user {name} exists already", code="E_USER_EXISTS")
    if oidc_subject and session.scalar(select(User.id).where(User.oidc_subject == oidc_subject)):
        raise Conflict(f"OIDC subject {oidc_subject} belongs to another user", code="E_USER_EXISTS")
    user = User(
        name=name,
        role=role.value,
        scope=scope,
        oidc_subject=oidc_subject or None,
        organisation=organisation.strip(),
        country=country,
        created_at=utc_now(),
    )
    seal_user(seal_key(session), user)
    session.add(user)
    record(
        session,
        by,
        "auth.user.add",
        f"users/{name}",
        detail={
            "role": role.value,
            "scope": scope,
            "oidc": bool(oidc_subject),
            "organisation": organisation.strip(),
            "country": country,
        },
    )
    return user


def find_user(session: Session, name: str) -> User:
    """The user called ``name``; NotFound when there is none."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user called {name}", code="E_NO_USER")
    return user


def create_token(
    session: Session, by: Actor, name: str, *, days: int = 90, label: str = ""
) -> IssuedToken:
    """Issue a personal token for user ``name`` valid for ``days`` days."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise UsageError(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}", code="E_TOKEN")
    user = find_user(session, name)
    if user.disabled_at is not None:
        raise Conflict(f"user {name} is disabled", code="E_USER_DISABLED")
    if not user_is_sealed(seal_key(session), user):
        raise Conflict(
            f"user {name}'s record was changed outside the node: see hgr audit verify --records",
            code="E_RECORD_TAMPERED",
        )
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    expires = utc_now() + dt.timedelta(days=days)
    token = ApiToken(
        token_id=token_id,
        user_id=user.id,
        secret_sha256=hashlib.sha256(secret.encode()).hexdigest(),
        label=label,
        created_at=utc_now(),
        expires_at=expires,
    )
    seal_token(seal_key(session), token, user.name)
    session.add(token)
    record(
        session,
        by,
        "auth.token.create",
        f"users/{name}/tokens/{token_id}",
        detail={"expires_at": expires.isoformat(), "label": label},
    )
    return IssuedToken(f"{TOKEN_PREFIX}_{token_id}_{secret}", token_id, expires)


def revoke_token(session: Session, by: Actor, token_id: str) -> None:
    """Revoke a token at once; requests carrying it fail from the next one on."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_id == token_id))
    if token is None:
        raise NotFound(f"no token {token_id}", code="E_NO_TOKEN")
    if token.revoked_at is None:
        token.revoked_at = utc_now()
        seal_token(seal_key(session), token, token.user.name)
        record(session, by, "auth.token.revoke", f"users/{token.user.name}/tokens/{token_id}")


def disable_user(session: Session, by: Actor, name: str, *, reason: str = "") -> int:
    """Disable user ``name``: their tokens and sign-ins fail from the next request on, and
    each of their live tokens is revoked too. Returns how many tokens were revoked.

    The account stays (its audit trail names it); a disabled user is never re-enabled in place:
    add a new account if they return."""
    user = find_user(session, name)
    if user.disabled_at is not None:
        raise Conflict(f"user {name} is disabled already", code="E_USER_DISABLED")
    now = utc_now()
    key = seal_key(session)
    user.disabled_at = now
    seal_user(key, user)
    revoked = 0
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now
            seal_token(key, token, user.name)
            revoked += 1
    record(
        session,
        by,
        "auth.user.disable",
        f"users/{name}",
        grounds=reason,
        detail={"tokens_revoked": revoked},
    )
    return revoked


@dataclass(frozen=True)
class TokenRow:
    """What an operator sees of a token: never its secret."""

    token_id: str
    user: str
    role: str
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime
    status: str  # live, expired, revoked, user disabled


def list_tokens(
    session: Session, name: str | None = None, now: dt.datetime | None = None
) -> list[TokenRow]:
    """Every token (or user ``name``'s), newest first, with whether it still works."""
    now = now or utc_now()
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if name is not None:
        query = query.where(User.id == find_user(session, name).id)
    rows = []
    for token, user in session.execute(query.order_by(ApiToken.created_at.desc())).all():
        status = (
            "revoked"
            if token.revoked_at is not None
            else "user disabled"
            if user.disabled_at is not None
            else "expired"
            if as_utc(token.expires_at) <= now
            else "live"
        )
        rows.append(
            TokenRow(
                token.token_id,
                user.name,
                user.role,
                token.label,
                as_utc(token.created_at),
                as_utc(token.expires_at),
                status,
            )
        )
    return rows


def principal_for(name: str, role: str, scope: str, via: str) -> Principal:
    """The principal user ``name`` acts as, named for the audit log by how they authenticated."""
    return Principal(f"{via}:{name}", Role(role), scope)


def authenticate_token(session: Session, value: str, now: dt.datetime | None = None) -> Principal:
    """The principal a personal token belongs to.

    Raises NotAuthenticated for a malformed, unknown, wrong, expired or revoked token, or a
    disabled user, with one message for all, so that a caller learns nothing about which.
    """
    now = now or utc_now()

    def refused(reason: str) -> NotAuthenticated:
        return NotAuthenticated(BAD_CREDENTIAL, code="E_BAD_TOKEN", reason=reason)

    match = _TOKEN.match(value)
    if not match:
        raise refused("malformed personal token")
    # Columns rather than ORM objects: this runs on every request, and loading two entities
    # into the session costs more than the query itself.
    found = session.connection().execute(_TOKEN_LOOKUP, {"token_id": match[1]}).first()
    digest = hashlib.sha256(match[2].encode()).hexdigest()
    if found is None:
        raise refused(f"unknown token {match[1]}")
    if not hmac.compare_digest(digest, found.secret_sha256):
        raise refused(f"wrong secret for token {match[1]}")
    if found.revoked_at is not None:
        raise refused(f"token {match[1]} is revoked")
    if as_utc(found.expires_at) <= now:
        raise refused(f"token {match[1]} expired")
    if found.disabled_at is not None:
        raise refused(f"user {found.name} is disabled")
    # A row edited or inserted in SQL carries no valid seal (hgr.auth.seals).
    key = seal_key(session)
    user = user_seal(
        key,
        found.name,
        found.role,
        found.scope,
        found.organisation,
        found.country,
        found.oidc_subject,
        found.disabled_at,
    )
    token = token_seal(
        key, match[1], found.name, found.secret_sha256, found.expires_at, found.revoked_at
    )
    if not (
        hmac.compare_digest(user, found.user_seal or "")
        and hmac.compare_digest(token, found.token_seal or "")
    ):
        raise refused(f"token {match[1]} or user {found.name} was changed outside the node")
    return principal_for(found.name, found.role, found.scope, "token")


_TOKEN_LOOKUP = (
    select(
        ApiToken.secret_sha256,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.seal.label("token_seal"),
        User.name,
        User.role,
        User.scope,
        User.disabled_at,
        User.organisation,
        User.country,
        User.oidc_subject,
        User.seal.label("user_seal"),
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_id == bindparam("token_id"))
)
