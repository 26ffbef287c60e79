"""The exact test of Hardy–Weinberg equilibrium for biallelic sites.

Wigginton, Cutler & Abecasis (2005), "A note on exact tests of Hardy-Weinberg equilibrium",
Am J Hum Genet 76:887-893: the probability of each heterozygote count given the allele
counts, by recurrence from the most likely count, and the p-value as the total probability of
the counts no more likely than the one observed. PLINK's ``--hardy`` uses the same test.
``hwe_exact_reference`` is the plain-Python statement of it; ``hwe_exact`` is the compiled
kernel applied to many sites at once, tested against it.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["hwe_exact", "hwe_exact_reference"]


def hwe_exact_reference(hets: int, hom1: int, hom2: int) -> float:
    """The exact HWE p-value of one site from its genotype counts (reference version)."""
    if hets < 0 or hom1 < 0 or hom2 < 0:
        raise ValueError("genotype counts cannot be negative")
    homr, homc = min(hom1, hom2), max(hom1, hom2)
    rare = 2 * homr + hets
    genotypes = hets + homr + homc
    if genotypes == 0:
        return 1.0
    probs = [0.0] * (rare + 1)
    mid = rare * (2 * genotypes - rare) // (2 * genotypes)
    if (rare % 2) != (mid % 2):
        mid += 1
    probs[mid] = 1.0
    total = 1.0
    h, r, c = mid, (rare - mid) // 2, genotypes - mid - (rare - mid) // 2
    while h > 1:
        probs[h - 2] = probs[h] * h * (h - 1) / (4.0 * (r + 1) * (c + 1))
        total += probs[h - 2]
        h, r, c = h - 2, r + 1, c + 1
    h, r, c = mid, (rare - mid) // 2, genotypes - mid - (rare - mid) // 2
    while h <= rare - 2:
        probs[h + 2] = probs[h] * 4.0 * r * c / ((h + 2.0) * (h + 1.0))
        total += probs[h + 2]
        h, r, c = h + 2, r - 1, c - 1
    observed = probs[hets] / total
    p = sum(prob / total for prob in probs if prob / total <= observed * (1 + 1e-7))
    return min(1.0, p)


@numba.njit(cache=True, nogil=True)
def _hwe_one(hets: int, hom1: int, hom2: int, probs: NDArray[np.float64]) -> float:
    homr = min(hom1, hom2)
    homc = max(hom1, hom2)
    rare = 2 * homr + hets
    genotypes = hets + homr + homc
    if genotypes == 0:
        return 1.0
    probs[: rare + 1] = 0.0
    mid = rare * (2 * genotypes - rare) // (2 * genotypes)
    if (rare % 2) != (mid % 2):
        mid += 1
    probs[mid] = 1.0
    total = 1.0
    h = mid
    r = (rare - mid) // 2
    c = genotypes - mid - r
    while h > 1:
        probs[h - 2] = probs[h] * h * (h - 1) / (4.0 * (r + 1) * (c + 1))
        total += probs[h - 2]
        h -= 2
        r += 1
        c += 1
    h = mid
    r = (rare - mid) // 2
    c = genotypes - mid - r
    while h <= rare - 2:
        probs[h + 2] = probs[h] * 4.0 * r * c / ((h + 2.0) * (h + 1.0))
        total += probs[h + 2]
        h += 2
        r -= 1
        c -= 1
    observed = probs[hets] / total
    p = 0.0
    for i in range(rare + 1):
        prob = probs[i] / total
        if prob <= observed * (1 + 1e-7):
            p += prob
    return min(1.0, p)


@numba.njit(cache=True, nogil=True)
def _hwe_many(
    hets: NDArray[np.int64], hom1: NDArray[np.int64], hom2: NDArray[np.int64]
) -> NDArray[np.float64]:
    out = np.empty(hets.shape[0], dtype=np.float64)
    largest = 0
    for i in range(hets.shape[0]):
        largest = max(largest, hets[i] + 2 * min(hom1[i], hom2[i]))
    probs = np.zeros(largest + 1, dtype=np.float64)
    for i in range(hets.shape[0]):
        out[i] = _hwe_one(hets[i], hom1[i], hom2[i], probs)
    return out


def hwe_exact(
    hets: NDArray[np.integer], hom1: NDArray[np.integer], hom2: NDArray[np.integer]
) -> NDArray[np.float64]:
    """Exact HWE p-values of many sites: heterozygote and both homozygote counts per site."""
    result: NDArray[np.float64] = _hwe_many(
        np.asarray(hets, dtype=np.int64),
        np.asarray(hom1, dtype=np.int64),
        np.asarray(hom2, dtype=np.int64),
    )
    return result
