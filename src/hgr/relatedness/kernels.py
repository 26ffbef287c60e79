"""Compiled kernels: KING counts for a tile of sample pairs from bit-packed genotypes.

For samples i and j (planes from ``packed.py``) the counts per pair are, over sites where
both are called:

- ``hethet``: both heterozygous;
- ``ibs0``: opposite homozygotes (one AA, the other aa);
- ``het_i``: i heterozygous; ``het_j``: j heterozygous;
- ``n``: both called.

KING-robust needs only these (Manichaikul et al. 2010, Bioinformatics 26:2867, eq. 11).
For two samples without a missing call, "both called" is every site, so a word-pair costs two
popcounts: ``het_i & het_j`` and ``~het_i & ~het_j & (alt_i ^ alt_j)`` (both homozygous, one
of them alt); the het totals come from the per-sample counts. Only pairs where a sample has a
missing call read the ``called`` plane. LLVM compiles ``ctpop`` over a contiguous word range
to the CPU's vector popcount (AVX-512 VPOPCNTQ where present).

Work is blocked like a matrix product: a tile of rows × columns is swept one chunk of words
at a time, so the columns' chunk stays in the core's cache while every row passes over it.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic
from numpy.typing import NDArray

__all__ = [
    "COUNTS",
    "NO_KEY",
    "band_keys",
    "count_tile",
    "decode_bed",
    "listed_pair_counts",
    "pack_block",
    "plane_totals",
]

COUNTS = ("hethet", "ibs0", "het_i", "het_j", "n")
# 128 words = 8,192 sites: a column's two planes take 2 KiB of the chunk, so a 256-column
# tile sweeps 512 KiB, inside a 1 MiB L2 cache. (Measured on 2 Zen 4 cores: 64 and 256
# words are within 5% of this.)
CHUNK_WORDS = 128


def _ctpop(typingctx: Any, value: Any) -> Any:
    """LLVM's ``ctpop`` on a uint64, typed int64 so that sums stay integers.

    (numba types int64 + uint64 as float64: a uint64 count would turn every sum into floats.)
    """
    signature = types.int64(types.uint64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        function = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(function, args)

    return signature, codegen


_popcount: Any = intrinsic(_ctpop)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _both_complete(het_i, alt_i, het_j, alt_j):  # type: ignore[no-untyped-def]
    # Loops start at 0 over slices: with a variable start, numba's negative-index
    # wraparound check stops LLVM from vectorizing (measured: 5x slower).
    hethet = 0
    ibs0 = 0
    for w in range(het_i.size):
        hi = het_i[w]
        hj = het_j[w]
        hethet += _popcount(hi & hj)
        ibs0 += _popcount(~(hi | hj) & (alt_i[w] ^ alt_j[w]))
    return hethet, ibs0


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _with_missing(het_i, alt_i, called_i, het_j, alt_j, called_j):  # type: ignore[no-untyped-def]
    hethet = 0
    ibs0 = 0
    het_i_called = 0
    het_j_called = 0
    both = 0
    for w in range(het_i.size):
        hi = het_i[w]
        hj = het_j[w]
        ci = called_i[w]
        cj = called_j[w]
        hethet += _popcount(hi & hj)
        ibs0 += _popcount(ci & cj & ~(hi | hj) & (alt_i[w] ^ alt_j[w]))
        het_i_called += _popcount(hi & cj)
        het_j_called += _popcount(hj & ci)
        both += _popcount(ci & cj)
    return hethet, ibs0, het_i_called, het_j_called, both


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _count_tile(planes, complete, het_count, n_sites, rows, cols, upper, counts):  # type: ignore[no-untyped-def]
    het = planes[0]
    alt = planes[1]
    called = planes[2]
    n_words = planes.shape[2]
    for start in range(0, n_words, CHUNK_WORDS):
        stop = min(start + CHUNK_WORDS, n_words)
        for r in range(rows.size):
            i = rows[r]
            het_i = het[i, start:stop]
            alt_i = alt[i, start:stop]
            for c in range(cols.size):
                j = cols[c]
                if upper and j <= i:
                    continue
                if complete[i] and complete[j]:
                    hh, ib = _both_complete(het_i, alt_i, het[j, start:stop], alt[j, start:stop])
                    counts[r, c, 0] += hh
                    counts[r, c, 1] += ib
                else:
                    hh, ib, hic, hjc, n = _with_missing(
                        het_i,
                        alt_i,
                        called[i, start:stop],
                        het[j, start:stop],
                        alt[j, start:stop],
                        called[j, start:stop],
                    )
                    counts[r, c, 0] += hh
                    counts[r, c, 1] += ib
                    counts[r, c, 2] += hic
                    counts[r, c, 3] += hjc
                    counts[r, c, 4] += n
    # Pairs of complete samples: het totals and site count come from the per-sample counts.
    for r in range(rows.size):
        i = rows[r]
        for c in range(cols.size):
            j = cols[c]
            if complete[i] and complete[j]:
                counts[r, c, 2] = het_count[i]
                counts[r, c, 3] = het_count[j]
                counts[r, c, 4] = n_sites


def count_tile(
    planes: NDArray[np.uint64],
    complete: NDArray[np.bool_],
    het_count: NDArray[np.int64],
    n_sites: int,
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    *,
    upper: bool,
) -> NDArray[np.int64]:
    """KING counts for every (row, col) sample pair of a tile: shape (rows, cols, 5).

    With ``upper``, only pairs with col index > row index are counted (the rest stay zero):
    a tile on the diagonal of the all-pairs matrix.
    """
    counts = np.zeros((rows.size, cols.size, len(COUNTS)), dtype=np.int64)
    _count_tile(planes, complete, het_count, n_sites, rows, cols, upper, counts)
    return counts


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _pack_block(block, first_site, planes, het_count, called_count, site_alt, site_called):  # type: ignore[no-untyped-def]
    sites, n = block.shape
    het_word = np.zeros(n, dtype=np.uint64)
    alt_word = np.zeros(n, dtype=np.uint64)
    called_word = np.zeros(n, dtype=np.uint64)
    t = 0
    while t < sites:
        w = (first_site + t) >> 6
        end = min(sites, ((w + 1) << 6) - first_site)  # the sites that fall in word w
        het_word[:] = 0
        alt_word[:] = 0
        called_word[:] = 0
        for u in range(t, end):
            # Branch-free over a contiguous row of samples, so the loop vectorises.
            row = block[u]
            shift = np.uint64((first_site + u) & 63)
            alleles = 0
            called = 0
            for s in range(n):
                g = row[s]
                het_word[s] |= np.uint64(g == 1) << shift
                alt_word[s] |= np.uint64(g == 2) << shift
                called_word[s] |= np.uint64(g >= 0) << shift
                alleles += max(g, 0)
                called += g >= 0
            site_alt[u] = alleles
            site_called[u] = called
        for s in range(n):
            planes[0, s, w] |= het_word[s]
            planes[1, s, w] |= alt_word[s]
            planes[2, s, w] |= called_word[s]
            het_count[s] += _popcount(het_word[s])
            called_count[s] += _popcount(called_word[s])
        t = end


def pack_block(
    block: NDArray[np.int8],
    first_site: int,
    planes: NDArray[np.uint64],
    het_count: NDArray[np.int64],
    called_count: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Set the bits of a (sites, samples) dosage block at ``first_site`` onwards.

    Adds to the per-sample ``het_count`` and ``called_count``; returns per site the number of
    alternate alleles and of called samples.
    """
    site_alt = np.zeros(block.shape[0], dtype=np.int64)
    site_called = np.zeros(block.shape[0], dtype=np.int64)
    _pack_block(block, first_site, planes, het_count, called_count, site_alt, site_called)
    return site_alt, site_called


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _decode_bed(rows, n, codes, out):  # type: ignore[no-untyped-def]
    for t in range(rows.shape[0]):
        for s in range(n):
            out[t, s] = codes[(rows[t, s >> 2] >> ((s & 3) << 1)) & 3]


