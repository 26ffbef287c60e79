"""A peer witnesses a node's audit log: it keeps the last head it saw, accepts a new one only
with a consistency proof, and co-signs. A node whose host and database were both taken over
(its kept head deleted, its log cut and re-signed) is caught by its witness."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hgr.api.app import create_app
from hgr.audit import parse_checkpoint
from hgr.audit.log import Checkpoint
from hgr.audit.witness import check_step
from hgr.cli.main import app
from hgr.config import load_settings
from hgr.crypto import load_signer
from hgr.db import Database
from hgr.exceptions import IntegrityBroken
from tests.cli.conftest import hgr, runner
from tests.conftest import EXAMPLES, HOLDINGS, sqlite_triggers_dropped


def _node(path: Path, institution: str) -> Path:
    assert runner.invoke(app, ["init", str(path), "--institution", institution]).exit_code == 0
    return path


@pytest.fixture
def peer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node whose API the witness reaches (through a test client, not a socket)."""
    home = _node(tmp_path / "peer", "BJ-H001")
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    client = TestClient(create_app(load_settings(home)))

    def get_json(url: str, path: str, *_: Any, **__: Any) -> Any:
        assert url == "https://peer.example"
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()

    monkeypatch.setattr("hgr.federation.client.get_json", get_json)
    return home


def _witness(witness: Path, peer: Path) -> tuple[int, str]:
    return hgr(
        witness,
        "audit",
        "witness",
        "https://peer.example",
        "--key",
        str(peer / "keys" / "signing.pub"),
    )


def test_a_witness_follows_an_honest_log_and_catches_a_rewritten_one(
    tmp_path: Path, peer: Path
) -> None:
    witness = _node(tmp_path / "witness", "SH-H001")
    code, output = _witness(witness, peer)
    assert code == 0, output
    assert output.count("\u2014 ") == 2  # the peer's signature and the witness's
    kept = next((witness / "witness").glob("*.note"))
    first = parse_checkpoint(kept.read_text(encoding="utf-8"))
    assert hgr(peer, "import", *map(str, HOLDINGS))[0] == 0  # more events
    code, output = _witness(witness, peer)
    assert code == 0, output
    assert parse_checkpoint(kept.read_text(encoding="utf-8")).size > first.size

    # The peer's host is taken: its kept head is deleted, its log cut to a third and re-signed.
    (peer / "audit" / "head.note").unlink()
    db = Database(f"sqlite:///{peer / 'hgr.sqlite'}")
    try:
        with db.transaction() as session, sqlite_triggers_dropped(session):
            for table in ("audit_checkpoint", "audit_node", "audit_leaf"):
                session.execute(sa.text(f"DELETE FROM {table}"))
            session.execute(
                sa.text("DELETE FROM audit_event WHERE seq >= :n"), {"n": first.size // 3}
            )
    finally:
        db.dispose()
    code, output = _witness(witness, peer)
    assert code != 0
    assert "E_WITNESS_INCONSISTENT" in output, output


def test_a_head_the_peer_did_not_sign_is_refused(tmp_path: Path, peer: Path) -> None:
    witness = _node(tmp_path / "witness", "SH-H001")
    other = _node(tmp_path / "other", "GD-H001")
    code, output = hgr(
        witness,
        "audit",
        "witness",
        "https://peer.example",
        "--key",
        str(other / "keys" / "signing.pub"),
    )
    assert code != 0
    assert "E_WITNESS_SIGNATURE" in output, output


def test_a_same_size_head_with_another_root_is_refused(tmp_path: Path, peer: Path) -> None:
    witness = _node(tmp_path / "witness", "SH-H001")
    assert _witness(witness, peer)[0] == 0
    kept = parse_checkpoint(next((witness / "witness").glob("*.note")).read_text("utf-8"))
    signer = load_signer(peer / "keys" / "signing.key", kept.origin)
    forged = Checkpoint(**{**kept.__dict__, "root": bytes(32)})
    forged = Checkpoint(**{**forged.__dict__, "signature": signer.sign(forged.body.encode())})
    check_step(kept, kept, [], signer.verifier)
    with pytest.raises(IntegrityBroken, match="does not extend"):
        check_step(kept, forged, [], signer.verifier)


def test_a_first_empty_head_does_not_lock_the_peer_out(tmp_path: Path, peer: Path) -> None:
    witness = _node(tmp_path / "witness", "SH-H001")
    assert _witness(witness, peer)[0] == 0
    kept = parse_checkpoint(next((witness / "witness").glob("*.note")).read_text("utf-8"))
    signer = load_signer(peer / "keys" / "signing.key", kept.origin)
    empty = Checkpoint(**{**kept.__dict__, "size": 0, "root": hashlib.sha256(b"").digest()})
    empty = Checkpoint(**{**empty.__dict__, "signature": signer.sign(empty.body.encode())})
    # Before, a witness that first saw the empty log refused every later head of the peer.
    check_step(empty, kept, [], signer.verifier)
    # The same key under another name would start a second history: refused.
    other = load_signer(peer / "keys" / "signing.key", "hgr/someone-else")
    renamed = Checkpoint(**{**kept.__dict__, "origin": other.name, "key_id": other.key_id})
    renamed = Checkpoint(**{**renamed.__dict__, "signature": other.sign(renamed.body.encode())})
    with pytest.raises(IntegrityBroken, match="now signs as"):
        check_step(kept, renamed, [], other.verifier)
