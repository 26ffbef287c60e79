"""A user requests only for their own organisation: claiming another (a domestic institute, to
pass as a domestic party) is refused, and an officer's filing for another party is explicit
and audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hgr.access.export import needs_filing
from hgr.access.models import RequestRecord
from hgr.access.requests import create_request
from hgr.audit import Actor
from hgr.audit.models import AuditEvent
from hgr.auth.roles import Role
from hgr.auth.users import add_user, find_user
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Forbidden, ValidationFailed
from hgr.organisations import Fact, add_name, find_organisation, register_organisation
from hgr.policy import AccessRequest, read_model
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES

ACTOR = Actor("test", "operator")
BASE = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
FACT = Fact("Companies House", "officer.wang")


@pytest.fixture
def node(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    with db.transaction() as session:
        register_organisation(
            session,
            ACTOR,
            "oxbridge",
            "GB",
            "Example University of Oxbridge",
            FACT,
            identifiers=["CH:RC000999"],
        )
        add_name(
            session,
            ACTOR,
            find_organisation(session, "oxbridge"),
            "牛桥示例大学",
            FACT,
            language="zh",
        )
        register_organisation(
            session,
            ACTOR,
            "shanghai-inst",
            "CN",
            "Shanghai Example Institute",
            FACT,
            identifiers=["USCC:91310000EXAMPLE02"],
        )
        add_user(session, ACTOR, "alice", Role.RESEARCHER, organisation="oxbridge")
        add_user(
            session, ACTOR, "bob", Role.RESEARCHER, organisation="Example University of Oxbridge"
        )
    return db


def _create(db: Database, user: str, requester: dict[str, Any], **kw: Any) -> str:
    body = BASE.model_dump(mode="json") | {"requester": requester}
    with db.transaction() as session:
        entry = create_request(
            session, ACTOR, find_user(session, user), AccessRequest.model_validate(body), **kw
        )
        return entry.number


@pytest.mark.parametrize(
    ("user", "requester"),
    [
        ("alice", {"name": "Shanghai Example Institute", "country": "CN"}),  # a domestic party
        ("alice", {"name": "Anything", "country": "CN", "identifiers": ["USCC:91310000EXAMPLE02"]}),
        ("bob", {"name": "Shanghai Example Institute", "country": "CN"}),
        ("alice", {"key": "shanghai-inst"}),
    ],
)
def test_a_user_cannot_request_as_another_organisation(
    node: Database, user: str, requester: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden) as refused:
        _create(node, user, requester)
    assert refused.value.code == "E_NOT_YOUR_ORGANISATION"
    with node.reader() as session:
        assert session.scalar(select(RequestRecord.id)) is None


@pytest.mark.parametrize(
    ("user", "requester"),
    [
        ("alice", {"name": "Example University of Oxbridge", "country": "GB"}),
        ("alice", {"name": "牛桥示例大学", "country": "GB"}),  # its name in Chinese
        ("alice", {"name": "Oxbridge", "country": "GB", "identifiers": ["CH:RC000999"]}),
        ("bob", {"name": "EXAMPLE UNIVERSITY OF OXBRIDGE", "country": "GB"}),
    ],
)
def test_a_user_requests_for_their_own_organisation(
    node: Database, user: str, requester: dict[str, Any]
) -> None:
    assert _create(node, user, requester).startswith("REQ-")


def test_an_officers_filing_for_another_party_is_explicit_and_audited(node: Database) -> None:
    number = _create(
        node, "alice", {"name": "Shanghai Example Institute", "country": "CN"}, for_party=True
    )
    with node.reader() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.request.create")
        ).one()
    assert event.target == f"access/requests/{number}"
    assert event.detail["filed_for"] == "Shanghai Example Institute"
    assert event.detail["user_organisation"] == "oxbridge"


@pytest.mark.parametrize(
    "requester",
    [
        # One's own name with another's identifier: two organisations, and the node will not pick.
        {
            "name": "Example University of Oxbridge",
            "country": "CN",
            "identifiers": ["USCC:91310000EXAMPLE02"],
        },
        {"key": "oxbridge", "identifiers": ["USCC:91310000EXAMPLE02"]},
        {"key": "oxbridge", "name": "Shanghai Example Institute"},  # a key under another's name
    ],
)
def test_a_party_with_another_organisations_identity_is_refused(
    node: Database, requester: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(node, "bob", requester)
    assert refused.value.code == "E_UNREGISTERED_PARTY"
    assert str(refused.value).startswith("requester: ")
    with node.reader() as session:
        assert session.scalar(select(RequestRecord.id)) is None


@pytest.mark.parametrize(
    ("role", "party"),
    [
        ("requester", {"name": "Some Unregistered Lab", "country": "CN"}),
        ("requester", {"key": "no-such-org"}),
        ("domestic_partner", {"name": "A Partner Nobody Registered", "country": "CN"}),
        (
            "recipient",
            {
                "name": "Foreign Genomics Ltd",
                "country": "US",
                "identifiers": ["LEI:5493001KJTIIGC8Y1R12"],
            },
        ),
        ("provider", {"name": "A Hospital This Node Does Not Hold", "country": "CN"}),
    ],
)
def test_an_organisation_the_registry_does_not_hold_is_refused_with_how_to_register_it(
    node: Database, role: str, party: dict[str, Any]
) -> None:
    body = BASE.model_dump(mode="json") | {"requester": {"key": "oxbridge"}, role: party}
    with node.transaction() as session, pytest.raises(ValidationFailed) as refused:
        create_request(
            session, ACTOR, find_user(session, "alice"), AccessRequest.model_validate(body)
        )
    assert refused.value.code == "E_UNREGISTERED_PARTY"
    message = str(refused.value)
    assert message.startswith(role.replace("_", " ") + ": ")
    assert "hgr org add" in message
    with node.reader() as session:
        assert session.scalar(select(RequestRecord.id)) is None


def test_a_key_is_one_organisation_not_its_namesakes(node: Database) -> None:
    # Two registered "Genome Institute"s, one in China and one in the US: a request naming the
    # Chinese one by key (with or without its name) is decided on it alone, not as foreign.
    from hgr.access.facts import node_facts
    from hgr.policy import evaluate, fact_values, load_packs

    with node.transaction() as session:
        register_organisation(session, ACTOR, "cn-inst", "CN", "Genome Institute", FACT)
        register_organisation(session, ACTOR, "us-inst", "US", "Genome Institute", FACT)
    for partner in ({"key": "cn-inst"}, {"key": "cn-inst", "name": "Genome Institute"}):
        body = BASE.model_dump(mode="json") | {
            "requester": {"key": "oxbridge"},
            "domestic_partner": partner,
        }
        with node.transaction() as session:
            entry = create_request(
                session, ACTOR, find_user(session, "alice"), AccessRequest.model_validate(body)
            )
            bound = AccessRequest.model_validate(entry.body)
            facts = node_facts(session, bound)
        assert facts.parties["domestic_partner"].key == "cn-inst"
        assert fact_values(bound, facts)["has_chinese_partner"] is True
        # Decided without the node's binding (hgr policy evaluate --home), a key alone is
        # the registry's organisation too.
        unbound = AccessRequest.model_validate(body)
        with node.reader() as session:
            loose = node_facts(session, unbound)
        assert fact_values(unbound, loose)["has_chinese_partner"] is True
        assert not any(
            "domestic partner" in c for c in evaluate(unbound, loose, load_packs()).counted
        )


def test_the_provider_is_the_cohorts_institution_as_the_node_records_it(node: Database) -> None:
    # Declaring the provider in the destination's country (so that no filing seems due), or
    # naming another institution than the one holding the cohort, does not stand.
    cohort = {"cohort": {"institution": "BJ-H001"}}
    body = (
        BASE.model_dump(mode="json")
        | cohort
        | {"provider": {"name": "Beijing Example Hospital", "country": "GB"}}
    )
    with node.transaction() as session:
        entry = create_request(
            session, ACTOR, find_user(session, "alice"), AccessRequest.model_validate(body)
        )
        assert entry.body["provider"]["country"] == "CN"
        assert needs_filing(entry)
    other = body | {"provider": {"name": "Shanghai Example Genomics Co. Ltd", "country": "CN"}}
    with node.transaction() as session, pytest.raises(ValidationFailed) as refused:
        create_request(
            session, ACTOR, find_user(session, "alice"), AccessRequest.model_validate(other)
        )
    assert str(refused.value).startswith("provider: ")
    assert "BJ-H001, which holds the cohort" in str(refused.value)


def test_a_request_names_its_organisations_by_registry_key(node: Database) -> None:
    # The key alone suffices; the node fills in the registry's name, country and identifiers,
    # whatever country the request declares for it (here CN, to pass as a domestic party).
    number = _create(node, "alice", {"key": "oxbridge", "country": "CN"})
    with node.reader() as session:
        kept = session.scalars(select(RequestRecord).where(RequestRecord.number == number)).one()
    assert kept.body["requester"] == {
        "key": "oxbridge",
        "name": "Example University of Oxbridge",
        "country": "GB",
        "identifiers": ["CH:RC000999"],
        "not_for_profit": False,
        "foreign_equity_pct": 0.0,
        "foreign_voting_pct": 0.0,
        "control_by_agreement": False,
        "concern_ownership_pct": 0.0,
    }
    # The partner, named by name, is bound to its key; the provider is the node's BJ-H001.
    assert kept.body["domestic_partner"]["key"] == "shanghai-inst"
    assert kept.body["provider"] == BASE.model_dump(mode="json")["provider"]


def test_an_ambiguous_user_organisation_must_be_a_registry_key(node: Database) -> None:
    with node.transaction() as session:
        register_organisation(
            session, ACTOR, "oxbridge-cn", "CN", "Example University of Oxbridge", FACT
        )
    # Bob's organisation was one registered name when he was added; it now names two.
    with pytest.raises(Forbidden, match="registry key"):
        _create(node, "bob", {"key": "oxbridge"})


@pytest.mark.parametrize(
    ("role", "organisation", "says"),
    [
        (Role.RESEARCHER, "", "a researcher belongs to a registered organisation"),
        (Role.RESEARCHER, "Unregistered Lab", "is not in the organisation registry"),
        (Role.RESEARCHER, "no-such-key", "is not in the organisation registry"),
        (Role.ACCESS_COMMITTEE, "Someone Else Entirely", "is not in the organisation registry"),
    ],
)
def test_every_user_belongs_to_a_registered_organisation(
    node: Database, role: Role, organisation: str, says: str
) -> None:
    from hgr.auth.models import User
    from hgr.exceptions import UsageError

    scope = "BJ-H001" if role is Role.ACCESS_COMMITTEE else ""
    with node.transaction() as session, pytest.raises(UsageError, match=says) as refused:
        add_user(session, ACTOR, "carol", role, scope, organisation=organisation)
    assert refused.value.code == "E_USER_ORGANISATION"
    assert "hgr org add" in str(refused.value)
    with node.reader() as session:
        assert session.scalar(select(User.id).where(User.name == "carol")) is None


@pytest.mark.parametrize(
    ("role", "organisation"),
    [
        (Role.RESEARCHER, "oxbridge"),  # its registry key
        (Role.RESEARCHER, "牛桥示例大学"),  # one of its registered names
        (Role.RESEARCHER, "CH:RC000999"),  # its identifier
        (Role.ACCESS_COMMITTEE, "BJ-H001"),  # the node's own institution, by code
        (Role.ACCESS_COMMITTEE, "Beijing Example Hospital"),  # or by name
        (Role.ACCESS_COMMITTEE, ""),  # an institution's committee member may leave it out
    ],
)
def test_a_user_of_a_registered_organisation_is_added(
    node: Database, role: Role, organisation: str
) -> None:
    scope = "BJ-H001" if role is Role.ACCESS_COMMITTEE else ""
    with node.transaction() as session:
        add_user(session, ACTOR, "carol", role, scope, organisation=organisation)


def test_a_reviewer_of_the_requesters_organisation_is_refused_whatever_it_is_called(
    node: Database,
) -> None:
    # A committee member registered under the registry key of the requester's organisation,
    # or under its name spelt otherwise, cannot review the request.
    from hgr.access.requests import review, submit
    from hgr.policy import NodeFacts, load_packs

    with node.transaction() as session:
        add_user(
            session, ACTOR, "dac_key", Role.ACCESS_COMMITTEE, "BJ-H001", organisation="oxbridge"
        )
        add_user(
            session,
            ACTOR,
            "dac_ltd",
            Role.ACCESS_COMMITTEE,
            "BJ-H001",
            organisation="Example University of Oxbridge Ltd",
        )
    body = BASE.model_dump(mode="json") | {"cohort": {"institution": "BJ-H001"}}
    with node.transaction() as session:
        entry = create_request(
            session, ACTOR, find_user(session, "alice"), AccessRequest.model_validate(body)
        )
        submit(session, ACTOR, entry, NodeFacts(), load_packs())
        for reviewer in ("dac_key", "dac_ltd"):
            with pytest.raises(Forbidden, match="of their organisation"):
                review(session, ACTOR, entry, find_user(session, reviewer), "dac", approve=True)
