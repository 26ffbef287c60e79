"""Genotypes bit-packed for pairwise comparison: three bit planes per sample.

Each sample's genotypes at the chosen sites are held as three bit vectors, 64 sites a word:

- ``het``: the call is heterozygous;
- ``alt``: the call is homozygous for the alternate allele;
- ``called``: the call is not missing.

A homozygous reference call is ``called`` with neither ``het`` nor ``alt`` set. The padding
after the last site is zero in every plane, so it counts as missing and adds nothing. Which
allele is "alternate" does not matter to KING-robust: every count it uses is symmetric in the
two homozygotes, so PLINK 1's A1/A2 orientation can be taken as it comes.

``complete`` marks samples with no missing call. For a pair of complete samples the kernels
need only ``het`` and ``alt`` (two words a word-pair); the ``called`` plane is read only for
pairs with a missing call (see ``kernels.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hgr.exceptions import UsageError

__all__ = ["MISSING", "PackedGenotypes", "pack_dosages"]

MISSING = -1  # dosage code of a missing call
WORD_BITS = 64


@dataclass(frozen=True)
class PackedGenotypes:
    """Bit planes of ``samples`` at ``n_sites`` sites.

    ``planes`` has shape (3, samples, words): het, alt, called. ``het_count`` and
    ``called_count`` are per-sample totals, used where a pair's partner has no missing call.
    ``alt_frequency`` is each site's alternate allele frequency among the called samples
    it was packed from (NaN where none is called).
    """

    samples: tuple[str, ...]
    n_sites: int
    planes: NDArray[np.uint64]
    complete: NDArray[np.bool_]
    het_count: NDArray[np.int64]
    called_count: NDArray[np.int64]
    alt_frequency: NDArray[np.float64]

    @property
    def het(self) -> NDArray[np.uint64]:
        return np.asarray(self.planes[0])

    @property
    def alt(self) -> NDArray[np.uint64]:
        return np.asarray(self.planes[1])

    @property
    def called(self) -> NDArray[np.uint64]:
        return np.asarray(self.planes[2])

    @property
    def n_words(self) -> int:
        return int(self.planes.shape[2])

    def dosages(self) -> NDArray[np.int8]:
        """Unpack to a (sites, samples) matrix of 0/1/2 and ``MISSING`` (for tests)."""
        bits = [
            np.unpackbits(plane.view(np.uint8), axis=1, bitorder="little")[:, : self.n_sites]
            for plane in self.planes
        ]
        het, alt, called = (b.astype(bool) for b in bits)
        result = np.where(het, 1, np.where(alt, 2, 0)).astype(np.int8)
        result[~called] = MISSING
        return np.ascontiguousarray(result.T)

    def subset(self, indices: Sequence[int]) -> PackedGenotypes:
        """The same sites for the samples at ``indices``, in that order."""
        index = np.asarray(indices, dtype=np.int64)
        return PackedGenotypes(
            samples=tuple(self.samples[i] for i in index),
            n_sites=self.n_sites,
            planes=np.ascontiguousarray(self.planes[:, index]),
            complete=self.complete[index],
            het_count=self.het_count[index],
            called_count=self.called_count[index],
            alt_frequency=self.alt_frequency,
        )


class _Packer:
    """Builds the planes block by block from (sites, samples) dosage matrices."""

    def __init__(self, samples: Sequence[str], capacity_sites: int) -> None:
        if len(set(samples)) != len(samples):
            duplicated = sorted({s for s in samples if list(samples).count(s) > 1})
            raise UsageError(
                f"sample ids occur more than once: {', '.join(duplicated[:5])}; "
                "give every sample a distinct id",
                code="E_DUPLICATE_SAMPLE",
            )
        self.samples = tuple(samples)
        words = max(1, -(-capacity_sites // WORD_BITS))
        self.planes = np.zeros((3, len(samples), words), dtype=np.uint64)
        self.sites = 0
        self._pending: list[NDArray[np.int8]] = []
        self._pending_sites = 0
        self._frequencies: list[NDArray[np.float64]] = []

    def add(self, block: NDArray[np.int8]) -> None:
        """Append sites: ``block`` is (sites, samples) with codes 0, 1, 2 and ``MISSING``."""
        if block.shape[0] == 0:
            return
        self._pending.append(block)
        self._pending_sites += block.shape[0]
        if self._pending_sites >= 4096:
            self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        if not self._pending:
            return
        block = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        usable = block.shape[0] if final else block.shape[0] // WORD_BITS * WORD_BITS
        head, tail = block[:usable], block[usable:]
        self._pending = [tail] if tail.shape[0] else []
        self._pending_sites = tail.shape[0]
        if usable == 0:
            return
        if self.sites % WORD_BITS:
            raise AssertionError("blocks are packed on word boundaries")
        needed = -(-(self.sites + usable) // WORD_BITS)
        if needed > self.planes.shape[2]:
            grown = np.zeros(
                (3, len(self.samples), max(needed, 2 * self.planes.shape[2])), np.uint64
            )
            grown[:, :, : self.planes.shape[2]] = self.planes
            self.planes = grown
        first = self.sites // WORD_BITS
        for plane, mask in enumerate((head == 1, head == 2, head != MISSING)):
            bits = np.packbits(mask.T, axis=1, bitorder="little")
            pad = (-bits.shape[1]) % 8
            if pad:
                bits = np.pad(bits, ((0, 0), (0, pad)))
            words = np.ascontiguousarray(bits).view(np.uint64)
            self.planes[plane, :, first : first + words.shape[1]] = words
        called = (head != MISSING).sum(axis=1, dtype=np.int64)
        alt = np.where(head > 0, head, 0).sum(axis=1, dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            self._frequencies.append(np.where(called > 0, alt / (2.0 * called), np.nan))
        self.sites += usable

    def finish(self) -> PackedGenotypes:
        self._flush(final=True)
        words = max(1, -(-self.sites // WORD_BITS))
        planes = np.ascontiguousarray(self.planes[:, :, :words])
        het_count = _popcount_rows(planes[0])
        called_count = _popcount_rows(planes[2])
        return PackedGenotypes(
            samples=self.samples,
            n_sites=self.sites,
            planes=planes,
            complete=called_count == self.sites,
            het_count=het_count,
            called_count=called_count,
            alt_frequency=(np.concatenate(self._frequencies) if self._frequencies else np.zeros(0)),
        )


def _popcount_rows(words: NDArray[np.uint64]) -> NDArray[np.int64]:
    counts: NDArray[np.int64] = np.unpackbits(words.view(np.uint8), axis=1).sum(
        axis=1, dtype=np.int64
    )
    return counts


def pack_dosages(
    samples: Sequence[str], blocks: Iterable[NDArray[np.int8]], *, expected_sites: int = 0
) -> PackedGenotypes:
    """Pack (sites, samples) dosage blocks, in order, into one ``PackedGenotypes``.

    ``expected_sites`` (when known) sizes the planes once; otherwise they grow as needed.
    """
    packer = _Packer(samples, expected_sites or 4096)
    for block in blocks:
        if block.ndim != 2 or block.shape[1] != len(packer.samples):
            raise UsageError(
                f"a genotype block has shape {block.shape}, expected (sites, "
                f"{len(packer.samples)})",
                code="E_RELATE_SHAPE",
            )
        packer.add(np.asarray(block, dtype=np.int8))
    return packer.finish()
