"""Signed tree heads kept outside the database, and the rule that a new head extends the old.

A Certificate Transparency log never signs a tree head that is inconsistent with one it signed
before (RFC 9162 §4.1, §8.1.2): whoever holds the earlier head could otherwise be shown a
rewritten history. hgr keeps that rule against its own database, because the database is what
an attacker with superuser rights controls:

- the latest head is also written to a file under the node's home (:func:`write_head`), which
  the database role cannot reach;
- before signing, :func:`require_extends` checks the RFC 9162 consistency proof from every
  head the node knows (the newest stored one and the one in the file) to the tree it is about to
  sign, and refuses (``E_AUDIT_INCONSISTENT``) when the tree is shorter or differs.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session

from hgr.audit.log import (
    Checkpoint,
    consistency,
    integrate,
    latest_checkpoint,
    parse_checkpoint,
    root,
)
from hgr.audit.merkle import verify_consistency
from hgr.audit.models import AuditCheckpoint
from hgr.crypto.signing import Signer, Verifier
from hgr.dates import utc_now
from hgr.db import after_commit
from hgr.exceptions import HgrError, IntegrityBroken

__all__ = ["checkpoint", "read_head", "require_extends", "write_head"]


def checkpoint(
    session: Session,
    signer: Signer,
    *,
    head_file: Path | None = None,
    at: dt.datetime | None = None,
) -> Checkpoint:
    """Integrate pending events and sign the tree head if the tree grew; return the latest.

    The tree must extend the newest signed head in the database and the head kept in
    ``head_file`` (see :func:`require_extends`); the new head is written to ``head_file`` once
    the transaction commits (``session`` must then come from ``Database.transaction``).

    Raises IntegrityBroken (``E_AUDIT_INCONSISTENT``, ``E_AUDIT_HEAD``) instead of signing a
    tree that rewrites or shortens what was signed before.
    """
    size = integrate(session)
    verifier = signer.verifier
    kept = read_head(head_file, verifier) if head_file else None
    known = [head for head in (latest_checkpoint(session), kept) if head is not None]
    for head in known:
        if not head.verify(verifier):
            raise IntegrityBroken(
                f"the stored checkpoint at size {head.size} is not signed by this node's key",
                code="E_AUDIT_HEAD",
            )
        require_extends(session, head, size)
    last = max(known, key=lambda head: head.size, default=None)
    if last is not None and last.size == size:
        signed = last
    else:
        unsigned = Checkpoint(
            origin=signer.name,
            size=size,
            root=root(session, size),
            at=(at or utc_now()).astimezone(dt.UTC),
            key_id=signer.key_id,
            signature=b"",
        )
        signed = replace(unsigned, signature=signer.sign(unsigned.body.encode()))
        session.add(
            AuditCheckpoint(
                size=size,
                root=signed.root,
                at=signed.at,
                note=signed.body,
                key_id=signed.key_id,
                signature=signed.signature,
            )
        )
        session.flush()
    # Only a head the file lacks is written: any caller may ask for a checkpoint, and one
    # that changes nothing must not cost the node a write and an fsync.
    if head_file is not None and (kept is None or kept.size < signed.size):
        after_commit(session, lambda: write_head(head_file, signed))
    return signed


def read_head(path: Path, verifier: Verifier) -> Checkpoint | None:
    """The head kept in ``path``, or None when there is no file yet.

    Raises IntegrityBroken (``E_AUDIT_HEAD``) when the file is not a checkpoint signed by
    ``verifier``'s key: a node whose kept head was replaced must not carry on from the forgery.
    """
    try:
        note = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IntegrityBroken(
            f"cannot read the kept audit head {path}: {exc.strerror}", code="E_AUDIT_HEAD"
        ) from exc
    try:
        head = parse_checkpoint(note)
    except HgrError as exc:
        raise IntegrityBroken(
            f"the kept audit head {path} is unreadable: {exc}", code="E_AUDIT_HEAD"
        ) from exc
    if not head.verify(verifier):
        raise IntegrityBroken(
            f"the kept audit head {path} is not signed by this node's key", code="E_AUDIT_HEAD"
        )
    return head


def write_head(path: Path, head: Checkpoint) -> None:
    """Replace the head in ``path`` with ``head``, atomically (a crash leaves the old or the
    new one, never half of either), unless the file already holds a larger head.

    Checkpoints commit from several places (the server's interval, any ``GET
    /audit/checkpoint``, other workers) and may finish out of order. The kept head only ever
    grows, so a truncation back to an older size stays caught. Writers take an exclusive lock
    on a file beside it while they compare and replace.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = parse_checkpoint(path.read_text(encoding="utf-8"))
        except (OSError, HgrError):
            current = None
        if current is not None and current.size > head.size:
            return
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".head-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(head.note())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def require_extends(session: Session, head: Checkpoint, size: int) -> None:
    """Check that the stored tree of ``size`` leaves extends ``head``, by the RFC 9162 §2.1.4
    consistency proof the node would serve for it.

    Raises IntegrityBroken (``E_AUDIT_INCONSISTENT``) when the log is shorter than the head, or
    its first ``head.size`` leaves are not the ones the head signed.
    """
    if head.size > size:
        raise IntegrityBroken(
            f"the audit log holds {size} integrated events, fewer than the {head.size} of the "
            "head it signed: events were removed; the node signs nothing more until this is "
            "explained (hgr audit verify)",
            code="E_AUDIT_INCONSISTENT",
        )
    if head.size == 0:
        return
    try:
        current = root(session, size)
        proof = consistency(session, head.size, size)
    except HgrError as exc:  # a stored subtree is missing
        raise IntegrityBroken(
            f"the audit tree cannot prove it extends the signed head: {exc}",
            code="E_AUDIT_INCONSISTENT",
        ) from exc
    if not verify_consistency(head.size, size, head.root, current, proof):
        raise IntegrityBroken(
            f"the audit tree of {size} events does not extend the head signed at size "
            f"{head.size}: its history was rewritten; the node signs nothing more until this "
            "is explained (hgr audit verify)",
            code="E_AUDIT_INCONSISTENT",
        )
