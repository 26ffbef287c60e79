"""Sessions of a node's database: the autocommit reader used on every request."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hgr.audit import Actor, record
from hgr.audit.models import AuditEvent
from hgr.db import Database, after_commit

EVENTS = sa.select(sa.func.count()).select_from(AuditEvent)
BY = Actor("test", "operator")


def test_autocommit_reader_sees_each_commit_and_holds_no_transaction(db: Database) -> None:
    with db.autocommit_reader() as glance:
        before = glance.scalar(EVENTS) or 0
        with db.transaction() as session:
            record(session, BY, "test.write", "t")
        # A reader's snapshot (on PostgreSQL) would still show the count it first read.
        assert glance.scalar(EVENTS) == before + 1
        raw = glance.connection().connection.dbapi_connection
        if db.dialect == "postgresql":
            assert raw.info.transaction_status == raw.info.transaction_status.IDLE  # type: ignore[union-attr]
        else:
            assert not raw.in_transaction  # type: ignore[union-attr]


def _write_then_fail(db: Database) -> None:
    with db.transaction() as session:
        record(session, BY, "test.write", "t")
        raise RuntimeError


def test_connections_return_to_the_pool_transactional(db: Database) -> None:
    with db.reader() as session:
        before = session.scalar(EVENTS)
    # Every pooled connection has been lent to the autocommit reader at least once.
    for _ in range(3):
        with db.autocommit_reader() as glance, db.autocommit_reader() as other:
            glance.execute(sa.select(1))
            other.execute(sa.select(1))
        with pytest.raises(RuntimeError):
            _write_then_fail(db)
    with db.reader() as session:
        assert session.scalar(EVENTS) == before


def test_actions_after_commit_run_on_commit_and_their_undos_on_rollback(db: Database) -> None:
    done: list[str] = []
    with db.transaction() as session:
        after_commit(session, lambda: done.append("published"), undo=lambda: done.append("undone"))
        assert done == []  # not before the commit
    assert done == ["published"]
    done.clear()

    def register_then_fail() -> None:
        with db.transaction() as session:
            after_commit(
                session, lambda: done.append("published"), undo=lambda: done.append("undone")
            )
            raise ValueError("the transaction fails")

    with pytest.raises(ValueError, match="fails"):
        register_then_fail()
    assert done == ["undone"]
    with db.reader() as session, pytest.raises(RuntimeError, match=r"Database\.transaction"):
        after_commit(session, lambda: None)
