"""The disclosure ledger: rare alleles hidden, per-donor evidence budgets shared by every
requester, decisions fixed once, differentially private counts released once."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy import select, update

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.privacy.exposure import Exposure, Requester, Tier
from hgr.privacy.membership import (
    AlleleFacts,
    evidence_cost,
    present_count,
    release_count,
    shown_alleles,
)
from hgr.privacy.models import BeaconDonorBudget, BeaconRequesterBudget
from hgr.privacy.questions import QuestionsExhausted, admit_holders, charge_question
from hgr.registry import models as m
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


@pytest.fixture
def donors(db: Database, keys: NodeKeys) -> tuple[int, list[int]]:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    with db.reader() as session:
        collection = session.scalars(select(m.Collection.id)).first()
        ids = list(session.scalars(select(m.Donor.id).order_by(m.Donor.id)))
    assert collection is not None
    return collection, ids


def test_evidence_cost_falls_with_carriers() -> None:
    assert evidence_cost(4, 1000, 5) == math.inf  # hidden anyway
    costs = [evidence_cost(c, 1000, 5) for c in (5, 8, 15, 40, 200)]
    assert costs == sorted(costs, reverse=True)
    assert costs[0] > 0.5 > costs[1] > 0  # at k, a yes is most of a donor's ln 2
    assert costs[-1] < 1e-6


Donors = tuple[int, list[int]]


def test_alleles_are_hidden_charged_and_decided_once(db: Database, donors: Donors) -> None:
    collection, ids = donors
    exposure = Exposure(min_carriers=3, evidence_budget=1.0)
    few = AlleleFacts("1:100:A:G", np.array(ids[:2]))
    some = AlleleFacts("1:200:C:T", np.array(ids[:4]))
    with db.transaction() as session:
        shown = shown_alleles(session, collection, len(ids), exposure, [few, some], NOW)
    assert shown == [False, True]  # two carriers < k = 3
    cost = evidence_cost(4, len(ids), 3)
    with db.reader() as session:
        spent = dict(
            session.execute(select(BeaconDonorBudget.donor_id, BeaconDonorBudget.spent)).all()
        )
    assert spent == pytest.approx(dict.fromkeys(ids[:4], cost))
    # Asked again by anyone: the same answers, nothing charged again.
    with db.transaction() as session:
        assert shown_alleles(session, collection, len(ids), exposure, [some, few], NOW) == [
            True,
            False,
        ]
        again = dict(
            session.execute(select(BeaconDonorBudget.donor_id, BeaconDonorBudget.spent)).all()
        )
    assert again == spent
    # New alleles of the same carriers until their budget runs out: then "no", and a
    # refused allele charges nobody.
    answers = []
    for position in range(300, 320):
        with db.transaction() as session:
            allele = AlleleFacts(f"1:{position}:G:A", np.array(ids[:4]))
            answers += shown_alleles(session, collection, len(ids), exposure, [allele], NOW)
    assert answers[0]
    assert not answers[-1]
    with db.reader() as session:
        final = session.scalars(select(BeaconDonorBudget.spent)).all()
    assert max(final) <= exposure.evidence_budget + 1e-9


def test_an_exhausted_donor_is_left_out_not_hidden_behind(db: Database, donors: Donors) -> None:
    """Once a donor's budget is spent, answers are decided as if the donor were absent: an
    allele that enough other carriers can pay for is still shown, so a member's alleles do
    not all turn to "no" (which would single the member out)."""
    collection, ids = donors
    exposure = Exposure(min_carriers=3, evidence_budget=1.0)
    spent_donor, others = ids[0], ids[1:6]
    with db.transaction() as session:
        session.add(BeaconDonorBudget(donor_id=spent_donor, spent=1.0))
    carriers = np.array([spent_donor, *others[:4]])
    with db.transaction() as session:
        shown = shown_alleles(
            session, collection, len(ids), exposure, [AlleleFacts("2:10:A:C", carriers)], NOW
        )
    assert shown == [True]
    with db.reader() as session:
        spent = dict(
            session.execute(select(BeaconDonorBudget.donor_id, BeaconDonorBudget.spent)).all()
        )
    # Four payers, charged at the cost of four carriers; the spent donor paid nothing more.
    assert spent[spent_donor] == 1.0
    assert spent == pytest.approx(
        {spent_donor: 1.0, **dict.fromkeys(others[:4], evidence_cost(4, len(ids), 3))}
    )
    # With only two carriers left able to pay (fewer than k), the allele is "no".
    tight = np.array([spent_donor, others[0], others[4]])  # others[0] paid above
    with db.transaction() as session:
        session.execute(
            update(BeaconDonorBudget)
            .where(BeaconDonorBudget.donor_id == others[0])
            .values(spent=1.0)
        )
        assert shown_alleles(
            session, collection, len(ids), exposure, [AlleleFacts("2:20:G:T", tight)], NOW
        ) == [False]


def test_counts_are_released_once_and_spend_each_holder(db: Database, donors: Donors) -> None:
    collection, _ids = donors
    exposure = Exposure(count_epsilon=1.0, epsilon_budget=2.0)
    alice = Requester("token:alice", "Org A", "CN", Tier.REGISTERED)
    bob = Requester("token:bob", "Org A", "CN", Tier.REGISTERED)
    with db.transaction() as session:
        first = release_count(session, collection, alice, exposure, "q1", 40, NOW)
        repeat = release_count(session, collection, bob, exposure, "q1", 40, NOW)
        assert first == repeat
        assert release_count(session, collection, bob, exposure, "q2", 40, NOW) is not None
        # Org A has spent its 2.0 on this dataset: a third question by any of its accounts
        # gets no count.
        assert release_count(session, collection, bob, exposure, "q3", 40, NOW) is None
        assert release_count(session, collection, alice, exposure, "q1", 40, NOW) == first


def test_presented_counts_are_floored_and_rounded() -> None:
    exposure = Exposure(count_floor=5, count_step=5)
    assert [present_count(v, exposure) for v in (0, 4, 5, 7, 8, 103)] == [0, 0, 5, 5, 10, 105]


def test_daily_questions_are_capped_per_identity(db: Database) -> None:
    day = NOW.date()
    with db.transaction() as session:
        for n in range(200):
            charge_question(
                session, Requester(f"anonymous:{n % 3}", "", "ZZ", Tier.ANONYMOUS), day, f"q{n}"
            )
    caller = Requester("anonymous:0", "", "ZZ", Tier.ANONYMOUS)
    with db.transaction() as session:
        for _ in range(200 - 67):
            charge_question(session, caller, day, "q")  # the rest of its 200 for the day
    with pytest.raises(QuestionsExhausted), db.transaction() as session:
        charge_question(session, caller, day, "q")


def test_a_question_one_cap_refuses_takes_nothing_from_the_others(db: Database) -> None:
    # What admit_questions answers is committed (the attack simulation counts with it): a
    # refusal by the organisation's cap must give back what the identity's cap had taken.
    day = NOW.date()
    with db.transaction() as session:
        assert admit_holders(session, [("id:a", 10), ("org:o", 1)], day, 1) == 1
    with db.transaction() as session:
        assert admit_holders(session, [("id:a", 10), ("org:o", 1)], day, 1) == 0
        assert admit_holders(session, [("id:b", 10), ("org:o", 1)], day, 1) == 0
    with db.reader() as session:
        rows = session.execute(
            select(BeaconRequesterBudget.holder, BeaconRequesterBudget.questions)
        ).all()
    assert dict(rows) == {"id:a": 1, "org:o": 1, "id:b": 0}
