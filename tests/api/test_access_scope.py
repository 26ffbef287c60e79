"""Who reads and reviews an access request: the committees of the institution that holds the
data, and no other's; a request without a cohort belongs to the provider institution it names,
and one naming no institution of the node belongs to none of its committees."""

from __future__ import annotations

from typing import Any

import pytest

from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.policy import AccessRequest, read_model
from tests.api.conftest import ADMIN, Api
from tests.conftest import EXAMPLES, register_parties

pytestmark = pytest.mark.usefixtures("frozen_clock")  # the examples' approvals end in 2029

BASE: dict[str, Any] = read_model(
    AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml"
).model_dump(mode="json")
WITH_COHORT = BASE | {
    "cohort": {"institution": "BJ-H001", "families": ["HD-001"]},
    "ethics_reference": "2019-KY-017",
}
# No cohort: the provider named is BJ-H001, by its registered name or its legal identifier.
BY_NAME = BASE
BY_IDENTIFIER = BASE | {
    "provider": {"name": "北京示例医院", "country": "CN", "identifiers": ["121100004000000014"]}
}
ELSEWHERE = BASE | {"provider": {"name": "A Hospital This Node Does Not Hold", "country": "CN"}}

# user: (role, scope) beyond the api fixture's users
COMMITTEES_SH = {
    "dac_sh": (Role.ACCESS_COMMITTEE, "SH-C001"),
    "ethics_sh": (Role.ETHICS_COMMITTEE, "SH-C001"),
}


def _submit(api: Api, body: dict[str, Any]) -> tuple[str, list[str]]:
    """The request's number and the reviews it needs."""
    answer = api.post("researcher", "/access/requests", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "under_review"
    return str(answer.json()["number"]), answer.json()["reviews_needed"]


@pytest.fixture
def scoped(api: Api) -> Api:
    with api.db.transaction() as session:
        for name, (role, scope) in COMMITTEES_SH.items():
            add_user(session, ADMIN, name, role, scope)
            api.tokens[name] = create_token(session, ADMIN, name).value
    return api


@pytest.mark.parametrize(
    "body",
    [WITH_COHORT, BY_NAME, BY_IDENTIFIER],
    ids=["cohort", "provider-name", "provider-identifier"],
)
def test_only_the_holding_institutions_committees_read_and_review(
    scoped: Api, body: dict[str, Any]
) -> None:
    number, reviews = _submit(scoped, body)
    path = f"/access/requests/{number}"
    # The national authority's security reviewers read the requests that need their review.
    security = 200 if "security" in reviews else 404
    expected = {
        "researcher": 200,
        "national": 200,
        "auditor": 200,
        "security": security,
        "dac_bj": 200,
        "ethics_bj": 200,
        "dac_sh": 404,
        "ethics_sh": 404,
        "steward_bj": 403,
        "steward_sh": 403,
        "officer_bj": 403,
    }
    for user, status in expected.items():
        assert scoped.get(user, path).status_code == status, user
    # The other institution's committees cannot act on it either: not found, as for reading.
    for user, kind in (("dac_sh", "dac"), ("ethics_sh", "ethics")):
        refused = scoped.post(user, f"{path}/reviews", json={"kind": kind, "approve": True})
        assert refused.status_code == 404, (user, refused.text)
    for user, kind in (("dac_bj", "dac"), ("ethics_bj", "ethics")):
        answer = scoped.post(user, f"{path}/reviews", json={"kind": kind, "approve": True})
        assert answer.status_code == 200, (user, answer.text)
        assert answer.json()["approvals"][kind] == [user]


def test_a_request_naming_no_institution_of_the_node_has_no_committee(scoped: Api) -> None:
    # Before, any institution's committee could approve a request without a cohort. The
    # provider is known to the registry (else the request is refused at submission), but
    # holds no data here.
    refused = scoped.post("researcher", "/access/requests", json=ELSEWHERE)
    assert (refused.status_code, refused.json()["code"]) == (422, "E_UNREGISTERED_PARTY")
    with scoped.db.transaction() as session:
        register_parties(session, ELSEWHERE)
    number, _reviews = _submit(scoped, ELSEWHERE)
    path = f"/access/requests/{number}"
    for user in ("dac_bj", "ethics_bj", "dac_sh", "ethics_sh"):
        assert scoped.get(user, path).status_code == 404, user
    for user, kind in (("dac_bj", "dac"), ("dac_sh", "dac"), ("ethics_bj", "ethics")):
        refused = scoped.post(user, f"{path}/reviews", json={"kind": kind, "approve": True})
        assert refused.status_code == 404, (user, refused.text)
    shown = scoped.get("national", path).json()
    assert shown["approvals"] == {"dac": [], "ethics": [], "security": []}
