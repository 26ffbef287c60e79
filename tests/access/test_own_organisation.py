"""A user requests only for their own organisation: claiming another (a domestic institute, to
pass as a domestic party) is refused, and an officer's filing for another party is explicit
and audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hgr.access.models import RequestRecord
from hgr.access.requests import create_request
from hgr.audit import Actor
from hgr.audit.models import AuditEvent
from hgr.auth import Role, add_user, find_user
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Forbidden
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
        register_organisation(session, ACTOR, "oxbridge", "GB", "Example University of Oxbridge",
                              FACT, identifiers=["CH:RC000999"])  # fmt: skip
        add_name(session, ACTOR, find_organisation(session, "oxbridge"), "牛桥示例大学", FACT,
                 language="zh")  # fmt: skip
        register_organisation(session, ACTOR, "shanghai-inst", "CN", "Shanghai Example Institute",
                              FACT, identifiers=["USCC:91310000EXAMPLE02"])  # fmt: skip
        add_user(session, ACTOR, "alice", Role.RESEARCHER, organisation="oxbridge")
        add_user(session, ACTOR, "bob", Role.RESEARCHER,
                 organisation="Example University of Oxbridge")  # fmt: skip
        add_user(session, ACTOR, "nobody", Role.RESEARCHER)
    return db


def _create(db: Database, user: str, requester: dict[str, Any], **kw: Any) -> str:
    body = BASE.model_dump(mode="json") | {"requester": requester}
    with db.transaction() as session:
        entry = create_request(session, ACTOR, find_user(session, user),
                               AccessRequest.model_validate(body), **kw)  # fmt: skip
        return entry.number


@pytest.mark.parametrize(("user", "requester"), [
    ("alice", {"name": "Shanghai Example Institute", "country": "CN"}),  # a domestic party
    ("alice", {"name": "Anything", "country": "CN", "identifiers": ["USCC:91310000EXAMPLE02"]}),
    ("bob", {"name": "Shanghai Example Institute", "country": "CN"}),
    ("bob", {"name": "Some Unregistered Lab", "country": "CN"}),
    ("nobody", {"name": "Example University of Oxbridge", "country": "GB"}),
])  # fmt: skip
def test_a_user_cannot_request_as_another_organisation(
    node: Database, user: str, requester: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden) as refused:
        _create(node, user, requester)
    assert refused.value.code == "E_NOT_YOUR_ORGANISATION"
    with node.reader() as session:
        assert session.scalar(select(RequestRecord.id)) is None


@pytest.mark.parametrize(("user", "requester"), [
    ("alice", {"name": "Example University of Oxbridge", "country": "GB"}),
    ("alice", {"name": "牛桥示例大学", "country": "GB"}),  # its name in Chinese
    ("alice", {"name": "Oxbridge", "country": "GB", "identifiers": ["CH:RC000999"]}),
    ("bob", {"name": "EXAMPLE UNIVERSITY OF OXBRIDGE", "country": "GB"}),
])  # fmt: skip
def test_a_user_requests_for_their_own_organisation(
    node: Database, user: str, requester: dict[str, Any]
) -> None:
    assert _create(node, user, requester).startswith("REQ-")


def test_an_officers_filing_for_another_party_is_explicit_and_audited(node: Database) -> None:
    number = _create(node, "alice", {"name": "Shanghai Example Institute", "country": "CN"},
                     for_party=True)  # fmt: skip
    with node.reader() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "access.request.create")).one()  # fmt: skip
    assert event.target == f"access/requests/{number}"
    assert event.detail["filed_for"] == "Shanghai Example Institute"
    assert event.detail["user_organisation"] == "oxbridge"


def test_a_users_name_with_another_organisations_identifier_is_refused(node: Database) -> None:
    with pytest.raises(Forbidden):
        _create(node, "bob", {"name": "Example University of Oxbridge", "country": "CN",
                              "identifiers": ["USCC:91310000EXAMPLE02"]})  # fmt: skip


def test_an_ambiguous_user_organisation_must_be_a_registry_key(node: Database) -> None:
    with node.transaction() as session:
        register_organisation(session, ACTOR, "oxbridge-cn", "CN", "Example University of "
                              "Oxbridge", FACT)  # fmt: skip
    with pytest.raises(Forbidden, match="registry key"):
        _create(node, "bob", {"name": "Example University of Oxbridge", "country": "CN"})


def test_a_reviewer_of_the_requesters_organisation_is_refused_whatever_it_is_called(
    node: Database,
) -> None:
    # A committee member registered under the registry key of the requester's organisation,
    # or under its name spelt otherwise, cannot review the request.
    from hgr.access.requests import review, submit
    from hgr.policy import NodeFacts, load_packs

    with node.transaction() as session:
        add_user(session, ACTOR, "dac_key", Role.ACCESS_COMMITTEE, "BJ-H001",
                 organisation="oxbridge")  # fmt: skip
        add_user(session, ACTOR, "dac_ltd", Role.ACCESS_COMMITTEE, "BJ-H001",
                 organisation="Example University of Oxbridge Ltd")  # fmt: skip
    body = BASE.model_dump(mode="json") | {"cohort": {"institution": "BJ-H001"}}
    with node.transaction() as session:
        entry = create_request(session, ACTOR, find_user(session, "alice"),
                               AccessRequest.model_validate(body))  # fmt: skip
        submit(session, ACTOR, entry, NodeFacts(), load_packs())
        for reviewer in ("dac_key", "dac_ltd"):
            with pytest.raises(Forbidden, match="of their organisation"):
                review(session, ACTOR, entry, find_user(session, reviewer), "dac", approve=True)
