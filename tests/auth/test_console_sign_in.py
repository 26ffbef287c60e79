"""Console sign-in with a password and a second factor, and the browser sessions it opens:
what a guesser, a shoulder-surfer, a database superuser and a stolen cookie each try."""

from __future__ import annotations

import base64
import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from hgr.audit import Actor
from hgr.audit.models import AuditEvent
from hgr.auth.browser_sessions import (
    csrf_matches,
    end_all_sessions,
    end_session,
    resume,
)
from hgr.auth.models import BrowserSession, Credential
from hgr.auth.passwords import BAD_SIGN_IN, set_password, sign_in, totp_code
from hgr.auth.roles import Role
from hgr.auth.users import add_user, disable_user
from hgr.db import Database
from hgr.exceptions import NotAuthenticated, UsageError
from tests.conftest import as_superuser, at_once

ADMIN = Actor("cli:test", "operator")
NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"


def _user(db: Database, name: str, role: Role, scope: str = "", **kw: bool) -> str | None:
    with db.transaction() as session:
        add_user(session, ADMIN, name, role, scope)
        return set_password(session, ADMIN, name, PASSWORD, **kw)


def _secret(uri: str | None) -> str:
    assert uri is not None
    return parse_qs(urlparse(uri).query)["secret"][0]


def _code(secret: str, moment: dt.datetime) -> str:
    return totp_code(secret, int(moment.timestamp()) // 30)


def _refusals(db: Database) -> list[str]:
    with db.reader() as session:
        query = select(AuditEvent.grounds).where(
            AuditEvent.action == "auth.sign_in", AuditEvent.outcome == "denied"
        )
        return list(session.scalars(query.order_by(AuditEvent.id)))


def _refused(db: Database, name: str, password: str, code: str = "", at: dt.datetime = NOW) -> str:
    with pytest.raises(NotAuthenticated) as refused:
        sign_in(db, name, password, code, address="192.0.2.1", now=at)
    assert refused.value.code == "E_SIGN_IN"
    assert refused.value.message == BAD_SIGN_IN  # the same whatever was wrong
    return refused.value.reason


def test_totp_codes_follow_rfc_6238() -> None:
    # RFC 6238 Appendix B, SHA-1: at T = 59 s the 8-digit code is 94287082.
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, 59 // 30) == "287082"
    assert totp_code(secret, 1111111109 // 30) == "081804"  # 07081804


def test_an_auditor_signs_in_and_the_sign_in_is_audited(db: Database) -> None:
    assert _user(db, "ana", Role.AUDITOR) is None  # no second factor asked
    signed = sign_in(db, "ana", PASSWORD, "", address="192.0.2.1", now=NOW)
    assert signed.principal.actor == "console:ana"
    assert signed.principal.role is Role.AUDITOR
    active = resume(db, signed.session.token, NOW + dt.timedelta(minutes=5))
    assert active.user == "ana"
    assert csrf_matches(active, signed.session.csrf)
    assert not csrf_matches(active, signed.session.csrf[:-1] + "x")
    with db.reader() as session:
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == "users/ana")
        ).all()
        stored = session.scalars(select(BrowserSession.id)).one()
    assert "auth.sign_in" in events
    assert signed.session.token not in stored  # only a digest of the cookie is kept


def test_every_wrong_answer_is_refused_alike_and_audited_with_its_reason(db: Database) -> None:
    _user(db, "ana", Role.AUDITOR)
    assert _refused(db, "nobody", PASSWORD) == "no such user"
    assert _refused(db, "ana", "wrong password!!") == "wrong password"
    assert _refused(db, "ana", "") == "wrong password"
    assert _refused(db, "ana" + "x" * 10_000, PASSWORD) == "no such user"
    # PostgreSQL refuses NUL in text: such a name is refused unread, and audited escaped.
    assert _refused(db, "ana\x00", PASSWORD) == "a name with control characters"
    assert _refusals(db) == [
        "no such user",
        "wrong password",
        "wrong password",
        "no such user",
        "a name with control characters",
    ]


