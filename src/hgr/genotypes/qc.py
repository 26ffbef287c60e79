"""Quality control and allele counts of a store, in one pass over its genotype chunks.

Per sample: call rate, heterozygosity (autosomes), Ti/Tv of the biallelic SNVs it carries,
and sex inferred from chrX and chrY, compared with the declared sex. Per variant: call rate,
allele counts and frequencies, and the exact Hardy–Weinberg p-value (``hwe``). Allele counts
are also kept per population and per region of the donors, for the survey and the beacon.

Methods, as in the tools researchers know:

* sex from the chrX inbreeding coefficient F outside the pseudo-autosomal regions, as PLINK's
  ``--check-sex`` (F < 0.2 female, F > 0.8 male), with chrY call rate where chrX is silent;
  a haploid or half-missing call on chrX/chrY (``0``, ``0/.``) is a hemizygous call;
* samples below 95% call rate, and heterozygosity outliers (Anderson et al. 2010, Nat Protoc
  5:1564, "Data quality control in genetic case-control association studies"), judged within
  the sample's population by median and MAD, 5 robust standard deviations out: Anderson's
  ±3 SD would flag 0.3% of any large cohort by chance alone;
* Ti/Tv counted as in ``bcftools stats``: a sample's non-reference calls at SNVs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from hgr.genotypes.allele_hash import allele_hashes
from hgr.genotypes.builds import AUTOSOMES, GenomeBuild, canonical_contig
from hgr.genotypes.hwe import hwe_exact
from hgr.genotypes.sex import by_ratio, by_x

__all__ = ["QcReport", "QcThresholds", "SampleQc", "StoreSummary", "summarise_store"]

# Pseudo-autosomal boundaries on chrX, as PLINK's --split-x uses them: the non-PAR region
# runs from the first position to the second (1-based, inclusive).
NON_PAR_X: dict[GenomeBuild, tuple[int, int]] = {
    GenomeBuild.NCBI36: (2_709_521, 154_584_237),
    GenomeBuild.GRCH37: (2_699_521, 154_931_043),
    GenomeBuild.GRCH38: (2_781_480, 155_701_382),
}
NON_PAR_Y: dict[GenomeBuild, tuple[int, int]] = {
    GenomeBuild.NCBI36: (2_709_521, 57_443_437),
    GenomeBuild.GRCH37: (2_649_521, 59_034_049),
    GenomeBuild.GRCH38: (2_781_480, 56_887_902),
}
_TRANSITIONS = frozenset({("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")})


@dataclass(frozen=True)
class QcThresholds:
    """Where a sample or a variant is flagged; the defaults follow Anderson et al. (2010)."""

    min_sample_call_rate: float = 0.95
    heterozygosity_robust_sd: float = 5.0
    female_max_f: float = 0.2
    male_min_f: float = 0.8
    min_sex_sites: int = 20
    min_variant_call_rate: float = 0.95
    hwe_p: float = 1e-6


@dataclass(frozen=True)
class SampleQc:
    """One sample's QC figures and the flags they raise."""

    position: int
    call_rate: float
    heterozygosity: float | None
    ti_tv: float | None
    x_f: float | None
    x_sites: int
    y_call_rate: float | None
    inferred_sex: str  # male, female or unknown
    declared_sex: str
    flags: tuple[str, ...]


@dataclass
class StoreSummary:
    """What one pass over a store found: sample QC, and counts of variants by QC outcome.

    The per-variant arrays it computed are written into the store itself (see
    ``summarise_store``); ``group_ids`` names the populations and regions along their
    ``*_allele_count`` arrays' second dimension.
    """

    samples: list[SampleQc]
    group_ids: dict[str, list[str]]
    variant_counts: dict[str, int] = field(default_factory=dict)
    thresholds: QcThresholds = field(default_factory=QcThresholds)
    ploidy_errors: list[tuple[int, int]] = field(default_factory=list)  # (variant, kind)


