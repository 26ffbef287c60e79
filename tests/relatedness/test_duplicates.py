"""Duplicate search by LSH: every planted duplicate found, siblings and strangers left alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hgr.exceptions import UsageError
from hgr.relatedness.duplicates import LshSettings, candidate_pairs, find_duplicates
from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.packed import pack_dosages
from hgr.synth.fingerprints import synthetic_fingerprints


def test_planted_duplicates_are_found_and_siblings_are_not() -> None:
    synthetic = synthetic_fingerprints(3_000, 1_024, duplicates=200, siblings=100, seed=4)
    found = find_duplicates(synthetic.fingerprints)
    pairs = set(zip(found.a.tolist(), found.b.tolist(), strict=True))
    assert pairs == synthetic.duplicates
    assert not pairs & synthetic.siblings
    assert found.candidates < 2_000  # not all 4.8 million pairs
    assert (found.discordance <= 0.03).all()
    assert (found.n_sites > 900).all()


def test_the_index_finds_what_all_pairs_king_finds() -> None:
    synthetic = synthetic_fingerprints(600, 512, duplicates=30, siblings=30, seed=9)
    everything = king_all_pairs(synthetic.fingerprints, min_kinship=0.354)
    expected = set(zip(everything.a.tolist(), everything.b.tolist(), strict=True))
    found = find_duplicates(synthetic.fingerprints, min_sites=100)
    assert set(zip(found.a.tolist(), found.b.tolist(), strict=True)) == expected


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.01))
def test_a_copy_with_up_to_one_percent_discordance_is_always_found(seed: int, rate: float) -> None:
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.2, 0.5, 2_048)
    people = (rng.random((2, 2_048, 50)) < frequency[None, :, None]).sum(axis=0)
    copy = people[:, :1].copy()
    flip = rng.random(2_048) < rate
    copy[flip, 0] = (copy[flip, 0] + 1) % 3
    dosages = np.concatenate([people, copy], axis=1).astype(np.int8)
    fingerprints = pack_dosages([f"F{i}" for i in range(51)], [dosages])
    found = find_duplicates(fingerprints)
    assert (0, 50) in set(zip(found.a.tolist(), found.b.tolist(), strict=True))


def test_missing_calls_never_make_a_band_match() -> None:
    dosages = np.full((64, 3), -1, dtype=np.int8)  # nobody called anywhere
    fingerprints = pack_dosages(["A", "B", "C"], [dosages])
    a, _b, _skipped = candidate_pairs(fingerprints, LshSettings(bands=4, sites_per_band=8))
    assert a.size == 0


def test_bands_wider_than_the_fingerprint_are_refused() -> None:
    fingerprints = pack_dosages(["A", "B"], [np.zeros((10, 2), dtype=np.int8)])
    with pytest.raises(UsageError) as caught:
        find_duplicates(fingerprints, settings=LshSettings(sites_per_band=20))
    assert caught.value.code == "E_FINGERPRINT_SITES"
