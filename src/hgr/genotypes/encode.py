"""Encoding prepared sources into a VCF Zarr store with bio2zarr, and placing them in it.

Files that carry only GT were parsed into call blocks as they were sealed (``call_blocks``);
bio2zarr's VCF Zarr writer encodes those blocks directly. Other files (INFO or further
FORMAT fields, BCF) go through bio2zarr's VCF reader: it explodes them into its intermediate
columnar format and encodes that. Both run in worker processes and write the same arrays for
the fixed columns and the calls. A refusal from htslib is traced back to the file and line
it came from; each source's first variant in the store is found so that later checks can
name the line of any variant.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cyvcf2
import numcodecs
import numpy as np
import zarr
from bio2zarr import plink as bio2zarr_plink
from bio2zarr import vcf as bio2zarr_vcf
from bio2zarr import vcz

from hgr.exceptions import Conflict, FormatError
from hgr.genotypes.call_blocks import CallSetSource, plan_call_sets
from hgr.genotypes.qc import StoreSummary
from hgr.genotypes.sources import Source, index_working_copy
from hgr.genotypes.vcf_scan import at_line

__all__ = [
    "ICF_COMPRESSOR",
    "encode_plink",
    "encode_vcf",
    "merge_samples",
    "place_sources",
    "refuse_ploidy",
]

# bio2zarr's intermediate columnar files live only as long as the ingestion: compress them
# for speed (LZ4, level 1) rather than for size (its default is Zstandard, level 7).
ICF_COMPRESSOR = numcodecs.Blosc(cname="lz4", clevel=1, shuffle=numcodecs.Blosc.NOSHUFFLE)


def encode_vcf(sources: Sequence[Source], work: Path, workers: int) -> tuple[Path, Any]:
    """Encode VCF/BCF sources into ``work/store.vcz``; returns its path and open group."""
    target = work / "store.vcz"
    if all(source.layout.calls is not None for source in sources):
        plan = plan_call_sets(
            [source.layout.calls for source in sources if source.layout.calls],
            work / "calls-plan.json",
        )
        calls = CallSetSource(plan)
        group = vcz.encode(
            calls, calls.generate_schema(), target, worker_processes=workers, mode="r+"
        )
        return target, group
    for source in sources:
        index_working_copy(source)  # each has one: see sources.keep_working_copies
    try:
        bio2zarr_vcf.explode(
            work / "icf",
            [source.working for source in sources],
            worker_processes=workers,
            compressor=ICF_COMPRESSOR,
        )
        group = bio2zarr_vcf.encode(work / "icf", target, worker_processes=workers, mode="r+")
    except ValueError as exc:
        text = str(exc)
        if "overlap" in text.lower():
            raise Conflict(
                "the files hold overlapping regions of the genome: a variant may come from "
                f"one file only ({text})",
                code="E_SOURCES_OVERLAP",
            ) from exc
        raise FormatError(
            "the files' headers are not compatible (their INFO, FORMAT, FILTER or contig "
            f"definitions differ): {text}; make them agree (bcftools reheader)",
            code="E_VCF_HEADER",
        ) from exc
    except Exception as exc:
        _locate_parse_error(sources)
        raise FormatError(
            f"bio2zarr could not encode the files: {exc}", code="E_VCF_MALFORMED"
        ) from exc
    return target, group


def encode_plink(work: Path, workers: int) -> tuple[Path, Any]:
    target = work / "store.vcz"
    group = bio2zarr_plink.convert(work / "plink", target, worker_processes=workers, mode="r+")
    return target, group


def _locate_parse_error(sources: Sequence[Source]) -> None:
    """Find the record htslib refused, to name its line; raises when it finds one."""
    for source in sources:
        index = 0
        try:
            reader = cyvcf2.VCF(str(source.working))
            for index, variant in enumerate(reader):  # noqa: B007
                variant.genotype  # noqa: B018  (parses the calls)
        except Exception as exc:
            raise FormatError(
                f"{at_line(source.layout.source, source.layout.line_of_record(index + 1))}: "
                f"htslib cannot parse this record ({exc})",
                code="E_VCF_MALFORMED",
            ) from exc


def place_sources(sources: list[Source], group: Any) -> list[Source]:
    """Order sources as bio2zarr placed them; each must be one unbroken block of variants."""
    contig_ids = [str(c) for c in group["contig_id"][:]]
    contigs = group["variant_contig"][:]
    positions = group["variant_position"][:]
    for source in sources:
        contig = contig_ids.index(source.layout.contigs[0])
        hits = np.flatnonzero((contigs == contig) & (positions == source.layout.first_position))
        source.start = int(hits[0]) if len(hits) else -1
    placed = sorted(sources, key=lambda s: s.start)
    expected = 0
    for source in placed:
        if source.start != expected:
            raise Conflict(
                f"{source.layout.source}: its variants interleave with another file's: each "
                "file must hold its own contigs or regions",
                code="E_SOURCES_OVERLAP",
            )
        expected += source.layout.records
    if expected != len(positions):
        raise FormatError(
            f"the store holds {len(positions)} variants where the files hold {expected}",
            code="E_ENCODE",
        )
    return placed


def refuse_ploidy(summary: StoreSummary, placed: Sequence[Source]) -> None:
    """Diploid calls everywhere, haploid allowed on X, Y and MT (VCF 4.3 §1.6.2, GT)."""
    for index, kind in summary.ploidy_errors:
        source = next(s for s in reversed(placed) if s.start <= index)
        line = source.layout.line_of_record(index - source.start)
        raise FormatError(
            f"{at_line(source.layout.source, line)}: wrong ploidy: a call has "
            f"{'more than two alleles' if kind == 2 else 'one allele'} where diploid "
            "calls are expected (only X, Y and MT may be haploid)",
            code="E_VCF_PLOIDY",
        )


def _sites(group: Any) -> tuple[list[str], list[int], list[list[str]]]:
    names = [str(c) for c in group["contig_id"][:]]
    contigs = [names[i] for i in group["variant_contig"][:]]
    alleles = [[str(a) for a in row if str(a)] for row in group["variant_allele"][:]]
    return contigs, group["variant_position"][:].tolist(), alleles


def merge_samples(previous: Path, batch: Any, target: Path, source: str) -> Any:
    """The previous store with a batch of new samples at the same sites appended, at ``target``.

    Every array along ``samples`` (genotypes, phasing, FORMAT fields, sample ids) is
    extended with the batch's columns; what ``qc`` added is dropped, to be computed again
    over all samples.

    Raises
    ------
    Conflict
        ``E_BATCH_SITES`` when the batch's variants (contig, position, alleles, in order)
        are not the store's; ``E_BATCH_FIELDS`` when its FORMAT fields or ploidy differ.
    """
    if _sites(zarr.open_group(str(previous), mode="r")) != _sites(batch):
        raise Conflict(
            f"{source} holds new samples but not at the store's sites (the same contigs, "
            "positions and alleles, in order): a batch of samples must be typed on the same "
            "sites; restrict both to their common sites (bcftools isec) and ingest again",
            code="E_BATCH_SITES",
        )
    shutil.copytree(previous, target)
    group: Any = zarr.open_group(str(target), mode="r+")
    for name in group.attrs.get("hgr_summary_arrays", []):
        del group[name]
    group.attrs["hgr_summary_arrays"] = []
    by_sample = {
        name
        for name, array in group.arrays()
        if "samples" in array.attrs.get("_ARRAY_DIMENSIONS", [])
    }
    theirs = {
        name
        for name, array in batch.arrays()
        if "samples" in array.attrs.get("_ARRAY_DIMENSIONS", [])
    }
    if by_sample != theirs:
        raise Conflict(
            f"{source} carries other per-sample fields ({', '.join(sorted(theirs ^ by_sample))} "
            "differ) than the store: keep the same FORMAT fields in every batch "
            "(bcftools annotate -x)",
            code="E_BATCH_FIELDS",
        )
    for name in sorted(by_sample):
        mine: Any = group[name]
        extra: Any = batch[name]
        axis = mine.attrs["_ARRAY_DIMENSIONS"].index("samples")
        if (
            mine.shape[:axis] + mine.shape[axis + 1 :]
            != extra.shape[:axis] + extra.shape[axis + 1 :]
        ):
            raise Conflict(
                f"{source}: {name} has shape {extra.shape} where the store has {mine.shape}: "
                "the batch differs in ploidy or field width",
                code="E_BATCH_FIELDS",
            )
        width = mine.shape[axis]
        shape = list(mine.shape)
        shape[axis] += extra.shape[axis]
        mine.resize(tuple(shape))
        # A block of variants at a time: a batch's genotypes need not fit in memory.
        rows = mine.chunks[0] if axis > 0 else shape[0]
        for start in range(0, shape[0] if axis > 0 else 1, rows):
            index: list[slice] = [slice(None)] * len(shape)
            index[axis] = slice(width, shape[axis])
            source_index: list[slice] = [slice(None)] * len(shape)
            if axis > 0:
                index[0] = source_index[0] = slice(start, start + rows)
            block = extra[tuple(source_index)]
            _check_fits(block, mine.dtype, name, source)
            mine[tuple(index)] = block
    return group


def _check_fits(block: Any, dtype: Any, name: str, source: str) -> None:
    """Refuse values the store's narrower integer type would wrap around (bio2zarr sizes each
    field's type to the values of the files it encoded)."""
    if block.dtype == dtype or np.can_cast(block.dtype, dtype):
        return
    if np.issubdtype(dtype, np.integer) and np.issubdtype(block.dtype, np.integer):
        limits = np.iinfo(dtype)
        if block.size == 0 or (block.min() >= limits.min and block.max() <= limits.max):
            return
    raise Conflict(
        f"{source}: {name} holds values beyond the store's {dtype} (the store was sized to "
        "the first batch's values): ingest every batch's files together instead",
        code="E_BATCH_FIELDS",
    )