def test_five_failures_lock_the_account_for_fifteen_minutes(db: Database) -> None:
    _user(db, "ana", Role.AUDITOR)
    for _ in range(4):
        _refused(db, "ana", "guess guess guess")
    assert "locked for 15 minutes" in _refused(db, "ana", "guess guess guess")
    # The right password does not get through while locked...
    assert _refused(db, "ana", PASSWORD, at=NOW + dt.timedelta(minutes=14)) == (
        "locked after repeated failures"
    )
    # ...and does afterwards.
    sign_in(db, "ana", PASSWORD, "", address="192.0.2.1", now=NOW + dt.timedelta(minutes=16))


def test_officers_need_a_second_factor_and_each_code_works_once(db: Database) -> None:
    secret = _secret(_user(db, "li", Role.NATIONAL_OFFICER))
    assert _refused(db, "li", PASSWORD) == "wrong second-factor code"
    code = _code(secret, NOW)
    sign_in(db, "li", PASSWORD, code, address="192.0.2.1", now=NOW)
    # Seen over a shoulder and replayed within its 30 seconds: refused.
    assert _refused(db, "li", PASSWORD, code, NOW + dt.timedelta(seconds=5)) == (
        "a second-factor code used before"
    )
    # A code from a minute and a half ago is out of the window.
    old = _code(secret, NOW - dt.timedelta(seconds=90))
    later = NOW + dt.timedelta(seconds=30)
    assert _refused(db, "li", PASSWORD, old, later) == "wrong second-factor code"
    # The next step's code, from a phone a little ahead, is accepted.
    sign_in(db, "li", PASSWORD, _code(secret, later), address="192.0.2.1", now=later)


def test_the_second_factor_is_kept_encrypted(db: Database) -> None:
    secret = _secret(_user(db, "li", Role.NATIONAL_OFFICER))
    with db.reader() as session:
        stored = session.scalars(select(Credential.totp_secret)).one()
    assert stored is not None
    assert secret not in stored
    assert secret not in base64.b64decode(stored).decode("latin-1")


def test_an_auditor_may_ask_for_a_second_factor(db: Database) -> None:
    uri = _user(db, "ana", Role.AUDITOR, second_factor=True)
    assert uri is not None
    assert re.match(r"otpauth://totp/hgr:ana\?secret=[A-Z2-7]{32}&issuer=hgr", uri)
    assert _refused(db, "ana", PASSWORD) == "wrong second-factor code"


@pytest.mark.parametrize("password", ["short", "x" * 257, "Mei-Institution", "mei-institution"])
def test_a_weak_password_is_refused(db: Database, password: str) -> None:
    with db.transaction() as session:
        add_user(session, ADMIN, "mei-institution", Role.AUDITOR)
    with pytest.raises(UsageError) as refused, db.transaction() as session:
        set_password(session, ADMIN, "mei-institution", password)
    assert refused.value.code == "E_PASSWORD"


def test_a_superuser_cannot_swap_the_password_or_drop_the_second_factor(db: Database) -> None:
    from argon2 import PasswordHasher

    _user(db, "li", Role.NATIONAL_OFFICER)
    _user(db, "ana", Role.AUDITOR)
    table = Credential.__table__
    with as_superuser(db) as session:  # their own password, written in SQL
        session.execute(
            sa.update(table)
            .where(table.c.user_id == _id(db, "ana"))
            .values(password_hash=PasswordHasher().hash("the superuser's own pw"))
        )
        session.execute(  # the officer's second factor removed
            sa.update(table).where(table.c.user_id == _id(db, "li")).values(totp_secret=None)
        )
    assert _refused(db, "ana", "the superuser's own pw") == (
        "the account or its credential was edited outside the node"
    )
    assert _refused(db, "li", PASSWORD) == (
        "the account or its credential was edited outside the node"
    )


