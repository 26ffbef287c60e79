"""Signing in to the console and out again, over HTTP: the cookies, the CSRF tokens, the
second factor, the limits, and what a forger or a guesser gets."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from hgr.audit import Actor
from hgr.audit.models import AuditEvent
from hgr.auth.passwords import set_password, totp_code
from hgr.console.account import SESSION_COOKIE, SIGN_IN_COOKIE
from hgr.dates import utc_now
from tests.api.conftest import Api

ADMIN = Actor("cli:test", "operator")
PASSWORD = "correct horse battery staple"
EN = {"Accept-Language": "en"}


def _password(api: Api, name: str) -> str | None:
    with api.db.transaction() as session:
        return set_password(session, ADMIN, name, PASSWORD)


def _cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _form(api: Api) -> tuple[str, str]:
    """The sign-in form's CSRF token, from its field and from its cookie."""
    page = api.client.get("/console/sign-in", headers=EN)
    field = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert field is not None
    return field[1], _cookies(page)[SIGN_IN_COOKIE]


def _sign_in(api: Api, name: str, password: str = PASSWORD, code: str = ""):  # type: ignore[no-untyped-def]
    field, cookie = _form(api)
    return api.client.post(
        "/console/sign-in",
        data={"name": name, "password": password, "code": code, "csrf": field},
        headers={**EN, "Cookie": f"{SIGN_IN_COOKIE}={cookie}"},
        follow_redirects=False,
    )


def _with(token: str) -> dict[str, str]:
    return {**EN, "Cookie": f"{SESSION_COOKIE}={token}"}


def test_a_steward_signs_in_with_a_strict_cookie_and_sees_their_account(api: Api) -> None:
    _password(api, "steward_bj")
    signed = _sign_in(api, "steward_bj")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/console/account"
    header = next(h for h in signed.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/console"):
        assert attribute in header
    token = _cookies(signed)[SESSION_COOKIE]
    page = api.client.get("/console/account", headers=_with(token))
    assert page.status_code == 200
    assert "steward_bj" in page.text
    assert "BJ-H001" in page.text
    # Without the cookie the account page sends the reader to sign in.
    anonymous = api.client.get("/console/account", follow_redirects=False)
    assert anonymous.headers["location"] == "/console/sign-in"


def test_a_sign_in_without_its_form_token_is_refused(api: Api) -> None:
    _password(api, "steward_bj")
    body = {"name": "steward_bj", "password": PASSWORD, "code": "", "csrf": "forged"}
    # A cross-site form: no cookie of ours, or one that does not match its field.
    for cookie in ("", f"{SIGN_IN_COOKIE}=something-else"):
        refused = api.client.post("/console/sign-in", data=body, headers={**EN, "Cookie": cookie})
        assert refused.status_code == 400
        assert "the form had expired" in refused.text
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


def test_an_officer_needs_the_code_and_a_wrong_answer_says_nothing_more(api: Api) -> None:
    enrol = _password(api, "national")
    assert enrol is not None
    secret = parse_qs(urlparse(enrol).query)["secret"][0]
    pages = [
        _sign_in(api, "national"),  # no code
        _sign_in(api, "national", code="000000"),
        _sign_in(api, "national", password="not the password"),
        _sign_in(api, "nobody at all"),
    ]
    for page in pages:
        assert page.status_code == 401
        assert "The name, password or code is not right" in page.text
        assert 'role="alert"' in page.text
    assert pages[0].text.count("not right") == pages[3].text.count("not right")
    code = totp_code(secret, int(utc_now().timestamp()) // 30)
    assert _sign_in(api, "national", code=code).status_code == 303
    with api.db.reader() as session:
        refusals = session.scalars(
            select(AuditEvent.grounds).where(
                AuditEvent.action == "auth.sign_in", AuditEvent.outcome == "denied"
            )
        ).all()
    assert len(refusals) == 4


def test_an_address_that_tries_too_often_is_slowed(api: Api) -> None:
    # Ten at once, then one more every six seconds: on a loaded machine the ten guesses
    # themselves take a while (each runs argon2), so the limit is checked against the time
    # they took.
    started = time.monotonic()
    for attempt in range(40):
        answer = _sign_in(api, f"guess-{attempt}")
        if answer.status_code != 401:
            break
    assert answer.status_code == 429
    assert "too many sign-ins from this address" in answer.text
    assert attempt <= 10 + math.ceil((time.monotonic() - started) / 6)


def test_sign_out_needs_the_sessions_token_and_ends_the_session(api: Api) -> None:
    _password(api, "steward_bj")
    token = _cookies(_sign_in(api, "steward_bj"))[SESSION_COOKIE]
    account = api.client.get("/console/account", headers=_with(token)).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', account)
    assert csrf is not None
    forged = api.client.post(
        "/console/sign-out", data={"csrf": "forged"}, headers=_with(token), follow_redirects=False
    )
    assert forged.status_code == 400
    assert api.client.get("/console/account", headers=_with(token)).status_code == 200
    out = api.client.post(
        "/console/sign-out", data={"csrf": csrf[1]}, headers=_with(token), follow_redirects=False
    )
    assert out.status_code == 303
    assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
    gone = api.client.get("/console/account", headers=_with(token), follow_redirects=False)
    assert gone.headers["location"] == "/console/sign-in"


def test_sign_out_everywhere_ends_every_browser(api: Api) -> None:
    _password(api, "steward_bj")
    first = _cookies(_sign_in(api, "steward_bj"))[SESSION_COOKIE]
    second = _cookies(_sign_in(api, "steward_bj"))[SESSION_COOKIE]
    account = api.client.get("/console/account", headers=_with(second)).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', account)
    assert csrf is not None
    api.client.post("/console/sign-out-everywhere", data={"csrf": csrf[1]}, headers=_with(second))
    for token in (first, second):
        page = api.client.get("/console/account", headers=_with(token), follow_redirects=False)
        assert page.status_code == 303


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "<script>alert(1)</script>", "password": "x"},
        {"name": "a" * 100_000, "password": "b" * 100_000, "code": "c" * 100_000},
        {"name": "steward_bj\x00", "password": PASSWORD},
        {},
    ],
)
def test_hostile_sign_in_forms_are_refused_cleanly(api: Api, fields: dict[str, str]) -> None:
    _password(api, "steward_bj")
    field, cookie = _form(api)
    page = api.client.post(
        "/console/sign-in",
        data={**fields, "csrf": field},
        headers={**EN, "Cookie": f"{SIGN_IN_COOKIE}={cookie}"},
    )
    assert page.status_code == 401
    assert "<script>alert(1)" not in page.text
    assert SESSION_COOKIE not in page.headers.get("set-cookie", "")


