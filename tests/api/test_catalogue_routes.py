"""Catalogue routes: who sends declarations and reviews, who reads the register, and what
happens to a document that does not verify."""

from __future__ import annotations

import pytest

from hgr.catalogue import declare_pedigree, find_entry, register, review
from hgr.catalogue.exchange import review_package, sign_declarations, sign_register, sign_review
from hgr.crypto import NodeKeys, Signer, load_signer
from hgr.federation.documents import envelope_of
from tests.api.conftest import ADMIN, Api
from tests.conftest import table_counts


@pytest.fixture
def signer(keys: NodeKeys) -> Signer:
    return load_signer(keys.signing_key, "hgr/test-node")  # the api node signs as this


def _declarations(api: Api, signer: Signer, institution: str = "BJ-H001") -> dict[str, str]:
    with api.db.transaction() as session:
        declare_pedigree(session, ADMIN, institution, "HD-001")
        return envelope_of(sign_declarations(session, signer, ADMIN, institution)).as_dict()


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
def test_only_the_institutions_steward_sends_its_declarations(
    api: Api, signer: Signer, user: str | None, status: int
) -> None:
    response = api.post(user, "/catalogue/declarations", json=_declarations(api, signer))
    assert response.status_code == status, response.text
    if status == 200:
        assert (response.json()["kind"], response.json()["version"]) == ("declarations", 1)


def test_broken_declarations_are_refused_and_nothing_kept(api: Api, signer: Signer) -> None:
    document = _declarations(api, signer)
    before = table_counts(api.db)
    forged = {**document, "body": document["body"].replace('"affected":3', '"affected":4')}
    for broken in (
        forged,
        {**document, "body": "[]"},
        {**document, "sha256": "x"},
        {"body": document["body"]},
        ["not", "an", "object"],
    ):
        response = api.post("steward_bj", "/catalogue/declarations", json=broken)
        assert response.status_code == 422, response.text
    assert table_counts(api.db) == before


def test_reviews_and_the_register(api: Api, signer: Signer) -> None:
    assert api.get("steward_bj", "/catalogue/register").status_code == 404
    assert (
        api.post(
            "steward_bj", "/catalogue/declarations", json=_declarations(api, signer)
        ).status_code
        == 200
    )
    with api.db.transaction() as session:
        review(session, ADMIN, find_entry(session, "BJ-H001", "HD-001"), approve=True)
        sent = review_package(session, sign_review(session, signer, ADMIN, "110000"))
    assert (
        api.post("officer_bj", "/catalogue/reviews", json={"review": sent["review"]}).status_code
        == 422
    )
    for user, status in [("officer_sh", 403), ("steward_bj", 403), ("officer_bj", 200)]:
        response = api.post(user, "/catalogue/reviews", json=sent)
        assert response.status_code == status, (user, response.text)
    with api.db.transaction() as session:
        register(session, ADMIN, find_entry(session, "BJ-H001", "HD-001"))
        signed = envelope_of(sign_register(session, signer, ADMIN, "CN")).as_dict()
    for user, status in [
        ("steward_bj", 200),
        ("security", 200),
        ("auditor", 200),
        ("researcher", 403),
        (None, 401),
    ]:
        response = api.get(user, "/catalogue/register")
        assert response.status_code == status, (user, response.text)
        if status == 200:
            assert response.json() == signed
