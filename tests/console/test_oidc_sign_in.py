"""Signing in to the console through the node's OpenID provider (authorization code with PKCE),
against a local provider, and what a forger, a thief of codes or a wrong provider gets."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hgr.api.app import create_app
from hgr.audit.models import AuditEvent
from hgr.auth.roles import Role
from hgr.auth.users import add_user, disable_user
from hgr.config import OidcSettings, ServiceSettings, Settings
from hgr.console.account import OIDC_COOKIE, SESSION_COOKIE
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.node import Node
from tests.api.conftest import Api
from tests.auth.idp import Provider
from tests.console.test_sign_in import ADMIN, EN


@dataclass
class Console:
    client: TestClient
    provider: Provider
    db: Database


@pytest.fixture
def oidc(api: Api, keys: NodeKeys, tmp_path: Path) -> Iterator[Console]:
    provider = Provider(tmp_path / "idp")
    with api.db.transaction() as session:
        add_user(
            session, ADMIN, "alice", Role.INSTITUTION_STEWARD, "BJ-H001", oidc_subject="alice-sub"
        )
        add_user(session, ADMIN, "olga", Role.NATIONAL_OFFICER, oidc_subject="olga-sub")
    settings = Settings(
        home=tmp_path,
        name="test node",
        service=ServiceSettings(rate_per_second=1000, burst=1000),
        oidc=OidcSettings(issuer=provider.url, audience="hgr", client_id="hgr-console"),
    )
    with TestClient(create_app(settings, Node(settings, api.db, keys))) as client:
        yield Console(client, provider, api.db)
    provider.close()


def _cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _start(console: Console, next_page: str = "") -> tuple[str, str]:
    """Leave for the provider: its authorization address, and the attempt's cookie."""
    query = f"?next={next_page}" if next_page else ""
    started = console.client.get(f"/console/sign-in/oidc{query}", follow_redirects=False)
    assert started.status_code == 303
    header = next(h for h in started.headers.get_list("set-cookie") if OIDC_COOKIE in h)
    for attribute in ("HttpOnly", "Secure", "SameSite=lax", "Path=/console"):
        assert attribute in header
    return started.headers["location"], _cookies(started)[OIDC_COOKIE]


def _authorize(location: str) -> dict[str, str]:
    """The provider's answer: the query it sends the browser back with."""
    parts = urlsplit(location)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    sent_back = connection.getresponse().getheader("Location") or ""
    connection.close()
    return {k: v[0] for k, v in parse_qs(urlsplit(sent_back).query).items()}


def _back(console: Console, answer: dict[str, str], cookie: str | None):  # type: ignore[no-untyped-def]
    headers = {**EN, "Cookie": f"{OIDC_COOKIE}={cookie}"} if cookie else EN
    return console.client.get(
        "/console/sign-in/oidc/callback", params=answer, headers=headers, follow_redirects=False
    )


def _refusals(console: Console) -> list[str]:
    with console.db.reader() as session:
        return [
            e.grounds or ""
            for e in session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "auth.sign_in", AuditEvent.outcome == "denied"
                )
            )
        ]


def test_a_steward_signs_in_through_the_provider_with_pkce(oidc: Console) -> None:
    page = oidc.client.get("/console/sign-in", headers=EN)
    assert 'href="/console/sign-in/oidc"' in page.text
    location, cookie = _start(oidc, "/console/steward")
    asked = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert asked["response_type"] == "code"
    assert asked["code_challenge_method"] == "S256"
    assert asked["client_id"] == "hgr-console"
    assert len(asked["state"]) >= 43
    assert len(asked["nonce"]) >= 43
    assert asked["redirect_uri"] == "http://testserver/console/sign-in/oidc/callback"
    back = _back(oidc, _authorize(location), cookie)
    assert back.status_code == 200
    assert 'http-equiv="refresh" content="0;url=/console/steward"' in back.text
    token = _cookies(back)[SESSION_COOKIE]
    home = oidc.client.get(
        "/console/steward", headers={**EN, "Cookie": f"{SESSION_COOKIE}={token}"}
    )
    assert home.status_code == 200
    assert "BJ-H001" in home.text
    # The verifier went to the token endpoint, never through the browser.
    verifier = oidc.provider.token_requests[-1]["code_verifier"]
    assert verifier not in location
    assert verifier not in cookie


