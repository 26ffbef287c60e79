"""A 64-bit hash of each (reference, alternate) allele pair: exact variant lookups by number.

A Beacon sequence query names one position and its exact bases. Answering it from the store's
allele strings means decoding the chunk of ``variant_allele`` that holds the row (a thousand
rows of variable-length strings); the summary pass therefore also writes
``variant_allele_hash`` (variants × alleles, uint64), whose column k is the hash of the
record's REF and its k-th allele (0 in column 0 and where there is no allele, empty or
``.``). A lookup then reads one chunk of integers and compares.

The hash is the first 8 bytes of BLAKE2b over ``REF > ALT`` (RFC 7693), the same in every
process and on every machine. Two distinct pairs at one position share a hash with
probability 2^-64: a false match is not a practical concern.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["NO_ALLELE", "allele_hash", "allele_hashes"]

NO_ALLELE = 0  # column 0 (the REF itself) and empty allele slots


def allele_hash(ref: str, alt: str) -> int:
    """The hash of one (REF, ALT) pair; never ``NO_ALLELE``."""
    digest = hashlib.blake2b(f"{ref}>{alt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def allele_hashes(alleles: NDArray[Any]) -> NDArray[np.uint64]:
    """``variant_allele_hash`` for a (variants × alleles) array of allele strings."""
    hashes = np.zeros(alleles.shape, dtype=np.uint64)
    for row, record in enumerate(alleles.tolist()):
        ref = str(record[0])
        for k in range(1, len(record)):
            alt = str(record[k])
            if alt and alt != ".":
                hashes[row, k] = allele_hash(ref, alt)
    return hashes
