"""The audit log on both databases: append in the caller's transaction, prove, sign, and catch
every kind of tampering a database superuser could attempt (security.md §3, test T7)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hgr.audit import (
    Actor,
    Checkpoint,
    checkpoint,
    consistency,
    inclusion,
    integrate,
    parse_checkpoint,
    record,
    tree_size,
    verify_log,
)
from hgr.audit.log import root
from hgr.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from hgr.audit.models import AuditEvent
from hgr.crypto import NodeKeys, Signer, load_signer
from hgr.db import Database
from hgr.exceptions import UsageError
from tests.conftest import as_superuser

# The audit log starts empty: the tests count its events from the first.
pytestmark = pytest.mark.without_regions

ALICE = Actor("token:alice", "institution_steward")


@pytest.fixture
def signer(keys: NodeKeys) -> Signer:
    return load_signer(keys.signing_key, "hgr.test/audit")


def _events(db: Database, count: int, start: int = 0) -> None:
    with db.transaction() as session:
        for n in range(start, start + count):
            record(
                session,
                ALICE,
                "registry.read",
                f"donors/{n}",
                grounds="own institution",
                detail={"n": n, "note": 'line\nbreak "quoted"'},
            )


def _signed(db: Database, signer: Signer) -> Checkpoint:
    with db.transaction() as session:
        return checkpoint(session, signer)


def _problems(db: Database, signer: Signer, witnessed: Checkpoint | None = None) -> list[str]:
    with db.reader() as session:
        return verify_log(session, signer.verifier, witnessed=witnessed).problems


def test_events_prove_inclusion_and_checkpoints_prove_consistency(
    db: Database, signer: Signer
) -> None:
    _events(db, 37)
    first = _signed(db, signer)
    assert first.size == 37
    assert first.verify(signer.verifier)
    _events(db, 30, start=37)
    second = _signed(db, signer)
    assert second.size == 67
    with db.reader() as session:
        bodies = session.execute(
            sa.text(
                "SELECT l.seq, e.body FROM audit_leaf l JOIN audit_event e "
                "ON e.id = l.event_id ORDER BY l.seq"
            )
        ).all()
        for seq, body in bodies:
            proof = inclusion(session, seq, second.size)
            assert verify_inclusion(seq, second.size, leaf_hash(body.encode()), proof, second.root)
        proof = consistency(session, first.size, second.size)
        assert verify_consistency(first.size, second.size, first.root, second.root, proof)
        assert root(session, first.size) == first.root
        with pytest.raises(UsageError):
            inclusion(session, 67, 67)
        with pytest.raises(UsageError):
            consistency(session, 10, 68)
        report = verify_log(session, signer.verifier, witnessed=first)
    assert report.ok, report.problems
    assert (report.events, report.leaves, report.checkpoints, report.pending) == (67, 67, 2, 0)


def test_checkpoint_note_round_trips_and_rejects_garbage(db: Database, signer: Signer) -> None:
    _events(db, 3)
    head = _signed(db, signer)
    again = parse_checkpoint(head.note())
    assert again == head
    assert again.verify(signer.verifier)
    for broken in ["", "x\n1\n", head.note().replace("\u2014", "-"), head.note()[:-10]]:
        with pytest.raises(UsageError):
            parse_checkpoint(broken)


def test_an_event_rolls_back_with_its_transaction(db: Database) -> None:
    def failing_change() -> None:
        with db.transaction() as session:
            record(session, ALICE, "registry.import", "BJ-H001")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with db.transaction() as session:
        assert integrate(session) == 0


def test_the_log_refuses_update_and_delete(db: Database) -> None:
    _events(db, 2)
    with db.transaction() as session:
        integrate(session)
    for statement in ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_leaf"]:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.transaction() as s:
            s.execute(sa.text(statement))
    if db.dialect == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.transaction() as s:
            s.execute(sa.text("TRUNCATE audit_checkpoint"))


TAMPERING = {
    "edit a body": [
        "UPDATE audit_event SET body = replace(body, 'donors/5', 'donors/6') WHERE id = 6"
    ],
    "edit a column": ["UPDATE audit_event SET outcome = 'denied' WHERE id = 7"],
    "edit body and leaf hash": [
        "UPDATE audit_event SET body = replace(body, 'donors/8', 'donors/9') WHERE id = 9",
        "UPDATE audit_leaf SET hash = (SELECT hash FROM audit_leaf WHERE seq = 9) WHERE seq = 8",
    ],
    "delete an event and its leaf": [
        "DELETE FROM audit_leaf WHERE event_id = 4",
        "DELETE FROM audit_event WHERE id = 4",
    ],
    "swap two events (bodies and leaf hashes)": [
        "CREATE TEMP TABLE swap_body AS SELECT id, body FROM audit_event WHERE id IN (3, 4)",
        "UPDATE audit_event SET body = (SELECT body FROM swap_body s WHERE s.id = 7 - "
        "audit_event.id) WHERE id IN (3, 4)",
        "CREATE TEMP TABLE swap_leaf AS SELECT seq, hash FROM audit_leaf WHERE seq IN (2, 3)",
        "UPDATE audit_leaf SET hash = (SELECT hash FROM swap_leaf s WHERE s.seq = 5 - "
        "audit_leaf.seq) WHERE seq IN (2, 3)",
    ],
    "forge a subtree hash": [
        "UPDATE audit_node SET hash = (SELECT hash FROM audit_leaf WHERE seq = 0) "
        "WHERE level = 2 AND " + '"index"' + " = 1"
    ],
    "forge a checkpoint": [
        "UPDATE audit_checkpoint SET root = (SELECT hash FROM audit_leaf WHERE seq = 0)"
    ],
}


@pytest.mark.parametrize("attack", sorted(TAMPERING))
def test_tampering_is_detected(db: Database, signer: Signer, attack: str) -> None:
    _events(db, 20)
    _signed(db, signer)
    assert _problems(db, signer) == []
    with as_superuser(db) as session:
        for statement in TAMPERING[attack]:
            session.execute(sa.text(statement))
    assert _problems(db, signer), attack


def test_rewriting_the_tail_is_caught_by_a_witnessed_checkpoint(
    db: Database, signer: Signer
) -> None:
    _events(db, 20)
    witnessed = _signed(db, signer)
    with as_superuser(db) as session:  # truncate the tail, checkpoints and all
        session.execute(sa.text("DELETE FROM audit_checkpoint"))
        session.execute(sa.text("DELETE FROM audit_node"))
        session.execute(sa.text("DELETE FROM audit_leaf WHERE seq >= 15"))
        session.execute(sa.text("DELETE FROM audit_event WHERE id > 15"))
        rows = session.execute(sa.text("SELECT seq FROM audit_leaf ORDER BY seq")).all()
        assert len(rows) == 15
    assert "no signed checkpoint covers the log's 15 leaves" in _rebuilt_problems(db, signer)
    problems = _problems(db, signer, witnessed=witnessed)
    assert any("beyond the log" in p for p in problems)


def _rebuilt_problems(db: Database, signer: Signer) -> list[str]:
    """Rebuild the subtree hashes of a truncated tree (so that it looks whole) and verify it
    without a witness: only the missing checkpoints tell."""
    from hgr.audit.log import _push

    with as_superuser(db) as session:
        frontier: list[tuple[int, bytes]] = []
        leaves = session.execute(sa.text("SELECT seq, hash FROM audit_leaf ORDER BY seq")).all()
        for seq, leaf in leaves:
            for node in _push(frontier, seq, bytes(leaf)):
                session.execute(
                    sa.text('INSERT INTO audit_node (level, "index", hash) VALUES (:l, :i, :h)'),
                    {"l": node.level, "i": node.index, "h": node.hash},
                )
    return _problems(db, signer)


def test_two_trees_of_one_size_are_flagged(db: Database, signer: Signer) -> None:
    _events(db, 5)
    honest = _signed(db, signer)
    forked = Checkpoint(
        honest.origin, honest.size, leaf_hash(b"other"), honest.at, signer.key_id, b""
    )
    forked = Checkpoint(**{**forked.__dict__, "signature": signer.sign(forked.body.encode())})
    problems = _problems(db, signer, witnessed=forked)
    assert any("two different trees" in p for p in problems)
    unsigned = Checkpoint(**{**honest.__dict__, "signature": bytes(64)})
    assert any("not signed" in p for p in _problems(db, signer, witnessed=unsigned))


def test_tree_size_counts_only_integrated_events(db: Database) -> None:
    _events(db, 4)
    with db.transaction() as session:
        assert tree_size(session) == 0
        assert integrate(session) == 4
        assert integrate(session) == 4


# SQLite has one writer at a time: there no transaction can commit out of order.
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_late_committers_take_their_number_at_commit(db: Database, signer: Signer) -> None:
    """An event whose transaction began first and committed last is numbered at its commit,
    after the events committed meanwhile: integration neither passes it by nor waits on it."""
    _events(db, 2)
    with db.transaction() as late:
        record(late, ALICE, "registry.read", "donors/late")
        late.flush()
        _events(db, 2, start=10)  # later inserts, committed first
        with db.transaction() as session:
            assert integrate(session) == 4
    with db.transaction() as session:
        assert integrate(session) == 5
        assert session.scalar(sa.select(AuditEvent.target).where(AuditEvent.seq == 4)) == (
            "donors/late"
        )
    _signed(db, signer)
    with db.reader() as session:
        assert verify_log(session, signer.verifier).ok
