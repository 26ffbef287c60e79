"""Access request routes: who submits, who reads, who reviews, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hgr.access.models import RequestRecord
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.policy import AccessRequest, read_model
from tests.api.conftest import ADMIN, Api
from tests.conftest import EXAMPLES, register_pedigree

# The example holdings' approvals, consents and uses have real end dates (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_clock")

BODY: dict[str, Any] = read_model(
    AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml"
).model_dump(mode="json") | {
    "cohort": {"institution": "BJ-H001", "families": ["HD-001"]},
    "ethics_reference": "2019-KY-017",
}


@pytest.mark.parametrize(
    ("party", "status", "code"),
    [
        ({"key": "Not A Key!"}, 422, None),  # not a registry key's form
        ({"country": "GB"}, 422, None),  # neither a key nor a name
        ({"key": "no-such-org"}, 422, "E_UNREGISTERED_PARTY"),
        (
            {
                "name": "Example University of Oxbridge",
                "country": "GB",
                "identifiers": ["CH:99999999"],
                "key": "x" * 65,
            },
            422,
            None,
        ),
        (
            {"key": "example-university-of-oxbridge", "name": "Shanghai Example Institute"},
            422,
            "E_UNREGISTERED_PARTY",
        ),  # a key under another organisation's name
    ],
)
def test_a_requester_that_is_not_a_registered_organisation_is_refused(
    api: Api, party: dict[str, Any], status: int, code: str | None
) -> None:
    answer = api.post("researcher", "/access/requests", json=BODY | {"requester": party})
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["code"] == code
        assert answer.json()["detail"].startswith("requester: ")
    with api.db.reader() as session:  # nothing kept
        assert session.scalar(select(RequestRecord.id)) is None


def test_submit_read_and_review(api: Api) -> None:
    register_pedigree(api.db, "BJ-H001", "HD-001")  # a protected pedigree: CN-13
    for user, status in [("dac_bj", 403), ("steward_bj", 403), (None, 401)]:
        assert api.post(user, "/access/requests", json=BODY).status_code == status
    for broken in ({**BODY, "action": "steal"}, {**BODY, "surprise": 1}, {"id": "x"}, []):
        assert api.post("researcher", "/access/requests", json=broken).status_code == 422
    answer = api.post("researcher", "/access/requests", json=BODY)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    number = shown["number"]
    assert (shown["status"], shown["outcome"]) == ("under_review", "security_review")
    assert "CN-13" in [r["rule"] for r in shown["rules"]]
    with api.db.transaction() as session:
        add_user(
            session, ADMIN, "other", Role.RESEARCHER, organisation="Example University of Oxbridge"
        )
        api.tokens["other"] = create_token(session, ADMIN, "other").value
    for user, status in [
        ("researcher", 200),
        ("dac_bj", 200),
        ("security", 200),
        ("national", 200),
        ("other", 404),
        ("steward_bj", 403),
        (None, 401),
    ]:
        assert api.get(user, f"/access/requests/{number}").status_code == status, user
    assert api.get("researcher", "/access/requests/REQ-2026-99999").status_code == 404
    assert api.get("researcher", "/access/requests/nonsense").status_code == 422
    path = f"/access/requests/{number}/reviews"
    approve = {"kind": "dac", "approve": True}
    answer = api.post("dac_bj", path, json=approve)
    assert answer.status_code == 200, answer.text
    assert answer.json()["approvals"]["dac"] == ["dac_bj"]
    assert api.post("dac_bj", path, json=approve).status_code == 409  # the same eyes twice
    assert api.post("researcher", path, json=approve).status_code == 403
    assert api.post("dac_bj", path, json={"kind": "security", "approve": True}).status_code == 403
    assert api.post("dac_bj", path, json={"kind": "magic", "approve": True}).status_code == 422
    rejected = api.post("ethics_bj", path, json={"kind": "ethics", "approve": False})
    assert rejected.status_code == 422  # a rejection gives its reasons
    rejected = api.post(
        "ethics_bj",
        path,
        json={"kind": "ethics", "approve": False, "note": "Consent forms not seen."},
    )
    assert rejected.json()["status"] == "rejected"
    assert api.post("security", path, json={"kind": "security", "approve": True}).status_code == 409
