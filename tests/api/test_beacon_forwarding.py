"""Questions a federation node asks on behalf of its callers (``Hgr-Beacon-On-Behalf``): who
may send the header, what tier the requester gets, and what the caps are charged to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hgr.auth.models import User
from hgr.federation.network import ON_BEHALF_HEADER
from hgr.privacy.exposure import Requester, Tier
from hgr.privacy.forwarding import on_behalf
from hgr.privacy.models import BeaconRequesterBudget
from hgr.privacy.questions import DAILY_QUESTIONS
from tests.api.beacon_node import debar
from tests.api.conftest import Api
from tests.beacon.schemas import problems

COUNT_QUESTION = {
    "meta": {"apiVersion": "v2.0.0"},
    "query": {"requestedGranularity": "record", "filters": [{"id": "NCIT:C16576"}]},
}
ALICE = Requester("token:alice", "Fudan University", "CN", Tier.REGISTERED)


def _ask(api: Api, user: str, header: str) -> tuple[int, dict[str, object]]:
    answer = api.post(
        user, "/api/individuals", json=COUNT_QUESTION, headers={ON_BEHALF_HEADER: header}
    )
    return answer.status_code, answer.json()


def _holders(api: Api) -> set[str]:
    with api.db.reader() as session:
        return set(session.scalars(select(BeaconRequesterBudget.holder)))


def test_a_node_account_asks_for_a_registered_user_of_its_own(beacon_api: Api) -> None:
    status, answer = _ask(beacon_api, "steward", on_behalf(ALICE))
    assert status == 200
    # Registered, not controlled: the steward's own grant on its institution's data does not
    # pass to the requester it vouches for, who asked for records and gets counts.
    assert answer["meta"]["returnedGranularity"] == "count"  # type: ignore[index]
    assert problems(answer, "framework/json/responses/beaconCountResponse.json") == []
    assert _holders(beacon_api) == {
        "id:via:token:steward|token:alice",
        "org:fudan university",
        f"node:{_scope(beacon_api)}",
    }


def test_a_forwarded_anonymous_caller_gets_booleans_on_its_own_allowance(
    beacon_api: Api,
) -> None:
    caller = Requester("anonymous:203.0.113.7", "", "ZZ", Tier.ANONYMOUS)
    status, answer = _ask(beacon_api, "steward", on_behalf(caller))
    assert status == 200
    assert answer["meta"]["returnedGranularity"] == "boolean"  # type: ignore[index]
    assert _holders(beacon_api) == {
        "id:via:token:steward|anonymous:203.0.113.7",
        f"node:{_scope(beacon_api)}",
    }


def test_a_node_naming_a_fresh_identity_on_every_question_gains_nothing(beacon_api: Api) -> None:
    # The attack: a node account vouches for a new identity on every question, so that no
    # identity's cap is ever reached. Everyone it vouches for shares the node's own total,
    # an organisation's allowance (200 a day for anonymous callers).
    cap = DAILY_QUESTIONS[Tier.ANONYMOUS][1]
    statuses = []
    for n in range(cap + 5):
        caller = Requester(f"anonymous:198.51.100.{n % 250}-{n}", "", "ZZ", Tier.ANONYMOUS)
        # A different question each time: the same one again would count once (its answer
        # is decided once, and repeating it reveals nothing more).
        variant = {
            "referenceName": "1",
            "start": [1_000 + n],
            "referenceBases": "A",
            "alternateBases": "G",
        }
        question = {
            "meta": {"apiVersion": "v2.0.0"},
            "query": {"requestParameters": variant, "requestedGranularity": "boolean"},
        }
        answer = beacon_api.post(
            "steward",
            "/api/g_variants",
            json=question,
            headers={ON_BEHALF_HEADER: on_behalf(caller)},
        )
        statuses.append(answer.status_code)
    assert statuses.count(200) == cap
    assert statuses[cap:] == [429] * 5
    with beacon_api.db.reader() as session:
        used = session.scalar(
            select(BeaconRequesterBudget.questions).where(
                BeaconRequesterBudget.holder == f"node:{_scope(beacon_api)}"
            )
        )
    assert used == cap


def _scope(api: Api) -> str:
    """The institution the test node's steward account is scoped to."""
    with api.db.reader() as session:
        return str(session.scalar(select(User.scope).where(User.name == "steward")))


@pytest.mark.parametrize("user", ["domestic", None])
def test_only_the_federations_nodes_may_ask_on_behalf_of_others(
    beacon_api: Api, user: str | None
) -> None:
    answer = beacon_api.client.post(
        "/api/individuals",
        json=COUNT_QUESTION,
        headers={**beacon_api.headers(user), ON_BEHALF_HEADER: on_behalf(ALICE)},
    )
    assert answer.status_code == 403
    assert "E_FORBIDDEN" in answer.json()["error"]["errorMessage"]
    assert _holders(beacon_api) == set()


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "exactly"),
        (
            '{"identity": "a", "tier": "registered", "organisation": "", "country": "CN", "x": ""}',
            "exactly",
        ),
        ('{"identity": "", "tier": "registered", "organisation": "", "country": "CN"}', "1 to 300"),
        (
            '{"identity": "a", "tier": "controlled", "organisation": "", "country": "CN"}',
            "anonymous or registered",
        ),
        (
            '{"identity": "a", "tier": "registered", "organisation": "", "country": "China"}',
            "alpha-2",
        ),
        (
            '{"identity": "a\\u0000", "tier": "registered", "organisation": "", "country": "CN"}',
            "control characters",
        ),
        ('{"identity": "a", "tier": "registered", "organisation": 5, "country": "CN"}', "string"),
        (
            '{"identity": "a", "tier": "anonymous", "organisation": "X", "country": "ZZ"}',
            "no organisation",
        ),
        ("x" * 3000, "longer than"),
    ],
)
def test_a_malformed_on_behalf_header_is_refused(beacon_api: Api, header: str, why: str) -> None:
    status, answer = _ask(beacon_api, "steward", header)
    assert status == 400
    message = answer["error"]["errorMessage"]  # type: ignore[index]
    assert "E_ON_BEHALF" in message
    assert why in message
    assert problems(answer, "framework/json/responses/beaconErrorResponse.json") == []
    assert _holders(beacon_api) == set()


def test_a_debarred_organisation_is_refused_through_a_node_too(beacon_api: Api) -> None:
    debar(beacon_api.db, "DEB-TEST-2", "USCC-DEBARRED-1")
    vouched = Requester("token:mallory", "USCC-DEBARRED-1", "GB", Tier.REGISTERED)
    status, answer = _ask(beacon_api, "steward", on_behalf(vouched))
    assert status == 403
    assert "E_DEBARRED" in answer["error"]["errorMessage"]  # type: ignore[index]


def test_a_debarred_organisation_is_refused_under_its_name_spelt_otherwise(
    beacon_api: Api,
) -> None:
    # The list holds "Debarred Ltd"; the node vouches for a requester of "DEBARRED LIMITED".
    debar(beacon_api.db, "DEB-TEST-3", "USCC-DEBARRED-9")
    vouched = Requester("token:mallory", "DEBARRED LIMITED", "GB", Tier.REGISTERED)
    status, answer = _ask(beacon_api, "steward", on_behalf(vouched))
    assert status == 403
    assert "E_DEBARRED" in answer["error"]["errorMessage"]  # type: ignore[index]
