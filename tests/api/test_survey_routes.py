"""Survey routes: who may send returns and editions, who sees completeness, what is public."""

from __future__ import annotations

import datetime as dt

import pytest

from hgr.crypto import NodeKeys, Signer, load_signer
from hgr.exceptions import ValidationFailed
from hgr.federation.documents import envelope_of, sign_document
from hgr.federation.models import SignedDocument
from hgr.survey.cycles import default_dates, open_cycle
from hgr.survey.editions import compile_nation, compile_province, package
from hgr.survey.publish import sign_off
from hgr.survey.returns import draft_return
from tests.api.conftest import ADMIN, Api
from tests.conftest import table_counts

ANSWERS = {
    "foreign_cooperation_projects": 0,
    "information_provided_abroad": 0,
    "specific_region_resources": False,
}


@pytest.fixture
def signer(keys: NodeKeys) -> Signer:
    return load_signer(keys.signing_key, "hgr/test-node")  # the api node signs as this


@pytest.fixture
def cycle(api: Api, signer: Signer) -> str:
    with api.db.transaction() as session:
        open_cycle(session, signer, ADMIN, "2025", dates=default_dates(dt.date(2025, 12, 31)))
    return "2025"


def _return(api: Api, signer: Signer, institution: str) -> dict[str, str]:
    with api.db.reader() as session:
        body = draft_return(session, "2025", institution, ANSWERS)
    signed = {**body, "version": 1, "replaces": None, "warnings": []}
    return sign_document(signer, signed).as_dict()


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("steward_bj", 200),
        ("steward_sh", 403),
        ("officer_bj", 403),
        ("national", 403),
        ("researcher", 403),
        (None, 401),
    ],
)
def test_only_the_institutions_steward_sends_its_return(
    api: Api, signer: Signer, cycle: str, user: str | None, status: int
) -> None:
    response = api.post(user, "/survey/returns", json=_return(api, signer, "BJ-H001"))
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["version"] == 1


def test_a_forged_return_is_refused_and_nothing_kept(api: Api, signer: Signer, cycle: str) -> None:
    document = _return(api, signer, "BJ-H001")
    document["body"] = document["body"].replace('"donors":6', '"donors":7')
    before = table_counts(api.db)
    response = api.post("steward_bj", "/survey/returns", json=document)
    assert response.status_code == 422, response.text
    assert "SHA-256" in response.json()["detail"]
    counts = table_counts(api.db)
    assert counts["survey_document"] == before["survey_document"]
    not_a_document = {**document, "body": "[]"}
    refused = api.post("steward_bj", "/survey/returns", json=not_a_document)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "E_NOT_A_DOCUMENT"


