"""Question caps: many questions at once taken from every cap alike, concurrent askers unable
to share the last question; the ledger on the node that keeps it (federated holders,
organisations, Passport and OIDC identities, counted once per question a day, local ones every
time); and a ledger elsewhere that cannot be reached or read."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hgr.config import BeaconSettings, Settings
from hgr.db import Database
from hgr.exceptions import ConfigurationError, UsageError
from hgr.federation.ledger import LedgerUnreachable, RemoteLedger
from hgr.privacy.exposure import Requester, Tier
from hgr.privacy.models import BeaconFederatedQuestion, BeaconRequesterBudget
from hgr.privacy.questions import (
    DAILY_QUESTIONS,
    MAX_COST,
    RANGE_UNIT,
    WIDEST_RANGE,
    QuestionsExhausted,
    admit_federated,
    admit_holders,
    charge_question,
    parse_charge,
    question_cost,
)

DAY = dt.date(2026, 11, 22)


def _counts(db: Database) -> dict[str, int]:
    with db.reader() as session:
        return {r.holder: r.questions for r in session.scalars(select(BeaconRequesterBudget))}


def test_a_batch_is_cut_to_what_every_cap_admits(db: Database) -> None:
    # 8 questions asked at once by an identity whose organisation has 5 left: 5 are admitted,
    # and charged to both; the identity's own room cannot lend the organisation more.
    with db.transaction() as session:
        assert admit_holders(session, [("id:a", 100), ("org:o", 5)], DAY, 8) == 5
        assert admit_holders(session, [("id:a", 100), ("org:o", 5)], DAY, 8) == 0
        assert admit_holders(session, [("id:b", 100), ("org:p", 10)], DAY, 4) == 4
        assert admit_holders(session, [("id:b", 100), ("org:p", 10)], DAY, 4) == 4
        assert admit_holders(session, [("id:b", 100), ("org:p", 10)], DAY, 4) == 2
        assert admit_holders(session, [], DAY, 3) == 3  # no cap applies
        assert admit_holders(session, [("id:a", 100)], DAY, -4) == 0  # gives nothing back
        # A holder named twice is charged once, under the lower cap.
        assert admit_holders(session, [("id:c", 100), ("id:c", 6)], DAY, 4) == 4
        assert admit_holders(session, [("id:c", 100), ("id:c", 6)], DAY, 4) == 2
    assert _counts(db) == {"id:a": 5, "org:o": 5, "id:b": 10, "org:p": 10, "id:c": 6}


def test_concurrent_askers_cannot_share_the_last_questions(db: Database) -> None:
    # Two colluding identities of one organisation, each sending a batch at the same moment
    # for the organisation's last 3 questions: together they get 3, not 6.
    with db.transaction() as session:
        assert admit_holders(session, [("org:o", 10)], DAY, 7) == 7
    barrier = threading.Barrier(2)

    def ask(identity: str) -> int:
        with db.transaction() as session:
            session.execute(select(1))  # the transaction has begun
            barrier.wait()
            return admit_holders(session, [(identity, 100), ("org:o", 10)], DAY, 3)

    with ThreadPoolExecutor(2) as pool:
        taken = list(pool.map(ask, ["id:a", "id:b"]))
    assert sorted(taken) == [0, 3]  # the first to write takes them; the other finds none
    assert _counts(db)["org:o"] == 10


def test_federated_holders_count_a_question_once(db: Database) -> None:
    local = Requester("token:bob", "Org A", "CN", Tier.REGISTERED)
    passport = Requester("passport:https://broker|sub-1", "", "GB", Tier.REGISTERED)
    with db.transaction() as session:
        for requester in (local, local, passport, passport):
            charge_question(session, requester, DAY, "q1")
        charge_question(session, passport, DAY, "q2")
    assert _counts(db) == {"id:token:bob": 2, "org:org a": 1, "id:passport:https://broker|sub-1": 2}


def test_a_federated_holder_at_its_cap_is_refused(db: Database) -> None:
    colleague = Requester("token:carol", "Org A", "CN", Tier.REGISTERED)
    with db.transaction() as session:
        charge_question(session, colleague, DAY, "q0")
        session.execute(
            update(BeaconRequesterBudget)
            .where(BeaconRequesterBudget.holder == "org:org a")
            .values(questions=DAILY_QUESTIONS[Tier.REGISTERED][1])
        )
    with pytest.raises(QuestionsExhausted), db.transaction() as session:
        charge_question(session, colleague, DAY, "q1")
    with db.transaction() as session:
        charge_question(session, colleague, DAY, "q0")  # asked before: counted already
    assert _counts(db)["id:token:carol"] == 2  # the refused question was rolled back


def test_a_question_the_ledger_refuses_is_not_counted_as_asked(db: Database) -> None:
    # The ledger's route commits its refusals: the question must not stay noted, or asking it
    # again would pass as "asked before" without a cap to pay for it.
    organisation = ["org:org b"]
    with db.transaction() as session:
        assert admit_federated(session, organisation, Tier.REGISTERED, DAY, "a" * 64)
        session.execute(
            update(BeaconRequesterBudget)
            .where(BeaconRequesterBudget.holder == "org:org b")
            .values(questions=DAILY_QUESTIONS[Tier.REGISTERED][1])
        )
    for _ in range(2):
        with db.transaction() as session:
            assert not admit_federated(session, organisation, Tier.REGISTERED, DAY, "b" * 64)
    with db.reader() as session:
        noted = set(session.scalars(select(BeaconFederatedQuestion.question)))
    assert noted == {"a" * 64}
    with db.transaction() as session:  # the question admitted before is still free
        assert admit_federated(session, organisation, Tier.REGISTERED, DAY, "a" * 64)
    assert _counts(db)["org:org b"] == DAILY_QUESTIONS[Tier.REGISTERED][1]


def test_a_ledger_elsewhere_needs_a_readable_token(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, beacon=BeaconSettings(ledger="http://127.0.0.1:9", ledger_token_file="t")
    )
    with pytest.raises(ConfigurationError, match="cannot be read"):
        RemoteLedger.from_settings(settings)
    (tmp_path / "t").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="empty"):
        RemoteLedger.from_settings(settings)
    (tmp_path / "t").write_text("secret\n", encoding="utf-8")
    ledger = RemoteLedger.from_settings(settings)
    assert ledger == RemoteLedger("http://127.0.0.1:9", "secret", 10.0)
    assert RemoteLedger.from_settings(replace(settings, beacon=BeaconSettings())) is None
    with pytest.raises(LedgerUnreachable):
        ledger.admit(["org:a"], "registered", "a" * 64)


def test_a_ledger_answer_that_is_not_one_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hgr.federation.ledger.post_json", lambda *a, **k: {"admitted": "yes"})
    with pytest.raises(LedgerUnreachable):
        RemoteLedger("http://x", "t", 1.0).admit(["org:a"], "registered", "a" * 64)


def test_a_question_costs_its_width_once_at_the_ledger(db: Database) -> None:
    # An organisation's 200 anonymous questions: a range costing 150 is charged once however
    # many nodes ask it; one costing 51 more is refused whole, and nothing of it is charged.
    organisation = ["org:o"]
    with db.transaction() as session:
        assert admit_federated(session, organisation, Tier.ANONYMOUS, DAY, "c" * 64, cost=150)
        assert admit_federated(session, organisation, Tier.ANONYMOUS, DAY, "c" * 64, cost=150)
        assert not admit_federated(session, organisation, Tier.ANONYMOUS, DAY, "d" * 64, cost=51)
        assert admit_federated(session, organisation, Tier.ANONYMOUS, DAY, "e" * 64, cost=50)
    assert _counts(db) == {"org:o": 200}
    # A question counted cheaply first (where it decides nothing) is counted again at a
    # higher cost: no node can have a wide question let through for the others.
    with db.transaction() as session:
        assert admit_federated(session, ["org:p"], Tier.REGISTERED, DAY, "f" * 64, cost=1)
        assert admit_federated(session, ["org:p"], Tier.REGISTERED, DAY, "f" * 64, cost=100)
        assert admit_federated(session, ["org:p"], Tier.REGISTERED, DAY, "f" * 64, cost=100)
    assert _counts(db)["org:p"] == 101


def test_a_local_holder_pays_a_cost_whole_or_not_at_all(db: Database) -> None:
    requester = Requester("anonymous:192.0.2.1", "", "ZZ", Tier.ANONYMOUS)
    with db.transaction() as session:
        charge_question(session, requester, DAY, "q1", cost=195)
        with pytest.raises(QuestionsExhausted):
            charge_question(session, requester, DAY, "q2", cost=6)
        charge_question(session, requester, DAY, "q3", cost=5)
    assert _counts(db) == {"id:anonymous:192.0.2.1": 200}


def test_a_cost_is_set_by_the_span_alone() -> None:
    assert question_cost(1, Tier.ANONYMOUS) == 1
    assert question_cost(RANGE_UNIT, Tier.ANONYMOUS) == 1
    assert question_cost(RANGE_UNIT + 1, Tier.ANONYMOUS) == 2
    assert question_cost(WIDEST_RANGE[Tier.ANONYMOUS], Tier.ANONYMOUS) == 10
    with pytest.raises(UsageError, match="narrow it"):
        question_cost(WIDEST_RANGE[Tier.ANONYMOUS] + 1, Tier.ANONYMOUS)
    assert question_cost(WIDEST_RANGE[Tier.REGISTERED], Tier.REGISTERED) == MAX_COST


@pytest.mark.parametrize(
    ("cost", "fine"),
    [(1, True), (MAX_COST, True), (0, False), (MAX_COST + 1, False), (True, False), ("3", False)],
)
def test_the_ledger_reads_a_cost(cost: object, fine: bool) -> None:
    body = {"holders": ["org:o"], "tier": "registered", "question": "a" * 64, "cost": cost}
    if fine:
        assert parse_charge(body)[3] == cost
    else:
        with pytest.raises(UsageError, match="cost"):
            parse_charge(body)
    del body["cost"]
    assert parse_charge(body)[3] == 1


def test_a_question_counted_under_a_higher_tier_still_meets_this_tiers_cap(db: Database) -> None:
    """A holder over the registered cap on questions counted where it held a grant (the
    controlled caps) is refused at a node that answers it at the registered tier."""
    organisation = ["org:g"]
    registered = DAILY_QUESTIONS[Tier.REGISTERED][1]
    with db.transaction() as session:
        session.add(BeaconRequesterBudget(holder="org:g", day=DAY, questions=registered))
        assert admit_federated(session, organisation, Tier.CONTROLLED, DAY, "a" * 64)
        assert admit_federated(session, organisation, Tier.CONTROLLED, DAY, "a" * 64)
        assert not admit_federated(session, organisation, Tier.REGISTERED, DAY, "a" * 64)
    assert _counts(db) == {"org:g": registered + 1}
