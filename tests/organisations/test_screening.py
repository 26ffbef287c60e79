"""The debarment list reached by identity: a listed organisation under its own name in any
spelling, its subsidiaries through the registry's control walk, and near-miss names sent to a
person, whatever identifiers the request declares (security review of issue: the list was
consulted only through the identifiers the requester chose to give)."""

from __future__ import annotations

from typing import Any

import pytest

from hgr.access.facts import node_facts
from hgr.audit import Actor
from hgr.db import Database
from hgr.organisations import Fact, add_control, register_organisation
from hgr.policy import AccessRequest, NodeFacts, evaluate, fact_values, load_packs, read_model
from tests.conftest import EXAMPLES, list_organisation

OFFICER = Actor("cli:test", "operator")
FACT = Fact("Hong Kong Companies Registry extract, 2026-11-30", "officer.wang")
BASE = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
LISTED = "Example Sequencing Holdings Ltd"


@pytest.fixture
def listed(db: Database) -> Database:
    """The list holds LISTED (HK-CR:0000001) on a mandatory ground; the registry knows it and
    its UK subsidiary, which is not listed."""
    with db.transaction() as session:
        list_organisation(session, "DEB-2026-0001", LISTED, "HK", ["HK-CR:0000001"])
        register_organisation(
            session, OFFICER, "example-seq", "HK", LISTED, FACT, identifiers=["HK-CR:0000001"]
        )
        subsidiary = "Example Genomics UK Ltd"
        register_organisation(
            session,
            OFFICER,
            "example-genomics-uk",
            "GB",
            subsidiary,
            FACT,
            identifiers=["CH:00000002"],
        )
        add_control(session, OFFICER, "example-seq", "example-genomics-uk", "equity", 100.0, FACT)
    return db


def _decide(db: Database, requester: dict[str, Any]) -> tuple[NodeFacts, Any]:
    body = BASE.model_dump(mode="json") | {"requester": requester}
    request = AccessRequest.model_validate(body)
    with db.reader() as session:
        facts = node_facts(session, request)
    return facts, evaluate(request, facts, load_packs())


@pytest.mark.parametrize(
    "requester",
    [
        {"name": LISTED, "country": "HK"},  # its exact listed name, no identifiers
        {"name": "EXAMPLE SEQUENCING HOLDINGS LIMITED", "country": "HK"},
        {"name": "Ｅｘａｍｐｌｅ Sequencing Holdings, Ltd.", "country": "HK"},
        {"name": "Example Genomics UK Ltd", "country": "GB"},  # the subsidiary, by name alone
        {"name": "EG UK", "country": "GB", "identifiers": ["CH:00000002"]},  # by its identifier
        {"name": "Example Genomics (UK) Limited", "country": "GB"},  # its name, spelt otherwise
    ],
    ids=[
        "listed-name",
        "upper-case",
        "full-width",
        "subsidiary",
        "subsidiary-id",
        "subsidiary-spelling",
    ],
)
def test_a_listed_organisation_and_its_subsidiary_are_refused_on_identity(
    listed: Database, requester: dict[str, Any]
) -> None:
    facts, decision = _decide(listed, requester)
    assert facts.debarment == "mandatory"
    assert facts.debarment_reference == "DEB-2026-0001"
    assert decision.outcome == "prohibited"
    assert "DEB-M" in [f.rule.id for f in decision.fired]


@pytest.mark.parametrize(
    "requester",
    [
        {"key": "sz-lab"},
        {"name": "SZ Sub Labs", "country": "CN"},
        {"name": "Anything", "country": "CN", "identifiers": ["USCC:91440300MA5SZLAB01"]},
    ],
)
def test_control_is_followed_across_the_registry_and_the_lists_own_relations(
    listed: Database, requester: dict[str, Any]
) -> None:
    # The list's own relations (hgr debarment control, by identifier) record that the listed
    # company's UK subsidiary controls a Shenzhen lab; the registry knows the lab and, apart,
    # the UK subsidiary's owner. Neither record alone reaches the listing.
    from hgr.debarment import add_control as list_control

    with listed.transaction() as session:
        register_organisation(
            session,
            OFFICER,
            "sz-lab",
            "CN",
            "SZ Sub Labs",
            FACT,
            identifiers=["USCC:91440300MA5SZLAB01"],
        )
        list_control(
            session,
            OFFICER,
            "CH:00000002",
            "USCC:91440300MA5SZLAB01",
            "board control (SAMR filing)",
        )
    facts, decision = _decide(listed, requester)
    assert (facts.debarment, facts.debarment_reference) == ("mandatory", "DEB-2026-0001")
    assert decision.outcome == "prohibited"


