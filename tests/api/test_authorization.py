"""The authorization matrix: every registry route × role × scope (security.md §5.2, T9a).

The expected outcomes are written out here from docs/access.md, not read from the rules in
hgr.auth.permissions, so a change to the rules that the document does not share fails here.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from hgr.registry.fields import uscc_check_character
from hgr.registry.queries import ENTITIES
from tests.api.conftest import USERS, Api

BJ, SH = "BJ-H001", "SH-C001"
CLASS = {
    "regions": "reference",
    "institutions": "directory",
    "collections": "directory",
    "ethics": "institutional",
    "files": "institutional",
    "families": "institutional",
    "donors": "individual",
    "samples": "individual",
    "consents": "individual",
    "members": "individual",
}
ALL, NONE = "all", "none"
# What each caller sees of each class: all, none, or the institutions in its scope.
SEES: dict[str | None, dict[str, object]] = {
    None: {"reference": ALL, "directory": NONE, "institutional": NONE, "individual": NONE},
    "steward_bj": {"reference": ALL, "directory": {BJ}, "institutional": {BJ}, "individual": {BJ}},
    "steward_sh": {"reference": ALL, "directory": {SH}, "institutional": {SH}, "individual": {SH}},
    "officer_bj": {"reference": ALL, "directory": {BJ}, "institutional": {BJ}, "individual": NONE},
    "officer_sh": {"reference": ALL, "directory": {SH}, "institutional": {SH}, "individual": NONE},
    "national": {"reference": ALL, "directory": ALL, "institutional": ALL, "individual": NONE},
    "ethics_bj": {
        "reference": ALL,
        "directory": {BJ},
        "institutional": {BJ},
        "individual": NONE,
        "consents": {BJ},
    },
    "dac_bj": {"reference": ALL, "directory": {BJ}, "institutional": {BJ}, "individual": NONE},
    "security": {"reference": ALL, "directory": ALL, "institutional": ALL, "individual": NONE},
    "auditor": {"reference": ALL, "directory": ALL, "institutional": ALL, "individual": NONE},
    "researcher": {"reference": ALL, "directory": ALL, "institutional": NONE, "individual": NONE},
}
CALLERS = [None, *USERS]


def _sees(user: str | None, entity: str) -> object:
    return SEES[user].get(entity, SEES[user][CLASS[entity]])


def _owner(entity: str, row: dict[str, object]) -> str:
    return str(row["code"] if entity == "institutions" else row.get("institution", ""))


def test_the_matrix_covers_every_entity_and_user() -> None:
    assert set(CLASS) == set(ENTITIES)
    assert set(SEES) == {None, *USERS}


@pytest.mark.parametrize("user", CALLERS, ids=lambda u: u or "anonymous")
def test_list_and_read_by_key(api: Api, user: str | None) -> None:
    for entity in ENTITIES:
        sees = _sees(user, entity)
        listing = api.get(user, f"/registry/{entity}", limit=1000)
        if sees == NONE:
            assert listing.status_code == (401 if user is None else 403), (user, entity)
            assert listing.headers["content-type"] == "application/problem+json"
            assert "items" not in listing.json()
        else:
            assert listing.status_code == 200, (user, entity, listing.text)
            owners = {_owner(entity, r) for r in listing.json()["items"]}
            if sees == ALL:
                expected = {BJ, SH} if entity != "regions" else {""}
                assert owners == expected, (user, entity)
            else:
                assert owners == sees, (user, entity)
        # Read one record of each institution by its key: in scope 200, out of scope 404
        # (as if it did not exist), and 401/403 where the role may not read the entity at all.
        for owner in (BJ, SH):
            probe = _a_record(api, entity, owner)
            response = api.get(user, f"/registry/{entity}/record", **probe)
            if sees == NONE:
                assert response.status_code == (401 if user is None else 403), (user, entity)
            elif sees == ALL or owner in sees:  # type: ignore[operator]
                assert response.status_code == 200, (user, entity, owner, response.text)
            else:
                assert response.status_code == 404, (user, entity, owner)
                assert response.json()["code"] == "E_NOT_FOUND"


def _a_record(api: Api, entity: str, owner: str) -> dict[str, str]:
    """The natural key of some record of ``owner`` (read with that institution's steward)."""
    steward = {BJ: "steward_bj", SH: "steward_sh"}[owner]
    items = api.get(steward, f"/registry/{entity}", limit=1).json()["items"]
    if entity == "regions":
        items = [{"code": "110000" if owner == BJ else "310000"}]
    spec = ENTITIES[entity]
    return {k: str(items[0][k]) for k in spec.key}


def test_a_missing_record_and_a_hidden_one_look_the_same(api: Api) -> None:
    hidden = _a_record(api, "donors", SH)
    missing = {**hidden, "pseudonym": "0" * 64}
    a = api.get("steward_bj", "/registry/donors/record", **hidden)
    b = api.get("steward_bj", "/registry/donors/record", **{**missing, "institution": BJ})
    assert a.status_code == b.status_code == 404
    assert a.json()["code"] == b.json()["code"]


@pytest.mark.parametrize(
    ("user", "institution", "status"),
    [
        ("steward_bj", BJ, 200),
        ("steward_bj", SH, 403),
        ("steward_sh", SH, 200),
        ("officer_bj", BJ, 403),
        ("national", BJ, 403),
        ("researcher", BJ, 403),
        ("auditor", BJ, 403),
        (None, BJ, 401),
    ],
)
def test_who_may_register_holdings(
    api: Api, user: str | None, institution: str, status: int
) -> None:
    rows = {"rows": [{"donor_id": "NEW-1", "sex": "female", "birth_year": "1990"}]}
    response = api.post(user, "/registry/donors", params={"institution": institution}, json=rows)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("user", "status"), [("national", 200), ("steward_bj", 403), ("officer_bj", 403)]
)
def test_only_national_officers_register_institutions(api: Api, user: str, status: int) -> None:
    stem = "12440000MB2C98765"
    row = {
        "code": "GZ-H009",
        "name": "Guangzhou Test Hospital",
        "kind": "hospital",
        "legal_person_id": stem + uscc_check_character(stem),
        "country": "CN",
        "region_code": "440000",
        "control": "domestic",
    }
    response = api.post(user, "/registry/institutions", json={"rows": [row]})
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["changes"]["institutions"]["inserted"] == 1