def decode_bed(
    rows: NDArray[np.uint8], n_samples: int, codes: NDArray[np.int8]
) -> NDArray[np.int8]:
    """PLINK 1 .bed rows (sites, ceil(samples / 4) bytes) as dosages via ``codes`` (4 values)."""
    out = np.empty((rows.shape[0], n_samples), dtype=np.int8)
    _decode_bed(np.ascontiguousarray(rows), n_samples, codes, out)
    return out


NO_KEY = np.uint64(2**64 - 1)  # a band with a missing call has no key


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _band_keys(planes, band_sites, keys):  # type: ignore[no-untyped-def]
    n = planes.shape[1]
    bands, width = band_sites.shape
    for s in range(n):
        for band in range(bands):
            key = np.uint64(0)
            for k in range(width):
                site = band_sites[band, k]
                w = site >> 6
                bit = np.uint64(site & 63)
                if not (planes[2, s, w] >> bit) & np.uint64(1):
                    key = NO_KEY
                    break
                code = ((planes[0, s, w] >> bit) & np.uint64(1)) | (
                    ((planes[1, s, w] >> bit) & np.uint64(1)) << np.uint64(1)
                )
                key = (key << np.uint64(2)) | code
            keys[band, s] = key


def band_keys(planes: NDArray[np.uint64], band_sites: NDArray[np.int64]) -> NDArray[np.uint64]:
    """Each sample's genotypes at each band's sites, two bits a site: shape (bands, samples).

    A band of at most 31 sites fits a uint64 exactly, so equal keys mean equal genotypes;
    a band where the sample has a missing call gets ``NO_KEY``.
    """
    if band_sites.shape[1] > 31:
        raise ValueError("a band holds at most 31 sites")
    keys = np.empty((band_sites.shape[0], planes.shape[1]), dtype=np.uint64)
    _band_keys(planes, np.ascontiguousarray(band_sites, dtype=np.int64), keys)
    return keys


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _listed_pair_counts(planes, a, b, counts):  # type: ignore[no-untyped-def]
    for k in range(a.size):
        hi_row = planes[0, a[k]]
        ai_row = planes[1, a[k]]
        ci_row = planes[2, a[k]]
        hj_row = planes[0, b[k]]
        aj_row = planes[1, b[k]]
        cj_row = planes[2, b[k]]
        hethet, ibs0, het_i, het_j, both, differ = 0, 0, 0, 0, 0, 0
        for w in range(hi_row.size):
            hi = hi_row[w]
            hj = hj_row[w]
            ai = ai_row[w]
            aj = aj_row[w]
            called = ci_row[w] & cj_row[w]
            hethet += _popcount(hi & hj)
            ibs0 += _popcount(called & ~(hi | hj) & (ai ^ aj))
            het_i += _popcount(hi & called)
            het_j += _popcount(hj & called)
            both += _popcount(called)
            differ += _popcount(called & ((hi ^ hj) | (ai ^ aj)))
        counts[k, 0] = hethet
        counts[k, 1] = ibs0
        counts[k, 2] = het_i
        counts[k, 3] = het_j
        counts[k, 4] = both
        counts[k, 5] = differ


