"""KING-robust kinship: compiled kernels against the reference, PLINK 2 and the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hgr.relatedness.king import classify, king_all_pairs, king_kinship
from hgr.relatedness.packed import MISSING, PackedGenotypes, pack_dosages
from hgr.relatedness.readers import read_genotype_files
from hgr.relatedness.reference import reference_counts
from hgr.vocabulary import Relationship
from tests.conftest import shared


def _names(n: int) -> list[str]:
    return [f"S{i}" for i in range(n)]


def _check_against_reference(dosages: np.ndarray, tile: int) -> None:
    packed = pack_dosages(_names(dosages.shape[1]), [dosages])
    pairs = king_all_pairs(packed, min_kinship=-np.inf, tile=tile, threads=2)
    n = dosages.shape[1]
    assert len(pairs) == n * (n - 1) // 2
    rows = dosages.tolist()
    for k in range(len(pairs)):
        a, b = int(pairs.a[k]), int(pairs.b[k])
        assert a < b
        got = tuple(
            int(x[k]) for x in (pairs.hethet, pairs.ibs0, pairs.het_a, pairs.het_b, pairs.n_sites)
        )
        expected = reference_counts(rows, a, b)
        assert got == expected, (a, b)
        hh, ib, ha, hb, _n = expected
        kinship = king_kinship(*(np.array([v]) for v in (hh, ib, ha, hb)))[0]
        assert np.isnan(kinship) == np.isnan(pairs.kinship[k])
        if not np.isnan(kinship):
            assert pairs.kinship[k] == pytest.approx(kinship)


def test_kernels_equal_the_reference_with_missing_calls_and_odd_sizes() -> None:
    rng = np.random.default_rng(7)
    # 1,000 sites: not a multiple of 64, so the last word is partly padding; tiles of 5
    # leave ragged edges.
    dosages = rng.integers(0, 3, (1_000, 23)).astype(np.int8)
    dosages[rng.random(dosages.shape) < 0.05] = MISSING
    dosages[:, :8] = np.abs(dosages[:, :8])  # complete samples: the two-popcount path
    dosages[:, 9] = dosages[:, 10]
    _check_against_reference(dosages, tile=5)


def test_kernel_word_chunks_past_one_chunk() -> None:
    rng = np.random.default_rng(3)
    dosages = rng.integers(0, 3, (20_000, 6)).astype(np.int8)  # 313 words: 3 chunks
    dosages[rng.random(dosages.shape) < 0.01] = MISSING
    dosages[:, 0] = np.abs(dosages[:, 0])
    dosages[:, 1] = np.abs(dosages[:, 1])
    _check_against_reference(dosages, tile=4)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.int8, st.tuples(st.integers(1, 200), st.integers(2, 9)), elements=st.integers(-1, 2)),
    st.integers(1, 10),
)
def test_kernels_equal_the_reference_on_any_matrix(dosages: np.ndarray, tile: int) -> None:
    _check_against_reference(dosages, tile)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 30))
def test_a_sample_and_its_copy_with_a_few_flipped_genotypes_are_duplicates(
    seed: int, flips: int
) -> None:
    rng = np.random.default_rng(seed)
    frequencies = rng.uniform(0.05, 0.5, 3_000)
    people = (rng.random((3_000, 2, 6)) < frequencies[:, None, None]).sum(axis=1)
    dosages = np.concatenate([people, people[:, :1]], axis=1).astype(np.int8)
    where = rng.choice(3_000, flips, replace=False)
    dosages[where, -1] = (dosages[where, -1] + rng.integers(1, 3, flips)) % 3  # 1% at most
    pairs = king_all_pairs(pack_dosages(_names(7), [dosages]), min_kinship=0.0442)
    row = pairs.lookup()[frozenset(("S0", "S6"))]
    assert pairs.relationships()[row] is Relationship.DUPLICATE


def test_classes_follow_king_thresholds_and_ibd_coefficients() -> None:
    kinship = np.array([0.5, 0.25, 0.25, 0.18, 0.125, 0.0625, 0.01, np.nan])
    # With unrelated IBS0 0.016: k0 = 0.006, 0.25, 0.28 (k2 = 0.25, 0.0), 0.31, ...
    ibs0 = np.array([0.0, 0.0001, 0.004, 0.0045, 0.005, 0.006, 0.01, 0.0])
    assert classify(kinship, ibs0, unrelated=0.016) == [
        Relationship.DUPLICATE,
        Relationship.PARENT_OFFSPRING,
        Relationship.FULL_SIBLINGS,
        Relationship.SECOND_DEGREE,  # first-degree kinship, but no IBD2: a grandparent
        Relationship.SECOND_DEGREE,
        Relationship.THIRD_DEGREE,
        Relationship.UNRELATED,
        Relationship.UNRELATED,
    ]


def test_samples_without_heterozygous_calls_get_no_kinship() -> None:
    dosages = np.array([[0, 2, 0], [2, 2, 1], [0, 0, 1]], dtype=np.int8)
    pairs = king_all_pairs(pack_dosages(_names(3), [dosages]), min_kinship=-np.inf)
    assert np.isnan(pairs.kinship[0])  # S0 and S1 are homozygous everywhere


@pytest.fixture(scope="module")
def thousand_genomes() -> tuple[object, dict[frozenset[str], tuple[float, ...]]]:
    folder = shared("1kg_phase3_subset")
    files = sorted((folder / "vcf").glob("1KG_phase3_subset_chr[0-9]*.vcf.gz"))
    packed, _counts = read_genotype_files(files)
    reference = {}
    table = folder / "reference" / "king_plink2_autosomes_snps_min0.03.kin0"
    for line in table.read_text().splitlines()[1:]:
        a, b, n, hethet, ibs0, kinship = line.split()
        reference[frozenset((a, b))] = (int(n), float(hethet), float(ibs0), float(kinship))
    return packed, reference


def test_kinship_equals_plink2_make_king_table_on_1000_genomes(
    thousand_genomes: tuple[object, dict[frozenset[str], tuple[float, ...]]],
) -> None:
    packed, reference = thousand_genomes
    assert packed.n_sites == 22_220  # type: ignore[attr-defined]
    pairs = king_all_pairs(packed, min_kinship=0.03)  # type: ignore[arg-type]
    rows = pairs.lookup()
    assert set(rows) == set(reference)
    for key, (n, hethet, ibs0, kinship) in reference.items():
        row = rows[key]
        assert pairs.n_sites[row] == n
        assert pairs.kinship[row] == pytest.approx(kinship, abs=1e-6)
        # PLINK prints 6 significant digits of the proportions.
        assert pairs.hethet_fraction[row] == pytest.approx(hethet, rel=1e-5)
        assert pairs.ibs0_fraction[row] == pytest.approx(ibs0, rel=1e-5, abs=1e-9)


def test_1000_genomes_cryptic_relatives_are_classed(
    thousand_genomes: tuple[object, dict[frozenset[str], tuple[float, ...]]],
) -> None:
    packed, _reference = thousand_genomes
    pairs = king_all_pairs(packed)  # type: ignore[arg-type]
    classes = pairs.relationships()
    first = {Relationship.PARENT_OFFSPRING, Relationship.FULL_SIBLINGS}
    found = {
        frozenset((pairs.samples[a], pairs.samples[b])): c
        for a, b, c in zip(pairs.a, pairs.b, classes, strict=True)
    }
    uwgac = shared("1kg_phase3_subset", "reference", "uwgac_king_related_pairs.tsv")
    first_degree = set()
    for line in Path(uwgac).read_text().splitlines()[1:]:
        a, b, kinship = line.split()
        if float(kinship) >= 0.177:
            first_degree.add(frozenset((a, b)))
    assert len(first_degree) == 9
    assert {k for k, c in found.items() if c in first} == first_degree
    assert sum(c is Relationship.SECOND_DEGREE for c in classes) == 5
    # IBS0 separates the two siblings pairs from the seven parent-child pairs.
    assert sum(c is Relationship.FULL_SIBLINGS for c in classes) == 2
    assert found[frozenset(("NA20320", "NA20321"))] is Relationship.PARENT_OFFSPRING


def test_planes_rewrapped_or_joined_keep_every_total() -> None:
    rng = np.random.default_rng(5)
    dosages = rng.integers(-1, 3, (300, 9)).astype(np.int8)
    whole = pack_dosages(_names(9), [dosages])
    again = PackedGenotypes.from_planes(whole.samples, whole.n_sites, whole.planes)
    left = pack_dosages(_names(9)[:4], [dosages[:, :4]])
    right = pack_dosages(_names(9)[4:], [dosages[:, 4:]])
    joined = PackedGenotypes.concatenate([left, right])
    for other in (again, joined):
        for name in ("complete", "het_count", "called_count", "site_alt", "site_called"):
            np.testing.assert_array_equal(getattr(other, name), getattr(whole, name))
        np.testing.assert_array_equal(other.planes, whole.planes)