def test_packages_status_and_published_tables(api: Api, signer: Signer, cycle: str) -> None:
    assert (
        api.post("steward_bj", "/survey/returns", json=_return(api, signer, "BJ-H001")).status_code
        == 200
    )
    with api.db.transaction() as session:
        edition = compile_province(session, signer, ADMIN, "2025", "110000")
        sent = package(session, edition)
    for user, status in [("officer_sh", 403), ("steward_bj", 403), ("officer_bj", 200)]:
        response = api.post(user, "/survey/packages", json=sent)
        assert response.status_code == status, (user, response.text)
    for user, province, status in [
        ("officer_bj", "110000", 200),
        ("officer_bj", "310000", 403),
        ("national", "310000", 200),
        ("steward_bj", "110000", 403),
        (None, "110000", 401),
    ]:
        response = api.get(user, "/survey/2025/status", province=province)
        assert response.status_code == status, (user, province, response.text)
    assert api.get(None, "/survey/2025/tables/samples_by_material").status_code == 404
    with api.db.transaction() as session:
        compile_nation(session, signer, ADMIN, "2025")
    # Compiled but not signed off, and compiled before 310000 sent its edition: not public.
    assert api.get(None, "/survey/2025/tables/samples_by_material").status_code == 404
    with api.db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        sign_off(session, signer, ADMIN, "2025")
    assert [i.code for i in refused.value.issues] == ["E_SURVEY_PROVINCE_MISSING"]
    assert api.get(None, "/survey/2025/tables/samples_by_material").status_code == 404
    with api.db.transaction() as session:
        sign_off(session, signer, ADMIN, "2025", without=["310000"])
    table = api.get(None, "/survey/2025/tables/samples_by_material")
    assert table.status_code == 200, table.text
    nation = next(r for r in table.json()["rows"] if r["unit"] == "nation")
    assert nation["dna"] is None  # one DNA sample: withheld
    # Seven samples in three materials, each under 5: with the total shown, each would lie
    # in a range narrower than the protection interval (1..5), so the total is hidden too.
    assert nation["total"] is None
    assert table.json()["units"]["dna"] == "samples"
    assert table.json()["interval"] == 5
    persons = api.get(None, "/survey/2025/tables/persons")
    assert persons.status_code == 200, persons.text
    assert persons.json()["units"] == {"persons": "persons", "whole_genome_or_exome": "persons"}
    assert {r["unit"] for r in persons.json()["rows"]} >= {"nation", "province:110000"}
    diseases = api.get(None, "/survey/2025/tables/donors_by_disease").json()
    assert diseases["labels"]["ORPHA:399"] == "Huntington disease"
    consents = api.get(None, "/survey/2025/tables/consents_by_scope").json()
    assert consents["labels"]["DUO:0000042"] == "general research use"
    definition = api.get(None, "/survey/cycles/2025").json()
    with api.db.reader() as session:
        stored = session.query(SignedDocument).filter_by(kind="cycle").one()
    assert definition == envelope_of(stored).as_dict()
    assert api.get(None, "/survey/cycles/1999").status_code == 404


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("steward_bj", 200),
        ("officer_bj", 200),
        ("national", 200),
        ("steward_sh", 403),  # another institution's steward
        ("officer_sh", 403),  # another province's officer
        ("researcher", 403),
        ("ethics_bj", 403),
        (None, 401),
    ],
)
def test_a_returns_status_is_told_to_its_steward_and_its_provinces_officers(
    api: Api, signer: Signer, cycle: str, user: str | None, status: int
) -> None:
    path = f"/survey/{cycle}/returns/BJ-H001"
    answer = api.get(user, path)
    assert answer.status_code == status, answer.text
    if status != 200:
        return
    before = answer.json()
    # The 2025 cycle's institutions were due in 2026: none has returned, so it is overdue.
    assert (before["state"], before["version"], before["province"]) == ("overdue", None, "110000")
    assert api.post(
        "steward_bj", "/survey/returns", json=_return(api, signer, "BJ-H001")
    ).is_success
    after = api.get(user, path).json()
    assert (after["state"], after["version"], after["included_version"]) == ("late", 1, None)
    with api.db.transaction() as session:
        compile_province(session, signer, ADMIN, cycle, "110000")
    compiled = api.get(user, path).json()
    assert (compiled["edition_version"], compiled["included_version"]) == (1, 1)


def test_a_returns_status_for_an_unknown_cycle_or_institution_is_not_found(
    api: Api, cycle: str
) -> None:
    assert api.get("national", "/survey/2099/returns/BJ-H001").status_code == 404
    assert api.get("national", f"/survey/{cycle}/returns/NO-SUCH").status_code == 404
    assert api.get("national", f"/survey/{cycle}/returns/BJ%20H001").status_code == 422


def test_a_correction_is_public_only_once_signed_off(api: Api, signer: Signer, cycle: str) -> None:
    assert api.post(
        "steward_bj", "/survey/returns", json=_return(api, signer, "BJ-H001")
    ).is_success
    with api.db.transaction() as session:
        package(session, compile_province(session, signer, ADMIN, "2025", "110000"))
        first = compile_nation(session, signer, ADMIN, "2025")
        sign_off(session, signer, ADMIN, "2025", without=["310000"])
    shown = api.get(None, "/survey/2025/tables/samples_by_material").json()
    assert shown["edition"] == first.sha256
    # A correction travels up and is compiled: a draft until the nation signs it off.
    with api.db.transaction() as session:
        compile_province(session, signer, ADMIN, "2025", "110000")
        second = compile_nation(session, signer, ADMIN, "2025")
    assert second.sha256 != first.sha256
    assert api.get(None, "/survey/2025/tables/samples_by_material").json()["edition"] == (
        first.sha256
    )
    with api.db.transaction() as session:
        sign_off(session, signer, ADMIN, "2025", without=["310000"])
    assert api.get(None, "/survey/2025/tables/samples_by_material").json()["edition"] == (
        second.sha256
    )
