"""Signing in to the console with a password and a second factor, for institutions without an
identity provider.

- **Passwords** are hashed with argon2id (RFC 9106), with argon2-cffi's parameters (its RFC 9106
  low-memory profile). A password is 12 to 256 characters and not the user's name (NIST SP
  800-63B §3.1.1.2 asks at least 8 and no composition rules).
- **The second factor** is a TOTP code (RFC 6238: HMAC-SHA1, six digits, 30-second steps), with
  one step either side for a drifting clock (§5.2). Each code is accepted once: a code seen
  over someone's shoulder cannot be replayed. Officers and committee members must have one.
  The secret is kept encrypted (AES-GCM) under a key derived from the node's record key, which
  the database does not hold, so a copy of the database does not give anyone the codes.
- **Failures.** Five in a row lock the account for 15 minutes (NIST SP 800-63B §3.2.2 asks a
  limit on failed attempts). Every refusal says the same whatever was wrong, and is audited
  with the true reason.
- **Seals.** The credential row is sealed with the node's record key (:mod:`hgr.auth.seals`): a
  database superuser who writes a password hash of their own, or deletes the second factor,
  is refused at sign-in.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.audit.access_log import record_denied
from hgr.auth.browser_sessions import OpenedSession, end_sessions_of, open_session
from hgr.auth.models import Credential, User
from hgr.auth.roles import Principal, Role
from hgr.auth.seals import credential_seal, user_is_sealed
from hgr.auth.users import find_user, principal_for
from hgr.dates import as_utc, utc_now
from hgr.db import Database
from hgr.db.seals import seal_key
from hgr.exceptions import IntegrityBroken, NotAuthenticated, UsageError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "MAX_FAILURES",
    "SECOND_FACTOR_ROLES",
    "SignedIn",
    "set_password",
    "sign_in",
    "totp_code",
    "unlock",
]

SECOND_FACTOR_ROLES = frozenset(
    {Role.PROVINCIAL_OFFICER, Role.NATIONAL_OFFICER, Role.ETHICS_COMMITTEE, Role.ACCESS_COMMITTEE}
)
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_LENGTH, MAX_LENGTH = 12, 256
STEP = 30  # seconds (RFC 6238 §4)
DIGITS = 6
ISSUER = "hgr"
BAD_SIGN_IN = "the name, password or code is not right, or the account is locked for a while"
# A hash to verify against when the user has no credential, so that an unknown name takes as
# long to refuse as a wrong password (no timing oracle of who has an account).
_DUMMY = None


@dataclass(frozen=True)
class SignedIn:
    """A sign-in that succeeded: who, and the browser session opened for them."""

    principal: Principal
    session: OpenedSession


@cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def _totp_key(key: bytes) -> bytes:
    # A key of its own for the TOTP secrets, derived from the record key (HMAC as a KDF,
    # RFC 5869's extract step with a fixed label).
    return hmac.new(key, b"hgr console totp secrets", hashlib.sha256).digest()


def _seal_secret(key: bytes, user: str, secret: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_totp_key(key)).encrypt(nonce, secret.encode(), user.encode())
    return base64.b64encode(nonce + sealed).decode()


def _open_secret(key: bytes, user: str, stored: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data = base64.b64decode(stored)
    return AESGCM(_totp_key(key)).decrypt(data[:12], data[12:], user.encode()).decode()


def totp_code(secret: str, step: int) -> str:
    """The code of base32 ``secret`` at time step ``step`` (RFC 6238 over RFC 4226)."""
    padded = secret + "=" * (-len(secret) % 8)
    digest = hmac.new(base64.b32decode(padded), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def set_password(
    session: Session, by: Actor, name: str, password: str, *, second_factor: bool = False
) -> str | None:
    """Set ``name``'s console password, and give them a new second factor where
    ``second_factor`` asks or their role requires one. Returns the ``otpauth://`` address to
    enrol in an authenticator app (shown once; the node keeps the secret encrypted), or None.

    Raises
    ------
    NotFound
        No such user.
    UsageError
        The password is too short, too long, or the user's name (``E_PASSWORD``).
    """
    user = find_user(session, name)
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH or password.casefold() == name.casefold():
        raise UsageError(
            f"a password is {MIN_LENGTH} to {MAX_LENGTH} characters and not the user's name",
            code="E_PASSWORD",
        )
    key = seal_key(session)
    now = utc_now()
    credential = session.get(Credential, user.id)
    secret = None
    if second_factor or user.role_enum in SECOND_FACTOR_ROLES:
        secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    if credential is None:
        credential = Credential(user_id=user.id, totp_secret=None)
    elif not _sealed(key, name, credential):
        raise IntegrityBroken(
            f"the console credential of {name} was edited outside the node: check it "
            "(hgr audit verify --records) before setting a new password",
            code="E_INTEGRITY",
        )
    credential.password_hash = _hasher().hash(password)
    if secret is not None:  # otherwise the second factor the user has, if any, stays
        credential.totp_secret = _seal_secret(key, name, secret)
        credential.totp_step = None
    credential.failures, credential.locked_until = 0, None
    credential.changed_at = now
    _seal(key, name, credential)
    # A new password ends every session the old one opened: a stolen cookie goes with it.
    end_sessions_of(session, user, now)
    session.add(credential)
    record(
        session,
        by,
        "auth.password.set",
        f"users/{name}",
        detail={"new_second_factor": secret is not None},
    )
    if secret is None:
        return None
    from urllib.parse import quote

    return (
        f"otpauth://totp/{quote(ISSUER)}:{quote(name)}?secret={secret}"
        f"&issuer={quote(ISSUER)}&algorithm=SHA1&digits={DIGITS}&period={STEP}"
    )


def unlock(session: Session, by: Actor, name: str, now: dt.datetime | None = None) -> bool:
    """Lift the lock that repeated failures put on ``name``'s console sign-in, and clear the
    count (audited); False when the account was not locked. For the operator, when someone who
    knows the name keeps an account locked.

    Raises
    ------
    NotFound
        No such user.
    IntegrityBroken
        The credential was edited outside the node.
    """
    user = find_user(session, name)
    credential = session.get(Credential, user.id)
    if credential is None:
        return False
    key = seal_key(session)
    if not _sealed(key, name, credential):
        raise IntegrityBroken(
            f"the console credential of {name} was edited outside the node: check it "
            "(hgr audit verify --records) before unlocking it",
            code="E_INTEGRITY",
        )
    now = now or utc_now()
    was_locked = credential.locked_until is not None and as_utc(credential.locked_until) > now
    credential.failures, credential.locked_until = 0, None
    _seal(key, name, credential)
    record(session, by, "auth.unlock", f"users/{name}", detail={"was_locked": was_locked})
    return was_locked


def sign_in(
    db: Database,
    name: str,
    password: str,
    code: str,
    *,
    address: str,
    request_id: str = "",
    now: dt.datetime | None = None,
) -> SignedIn:
    """Check a name, password and (where the account has one) second-factor code, and open a
    browser session for the user. The sign-in is audited with the session it opened; a
    refusal is audited in a transaction of its own, with the true reason.

    Raises
    ------
    NotAuthenticated
        ``E_SIGN_IN``, the same for every reason: unknown name, wrong password or code, a code
        used before, a locked or disabled account, a missing second factor where the role
        requires one, or a credential edited outside the node.
    """
    now = now or utc_now()
    # A name with control characters is no user's (and PostgreSQL refuses NUL in text): it is
    # refused unread, and named escaped in the audit log.
    name = name[:100]
    shown = name if name.isprintable() else repr(name)[1:-1]
    with db.transaction() as session:
        if name.isprintable():
            signed, reason = _check(session, name, password[:MAX_LENGTH], code[:16], now)
        else:
            _verify_dummy(password[:MAX_LENGTH])
            signed, reason = None, "a name with control characters"
        if signed is not None:
            opened = open_session(session, signed, now)
            record(
                session,
                Actor(f"console:{signed.name}", signed.role),
                "auth.sign_in",
                f"users/{signed.name}",
                request_id=request_id,
                detail={"address": address[:64]},
            )
            return SignedIn(
                principal_for(signed.name, signed.role, signed.scope, "console"), opened
            )
    record_denied(
        db,
        Actor(address[:64] or "unknown", "public"),
        "auth.sign_in",
        f"users/{shown}",
        reason,
        request_id,
    )
    raise NotAuthenticated(BAD_SIGN_IN, code="E_SIGN_IN", reason=reason)


def _seal(key: bytes, name: str, credential: Credential) -> None:
    credential.seal = _credential_seal(key, name, credential)


def _sealed(key: bytes, name: str, credential: Credential) -> bool:
    return hmac.compare_digest(credential.seal or "", _credential_seal(key, name, credential))


def _credential_seal(key: bytes, name: str, credential: Credential) -> str:
    return credential_seal(
        key,
        name,
        credential.password_hash,
        credential.totp_secret,
        credential.totp_step,
        credential.failures or 0,
        None if credential.locked_until is None else as_utc(credential.locked_until),
        as_utc(credential.changed_at),
    )


def _check(
    session: Session, name: str, password: str, code: str, now: dt.datetime
) -> tuple[User | None, str]:
    """The user when every check passes (failures reset), else None and why; a failure is
    counted, and locks the account at the fifth."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = session.scalars(select(User).where(User.name == name)).first()
    credential = None
    if user is not None:
        # The credential's row is taken before it is read: on PostgreSQL it stays locked to
        # the end of the transaction, and SQLite takes its write lock. Concurrent attempts on
        # one account are then checked one after another, so none reads a failure count or a
        # last code that another is about to change (a race would lift the lockout, or let
        # one code in twice).
        session.execute(
            update(Credential)
            .where(Credential.user_id == user.id)
            .values(failures=Credential.failures)
            .execution_options(synchronize_session=False)
        )
        credential = session.get(Credential, user.id, populate_existing=True)
    if user is None or credential is None:
        _verify_dummy(password)
        return None, "no such user" if user is None else "no console password set"
    key = seal_key(session)
    early = ""
    if not user_is_sealed(key, user) or not _sealed(key, user.name, credential):
        early = "the account or its credential was edited outside the node"
    elif user.disabled_at is not None:
        early = "the user is disabled"
    elif credential.locked_until is not None and as_utc(credential.locked_until) > now:
        early = "locked after repeated failures"
    if early:
        _verify_dummy(password)  # as long as a wrong password: no timing oracle of which
        return None, early
    password_ok = False
    with contextlib.suppress(VerificationError, InvalidHashError):
        password_ok = _hasher().verify(credential.password_hash, password)
    reason = "" if password_ok else "wrong password"
    if password_ok and credential.totp_secret is None and user.role_enum in SECOND_FACTOR_ROLES:
        return None, "the role requires a second factor and none is enrolled"
    if password_ok and credential.totp_secret is not None:
        step = _accepted_step(_open_secret(key, user.name, credential.totp_secret), code, now)
        if step is None:
            reason = "wrong second-factor code"
        elif credential.totp_step is not None and step <= credential.totp_step:
            reason = "a second-factor code used before"
        else:
            credential.totp_step = step
    if reason:
        credential.failures += 1
        if credential.failures >= MAX_FAILURES:
            credential.locked_until = now + LOCKOUT
            credential.failures = 0
            reason += "; the account is locked for 15 minutes"
        _seal(key, user.name, credential)
        return None, reason
    credential.failures, credential.locked_until = 0, None
    _seal(key, user.name, credential)
    return user, ""


def _accepted_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code ``code`` is, within one step of now (RFC 6238 §5.2). Digits
    typed full-width (an IME's １２３) count as the ASCII ones; any other character, whatever
    the script, makes the code wrong."""
    code = unicodedata.normalize("NFKC", code)
    if not re.fullmatch(f"[0-9]{{{DIGITS}}}", code):
        return None
    current = int(now.timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp_code(secret, step).encode(), code.encode()):
            return step
    return None


def _verify_dummy(password: str) -> None:
    from argon2.exceptions import VerificationError

    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _hasher().hash(secrets.token_urlsafe(16))
    with contextlib.suppress(VerificationError):
        _hasher().verify(_DUMMY, password)