def _site_classes(
    group: Any, build: GenomeBuild
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Per variant: autosomal, chrX outside the PARs, chrY outside the PARs, haploid-allowed."""
    names = [canonical_contig(str(c)) for c in group["contig_id"][:]]
    contigs = group["variant_contig"][:]
    positions = group["variant_position"][:]
    auto = np.array([n in AUTOSOMES for n in names] + [False])[contigs]
    is_x = np.array([n == "X" for n in names] + [False])[contigs]
    is_y = np.array([n == "Y" for n in names] + [False])[contigs]
    is_mt = np.array([n == "MT" for n in names] + [False])[contigs]
    x_lo, x_hi = NON_PAR_X[build]
    y_lo, y_hi = NON_PAR_Y[build]
    x_non_par = is_x & (positions >= x_lo) & (positions <= x_hi)
    y_non_par = is_y & (positions >= y_lo) & (positions <= y_hi)
    haploid_allowed = x_non_par | y_non_par | is_mt
    return auto, x_non_par, y_non_par, haploid_allowed


def _snv_classes(alleles: NDArray[Any]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per variant: biallelic transition, biallelic transversion."""
    ts = np.zeros(len(alleles), dtype=bool)
    tv = np.zeros(len(alleles), dtype=bool)
    for i, row in enumerate(alleles):
        kept = [str(a) for a in row if str(a)]
        if len(kept) == 2 and len(kept[0]) == 1 and len(kept[1]) == 1 and kept[1] in "ACGT":
            pair = (kept[0].upper(), kept[1].upper())
            ts[i] = pair in _TRANSITIONS
            tv[i] = not ts[i] and pair[0] != pair[1]
    return ts, tv


def _group_index(labels: Sequence[str | None]) -> tuple[list[str], NDArray[np.int32]]:
    """The sorted distinct labels, and each sample's index among them (-1: no label)."""
    ids = sorted({label for label in labels if label})
    index = {label: i for i, label in enumerate(ids)}
    return ids, np.array([index[label] if label else -1 for label in labels], dtype=np.int32)


def summarise_store(
    group: Any,
    build: GenomeBuild,
    *,
    declared_sex: Sequence[str],
    groupings: dict[str, Sequence[str | None]],
    strata: Sequence[str | None] | None = None,
    thresholds: QcThresholds | None = None,
    threads: int = 1,
) -> StoreSummary:
    """QC and allele counts of the store ``group`` (opened for writing), chunk by chunk.

    Adds to the store, along ``variants``: ``variant_call_rate``, ``variant_allele_count``,
    ``variant_allele_total``, ``variant_allele_frequency``, ``variant_hwe_p_value`` (NaN
    where the exact test does not apply: multiallelic or non-autosomal sites) and
    ``variant_allele_hash`` (``allele_hash.py``, for exact lookups); and for each
    grouping NAME, ``NAME_id`` with ``NAME_allele_count`` (variants × groups × alleles) and
    ``NAME_allele_total`` (variants × groups).

    Parameters
    ----------
    declared_sex
        Each sample's registered sex (male, female, unknown), in store order.
    groupings
        Named labellings of the samples (``population``, ``region``), in store order; a
        sample with no label counts in no group.
    strata
        Each sample's population: heterozygosity is judged against the sample's own
        population where it has enough genotyped members, since populations differ in
        diversity (a small isolated one is less heterozygous, and not for poor quality).
    threads
        Chunks summarised at once.

    The same pass checks ploidy: ``StoreSummary.ploidy_errors`` lists the variants holding a
    call of more than two alleles (kind 2), or a haploid call on an autosome (kind 1).
    """
    limits = thresholds or QcThresholds()
    genotypes = group["call_genotype"]
    n_variants, n_samples, _ploidy = genotypes.shape
    auto, x_non_par, y_non_par, haploid_allowed = _site_classes(group, build)
    alleles = group["variant_allele"][:]
    ts, tv = _snv_classes(alleles)
    n_alleles = alleles.shape[1]
    multiallelic = (
        np.array([str(a) != "" for a in alleles[:, 2]])
        if n_alleles > 2
        else np.zeros(n_variants, dtype=bool)
    )
    testable = auto & ~multiallelic
    x_sites_mask = x_non_par & (ts | tv)
    step = genotypes.chunks[0]

    indexed = {name: _group_index(labels) for name, labels in groupings.items()}
    labels = np.full((max(len(indexed), 1), n_samples), -1, dtype=np.int32)
    widths = [max(len(ids), 1) for ids, _index in indexed.values()] or [1]
    grouped = []
    for k, (name, (ids, index)) in enumerate(indexed.items()):
        labels[k] = index
        _add_array(group, f"{name}_id", data=np.array(ids or [""], dtype=str), dimensions=[name])
        grouped.append(
            (
                _add_array(
                    group,
                    f"{name}_allele_count",
                    shape=(n_variants, widths[k], n_alleles),
                    chunks=(step, widths[k], n_alleles),
                    dtype=np.int32,
                    dimensions=["variants", name, "alleles"],
                ),
                _add_array(
                    group,
                    f"{name}_allele_total",
                    shape=(n_variants, widths[k]),
                    chunks=(step, widths[k]),
                    dtype=np.int32,
                    dimensions=["variants", name],
                ),
            )
        )

    call_rate = np.zeros(n_variants, dtype=np.float32)
    allele_count = np.zeros((n_variants, n_alleles), dtype=np.int32)
    allele_total = np.zeros(n_variants, dtype=np.int32)
    hwe_counts = np.zeros((n_variants, 3), dtype=np.int64)
    ploidy_error = np.zeros(n_variants, dtype=np.int8)
    per_sample = np.zeros((11, n_samples), dtype=np.float64)
    lock = threading.Lock()

    def chunk(start: int) -> None:
        # Chunks touch disjoint variants; only the per-sample sums are shared, so each
        # chunk sums into its own array first. The kernel releases the GIL (nogil), as
        # does Blosc decompression, so chunks run in parallel on threads.
        stop = min(start + step, n_variants)
        mine = np.zeros((11, n_samples), dtype=np.float64)
        counts = np.zeros((stop - start, labels.shape[0], max(widths), n_alleles), np.int32)
        totals = np.zeros((stop - start, labels.shape[0], max(widths)), np.int32)
        _accumulate(
            genotypes[start:stop],
            start,
            haploid_allowed,
            auto,
            ts,
            tv,
            x_sites_mask,
            y_non_par,
            testable,
            labels,
            mine,
            call_rate,
            allele_count,
            allele_total,
            hwe_counts,
            ploidy_error,
            counts,
            totals,
        )
        for k, (count_array, total_array) in enumerate(grouped):
            count_array[start:stop] = counts[:, k, : widths[k]]
            total_array[start:stop] = totals[:, k, : widths[k]]
        with lock:
            np.add(per_sample, mine, out=per_sample)

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        list(pool.map(chunk, range(0, n_variants, step)))

    hwe_p = np.full(n_variants, np.nan, dtype=np.float64)
    hwe_p[testable] = hwe_exact(
        hwe_counts[testable, 1], hwe_counts[testable, 0], hwe_counts[testable, 2]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        frequency = np.where(
            allele_total[:, None] > 0, allele_count / np.maximum(allele_total, 1)[:, None], np.nan
        ).astype(np.float32)
    for name, data in {
        "variant_call_rate": call_rate,
        "variant_allele_count": allele_count,
        "variant_allele_total": allele_total,
        "variant_allele_frequency": frequency,
        "variant_hwe_p_value": hwe_p,
        "variant_allele_hash": allele_hashes(alleles),
    }.items():
        dimensions = ["variants", "alleles"] if data.ndim == 2 else ["variants"]
        _add_array(group, name, data=data, chunks=(step, *data.shape[1:]), dimensions=dimensions)

    samples = _sample_results(
        limits,
        declared_sex,
        strata or [None] * n_samples,
        n_variants,
        int(y_non_par.sum()),
        per_sample,
    )
    tested = ~np.isnan(hwe_p)
    return StoreSummary(
        samples=samples,
        group_ids={name: ids for name, (ids, _index) in indexed.items()},
        variant_counts={
            "variants": n_variants,
            "low_call_rate": int((call_rate < limits.min_variant_call_rate).sum()),
            "hwe_tested": int(tested.sum()),
            "hwe_failed": int((hwe_p[tested] < limits.hwe_p).sum()),
            "monomorphic": int(((allele_count > 0).sum(axis=1) <= 1).sum()),
        },
        thresholds=limits,
        ploidy_errors=[(int(v), int(ploidy_error[v])) for v in np.flatnonzero(ploidy_error)[:1]],
    )


def _add_array(group: Any, name: str, *, dimensions: list[str], **spec: Any) -> Any:
    """Create an array with its dimension names, the way VCF Zarr records them in format 2
    (the xarray convention ``_ARRAY_DIMENSIONS``, as bio2zarr writes every array)."""
    array = group.create_array(name, **spec)
    array.attrs["_ARRAY_DIMENSIONS"] = dimensions
    group.attrs["hgr_summary_arrays"] = [*group.attrs.get("hgr_summary_arrays", []), name]
    return array


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


MIN_STRATUM = 10


def _inferred_sex(
    f: float | None, ratio: str | None, y_rate: float | None, limits: QcThresholds
) -> str:
    """Sex from chrX (F and the heterozygous ratio, :func:`hgr.genotypes.sex.by_x`) and the
    chrY call rate: one decisive and the other silent or agreeing.

    They disagree in sex-chromosome aneuploidy (XXY, X0) or a contaminated sample: unknown.
    """
    by_f = by_y = None
    if f is not None:
        by_f = "male" if f > limits.male_min_f else "female" if f < limits.female_max_f else None
    x = by_x(by_f, ratio)
    if y_rate is not None:
        by_y = "male" if y_rate >= 0.5 else "female" if y_rate <= 0.1 else None
    if (x and by_y and x != by_y) or (by_f and ratio and by_f != ratio):
        return "unknown"
    return x or by_y or "unknown"


def _heterozygosity_bounds(
    het: Sequence[float | None], strata: Sequence[str | None]
) -> list[tuple[float, float]]:
    """Each sample's reference (median, robust sd = 1.4826 × MAD): its population's when the
    population has enough genotyped members, none when it has too few (a minority population
    set against the majority would look like an outlier), the whole collection's for a
    sample of no stated population."""

    def moments(values: list[float]) -> tuple[float, float]:
        if len(values) < 2:
            return math.nan, math.nan
        array = np.array(values, dtype=np.float64)
        median = float(np.median(array))
        return median, 1.4826 * float(np.median(np.abs(array - median)))

    overall = moments([h for h in het if h is not None])
    members: dict[str, list[float]] = {}
    for h, stratum in zip(het, strata, strict=True):
        if h is not None and stratum:
            members.setdefault(stratum, []).append(h)
    by_stratum = {k: moments(v) for k, v in members.items() if len(v) >= MIN_STRATUM}
    return [
        by_stratum.get(stratum, (math.nan, math.nan)) if stratum else overall for stratum in strata
    ]


def _sample_results(
    limits: QcThresholds,
    declared: Sequence[str],
    strata: Sequence[str | None],
    n_variants: int,
    n_y: int,
    per_sample: NDArray[np.float64],
) -> list[SampleQc]:
    (
        called_n,
        auto_called,
        auto_het,
        ts_n,
        tv_n,
        x_obs_hom,
        x_exp_hom,
        x_sites,
        y_called,
        x_het,
        x_alt,
    ) = per_sample
    het = [_ratio(h, c) for h, c in zip(auto_het, auto_called, strict=True)]
    bounds = _heterozygosity_bounds(het, strata)
    results = []
    for i, sex in enumerate(declared):
        f = None
        if x_sites[i] >= limits.min_sex_sites and x_sites[i] > x_exp_hom[i]:
            f = float((x_obs_hom[i] - x_exp_hom[i]) / (x_sites[i] - x_exp_hom[i]))
        y_rate = _ratio(y_called[i], n_y) if n_y >= limits.min_sex_sites else None
        inferred = _inferred_sex(f, by_ratio(int(x_het[i]), int(x_alt[i])), y_rate, limits)
        # Women have no chrY: its sites stay out of everyone's call rate (as PLINK's --mind
        # ignores women's chrY).
        counted = n_variants - n_y
        call_rate = float(called_n[i]) / counted if counted else 0.0
        flags = []
        if call_rate < limits.min_sample_call_rate:
            flags.append("low_call_rate")
        mean, sd = bounds[i]
        h = het[i]
        if h is not None and sd > 0 and abs(h - mean) > limits.heterozygosity_robust_sd * sd:
            flags.append("heterozygosity_outlier")
        if {sex, inferred} == {"male", "female"}:
            flags.append("sex_mismatch")
        results.append(
            SampleQc(
                position=i,
                call_rate=call_rate,
                heterozygosity=het[i],
                ti_tv=_ratio(ts_n[i], tv_n[i]),
                x_f=f,
                x_sites=int(x_sites[i]),
                y_call_rate=y_rate,
                inferred_sex=inferred,
                declared_sex=sex,
                flags=tuple(flags),
            )
        )
    return results


@numba.njit(cache=True, nogil=True)
def _accumulate(
    g: NDArray[np.int8],
    offset: int,
    haploid_allowed: NDArray[np.bool_],
    auto: NDArray[np.bool_],
    ts: NDArray[np.bool_],
    tv: NDArray[np.bool_],
    x_sites_mask: NDArray[np.bool_],
    y_non_par: NDArray[np.bool_],
    testable: NDArray[np.bool_],
    labels: NDArray[np.int32],
    per_sample: NDArray[np.float64],
    call_rate: NDArray[np.float32],
    allele_count: NDArray[np.int32],
    allele_total: NDArray[np.int32],
    hwe_counts: NDArray[np.int64],
    ploidy_error: NDArray[np.int8],
    group_counts: NDArray[np.int32],
    group_totals: NDArray[np.int32],
) -> None:
    """Add one chunk of genotypes (variants × samples × ploidy) to every accumulator.

    ``per_sample`` rows: called (outside chrY), autosomal called, autosomal heterozygous,
    transitions, transversions, chrX observed homozygous, chrX expected homozygous, chrX
    sites, chrY called, chrX heterozygous, chrX homozygous (or hemizygous) alternate.
    """
    n_variants, n_samples, ploidy = g.shape
    n_alleles = allele_count.shape[1]
    n_groupings = labels.shape[0]
    # Per-site counters, added to the shared arrays once per site: numba cannot tell that
    # the output arrays do not alias the site classes, so sums kept in them would be
    # reloaded and stored for every call.
    site_counts = np.zeros(n_alleles, dtype=np.int64)
    hwe = np.zeros(3, dtype=np.int64)
    for v in range(n_variants):
        site = offset + v
        is_auto = auto[site]
        is_y = y_non_par[site]
        is_ts = ts[site]
        is_tv = tv[site] and not is_ts
        not_y = not is_y
        is_testable = testable[site]
        may_be_haploid = haploid_allowed[site]
        p = 0.0
        if x_sites_mask[site]:  # the site's alternate allele frequency, for chrX F
            alt = 0
            total = 0
            for s in range(n_samples):
                for k in range(ploidy):
                    if g[v, s, k] >= 0:
                        total += 1
                        if g[v, s, k] == 1:
                            alt += 1
            p = alt / total if total > 0 else 0.0
        x_usable = x_sites_mask[site] and 0.0 < p < 1.0
        expected_hom = 1.0 - 2.0 * p * (1.0 - p)
        site_counts[:] = 0
        hwe[:] = 0
        present_here = 0
        called_here = 0
        error = 0
        for s in range(n_samples):
            a0 = g[v, s, 0]
            a1 = g[v, s, 1] if ploidy > 1 else -2
            for k in range(2, ploidy):
                if g[v, s, k] != -2:
                    error = 2
            if is_auto and a0 != -2 and a1 == -2 and error == 0:
                error = 1
            present = 0
            for k in range(ploidy):
                allele = g[v, s, k]
                if allele >= 0:
                    present += 1
                    if allele < n_alleles:
                        site_counts[allele] += 1
                        for j in range(n_groupings):
                            if labels[j, s] >= 0:
                                group_counts[v, j, labels[j, s], allele] += 1
            if present:
                present_here += present
                for j in range(n_groupings):
                    if labels[j, s] >= 0:
                        group_totals[v, j, labels[j, s]] += present
            # Branch-free from here: whether a call is heterozygous or carries an
            # alternate allele is as good as random, and a mispredicted branch costs more
            # than the arithmetic.
            diploid = (a0 >= 0) & (a1 >= 0)
            hemizygous = (a0 >= 0) != (a1 >= 0)
            called = diploid | (hemizygous & may_be_haploid)
            het = called & diploid & (a0 != a1)
            carrier = called & ((a0 > 0) | (a1 > 0))
            called_here += called
            per_sample[0, s] += called & not_y
            per_sample[1, s] += called & is_auto
            per_sample[2, s] += het & is_auto
            per_sample[3, s] += carrier & is_ts
            per_sample[4, s] += carrier & is_tv
            if x_usable:
                per_sample[5, s] += called and not het
                per_sample[6, s] += expected_hom * called
                per_sample[7, s] += called
                per_sample[9, s] += het
                per_sample[10, s] += carrier and not het
            if is_y:
                per_sample[8, s] += called
            if is_testable:
                hwe[0] += diploid & (a0 == 0) & (a1 == 0)
                hwe[1] += het
                hwe[2] += diploid & (a0 == 1) & (a1 == 1)
        for allele in range(n_alleles):
            allele_count[site, allele] += site_counts[allele]
        allele_total[site] += present_here
        for k in range(3):
            hwe_counts[site, k] += hwe[k]
        if error:
            ploidy_error[site] = error
        call_rate[site] = called_here / n_samples


@dataclass(frozen=True)
class QcReport:
    """A store version's QC as the registry holds it: variant counts and per-sample rows."""

    collection: str
    version: int
    thresholds: dict[str, Any]
    variant_counts: dict[str, int]
    samples: list[dict[str, Any]]

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [row for row in self.samples if row["flags"]]
