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


class Provider:
    """A local OpenID provider on a loopback port, for the authorization-code flow with PKCE:
    discovery, an authorization endpoint that signs ``subject`` in at once (as a user already
    signed in at their institution's provider would be), a token endpoint that checks the
    code, the redirect address, the client and the PKCE verifier, and the key set.

    ``amr`` is what the ID token says of how the user signed in; ``tamper`` changes the ID
    token's claims (an attacker's provider, or one that is wrong).
    """

    def __init__(self, folder: Path, client_id: str = "hgr-console") -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.client_id = client_id
        self.subject = "alice-sub"
        self.amr: list[str] = ["pwd"]
        self.tamper: dict[str, Any] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = Issuer(folder, self.url)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> Any:
        import hashlib
        import secrets
        from http.server import BaseHTTPRequestHandler
        from urllib.parse import parse_qs, urlencode, urlsplit

        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": provider.url,
                            "authorization_endpoint": provider.url + "/authorize",
                            "token_endpoint": provider.url + "/token",
                            "jwks_uri": provider.url + "/jwks",
                        },
                    )
                elif parts.path == "/jwks":
                    self._json(200, json.loads(provider.issuer.jwks_path.read_text()))
                elif parts.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = urlencode({"code": code, "state": query.get("state", "")})
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{back}")
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                asked = provider.codes.pop(form.get("code", ""), None)  # each code once
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .decode()
                    .rstrip("=")
                )
                if (
                    asked is None
                    or asked.get("redirect_uri") != form.get("redirect_uri")
                    or asked.get("client_id") != form.get("client_id")
                    or asked.get("code_challenge_method") != "S256"
                    or asked.get("code_challenge") != challenge
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                claims = provider.issuer.claims(
                    sub=provider.subject,
                    aud=provider.client_id,
                    nonce=asked.get("nonce"),
                    amr=provider.amr,
                )
                claims.update(provider.tamper)
                id_token = provider.issuer.sign({k: v for k, v in claims.items() if v is not None})
                self._json(200, {"id_token": id_token, "access_token": "x", "token_type": "Bearer"})

        return Handler
