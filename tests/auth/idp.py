"""A local identity provider for tests: key pairs, a JWKS file, signed tokens."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


class Issuer:
    """Signs JWTs as ``name`` with a fresh key; its key set is at ``jwks_url`` (a file)."""

    def __init__(self, folder: Path, name: str, *, kind: str = "RSA", kid: str = "k1") -> None:
        self.name, self.kid, self.folder = name, kid, folder
        if kind == "RSA":
            self.key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256"
            public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
            public = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwk = {**public, "kid": kid, "use": "sig", "alg": self.alg}
        folder.mkdir(parents=True, exist_ok=True)
        self.jwks_path = folder / f"{kid}.jwks.json"
        self.publish()

    @property
    def jwks_url(self) -> str:
        return self.jwks_path.as_uri()

    def publish(self, *extra: dict[str, Any]) -> None:
        self.jwks_path.write_text(json.dumps({"keys": [self.jwk, *extra]}))

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.name, "sub": "alice-sub", "aud": "hgr", "iat": now, "exp": now + 600}
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        header = {"kid": self.kid, **headers}
        return jwt.encode(claims, self.key, algorithm=self.alg, headers=header)

    def token(self, **overrides: Any) -> str:
        return self.sign(self.claims(**overrides))

    def visa(
        self,
        kind: str,
        value: str,
        *,
        jku: str | None = None,
        header: dict[str, Any] | None = None,
        **body: Any,
    ) -> str:
        """A Visa Document Token of this issuer."""
        now = int(time.time())
        visa_body = {
            "type": kind,
            "value": value,
            "source": "https://dac.example.org",
            "asserted": now - 3600,
            "by": "dac",
            **body,
        }
        claims = {
            "iss": self.name,
            "sub": "alice-sub",
            "iat": now,
            "exp": now + 3600,
            "ga4gh_visa_v1": {k: v for k, v in visa_body.items() if v is not None},
        }
        return self.sign(claims, jku=jku or self.jwks_url, **(header or {}))


def unsigned(claims: dict[str, Any], **headers: Any) -> str:
    """A token with ``alg: none`` (which must never be accepted)."""
    return jwt.encode(claims, None, algorithm="none", headers=headers or None)


def hmac_signed(claims: dict[str, Any], secret: bytes, **headers: Any) -> str:
    """An HS256 token keyed with ``secret``, built by hand: the key-confusion attack signs with
    the issuer's *public* key, which PyJWT rightly refuses to use as an HMAC secret."""
    import hashlib
    import hmac

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', **headers})}.{part(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
