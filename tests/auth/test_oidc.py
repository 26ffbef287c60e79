"""OIDC bearer JWTs checked against a locally generated issuer key, end to end through the API."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from hgr.api.app import create_app
from hgr.audit import Actor
from hgr.audit.models import AuditEvent
from hgr.auth.credentials import Authenticator
from hgr.auth.keysets import KeySets
from hgr.auth.roles import Role
from hgr.auth.users import add_user
from hgr.config import OidcSettings, ServiceSettings, Settings, load_settings
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import ConfigurationError, NotAuthenticated
from hgr.node import Node
from tests.auth.idp import Issuer, hmac_signed, unsigned

ADMIN = Actor("cli:test", "operator")
ISSUER = "https://login.example.org"


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path / "idp", ISSUER)


def _client(db: Database, keys: NodeKeys, tmp_path: Path, oidc: OidcSettings) -> TestClient:
    settings = Settings(
        home=tmp_path, oidc=oidc, service=ServiceSettings(rate_per_second=1000, burst=1000)
    )
    return TestClient(create_app(settings, Node(settings, db, keys)))


@pytest.fixture
def client(db: Database, keys: NodeKeys, tmp_path: Path, issuer: Issuer) -> Iterator[TestClient]:
    with db.transaction() as session:
        add_user(session, ADMIN, "alice", Role.NATIONAL_OFFICER, oidc_subject="alice-sub")
    oidc = OidcSettings(issuer=ISSUER, audience="hgr", jwks_uri=issuer.jwks_url)
    with _client(db, keys, tmp_path, oidc) as client:
        yield client


def _me(client: TestClient, token: str) -> Any:
    return client.get("/me", headers={"Authorization": f"Bearer {token}"})


def _forge(token: str, **changes: Any) -> str:
    """``token`` with its payload changed and the original signature kept."""
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{raw}.{signature}"


def test_a_valid_token_acts_as_the_user_it_names(client: TestClient, issuer: Issuer) -> None:
    response = _me(client, issuer.token())
    assert response.status_code == 200, response.text
    assert response.json()["actor"] == "oidc:alice"
    assert response.json()["role"] == "national_officer"
    assert client.get("/summary", headers={"Authorization": f"Bearer {issuer.token()}"}).is_success


def test_every_bad_token_is_refused_alike_and_audited(
    client: TestClient, issuer: Issuer, tmp_path: Path, db: Database
) -> None:
    other = Issuer(tmp_path / "other", ISSUER)  # same kid, different key
    ec_issuer = Issuer(tmp_path / "ec", ISSUER, kind="EC", kid="k1")
    public_key = issuer.key.public_key()
    public_pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    hmac_confusion = hmac_signed(issuer.claims(), public_pem, kid="k1")
    bad = {
        "wrong audience": issuer.token(aud="another-service"),
        "wrong issuer": issuer.token(iss="https://evil.example.org"),
        "expired": issuer.token(exp=1_600_000_000, iat=1_599_999_000),
        "no expiry": issuer.token(exp=None),
        "a lifetime of 100 years": issuer.token(exp=int(time.time()) + 100 * 365 * 86400),
        "a lifetime of a day and a minute": issuer.token(exp=int(time.time()) + 86460),
        "no subject": issuer.token(sub=None),
        "unknown subject": issuer.token(sub="mallory"),
        "other key, same kid": other.token(),
        "EC key under the RSA kid": ec_issuer.token(),
        "unknown kid": issuer.sign(issuer.claims(), kid="k9"),
        "payload edited": _forge(issuer.token(sub="mallory"), sub="alice-sub"),
        "alg none": unsigned(issuer.claims(), kid="k1") + "sig",
        "HMAC with the public key": hmac_confusion,
        "not a JWT": "abc.def",
        "garbage": "a.b.c",
    }
    before = _denials(db)
    for case, token in bad.items():
        response = _me(client, token)
        assert response.status_code == 401, case
        assert response.json()["detail"] == "the token is not valid", case
    reasons = _denials(db)[len(before) :]
    assert len(reasons) == len(bad)
    assert any("Audience" in r or "audience" in r for r in reasons)
    assert any("mallory is not a user" in r for r in reasons)
    assert any("algorithm 'HS256'" in r for r in reasons)
    assert any("max_lifetime_seconds" in r for r in reasons)


def _denials(db: Database) -> list[str]:
    with db.reader() as session:
        rows = session.scalars(
            sa.select(AuditEvent.grounds)
            .where(AuditEvent.action == "auth.authenticate")
            .order_by(AuditEvent.id)
        ).all()
    return list(rows)


def test_unregistered_subjects_can_be_admitted_as_researchers(
    db: Database, keys: NodeKeys, tmp_path: Path, issuer: Issuer
) -> None:
    oidc = OidcSettings(
        issuer=ISSUER, audience="hgr", jwks_uri=issuer.jwks_url, admit_unregistered=True
    )
    with _client(db, keys, tmp_path, oidc) as client:
        me = _me(client, issuer.token(sub="bob")).json()
    assert me == {
        "actor": f"oidc:{ISSUER}|bob",
        "role": "researcher",
        "scope": "",
        "registered_access": False,
        "grants": [],
    }


class _Idp(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = self.documents.get(self.path)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def idp_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Idp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_keys_are_discovered_from_the_issuer_and_cached(
    db: Database, idp_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = Issuer(tmp_path / "idp", idp_server)
    _Idp.hits = []
    _Idp.documents = {
        "/.well-known/openid-configuration": json.dumps(
            {"issuer": idp_server, "jwks_uri": f"{idp_server}/jwks"}
        ).encode(),
        "/jwks": issuer.jwks_path.read_bytes(),
    }
    with db.transaction() as session:
        add_user(session, ADMIN, "alice", Role.AUDITOR, oidc_subject="alice-sub")
    settings = Settings(home=tmp_path, oidc=OidcSettings(issuer=idp_server, audience="hgr"))
    authenticator = Authenticator(settings)
    with db.reader() as session:
        for _ in range(3):
            assert authenticator.principal(session, issuer.token()).actor == "oidc:alice"
    assert _Idp.hits == ["/.well-known/openid-configuration", "/jwks"]
    # The issuer rotates its key: an unknown kid refetches the set (not more often than the
    # refresh interval), and the new key is accepted.
    rotated = Issuer(tmp_path / "idp2", idp_server, kid="k2")
    _Idp.documents["/jwks"] = json.dumps({"keys": [issuer.jwk, rotated.jwk]}).encode()
    monkeypatch.setattr("hgr.auth.keysets.REFRESH_AFTER_SECONDS", 0.0)
    with db.reader() as session:
        assert authenticator.principal(session, rotated.token()).actor == "oidc:alice"
    assert _Idp.hits[-1] == "/jwks"
    # An issuer whose keys cannot be read refuses tokens; it does not fail the server.
    _Idp.documents.pop("/jwks")
    stale = KeySets(ttl=0)
    broken = Authenticator(settings, stale)
    with db.reader() as session, pytest.raises(NotAuthenticated) as caught:
        broken.principal(session, issuer.token())
    assert "404" in caught.value.reason


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('issuer = "https://x.example"\njwks_uri = "https://x.example/k"', "needs an audience"),
        (
            'issuer = "https://x.example"\naudience = "hgr"\njwks_uri = "http://x.example/k"',
            "must be https",
        ),
        (
            'issuer = "https://x.example"\naudience = "hgr"\nalgorithms = ["HS256"]',
            "are not accepted",
        ),
        (
            'issuer = "https://x.example"\naudience = "hgr"\nalgorithms = "RS256"',
            "must be a list of strings",
        ),
        ('issuer = "https://x.example"\nclient_key = "s"', "unknown [oidc] setting"),
        ("issuer = 5", "must be a str"),
    ],
)
def test_bad_oidc_settings_are_refused(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "node.toml").write_text(f'[node]\nname = "n"\n[oidc]\n{table}\n')
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[")):
        Authenticator(load_settings(tmp_path))
