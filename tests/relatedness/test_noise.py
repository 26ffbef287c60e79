"""The noise of kinship from the sites alone, measured on two halves of them, and its warning."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hgr.relatedness.noise import kinship_noise, measured_noise, noise_warning
from hgr.relatedness.packed import pack_dosages
from hgr.relatedness.relate import short_title


def _unrelated(samples: int, sites: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """Unrelated people at independent sites in Hardy-Weinberg proportions."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 0.5, sites)[:, None]
    dosages = (rng.random((sites, samples)) < p).astype(np.int8)
    dosages += rng.random((sites, samples)) < p
    return pack_dosages([f"S{i}" for i in range(samples)], [dosages], expected_sites=sites)


@pytest.mark.parametrize("sites", [1_000, 40_000])
def test_the_noise_measured_on_halves_is_the_noise_of_independent_sites(sites: int) -> None:
    """Where the sites are independent and in Hardy-Weinberg proportions, the halves measure
    what theory gives, sqrt(3 / (4 M)); the measurement does not just return that floor."""
    packed = _unrelated(120, sites)
    measured = measured_noise(packed)
    expected = math.sqrt(0.75 / sites)
    assert measured is not None
    assert 0.8 * expected < measured < 1.25 * expected
    assert kinship_noise(packed) == max(expected, measured)


def test_linked_sites_measure_more_noise_than_independent_ones() -> None:
    """The same number of sites, each copied four times in a row (as linked sites are): a
    quarter of the information, twice the noise, which the halves see and theory does not."""
    independent = _unrelated(120, 10_000)
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.5, 2_500)[:, None]
    base = (rng.random((2_500, 120)) < p).astype(np.int8)
    base += rng.random((2_500, 120)) < p
    linked = pack_dosages(
        [f"S{i}" for i in range(120)], [np.repeat(base, 4, axis=0)], expected_sites=10_000
    )
    linked_noise, independent_noise = measured_noise(linked), measured_noise(independent)
    assert linked_noise is not None
    assert independent_noise is not None
    assert linked_noise > 1.6 * independent_noise


def test_the_warning_names_the_sites_and_the_closest_degree_chance_reaches() -> None:
    assert noise_warning(22_220, 0.01) is None  # three deviations stay under 0.0442
    third = noise_warning(22_220, 0.020)
    assert third is not None
    assert "22,220 sites" in third
    assert "±0.020" in third
    assert "called third degree by chance" in third
    one_chromosome = noise_warning(1_010, 0.143)
    assert one_chromosome is not None
    assert "called duplicates by chance" in one_chromosome


def test_a_title_names_one_file_or_the_first_of_many() -> None:
    files = [Path(f"chr{n}.vcf.gz") for n in range(1, 23)]
    assert short_title(files[:1]) == "chr1.vcf.gz"
    assert short_title(files) == "chr1.vcf.gz and 21 more files"
