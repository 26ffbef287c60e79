"""The defences against membership inference, and the ledger that makes them stick.

Below the controlled tier:

1. **Rare alleles are hidden.** An allele carried by fewer than k donors is answered "no".
2. **Each donor has an evidence budget, summed over every requester.** A "yes" about an allele
   carried by c of N donors tells an attacker who holds a carrier's genotype
   ``ln(P(yes | carrier in) / P(yes | carrier out))`` nats that the carrier is in the dataset,
   where, under rule 1, ``P(yes | in) = P(Bin(N-1, p) >= k-1)`` and ``P(yes | out) =
   P(Bin(N, p) >= k)`` (security.md §1.7, attacker B). ``p`` is taken at a one-sided lower
   confidence bound of c/N, since the attacker may know that the allele is rarer in the
   population than here, and a rarer allele makes a "yes" stronger evidence. The cost is
   charged to every carrier; an allele whose carriers cannot all pay is answered "no"
   (Raisaro et al. 2017, JAMIA 24:799: budgets per individual, not per user, so that Sybil
   accounts cannot multiply them).
3. **Answers are decided once.** Whether an allele is shown is fixed the first time anyone asks
   and kept (``beacon_allele``), so repeating, rephrasing or splitting a question gains
   nothing, and an allele added by a new donor later is not revealed by comparing answers
   before and after (security.md T4).
4. **Counts are differentially private.** A count is released once per distinct question with
   discrete Laplace noise from OpenDP (sensitivity 1, scale 1/epsilon), then floored and
   rounded; later askers get the same release. Each new release spends epsilon from the
   asking identity's and organisation's budget on the dataset, kept in the database so that a
   restart does not reset it (security.md T6).
5. **Question caps per identity and organisation per day**, checked before any data is read,
   so that a refusal says nothing about the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.stats import beta, binom
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hgr.beacon.exposure import Exposure, Requester, Tier
from hgr.beacon.models import (
    BeaconAllele,
    BeaconCountRelease,
    BeaconDonorBudget,
    BeaconEpsilonSpent,
    BeaconRequesterBudget,
)
from hgr.exceptions import RateLimited

__all__ = [
    "DAILY_QUESTIONS",
    "NEGLIGIBLE",
    "AlleleFacts",
    "QuestionsExhausted",
    "charge_question",
    "evidence_cost",
    "present_count",
    "release_count",
    "shown_alleles",
]

# Questions per day: (per identity, per organisation), by tier.
DAILY_QUESTIONS = {Tier.ANONYMOUS: (200, 200), Tier.REGISTERED: (2_000, 10_000),
                   Tier.CONTROLLED: (20_000, 100_000)}  # fmt: skip
# A cost below this many nats is not charged: the allele is common enough that a "yes" says
# nothing about anyone, and its carriers need not be read.
NEGLIGIBLE = 1e-6
CONFIDENCE = 0.8  # of the lower bound on the allele's population carrier frequency


class QuestionsExhausted(RateLimited):
    """The daily question cap is reached; the refusal depends on nothing but the count."""

    code = "E_BEACON_BUDGET"


@lru_cache(maxsize=65_536)
def evidence_cost(carriers: int, donors: int, k: int) -> float:
    """Nats of membership evidence that a "yes" gives about each carrier (module docstring)."""
    if carriers < k or donors <= 1:
        return math.inf
    low = float(beta.ppf(1 - CONFIDENCE, carriers, donors - carriers + 1))
    p = max(low, 1e-12)
    out = float(binom.sf(k - 1, donors, p))
    inside = float(binom.sf(k - 2, donors - 1, p))
    if out <= 0:
        return math.inf
    return max(0.0, math.log(inside / out))


@dataclass(frozen=True)
class AlleleFacts:
    """What the defences need of one allele: a stable key, and its carriers (donor ids) or,
    when it is common enough that they need not be read, a lower bound on their number."""

    key: str  # contig:pos:ref:alt
    carriers: NDArray[np.int64] | None
    at_least: int = 0


def _decided(session: Session, collection_id: int, keys: Sequence[str]) -> dict[str, bool]:
    rows = session.execute(select(BeaconAllele.allele, BeaconAllele.shown).where(
        BeaconAllele.collection_id == collection_id,
        BeaconAllele.allele.in_(list(keys)))).all()  # fmt: skip
    return {key: bool(shown) for key, shown in rows}


def _charge_donors(session: Session, donors: NDArray[np.int64], cost: float,
                   budget: float) -> bool:  # fmt: skip
    """Charge ``cost`` to every donor, or to none when any of them cannot pay."""
    ids = [int(d) for d in donors]
    have = set(session.scalars(select(BeaconDonorBudget.donor_id).where(
        BeaconDonorBudget.donor_id.in_(ids))))  # fmt: skip
    for donor in ids:
        if donor not in have:
            session.add(BeaconDonorBudget(donor_id=donor, spent=0.0))
    session.flush()
    # One statement: on PostgreSQL the rows are locked as they are updated, so two requests
    # cannot both spend a donor's last budget.
    charged = session.execute(update(BeaconDonorBudget).where(
        BeaconDonorBudget.donor_id.in_(ids),
        BeaconDonorBudget.spent + cost <= budget,
    ).values(spent=BeaconDonorBudget.spent + cost).execution_options(
        synchronize_session=False))  # fmt: skip
    return bool(charged.rowcount == len(ids))  # type: ignore[attr-defined]


def shown_alleles(session: Session, collection_id: int, donors: int, exposure: Exposure,
                  alleles: Sequence[AlleleFacts], now: dt.datetime) -> list[bool]:  # fmt: skip
    """Whether each allele is shown below the controlled tier, deciding (and charging) the
    ones never asked about before. Alleles nobody carries are "no" and not recorded."""
    known = _decided(session, collection_id, [a.key for a in alleles])
    out = []
    for allele in alleles:
        if allele.key in known:
            out.append(known[allele.key])
            continue
        count = len(allele.carriers) if allele.carriers is not None else allele.at_least
        if count == 0:
            out.append(False)
            continue
        cost = evidence_cost(count, donors, exposure.min_carriers)
        shown = count >= exposure.min_carriers
        if shown and cost >= NEGLIGIBLE:
            assert allele.carriers is not None, "a costly allele's carriers must be read"
            with session.begin_nested() as nested:
                shown = math.isfinite(cost) and _charge_donors(
                    session, allele.carriers, cost, exposure.evidence_budget
                )
                if not shown:
                    nested.rollback()
        try:
            with session.begin_nested():
                session.add(BeaconAllele(collection_id=collection_id, allele=allele.key,
                                         shown=shown, carriers=count,
                                         cost=cost if math.isfinite(cost) else -1.0,
                                         decided_at=now))  # fmt: skip
        except IntegrityError:
            # Another request decided it first; its decision stands (and it charged).
            shown = _decided(session, collection_id, [allele.key])[allele.key]
        known[allele.key] = shown
        out.append(shown)
    return out


def needs_carriers(count_lower: int, donors: int, exposure: Exposure) -> bool:
    """Whether an allele with at least ``count_lower`` carriers must have them read: only
    when a "yes" could cost something."""
    if count_lower < exposure.min_carriers:
        return True
    return evidence_cost(count_lower, donors, exposure.min_carriers) >= NEGLIGIBLE


def _question_id(collection_id: int, question: str) -> str:
    return hashlib.sha256(f"{collection_id}\n{question}".encode()).hexdigest()


def _spend_epsilon(session: Session, collection_id: int, holders: Sequence[str],
                   epsilon: float, budget: float) -> bool:  # fmt: skip
    for holder in holders:
        exists = session.scalar(select(BeaconEpsilonSpent.spent).where(
            BeaconEpsilonSpent.collection_id == collection_id,
            BeaconEpsilonSpent.holder == holder))  # fmt: skip
        if exists is None:
            session.add(BeaconEpsilonSpent(collection_id=collection_id, holder=holder, spent=0.0))
    session.flush()
    charged = session.execute(update(BeaconEpsilonSpent).where(
        BeaconEpsilonSpent.collection_id == collection_id,
        BeaconEpsilonSpent.holder.in_(list(holders)),
        BeaconEpsilonSpent.spent + epsilon <= budget + 1e-9,
    ).values(spent=BeaconEpsilonSpent.spent + epsilon).execution_options(
        synchronize_session=False))  # fmt: skip
    return bool(charged.rowcount == len(holders))  # type: ignore[attr-defined]


def _noisy(true_count: int, epsilon: float) -> int:
    # OpenDP's discrete Laplace (integer noise: no floating-point leak, Mironov 2012).
    import opendp.prelude as dp

    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int),
                                    scale=1.0 / epsilon)  # fmt: skip
    return int(measurement(int(true_count)))


def release_count(session: Session, collection_id: int, requester: Requester,
                  exposure: Exposure, question: str, true_count: int,
                  now: dt.datetime) -> int | None:  # fmt: skip
    """The differentially private count answering ``question`` (before floor and rounding),
    or None when the requester's epsilon budget on this dataset cannot pay for a new
    release. A question released before costs nothing and gets the same answer."""
    qid = _question_id(collection_id, question)
    released = session.scalar(select(BeaconCountRelease.value).where(
        BeaconCountRelease.collection_id == collection_id,
        BeaconCountRelease.question == qid))  # fmt: skip
    if released is not None:
        return int(released)
    with session.begin_nested() as nested:
        if not _spend_epsilon(session, collection_id, requester.holders,
                              exposure.count_epsilon, exposure.epsilon_budget):  # fmt: skip
            nested.rollback()
            return None
    value = max(0, _noisy(true_count, exposure.count_epsilon))
    try:
        with session.begin_nested():
            session.add(BeaconCountRelease(
                collection_id=collection_id, question=qid, value=value,
                epsilon=exposure.count_epsilon, released_at=now,
                detail={"question": question[:2000], "by": requester.identity}))  # fmt: skip
    except IntegrityError:
        value = int(session.scalar(select(BeaconCountRelease.value).where(
            BeaconCountRelease.collection_id == collection_id,
            BeaconCountRelease.question == qid)) or 0)  # fmt: skip
    return value


def present_count(value: int, exposure: Exposure) -> int:
    """A released count as shown: 0 below the floor, else rounded to the nearest step."""
    if value < exposure.count_floor:
        return 0
    step = max(1, exposure.count_step)
    return max(exposure.count_floor, round(value / step) * step)


def charge_question(session: Session, requester: Requester, day: dt.date) -> None:
    """Count one question against the requester's daily caps, or refuse it.

    Raises
    ------
    QuestionsExhausted
        When the identity or its organisation has asked its questions for the day. The
        refusal is the same whatever was asked.
    """
    limits = DAILY_QUESTIONS[requester.tier]
    for holder, limit in zip(requester.holders, limits, strict=False):
        if session.get(BeaconRequesterBudget, (holder, day)) is None:
            try:
                with session.begin_nested():
                    session.add(BeaconRequesterBudget(holder=holder, day=day, questions=0))
            except IntegrityError:
                pass
        charged = session.execute(update(BeaconRequesterBudget).where(
            BeaconRequesterBudget.holder == holder, BeaconRequesterBudget.day == day,
            BeaconRequesterBudget.questions < limit,
        ).values(questions=BeaconRequesterBudget.questions + 1).execution_options(
            synchronize_session=False))  # fmt: skip
        if charged.rowcount != 1:  # type: ignore[attr-defined]
            tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
            wait = int((tomorrow - dt.datetime.now(dt.UTC)).total_seconds())
            raise QuestionsExhausted(
                "this beacon's daily question allowance is used up; ask again tomorrow",
                retry_after=max(1, wait), code="E_BEACON_BUDGET")  # fmt: skip