def _id(db: Database, name: str) -> int:
    from hgr.auth.models import User

    with db.reader() as session:
        return int(session.scalars(select(User.id).where(User.name == name)).one())


def test_sessions_end_when_idle_at_twelve_hours_and_when_signed_out(db: Database) -> None:
    _user(db, "ana", Role.AUDITOR)

    def opened(at: dt.datetime) -> str:
        return sign_in(db, "ana", PASSWORD, "", address="192.0.2.1", now=at).session.token

    def ended(token: str, at: dt.datetime) -> str:
        with pytest.raises(NotAuthenticated) as refused:
            resume(db, token, at)
        assert refused.value.code == "E_SESSION"
        return refused.value.reason

    idle = opened(NOW)
    resume(db, idle, NOW + dt.timedelta(minutes=29))
    assert ended(idle, NOW + dt.timedelta(minutes=60)) == "idle for 30 minutes"
    # Kept busy, a session still ends 12 hours after sign-in.
    busy = opened(NOW)
    for step in range(1, 36):  # every 20 minutes, up to 11 h 40 min
        resume(db, busy, NOW + step * dt.timedelta(minutes=20))
    assert ended(busy, NOW + dt.timedelta(hours=12)) == "past the session's 12 hours"
    # Signed out: this browser only, then every browser.
    first, second, third = opened(NOW), opened(NOW), opened(NOW)
    end_session(db, first, Actor("console:ana", "auditor"), NOW)
    assert ended(first, NOW) == "signed out"
    resume(db, second, NOW)
    assert end_all_sessions(db, "ana", Actor("console:ana", "auditor"), NOW) >= 2
    assert ended(second, NOW) == "signed out"
    assert ended(third, NOW) == "signed out"
    assert ended("not-a-cookie-at-all-but-long-enough", NOW) == "unknown session"
    assert ended("short", NOW) == "malformed session cookie"


def test_a_disabled_user_loses_their_sessions(db: Database) -> None:
    _user(db, "ana", Role.AUDITOR)
    token = sign_in(db, "ana", PASSWORD, "", address="192.0.2.1", now=NOW).session.token
    with db.transaction() as session:
        disable_user(session, ADMIN, "ana", reason="left")
    with pytest.raises(NotAuthenticated):
        resume(db, token, NOW)
    assert _refused(db, "ana", PASSWORD) == "the user is disabled"


def test_a_session_moved_to_another_user_or_prolonged_in_sql_opens_nothing(db: Database) -> None:
    _user(db, "ana", Role.AUDITOR)
    _user(db, "li", Role.NATIONAL_OFFICER)
    token = sign_in(db, "ana", PASSWORD, "", address="192.0.2.1", now=NOW).session.token
    table = BrowserSession.__table__
    with as_superuser(db) as session:  # the auditor's session made the officer's
        session.execute(sa.update(table).values(user_id=_id(db, "li")))
    with pytest.raises(NotAuthenticated) as refused:
        resume(db, token, NOW)
    assert refused.value.reason == "the session or its user was edited outside the node"
    with as_superuser(db) as session:  # back to its user, and made to last a year
        session.execute(
            sa.update(table).values(user_id=_id(db, "ana"), expires_at=NOW + dt.timedelta(days=365))
        )
    with pytest.raises(NotAuthenticated):
        resume(db, token, NOW)


def test_guesses_sent_together_still_lock_the_account(db: Database) -> None:
    # Twenty guesses at once: each reads the count after the one before wrote it, so the
    # fifth locks the account, and the right password is then refused.
    _user(db, "ana", Role.AUDITOR)
    guesses = at_once(
        20, lambda i: sign_in(db, "ana", f"guess number {i}", "", address="x", now=NOW)
    )
    assert all(isinstance(g, NotAuthenticated) for g in guesses)
    assert _refused(db, "ana", PASSWORD) == "locked after repeated failures"
    assert _refusals(db).count("wrong password") == 4


