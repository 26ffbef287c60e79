"""Genotypes for a synthetic nation: msprime founders, relatives by meiosis, bgzipped VCF.

Founders' haplotypes come from a coalescent simulation (msprime) of several populations that
split from one ancestor, one of them small and isolated (the "specific region"). Children get
one recombinant haplotype from each parent: crossovers are Poisson with the chromosome's
genetic length (sex-averaged map lengths of the human autosomes, in Morgans) and uniform
positions. Sites are placed on GRCh38 coordinates so that files look like real GRCh38 VCFs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import msprime
import numpy as np
import pysam

from hgr.genotypes.builds import CHROMOSOME_LENGTHS, GenomeBuild

__all__ = [
    "GRCH38_LENGTHS",
    "POPULATIONS",
    "Haplotypes",
    "simulate_founders",
    "write_cohort_vcf",
    "write_vcf",
]

POPULATIONS = ("NORTH", "SOUTH", "WEST", "HIGHLAND")

# The GRCh38 lengths of chromosomes 1-22 (hgr.genotypes.builds holds every build's).
GRCH38_LENGTHS = tuple(CHROMOSOME_LENGTHS[GenomeBuild.GRCH38][str(c)] for c in range(1, 23))
# Sex-averaged genetic map lengths (cM) of chromosomes 1-22, deCODE 2010 map, rounded.
GENETIC_CM = (
    286,
    268,
    223,
    214,
    204,
    192,
    187,
    168,
    166,
    181,
    158,
    174,
    126,
    119,
    141,
    134,
    128,
    118,
    107,
    108,
    62,
    74,
)
SIMULATED_BP = 2_000_000
MIN_MINOR_FREQUENCY = 0.02
# Sex chromosomes: sites go outside the pseudo-autosomal regions (GRCh38), where men carry
# one X and one Y. The female X map is about 180 cM; the male-specific Y does not recombine.
SEX_CHROMOSOMES = {
    "chrX": (156040895, (2_781_480, 155_701_382), 180),
    "chrY": (57227415, (2_781_480, 56_887_902), 0),
}
ABSENT = -1  # no allele on this haplotype: men's second X, women's Y
UNCALLED = -2  # written as a missing call


@dataclass
class Haplotypes:
    """Alleles (0/1) per chromosome: ``alleles[c]`` has shape (people, 2, sites).

    ``names`` are the chromosomes, chr1-chr22 then chrX and chrY when sexes were given;
    on those two a haplotype a person lacks holds ``ABSENT``.
    """

    positions: list[np.ndarray]
    refs: list[list[str]]
    alts: list[list[str]]
    alleles: list[np.ndarray]
    names: list[str] = field(default_factory=lambda: [f"chr{c + 1}" for c in range(22)])

    def length(self, c: int) -> int:
        name = self.names[c]
        return SEX_CHROMOSOMES[name][0] if name in SEX_CHROMOSOMES else GRCH38_LENGTHS[c]

    def genetic_cm(self, c: int) -> int:
        name = self.names[c]
        return SEX_CHROMOSOMES[name][2] if name in SEX_CHROMOSOMES else GENETIC_CM[c]


def _demography() -> msprime.Demography:
    demography = msprime.Demography()
    for name in POPULATIONS:
        # The highland population is small and isolated: the specific-region resource.
        size = 2_000 if name == "HIGHLAND" else 10_000
        demography.add_population(name=name, initial_size=size)
    demography.add_population(name="ANCESTRAL", initial_size=10_000)
    lowland = [p for p in POPULATIONS if p != "HIGHLAND"]
    demography.set_symmetric_migration_rate(lowland, 2e-4)
    demography.add_population_split(time=1_200, derived=list(POPULATIONS), ancestral="ANCESTRAL")
    return demography


def simulate_founders(
    founder_populations: Sequence[str],
    sites_per_chromosome: int,
    seed: int,
    *,
    simulated_bp: int = SIMULATED_BP,
    sexes: Sequence[str] | None = None,
) -> Haplotypes:
    """Simulate unrelated founders (one per entry, from the named population).

    ``simulated_bp`` is the length simulated per chromosome (then stretched over the real
    chromosome): longer gives more common sites to choose ``sites_per_chromosome`` from.
    With ``sexes`` (male or female per founder), chrX and chrY are simulated too.
    """
    counts = {p: int(sum(1 for f in founder_populations if f == p)) for p in POPULATIONS}
    rng = np.random.default_rng(seed)
    order: dict[str, list[int]] = {p: [] for p in POPULATIONS}
    for index, pop in enumerate(founder_populations):
        order[pop].append(index)
    positions, refs, alts, alleles = [], [], [], []
    names = [f"chr{c + 1}" for c in range(22)] + (list(SEX_CHROMOSOMES) if sexes else [])
    for chromosome, name in enumerate(names):
        ts = msprime.sim_ancestry(
            samples={p: n for p, n in counts.items() if n},
            demography=_demography(),
            sequence_length=simulated_bp,
            recombination_rate=1e-8,
            random_seed=seed * 100 + chromosome + 1,
        )
        ts = msprime.sim_mutations(ts, rate=1.25e-8, random_seed=seed * 100 + chromosome + 1)
        matrix = ts.genotype_matrix()  # (sites, haplotypes), haplotypes grouped by individual
        biallelic = np.array([len(s.mutations) == 1 for s in ts.sites()], dtype=bool)
        frequency = matrix.mean(axis=1)
        keep = biallelic & (np.minimum(frequency, 1 - frequency) >= MIN_MINOR_FREQUENCY)
        chosen = np.flatnonzero(keep)
        if len(chosen) > sites_per_chromosome:
            chosen = np.sort(rng.choice(chosen, sites_per_chromosome, replace=False))
        sites = list(ts.sites())
        start, end = SEX_CHROMOSOMES[name][1] if name in SEX_CHROMOSOMES else (1, 0)
        end = end or GRCH38_LENGTHS[chromosome]
        scale = (end - start) / simulated_bp
        pos = np.array([int(sites[i].position * scale) + start for i in chosen], dtype=np.int64)
        for i in range(1, len(pos)):  # scaling can merge neighbours; VCF needs distinct POS
            if pos[i] <= pos[i - 1]:
                pos[i] = pos[i - 1] + 1
        # msprime orders individuals by population; put them back in the caller's order.
        by_individual = matrix[chosen].T.reshape(-1, 2, len(chosen))
        ordered = np.empty_like(by_individual)
        start = 0
        for pop in POPULATIONS:
            n = counts[pop]
            ordered[order[pop]] = by_individual[start : start + n]
            start += n
        positions.append(pos)
        refs.append([sites[i].ancestral_state for i in chosen])
        alts.append([sites[i].mutations[0].derived_state for i in chosen])
        ordered = ordered.astype(np.int8)
        if sexes and name in SEX_CHROMOSOMES:
            male = np.array([sex == "male" for sex in sexes])
            ordered[male, 1] = ABSENT  # one X, one Y
            if name == "chrY":
                ordered[~male] = ABSENT
        alleles.append(ordered)
    return Haplotypes(positions, refs, alts, alleles, names)


def add_children(
    haplotypes: Haplotypes,
    parents: Sequence[tuple[int, int]],
    seed: int,
    *,
    sexes: Sequence[str] | None = None,
) -> Haplotypes:
    """Append one child per (father, mother) index pair, in order, by meiosis.

    A parent index may point at a child appended earlier in the same call, so generations can
    be given in order. ``sexes`` (the children's) is needed when there are sex chromosomes:
    a daughter gets her father's X, a son his Y, and both a recombined X from their mother.
    """
    rng = np.random.default_rng(seed)
    for c, alleles in enumerate(haplotypes.alleles):
        name = haplotypes.names[c]
        n_sites = alleles.shape[2]
        grown = np.empty((alleles.shape[0] + len(parents), 2, n_sites), dtype=np.int8)
        grown[: alleles.shape[0]] = alleles
        base = alleles.shape[0]
        for k, (father, mother) in enumerate(parents):
            son = sexes is not None and sexes[k] == "male"
            if name == "chrY":
                grown[base + k] = ABSENT
                if son:
                    grown[base + k, 0] = grown[father, 0]
                continue
            for side, parent in enumerate((father, mother)):
                if name == "chrX" and side == 0:
                    continue  # filled below, from the mother's meiosis and the father's X
                crossovers = np.sort(
                    rng.integers(0, n_sites, rng.poisson(haplotypes.genetic_cm(c) / 100))
                )
                strand = np.zeros(n_sites, dtype=np.int64) + rng.integers(0, 2)
                for point in crossovers:
                    strand[point:] = 1 - strand[point:]
                grown[base + k, side] = grown[parent, strand, np.arange(n_sites)]
            if name == "chrX":
                maternal = grown[base + k, 1].copy()
                grown[base + k, 0] = maternal
                grown[base + k, 1] = ABSENT if son else grown[father, 0]
        haplotypes.alleles[c] = grown
    return haplotypes


def write_vcf(
    path: Path,
    haplotypes: Haplotypes,
    samples: Mapping[str, int],
    *,
    discordance: Mapping[str, float] | None = None,
    missing: Mapping[str, float] | None = None,
    seed: int = 0,
) -> None:
    """Write phased genotypes of ``samples`` (sample id → person index) as bgzipped VCF 4.2.

    ``discordance`` gives, per sample, the fraction of genotypes to replace at random: the
    noise between two assays of one person. ``missing`` gives, per sample, the fraction of
    calls left uncalled (``.|.``): a failing assay.
    """
    rng = np.random.default_rng(seed)
    names = list(samples)
    index = np.array([samples[n] for n in names], dtype=np.int64)
    plain = path.with_suffix("")  # file.vcf.gz -> file.vcf
    with plain.open("w", encoding="ascii", newline="\n") as handle:
        handle.write("##fileformat=VCFv4.2\n##source=hgr synth (msprime)\n##reference=GRCh38\n")
        for c, name in enumerate(haplotypes.names):
            handle.write(f"##contig=<ID={name},length={haplotypes.length(c)},assembly=GRCh38>\n")
        handle.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(names))
        handle.write("\n")
        for c in range(len(haplotypes.names)):
            calls = haplotypes.alleles[c][index].copy()  # (samples, 2, sites)
            for s, name in enumerate(names):
                rate = (discordance or {}).get(name, 0.0)
                if rate:
                    flip: np.ndarray = np.asarray(rng.random(calls.shape[2]) < rate)
                    present = calls[s, :, flip] != ABSENT
                    noise = rng.integers(0, 2, (int(flip.sum()), 2)).astype(np.int8)
                    calls[s, :, flip] = np.where(present, noise, ABSENT)
                gaps = (missing or {}).get(name, 0.0)
                if gaps:
                    calls[s, :, rng.random(calls.shape[2]) < gaps] = UNCALLED
            if haplotypes.names[c] in SEX_CHROMOSOMES or (calls < 0).any():
                _write_calls_slowly(handle, c, haplotypes, calls)
            else:
                _write_calls(handle, c, haplotypes, calls)
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


_BLOCK = 2_000


def _write_calls(handle: TextIO, c: int, haplotypes: Haplotypes, calls: np.ndarray) -> None:
    """Write chromosome ``c``'s records; calls are (samples, 2, sites) alleles 0/1.

    Each site's genotype columns are built as one byte array ("a|b\t" per sample) rather
    than formatted call by call: a 5,000-sample file is written in seconds, not minutes.
    """
    n_samples, _ploidy, n_sites = calls.shape
    for start in range(0, n_sites, _BLOCK):
        stop = min(start + _BLOCK, n_sites)
        text = np.empty((stop - start, n_samples, 4), dtype=np.uint8)
        text[:, :, 0] = 48 + calls[:, 0, start:stop].T
        text[:, :, 1] = ord("|")
        text[:, :, 2] = 48 + calls[:, 1, start:stop].T
        text[:, :, 3] = ord("\t")
        text[:, -1, 3] = ord("\n")
        for offset, site in enumerate(range(start, stop)):
            handle.write(_fixed_columns(haplotypes, c, site))
            handle.write(text[offset].tobytes().decode("ascii"))


def _fixed_columns(haplotypes: Haplotypes, c: int, site: int) -> str:
    return (
        f"{haplotypes.names[c]}\t{haplotypes.positions[c][site]}\t.\t"
        f"{haplotypes.refs[c][site]}\t{haplotypes.alts[c][site]}\t.\tPASS\t.\tGT\t"
    )


def _cell(first: int, second: int) -> str:
    if first == UNCALLED or second == UNCALLED:
        return "." if ABSENT in (first, second) else ".|."
    if first == ABSENT and second == ABSENT:
        return "."
    if second == ABSENT:
        return str(first)
    if first == ABSENT:
        return str(second)
    return f"{first}|{second}"


def _write_calls_slowly(handle: TextIO, c: int, haplotypes: Haplotypes, calls: np.ndarray) -> None:
    """Write records call by call: haploid and missing calls have their own widths."""
    for site in range(calls.shape[2]):
        cells = "\t".join(_cell(int(a), int(b)) for a, b in calls[:, :, site])
        handle.write(_fixed_columns(haplotypes, c, site) + cells + "\n")


def write_cohort_vcf(path: Path, samples: int, variants: int, seed: int) -> None:
    """A bgzipped VCF of ``samples`` unrelated people and about ``variants`` common sites.

    For benchmarks and scale tests: people drawn evenly from the four populations, sites
    spread evenly over chromosomes 1-22 (GRCh38 coordinates).
    """
    per_chromosome = -(-variants // len(GRCH38_LENGTHS))
    populations = [POPULATIONS[i % len(POPULATIONS)] for i in range(samples)]
    haplotypes = simulate_founders(
        populations, per_chromosome, seed, simulated_bp=max(SIMULATED_BP, per_chromosome * 900)
    )
    write_vcf(path, haplotypes, {f"P{i:07d}": i for i in range(samples)}, seed=seed)
