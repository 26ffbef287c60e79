"""The steward's survey return over HTTP: the preview, the form, signing what was previewed,
and what a meddler or another reader gets."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.crypto import NodeKeys, load_signer
from hgr.federation.documents import envelope_of, latest_documents
from hgr.federation.models import SignedDocument
from hgr.registry.importer import import_files
from hgr.survey.cycles import default_dates, open_cycle
from tests.api.conftest import Api
from tests.console.test_import import DONORS
from tests.console.test_sign_in import ADMIN, _with
from tests.console.test_steward import signed_in

ANSWERS = {
    "foreign_cooperation_projects": "2",
    "information_provided_abroad": "0",
    "specific_region_resources": "no",
    "foreign_partners": "Example University of Oxbridge; GB\nInstitut Exemple; FR",
    "remarks": "<b>two</b> projects",
}


@pytest.fixture
def cycle(api: Api, keys: NodeKeys) -> str:
    with api.db.transaction() as session:
        signer = load_signer(keys.signing_key, "hgr/test-node")
        open_cycle(session, signer, ADMIN, "2025", dates=default_dates(dt.date(2025, 12, 31)))
    return "2025"


def fields_of(page_text: str) -> dict[str, str]:
    form = page_text[page_text.index('action="/console/survey/') :]
    return dict(re.findall(r'name="(csrf|digest)" value="([^"]*)"', form))


def post(api: Api, token: str, fields: dict[str, str], action: str):  # type: ignore[no-untyped-def]
    return api.client.post(
        "/console/survey/2025", data={**fields, "action": action}, headers=_with(token)
    )


def returns(api: Api) -> list[SignedDocument]:
    with api.db.reader() as session:
        return list(session.scalars(select(SignedDocument).where(SignedDocument.kind == "return")))


def test_the_steward_previews_answers_and_signs_the_return(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_bj")
    listing = api.client.get("/console/survey", headers=_with(token))
    assert "Not signed yet" in listing.text
    first = api.client.get("/console/survey/2025", headers=_with(token))
    assert first.status_code == 200
    assert "Donors by province of residence" in first.text  # every table of the draft
    # Required answers are missing: the rules say so, and no sign button is offered.
    assert "foreign_cooperation_projects" in first.text
    assert 'value="sign"' not in first.text
    checked = post(api, token, {**fields_of(first.text), **ANSWERS}, "check")
    assert 'value="sign"' in checked.text
    assert "&lt;b&gt;two&lt;/b&gt;" in checked.text  # every answer escaped
    signed = post(api, token, {**fields_of(checked.text), **ANSWERS}, "sign")
    assert signed.status_code == 200
    assert "Version 1 of your return" in signed.text
    with api.db.reader() as session:
        kept = latest_documents(session, "return", "2025", ["BJ-H001"])["BJ-H001"]
        content = envelope_of(kept).content
    assert content["form"]["foreign_cooperation_projects"] == 2
    assert content["form"]["specific_region_resources"] is False
    assert content["form"]["foreign_partners"][1] == {"name": "Institut Exemple", "country": "FR"}
    assert content["subject"] == "BJ-H001"
    # The listing and the next preview start from what was signed.
    assert "Version 1 signed" in api.client.get("/console/survey", headers=_with(token)).text
    again = api.client.get("/console/survey/2025", headers=_with(token))
    assert "Example University of Oxbridge; GB\nInstitut Exemple; FR" in again.text


def test_answers_changed_since_the_preview_are_not_signed(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_bj")
    checked = post(
        api,
        token,
        {**fields_of(api.client.get("/console/survey/2025", headers=_with(token)).text), **ANSWERS},
        "check",
    )
    changed = {**ANSWERS, "foreign_cooperation_projects": "7"}
    page = post(api, token, {**fields_of(checked.text), **changed}, "sign")
    assert "nothing was signed" in page.text
    assert returns(api) == []


def test_a_registry_changed_since_the_preview_is_not_signed(
    api: Api, cycle: str, keys: NodeKeys, tmp_path: Path
) -> None:
    token = signed_in(api, "steward_bj")
    start = api.client.get("/console/survey/2025", headers=_with(token))
    checked = post(api, token, {**fields_of(start.text), **ANSWERS}, "check")
    # A donor is added after the preview: the return counted now is not the one seen.
    more = tmp_path / "donors.csv"
    more.write_text(DONORS + "BJH-0999,female,1990,110000,Han,alive,,\n", encoding="utf-8")
    import_files(api.db, keys, [more], institution="BJ-H001")
    page = post(api, token, {**fields_of(checked.text), **ANSWERS}, "sign")
    assert "nothing was signed" in page.text
    assert returns(api) == []


def test_a_bad_answer_is_reported_at_its_field_and_nothing_is_signed(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_bj")
    start = api.client.get("/console/survey/2025", headers=_with(token))
    bad = {**ANSWERS, "foreign_cooperation_projects": "two"}
    page = post(api, token, {**fields_of(start.text), **bad}, "check")
    assert "foreign_cooperation_projects must be a whole number" in page.text
    assert 'value="sign"' not in page.text
    forced = post(api, token, {**fields_of(page.text), **bad}, "sign")
    assert returns(api) == []
    assert "must be a whole number" in forced.text


def test_a_forged_form_signs_nothing(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_bj")
    start = api.client.get("/console/survey/2025", headers=_with(token))
    fields = {**fields_of(start.text), "csrf": "forged"}
    assert post(api, token, {**fields, **ANSWERS}, "sign").status_code == 400
    assert returns(api) == []


@pytest.mark.parametrize(
    "path", ["/console/survey/nope", "/console/survey/..%2F..", "/console/survey/" + "9" * 80]
)
def test_an_unknown_cycle_is_not_found(api: Api, cycle: str, path: str) -> None:
    token = signed_in(api, "steward_bj")
    assert api.client.get(path, headers=_with(token)).status_code == 404


@pytest.mark.parametrize("user", ["officer_bj", "national", "ethics_bj", "researcher"])
def test_only_stewards_submit_returns(api: Api, cycle: str, user: str) -> None:
    token = signed_in(api, user)
    assert api.client.get("/console/survey/2025", headers=_with(token)).status_code == 403
    assert api.client.get("/console/survey", headers=_with(token)).status_code == 403


def test_each_steward_signs_only_their_own_institutions_return(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_sh")
    start = api.client.get("/console/survey/2025", headers=_with(token))
    assert "Shanghai Example Genomics" in start.text
    checked = post(api, token, {**fields_of(start.text), **ANSWERS}, "check")
    post(api, token, {**fields_of(checked.text), **ANSWERS}, "sign")
    assert [d.subject for d in returns(api)] == ["SH-C001"]


def test_one_preview_signs_one_version(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_bj")
    start = api.client.get("/console/survey/2025", headers=_with(token))
    checked = post(api, token, {**fields_of(start.text), **ANSWERS}, "check")
    form = {**fields_of(checked.text), **ANSWERS}
    assert "Version 1 of your return" in post(api, token, form, "sign").text
    again = post(api, token, form, "sign")  # the same form, sent again
    assert "nothing was signed" in again.text
    assert [d.version for d in returns(api)] == [1]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"foreign_cooperation_projects": "9" * 40}, "from 0 to 1000000000"),
        ({"remarks": "a\x00b"}, "without control characters"),
        ({"foreign_partners": "Lab\x1b[31m; GB"}, "without control characters"),
    ],
)
def test_an_answer_out_of_bounds_is_refused(
    api: Api, cycle: str, answer: dict[str, str], says: str
) -> None:
    token = signed_in(api, "steward_bj")
    start = api.client.get("/console/survey/2025", headers=_with(token))
    page = post(api, token, {**fields_of(start.text), **ANSWERS, **answer}, "check")
    assert says in page.text
    assert 'value="sign"' not in page.text


def test_the_return_speaks_the_readers_language(api: Api, cycle: str) -> None:
    token = signed_in(api, "steward_bj")
    start = api.client.get("/console/survey/2025?lang=zh_Hans", headers=_with(token))
    # The cycle's labels (signed in the cycle's document, in English) and a table's categories.
    assert "捐献者（记录数）" in start.text
    assert "按性别统计的捐献者" in start.text
    assert "<td>女</td>" in start.text
    for lang, says in (
        ("zh_Hans", "1 名捐献者没有有效的知情同意"),  # examples/: one donor without consent
        ("en", "1 donor(s) have no active consent"),
    ):
        checked = api.client.post(
            f"/console/survey/2025?lang={lang}",
            data={**fields_of(start.text), **ANSWERS, "action": "check"},
            headers=_with(token),
        )
        assert says in checked.text
