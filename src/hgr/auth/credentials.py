"""Recognising the caller from a bearer credential: a personal token or an OIDC JWT.

One entry point, :class:`Authenticator`, so that every route authenticates the same way.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.auth.keysets import KeySets
from hgr.auth.models import User
from hgr.auth.oidc import OidcVerifier, looks_like_jwt
from hgr.auth.passport import verify_passport
from hgr.auth.roles import Principal, Role
from hgr.auth.seals import user_is_sealed
from hgr.auth.users import BAD_CREDENTIAL, TOKEN_PREFIX, authenticate_token, principal_for
from hgr.config import Settings
from hgr.db import seal_key
from hgr.exceptions import NotAuthenticated

__all__ = ["Authenticator"]

MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024
"""A passport of 200 visas of 16 KiB is 3.2 MiB; anything longer is refused unread."""


class Authenticator:
    """Turns the value of an ``Authorization: Bearer`` header into a principal."""

    def __init__(self, settings: Settings, keys: KeySets | None = None) -> None:
        self.keys = keys or KeySets(settings.oidc.jwks_cache_seconds)
        self.oidc = (
            OidcVerifier.from_settings(settings.oidc, self.keys) if settings.oidc.enabled else None
        )
        self.passport = settings.passport

    def principal(self, session: Session, credential: str) -> Principal:
        """The principal behind ``credential``; NotAuthenticated (one message, a reason for
        the audit log) when it is not valid."""
        try:
            if len(credential) > MAX_CREDENTIAL_BYTES:
                raise NotAuthenticated(BAD_CREDENTIAL, reason="credential too long")
            if credential.startswith(TOKEN_PREFIX + "_"):
                return authenticate_token(session, credential)
            if self.oidc is not None and looks_like_jwt(credential):
                return self._oidc_principal(session, credential)
            raise NotAuthenticated(BAD_CREDENTIAL, reason="neither a personal token nor a JWT")
        except NotAuthenticated as exc:
            raise NotAuthenticated(BAD_CREDENTIAL, code="E_BAD_TOKEN", reason=exc.reason) from None

    def _oidc_principal(self, session: Session, token: str) -> Principal:
        assert self.oidc is not None
        claims = self.oidc.verify(token)
        subject = str(claims["sub"])
        passport = None
        if "ga4gh_passport_v1" in claims:
            passport = verify_passport(
                claims, self.passport, self.keys, leeway=self.oidc.settings.leeway_seconds
            )
        user = session.scalar(select(User).where(User.oidc_subject == subject))
        if user is not None:
            if user.disabled_at is not None:
                raise NotAuthenticated(BAD_CREDENTIAL, reason=f"user {user.name} is disabled")
            if not user_is_sealed(seal_key(session), user):  # edited in SQL (hgr.auth.seals)
                raise NotAuthenticated(
                    BAD_CREDENTIAL, reason=f"user {user.name} was changed outside the node"
                )
            principal = principal_for(user.name, user.role, user.scope, "oidc")
        elif self.oidc.settings.admit_unregistered or (passport and passport.registered_access):
            # An identity the node does not know is at most a researcher: what it may see
            # beyond public data comes from grants, never from its own claims.
            principal = Principal(f"oidc:{claims['iss']}|{subject}"[:300], Role.RESEARCHER)
        else:
            raise NotAuthenticated(BAD_CREDENTIAL, reason=f"OIDC subject {subject} is not a user")
        return Principal(principal.actor, principal.role, principal.scope, passport=passport)
