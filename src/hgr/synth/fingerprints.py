"""Synthetic identity fingerprints at national scale, with planted duplicates.

A fingerprint is a person's genotypes at a fixed panel of common SNPs (see
``relatedness.fingerprints``). Here a million of them are drawn directly, site block by site
block, from Balding–Nichols population frequencies (four populations, F_ST 0.02) on panel
sites with minor allele frequency 0.2–0.5, with 1% of calls missing. Some people are
fingerprinted twice, at another institution: the second fingerprint differs from the first at
a share of sites drawn uniformly up to ``max_discordance`` (genotyping error), and has missing
calls of its own. Full siblings are planted too, as the closest non-duplicates a search must
not call duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hgr.relatedness.packed import MISSING, PackedGenotypes, pack_dosages

__all__ = ["SyntheticFingerprints", "synthetic_fingerprints"]

_SITE_BLOCK = 32


@dataclass(frozen=True)
class SyntheticFingerprints:
    """Fingerprints (samples ``FP…``) and the truth: which are one person, which siblings."""

    fingerprints: PackedGenotypes
    duplicates: set[tuple[int, int]]
    siblings: set[tuple[int, int]]
    discordance: dict[tuple[int, int], float]


def synthetic_fingerprints(
    people: int,
    sites: int,
    *,
    duplicates: int,
    siblings: int = 0,
    max_discordance: float = 0.01,
    missing: float = 0.01,
    seed: int = 0,
) -> SyntheticFingerprints:
    """``people`` fingerprints plus ``duplicates`` second fingerprints of some of them.

    The second fingerprints come last; ``siblings`` pairs of the first ``people`` are full
    siblings (each pair's second member is redrawn from the first's parents).
    """
    rng = np.random.default_rng(seed)
    total = people + duplicates
    copied = rng.choice(people, duplicates, replace=False)
    sibling_pairs = rng.choice(np.setdiff1d(np.arange(people), copied), (siblings, 2), False)
    rates = rng.uniform(0, max_discordance, duplicates)
    population = rng.integers(0, 4, people)
    ancestral = rng.uniform(0.2, 0.5, sites)

    def blocks() -> Iterator[NDArray[np.int8]]:
        for start in range(0, sites, _SITE_BLOCK):
            stop = min(start + _SITE_BLOCK, sites)
            p = ancestral[start:stop]
            frequency = rng.beta(p * 49, (1 - p) * 49, size=(4, stop - start))  # F_ST 0.02
            chance = frequency[population].T  # (sites, people)
            haplotypes = rng.random((2, stop - start, people)) < chance
            if siblings:
                # Siblings: children of two new parents, one allele from each.
                parents = rng.random((4, stop - start, siblings)) < chance[:, sibling_pairs[:, 0]]
                for child in (0, 1):
                    pick = rng.integers(0, 2, (2, stop - start, siblings))
                    haplotypes[0][:, sibling_pairs[:, child]] = np.where(
                        pick[0] == 0, parents[0], parents[1]
                    )
                    haplotypes[1][:, sibling_pairs[:, child]] = np.where(
                        pick[1] == 0, parents[2], parents[3]
                    )
            calls = haplotypes.sum(axis=0, dtype=np.int8)
            second = calls[:, copied].copy()
            errors = rng.random(second.shape) < rates
            second[errors] = (second[errors] + rng.integers(1, 3, int(errors.sum()))) % 3
            block = np.concatenate([calls, second], axis=1)
            block[rng.random(block.shape) < missing] = MISSING
            yield block

    packed = pack_dosages([f"FP{i:07d}" for i in range(total)], blocks(), expected_sites=sites)
    pairs = {(int(c), people + k) for k, c in enumerate(copied)}
    return SyntheticFingerprints(
        fingerprints=packed,
        duplicates=pairs,
        siblings={(int(min(a, b)), int(max(a, b))) for a, b in sibling_pairs},
        discordance={(int(c), people + k): float(rates[k]) for k, c in enumerate(copied)},
    )
