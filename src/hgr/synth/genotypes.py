"""Genotypes for a synthetic nation: msprime founders, relatives by meiosis, bgzipped VCF.

Founders' haplotypes come from a coalescent simulation (msprime) of several populations that
split from one ancestor, one of them small and isolated (the "specific region"). Children get
one recombinant haplotype from each parent: crossovers are Poisson with the chromosome's
genetic length (sex-averaged map lengths of the human autosomes, in Morgans) and uniform
positions. Sites are placed on GRCh38 coordinates so that files look like real GRCh38 VCFs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import msprime
import numpy as np
import pysam

__all__ = ["GRCH38_LENGTHS", "POPULATIONS", "Haplotypes", "simulate_founders", "write_vcf"]

POPULATIONS = ("NORTH", "SOUTH", "WEST", "HIGHLAND")

GRCH38_LENGTHS = (
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636,
    138394717, 133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345,
    83257441, 80373285, 58617616, 64444167, 46709983, 50818468,
)  # fmt: skip
# Sex-averaged genetic map lengths (cM) of chromosomes 1-22, deCODE 2010 map, rounded.
GENETIC_CM = (
    286, 268, 223, 214, 204, 192, 187, 168, 166, 181, 158,
    174, 126, 119, 141, 134, 128, 118, 107, 108, 62, 74,
)  # fmt: skip
SIMULATED_BP = 2_000_000
MIN_MINOR_FREQUENCY = 0.02


@dataclass
class Haplotypes:
    """Alleles (0/1) per chromosome: ``alleles[c]`` has shape (people, 2, sites)."""

    positions: list[np.ndarray]
    refs: list[list[str]]
    alts: list[list[str]]
    alleles: list[np.ndarray]


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
    founder_populations: Sequence[str], sites_per_chromosome: int, seed: int
) -> Haplotypes:
    """Simulate unrelated founders (one per entry, from the named population)."""
    counts = {p: int(sum(1 for f in founder_populations if f == p)) for p in POPULATIONS}
    rng = np.random.default_rng(seed)
    order: dict[str, list[int]] = {p: [] for p in POPULATIONS}
    for index, pop in enumerate(founder_populations):
        order[pop].append(index)
    positions, refs, alts, alleles = [], [], [], []
    for chromosome in range(22):
        ts = msprime.sim_ancestry(
            samples={p: n for p, n in counts.items() if n},
            demography=_demography(),
            sequence_length=SIMULATED_BP,
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
        scale = GRCH38_LENGTHS[chromosome] / SIMULATED_BP
        pos = np.array([int(sites[i].position * scale) + 1 for i in chosen], dtype=np.int64)
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
        alleles.append(ordered.astype(np.int8))
    return Haplotypes(positions, refs, alts, alleles)


def add_children(
    haplotypes: Haplotypes, parents: Sequence[tuple[int, int]], seed: int
) -> Haplotypes:
    """Append one child per (father, mother) index pair, in order, by meiosis.

    A parent index may point at a child appended earlier in the same call, so generations can
    be given in order.
    """
    rng = np.random.default_rng(seed)
    for c, alleles in enumerate(haplotypes.alleles):
        n_sites = alleles.shape[2]
        grown = np.empty((alleles.shape[0] + len(parents), 2, n_sites), dtype=np.int8)
        grown[: alleles.shape[0]] = alleles
        base = alleles.shape[0]
        for k, (father, mother) in enumerate(parents):
            for side, parent in enumerate((father, mother)):
                crossovers = np.sort(rng.integers(0, n_sites, rng.poisson(GENETIC_CM[c] / 100)))
                strand = np.zeros(n_sites, dtype=np.int64) + rng.integers(0, 2)
                for point in crossovers:
                    strand[point:] = 1 - strand[point:]
                grown[base + k, side] = grown[parent, strand, np.arange(n_sites)]
        haplotypes.alleles[c] = grown
    return haplotypes


def write_vcf(
    path: Path,
    haplotypes: Haplotypes,
    samples: Mapping[str, int],
    *,
    discordance: Mapping[str, float] | None = None,
    seed: int = 0,
) -> None:
    """Write phased genotypes of ``samples`` (sample id → person index) as bgzipped VCF 4.2.

    ``discordance`` gives, per sample, the fraction of genotypes to replace at random: the
    noise between two assays of one person.
    """
    rng = np.random.default_rng(seed)
    names = list(samples)
    index = np.array([samples[n] for n in names], dtype=np.int64)
    plain = path.with_suffix("")  # file.vcf.gz -> file.vcf
    with plain.open("w", encoding="ascii") as handle:
        handle.write("##fileformat=VCFv4.2\n##source=hgr synth (msprime)\n##reference=GRCh38\n")
        for c, length in enumerate(GRCH38_LENGTHS):
            handle.write(f"##contig=<ID=chr{c + 1},length={length},assembly=GRCh38>\n")
        handle.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(names))
        handle.write("\n")
        for c in range(len(GRCH38_LENGTHS)):
            calls = haplotypes.alleles[c][index].copy()  # (samples, 2, sites)
            for s, name in enumerate(names):
                rate = (discordance or {}).get(name, 0.0)
                if rate:
                    flip: np.ndarray = np.asarray(rng.random(calls.shape[2]) < rate)
                    calls[s, :, flip] = rng.integers(0, 2, (int(flip.sum()), 2)).astype(np.int8)
            for site in range(calls.shape[2]):
                gts = "\t".join(f"{a}|{b}" for a, b in calls[:, :, site])
                handle.write(
                    f"chr{c + 1}\t{haplotypes.positions[c][site]}\t.\t{haplotypes.refs[c][site]}\t"
                    f"{haplotypes.alts[c][site]}\t.\tPASS\t.\tGT\t{gts}\n"
                )
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
