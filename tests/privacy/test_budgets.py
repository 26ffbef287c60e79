"""The privacy budgets (security.md T6(c)): charged to every holder or to none, on each
database, kept per ledger and period, and carried over from the two tables they replace."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from hgr.crypto import NodeKeys
from hgr.db import Database, upgrade_schema
from hgr.privacy.budgets import LIFETIME, Ledger, charge, spending, spent
from hgr.registry import models as m
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS


def _collection(db: Database, keys: NodeKeys) -> int:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    with db.reader() as session:
        collection = session.scalars(select(m.Collection.id)).first()
    assert collection is not None
    return collection


def test_rho_is_charged_to_every_holder_or_to_none(db: Database, keys: NodeKeys) -> None:
    collection = _collection(db, keys)
    holders = {"dataset": 0.5, "org:a": 0.25}
    with db.transaction() as session:
        assert charge(session, Ledger.RHO, collection, "2026", holders, 0.2)
        # org:a would pass 0.25: neither is charged
        assert not charge(session, Ledger.RHO, collection, "2026", holders, 0.1)
        assert charge(
            session, Ledger.RHO, collection, "2026", {"dataset": 0.5, "org:b": 0.25}, 0.25
        )
        # the dataset would pass 0.5: org:c, which could pay, is not charged either
        assert not charge(
            session, Ledger.RHO, collection, "2026", {"dataset": 0.5, "org:c": 0.25}, 0.1
        )
        assert charge(session, Ledger.RHO, collection, "2027", holders, 0.2)  # a new year
    with db.reader() as session:  # committed: a restart does not reset it
        rows = {(r.holder, r.period): r.spent for r in spending(session, Ledger.RHO, [collection])}
        assert spent(session, Ledger.RHO, collection, "org:a", "2026") == pytest.approx(0.2)
        assert spent(session, Ledger.RHO, collection, "org:z", "2026") == 0.0
    assert rows == {
        ("dataset", "2026"): pytest.approx(0.45),
        ("org:a", "2026"): pytest.approx(0.2),
        ("org:b", "2026"): pytest.approx(0.25),
        ("org:c", "2026"): 0.0,
        ("dataset", "2027"): pytest.approx(0.2),
        ("org:a", "2027"): pytest.approx(0.2),
    }


def test_a_budget_filled_exactly_by_repeated_charges_is_not_refused_by_rounding(
    db: Database, keys: NodeKeys
) -> None:
    # 0.1 ten times is 0.9999999999999999 in floating point; a budget of 1 admits all ten
    # and refuses the eleventh.
    collection = _collection(db, keys)
    with db.transaction() as session:
        results = [
            charge(session, Ledger.EPSILON, collection, LIFETIME, {"id:a": 1.0}, 0.1)
            for _ in range(11)
        ]
    assert results == [True] * 10 + [False]


def test_the_ledgers_are_separate(db: Database, keys: NodeKeys) -> None:
    # The same holder, dataset and budget in two ledgers: spending one leaves the other whole.
    collection = _collection(db, keys)
    with db.transaction() as session:
        assert charge(session, Ledger.EPSILON, collection, LIFETIME, {"org:a": 1.0}, 1.0)
        assert not charge(session, Ledger.EPSILON, collection, LIFETIME, {"org:a": 1.0}, 0.5)
        assert charge(session, Ledger.RHO, collection, "2026", {"org:a": 1.0}, 0.5)
    with db.reader() as session:
        assert spent(session, Ledger.EPSILON, collection, "org:a", LIFETIME) == 1.0
        assert spent(session, Ledger.RHO, collection, "org:a", "2026") == 0.5


@pytest.mark.parametrize(
    ("ledger", "period"),
    [(Ledger.EPSILON, "2026"), (Ledger.EPSILON, ""), (Ledger.RHO, LIFETIME), (Ledger.RHO, "26")],
)
def test_a_period_of_another_kind_is_refused(
    sqlite_db: Database, ledger: Ledger, period: str
) -> None:
    # A rho budget is a year's and an epsilon budget the dataset's life: a charge under any
    # other period would open a budget of its own, which nothing reads or renews.
    with pytest.raises(ValueError, match="not a period"), sqlite_db.transaction() as session:
        charge(session, ledger, 1, period, {"org:a": 1.0}, 0.1)


def test_the_upgrade_carries_every_budget_over(tmp_path: Path) -> None:
    # A node upgraded from two tables: what each holder had spent is spent still, so that an
    # upgrade cannot be used to reset a budget.
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade_schema(url, "0023")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        # SQLite checks no foreign key here: the ledgers' rows alone are enough.
        connection.execute(
            sa.text(
                "INSERT INTO beacon_epsilon_spent (collection_id, holder, spent) "
                "VALUES (7, 'id:token:a', 0.5), (7, 'org:b', 1.5)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO beacon_rho_spent (collection_id, holder, year, spent) "
                "VALUES (7, 'dataset', 2025, 0.25), (7, 'dataset', 2026, 0.125)"
            )
        )
    engine.dispose()
    upgrade_schema(url)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = {
            (ledger, holder, period): value
            for ledger, holder, period, value in connection.execute(
                sa.text("SELECT ledger, holder, period, spent FROM privacy_spent")
            )
        }
    engine.dispose()
    assert rows == {
        ("epsilon", "id:token:a", "all"): 0.5,
        ("epsilon", "org:b", "all"): 1.5,
        ("rho", "dataset", "2025"): 0.25,
        ("rho", "dataset", "2026"): 0.125,
    }
