"""The node's facts: earlier US transfers to the same counterparty, and the ethics approval."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hgr.access.facts import ethics_standing, node_facts
from hgr.access.models import ExportPackage, RequestRecord
from hgr.audit import Actor, record
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.policy import AccessRequest, NodeFacts, evaluate, load_packs
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS
from tests.policy.scenarios import US_BASE, merged
from tests.policy.scenarios import request as build

TODAY = dt.date(2026, 11, 23)
LAB = {"name": "Example Genomics Co.", "country": "CN", "identifiers": ["USCC:X1"]}


def _exported(
    db: Database, body: dict[str, object], donors: int, days_ago: int, first: int = 0
) -> None:
    at = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(), dt.UTC)
    with db.transaction() as session:
        number = f"REQ-2026-{days_ago:05d}"
        entry = RequestRecord(
            number=number,
            requester="r",
            status="closed",
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
                number=f"{number}-E01",
                donors=[f"p{n}" for n in range(first, first + donors)],
                fields=["sex"],
                manifest_sha256="0" * 64,
                created_at=at,
            )
        )
        # The test stands in for the export process, which audits what it writes.
        record(session, Actor("test", "operator"), "access.export", number)


def test_bulk_counts_the_node_own_exports_of_the_last_year(db: Database) -> None:
    asked = build(US_BASE, {"action": "provide", "requester": LAB, "destination_country": "CN"})
    body = asked.model_dump(mode="json")
    _exported(db, body, 45, days_ago=30)
    _exported(db, body, 30, days_ago=200, first=100)
    _exported(db, body, 45, days_ago=20)  # the same 45 persons again: counted once
    _exported(db, body, 500, days_ago=400, first=1000)  # more than 12 months ago
    other = merged(body, {"requester": {"name": "Someone Else", "identifiers": []}})
    _exported(db, other, 500, days_ago=10, first=2000)
    # The same lab, its name spelt otherwise: the same counterparty.
    respelt = merged(body, {"requester": LAB | {"name": "EXAMPLE GENOMICS CO., LTD."}})
    _exported(db, respelt, 5, days_ago=5, first=300)
    with db.reader() as session:
        facts = node_facts(session, asked, NodeFacts(today=TODAY, prior_us_persons_12m=5))
    assert facts.prior_us_persons_12m == 45 + 30 + 5 + 5
    # 50 now + 80 before: more than 100 US persons' genomes to a Chinese lab this year.
    decision = evaluate(asked, facts, load_packs())
    assert decision.outcome == "prohibited"
    assert "US-D08" in [f.rule.id for f in decision.fired]


def test_ethics_standing(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    with db.reader() as session:
        assert ethics_standing(session, "BJ-H001", "2019-KY-017", TODAY)
        assert not ethics_standing(session, "BJ-H001", "2019-KY-017", dt.date(2029, 1, 15))
        assert not ethics_standing(session, "BJ-H001", "2019-KY-017", dt.date(2019, 1, 14))
        assert not ethics_standing(session, "BJ-H001", "2021-KY-044", TODAY)  # expired
        assert not ethics_standing(session, "BJ-H001", None, TODAY)
        assert not ethics_standing(session, "SH-C001", "2019-KY-017", TODAY)
    # The committee suspends it: a file that names the status changes it, one that does not
    # leaves it standing.
    suspended = tmp_path / "ethics_approvals.csv"
    text = (EXAMPLES / "ethics_approvals.csv").read_text().splitlines()
    suspended.write_text("\n".join([text[0] + ",status", text[1] + ",suspended"]) + "\n")
    import_files(db, keys, [suspended], institution="BJ-H001", update=True)
    import_files(db, keys, [EXAMPLES / "ethics_approvals.csv"], institution="BJ-H001")
    with db.reader() as session:
        assert not ethics_standing(session, "BJ-H001", "2019-KY-017", TODAY)
        cohort = AccessRequest.model_validate(
            build().model_dump(mode="json")
            | {"cohort": {"institution": "BJ-H001"}, "ethics_reference": "2021-KY-044"}
        )
        facts = node_facts(session, cohort, NodeFacts(today=TODAY, debarment="mandatory"))
    assert facts.ethics_approved is False
    assert facts.debarment == "none"  # the node's list, not the file, says who is debarred
    assert "CN-16" in [f.rule.id for f in evaluate(cohort, facts, load_packs()).fired]
