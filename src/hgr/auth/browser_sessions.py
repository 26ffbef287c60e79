"""Browser sessions of the console: opened at sign-in, resumed on every request, ended by
signing out (of one browser or of all).

The cookie holds 256 random bits; the database keeps only their SHA-256, so a copy of the
database opens no session. A session ends after 30 minutes without a request and 12 hours after
sign-in whatever happens (OWASP ASVS 4.0 §3.3.2, level 2). Each session has its own CSRF token,
which every form the console serves carries and every change it accepts checks. The row is
sealed (:mod:`hgr.auth.seals`): one inserted in SQL, or whose end is moved later, opens nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.auth.models import BrowserSession, User
from hgr.auth.roles import Principal
from hgr.auth.seals import session_seal, user_is_sealed
from hgr.auth.users import principal_for
from hgr.dates import as_utc, utc_now
from hgr.db import Database
from hgr.db.seals import seal_key
from hgr.exceptions import NotAuthenticated

__all__ = [
    "ABSOLUTE",
    "IDLE",
    "ActiveSession",
    "OpenedSession",
    "csrf_matches",
    "end_all_sessions",
    "end_session",
    "end_sessions_of",
    "open_session",
    "resume",
]

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=12)
# A session's last use is written at most this often: a page view need not always write.
TOUCH = dt.timedelta(minutes=1)
ENDED = "the session has ended: sign in again"


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the cookie's value (shown to the browser only), its CSRF token, and
    when it ends at the latest."""

    token: str
    csrf: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class ActiveSession:
    """A session resumed by a request: who, and the CSRF token its forms carry."""

    principal: Principal
    user: str
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, now: dt.datetime) -> OpenedSession:
    """Open a session for ``user`` (after they signed in)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + ABSOLUTE
    row = BrowserSession(
        id=_digest(token),
        user_id=user.id,
        csrf=csrf,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
    )
    _seal(seal_key(session), row, user.name)
    session.add(row)
    return OpenedSession(token, csrf, expires_at)


def _seal(key: bytes, row: BrowserSession, user: str) -> None:
    row.seal = session_seal(
        key, row.id, user, as_utc(row.expires_at), as_utc(row.last_seen_at), _maybe(row.ended_at)
    )


def resume(db: Database, token: str, now: dt.datetime | None = None) -> ActiveSession:
    """The session whose cookie is ``token``, its last use moved to now.

    Raises
    ------
    NotAuthenticated
        ``E_SESSION``: no such session, or one ended, idle too long, past its end, edited
        outside the node, or of a disabled user.
    """
    now = now or utc_now()

    def refused(reason: str) -> NotAuthenticated:
        return NotAuthenticated(ENDED, code="E_SESSION", reason=reason)

    if not 20 <= len(token) <= 100:
        raise refused("malformed session cookie")
    with db.transaction() as session:
        found = session.execute(
            select(BrowserSession, User)
            .join(User, User.id == BrowserSession.user_id)
            .where(BrowserSession.id == _digest(token))
        ).first()
        if found is None:
            raise refused("unknown session")
        row, user = found
        key = seal_key(session)
        expected = session_seal(
            key,
            row.id,
            user.name,
            as_utc(row.expires_at),
            as_utc(row.last_seen_at),
            _maybe(row.ended_at),
        )
        if not hmac.compare_digest(row.seal or "", expected) or not user_is_sealed(key, user):
            raise refused("the session or its user was edited outside the node")
        if row.ended_at is not None:
            raise refused("signed out")
        if as_utc(row.expires_at) <= now:
            raise refused("past the session's 12 hours")
        if now - as_utc(row.last_seen_at) >= IDLE:
            raise refused("idle for 30 minutes")
        if user.disabled_at is not None:
            raise refused("the user is disabled")
        if now - as_utc(row.last_seen_at) >= TOUCH:
            row.last_seen_at = now
            _seal(key, row, user.name)
        return ActiveSession(
            principal_for(user.name, user.role, user.scope, "console"), user.name, row.csrf
        )


def csrf_matches(active: ActiveSession, submitted: str) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return hmac.compare_digest(active.csrf.encode(), submitted.encode())


def end_session(db: Database, token: str, by: Actor, now: dt.datetime | None = None) -> None:
    """Sign out this browser: its session ends now (audited)."""
    now = now or utc_now()
    with db.transaction() as session:
        found = session.execute(
            select(BrowserSession, User.name)
            .join(User, User.id == BrowserSession.user_id)
            .where(BrowserSession.id == _digest(token), BrowserSession.ended_at.is_(None))
        ).first()
        if found is not None:
            row, name = found
            row.ended_at = now
            _seal(seal_key(session), row, name)
            record(session, by, "auth.sign_out", f"users/{name}")


def end_sessions_of(session: Session, user: User, now: dt.datetime) -> int:
    """End every open session of ``user`` in ``session``'s transaction; how many ended."""
    key = seal_key(session)
    rows = session.scalars(
        select(BrowserSession).where(
            BrowserSession.user_id == user.id, BrowserSession.ended_at.is_(None)
        )
    ).all()
    for row in rows:
        row.ended_at = now
        _seal(key, row, user.name)
    return len(rows)


def end_all_sessions(db: Database, user: str, by: Actor, now: dt.datetime | None = None) -> int:
    """Sign ``user`` out of every browser; returns how many sessions ended (audited)."""
    now = now or utc_now()
    with db.transaction() as session:
        found = session.scalars(select(User).where(User.name == user)).first()
        count = end_sessions_of(session, found, now) if found is not None else 0
        record(session, by, "auth.sign_out_everywhere", f"users/{user}", detail={"sessions": count})
        return count


def _maybe(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else as_utc(moment)
