"""Seals on the rows that grant access: a user's role and scope, a token's owner and secret.

A database superuser could promote a researcher to national officer with one UPDATE (their
existing token then acted as one) or insert a token row that authenticates as the auditor. Each
user and token row therefore carries an HMAC-SHA256 seal over what it grants, keyed with the
node's record key, which lives in the node's key folder and never in the database
(:meth:`hgr.crypto.NodeKeys.record_key`). Authentication recomputes the seal of the token and of
its user on every request and refuses a row whose seal does not match; ``hgr audit verify
--records`` reports every such row, and every user or token the audit log says was made but
is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.audit.models import AuditEvent
from hgr.audit.records import seal_unsealed_rows
from hgr.auth.models import ApiToken, User

__all__ = [
    "credential_seal",
    "reseal",
    "seal_unsealed",
    "session_seal",
    "token_seal",
    "unsealed_accounts",
    "user_seal",
]


def _mac(key: bytes, table: str, fields: dict[str, Any]) -> str:
    text = json.dumps({"table": table, **fields}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _seconds(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    utc = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return round(utc.timestamp())


def user_seal(
    key: bytes,
    name: str,
    role: str,
    scope: str | None,
    organisation: str | None,
    country: str | None,
    oidc_subject: str | None,
    disabled_at: dt.datetime | None,
) -> str:
    """The seal of a user row: everything that decides what the user may do."""
    return _mac(
        key,
        "app_user",
        {
            "name": name,
            "role": role,
            "scope": scope or "",
            "organisation": organisation or "",
            "country": country or "",
            "oidc_subject": oidc_subject,
            "disabled": _seconds(disabled_at),
        },
    )


def token_seal(
    key: bytes,
    token_id: str,
    user: str,
    secret_sha256: str,
    expires_at: dt.datetime,
    revoked_at: dt.datetime | None,
) -> str:
    """The seal of a token row: whose it is, its secret's hash, and how long it works."""
    return _mac(
        key,
        "api_token",
        {
            "token_id": token_id,
            "user": user,
            "secret_sha256": secret_sha256,
            "expires": _seconds(expires_at),
            "revoked": _seconds(revoked_at),
        },
    )


def credential_seal(
    key: bytes,
    user: str,
    password_hash: str,
    totp_secret: str | None,
    totp_step: int | None,
    failures: int,
    locked_until: dt.datetime | None,
    changed_at: dt.datetime,
) -> str:
    """The seal of a console credential: whose it is, its password's hash, its second factor,
    the last code used, and the failures and lock. A superuser who writes a hash of their own,
    removes the second factor, winds back the last code (to replay it) or lifts a lock breaks
    it."""
    return _mac(
        key,
        "user_credential",
        {
            "user": user,
            "password_hash": password_hash,
            "totp": totp_secret,
            "totp_step": totp_step,
            "failures": failures,
            "locked_until": _seconds(locked_until),
            "changed": _seconds(changed_at),
        },
    )


def session_seal(
    key: bytes,
    session_id: str,
    user: str,
    expires_at: dt.datetime,
    last_seen_at: dt.datetime,
    ended_at: dt.datetime | None,
) -> str:
    """The seal of a browser session: whose it is, until when it may last, when it was last
    used and whether it was ended. A row inserted in SQL, or one made to last longer, kept from
    idling out or brought back after sign-out, breaks it."""
    return _mac(
        key,
        "browser_session",
        {
            "id": session_id,
            "user": user,
            "expires": _seconds(expires_at),
            "seen": _seconds(last_seen_at),
            "ended": _seconds(ended_at),
        },
    )


def seal_user(key: bytes, user: User) -> None:
    """Seal ``user`` as it now stands."""
    user.seal = user_seal(
        key,
        user.name,
        user.role,
        user.scope,
        user.organisation,
        user.country,
        user.oidc_subject,
        user.disabled_at,
    )


def seal_token(key: bytes, token: ApiToken, user: str) -> None:
    """Seal ``token`` (of user ``user``) as it now stands."""
    token.seal = token_seal(
        key, token.token_id, user, token.secret_sha256, token.expires_at, token.revoked_at
    )


def user_is_sealed(key: bytes, user: User) -> bool:
    """Whether ``user``'s row is as the node last wrote it."""
    expected = user_seal(
        key,
        user.name,
        user.role,
        user.scope,
        user.organisation,
        user.country,
        user.oidc_subject,
        user.disabled_at,
    )
    return hmac.compare_digest(expected, user.seal or "")


def unsealed_accounts(session: Session, key: bytes) -> list[str]:
    """Every user or token row whose seal does not match (edited or inserted outside the node),
    and every one the audit log says the node made that is gone, by table and key."""
    problems = []
    users = {user.id: user for user in session.scalars(select(User))}
    for user in users.values():
        if not user_is_sealed(key, user):
            problems.append(
                f"app_user {user.name}: "
                + ("not sealed" if not user.seal else "edited outside the node")
            )
    for token in session.scalars(select(ApiToken)):
        owner = users.get(token.user_id)
        expected = token_seal(
            key,
            token.token_id,
            owner.name if owner else "",
            token.secret_sha256,
            token.expires_at,
            token.revoked_at,
        )
        if not hmac.compare_digest(expected, token.seal or ""):
            problems.append(
                f"api_token {token.token_id}: "
                + ("not sealed" if not token.seal else "edited outside the node")
            )
    names = {user.name for user in users.values()}
    tokens = set(session.scalars(select(ApiToken.token_id)))
    made = session.execute(
        select(AuditEvent.action, AuditEvent.target).where(
            AuditEvent.action.in_(("auth.user.add", "auth.token.create")),
            AuditEvent.outcome == "ok",
        )
    )
    for action, target in made:
        parts = target.split("/")
        if action == "auth.user.add" and parts[-1] not in names:
            problems.append(f"app_user {parts[-1]}: missing (made by the node, deleted since)")
        if action == "auth.token.create" and parts[-1] not in tokens:
            problems.append(f"api_token {parts[-1]}: missing (made by the node, deleted since)")
    return problems


def seal_unsealed(session: Session, key: bytes, *, write: bool) -> list[str]:
    """The user and token rows that carry no seal at all (made before seals existed, or
    inserted outside the node), sealed as they stand when ``write``. A row whose seal is
    present but wrong is never sealed again here: it was edited, and stays reported."""
    found = []
    for user in session.scalars(select(User).where(User.seal.is_(None)).order_by(User.name)):
        found.append(
            f"app_user {user.name} ({user.role}{' of ' + user.scope if user.scope else ''})"
        )
        if write:
            seal_user(key, user)
    for token, owner in session.execute(
        select(ApiToken, User.name)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.seal.is_(None))
        .order_by(ApiToken.token_id)
    ):
        found.append(f"api_token {token.token_id} of {owner}")
        if write:
            seal_token(key, token, owner)
    return found


def reseal(
    session: Session, by: Actor, key: bytes, *, write: bool
) -> tuple[list[str], dict[str, int]]:
    """Every row that carries no seal: the accounts (one line each) and the governed rows
    (a count per table). With ``write`` they are sealed as they stand, and the sealing is
    audited; a row whose seal is present but wrong is never sealed again."""
    accounts = seal_unsealed(session, key, write=write)
    counts = seal_unsealed_rows(session, write=write)
    if write and (accounts or counts):
        record(
            session, by, "registry.reseal", "records", detail={"accounts": accounts, "rows": counts}
        )
    return accounts, counts
