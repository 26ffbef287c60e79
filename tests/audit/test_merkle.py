"""RFC 6962 tree hashing and the RFC 9162 verifiers: reference root, every proof, mutations."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hgr.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    oracle_from_leaves,
    verify_consistency,
    verify_inclusion,
)

# The 8-entry reference tree of RFC 6962's test data (security.md §3.2), and its root.
CT_ENTRIES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(1 << 16)]
TREE = oracle_from_leaves(LEAVES)


def test_reference_tree_root() -> None:
    tree = oracle_from_leaves([leaf_hash(bytes.fromhex(e)) for e in CT_ENTRIES])
    assert tree(0, 8).hex() == CT_ROOT_8
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert len(consistency_proof(1, 8, tree)) == 3  # RFC 9162's proof from 1 to 8


def test_every_proof_of_small_trees_verifies() -> None:
    for size in range(1, 70):
        root = TREE(0, size)
        for index in range(size):
            proof = inclusion_proof(index, size, TREE)
            assert len(proof) <= (size - 1).bit_length()
            assert verify_inclusion(index, size, LEAVES[index], proof, root)
        for first in range(1, size + 1):
            proof = consistency_proof(first, size, TREE)
            assert verify_consistency(first, size, TREE(0, first), root, proof)


def _flip(proof: list[bytes], element: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[element])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:element], bytes(changed), *proof[element + 1 :]]


def _inclusion_mutations(index: int, size: int, proof: list[bytes], root: bytes):  # type: ignore[no-untyped-def]
    """The mutation classes of the transparency-dev test vectors, for an inclusion proof."""
    garbage = hashlib.sha256(b"garbage").digest()
    yield "index+1", index + 1, size, LEAVES[index], proof, root
    yield "index-1", index - 1, size, LEAVES[index], proof, root
    yield "index^2", index ^ 2, size, LEAVES[index], proof, root
    yield "size*2", index, size * 2, LEAVES[index], proof, root
    yield "size/2", index, size // 2, LEAVES[index], proof, root
    yield "preceding-garbage", index, size, LEAVES[index], [garbage, *proof], root
    yield "trailing-garbage", index, size, LEAVES[index], [*proof, garbage], root
    if proof:
        yield "removed-component", index, size, LEAVES[index], proof[:-1], root
        yield (
            "inserted-component",
            index,
            size,
            LEAVES[index],
            [*proof[:1], garbage, *proof[1:]],
            root,
        )
        for element in range(len(proof)):
            yield f"bit-{element}", index, size, LEAVES[index], _flip(proof, element, 4), root
    yield "empty-root", index, size, LEAVES[index], proof, EMPTY_ROOT
    yield "random-root", index, size, LEAVES[index], proof, garbage
    yield "wrong-leaf", index, size, leaf_hash(b"wrong"), proof, root


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_inclusion_proofs_verify_and_no_mutation_does(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 1 << 15))  # so that size * 2 stays within LEAVES
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, TREE)
    root = TREE(0, size)
    assert verify_inclusion(index, size, LEAVES[index], proof, root)
    for name, i, n, leaf, bad, r in _inclusion_mutations(index, size, proof, root):
        if name.startswith("index") and (not 0 <= i < n or LEAVES[i] == leaf):
            continue
        if name.startswith("size") and (n <= index or n == size):
            continue
        if name.startswith("size") and inclusion_proof(index, n, TREE) == proof and TREE(0, n) == r:
            continue  # the same proof and root really do hold for that size
        assert not verify_inclusion(i, n, leaf, bad, r), name


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_consistency_proofs_verify_and_no_mutation_does(data: st.DataObject) -> None:
    second = data.draw(st.integers(2, 1 << 15))
    first = data.draw(st.integers(1, second - 1))
    proof = consistency_proof(first, second, TREE)
    first_root, second_root = TREE(0, first), TREE(0, second)
    assert verify_consistency(first, second, first_root, second_root, proof)
    garbage = hashlib.sha256(b"garbage").digest()
    mutations = {
        "swapped-roots": (first, second, second_root, first_root, proof),
        "wrong-root1": (first, second, garbage, second_root, proof),
        "wrong-root2": (first, second, first_root, garbage, proof),
        "empty-proof": (first, second, first_root, second_root, []),
        "preceding-garbage": (first, second, first_root, second_root, [garbage, *proof]),
        "trailing-garbage": (first, second, first_root, second_root, [*proof, garbage]),
        "truncated-proof": (first, second, first_root, second_root, proof[:-1]),
        "first+1": (first + 1, second, first_root, second_root, proof),
        "second*2": (first, second * 2, first_root, second_root, proof),
    }
    for element in range(len(proof)):
        mutations[f"bit-{element}"] = (
            first,
            second,
            first_root,
            second_root,
            _flip(proof, element, 4),
        )
    for name, (m, n, r1, r2, bad) in mutations.items():
        if name == "first+1" and m == n:
            continue
        assert not verify_consistency(m, n, r1, r2, bad), name


def test_proofs_refuse_impossible_positions() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(5, 5, TREE)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(0, 5, TREE)
    assert not verify_inclusion(-1, 5, LEAVES[0], [], TREE(0, 5))
    assert not verify_consistency(6, 5, TREE(0, 6), TREE(0, 5), [])
    assert verify_consistency(5, 5, TREE(0, 5), TREE(0, 5), [])