def test_an_idle_session_is_refused_by_the_console(api: Api, time_machine) -> None:  # type: ignore[no-untyped-def]
    _password(api, "steward_bj")
    token = _cookies(_sign_in(api, "steward_bj"))[SESSION_COOKIE]
    time_machine.move_to(utc_now() + dt.timedelta(minutes=31), tick=True)
    page = api.client.get("/console/account", headers=_with(token), follow_redirects=False)
    assert page.headers["location"] == "/console/sign-in"


@pytest.mark.parametrize("site", ["same-site", "cross-site"])
def test_a_sign_in_posted_from_another_site_is_refused(api: Api, site: str) -> None:
    # A sibling subdomain is "same-site" to SameSite cookies: it could plant a matching form
    # cookie and sign the victim in as the attacker (a login CSRF). Browsers say where a form
    # came from; only this node's own pages may post it.
    _password(api, "steward_bj")
    field, cookie = _form(api)
    page = api.client.post(
        "/console/sign-in",
        data={"name": "steward_bj", "password": PASSWORD, "code": "", "csrf": field},
        headers={**EN, "Cookie": f"{SIGN_IN_COOKIE}={cookie}", "Sec-Fetch-Site": site},
        follow_redirects=False,
    )
    assert page.status_code == 400
    assert SESSION_COOKIE not in page.headers.get("set-cookie", "")


def test_the_cli_sets_a_password_and_lifts_a_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hgr.cli.main import app

    runner = CliRunner()
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home)]).exit_code == 0
    added = runner.invoke(
        app, ["user", "add", "li", "--role", "national_officer", "--home", str(home)]
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        app, ["user", "password", "li", "--password-stdin", "--home", str(home)], input="short\n"
    )
    assert short.exit_code != 0
    assert "12 to 256 characters" in short.output
    done = runner.invoke(
        app,
        ["user", "password", "li", "--password-stdin", "--home", str(home)],
        input=PASSWORD + "\n",
    )
    assert done.exit_code == 0, done.output
    assert "otpauth://totp/hgr:li?secret=" in done.output  # an officer always gets one
    unlocked = runner.invoke(app, ["user", "unlock", "li", "--home", str(home)])
    assert unlocked.exit_code == 0, unlocked.output
    assert "li was not locked" in unlocked.output
