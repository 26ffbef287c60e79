"""How much a pair's kinship moves from the sites alone, and the warning when that is too much.

KING-robust kinship is a ratio of counts over the sites compared, so with few sites chance
alone moves it: one chromosome of the 1000 Genomes subset (1,010 SNVs) scatters each pair's
kinship by about ±0.14, and then tens of thousands of unrelated pairs pass the third-degree
threshold. The noise is measured, not assumed: the sites are split into two halves (the first
and second half of the genome, so that linked sites stay together), and the kinship of the same
pairs is computed on each. Chance is the only thing that differs between the halves (ancestry
and relationship are the same in both), so for ``σ`` the noise over all the sites, each half
having twice its variance, ``Var(half₁ - half₂) = 4σ²``.

Linked sites and population structure make the noise far larger than the independent-sites
figure ``sqrt(3 / (4 M))`` (from a per-site variance of ``12 p²q²`` against a denominator of
``4 pq``, under Hardy-Weinberg proportions): on all 22,220 autosomal SNVs of that subset the
halves give ±0.020, against 0.006 in theory. That figure is the floor used where too few
samples leave no pairs to measure on.
"""

from __future__ import annotations

import math

import numpy as np

from hgr.relatedness.degrees import (
    DUPLICATE_MIN,
    FIRST_DEGREE_MIN,
    SECOND_DEGREE_MIN,
    THIRD_DEGREE_MIN,
)
from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.packed import WORD_BITS, PackedGenotypes

__all__ = ["MEASURED_ON", "kinship_noise", "measured_noise", "noise_warning"]

MEASURED_ON = 200
"""Samples whose pairs (19,900) measure the noise: enough for a standard deviation, and quick
at any cohort size."""
_FEWEST_PAIRS = 45  # ten samples
# Each degree's lower kinship threshold (KING's), weakest first.
_DEGREES = (
    ("third degree", THIRD_DEGREE_MIN),
    ("second degree", SECOND_DEGREE_MIN),
    ("first degree", FIRST_DEGREE_MIN),
    ("duplicates", DUPLICATE_MIN),
)


def kinship_noise(packed: PackedGenotypes) -> float:
    """The standard deviation of one pair's kinship from the sites alone (module docstring):
    as measured on halves, never below the independent-sites figure."""
    floor = math.sqrt(0.75 / packed.n_sites) if packed.n_sites else math.inf
    measured = measured_noise(packed)
    return floor if measured is None else max(floor, measured)


def measured_noise(packed: PackedGenotypes) -> float | None:
    """The noise measured on two halves of the sites; None where too few samples or sites
    leave nothing to measure on."""
    words = packed.planes.shape[2]
    half = words // 2
    count = min(len(packed.samples), MEASURED_ON)
    if half == 0 or count * (count - 1) // 2 < _FEWEST_PAIRS:
        return None
    samples = packed.samples[:count]
    first = PackedGenotypes.from_planes(samples, half * WORD_BITS, packed.planes[:, :count, :half])
    second = PackedGenotypes.from_planes(
        samples, packed.n_sites - half * WORD_BITS, packed.planes[:, :count, half:]
    )
    a = king_all_pairs(first, min_kinship=-np.inf)
    b = king_all_pairs(second, min_kinship=-np.inf)
    difference = a.kinship - b.kinship  # the same pairs, in the same order
    difference = difference[np.isfinite(difference)]
    if difference.size < _FEWEST_PAIRS:
        return None
    return float(np.std(difference)) / 2


def noise_warning(sites: int, noise: float) -> str | None:
    """A warning when chance alone can carry an unrelated pair past the third-degree threshold
    (three standard deviations reach it: more than one pair in a thousand), naming the closest
    degree whose calls chance can still make; else None."""
    reached = [name for name, threshold in _DEGREES if 3 * noise >= threshold]
    if not reached:
        return None
    return (
        f"only {sites:,} sites compared: from the sites alone, a pair's kinship varies by about "
        f"±{noise:.3f} (one standard deviation, measured on two halves of the sites), so "
        f"unrelated pairs can be called {reached[-1]} by chance. Compare more sites (every "
        "autosome, a denser array), and read such calls with care."
    )
