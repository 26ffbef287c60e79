"""Large cohorts with planted relatives, written as PLINK 1 filesets: for relatedness at scale.

The coalescent simulation of ``synth.genotypes`` is exact but its genotype matrices grow with
the cohort (tens of gigabytes at 20,000 people); here founders are drawn site by site from
allele frequencies under the Balding–Nichols model (Balding & Nichols 1995: population
frequencies drift from an ancestral one with F_ST), which gives independent common SNPs, the
sites KING is run on, in memory proportional to one chromosome. Relatives are made by meiosis
as in ``synth.genotypes``: Poisson crossovers over each chromosome's genetic length.

Each family has eleven members and every relationship class KING separates::

    G1 x G2 -> P1, P2                  grandparents; P1 and P2 are full siblings
    P1 x S1 -> C1, C2                  C1 and C2 full siblings, grandchildren of G1 and G2
    P2 x S2 -> C3                      C3 a first cousin of C1 and C2
    X  x S1 -> H1                      H1 a half-sibling of C1 and C2

Some people are genotyped twice (a second sample with 1% of genotypes replaced): duplicates.
The truth (every related pair and its class) is written next to the fileset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hgr.synth.genotypes import GENETIC_CM

__all__ = ["RelatedCohort", "write_related_cohort"]

_FAMILY = ("G1", "G2", "P1", "P2", "S1", "S2", "X", "C1", "C2", "C3", "H1")
_PARENTS = {
    "P1": ("G1", "G2"),
    "P2": ("G1", "G2"),
    "C1": ("P1", "S1"),
    "C2": ("P1", "S1"),
    "C3": ("P2", "S2"),
    "H1": ("X", "S1"),
}
_TRUTH = {
    "parent-offspring": [
        ("G1", "P1"),
        ("G2", "P1"),
        ("G1", "P2"),
        ("G2", "P2"),
        ("P1", "C1"),
        ("S1", "C1"),
        ("P1", "C2"),
        ("S1", "C2"),
        ("P2", "C3"),
        ("S2", "C3"),
        ("X", "H1"),
        ("S1", "H1"),
    ],
    "full-siblings": [("P1", "P2"), ("C1", "C2")],
    "second-degree": [
        ("G1", "C1"),
        ("G2", "C1"),
        ("G1", "C2"),
        ("G2", "C2"),
        ("G1", "C3"),
        ("G2", "C3"),
        ("P2", "C1"),
        ("P2", "C2"),
        ("P1", "C3"),
        ("H1", "C1"),
        ("H1", "C2"),
    ],
    "third-degree": [("C1", "C3"), ("C2", "C3")],
}
DUPLICATE_DISCORDANCE = 0.01


@dataclass(frozen=True)
class RelatedCohort:
    """What was written: the fileset prefix, its size, and the true related pairs."""

    prefix: Path
    samples: int
    variants: int
    truth: dict[str, set[frozenset[str]]]


def _meiosis(
    parents: NDArray[np.bool_], n_sites: int, centimorgans: float, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """One gamete of each parent in ``parents`` (k, 2, sites): shape (k, sites)."""
    k = parents.shape[0]
    flips = np.zeros((k, n_sites + 1), dtype=np.int8)
    counts = np.asarray(rng.poisson(centimorgans / 100, k))
    rows = np.repeat(np.arange(k), counts)
    np.add.at(flips, (rows, rng.integers(0, n_sites, counts.sum())), 1)
    strand = (np.cumsum(flips[:, :n_sites], axis=1) + rng.integers(0, 2, (k, 1))) % 2
    return np.take_along_axis(parents, strand[:, None, :].astype(np.int64), axis=1)[:, 0]


def write_related_cohort(
    prefix: Path,
    samples: int,
    variants: int,
    seed: int,
    *,
    families: int | None = None,
    duplicates: int | None = None,
    fst: float = 0.02,
) -> RelatedCohort:
    """Write ``prefix``.bed/.bim/.fam (and ``prefix``.truth.tsv) for ``samples`` samples.

    By default a third of the samples are in families and 1% are second samples of a person.
    """
    rng = np.random.default_rng(seed)
    families = samples // 33 if families is None else families
    duplicates = samples // 100 if duplicates is None else duplicates
    people = samples - duplicates
    unrelated = people - families * len(_FAMILY)
    if unrelated < duplicates or unrelated < 0:
        raise ValueError("too few samples for the families and duplicates asked for")
    names = [f"U{i:06d}" for i in range(unrelated)]
    names += [f"F{f:05d}-{m}" for f in range(families) for m in _FAMILY]
    person = {name: k for k, name in enumerate(names)}
    copied = np.sort(rng.choice(unrelated, duplicates, replace=False))  # no extra relatives
    sample_names = names + [f"{names[p]}-DUP" for p in copied]
    population = np.empty(people, dtype=np.int64)
    population[:unrelated] = np.arange(unrelated) % 4
    population[unrelated:] = np.repeat(np.arange(families) % 4, len(_FAMILY))
    founders = np.array([not n.endswith(tuple(_PARENTS)) for n in names])
    per_chromosome = -(-variants // 22)
    prefix.with_suffix(".fam").write_text(
        "".join(f"{n.split('-')[0]}\t{n}\t0\t0\t0\t-9\n" for n in sample_names)
    )
    bim = []
    with prefix.with_suffix(".bed").open("wb") as bed:
        bed.write(b"\x6c\x1b\x01")
        written = 0
        for c in range(22):
            m = min(per_chromosome, variants - written)
            if m <= 0:
                break
            ancestral = rng.uniform(0.05, 0.5, m)
            shape = ancestral * (1 - fst) / fst, (1 - ancestral) * (1 - fst) / fst
            frequency = rng.beta(*shape, size=(4, m))
            haplotypes = np.zeros((people, 2, m), dtype=bool)
            # An allele is alternate when a uniform 16-bit draw falls under its frequency in
            # 65,536ths: a few times faster than drawing doubles, and a step far below the
            # frequencies' own sampling error.
            threshold = np.minimum(np.round(frequency * 65536), 65535).astype(np.uint16)
            haplotypes[founders] = (
                rng.integers(0, 65536, (int(founders.sum()), 2, m), dtype=np.uint16)
                < threshold[population[founders]][:, None, :]
            )
            for generation in (("P1", "P2"), ("C1", "C2", "C3", "H1")):
                for member in generation:
                    father, mother = _PARENTS[member]
                    child = [person[f"F{f:05d}-{member}"] for f in range(families)]
                    for side, parent in enumerate((father, mother)):
                        index = [person[f"F{f:05d}-{parent}"] for f in range(families)]
                        haplotypes[child, side] = _meiosis(haplotypes[index], m, GENETIC_CM[c], rng)
            dosage = haplotypes.sum(axis=1, dtype=np.int8)  # (people, sites)
            copies = dosage[copied]
            noise = rng.random(copies.shape) < DUPLICATE_DISCORDANCE
            copies[noise] = rng.integers(0, 3, int(noise.sum()))
            _write_bed_rows(bed, np.concatenate([dosage, copies]).T)
            positions = np.sort(rng.choice(np.arange(1, 10 * m * 100), m, replace=False))
            bim += [f"{c + 1}\t{c + 1}:{p}\t0\t{p}\tA\tG\n" for p in positions.tolist()]
            written += m
    prefix.with_suffix(".bim").write_text("".join(bim))
    truth: dict[str, set[frozenset[str]]] = {
        kind: {
            frozenset((f"F{f:05d}-{a}", f"F{f:05d}-{b}")) for f in range(families) for a, b in pairs
        }
        for kind, pairs in _TRUTH.items()
    }
    truth["duplicate"] = {frozenset((names[p], f"{names[p]}-DUP")) for p in copied}
    with prefix.with_suffix(".truth.tsv").open("w", encoding="utf-8") as handle:
        handle.write("sample_a\tsample_b\trelationship\n")
        for kind, pairs_of_kind in truth.items():
            for pair in sorted(tuple(sorted(p)) for p in pairs_of_kind):
                handle.write(f"{pair[0]}\t{pair[1]}\t{kind}\n")
    return RelatedCohort(prefix, len(sample_names), written, truth)


def _write_bed_rows(handle: object, dosage: NDArray[np.int8]) -> None:
    """Append variant-major .bed rows for a (sites, samples) dosage matrix."""
    sites, n = dosage.shape
    # Dosage 0, 1, 2 to the PLINK 1 codes 0b11, 0b10, 0b00 (homozygous A2, heterozygous,
    # homozygous A1), in arithmetic: a lookup table through fancy indexing costs more.
    codes = (3 - dosage - (dosage == 2)).astype(np.uint8)
    padded = np.zeros((sites, -(-n // 4) * 4), dtype=np.uint8)
    padded[:, :n] = codes
    quads = padded.reshape(sites, -1, 4)
    packed = quads[:, :, 0] | (quads[:, :, 1] << 2) | (quads[:, :, 2] << 4) | (quads[:, :, 3] << 6)
    handle.write(packed.astype(np.uint8).tobytes())  # type: ignore[attr-defined]