def listed_pair_counts(
    planes: NDArray[np.uint64], a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.int64]:
    """KING counts (``COUNTS``) and discordant calls of the pairs (a[k], b[k]): (pairs, 6)."""
    counts = np.zeros((a.size, len(COUNTS) + 1), dtype=np.int64)
    _listed_pair_counts(planes, a, b, counts)
    return counts


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _plane_totals(planes, n_sites, het_count, called_count, site_alt, site_called):  # type: ignore[no-untyped-def]
    n = planes.shape[1]
    for s in range(n):
        for w in range(planes.shape[2]):
            het = planes[0, s, w]
            alt = planes[1, s, w]
            called = planes[2, s, w]
            het_count[s] += _popcount(het)
            called_count[s] += _popcount(called)
            bits = called
            while bits:
                low = bits & (~bits + np.uint64(1))  # the lowest set bit
                site = w * 64 + _popcount(low - np.uint64(1))
                if site < n_sites:
                    site_called[site] += 1
                    site_alt[site] += (1 if het & low else 0) + (2 if alt & low else 0)
                bits ^= low


def plane_totals(
    planes: NDArray[np.uint64], n_sites: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per-sample het and called counts, per-site alt-allele and called counts, from the bits."""
    het_count = np.zeros(planes.shape[1], dtype=np.int64)
    called_count = np.zeros(planes.shape[1], dtype=np.int64)
    site_alt = np.zeros(n_sites, dtype=np.int64)
    site_called = np.zeros(n_sites, dtype=np.int64)
    _plane_totals(planes, n_sites, het_count, called_count, site_alt, site_called)
    return het_count, called_count, site_alt, site_called
