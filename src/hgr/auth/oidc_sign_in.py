"""Signing in to the console through the node's OpenID Connect issuer: the authorization-code
flow with PKCE (OpenID Connect Core 1.0 §3.1; RFC 7636 with S256).

:func:`begin` makes the attempt's ``state``, ``nonce`` and code verifier and seals them, with
where to go afterwards, in a cookie encrypted under a key derived from the node's record key
(AES-GCM): the node keeps nothing per attempt, and neither the browser nor anyone else can read
or change what the cookie holds. It returns the issuer's authorization address to send the
browser to.

:func:`finish` takes the issuer's answer. It checks that ``state`` is the cookie's own (so no
one can make a browser complete a sign-in they started: OIDC Core §3.1.2.7, RFC 6749 §10.12),
exchanges the code at the token endpoint with the verifier (so a code stolen on its way back is
worth nothing: RFC 7636 §1), and verifies the ID token: its signature by a key of the issuer's
set, ``iss``, ``aud`` (the node's client id, and ``azp`` when several audiences are named),
``exp``, ``iat`` and the attempt's ``nonce`` (OIDC Core §3.1.3.7). The subject must be a user of
the node (``hgr user add --oidc-subject``); the console is for the node's own users. A role that
needs a second factor (officers, committees) must have signed in with one, as the token's
``amr`` says (RFC 8176). A browser session is then opened, and the sign-in audited; every
refusal is audited with its true reason and answered with one message.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from hgr.audit import Actor, record
from hgr.audit.access_log import record_denied
from hgr.auth.browser_sessions import open_session
from hgr.auth.keysets import KeySets, check_key_url, fetch_json, post_form
from hgr.auth.models import User
from hgr.auth.oidc import decode_signed
from hgr.auth.passwords import SECOND_FACTOR_ROLES, SignedIn
from hgr.auth.seals import user_is_sealed
from hgr.auth.users import principal_for
from hgr.config import OidcSettings
from hgr.dates import utc_now
from hgr.db import Database
from hgr.db.seals import seal_key
from hgr.exceptions import ConfigurationError, NotAuthenticated

__all__ = ["ATTEMPT", "BAD_OIDC_SIGN_IN", "Finished", "Started", "begin", "enabled", "finish"]

ATTEMPT = dt.timedelta(minutes=10)  # from leaving for the issuer to coming back
BAD_OIDC_SIGN_IN = "the sign-in through your identity provider did not succeed"
# RFC 8176 methods that are a second factor, or say that more than one was used.
SECOND_FACTORS = frozenset({"mfa", "otp", "hwk", "swk", "sms", "fpt", "face", "iris", "pop"})
_LABEL = b"hgr console oidc sign-in"


@dataclass(frozen=True)
class Started:
    """An attempt begun: the issuer's address to send the browser to, and the sealed cookie
    that the browser brings back."""

    location: str
    cookie: str


def enabled(settings: OidcSettings) -> bool:
    """Whether the console offers sign-in through the issuer."""
    return bool(settings.issuer and settings.client_id)


def _provider(settings: OidcSettings) -> dict[str, Any]:
    """The issuer's discovery document (OIDC Discovery 1.0 §4), which must name it."""
    check_key_url(settings.issuer)
    config = fetch_json(settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
    if config.get("issuer") != settings.issuer:
        raise NotAuthenticated(
            "the issuer's discovery document names another issuer", code="E_KEYS_UNAVAILABLE"
        )
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(config.get(name), str):
            raise NotAuthenticated(
                f"the issuer's discovery document has no {name}", code="E_KEYS_UNAVAILABLE"
            )
        check_key_url(config[name])
    return config


def _cookie_key(db: Database) -> bytes:
    with db.reader() as session:
        # A key of its own, derived from the record key (HMAC as a KDF, RFC 5869's extract
        # step with a fixed label).
        return hmac.new(seal_key(session), _LABEL, hashlib.sha256).digest()


def _seal(key: bytes, content: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(content).encode(), _LABEL)
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def _open(key: bytes, cookie: str) -> dict[str, Any]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        data = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
        opened = json.loads(AESGCM(key).decrypt(data[:12], data[12:], _LABEL))
    except (ValueError, InvalidTag) as exc:
        raise NotAuthenticated(
            BAD_OIDC_SIGN_IN, reason="the attempt's cookie does not open"
        ) from exc
    if not isinstance(opened, dict):
        raise NotAuthenticated(BAD_OIDC_SIGN_IN, reason="the attempt's cookie holds no attempt")
    return opened


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")  # RFC 7636 §4.2, S256


def begin(
    db: Database, settings: OidcSettings, redirect_uri: str, onward: str, now: dt.datetime
) -> Started:
    """Begin a sign-in through the issuer; ``onward`` is the page to go to afterwards."""
    if not enabled(settings):
        raise ConfigurationError("[oidc] needs an issuer and a client_id", code="E_OIDC")
    provider = _provider(settings)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 §4.1 asks 43 to 128
    attempt: dict[str, Any] = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": verifier,
        "next": onward,
        "until": (now + ATTEMPT).timestamp(),
    }
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": attempt["state"],
            "nonce": attempt["nonce"],
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = provider["authorization_endpoint"]
    joiner = "&" if "?" in endpoint else "?"
    return Started(f"{endpoint}{joiner}{query}", _seal(_cookie_key(db), attempt))


