"""The defences against membership inference, and the ledger that makes them stick.

Below the controlled tier:

1. **Rare alleles are hidden.** An allele carried by fewer than k donors is answered "no"
   (or fewer than the count whose "yes" a donor's whole budget can pay for, if higher:
   :func:`threshold`).
2. **Each donor has an evidence budget, summed over every requester.** A "yes" about an allele
   carried by c of N donors tells an attacker who holds a carrier's genotype
   ``ln(P(yes | carrier in) / P(yes | carrier out))`` nats that the carrier is in the dataset,
   where, under rule 1, ``P(yes | in) = P(Bin(N-1, p) >= k-1)`` and ``P(yes | out) =
   P(Bin(N, p) >= k)`` (security.md §1.7, attacker B). ``p`` is taken at a one-sided lower
   confidence bound of c/N, since the attacker may know that the allele is rarer in the
   population than here, and a rarer allele makes a "yes" stronger evidence. The cost is
   charged to every carrier (Raisaro et al. 2017, JAMIA 24:799: budgets per individual, not
   per user, so that Sybil accounts cannot multiply them). A donor whose budget cannot pay is
   left out of the answer, as if not in the dataset: the allele is decided on the carriers
   that can pay (security.md §1.5, "exclude exhausted individuals"). Hiding every allele of
   an exhausted donor instead would make members stand out by their many "no" answers.
3. **Answers are decided once.** Whether an allele is shown is fixed the first time anyone asks
   and kept (``beacon_allele``), so repeating, rephrasing or splitting a question gains
   nothing, and an allele added by a new donor later is not revealed by comparing answers
   before and after (security.md T4).
4. **Counts are differentially private.** A count is released once per distinct question with
   discrete Laplace noise from OpenDP (sensitivity 1, scale 1/epsilon), then floored and
   rounded; later askers get the same release. Each new release spends epsilon from the
   asking identity's and organisation's budget on the dataset, kept in the database so that a
   restart does not reset it (security.md T6).

Question caps per identity and organisation per day are :mod:`hgr.privacy.questions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hgr.db.inserts import insert_missing
from hgr.privacy.budgets import LIFETIME, Ledger, charge
from hgr.privacy.exposure import Exposure, Requester
from hgr.privacy.models import (
    BeaconAllele,
    BeaconCountRelease,
    BeaconDonorBudget,
)
from hgr.privacy.noise import laplace_count

__all__ = [
    "NEGLIGIBLE",
    "AlleleFacts",
    "decided_alleles",
    "evidence_cost",
    "present_count",
    "release_count",
    "shown_alleles",
    "threshold",
]

# A cost below this many nats is not charged: the allele is common enough that a "yes" says
# nothing about anyone, and its carriers need not be read.
NEGLIGIBLE = 1e-6
CONFIDENCE = 0.8  # of the lower bound on the allele's population carrier frequency
KEYS_PER_STATEMENT = 5_000


@lru_cache(maxsize=65_536)
def evidence_cost(carriers: int, donors: int, k: int) -> float:
    """Nats of membership evidence that a "yes" gives about each carrier (module docstring)."""
    if carriers < k or donors <= 1:
        return math.inf
    # Imported here: scipy.stats takes most of a second to import, and every command-line
    # start would pay it (the answers are cached, so this runs once per distinct question).
    from scipy.stats import beta, binom

    low = float(beta.ppf(1 - CONFIDENCE, carriers, donors - carriers + 1))
    p = max(low, 1e-12)
    out = float(binom.sf(k - 1, donors, p))
    inside = float(binom.sf(k - 2, donors - 1, p))
    if out <= 0:
        return math.inf
    return max(0.0, math.log(inside / out))


@lru_cache(maxsize=4_096)
def threshold(donors: int, k: int, budget: float) -> int:
    """The fewest carriers an allele is shown with: at least k, and at least the count at
    which a donor with a whole budget can pay for a "yes".

    The costs are then figured for the rule "shown when at least this many carriers can pay"
    rather than for k: a budget too small for a "yes" at k raises the bar, and a "yes" just
    above a higher bar is about as telling as one just above k, so charging it as k's would
    undercharge.
    """
    t = max(1, k)
    while t <= donors and evidence_cost(t, donors, t) > budget:
        t += 1
    return t


@dataclass(frozen=True)
class AlleleFacts:
    """What the defences need of one allele: a stable key, and its carriers (donor ids) or,
    when it is common enough that they need not be read, a lower bound on their number."""

    key: str  # contig:pos:ref:alt
    carriers: NDArray[np.int64] | None
    at_least: int = 0


def decided_alleles(session: Session, collection_id: int, keys: Sequence[str]) -> dict[str, bool]:
    """Whether each allele among ``keys`` decided before is shown (those never asked about
    are absent)."""
    found: dict[str, bool] = {}
    unique = list(dict.fromkeys(keys))
    connection = session.connection()
    # In slices: a range query may touch more alleles than a statement may have parameters.
    for start in range(0, len(unique), KEYS_PER_STATEMENT):
        rows = connection.execute(
            _DECIDED,
            {"collection": collection_id, "keys": unique[start : start + KEYS_PER_STATEMENT]},
        )
        found.update((key, bool(shown)) for key, shown in rows)
    return found


_ALLELES = cast(Table, BeaconAllele.__table__)
# Built once, as the statements below: they run on every question.
_DECIDED = select(_ALLELES.c.allele, _ALLELES.c.shown).where(
    _ALLELES.c.collection_id == bindparam("collection"),
    _ALLELES.c.allele.in_(bindparam("keys", expanding=True)),
)


def _payers(
    session: Session, carriers: NDArray[np.int64], donors: int, k: int, budget: float
) -> tuple[list[int], float]:
    """The carriers that can pay for a "yes" and its cost to each, leaving out those whose
    budget cannot pay; fewer than ``k`` payers is a "no" (an infinite cost).

    Leaving a carrier out lowers the count and raises the cost, so the set shrinks until
    every donor left can pay.
    """
    ids = [int(d) for d in carriers]
    rows = session.connection().execute(_DONORS_SPENT, {"donors": ids})
    spent = {int(donor): float(value) for donor, value in rows}
    while True:
        cost = evidence_cost(len(ids), donors, k)
        if not math.isfinite(cost):
            return [], math.inf
        able = [d for d in ids if spent.get(d, 0.0) + cost <= budget]
        if len(able) == len(ids):
            return ids, cost
        ids = able


def _charge_donors(session: Session, ids: list[int], cost: float, budget: float) -> bool:
    """Charge ``cost`` to every donor, or to none when any of them can no longer pay."""
    connection = session.connection()
    connection.execute(_new_budgets(connection.dialect.name), [{"donor_id": d} for d in ids])
    # One statement: on PostgreSQL the rows are locked as they are updated, so two requests
    # cannot both spend a donor's last budget.
    charged = connection.execute(_CHARGE, {"donors": ids, "cost": cost, "budget": budget})
    return bool(charged.rowcount == len(ids))


_BUDGETS = cast(Table, BeaconDonorBudget.__table__)
_DONORS_SPENT = select(_BUDGETS.c.donor_id, _BUDGETS.c.spent).where(
    _BUDGETS.c.donor_id.in_(bindparam("donors", expanding=True))
)
_CHARGE = (
    update(_BUDGETS)
    .where(
        _BUDGETS.c.donor_id.in_(bindparam("donors", expanding=True)),
        _BUDGETS.c.spent + bindparam("cost") <= bindparam("budget"),
    )
    .values(spent=_BUDGETS.c.spent + bindparam("cost"))
)


@lru_cache(maxsize=2)
def _new_budgets(dialect: str) -> Any:
    """``INSERT .. ON CONFLICT DO NOTHING`` of a donor's empty budget, built once per
    dialect (as :func:`hgr.db.inserts.insert_missing` does, without the ORM on the way)."""
    make = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return make(_BUDGETS).values(donor_id=bindparam("donor_id"), spent=0.0).on_conflict_do_nothing()


def shown_alleles(
    session: Session,
    collection_id: int,
    donors: int,
    exposure: Exposure,
    alleles: Sequence[AlleleFacts],
    now: dt.datetime,
) -> list[bool]:
    """Whether each allele is shown below the controlled tier, deciding (and charging) the
    ones never asked about before. Alleles nobody carries are "no" and not recorded."""
    known = decided_alleles(session, collection_id, [a.key for a in alleles])
    k = threshold(donors, exposure.min_carriers, exposure.evidence_budget)
    out = []
    decisions: list[dict[str, object]] = []
    for allele in alleles:
        if allele.key in known:
            out.append(known[allele.key])
            continue
        count = len(allele.carriers) if allele.carriers is not None else allele.at_least
        if count == 0:
            out.append(False)
            continue
        cost = evidence_cost(count, donors, k)
        shown = count >= k
        if shown and cost >= NEGLIGIBLE:
            assert allele.carriers is not None, "a costly allele's carriers must be read"
            payers, cost = _payers(session, allele.carriers, donors, k, exposure.evidence_budget)
            shown = bool(payers)
            if shown and cost >= NEGLIGIBLE:
                with session.begin_nested() as nested:
                    shown = _charge_donors(session, payers, cost, exposure.evidence_budget)
                    if not shown:
                        nested.rollback()  # a concurrent request spent a payer's budget
        known[allele.key] = shown
        out.append(shown)
        decisions.append(
            {
                "collection_id": collection_id,
                "allele": allele.key,
                "shown": shown,
                "carriers": count,
                "cost": cost if math.isfinite(cost) else -1.0,
                "decided_at": now,
            }
        )
    if decisions:
        insert_missing(session, BeaconAllele, decisions)
        # Where a concurrent request decided an allele first, its decision stands (and it
        # charged; what this one charged stays charged, which errs on the safe side).
        stored = decided_alleles(session, collection_id, [str(d["allele"]) for d in decisions])
        out = [stored.get(a.key, shown) for a, shown in zip(alleles, out, strict=True)]
    return out


def needs_carriers(count_lower: int, donors: int, exposure: Exposure) -> bool:
    """Whether an allele with at least ``count_lower`` carriers must have them read: only
    when a "yes" could cost something."""
    k = threshold(donors, exposure.min_carriers, exposure.evidence_budget)
    if count_lower < k:
        return True
    return evidence_cost(count_lower, donors, k) >= NEGLIGIBLE


def _question_id(collection_id: int, question: str) -> str:
    return hashlib.sha256(f"{collection_id}\n{question}".encode()).hexdigest()


def release_count(
    session: Session,
    collection_id: int,
    requester: Requester,
    exposure: Exposure,
    question: str,
    true_count: int,
    now: dt.datetime,
) -> int | None:
    """The differentially private count answering ``question`` (before floor and rounding),
    or None when the requester's epsilon budget on this dataset cannot pay for a new
    release. A question released before costs nothing and gets the same answer."""
    qid = _question_id(collection_id, question)
    released = session.scalar(
        select(BeaconCountRelease.value).where(
            BeaconCountRelease.collection_id == collection_id, BeaconCountRelease.question == qid
        )
    )
    if released is not None:
        return int(released)
    budgets = dict.fromkeys(requester.holders, exposure.epsilon_budget)
    if not charge(
        session, Ledger.EPSILON, collection_id, LIFETIME, budgets, exposure.count_epsilon
    ):
        return None
    value = max(0, laplace_count(true_count, exposure.count_epsilon))
    insert_missing(
        session,
        BeaconCountRelease,
        [
            {
                "collection_id": collection_id,
                "question": qid,
                "value": value,
                "epsilon": exposure.count_epsilon,
                "released_at": now,
                "detail": {"question": question[:2000], "by": requester.identity},
            }
        ],
    )
    # A concurrent request that released the same question first: its release stands.
    return int(
        session.scalar(
            select(BeaconCountRelease.value).where(
                BeaconCountRelease.collection_id == collection_id,
                BeaconCountRelease.question == qid,
            )
        )
        or 0
    )


def present_count(value: int, exposure: Exposure) -> int:
    """A released count as shown: 0 below the floor, else rounded to the nearest step."""
    if value < exposure.count_floor:
        return 0
    step = max(1, exposure.count_step)
    return max(exposure.count_floor, round(value / step) * step)
