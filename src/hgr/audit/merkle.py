"""The Merkle tree of RFC 6962 §2.1 / RFC 9162 §2.1: hashes, proofs and their verification.

Hashing: a leaf is ``SHA-256(0x00 ‖ data)``, an inner node ``SHA-256(0x01 ‖ left ‖ right)``
(domain separation stops a leaf from passing for a node). A tree of ``n`` leaves splits at ``k``,
the largest power of two smaller than ``n``.

Proofs are built from a *subtree oracle*: a function that returns the hash of leaves
``[start, end)`` for any range the RFC algorithms ask for. The audit log answers it from stored
perfect subtrees, so a proof costs O(log n) reads; :func:`oracle_from_leaves` answers it from a
list, for tests and small trees.

The verifiers follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step and
use nothing but the proof, so an auditor can run them without trusting the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache

__all__ = [
    "EMPTY_ROOT",
    "Subtree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "oracle_from_leaves",
    "root_from_inclusion_proof",
    "split_point",
    "verify_consistency",
    "verify_inclusion",
]

Subtree = Callable[[int, int], bytes]
"""``subtree(start, end)``: the Merkle tree hash of leaves ``start`` to ``end - 1``."""

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 6962 §2.1: MTH({}) = SHA-256()


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf entry: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def oracle_from_leaves(leaves: Sequence[bytes]) -> Subtree:
    """A subtree oracle over a list of leaf hashes (for tests and small trees)."""

    @cache
    def subtree(start: int, end: int) -> bytes:
        if end - start == 0:
            return EMPTY_ROOT
        if end - start == 1:
            return leaves[start]
        k = split_point(end - start)
        return node_hash(subtree(start, start + k), subtree(start + k, end))

    return subtree


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf ``index`` in a tree of ``size``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    return list(reversed(path))


def consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2: tree ``first`` is a prefix of tree ``second``."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to {second}")
    if first == second:
        return []
    proof: list[bytes] = []

    def walk(m: int, start: int, end: int, complete: bool) -> None:
        # SUBPROOF(m, D[start:end], complete)
        n = end - start
        if m == n:
            if not complete:
                proof.append(subtree(start, end))
            return
        k = split_point(n)
        if m <= k:
            walk(m, start, start + k, complete)
            proof.append(subtree(start + k, end))
        else:
            walk(m - k, start + k, end, False)
            proof.append(subtree(start, start + k))

    walk(first, 0, second, True)
    return proof


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2).

    Raises ValueError when the proof has the wrong length for ``index`` and ``size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if len(p) != 32:
            raise ValueError("proof element is not a SHA-256 hash")
        if sn == 0:
            raise ValueError("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` in the tree of ``size`` with ``root``."""
    try:
        return root_from_inclusion_proof(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows tree ``first`` (``first_root``) is a prefix of tree ``second``.

    Follows RFC 9162 §2.1.4.2 exactly, including its handling of ``first`` a power of two.
    """
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # first is an exact power of 2: its root leads the proof
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