def test_a_sign_in_this_browser_did_not_start_is_refused(oidc: Console) -> None:
    # Login CSRF: an attacker starts a sign-in as themselves and sends the victim their code.
    attacker_location, _ = _start(oidc)
    _, victim_cookie = _start(oidc)
    answer = _authorize(attacker_location)
    refused = _back(oidc, answer, victim_cookie)
    assert refused.status_code == 401
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert "not this browser's attempt" in _refusals(oidc)[-1]
    assert _back(oidc, answer, None).status_code == 401  # no cookie at all


def test_a_stolen_code_is_worth_nothing_without_its_verifier(oidc: Console) -> None:
    location, _cookie = _start(oidc)
    answer = _authorize(location)
    # The thief brings the victim's code back with an attempt of their own: consistent state
    # and cookie, but their own verifier, which the provider refuses (RFC 7636 §4.6).
    thief_location, thief_cookie = _start(oidc)
    thief_state = parse_qs(urlsplit(thief_location).query)["state"][0]
    stolen = _back(oidc, {"code": answer["code"], "state": thief_state}, thief_cookie)
    assert stolen.status_code == 401
    assert "invalid_grant" in _refusals(oidc)[-1]


def test_a_code_opens_one_session_only(oidc: Console) -> None:
    location, cookie = _start(oidc)
    answer = _authorize(location)
    assert _back(oidc, answer, cookie).status_code == 200
    assert _back(oidc, answer, cookie).status_code == 401


def test_a_tampered_attempt_cookie_opens_nothing(oidc: Console) -> None:
    location, cookie = _start(oidc)
    answer = _authorize(location)
    flipped = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    assert _back(oidc, answer, flipped).status_code == 401
    assert "does not open" in _refusals(oidc)[-1]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"nonce": "another attempt's nonce"}, "nonce"),
        ({"aud": "another-client"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": ["hgr-console", "other"], "azp": "other"}, "several audiences"),
        ({"exp": 1}, "expired"),
    ],
)
def test_a_wrong_id_token_is_refused(oidc: Console, tamper: dict[str, object], reason: str) -> None:
    oidc.provider.tamper = tamper
    location, cookie = _start(oidc)
    refused = _back(oidc, _authorize(location), cookie)
    assert refused.status_code == 401
    assert reason in _refusals(oidc)[-1].lower()


def test_only_the_nodes_own_users_sign_in(oidc: Console) -> None:
    oidc.provider.subject = "stranger-sub"
    location, cookie = _start(oidc)
    assert _back(oidc, _authorize(location), cookie).status_code == 401
    assert "not a user of this node" in _refusals(oidc)[-1]


def test_a_disabled_user_is_refused(oidc: Console) -> None:
    with oidc.db.transaction() as session:
        disable_user(session, ADMIN, "alice")
    location, cookie = _start(oidc)
    assert _back(oidc, _authorize(location), cookie).status_code == 401


def test_an_officer_needs_a_second_factor_at_the_provider(oidc: Console) -> None:
    oidc.provider.subject = "olga-sub"
    location, cookie = _start(oidc)
    assert _back(oidc, _authorize(location), cookie).status_code == 401
    assert "without a second factor" in _refusals(oidc)[-1]
    oidc.provider.amr = ["pwd", "otp"]
    location, cookie = _start(oidc)
    assert _back(oidc, _authorize(location), cookie).status_code == 200


def test_the_providers_refusal_is_shown_and_audited(oidc: Console) -> None:
    _, cookie = _start(oidc)
    refused = _back(oidc, {"error": "access_denied", "state": "x"}, cookie)
    assert refused.status_code == 401
    assert "did not succeed" in refused.text
    assert "access_denied" in _refusals(oidc)[-1]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/console/../api"])
def test_the_provider_never_sends_the_reader_elsewhere(oidc: Console, target: str) -> None:
    location, cookie = _start(oidc, target)
    back = _back(oidc, _authorize(location), cookie)
    assert 'content="0;url=/console/account"' in back.text


def test_without_a_client_id_the_console_offers_no_provider(api: Api) -> None:
    assert "/console/sign-in/oidc" not in api.client.get("/console/sign-in", headers=EN).text
    assert api.client.get("/console/sign-in/oidc", follow_redirects=False).status_code == 404
