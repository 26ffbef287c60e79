"""A database superuser rewrites the audit log and asks the node to sign the forgery.

The attacker disables the append-only triggers for a session, rewrites or deletes events, and
empties the tree and checkpoint tables, so that the next checkpoint (from the server's own
interval, or any anonymous ``GET /audit/checkpoint``) would sign a tree of their making. Each
attempt must be refused at signing (the node keeps its last head outside the database and
never signs a head that does not extend it, as a Certificate Transparency log) or reported by
``verify``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hgr.audit import Actor, checkpoint, integrate, parse_checkpoint, record, verify_log
from hgr.audit.heads import read_head
from hgr.cli.main import app
from hgr.crypto import NodeKeys, Signer, load_signer
from hgr.db import Database
from hgr.exceptions import IntegrityBroken
from tests.cli.conftest import hgr, runner
from tests.conftest import EXAMPLES, as_superuser

# The audit log starts empty: the tests count its events from the first.
pytestmark = pytest.mark.without_regions

ALICE = Actor("token:alice", "institution_steward")


@pytest.fixture
def signer(keys: NodeKeys) -> Signer:
    return load_signer(keys.signing_key, "hgr.test/audit")


@pytest.fixture
def head_file(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "head.note"


def _events(db: Database, count: int, start: int = 0) -> None:
    with db.transaction() as session:
        for n in range(start, start + count):
            record(session, ALICE, "registry.read", f"donors/{n}", detail={"n": n})


def _sign(db: Database, signer: Signer, head_file: Path) -> None:
    with db.transaction() as session:
        checkpoint(session, signer, head_file=head_file)


def _empty_tree(session: Session) -> None:
    for table in ("audit_checkpoint", "audit_node", "audit_leaf"):
        session.execute(sa.text(f"DELETE FROM {table}"))


def _problems(db: Database, signer: Signer, head_file: Path | None = None) -> list[str]:
    kept = read_head(head_file, signer.verifier) if head_file else None
    with db.reader() as session:
        return verify_log(session, signer.verifier, kept=kept).problems


def test_a_rewritten_log_with_an_emptied_tree_is_not_signed(
    db: Database, signer: Signer, head_file: Path
) -> None:
    _events(db, 30)
    _sign(db, signer, head_file)
    with as_superuser(db) as session:
        session.execute(
            sa.text(
                "UPDATE audit_event SET actor = 'cli:root', "
                "body = replace(body, 'token:alice', 'cli:root')"
            )
        )
        _empty_tree(session)
    # Before, the next checkpoint signed the forged tree, and verify then passed.
    with pytest.raises(IntegrityBroken, match="does not extend") as refused:
        _sign(db, signer, head_file)
    assert refused.value.code == "E_AUDIT_INCONSISTENT"
    assert read_head(head_file, signer.verifier).size == 30  # type: ignore[union-attr]
    problems = _problems(db, signer, head_file)
    assert any("missing from its checkpoints" in p for p in problems), problems
    assert any("beyond the log's 0 leaves" in p for p in problems), problems


def test_a_log_cut_short_is_not_signed(db: Database, signer: Signer, head_file: Path) -> None:
    _events(db, 80)
    _sign(db, signer, head_file)
    with as_superuser(db) as session:  # the last 50 events go, and the tree is rebuilt
        _empty_tree(session)
        session.execute(sa.text("DELETE FROM audit_event WHERE seq >= 30"))
    with pytest.raises(IntegrityBroken, match="fewer than the 80"):
        _sign(db, signer, head_file)
    assert any("beyond the log" in p for p in _problems(db, signer, head_file))


def test_a_log_without_any_checkpoint_fails_verification(db: Database, signer: Signer) -> None:
    _events(db, 10)
    with db.transaction() as session:
        integrate(session)
    # Before, verify accepted a log no one had ever signed.
    assert _problems(db, signer) == ["no signed checkpoint covers the log's 10 leaves"]


@pytest.mark.parametrize("where", ["middle", "end"])
def test_an_event_deleted_before_integration_leaves_a_hole(
    db: Database, signer: Signer, head_file: Path, where: str
) -> None:
    _events(db, 5)
    _sign(db, signer, head_file)
    _events(db, 5, start=5)  # events 5..9 wait for the next integration
    doomed = 7 if where == "middle" else 9
    with as_superuser(db) as session:
        session.execute(sa.text("DELETE FROM audit_event WHERE seq = :s"), {"s": doomed})
        if db.dialect == "sqlite" and where == "end":
            pytest.skip("SQLite keeps no counter: a deleted last pending event leaves no trace")
    _sign(db, signer, head_file)  # integrates up to the hole, and no further
    with db.reader() as session:
        assert integrate(session) == doomed
    problems = _problems(db, signer, head_file)
    # Before, such an event was never seen by anyone.
    assert any(f"{doomed}" in p and ("missing" in p or "deleted" in p) for p in problems), problems


def test_numbering_bypassed_is_reported(db: Database, signer: Signer, head_file: Path) -> None:
    _events(db, 3)
    _sign(db, signer, head_file)
    with as_superuser(db) as session:
        session.execute(
            sa.text(
                "INSERT INTO audit_event (at, actor, role, action, target, outcome, grounds, "
                "request_id, detail, body) SELECT at, actor, role, action, target, outcome, "
                "grounds, request_id, detail, body FROM audit_event WHERE seq = 0"
            )
        )
    assert any("carry no number" in p for p in _problems(db, signer, head_file))


def test_a_forged_kept_head_stops_signing(db: Database, signer: Signer, head_file: Path) -> None:
    _events(db, 3)
    _sign(db, signer, head_file)
    head_file.write_text(head_file.read_text().replace("\n3\n", "\n2\n"), encoding="utf-8")
    with pytest.raises(IntegrityBroken) as refused:
        _sign(db, signer, head_file)
    assert refused.value.code == "E_AUDIT_HEAD"


def test_the_cli_keeps_the_head_and_refuses_the_forgery(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home), "--institution", "BJ-H001"]).exit_code == 0
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    code, _ = hgr(home, "audit", "checkpoint")
    assert code == 0
    assert (home / "audit" / "head.note").is_file()
    db = Database(f"sqlite:///{home / 'hgr.sqlite'}")
    try:
        with as_superuser(db) as session:
            _empty_tree(session)
            session.execute(sa.text("DELETE FROM audit_event"))
    finally:
        db.dispose()
    code, output = hgr(home, "audit", "checkpoint")
    assert code != 0
    assert "E_AUDIT_INCONSISTENT" in output, output
    code, output = hgr(home, "audit", "verify")
    assert code != 0
    assert "missing from its checkpoints" in output, output


def test_the_kept_head_never_moves_back(db: Database, signer: Signer, head_file: Path) -> None:
    from hgr.audit.heads import write_head

    _events(db, 5)
    _sign(db, signer, head_file)
    newer = read_head(head_file, signer.verifier)
    assert newer is not None
    older = parse_checkpoint(newer.note().replace("\n5\n", "\n3\n"))
    # A checkpoint that finished late (another worker, an anonymous GET) does not shrink it.
    write_head(head_file, older)
    assert read_head(head_file, signer.verifier) == newer


def test_a_checkpoint_that_changes_nothing_writes_no_file(
    db: Database, signer: Signer, head_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _events(db, 3)
    _sign(db, signer, head_file)
    writes: list[int] = []
    monkeypatch.setattr("hgr.audit.heads.write_head", lambda _path, head: writes.append(head.size))
    for _ in range(5):  # as anonymous GET /audit/checkpoint requests would
        _sign(db, signer, head_file)
    assert writes == []
    _events(db, 1, start=3)
    _sign(db, signer, head_file)
    assert writes == [4]
