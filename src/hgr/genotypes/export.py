"""``export_raw``: a collection's raw files, re-encrypted to a recipient's Crypt4GH key.

Each file is decrypted with the node's key, checked against the SHA-256 recorded when it was
sealed, and encrypted to the recipient; the export is recorded in the audit log with the
recipient's key fingerprint. Deciding whether a recipient may have the files is governed
access's job; this is the mechanism it calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from hgr.audit import SYSTEM, Actor, record
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import UsageError
from hgr.genotypes.raw_files import export_sealed, recipient_key
from hgr.genotypes.store import CollectionDirectory, required_store, store_sources

__all__ = ["ExportedFile", "export_raw", "write_vcf_subset"]

BLOCK = 20_000  # variants read from the store at a time


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


def write_vcf_subset(
    group: Any, columns: Sequence[int], names: Sequence[str], out: BinaryIO, *, source: str = "hgr"
) -> int:
    """Write the genotypes (GT) of the store's sample ``columns``, renamed ``names``, as a
    VCF 4.3 to ``out``; returns the number of records. Alleles, positions and phasing come
    from the VCF Zarr arrays (``contig_id``, ``variant_contig``, ``variant_position``,
    ``variant_allele``, ``call_genotype``, ``call_genotype_phased``); a missing call is ``.``."""
    if len(columns) != len(names) or not columns:
        raise UsageError("name each exported sample column once", code="E_EXPORT_SAMPLES")
    contigs = [str(c) for c in group["contig_id"][:]]
    header = [
        "##fileformat=VCFv4.3",
        f"##source={source}",
        *(f"##contig=<ID={c}>" for c in contigs),
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#"
        + "\t".join(
            ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *names)
        ),
    ]
    out.write(("\n".join(header) + "\n").encode())
    total = int(group["variant_position"].shape[0])
    picked = np.asarray(columns)
    for start in range(0, total, BLOCK):
        end = min(start + BLOCK, total)
        contig = group["variant_contig"][start:end]
        position = group["variant_position"][start:end]
        alleles = group["variant_allele"][start:end]
        calls = np.asarray(group["call_genotype"][start:end])[:, picked, :]
        phased = np.asarray(group["call_genotype_phased"][start:end])[:, picked]
        lines = []
        for i in range(end - start):
            allele = [str(a) for a in alleles[i] if str(a)]
            cells = []
            for j in range(len(picked)):
                call = [("." if a < 0 else str(a)) for a in calls[i, j] if a != -2]  # -2: pad
                cells.append(("|" if phased[i, j] else "/").join(call) or ".")
            lines.append(
                "\t".join(
                    (
                        contigs[int(contig[i])],
                        str(int(position[i])),
                        ".",
                        allele[0],
                        ",".join(allele[1:]) or ".",
                        ".",
                        ".",
                        ".",
                        "GT",
                        *cells,
                    )
                )
            )
        out.write(("\n".join(lines) + "\n").encode())
    return total
