"""KING-robust kinship for all pairs of samples, blocked into tiles, with relationship classes.

The estimator is KING's between-family ("robust") one (Manichaikul et al. 2010,
Bioinformatics 26:2867, eq. 11), written as PLINK 2's ``--make-king`` computes it::

    kinship = 1/2 - (4 ibs0 + het_i_only + het_j_only)
                    / (4 (hethet + min(het_i_only, het_j_only)))

where ``het_i_only`` counts sites where i is heterozygous and j homozygous. This equals the
paper's form ``(hethet - 2 ibs0) / (2 m) + 1/2 - (het_i + het_j) / (4 m)`` with ``m`` the
smaller het count, and is robust to population structure because only the pair's own
genotypes enter it.

Relationship classes use KING's thresholds, powers of two apart (the KING manual, "kinship
inference"): above 2^-1.5 (0.354) duplicate or MZ twin, above 2^-2.5 (0.177) first degree,
above 2^-3.5 (0.0884) second, above 2^-4.5 (0.0442) third. Pairs in the first-degree range are
then told apart by their IBD coefficients. ``k0`` (the share of the genome with no allele IBD)
is estimated as the pair's IBS0 over the IBS0 expected of two unrelated people given the data's
allele frequencies (the mean of 2 p^2 q^2 over sites): opposite homozygotes need IBD0.
``k2`` then follows from kinship = k1/4 + k2/2 and k0 + k1 + k2 = 1, as 4 kinship + k0 - 1.

- parent and child: k0 = 0 (one allele always shared), so k0 at most ``PO_MAX_K0``;
- full siblings: k0 = 1/4 and k2 = 1/4, so k2 at least ``FS_MIN_K2``;
- otherwise k2 = 0 with kinship at the top of its range: a second-degree pair (a grandparent
  who passed on more than half, say) and not a first-degree one.

On simulated families the k2 of full siblings stays above 0.11 and that of second-degree pairs
below 0.01; KING's kinship cut alone calls about one second-degree pair in a thousand first
degree.

The all-pairs matrix is cut into square tiles; only tiles on or above the diagonal are
computed. Tiles run on a thread pool (the kernels release the GIL) or, given a Dask client,
as tasks on a cluster; on a GPU the same counts come from matrix products (``gpu.py``).
Whichever computes them, the pairs come back with the same values in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hgr.exceptions import UsageError
from hgr.relatedness.degrees import (
    DEFAULT_MIN_KINSHIP,
    DUPLICATE_MIN,
    FIRST_DEGREE_MIN,
    FS_MIN_K2,
    PO_MAX_K0,
    SECOND_DEGREE_MIN,
    THIRD_DEGREE_MIN,
)
from hgr.relatedness.kernels import count_tile, listed_pair_counts
from hgr.relatedness.packed import PackedGenotypes
from hgr.vocabulary import Relationship

__all__ = [
    "DEFAULT_MIN_KINSHIP",
    "KingPairs",
    "classify",
    "king_all_pairs",
    "king_kinship",
    "king_listed_pairs",
    "unrelated_ibs0",
]

DEFAULT_TILE = 256


def king_kinship(
    hethet: NDArray[np.int64],
    ibs0: NDArray[np.int64],
    het_i: NDArray[np.int64],
    het_j: NDArray[np.int64],
) -> NDArray[np.float64]:
    """KING-robust kinship from the counts; NaN where neither sample has a het call."""
    i_only = het_i - hethet
    j_only = het_j - hethet
    denominator = 4.0 * (hethet + np.minimum(i_only, j_only))
    with np.errstate(divide="ignore", invalid="ignore"):
        kinship = 0.5 - (4.0 * ibs0 + i_only + j_only) / denominator
    return np.where(denominator > 0, kinship, np.nan)


def unrelated_ibs0(packed: PackedGenotypes) -> float:
    """IBS0 proportion expected of two unrelated people: the mean of 2 p^2 q^2 over sites."""
    p = packed.alt_frequency[np.isfinite(packed.alt_frequency)]
    return float(np.mean(2 * p * p * (1 - p) * (1 - p))) if p.size else 0.0


def classify(
    kinship: NDArray[np.float64], ibs0: NDArray[np.float64], unrelated: float
) -> list[Relationship]:
    """Relationship class of each pair from its kinship and IBS0 proportion.

    ``unrelated`` is the IBS0 proportion expected of unrelated people (``unrelated_ibs0``).
    """
    result = []
    for k, z in zip(kinship.tolist(), ibs0.tolist(), strict=True):
        if not k >= THIRD_DEGREE_MIN:  # NaN lands here too
            result.append(Relationship.UNRELATED)
        elif k > DUPLICATE_MIN:
            result.append(Relationship.DUPLICATE)
        elif k > FIRST_DEGREE_MIN:
            k0 = z / unrelated if unrelated > 0 else 0.25
            if k0 <= PO_MAX_K0:
                result.append(Relationship.PARENT_OFFSPRING)
            elif 4 * k + k0 - 1 >= FS_MIN_K2:
                result.append(Relationship.FULL_SIBLINGS)
            else:
                result.append(Relationship.SECOND_DEGREE)
        elif k > SECOND_DEGREE_MIN:
            result.append(Relationship.SECOND_DEGREE)
        else:
            result.append(Relationship.THIRD_DEGREE)
    return result


@dataclass(frozen=True)
class KingPairs:
    """Sample pairs with their KING counts and kinship; ``a`` < ``b`` index ``samples``."""

    samples: tuple[str, ...]
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    hethet: NDArray[np.int64]
    ibs0: NDArray[np.int64]
    het_a: NDArray[np.int64]
    het_b: NDArray[np.int64]
    n_sites: NDArray[np.int64]
    kinship: NDArray[np.float64]
    unrelated_ibs0: float

    def __len__(self) -> int:
        return int(self.a.size)

    @property
    def ibs0_fraction(self) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.n_sites > 0, self.ibs0 / self.n_sites, np.nan)

    @property
    def hethet_fraction(self) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.n_sites > 0, self.hethet / self.n_sites, np.nan)

    def relationships(self) -> list[Relationship]:
        return classify(self.kinship, self.ibs0_fraction, self.unrelated_ibs0)

    def lookup(self) -> dict[frozenset[str], int]:
        """Row of each pair, keyed by its two sample ids."""
        return {
            frozenset((self.samples[a], self.samples[b])): row
            for row, (a, b) in enumerate(zip(self.a.tolist(), self.b.tolist(), strict=True))
        }


_FIELDS = ("a", "b", "hethet", "ibs0", "het_a", "het_b", "n_sites", "kinship")


def _tiles(n: int, size: int) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    starts = list(range(0, n, size))
    for x, row_start in enumerate(starts):
        rows = np.arange(row_start, min(row_start + size, n), dtype=np.int64)
        for col_start in starts[x:]:
            yield rows, np.arange(col_start, min(col_start + size, n), dtype=np.int64)


def tile_pairs(
    planes: NDArray[np.uint64],
    complete: NDArray[np.bool_],
    het_count: NDArray[np.int64],
    n_sites: int,
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    min_kinship: float,
) -> dict[str, NDArray[Any]]:
    """The pairs of one tile with kinship at least ``min_kinship`` (a task for any backend)."""
    upper = bool(rows[0] == cols[0])
    counts = count_tile(planes, complete, het_count, n_sites, rows, cols, upper=upper)
    hethet, ibs0, het_i, het_j, n = (counts[:, :, k] for k in range(5))
    kinship = king_kinship(hethet, ibs0, het_i, het_j)
    # -inf keeps every pair, also those without a kinship (no het call in either sample).
    keep = np.ones_like(kinship, bool) if min_kinship == -np.inf else kinship >= min_kinship
    if upper:
        keep &= rows[:, None] < cols[None, :]
    r, c = np.nonzero(keep)
    return {
        "a": rows[r],
        "b": cols[c],
        "hethet": hethet[r, c],
        "ibs0": ibs0[r, c],
        "het_a": het_i[r, c],
        "het_b": het_j[r, c],
        "n_sites": n[r, c],
        "kinship": kinship[r, c],
    }


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def king_all_pairs(
    packed: PackedGenotypes,
    *,
    min_kinship: float = DEFAULT_MIN_KINSHIP,
    threads: int | None = None,
    tile: int = DEFAULT_TILE,
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
    device: str = "cpu",
) -> KingPairs:
    """KING counts and kinship of every sample pair, keeping those at ``min_kinship`` or more.

    Parameters
    ----------
    packed
        The samples' packed genotypes.
    min_kinship
        Pairs below this are dropped as they are computed, so memory stays bounded; pass
        ``-inf`` to keep every pair.
    threads
        Tiles computed at once in this process (default: the CPUs this process may use).
    tile
        Samples per tile side.
    client
        A ``dask.distributed.Client``: tiles run as tasks on its cluster instead.
    progress
        Called with (tiles done, tiles) as tiles finish.
    device
        ``cpu`` (the compiled kernels, on threads or on ``client``'s cluster) or ``gpu``
        (``gpu.torch_pairs`` on the first CUDA device; see ``gpu.choose_device``).
    """
    if tile < 1:
        raise UsageError("the tile size must be at least 1", code="E_USAGE")
    if device == "gpu":
        if client is not None:
            raise UsageError("the GPU backend does not run on a Dask cluster", code="E_USAGE")
        from hgr.relatedness.gpu import torch_pairs  # PyTorch is optional

        return _assemble(
            packed, torch_pairs(packed, min_kinship=min_kinship, device="cuda", progress=progress)
        )
    if device != "cpu":
        raise UsageError(f"unknown device {device!r}: cpu or gpu", code="E_USAGE")
    n = len(packed.samples)
    tiles = list(_tiles(n, tile))
    shared = (packed.planes, packed.complete, packed.het_count, packed.n_sites)
    parts: list[dict[str, NDArray[Any]]]
    if client is not None:
        parts = _run_on_dask(client, shared, tiles, min_kinship, progress)
    else:
        workers = max(1, threads or default_threads())
        with ThreadPoolExecutor(workers) as pool:
            futures = [
                pool.submit(tile_pairs, *shared, rows, cols, min_kinship) for rows, cols in tiles
            ]
            parts = []
            for done, future in enumerate(futures, 1):
                parts.append(future.result())
                if progress:
                    progress(done, len(tiles))
    return _assemble(packed, parts)


def king_listed_pairs(packed: PackedGenotypes, pairs: list[tuple[int, int]]) -> KingPairs:
    """KING counts and kinship of the listed sample pairs (by index), whatever their kinship.

    For the pairs a pedigree declares or a duplicate search proposes; all pairs of a cohort
    go through ``king_all_pairs``.
    """
    index = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    a, b = index.min(axis=1), index.max(axis=1)
    counts = listed_pair_counts(packed.planes, a, b)
    hethet, ibs0, het_a, het_b, n = (counts[:, k] for k in range(5))
    part = {
        "a": a,
        "b": b,
        "hethet": hethet,
        "ibs0": ibs0,
        "het_a": het_a,
        "het_b": het_b,
        "n_sites": n,
        "kinship": king_kinship(hethet, ibs0, het_a, het_b),
    }
    return _assemble(packed, [part])


def _run_on_dask(
    client: Any,
    shared: tuple[Any, ...],
    tiles: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
    min_kinship: float,
    progress: Callable[[int, int], None] | None,
) -> list[dict[str, NDArray[Any]]]:
    # The planes go to every worker once; each task then names only its tile.
    scattered = client.scatter(list(shared), broadcast=True)
    futures = [
        client.submit(tile_pairs, *scattered, rows, cols, min_kinship, pure=False)
        for rows, cols in tiles
    ]
    parts = []
    for done, future in enumerate(futures, 1):
        parts.append(future.result())
        if progress:
            progress(done, len(tiles))
    return parts


def _assemble(packed: PackedGenotypes, parts: list[dict[str, NDArray[Any]]]) -> KingPairs:
    """One ``KingPairs`` from the parts the tiles (or GPU blocks) returned, ordered by pair."""
    columns: dict[str, NDArray[Any]] = {}
    for name in _FIELDS:
        dtype = np.float64 if name == "kinship" else np.int64
        values = [p[name] for p in parts]
        columns[name] = np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype)
    order = np.lexsort((columns["b"], columns["a"]))
    return KingPairs(
        samples=packed.samples,
        unrelated_ibs0=unrelated_ibs0(packed),
        **{name: values[order] for name, values in columns.items()},
    )
