"""Variant lookups in a collection's VCF Zarr store: sequence, range and bracket queries.

A :class:`StoreIndex` holds what a lookup needs in memory (each contig's sorted positions,
4 bytes a variant, and the allele hashes, 8 bytes an allele) and reads the rest from the
store only for the rows a query touches: the alleles, the precomputed allele counts
(``variant_allele_count``, ``variant_allele_total`` and their per-population and per-region
arrays, written by the genotype store's summary pass) and, when an answer must name or charge
individuals, the genotype calls of those rows.

A hit is one alternate allele of one VCF record: Beacon's unit of a genomic variant.

A sequence query with plain bases (A, C, G, T) is matched on ``variant_allele_hash``, held
in memory, instead of a chunk of allele strings, which costs far more to decode
(``allele_hash.py``); stores written before that array existed are matched on the strings.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hgr.beacon.query import VariantParams
from hgr.exceptions import UsageError
from hgr.genotypes.allele_hash import allele_hash
from hgr.genotypes.builds import canonical_contig
from hgr.genotypes.store import open_store

__all__ = ["MAX_CANDIDATES", "Hit", "StoreIndex", "index_for", "variant_type"]

# A range or bracket query reads at most this many records: a wider one is refused with a
# request to narrow it, so that no single query scans a chromosome.
MAX_CANDIDATES = 100_000
PAGE_ROWS = 1_000  # records read at a time when paging through a whole store
CACHED_CHUNKS = 64  # decoded chunks of per-variant arrays kept per store version
POSITION_MIN, POSITION_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max
IUPAC = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "U": "T",
    "N": "[ACGTN]",
    "R": "[AG]",
    "Y": "[CT]",
    "S": "[CG]",
    "W": "[AT]",
    "K": "[GT]",
    "M": "[AC]",
    "B": "[CGT]",
    "D": "[AGT]",
    "H": "[ACT]",
    "V": "[ACG]",
}
PLAIN_BASES = re.compile(r"[ACGT]+\Z")  # bases that match only themselves
# Beacon variantType values and the EFO copy-number terms it permits, as the classes below.
TYPE_SYNONYMS = {
    "EFO:0030067": "DEL",
    "EFO:0030068": "DEL",
    "EFO:0030069": "DEL",
    "EFO:0020073": "DEL",
    "EFO:0030070": "DUP",
    "EFO:0030071": "DUP",
    "EFO:0030072": "DUP",
}


def variant_type(ref: str, alt: str) -> str:
    """The Beacon variantType of an allele: SNP, MNP, INDEL (with INS/DEL as narrower
    names), or a symbolic allele's own type (``<DEL>`` → DEL)."""
    if alt.startswith("<") and alt.endswith(">"):
        return alt[1:-1].split(":")[0].upper()
    if len(ref) == len(alt):
        return "SNP" if len(ref) == 1 else "MNP"
    return "INDEL"


def _type_matches(asked: str, ref: str, alt: str) -> bool:
    wanted = TYPE_SYNONYMS.get(asked.upper(), asked.upper())
    found = variant_type(ref, alt)
    if wanted == found:
        return True
    if found == "INDEL":
        return wanted == ("DEL" if len(ref) > len(alt) else "INS")
    return False


def _kind_and_length_match(variant: VariantParams, ref: str, alt: str) -> bool:
    """Whether an allele passes the query's variantType and length limits."""
    if variant.variant_type and not _type_matches(variant.variant_type, ref, alt):
        return False
    length = max(len(ref), len(alt))
    if variant.min_length is not None and length < variant.min_length:
        return False
    return variant.max_length is None or length <= variant.max_length


def _pattern(bases: str) -> re.Pattern[str]:
    return re.compile("".join(IUPAC.get(b, re.escape(b)) for b in bases) + r"\Z")


