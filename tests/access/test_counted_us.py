"""US persons are counted where they live, and covered-person ownership is walked in the
registry: a request that declares only Chinese donors, or a recipient that declares no owner
of concern, is decided on what the node knows (28 CFR 202.205, 202.211, 202.303)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hgr.access.facts import node_facts
from hgr.audit import Actor
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.organisations import COUNTRIES_OF_CONCERN, Fact, add_control, register_organisation
from hgr.policy import AccessRequest, NodeFacts, evaluate, load_packs, read_model
from hgr.registry.importer import import_files
from hgr.registry.regions import load_regions
from tests.conftest import EXAMPLES, HOLDINGS

OFFICER = Actor("cli:test", "operator")
FACT = Fact("Companies House and Hong Kong Companies Registry extracts", "officer.wang")
BASE = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
PACKS = load_packs()


@pytest.fixture
def node(db: Database, keys: NodeKeys, tmp_path: Path) -> Database:
    """BJ-H001 with 150 donors who live in California (a region of the US the node loaded),
    registered in a population of their own (US-RES), each with a broad consent."""
    regions = tmp_path / "us-regions.csv"
    regions.write_text(
        "country,code,name,name_local,level,parent_code\n"
        "US,US,United States,,nation,\nUS,US-CA,California,,province,US\n",
        encoding="utf-8",
    )
    load_regions(db, regions)
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    donors = [
        "donor_id,sex,birth_year,residence_region,population,vital_status,phenotypes,diagnoses"
    ] + [f"US-{n:03d},female,1980,US-CA,US-RES,alive,," for n in range(150)]
    (tmp_path / "donors.csv").write_text("\n".join(donors) + "\n", encoding="utf-8")
    import_files(db, keys, [tmp_path / "donors.csv"], institution="BJ-H001")
    with db.transaction() as session:
        register_organisation(
            session,
            OFFICER,
            "hk-holdings",
            "HK",
            "Example HK Holdings Ltd",
            FACT,
            identifiers=["HK-CR:0000042"],
        )
        register_organisation(
            session,
            OFFICER,
            "uk-genomics",
            "GB",
            "Example Genomics UK Ltd",
            FACT,
            identifiers=["CH:00000042"],
        )
    return db


def _decide(db: Database, **changes: Any) -> tuple[NodeFacts, Any]:
    body = (
        BASE.model_dump(mode="json")
        | {
            "purpose": {"duo": "GRU"},
            "cohort": {"institution": "BJ-H001", "populations": ["US-RES"]},
            "data": {"categories": ["whole_genome"], "persons": 150, "donors_from": ["CN"]},
            "requester": {"name": "Example Genomics UK Ltd", "country": "GB"},
        }
        | changes
    )
    request = AccessRequest.model_validate(body)
    with db.reader() as session:
        facts = node_facts(session, request, NodeFacts())
    return facts, evaluate(request, facts, PACKS)


def test_donors_who_live_in_the_us_bring_the_us_rules(node: Database) -> None:
    # Declared as Chinese donors: the node finds 150 US residents, so the US pack applies and
    # counts them; the decision says what it added.
    facts, decision = _decide(node)
    assert (facts.jurisdictions, facts.us_persons) == (("US",), 150)
    assert any(use.pack == "us-dsp" and use.applied for use in decision.packs)
    assert (
        "declared donors from CN; the cohort holds donors of US (150 US persons), and "
        "decided on both"
    ) in decision.counted


def test_a_covered_person_is_found_through_its_owners(node: Database) -> None:
    # The UK recipient declares no owner of concern; the registry records a Hong Kong company
    # holding 60% of it: a covered person (28 CFR 202.211(a)(1)), and 150 US persons' genomes
    # are bulk human 'omic data (more than 100): prohibited (US-D08).
    facts, decision = _decide(node)
    assert "US-D08" not in [f.rule.id for f in decision.fired]
    with node.transaction() as session:
        add_control(session, OFFICER, "hk-holdings", "uk-genomics", "equity", 60.0, FACT)
    facts, decision = _decide(node)
    assert facts.parties["requester"].concern_ownership_pct == 60.0
    assert decision.outcome == "prohibited"
    assert "US-D08" in [f.rule.id for f in decision.fired]


def test_ownership_of_concern_adds_up_through_covered_holders(node: Database) -> None:
    # 30% held directly by the Hong Kong company, 30% by a UK holding it owns 100% of: 60% in
    # aggregate, through a holder that is itself covered.
    with node.transaction() as session:
        register_organisation(session, OFFICER, "uk-holding", "GB", "Example UK Holding Ltd", FACT)
        add_control(session, OFFICER, "hk-holdings", "uk-holding", "equity", 100.0, FACT)
        add_control(session, OFFICER, "hk-holdings", "uk-genomics", "equity", 30.0, FACT)
        add_control(session, OFFICER, "uk-holding", "uk-genomics", "equity", 30.0, FACT)
    facts, decision = _decide(node)
    assert facts.parties["requester"].concern_ownership_pct == 60.0
    assert "US-D08" in [f.rule.id for f in decision.fired]


def test_a_ring_of_holdings_does_not_hide_a_covered_owner(node: Database) -> None:
    # The recipient is 30% held by B and 30% by C; B is 60% held by the Hong Kong company and
    # 10% by C; C is 50% held by B. B is covered, so C is (50% by B), so the recipient is 60%
    # owned by covered persons, whichever way round the ring is walked.
    with node.transaction() as session:
        for key in ("ring-b", "ring-c"):
            register_organisation(session, OFFICER, key, "GB", f"Example {key} Ltd", FACT)
        for upper, lower, share in (
            ("ring-b", "uk-genomics", 30.0),
            ("ring-c", "uk-genomics", 30.0),
            ("hk-holdings", "ring-b", 60.0),
            ("ring-c", "ring-b", 10.0),
            ("ring-b", "ring-c", 50.0),
        ):
            add_control(session, OFFICER, upper, lower, "equity", share, FACT)
    facts, decision = _decide(node)
    assert facts.parties["requester"].concern_ownership_pct == 60.0
    assert "US-D08" in [f.rule.id for f in decision.fired]


def test_persons_exported_before_are_counted_once(node: Database) -> None:
    # 60 of the 150 went to the same recipient last month. They are among the 150 this request
    # counts, so the bulk count is 150, not 210; the examples' 6 donors, moved to the US, who
    # went with them are added.
    from hgr.access.models import ExportPackage, RequestRecord
    from hgr.audit import Actor, record
    from hgr.dates import utc_now
    from hgr.registry import models as m

    with node.transaction() as session:
        residents = list(
            session.scalars(
                select(m.Donor.pseudonym).where(m.Donor.population == "US-RES").order_by(m.Donor.id)
            )
        )
        others = list(
            session.scalars(
                select(m.Donor.pseudonym)
                .where(m.Donor.population != "US-RES")
                .order_by(m.Donor.id)
                .limit(10)
            )
        )
        for donor in session.scalars(select(m.Donor).where(m.Donor.pseudonym.in_(others))):
            donor.residence_region_id = session.scalar(
                select(m.Region.id).where(m.Region.code == "US-CA")
            )
        body = BASE.model_dump(mode="json") | {
            "requester": {"name": "Example Genomics UK Ltd", "country": "GB"},
            "cohort": {"institution": "BJ-H001"},
        }
        at = utc_now() - dt.timedelta(days=30)
        entry = RequestRecord(
            number="REQ-2026-09999",
            requester="r",
            status="active",
            body=body,
            reviews_needed=[],
            note="",
            created_at=at,
            updated_at=at,
        )
        session.add(entry)
        session.flush()
        session.add(
            ExportPackage(
                request_id=entry.id,
                number="REQ-2026-09999-E01",
                donors=residents[:60] + others,
                fields=["sex"],
                manifest_sha256="0" * 64,
                created_at=at,
            )
        )
        # The test stands in for the processes, which audit what they write.
        record(session, Actor("test", "operator"), "access.export", entry.number)
    facts, _decision = _decide(node)
    assert (facts.us_persons, facts.prior_us_persons_12m) == (150, len(others)) == (150, 6)


def test_the_registry_and_the_us_pack_name_the_same_countries_of_concern() -> None:
    us = next(p for p in PACKS if p.id == "us-dsp")
    assert frozenset(us.sets["countries_of_concern"]) == COUNTRIES_OF_CONCERN
