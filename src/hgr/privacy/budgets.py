"""The privacy budgets of differentially private releases: one ledger shape for all of them.

A release's privacy loss is charged to every holder that answers for it (an identity, an
organisation, or the dataset as a whole), each against its own budget, before anything is
released: to all of them or to none. The loss spent is kept in the database (``privacy_spent``)
so that a restart does not reset it (security.md T6(c)). Two ledgers use it:

- ``epsilon``: pure differential privacy of the Beacon's counts
  (:func:`hgr.privacy.membership.release_count`), over the dataset's life (period ``all``);
- ``rho``: zero-concentrated differential privacy of allele frequencies
  (:mod:`hgr.beacon.frequencies`), per calendar year (period ``2026``). zCDP losses add up
  under composition (Bun and Steinke 2016), as pure epsilons do (Dwork and Roth 2014,
  Theorem 3.16).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hgr.db.inserts import insert_missing
from hgr.privacy.models import PrivacySpent

__all__ = ["LIFETIME", "Ledger", "charge", "spending", "spent"]

LIFETIME = "all"  # the period of an epsilon budget: the dataset's life; rho's is a year


class Ledger(StrEnum):
    """A kind of privacy loss, with its own budgets."""

    EPSILON = "epsilon"
    RHO = "rho"


# A sum of float charges may overshoot a budget it fills exactly by rounding; a charge within
# this of the budget is admitted. Each is far below the smallest charge of its ledger.
_SLACK = {Ledger.EPSILON: 1e-9, Ledger.RHO: 1e-12}


def charge(
    session: Session,
    ledger: Ledger,
    collection_id: int,
    period: str,
    budgets: Mapping[str, float],
    amount: float,
) -> bool:
    """Charge ``amount`` to every holder of ``budgets`` (holder -> budget) where each stays
    within its budget, and return True; or charge none of them and return False.

    Each holder is one conditional update, atomic on both databases: on PostgreSQL the row is
    locked as it is updated, so two concurrent releases cannot both take the last of a budget.

    Raises
    ------
    ValueError
        ``period`` is not the ledger's kind of period (``all`` for epsilon, a year for rho).
    """
    if not _is_period(ledger, period):
        raise ValueError(f"{period!r} is not a period of the {ledger.value} ledger")
    P = PrivacySpent
    insert_missing(
        session,
        P,
        [
            {
                "ledger": ledger.value,
                "collection_id": collection_id,
                "holder": holder,
                "period": period,
                "spent": 0.0,
            }
            for holder in budgets
        ],
    )
    with session.begin_nested() as nested:
        for holder, budget in budgets.items():
            charged = session.execute(
                update(P)
                .where(
                    P.ledger == ledger.value,
                    P.collection_id == collection_id,
                    P.holder == holder,
                    P.period == period,
                    P.spent + amount <= budget + _SLACK[ledger],
                )
                .values(spent=P.spent + amount)
                .execution_options(synchronize_session=False)
            )
            if charged.rowcount != 1:  # type: ignore[attr-defined]
                nested.rollback()
                return False
    return True


def _is_period(ledger: Ledger, period: str) -> bool:
    """Whether ``period`` is one of ``ledger``'s: ``all`` for epsilon, a year for rho."""
    if ledger is Ledger.EPSILON:
        return period == LIFETIME
    return re.fullmatch(r"[0-9]{4}", period) is not None


def spent(session: Session, ledger: Ledger, collection_id: int, holder: str, period: str) -> float:
    """What one holder has spent on a dataset in one ledger and period (0 before any charge)."""
    P = PrivacySpent
    value = session.scalar(
        select(P.spent).where(
            P.ledger == ledger.value,
            P.collection_id == collection_id,
            P.holder == holder,
            P.period == period,
        )
    )
    return float(value or 0.0)


def spending(session: Session, ledger: Ledger, collection_ids: Sequence[int]) -> list[PrivacySpent]:
    """Every holder's spending in one ledger on the given datasets, by dataset, period and
    holder."""
    P = PrivacySpent
    return list(
        session.scalars(
            select(P)
            .where(P.ledger == ledger.value, P.collection_id.in_(list(collection_ids)))
            .order_by(P.collection_id, P.period, P.holder)
        )
    )