@dataclass(frozen=True)
class Hit:
    """One alternate allele of one record: its row in the store and its allele index."""

    row: int
    allele: int
    contig: str
    position: int  # VCF POS, 1-based
    ref: str
    alt: str

    @property
    def start(self) -> int:
        """0-based start, as Beacon gives it."""
        return self.position - 1

    @property
    def end(self) -> int:
        return self.position - 1 + len(self.ref)


class StoreIndex:
    """A store version opened for lookups."""

    def __init__(self, path: Path) -> None:
        self.group = open_store(path)
        names = [str(c) for c in self.group["contig_id"][:]]
        contig = np.asarray(self.group["variant_contig"][:], dtype=np.int64)
        position = np.asarray(self.group["variant_position"][:], dtype=np.int64)
        # Rows sorted by (contig, position); a store written from sorted files already is,
        # and then ``order`` is the identity and costs nothing to keep.
        keys = contig * (1 << 32) + position
        self.order: NDArray[np.int64] | None = None
        if keys.size and np.any(keys[1:] < keys[:-1]):
            self.order = np.argsort(keys, kind="stable")
            contig, position = contig[self.order], position[self.order]
        self.position = position.astype(np.int32)
        self.bounds: dict[str, tuple[int, int]] = {}
        for i, name in enumerate(names):
            lo, hi = np.searchsorted(contig, [i, i + 1])
            if hi > lo:
                self.bounds[canonical_contig(name) or name] = (int(lo), int(hi))
        self.variants = int(position.size)
        self.n_alleles = int(self.group["variant_allele"].shape[1])
        self.samples = int(self.group["sample_id"].shape[0])
        # The allele hashes are held whole (8 bytes an allele: 160 MB for 10,000,000
        # biallelic records): an exact lookup, the question a beacon is asked most, then
        # reads no chunk at all. Decoding one per lookup cost about a millisecond at that
        # size, most of it in zarr's I/O thread.
        self.hashes: NDArray[np.uint64] | None = None
        if "variant_allele_hash" in self.group:
            self.hashes = np.asarray(self.group["variant_allele_hash"][:])
        self._max_ref: int | None = None
        self._alleles_total: int | None = None
        # Opened arrays and decoded chunks of the small per-variant arrays, kept because a
        # store version never changes: opening an array reads its metadata, and decoding a
        # chunk of allele strings costs more than the rest of a lookup.
        self._arrays: dict[str, Any] = {}
        self._chunks: OrderedDict[tuple[str, int], NDArray[Any]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def array(self, name: str) -> Any:
        """The store's array ``name``, opened once."""
        found = self._arrays.get(name)
        if found is None:
            found = self._arrays[name] = self.group[name]
        return found

    def rows(self, name: str, lo: int, hi: int) -> NDArray[Any]:
        """Rows ``lo`` to ``hi`` (exclusive) of a per-variant array, from decoded chunks kept
        in a small LRU cache."""
        array = self.array(name)
        step = int(array.chunks[0])
        parts = []
        for chunk in range(lo // step, (hi - 1) // step + 1):
            key = (name, chunk)
            with self._cache_lock:
                block = self._chunks.get(key)
                if block is not None:
                    self._chunks.move_to_end(key)
            if block is None:
                block = np.asarray(array[chunk * step : (chunk + 1) * step])
                with self._cache_lock:
                    self._chunks[key] = block
                    while len(self._chunks) > CACHED_CHUNKS:
                        self._chunks.popitem(last=False)
            parts.append(block[max(lo - chunk * step, 0) : hi - chunk * step])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def row(self, sorted_index: int) -> int:
        """The store row of the ``sorted_index``-th variant in genome order."""
        return int(self.order[sorted_index]) if self.order is not None else sorted_index

    def max_ref_length(self) -> int:
        """The longest reference allele: how far before a range a variant can start and
        still overlap it. Read once, chunk by chunk."""
        if self._max_ref is None:
            alleles = self.group["variant_allele"]
            step = alleles.chunks[0]
            longest = 1
            for start in range(0, self.variants, step):
                refs = alleles[start : start + step, 0]
                longest = max(longest, max((len(str(r)) for r in refs), default=1))
            self._max_ref = longest
        return self._max_ref

    def alleles(self) -> int:
        """The number of alternate alleles in the store (a hit each), counted once per store
        version and kept: the first listing of a large store waits for it."""
        if self._alleles_total is None:
            alleles = self.array("variant_allele")
            step = int(alleles.chunks[0])
            total = 0
            for start in range(0, self.variants, step):
                block = np.asarray(alleles[start : start + step, 1:])
                total += int(np.sum((block != "") & (block != ".")))
            self._alleles_total = total
        return self._alleles_total

    def page(self, skip: int, limit: int) -> list[Hit]:
        """The alleles ``skip`` to ``skip + limit`` of the whole store, in genome order."""
        names = sorted(self.bounds.items(), key=lambda item: item[1][0])
        hits: list[Hit] = []
        seen = 0
        for contig, (lo, hi) in names:
            for start in range(lo, hi, PAGE_ROWS):
                stop = min(hi, start + PAGE_ROWS)
                rows = [self.row(i) for i in range(start, stop)]
                for k, found in enumerate(self._alleles(rows)):
                    alts = [a for a in range(1, len(found)) if found[a] and found[a] != "."]
                    if seen + len(alts) <= skip:
                        seen += len(alts)
                        continue
                    for a in alts:
                        if seen >= skip:
                            position = int(self.position[start + k])
                            hits.append(Hit(rows[k], a, contig, position, found[0], found[a]))
                            if len(hits) == limit:
                                return hits
                        seen += 1
        return hits

    def find(self, variant: VariantParams) -> list[Hit]:
        """The alleles that ``variant`` matches, in genome order."""
        contig = canonical_contig(variant.reference_name.removeprefix("refseq:"))
        bounds = self.bounds.get(contig or variant.reference_name)
        if bounds is None:
            return []
        lo, hi = bounds
        positions = self.position[lo:hi]
        if variant.kind == "sequence":
            first, last = variant.start[0] + 1, variant.start[0] + 1
        elif variant.kind == "range":
            first, last = variant.start[0] + 2 - self.max_ref_length(), variant.end[0]
        else:
            first, last = variant.start[0] + 1, variant.start[1] + 1
        # The bounds in the positions' own dtype: mixed dtypes would make numpy cast the
        # whole contig's positions (tens of megabytes at full size) for every lookup.
        limits = np.clip([first, last + 1], POSITION_MIN, POSITION_MAX).astype(positions.dtype)
        a, b = np.searchsorted(positions, limits)
        if b - a > MAX_CANDIDATES:
            # Without the number: a count would tell how many variants the store holds in
            # any window. (Below the controlled tier a question's span keeps it far from
            # this many records; hgr.privacy.questions.)
            raise UsageError(
                f"the query covers more than {MAX_CANDIDATES:,} records: narrow the range",
                code="E_BEACON_QUERY",
            )
        if b <= a:
            return []
        return self._match(variant, contig or variant.reference_name, lo + int(a), lo + int(b))

    def _match(self, variant: VariantParams, contig: str, a: int, b: int) -> list[Hit]:
        ref, alt = variant.reference_bases, variant.alternate_bases
        if (
            self.hashes is not None
            and variant.kind == "sequence"
            and ref
            and alt
            and PLAIN_BASES.match(ref)
            and PLAIN_BASES.match(alt)
        ):
            return self._match_exact(variant, contig, a, b, ref, alt)
        rows = [self.row(i) for i in range(a, b)]
        alleles = self._alleles(rows)
        ref_pattern = _pattern(variant.reference_bases) if variant.reference_bases else None
        alt_pattern = (
            _pattern(variant.alternate_bases) if variant.alternate_bases is not None else None
        )
        hits = []
        for k, row in enumerate(rows):
            position = int(self.position[a + k])
            ref = str(alleles[k][0])
            if ref_pattern is not None and not ref_pattern.match(ref):
                continue
            start, end = position - 1, position - 1 + len(ref)
            if variant.kind == "range" and not (start < variant.end[0] and end > variant.start[0]):
                continue
            if variant.kind == "bracket" and not (variant.end[0] <= end <= variant.end[1]):
                continue
            for index in range(1, len(alleles[k])):
                alt = str(alleles[k][index])
                if not alt or alt == ".":
                    continue
                if alt_pattern is not None and not alt_pattern.match(alt):
                    continue
                if _kind_and_length_match(variant, ref, alt):
                    hits.append(Hit(row, index, contig, position, ref, alt))
        return hits

    def _match_exact(
        self, variant: VariantParams, contig: str, a: int, b: int, ref: str, alt: str
    ) -> list[Hit]:
        """``_match`` for a sequence query of plain bases, on the allele hashes."""
        if not _kind_and_length_match(variant, ref, alt):
            return []
        assert self.hashes is not None
        wanted = allele_hash(ref, alt)
        hits = []
        for i in range(a, b):
            row = self.row(i)
            for index in np.flatnonzero(self.hashes[row] == wanted).tolist():
                hits.append(Hit(row, index, contig, int(self.position[i]), ref, alt))
        return hits

    def _alleles(self, rows: list[int]) -> list[list[str]]:
        if self.order is None:
            block = self.rows("variant_allele", rows[0], rows[-1] + 1)
            return [[str(a) for a in block[r - rows[0]]] for r in rows]
        return [[str(a) for a in self.rows("variant_allele", r, r + 1)[0]] for r in rows]

    def counts(self, hits: list[Hit], grouping: str = "variant") -> tuple[list[str], Any, Any]:
        """Allele counts and numbers of called alleles of each hit: overall
        (``grouping="variant"``: arrays of len(hits)) or per group (``population``,
        ``region``: the group ids, and arrays of hits × groups)."""
        if not hits:
            return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
        rows = np.array([h.row for h in hits])
        alleles = np.array([h.allele for h in hits])
        lo, hi = int(rows.min()), int(rows.max()) + 1
        count = self.rows(f"{grouping}_allele_count", lo, hi)
        total = self.rows(f"{grouping}_allele_total", lo, hi)
        if grouping == "variant":
            return [], count[rows - lo, alleles], total[rows - lo]
        ids = [str(g) for g in self.group[f"{grouping}_id"][:]]
        return ids, count[rows - lo, :, alleles], total[rows - lo]

    def carriers(self, hit: Hit) -> NDArray[np.int64]:
        """The store columns (sample positions) whose genotype carries the hit's allele."""
        calls = np.asarray(self.array("call_genotype")[hit.row])
        return np.flatnonzero((calls == hit.allele).any(axis=1)).astype(np.int64)


_INDEXES: dict[str, StoreIndex] = {}
_OPENING: dict[str, threading.Lock] = {}
_LOCK = threading.Lock()


def index_for(path: Path) -> StoreIndex:
    """The index of the store version at ``path``, opened once per process (a new version has
    a new path, so an ingestion never leaves a stale index in use).

    Opening reads the positions and allele hashes whole (seconds at 10,000,000 variants):
    callers asking for the same version wait for the one opening it, others do not. Opening a
    version drops the index of any other version of the same collection (the directory
    holding both), which no new question will ask for.
    """
    key = str(path)
    with _LOCK:
        found = _INDEXES.get(key)
        if found is not None:
            return found
        opening = _OPENING.setdefault(key, threading.Lock())
    with opening:
        with _LOCK:
            found = _INDEXES.get(key)
        if found is None:
            found = StoreIndex(path)
            with _LOCK:
                for other in [k for k in _INDEXES if Path(k).parent == path.parent]:
                    del _INDEXES[other]
                _INDEXES[key] = found
                _OPENING.pop(key, None)
        return found
