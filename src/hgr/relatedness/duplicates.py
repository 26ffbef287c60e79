"""The same person in many fingerprints: duplicate search by locality-sensitive hashing.

All-pairs comparison of a million fingerprints is 5 × 10^11 pairs; instead, each fingerprint
is cut into bands of a few random sites (bit-sampling LSH, Indyk & Motwani 1998) and only
fingerprints whose genotypes agree at every site of some band are compared. Two samples of
one person differ at a site with the genotyping error rate, so they agree on a band of ``r``
sites with probability (1 - d)^r and miss all ``L`` bands with probability
(1 - (1 - d)^r)^L: at d = 1%, r = 20, L = 32 that is 10^-23. Two unrelated people agree at a
common SNP with probability about 0.4, so on a band with 0.4^20 ≈ 10^-8: among 10^6
fingerprints a few hundred thousand candidate pairs, each checked exactly.

A candidate is a duplicate when its KING-robust kinship over the fingerprint is above the
duplicate threshold (0.354, KING); the evidence kept is the kinship, the discordance (share of
sites called in both with different genotypes) and the number of such sites. Monozygotic twins
are genetically one person and come out as duplicates too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hgr.exceptions import UsageError
from hgr.relatedness.degrees import DUPLICATE_MIN
from hgr.relatedness.kernels import NO_KEY, band_keys, listed_pair_counts
from hgr.relatedness.king import king_kinship
from hgr.relatedness.packed import PackedGenotypes

__all__ = ["DuplicatePairs", "LshSettings", "find_duplicates"]

# A bucket this large is no longer informative (a band of rare sites where most people are
# homozygous reference): its pairs would swamp the check, so it is skipped and counted.
MAX_BUCKET = 2_000
MIN_SITES = 200


@dataclass(frozen=True)
class LshSettings:
    """Bands of ``sites_per_band`` random sites; ``seed`` fixes which."""

    bands: int = 32
    sites_per_band: int = 20
    seed: int = 0


@dataclass(frozen=True)
class DuplicatePairs:
    """Pairs found to be one person, with the evidence, and what the search examined."""

    samples: tuple[str, ...]
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    kinship: NDArray[np.float64]
    ibs0: NDArray[np.int64]
    discordant: NDArray[np.int64]
    n_sites: NDArray[np.int64]
    candidates: int
    skipped_buckets: int

    def __len__(self) -> int:
        return int(self.a.size)

    @property
    def discordance(self) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.n_sites > 0, self.discordant / self.n_sites, np.nan)


def _band_sites(n_sites: int, settings: LshSettings) -> NDArray[np.int64]:
    if settings.sites_per_band > n_sites:
        raise UsageError(
            f"a band of {settings.sites_per_band} sites needs a fingerprint of at least as "
            f"many sites, not {n_sites}",
            code="E_FINGERPRINT_SITES",
        )
    rng = np.random.default_rng(settings.seed)
    return np.stack(
        [
            np.sort(rng.choice(n_sites, settings.sites_per_band, replace=False))
            for _ in range(settings.bands)
        ]
    ).astype(np.int64)


def candidate_pairs(
    fingerprints: PackedGenotypes, settings: LshSettings
) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Pairs (a < b) that share a band key, and the number of buckets skipped as too large."""
    keys = band_keys(fingerprints.planes, _band_sites(fingerprints.n_sites, settings))
    n = keys.shape[1]
    found: list[NDArray[np.int64]] = []
    skipped = 0
    for band in keys:
        order = np.argsort(band, kind="stable")
        ordered = band[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            if ordered[start] == NO_KEY:
                continue
            if size > MAX_BUCKET:
                skipped += 1
                continue
            members = np.sort(order[start : start + size])
            first, second = np.triu_indices(size, 1)
            found.append(members[first] * n + members[second])
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, skipped
    codes = np.unique(np.concatenate(found))
    return codes // n, codes % n, skipped


def find_duplicates(
    fingerprints: PackedGenotypes,
    *,
    settings: LshSettings | None = None,
    min_kinship: float = DUPLICATE_MIN,
    min_sites: int = MIN_SITES,
) -> DuplicatePairs:
    """Pairs of fingerprints that are one person (see the module docstring).

    ``min_sites``: pairs compared at fewer sites called in both are not called duplicates.
    """
    settings = settings or LshSettings()
    a, b, skipped = candidate_pairs(fingerprints, settings)
    counts = listed_pair_counts(fingerprints.planes, a, b)
    kinship = king_kinship(counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3])
    keep = (kinship > min_kinship) & (counts[:, 4] >= min_sites)
    return DuplicatePairs(
        samples=fingerprints.samples,
        a=a[keep],
        b=b[keep],
        kinship=kinship[keep],
        ibs0=counts[keep, 1],
        discordant=counts[keep, 5],
        n_sites=counts[keep, 4],
        candidates=int(a.size),
        skipped_buckets=skipped,
    )
