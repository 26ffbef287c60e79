"""Caches stamped by the audit log: a value stands while no event is written, on both
databases, and never outlives a change, a session's own writes or MAX_AGE."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from hgr.audit import Actor, record
from hgr.audit import stamp as stamp_module
from hgr.audit.models import AuditEvent
from hgr.audit.stamp import cached
from hgr.db import Database, upgrade_schema

ALICE = Actor("token:alice", "institution_steward")


class Counter:
    """A computation that says how often it ran."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> int:
        self.runs += 1
        return self.runs


def _read(db: Database, key: str, compute: Counter) -> int:
    with db.reader() as session:
        return cached(session, key, compute)


def test_a_value_stands_until_an_event_is_written(db: Database) -> None:
    compute = Counter()
    assert _read(db, "k", compute) == 1
    assert _read(db, "k", compute) == 1  # no change: not computed again
    assert _read(db, "other", compute) == 2  # another key is its own value
    with db.transaction() as session:
        record(session, ALICE, "registry.import", "donors")
    assert _read(db, "k", compute) == 3  # the change is seen at once
    assert _read(db, "k", compute) == 3


def test_an_uncommitted_change_is_neither_cached_nor_served_from_the_cache(db: Database) -> None:
    compute = Counter()
    assert _read(db, "k", compute) == 1
    session = db.session()
    try:
        assert cached(session, "k", compute) == 1  # before its own write: the cached value
        record(session, ALICE, "registry.import", "donors")
        assert cached(session, "k", compute) == 2  # after: computed, as it sees its change
        assert cached(session, "k", compute) == 3  # and never kept
        session.rollback()
    finally:
        session.close()
    # The rolled-back change left nothing behind: the committed state's value stands.
    assert _read(db, "k", compute) == 1


def _newest(db: Database) -> int:
    with db.reader() as session:
        return int(session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0)


def test_values_are_kept_per_database(db: Database, tmp_path: Path) -> None:
    other = Database(f"sqlite:///{tmp_path}/other.sqlite")
    try:
        upgrade_schema(other.url)
        # Two databases at the same stamp: only the database tells their values apart.
        for low, high in ((other, db), (db, other)):
            while _newest(low) < _newest(high):
                with low.transaction() as session:
                    record(session, ALICE, "registry.import", "donors")
        assert _newest(db) == _newest(other)
        compute = Counter()
        assert _read(db, "k", compute) == 1
        assert _read(other, "k", compute) == 2
        assert _read(db, "k", compute) == 1
    finally:
        other.dispose()


def test_a_value_is_recomputed_after_max_age(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # A change committed out of id order leaves the stamp as it was; MAX_AGE bounds how long
    # a value computed before it is served.
    clock = [1000.0]
    monkeypatch.setattr(stamp_module.time, "monotonic", lambda: clock[0])
    compute = Counter()
    assert _read(db, "k", compute) == 1
    clock[0] += stamp_module.MAX_AGE / 2 - 0.1  # the least a value is kept
    assert _read(db, "k", compute) == 1
    clock[0] += stamp_module.MAX_AGE / 2 + 0.2  # past the most
    assert _read(db, "k", compute) == 2