def test_a_near_miss_name_goes_to_a_person_with_the_candidate(listed: Database) -> None:
    facts, decision = _decide(listed, {"name": "Exampel Sequencing Holdings", "country": "HK"})
    assert facts.debarment == "none"
    assert facts.debarment_near_miss
    assert "DEB-2026-0001" in facts.debarment_candidates
    assert LISTED in facts.debarment_candidates
    assert "DEB-N" in [f.rule.id for f in decision.fired]


def test_an_unrelated_organisation_passes_without_a_flag(listed: Database) -> None:
    facts, decision = _decide(
        listed, {"name": "Example University of Oxbridge", "country": "GB", "not_for_profit": True}
    )
    assert (facts.debarment, facts.debarment_near_miss) == ("none", False)
    assert not {"DEB-M", "DEB-D", "DEB-N"} & {f.rule.id for f in decision.fired}


def test_a_false_country_does_not_hide_the_subsidiary(listed: Database) -> None:
    facts, decision = _decide(listed, {"name": "Example Genomics UK Ltd", "country": "CN"})
    assert facts.debarment == "mandatory"
    assert decision.outcome == "prohibited"


def test_foreign_control_is_taken_from_the_registry_not_the_request(db: Database) -> None:
    # A lab that declares itself Chinese with no foreign holding, which the registry records
    # as 60% held by a US company: the node decides on the registry, and says so.
    with db.transaction() as session:
        register_organisation(
            session,
            OFFICER,
            "domestic-lab",
            "CN",
            "Example Domestic Lab",
            FACT,
            identifiers=["USCC:91110000EXAMPLE01"],
        )
        register_organisation(session, OFFICER, "us-parent", "US", "Example US Parent Inc.", FACT)
        add_control(session, OFFICER, "us-parent", "domestic-lab", "equity", 60.0, FACT)
    facts, decision = _decide(db, {"name": "Example Domestic Lab", "country": "CN"})
    assert facts.parties["requester"].foreign_party is True
    assert fact_values(decision_request(), facts)["requester_foreign_party"] is True
    assert any(
        "the requester declared not a foreign party; the registry holds domestic-lab" in note
        for note in decision.counted
    ), decision.counted


def decision_request() -> AccessRequest:
    body = BASE.model_dump(mode="json") | {
        "requester": {"name": "Example Domestic Lab", "country": "CN"}
    }
    return AccessRequest.model_validate(body)


@pytest.mark.parametrize(
    "requester",
    [
        # The subsidiary's identifier with an innocent organisation's added: all are screened.
        {"name": "SZ Sub Labs", "country": "CN", "identifiers": ["CH:00000002", "USCC:INNOCENT01"]},
        # The listed identifier as typed by someone else: lower case, spaces.
        {"name": "Anything", "country": "HK", "identifiers": [" hk-cr: 0000001 "]},
    ],
)
def test_identifiers_cannot_be_diluted_or_respelt(
    listed: Database, requester: dict[str, Any]
) -> None:
    with listed.transaction() as session:
        register_organisation(
            session,
            OFFICER,
            "innocent",
            "CN",
            "Innocent Lab",
            FACT,
            identifiers=["USCC:INNOCENT01"],
        )
    facts, decision = _decide(listed, requester)
    assert facts.debarment == "mandatory"
    assert decision.outcome == "prohibited"


def test_another_organisations_identifier_does_not_make_a_foreign_party_domestic(
    db: Database,
) -> None:
    with db.transaction() as session:
        register_organisation(
            session,
            OFFICER,
            "sh-inst",
            "CN",
            "Shanghai Example Institute",
            FACT,
            identifiers=["USCC:91310000EXAMPLE02"],
        )
        register_organisation(session, OFFICER, "foreign-gen", "GB", "Foreign Genomics Ltd", FACT)
    facts, _decision = _decide(
        db,
        {
            "name": "Foreign Genomics Ltd",
            "country": "CN",
            "identifiers": ["USCC:91310000EXAMPLE02"],
        },
    )
    assert facts.parties["requester"].foreign_party is True
    assert "foreign-gen" in facts.parties["requester"].key
