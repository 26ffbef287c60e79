"""``export_raw``: a collection's raw files, re-encrypted to a recipient's Crypt4GH key.

Each file is decrypted with the node's key, checked against the SHA-256 recorded when it was
sealed, and encrypted to the recipient; the export is recorded in the audit log with the
recipient's key fingerprint. Deciding whether a recipient may have the files is governed
access's job; this is the mechanism it calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from hgr.audit import SYSTEM, Actor, record
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import UsageError
from hgr.genotypes.ingest import required_store, store_sources
from hgr.genotypes.raw_files import export_sealed, recipient_key
from hgr.genotypes.store import CollectionDirectory

__all__ = ["ExportedFile", "export_raw"]


@dataclass(frozen=True)
class ExportedFile:
    name: str
    path: Path
    sha256: str  # of the plaintext, for the recipient to check after decrypting


def export_raw(
    db: Database,
    home: Path,
    keys: NodeKeys,
    *,
    institution: str,
    collection: str,
    recipient: Path,
    out_dir: Path,
    actor: Actor = SYSTEM,
    grounds: str = "",
) -> list[ExportedFile]:
    """Write the collection's raw files to ``out_dir``, encrypted to the key file ``recipient``.

    Raises
    ------
    NotFound
        When the collection has no genotypes.
    UsageError
        When ``recipient`` is not a public key, or ``out_dir`` already holds a file of the
        same name.
    IntegrityBroken
        When a sealed file no longer decrypts to the bytes that were ingested.
    """
    public = recipient_key(recipient)
    with db.reader() as session:
        target, store = required_store(session, institution, collection)
        directory = CollectionDirectory(home, target.id)
        sources = store_sources(session, store, directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = [out_dir / f"{row.name}.c4gh" for row, _sealed, _id in sources]
    clashing = [str(path) for path in targets if path.exists()]
    if clashing:
        raise UsageError(
            f"{clashing[0]} exists: export into an empty directory", code="E_EXPORT_EXISTS"
        )
    exported = []
    for (row, sealed, _id), path in zip(sources, targets, strict=True):
        export_sealed(sealed, keys, public, path)
        exported.append(ExportedFile(row.name, path, sealed.sha256))
    with db.transaction() as session:
        record(
            session,
            actor,
            "genotypes.export_raw",
            f"institutions/{institution}/collections/{collection}/genotypes",
            grounds=grounds,
            detail={
                "recipient_key_sha256": hashlib.sha256(public).hexdigest(),
                "files": [{"name": f.name, "sha256": f.sha256} for f in exported],
            },
        )
    return exported
