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
from hgr.relatedness.kernels import pack_block, plane_totals

__all__ = ["MISSING", "PackedGenotypes", "pack_dosages"]

MISSING = -1  # dosage code of a missing call
WORD_BITS = 64


@dataclass(frozen=True)
class PackedGenotypes:
    """Bit planes of ``samples`` at ``n_sites`` sites.

    ``planes`` has shape (3, samples, words): het, alt, called. ``het_count`` and
    ``called_count`` are per-sample totals, used where a pair's partner has no missing call.
    ``site_alt`` and ``site_called`` count, per site, the alternate alleles and the called
    samples among those it was packed from (a subset keeps its source's counts).
    """

    samples: tuple[str, ...]
    n_sites: int
    planes: NDArray[np.uint64]
    complete: NDArray[np.bool_]
    het_count: NDArray[np.int64]
    called_count: NDArray[np.int64]
    site_alt: NDArray[np.int64]
    site_called: NDArray[np.int64]

    @classmethod
    def from_planes(
        cls, samples: Sequence[str], n_sites: int, planes: NDArray[np.uint64]
    ) -> PackedGenotypes:
        """Wrap planes (from a file, say), recomputing every total from the bits themselves."""
        if planes.ndim != 3 or planes.shape[:2] != (3, len(samples)):
            raise UsageError(
                f"planes of shape {planes.shape} do not hold {len(samples)} samples",
                code="E_RELATE_SHAPE",
            )
        if planes.shape[2] * WORD_BITS < n_sites:
            raise UsageError(f"planes too short for {n_sites} sites", code="E_RELATE_SHAPE")
        planes = np.ascontiguousarray(planes, dtype=np.uint64)
        het_count, called_count, site_alt, site_called = plane_totals(planes, n_sites)
        return cls(
            samples=tuple(samples),
            n_sites=n_sites,
            planes=planes,
            complete=called_count == n_sites,
            het_count=het_count,
            called_count=called_count,
            site_alt=site_alt,
            site_called=site_called,
        )

    @classmethod
    def concatenate(cls, parts: Sequence[PackedGenotypes]) -> PackedGenotypes:
        """The samples of ``parts`` side by side; they must hold the same sites."""
        if len({p.n_sites for p in parts}) != 1:
            raise UsageError(
                "packed genotypes of different sites cannot be joined", code="E_RELATE_SHAPE"
            )
        return cls(
            samples=tuple(s for p in parts for s in p.samples),
            n_sites=parts[0].n_sites,
            planes=np.concatenate([p.planes for p in parts], axis=1),
            complete=np.concatenate([p.complete for p in parts]),
            het_count=np.concatenate([p.het_count for p in parts]),
            called_count=np.concatenate([p.called_count for p in parts]),
            site_alt=np.sum([p.site_alt for p in parts], axis=0),
            site_called=np.sum([p.site_called for p in parts], axis=0),
        )

    @property
    def alt_frequency(self) -> NDArray[np.float64]:
        """Alternate allele frequency per site among the called samples (NaN: none called)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            frequency: NDArray[np.float64] = np.where(
                self.site_called > 0, self.site_alt / (2.0 * self.site_called), np.nan
            )
        return frequency

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
        """Unpack to a (sites, samples) matrix of 0/1/2 and ``MISSING`` (for a few samples)."""
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
            site_alt=self.site_alt,
            site_called=self.site_called,
        )


class _Packer:
    """Builds the planes block by block from (sites, samples) dosage matrices."""

    def __init__(self, samples: Sequence[str], capacity_sites: int) -> None:
        if len(set(samples)) != len(samples):
            duplicated = sorted({s for s in samples if list(samples).count(s) > 1})
            raise UsageError(
                f"sample ids occur more than once: {', '.join(duplicated[:5])}; "
                "give every sample a distinct id",
                code="E_RELATE_DUPLICATE_SAMPLE",
            )
        self.samples = tuple(samples)
        words = max(1, -(-capacity_sites // WORD_BITS))
        self.planes = np.zeros((3, len(samples), words), dtype=np.uint64)
        self.het_count = np.zeros(len(samples), dtype=np.int64)
        self.called_count = np.zeros(len(samples), dtype=np.int64)
        self.sites = 0
        self._site_alt: list[NDArray[np.int64]] = []
        self._site_called: list[NDArray[np.int64]] = []

    def add(self, block: NDArray[np.int8]) -> None:
        """Append sites: ``block`` is (sites, samples) with codes 0, 1, 2 and ``MISSING``."""
        if block.shape[0] == 0:
            return
        needed = -(-(self.sites + block.shape[0]) // WORD_BITS)
        if needed > self.planes.shape[2]:
            width = max(needed, 2 * self.planes.shape[2])
            grown = np.zeros((3, len(self.samples), width), dtype=np.uint64)
            grown[:, :, : self.planes.shape[2]] = self.planes
            self.planes = grown
        alt, called = pack_block(
            np.ascontiguousarray(block), self.sites, self.planes, self.het_count, self.called_count
        )
        self._site_alt.append(alt)
        self._site_called.append(called)
        self.sites += block.shape[0]

    def finish(self) -> PackedGenotypes:
        words = max(1, -(-self.sites // WORD_BITS))
        planes = self.planes
        if planes.shape[2] != words:  # the kernels need C-contiguous planes: copy once
            planes = np.ascontiguousarray(planes[:, :, :words])
            self.planes = planes
        return PackedGenotypes(
            samples=self.samples,
            n_sites=self.sites,
            planes=planes,
            complete=self.called_count == self.sites,
            het_count=self.het_count,
            called_count=self.called_count,
            site_alt=np.concatenate(self._site_alt) if self._site_alt else np.zeros(0, np.int64),
            site_called=(
                np.concatenate(self._site_called) if self._site_called else np.zeros(0, np.int64)
            ),
        )


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
