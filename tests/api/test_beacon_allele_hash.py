"""Exact sequence queries on the allele hashes give what matching the allele strings gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import zarr

from hgr.beacon.query import VariantParams
from hgr.beacon.variants import StoreIndex
from hgr.genotypes.allele_hash import NO_ALLELE, allele_hash
from tests.api.beacon_node import BeaconNode


@pytest.fixture(scope="module")
def store(beacon_template: BeaconNode) -> Path:
    found = sorted(beacon_template.home.rglob("variant_allele_hash"))
    assert len(found) == 1, found
    return found[0].parent


def _records(index: StoreIndex) -> list[tuple[str, int, list[str]]]:
    contig_of = {lo: name for name, (lo, _hi) in index.bounds.items()}
    starts = sorted(contig_of)
    alleles = np.asarray(index.group["variant_allele"][:])
    records = []
    for i in range(index.variants):
        lo = max(s for s in starts if s <= i)
        row = index.row(i)
        records.append((contig_of[lo], int(index.position[i]), [str(a) for a in alleles[row]]))
    return records


def test_the_summary_pass_writes_the_hash_of_every_allele(store: Path) -> None:
    group = zarr.open_group(store, mode="r")
    alleles = np.asarray(group["variant_allele"][:])
    hashes = np.asarray(group["variant_allele_hash"][:])
    assert hashes.shape == alleles.shape
    assert hashes.dtype == np.uint64
    for record, row in zip(alleles.tolist(), hashes.tolist(), strict=True):
        assert row[0] == NO_ALLELE
        for k in range(1, len(record)):
            alt = str(record[k])
            expected = allele_hash(str(record[0]), alt) if alt and alt != "." else NO_ALLELE
            assert row[k] == expected


def test_every_sequence_query_matches_as_on_the_strings(store: Path) -> None:
    hashed = StoreIndex(store)
    assert hashed.hashes is not None
    strings = StoreIndex(store)
    strings.hashes = None  # as a store written before the hashes: match on the strings
    asked = 0
    for contig, position, alleles in _records(hashed):
        ref = alleles[0]
        for alt in [a for a in alleles[1:] if a] + ["T" if ref != "T" else "G"]:
            for extra in (
                {},
                {"variant_type": "SNP"},
                {"variant_type": "INDEL"},
                {"min_length": 2},
                {"max_length": 1},
            ):
                query = VariantParams(
                    contig, (position - 1,), reference_bases=ref, alternate_bases=alt, **extra
                )  # type: ignore[arg-type]
                assert hashed.find(query) == strings.find(query), query
                asked += 1
        # A REF other than the record's matches nothing on either path.
        wrong = VariantParams(
            contig, (position - 1,), reference_bases=ref + "A", alternate_bases=alleles[1] or "A"
        )
        assert hashed.find(wrong) == strings.find(wrong) == []
    assert asked > 1_000
    found = hashed.find(VariantParams(*_first_snv(hashed)))
    assert len(found) == 1


def _first_snv(index: StoreIndex) -> tuple[str, tuple[int], None, str | None, str | None]:
    for contig, position, alleles in _records(index):
        if len(alleles[0]) == 1 and len(alleles[1]) == 1:
            return contig, (position - 1,), None, alleles[0], alleles[1]
    raise AssertionError("no SNV in the store")


def test_a_store_without_hashes_is_matched_on_the_strings(store: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-store"
    shutil.copytree(store, old)
    group = zarr.open_group(old, mode="r+")
    del group["variant_allele_hash"]
    index = StoreIndex(old)
    assert index.hashes is None
    contig, start, _end, ref, alt = _first_snv(index)
    query = VariantParams(contig, start, reference_bases=ref, alternate_bases=alt)
    assert index.find(query) == StoreIndex(store).find(query) != []