@pytest.mark.parametrize(
    ("user", "status"),
    [("auditor", 200), ("security", 200), ("national", 403), ("steward_bj", 403), (None, 401)],
)
def test_audit_events_are_for_auditors(api: Api, user: str | None, status: int) -> None:
    assert api.get(user, "/audit/events").status_code == status


@pytest.mark.parametrize(
    ("user", "institutions"),
    [("steward_bj", {BJ}), ("officer_sh", {SH}), ("national", {BJ, SH}), ("researcher", None)],
)
def test_summary_is_scoped(api: Api, user: str, institutions: set[str] | None) -> None:
    response = api.get(user, "/summary")
    if institutions is None:
        assert response.status_code == 403
    else:
        assert {r["institution"] for r in response.json()} == institutions


def test_a_steward_finds_a_donor_by_the_institutions_own_id(api: Api) -> None:
    """BJH-0001 is the institution's id of a donor the registry knows only by pseudonym: the
    record, the listing filter and the audit all work with it, and the audit never holds it."""
    record = api.get("steward_bj", "/registry/donors/record", institution=BJ, pseudonym="BJH-0001")
    assert record.status_code == 200, record.text
    pseudonym = record.json()["pseudonym"]
    assert len(pseudonym) == 64
    same = api.get("steward_bj", "/registry/donors/record", institution=BJ, pseudonym=pseudonym)
    assert same.json() == record.json()
    samples = api.get("steward_bj", "/registry/samples", donor="BJH-0001").json()["items"]
    assert samples
    assert {s["donor"] for s in samples} == {pseudonym}
    events = [e["body"] for e in api.get("auditor", "/audit/events", limit=1000).json()["items"]]
    assert not any("BJH-0001" in e for e in events)
    assert any(pseudonym in e for e in events)


def test_no_one_computes_another_institutions_pseudonyms(api: Api) -> None:
    """The other institution holds a donor it calls BJH-0001 too. Asked by that id, a steward
    of this one gets the answer a donor that does not exist gets, and no pseudonym: computed
    for a guessed id at another institution, it would re-identify that institution's donors
    wherever pseudonyms travel. Nor does a national officer, and a steward's own miss names
    the id as typed."""
    hex64 = re.compile(r"[0-9a-f]{64}")
    other = api.get("steward_bj", "/registry/donors/record", institution=SH, pseudonym="BJH-0001")
    missing = api.get(
        "steward_bj", "/registry/donors/record", institution=SH, pseudonym="NO-SUCH-ID"
    )
    assert other.status_code == missing.status_code
    assert other.json()["code"] == missing.json()["code"]
    assert not hex64.search(other.text)
    officer = api.get("officer_sh", "/registry/donors/record", institution=SH, pseudonym="BJH-0001")
    assert officer.status_code in (403, 404)
    assert not hex64.search(officer.text)
    own_miss = api.get(
        "steward_bj", "/registry/donors/record", institution=BJ, pseudonym="BJH-9999"
    )
    assert own_miss.status_code == 404
    assert "BJH-9999" in own_miss.json()["detail"]
    assert not hex64.search(own_miss.text)


def test_an_institution_whose_own_ids_look_like_pseudonyms_finds_its_donors(api: Api) -> None:
    """An institution that already names its donors by a SHA-256 in hex: its ids look like
    pseudonyms, and were read as such (nothing found). They are tried as its own ids next."""
    own = hashlib.sha256(b"patient 17").hexdigest()
    rows = {"rows": [{"donor_id": own, "sex": "female", "birth_year": "1990"}]}
    assert api.post("steward_bj", "/registry/donors", json=rows).status_code == 200
    record = api.get("steward_bj", "/registry/donors/record", institution=BJ, pseudonym=own)
    assert record.status_code == 200, record.text
    assert record.json()["pseudonym"] != own
    assert record.json()["birth_year"] == 1990
    sample = {"sample_id": "S-HEX-1", "donor_id": own, "material_type": "dna"}
    assert api.post("steward_bj", "/registry/samples", json={"rows": [sample]}).status_code == 200
    listed = api.get("steward_bj", "/registry/samples", donor=own).json()["items"]
    assert [s["donor"] for s in listed] == [record.json()["pseudonym"]]
    # Past the last page the total is still the donor's, not another reading's.
    beyond = api.get("steward_bj", "/registry/samples", donor=own, offset=5).json()
    assert (beyond["items"], beyond["total"]) == ([], 1)
    # The own id is never written down: each listing is audited once, with the pseudonym.
    events = [e["body"] for e in api.get("auditor", "/audit/events", limit=1000).json()["items"]]
    assert not any(own in e for e in events)
    assert sum(record.json()["pseudonym"] in e and "samples" in e for e in events) == 2
    # Another institution's steward asking with its own institution finds nothing of it.
    other = api.get("steward_sh", "/registry/samples", donor=own).json()
    assert other["items"] == []
    missing = hashlib.sha256(b"nobody").hexdigest()
    absent = api.get("steward_bj", "/registry/donors/record", institution=BJ, pseudonym=missing)
    assert absent.status_code == 404
    assert missing in absent.json()["detail"]