@dataclass(frozen=True)
class Finished:
    """A sign-in completed: the session opened, and the page to go on to."""

    signed: SignedIn
    onward: str


def finish(
    db: Database,
    settings: OidcSettings,
    keys: KeySets,
    answer: dict[str, str],
    cookie: str,
    redirect_uri: str,
    *,
    address: str,
    request_id: str = "",
    now: dt.datetime | None = None,
) -> Finished:
    """Complete the sign-in the issuer answered with ``answer`` (its query: ``code`` and
    ``state``, or ``error``), given the attempt's ``cookie``.

    Raises
    ------
    NotAuthenticated
        ``E_SIGN_IN`` for every reason, each audited: the issuer refused, the state or cookie
        is not this attempt's, the code or token does not verify, the subject is no user
        here, or the user's role needs a second factor the issuer does not vouch for.
    """
    now = now or utc_now()
    try:
        return _finish(db, settings, keys, answer, cookie, redirect_uri, now, address, request_id)
    except NotAuthenticated as exc:
        record_denied(
            db,
            Actor(address[:64] or "unknown", "public"),
            "auth.sign_in",
            "oidc",
            exc.reason or exc.message,
            request_id,
        )
        raise NotAuthenticated(
            BAD_OIDC_SIGN_IN, code="E_SIGN_IN", reason=exc.reason or exc.message
        ) from None


def _refused(reason: str) -> NotAuthenticated:
    return NotAuthenticated(BAD_OIDC_SIGN_IN, code="E_SIGN_IN", reason=reason)


def _finish(
    db: Database,
    settings: OidcSettings,
    keys: KeySets,
    answer: dict[str, str],
    cookie: str,
    redirect_uri: str,
    now: dt.datetime,
    address: str,
    request_id: str,
) -> Finished:
    if not enabled(settings):
        raise _refused("sign-in through an issuer is not configured")
    if "error" in answer:
        raise _refused(f"the issuer answered {answer['error'][:100]!r}")
    attempt = _open(_cookie_key(db), cookie) if cookie else None
    if attempt is None:
        raise _refused("no attempt's cookie came back")
    if not hmac.compare_digest(str(attempt.get("state", "")), answer.get("state", "")):
        raise _refused("the state is not this browser's attempt")
    if now.timestamp() > float(attempt.get("until", 0)):
        raise _refused("the attempt took over ten minutes")
    code = answer.get("code", "")
    if not code or len(code) > 2000:
        raise _refused("the issuer sent no code")
    provider = _provider(settings)
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": str(attempt["verifier"]),
        "client_id": settings.client_id,
    }
    headers: dict[str, str] = {}
    if settings.client_secret:  # a confidential client (RFC 6749 §2.3.1, client_secret_basic)
        pair = f"{settings.client_id}:{settings.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    tokens = post_form(provider["token_endpoint"], fields, headers)
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise _refused("the token endpoint sent no ID token")
    claims = decode_signed(
        id_token,
        keys,
        provider["jwks_uri"],
        settings.algorithms,
        audience=settings.client_id,
        issuer=settings.issuer,
        leeway=settings.leeway_seconds,
        options={"require": ["exp", "iat", "iss", "sub", "aud", "nonce"]},
    )
    if not hmac.compare_digest(str(claims["nonce"]), str(attempt["nonce"])):
        raise _refused("the ID token's nonce is not this attempt's")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.client_id:
        raise _refused("the ID token names several audiences and another party")
    subject = str(claims["sub"])
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.oidc_subject == subject))
        if user is None:
            raise _refused(f"OIDC subject {subject[:100]} is not a user of this node")
        if user.disabled_at is not None:
            raise _refused(f"user {user.name} is disabled")
        if not user_is_sealed(seal_key(session), user):
            raise _refused(f"user {user.name} was changed outside the node")
        amr = claims.get("amr")
        methods = {str(m) for m in amr} if isinstance(amr, list) else set()
        if user.role in SECOND_FACTOR_ROLES and not SECOND_FACTORS & methods:
            raise _refused(
                f"{user.role} {user.name} signed in at the issuer without a second factor"
            )
        opened = open_session(session, user, now)
        record(
            session,
            Actor(f"console:{user.name}", user.role),
            "auth.sign_in",
            f"users/{user.name}",
            request_id=request_id,
            detail={"address": address[:64], "via": "oidc", "issuer": settings.issuer},
        )
        principal = principal_for(user.name, user.role, user.scope, "oidc")
    return Finished(SignedIn(principal, opened), str(attempt.get("next", "")))
