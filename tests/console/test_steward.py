"""The steward's pages over HTTP: the institution's holdings, finding records by the
institution's own identifiers, and what other readers and forgers get."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from hgr.audit import record
from hgr.audit.models import AuditEvent
from hgr.auth.browser_sessions import OpenedSession, open_session
from hgr.auth.passwords import totp_code
from hgr.auth.users import find_user
from hgr.console.account import SIGN_IN_COOKIE, onward
from hgr.crypto import NodeKeys
from hgr.dates import utc_now
from hgr.registry import models as m
from hgr.registry.consents import withdraw_consent
from hgr.registry.importer import import_files
from hgr.vocabulary import ConsentStatus
from tests.api.conftest import Api
from tests.console.test_sign_in import ADMIN, EN, _cookies, _form, _password, _sign_in, _with

DONOR = "BJH-0001"  # examples/donors.csv, at BJ-H001 and SH-C001 alike


def signed_in(api: Api, name: str) -> str:
    """The session cookie of ``name``, signed in with a password (and a code where their
    role needs a second factor)."""
    enrol = _password(api, name)
    code = ""
    if enrol:
        secret = parse_qs(urlparse(enrol).query)["secret"][0]
        code = totp_code(secret, int(utc_now().timestamp()) // 30)
    return _cookies(_sign_in(api, name, code=code))["hgr_session"]


def session_of(api: Api, name: str) -> str:
    """A session cookie for ``name``, opened as signing in opens one (sign-in itself, and its
    limit on attempts per address, are tested in test_sign_in)."""
    return opened_for(api, name).token


def opened_for(api: Api, name: str) -> OpenedSession:
    """A session of ``name``: its cookie and the CSRF token its forms carry."""
    with api.db.transaction() as session:
        return open_session(session, find_user(session, name), utc_now())


def csrf_of(page_text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page_text)
    assert found is not None
    return found[1]


def find(api: Api, token: str, text: str, csrf: str | None = None):  # type: ignore[no-untyped-def]
    if csrf is None:
        csrf = csrf_of(api.client.get("/console/find", headers=_with(token)).text)
    return api.client.post(
        "/console/find",
        data={"q": text, "csrf": csrf},
        headers=_with(token),
        follow_redirects=False,
    )


def test_the_steward_home_shows_what_the_institution_holds(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    page = api.client.get("/console/steward", headers=_with(token))
    assert page.status_code == 200
    assert "BJ-H001" in page.text
    assert "SH-C001" not in page.text
    assert "COL-HD" in page.text
    # The counts are those the registry holds for this institution alone.
    with api.db.reader() as session:
        owner = session.scalar(select(m.Institution.id).where(m.Institution.code == "BJ-H001"))
        donors = len(
            session.scalars(select(m.Donor.id).where(m.Donor.institution_id == owner)).all()
        )
    assert re.search(rf"<dt>Donors</dt><dd>{donors}</dd>", page.text)
    assert 'href="/console/find"' in page.text


def test_a_withdrawal_with_samples_still_stored_needs_attention(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    before = api.client.get("/console/steward", headers=_with(token)).text
    assert "withdrew their consent" not in before
    with api.db.transaction() as session:
        owner = session.scalar(select(m.Institution.id).where(m.Institution.code == "BJ-H001"))
        donor = session.scalars(
            select(m.Sample.donor_id).where(m.Sample.institution_id == owner).limit(1)
        ).one()
        consent = session.scalars(select(m.Consent).where(m.Consent.donor_id == donor)).first()
        assert consent is not None
        withdraw_consent(session, ADMIN, consent, consent.signed_on)
    # The page counted before is not shown again: the registry has changed since.
    after = api.client.get("/console/steward", headers=_with(token)).text
    assert "1 donors withdrew their consent" in after


def test_a_donor_is_found_by_the_institutions_own_identifier(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    found = find(api, token, DONOR)
    assert found.status_code == 303
    location = found.headers["location"]
    assert re.fullmatch(r"/console/donors/[0-9a-f]{64}", location)
    page = api.client.get(location, headers=_with(token))
    assert page.status_code == 200
    assert "S-0001" in page.text
    assert "S-0002" in page.text
    assert "History" in page.text
    # The identifier never appears in an address, and the reads are audited under the
    # pseudonym alone.
    assert DONOR not in location
    with api.db.reader() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.read"))
        targets = [e.target for e in events]
    assert any(location.rsplit("/", 1)[1] in t for t in targets)
    assert not any(DONOR in t for t in targets)


def test_a_sample_is_found_by_its_code_and_links_to_its_donor(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    found = find(api, token, "S-0001")
    assert found.headers["location"] == "/console/samples/S-0001"
    page = api.client.get("/console/samples/S-0001", headers=_with(token))
    assert page.status_code == 200
    assert 'href="/console/donors/' in page.text


def test_another_institutions_records_are_not_found(api: Api) -> None:
    # SH-C001 registered the same identifiers: its steward reaches its own donor, whose
    # pseudonym differs, and never BJ-H001's.
    bj, sh = signed_in(api, "steward_bj"), signed_in(api, "steward_sh")
    bj_donor = find(api, bj, DONOR).headers["location"]
    sh_donor = find(api, sh, DONOR).headers["location"]
    assert bj_donor != sh_donor
    refused = api.client.get(bj_donor, headers=_with(sh))
    assert refused.status_code == 404
    unknown = api.client.get("/console/donors/" + "0" * 64, headers=_with(sh))
    assert unknown.status_code == 404
    # Not found and out of scope read alike, so scope cannot be probed.
    assert refused.text.replace(bj_donor, "") == unknown.text.replace(
        "/console/donors/" + "0" * 64, ""
    )


@pytest.mark.parametrize("text", ["", "x" * 65, "BJH\n0001", "\x00"])
def test_a_bad_identifier_gets_a_clear_error(api: Api, text: str) -> None:
    token = signed_in(api, "steward_bj")
    page = find(api, token, text)
    assert page.status_code == 400
    assert "at most 64 characters" in page.text


def test_an_identifier_no_record_has_is_not_found(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    page = find(api, token, "<script>alert(1)</script>")
    assert page.status_code == 200
    assert "No donor, sample or family of your institution" in page.text
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


def test_a_search_from_another_site_or_without_the_token_is_refused(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    assert find(api, token, DONOR, csrf="forged").status_code == 400
    csrf = csrf_of(api.client.get("/console/find", headers=_with(token)).text)
    cross = api.client.post(
        "/console/find",
        data={"q": DONOR, "csrf": csrf},
        headers={**_with(token), "Sec-Fetch-Site": "same-site"},
        follow_redirects=False,
    )
    assert cross.status_code == 400


@pytest.mark.parametrize("user", ["officer_bj", "national", "ethics_bj", "researcher", "auditor"])
def test_other_roles_are_refused_the_stewards_pages_and_it_is_audited(api: Api, user: str) -> None:
    token = signed_in(api, user)
    page = api.client.get("/console/steward", headers=_with(token))
    assert page.status_code == 403
    assert "not for your role" in page.text
    with api.db.reader() as session:
        denied = session.scalars(
            select(AuditEvent).where(
                AuditEvent.outcome == "denied", AuditEvent.action == "console.read"
            )
        ).all()
    assert len(denied) == 1
    assert user in denied[0].actor
    assert denied[0].target == "console/steward"


def test_a_reader_who_is_not_signed_in_is_sent_to_sign_in_and_back(api: Api) -> None:
    page = api.client.get("/console/steward", headers=EN, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/sign-in?next=/console/steward"
    form = api.client.get(page.headers["location"], headers=EN)
    assert 'name="next" value="/console/steward"' in form.text
    _password(api, "steward_bj")
    field, cookie = _form(api)
    signed = api.client.post(
        "/console/sign-in",
        data={
            "name": "steward_bj",
            "password": "correct horse battery staple",
            "code": "",
            "csrf": field,
            "next": "/console/steward",
        },
        headers={**EN, "Cookie": f"{SIGN_IN_COOKIE}={cookie}"},
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/console/steward"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/console/",
        "https://evil.example/",
        "/console//evil.example",
        "/console/../api",
        "/console/%2e%2e/api",
        "/console/%2F%2Fevil.example",
        "/console/\\evil.example",
        "/console/sign-out",
        "/api/registry/donors",
        "/console/" + "a" * 300,
    ],
)
def test_sign_in_never_sends_the_reader_elsewhere(target: str) -> None:
    assert onward(target) == ""


def test_sign_in_sends_the_reader_on_to_a_console_page() -> None:
    assert onward("/console/samples/S-0001") == "/console/samples/S-0001"


def test_a_sample_code_with_a_slash_or_a_question_mark_opens_its_page(
    api: Api, keys: NodeKeys, tmp_path: Path
) -> None:
    samples = tmp_path / "samples.csv"
    samples.write_text(
        "sample_id,donor_id,material_type,collection_id,collection_date,storage_status\n"
        "S/9,BJH-0001,dna,COL-HD,2019-04-02,available\n"
        "S?9#1,BJH-0001,dna,COL-HD,2019-04-02,available\n",
        encoding="utf-8",
    )
    import_files(api.db, keys, [samples], institution="BJ-H001")
    token = signed_in(api, "steward_bj")
    for code in ("S/9", "S?9#1"):
        found = find(api, token, code)
        assert found.status_code == 303
        page = api.client.get(found.headers["location"], headers=_with(token))
        assert page.status_code == 200, code
        assert f"Sample {code}" in page.text


def test_controlled_values_are_shown_in_the_readers_language(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    location = find(api, token, DONOR).headers["location"]
    chinese = {"Cookie": f"hgr_session={token}", "Accept-Language": "zh-CN"}
    page = api.client.get(location, headers=chinese).text
    assert "<dd>男</dd>" in page  # male
    assert "<dd>已故</dd>" in page  # deceased
    assert "<td>全血</td>" in page  # whole_blood
    english = api.client.get(location, headers=_with(token)).text
    assert "<dd>male</dd>" in english


def test_a_count_is_made_again_once_old_even_if_the_registry_state_stands(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write whose ids do not move the registry's state (an import committed after a later
    # one) is seen once the count is older than MAX_AGE.
    from hgr.dates import utc_today
    from hgr.registry import holdings as counted
    from hgr.registry import state

    with api.db.reader() as session:
        first = counted.holdings(session, "BJ-H001", utc_today())
    with api.db.transaction() as session:
        consent = session.scalars(
            select(m.Consent).where(m.Consent.status == ConsentStatus.ACTIVE)
        ).first()
        assert consent is not None
        consent.status = ConsentStatus.WITHDRAWN  # no batch, no version: the state stands
        consent.withdrawn_on = consent.signed_on
        record(session, ADMIN, "test.withdraw", "consents")
    with api.db.reader() as session:
        assert counted.holdings(session, "BJ-H001", utc_today()) is first
        later = time.monotonic() + state.MAX_AGE + 1
        monkeypatch.setattr(state.time, "monotonic", lambda: later)
        recounted = counted.holdings(session, "BJ-H001", utc_today())
    assert recounted.counts["withdrawn"] == first.counts["withdrawn"] + 1
