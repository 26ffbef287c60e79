"""A witness: a peer that keeps another node's audit heads, checks each new one, and co-signs.

The node's own kept head (hgr.audit.heads) stops it signing a forgery, but whoever controls
the node's host controls that file too. A witness elsewhere holds the last head it saw; it
accepts a new head only with a consistency proof that the new tree extends the old one
(RFC 9162 §2.1.4), and then adds its own signature line to the note, as the C2SP
tlog-witness cosignatures do. A node caught showing two histories is caught by its witnesses.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import Path

from hgr.audit.heads import write_head
from hgr.audit.log import Checkpoint
from hgr.audit.merkle import verify_consistency
from hgr.crypto.signing import Signer, Verifier
from hgr.exceptions import IntegrityBroken

__all__ = ["check_step", "cosigned_note", "keep", "kept_head_file"]


def kept_head_file(directory: Path, peer: Verifier) -> Path:
    """Where a witness keeps the last head it accepted from the peer with this key: named by
    the key, so that a peer changing its origin keeps the same history."""
    return directory / (hashlib.sha256(peer.public).hexdigest()[:16] + ".note")


def check_step(
    kept: Checkpoint | None, fetched: Checkpoint, proof: Sequence[bytes], peer: Verifier
) -> None:
    """Accept ``fetched`` after ``kept`` only if the peer signed it and the tree grew from the
    kept one, as ``proof`` shows.

    Raises IntegrityBroken: ``E_WITNESS_SIGNATURE`` when the peer's key did not sign it,
    ``E_WITNESS_INCONSISTENT`` when the log shrank or its history changed.
    """
    if not fetched.verify(peer):
        raise IntegrityBroken(
            f"the head from {fetched.origin} is not signed by the key this witness holds",
            code="E_WITNESS_SIGNATURE",
        )
    if kept is None:
        return
    if fetched.origin != kept.origin:
        raise IntegrityBroken(
            f"the peer now signs as {fetched.origin}, not {kept.origin}: a log does not change "
            "its name, so this witness will not start a second history for the same key",
            code="E_WITNESS_INCONSISTENT",
        )
    if (
        fetched.size < kept.size
        or (fetched.size == kept.size and fetched.root != kept.root)
        or (
            # Every tree extends the empty one (RFC 9162 §2.1.4 proves from a size of 1 up).
            fetched.size > kept.size > 0
            and not verify_consistency(kept.size, fetched.size, kept.root, fetched.root, proof)
        )
    ):
        raise IntegrityBroken(
            f"{fetched.origin} shows a tree of {fetched.size} events that does not extend the "
            f"one of {kept.size} this witness signed before: its log was rewritten or cut",
            code="E_WITNESS_INCONSISTENT",
        )


def cosigned_note(head: Checkpoint, witness: Signer) -> str:
    """The head's signed note with the witness's signature line added."""
    tag = base64.b64encode(
        bytes.fromhex(witness.key_id) + witness.sign(head.body.encode())
    ).decode()
    return head.note() + f"\u2014 {witness.name} {tag}\n"


def keep(directory: Path, head: Checkpoint, peer: Verifier) -> None:
    """Keep ``head`` as the last one accepted from the peer with this key."""
    write_head(kept_head_file(directory, peer), head)