def test_one_code_sent_together_opens_one_session(db: Database) -> None:
    secret = _secret(_user(db, "li", Role.NATIONAL_OFFICER))
    code = _code(secret, NOW)
    results = at_once(8, lambda i: sign_in(db, "li", PASSWORD, code, address=f"a{i}", now=NOW))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, NotAuthenticated) for r in results if isinstance(r, Exception))


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [
        ("full-width", True),  # an IME's digits are the same digits
        ("arabic-indic", False),
        ("superscript", False),
        ("spaced", False),
    ],
)
def test_a_code_in_other_digits_is_read_or_refused_never_a_crash(
    db: Database, typed: str, accepted: bool
) -> None:
    secret = _secret(_user(db, "li", Role.NATIONAL_OFFICER))
    code = _code(secret, NOW)
    shown = {
        "full-width": "".join(chr(0xFF10 + int(d)) for d in code),
        "arabic-indic": "".join(chr(0x0660 + int(d)) for d in code),
        "superscript": "²" * 6,
        "spaced": " ".join(code),
    }[typed]
    if accepted:
        sign_in(db, "li", PASSWORD, shown, address="x", now=NOW)
    else:
        assert _refused(db, "li", PASSWORD, shown) == "wrong second-factor code"


def test_a_new_password_ends_the_old_sessions_and_keeps_the_second_factor(
    db: Database,
) -> None:
    secret = _secret(_user(db, "ana", Role.AUDITOR, second_factor=True))
    token = sign_in(db, "ana", PASSWORD, _code(secret, NOW), address="x", now=NOW).session.token
    with db.transaction() as session:
        assert set_password(session, ADMIN, "ana", "a brand new passphrase") is None
    with pytest.raises(NotAuthenticated):
        resume(db, token, NOW)
    # The second factor is still asked for, with the same secret.
    later = NOW + dt.timedelta(minutes=1)
    assert _refused(db, "ana", "a brand new passphrase", at=later) == "wrong second-factor code"
    sign_in(db, "ana", "a brand new passphrase", _code(secret, later), address="x", now=later)


def test_a_superuser_cannot_bring_back_a_session_or_a_used_code_or_lift_a_lock(
    db: Database,
) -> None:
    secret = _secret(_user(db, "li", Role.NATIONAL_OFFICER))
    code = _code(secret, NOW)
    token = sign_in(db, "li", PASSWORD, code, address="x", now=NOW).session.token
    end_session(db, token, Actor("console:li", "national_officer"), NOW)
    sessions, credentials = BrowserSession.__table__, Credential.__table__
    with as_superuser(db) as session:  # signed out, brought back
        session.execute(sa.update(sessions).values(ended_at=None))
    with pytest.raises(NotAuthenticated):
        resume(db, token, NOW)
    with as_superuser(db) as session:  # the last code wound back, to use it again
        session.execute(sa.update(credentials).values(totp_step=None))
    assert _refused(db, "li", PASSWORD, code) == (
        "the account or its credential was edited outside the node"
    )


def test_the_operator_lifts_a_lock_someone_keeps_putting_on(db: Database) -> None:
    # Anyone who knows a name can lock its account with five guesses; the operator lifts it,
    # and the lifting is audited.
    from hgr.auth.passwords import unlock

    _user(db, "ana", Role.AUDITOR)
    for _ in range(5):
        _refused(db, "ana", "someone else's guess")
    with db.transaction() as session:
        assert unlock(session, ADMIN, "ana", NOW) is True
    sign_in(db, "ana", PASSWORD, "", address="x", now=NOW + dt.timedelta(minutes=1))
    with db.transaction() as session:
        assert unlock(session, ADMIN, "ana", NOW) is False  # not locked: nothing to lift
    with db.reader() as session:
        lifted = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "auth.unlock")
        ).all()
    assert len(lifted) == 2
