"""OpenID Connect bearer JWTs: checked against the configured issuer and its key set.

A token is accepted only when its signature verifies with a key from the issuer's JWKS, with an
asymmetric algorithm the node allows (never ``none``, never a shared-secret HMAC: RFC 8725
§3.1-3.2), and when ``iss``, ``aud``, ``exp``, ``iat`` and ``sub`` are present and right.
"""

from __future__ import annotations

from typing import Any

import jwt

from hgr.auth.keysets import KeySets, check_key_url, fetch_json
from hgr.config import OidcSettings
from hgr.exceptions import ConfigurationError, NotAuthenticated

__all__ = ["ASYMMETRIC", "OidcVerifier", "decode_signed", "looks_like_jwt"]

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""The only algorithms a token may be signed with (RFC 8725 §3.1: no ``none``, and no HMAC,
whose key would have to be shared with every verifier)."""


def looks_like_jwt(value: str) -> bool:
    """Three base64url parts separated by dots: a compact JWS."""
    return value.count(".") == 2 and all(value.split("."))


def decode_signed(
    token: str, keys: KeySets, url: str, allowed: frozenset[str] | tuple[str, ...], **checks: Any
) -> dict[str, Any]:
    """The claims of ``token`` once its signature verifies with a key of the set at ``url``.

    ``checks`` go to :func:`jwt.decode` (audience, issuer, leeway, options). Every failure is a
    NotAuthenticated whose message says why (for the audit log, not for the caller).
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(f"malformed JWT: {exc}", code="E_BAD_TOKEN") from exc
    alg = header.get("alg")
    if alg not in allowed or alg not in ASYMMETRIC:
        raise NotAuthenticated(f"algorithm {alg!r} is not accepted", code="E_BAD_TOKEN")
    key = keys.key(url, header.get("kid"))
    if key.alg is not None and key.alg != alg:
        raise NotAuthenticated(
            f"key {header.get('kid')} is for {key.alg}, not {alg}", code="E_BAD_TOKEN"
        )
    try:
        claims: dict[str, Any] = jwt.decode(token, key=key.jwk, algorithms=[alg], **checks)
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(f"JWT refused: {exc}", code="E_BAD_TOKEN") from exc
    return claims


class OidcVerifier:
    """Checks bearer JWTs of one issuer."""

    def __init__(self, settings: OidcSettings, keys: KeySets) -> None:
        self.settings, self.keys = settings, keys
        self._jwks_uri = settings.jwks_uri

    @classmethod
    def from_settings(cls, settings: OidcSettings, keys: KeySets | None = None) -> OidcVerifier:
        if not settings.issuer:
            raise ConfigurationError("[oidc] needs an issuer", code="E_OIDC")
        if not settings.audience:
            # Without an audience a token minted for any other service of the same issuer
            # would be accepted here (RFC 8725 §3.9).
            raise ConfigurationError("[oidc] needs an audience", code="E_OIDC")
        unknown = set(settings.algorithms) - ASYMMETRIC
        if unknown:
            raise ConfigurationError(
                f"[oidc] algorithms {sorted(unknown)} are not accepted; use some of "
                f"{sorted(ASYMMETRIC)}",
                code="E_OIDC",
            )
        check_key_url(settings.issuer)
        if settings.jwks_uri:
            check_key_url(settings.jwks_uri)
        return cls(settings, keys or KeySets(settings.jwks_cache_seconds))

    def jwks_uri(self) -> str:
        """The configured key-set address, or the one the issuer's discovery document names
        (OpenID Connect Discovery 1.0 §4)."""
        if self._jwks_uri:
            return self._jwks_uri
        config = fetch_json(self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if config.get("issuer") != self.settings.issuer or not isinstance(
            config.get("jwks_uri"), str
        ):
            raise NotAuthenticated(
                "the issuer's discovery document does not match it", code="E_KEYS_UNAVAILABLE"
            )
        self._jwks_uri = check_key_url(config["jwks_uri"])  # discovered once, then kept
        return self._jwks_uri

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token from this issuer for this audience, whose lifetime
        (``exp - iat``) is at most ``max_lifetime_seconds``: a stolen token of a hundred years
        would work for a hundred years (RFC 9068 §5 and RFC 8725 §3.10 leave the limit to the
        resource server)."""
        claims = decode_signed(
            token,
            self.keys,
            self.jwks_uri(),
            self.settings.algorithms,
            audience=self.settings.audience,
            issuer=self.settings.issuer,
            leeway=self.settings.leeway_seconds,
            options={"require": ["exp", "iat", "iss", "sub", "aud"]},
        )
        try:
            lifetime = float(claims["exp"]) - float(claims["iat"])
        except (TypeError, ValueError, OverflowError):
            raise NotAuthenticated(
                "the token's exp or iat is not a number", code="E_BAD_TOKEN"
            ) from None
        longest = self.settings.max_lifetime_seconds
        if lifetime > longest:
            raise NotAuthenticated(
                f"the token lives {lifetime:.0f} s, longer than the {longest} s this node "
                "accepts ([oidc] max_lifetime_seconds): ask the issuer for a shorter one",
                code="E_TOKEN_LIFETIME",
            )
        return claims
