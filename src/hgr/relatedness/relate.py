"""``hgr relate``: relatedness of the samples in genotype files, for users without a node.

Reads VCF/BCF files or a PLINK fileset, computes KING-robust kinship for every pair, and
writes:

- ``PREFIX.pairs.tsv``: ``sample_a sample_b kinship ibs0 n_sites relationship`` for every pair
  with kinship at least ``min_kinship`` (``ibs0`` is the proportion of compared sites, as in
  KING's and PLINK's tables); or, with ``table="kin0"``, ``PREFIX.kin0`` in PLINK 2's
  ``--make-king-table`` layout, for scripts written for PLINK;
- ``PREFIX.html``: the report (:mod:`hgr.relatedness.relate_report`): what was compared, its
  noise, and every pair's kinship against IBS0, coloured by relationship, declared pairs ringed;
- ``PREFIX.sexcheck.tsv`` where the files hold chromosome X: ``sample declared inferred status
  f x_sites``, each sample's sex from its X calls (:mod:`hgr.relatedness.sex_check`), against
  the PED's where one is given;
- with a PED file, ``PREFIX.pedigree.tsv`` (``family sample_a sample_b declared inferred
  kinship ibs0 status``, one row per pair of genotyped members of a family), and the full
  report per family as ``PREFIX.pedigree.json`` and ``PREFIX.pedigree.html``.

The outputs are written to temporary names and renamed into place only when all of them are
complete: a failed run leaves no partial or stale-looking file behind.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hgr.exceptions import UsageError, ValidationFailed
from hgr.genotypes.plink_source import find_plink
from hgr.issues import Report
from hgr.pedigree.ped import PedigreeRecord, read_ped
from hgr.pedigree.validate import check_pedigrees
from hgr.progress import Progress, silent
from hgr.relatedness.gpu import choose_device
from hgr.relatedness.king import DEFAULT_MIN_KINSHIP, KingPairs, king_all_pairs
from hgr.relatedness.noise import kinship_noise, noise_warning
from hgr.relatedness.pedigree_check import FamilyReport, verify_pedigrees
from hgr.relatedness.pedigree_report import pedigree_html, pedigree_json
from hgr.relatedness.readers import SiteCounts, read_genotype_files
from hgr.relatedness.relate_report import relate_html
from hgr.relatedness.sex_check import SexCall, sex_calls
from hgr.vocabulary import Sex

__all__ = [
    "RelateResult",
    "check_output_prefix",
    "dask_client",
    "pedigree_paths",
    "relate_files",
    "short_title",
    "staged_outputs",
    "write_kin0",
    "write_pairs_tsv",
    "write_pedigree_files",
    "write_sexcheck_tsv",
]

KIN0_HEADER = ("#IID1", "IID2", "NSNP", "HETHET", "IBS0", "KINSHIP")
TABLES = ("pairs", "kin0")
"""The layouts of the pairs table: hgr's own, or PLINK 2's."""
PAIRS_HEADER = ("sample_a", "sample_b", "kinship", "ibs0", "n_sites", "relationship")
PEDIGREE_HEADER = (
    "family",
    "sample_a",
    "sample_b",
    "declared",
    "inferred",
    "kinship",
    "ibs0",
    "status",
)


@dataclass(frozen=True)
class RelateResult:
    """What a run read, found and wrote."""

    samples: int
    sites: SiteCounts
    pairs: KingPairs
    families: list[FamilyReport]
    written: list[Path]
    seconds: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"
    noise: float = 0.0
    """How much one pair's kinship moves from the sites alone (:mod:`hgr.relatedness.noise`)."""
    warnings: list[str] = field(default_factory=list)
    sexes: list[SexCall] = field(default_factory=list)
    """Each sample's sex from chromosome X; empty when the files hold none of it."""


def _number(value: float, digits: int) -> str:
    return "nan" if math.isnan(value) else f"{value:.{digits}g}"


def write_pairs_tsv(path: Path, pairs: KingPairs) -> None:
    """Write the pairs table (see the module docstring)."""
    relationships = pairs.relationships()
    ibs0 = pairs.ibs0_fraction
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join(PAIRS_HEADER) + "\n")
        for row in range(len(pairs)):
            handle.write(
                f"{pairs.samples[int(pairs.a[row])]}\t{pairs.samples[int(pairs.b[row])]}\t"
                f"{_number(float(pairs.kinship[row]), 7)}\t{_number(float(ibs0[row]), 7)}\t"
                f"{int(pairs.n_sites[row])}\t{relationships[row]}\n"
            )


def _plink_number(value: float) -> str:
    """A number as PLINK 2 prints a table's floats: six significant digits."""
    return "nan" if math.isnan(value) else f"{value:.6g}"


def write_kin0(path: Path, pairs: KingPairs, family_ids: Sequence[str] | None = None) -> None:
    """Write the pairs as PLINK 2's ``.kin0`` (``--make-king-table``): each pair with the later
    sample first, in the order of that sample, then of the earlier one; the proportions of
    sites both heterozygous and of opposite homozygotes over the sites both called; six
    significant digits. With ``family_ids`` (a PLINK fileset's, one per sample), the family
    columns lead, as PLINK 2 writes them when a family id is other than 0; without, the
    layout is PLINK 2's for a VCF."""
    later, earlier = pairs.b, pairs.a
    order = np.lexsort((earlier, later))
    hethet, ibs0 = pairs.hethet_fraction, pairs.ibs0_fraction

    def sample(k: int) -> str:
        name = pairs.samples[k]
        return name if family_ids is None else f"{family_ids[k]}\t{name}"

    header = ("#FID1", "IID1", "FID2", "IID2") if family_ids is not None else ("#IID1", "IID2")
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join((*header, *KIN0_HEADER[2:])) + "\n")
        for row in order.tolist():
            handle.write(
                f"{sample(int(later[row]))}\t{sample(int(earlier[row]))}\t"
                f"{int(pairs.n_sites[row])}\t{_plink_number(float(hethet[row]))}\t"
                f"{_plink_number(float(ibs0[row]))}\t{_plink_number(float(pairs.kinship[row]))}\n"
            )


def _family_ids(paths: Sequence[Path]) -> list[str] | None:
    """A PLINK fileset's family ids (the .fam's first column), where any is other than 0
    (PLINK 2 then writes them in its tables); None for VCF files."""
    plink = find_plink(paths[0]) if len(paths) == 1 else None
    if plink is None:
        return None
    ids = [line.split()[0] for line in plink.fam.read_text(encoding="utf-8").splitlines()]
    return ids if any(i != "0" for i in ids) else None


def _write_pedigree_tsv(path: Path, reports: list[FamilyReport]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join(PEDIGREE_HEADER) + "\n")
        for report in reports:
            for p in report.pairs:
                handle.write(
                    f"{p.family}\t{p.sample_a}\t{p.sample_b}\t{p.declared}\t{p.inferred}\t"
                    f"{_number(p.kinship, 7)}\t{_number(p.ibs0, 7)}\t{p.status}\n"
                )


def _read_pedigree(path: Path) -> list[PedigreeRecord]:
    report = Report()
    records = read_ped(path, report)
    check_pedigrees(records, report)
    if not report.ok:
        raise ValidationFailed(
            f"{path}: the pedigree has {len(report.errors)} errors; correct them and run again",
            report.errors,
            code="E_PED_INVALID",
        )
    return records


def check_output_prefix(prefix: Path) -> None:
    """Refuse an output prefix whose folder does not exist, before any work is done."""
    if not prefix.parent.is_dir():
        raise UsageError(f"{prefix.parent}: no such folder for the output", code="E_NO_FILE")


def pedigree_paths(prefix: Path) -> list[Path]:
    """Where the pedigree check goes: ``PREFIX.pedigree.tsv``, ``.json`` and ``.html``."""
    return [Path(f"{prefix}.pedigree{suffix}") for suffix in (".tsv", ".json", ".html")]


def write_pedigree_files(paths: Sequence[Path], reports: list[FamilyReport], title: str) -> None:
    """Write the pedigree TSV, JSON and HTML reports to ``paths`` (in that order)."""
    _write_pedigree_tsv(paths[0], reports)
    document: dict[str, Any] = pedigree_json(reports)
    paths[1].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(pedigree_html(reports, title), encoding="utf-8")


@contextmanager
def staged_outputs(final: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths for ``final``; renamed over them only if the block succeeds."""
    temporary = [p.with_name(f".{p.name}.{os.getpid()}.tmp") for p in final]
    try:
        yield temporary
        for staged, target in zip(temporary, final, strict=True):
            staged.replace(target)
    finally:
        for staged in temporary:
            staged.unlink(missing_ok=True)


def relate_files(
    paths: Sequence[Path],
    out_prefix: Path,
    *,
    ped: Path | None = None,
    min_kinship: float = DEFAULT_MIN_KINSHIP,
    threads: int | None = None,
    scheduler: str | None = None,
    device: str = "auto",
    table: str = "pairs",
    progress: Progress = silent,
) -> RelateResult:
    """Compute relatedness of the samples in ``paths`` and write the tables (module docstring).

    ``device`` is ``auto`` (the GPU when PyTorch sees one, else the CPU), ``cpu`` or ``gpu``.
    ``table`` is the pairs table's layout (:data:`TABLES`).

    Raises
    ------
    UsageError
        An output folder that does not exist, a Dask scheduler that cannot be reached,
        ``--device gpu`` without a GPU, and the readers' errors.
    ValidationFailed
        A PED file with errors (``E_PED_INVALID``), with every issue listed.
    FormatError
        A genotype file that cannot be read, naming the file and line.
    """
    check_output_prefix(out_prefix)
    if table not in TABLES:
        raise UsageError(
            f"--format must be one of {', '.join(TABLES)}, not {table!r}", code="E_USAGE"
        )
    if math.isnan(min_kinship):
        raise UsageError("--min-kinship must be a number", code="E_USAGE")
    device = choose_device(device, distributed=scheduler is not None)
    records = _read_pedigree(ped) if ped is not None else None
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    progress("reading genotypes", 0, 1)
    packed, sites = read_genotype_files(paths)
    seconds["read"] = time.perf_counter() - started
    started = time.perf_counter()
    with dask_client(scheduler) as client:
        pairs = king_all_pairs(
            packed,
            min_kinship=min_kinship,
            threads=threads,
            client=client,
            progress=lambda done, total: progress("kinship", done, total),
            device=device,
        )
    seconds["kinship"] = time.perf_counter() - started
    noise = kinship_noise(packed)
    warning = noise_warning(packed.n_sites, noise)
    sexes: list[SexCall] = []
    if sites.x is not None and sites.x.sites:
        declared = {
            r.individual_id: r.sex.value for r in records or [] if r.sex in (Sex.MALE, Sex.FEMALE)
        }
        sexes = sex_calls(packed.samples, sites.x, declared)
    families: list[FamilyReport] = []
    if records is not None:
        started = time.perf_counter()
        families = verify_pedigrees(records, packed, pairs)
        seconds["pedigree"] = time.perf_counter() - started
    final = [
        Path(f"{out_prefix}.kin0" if table == "kin0" else f"{out_prefix}.pairs.tsv"),
        Path(f"{out_prefix}.html"),
    ]
    if sexes:
        final.append(Path(f"{out_prefix}.sexcheck.tsv"))
    if records is not None:
        final += pedigree_paths(out_prefix)
    with staged_outputs(final) as staged:
        if table == "kin0":
            write_kin0(staged[0], pairs, _family_ids(paths))
        else:
            write_pairs_tsv(staged[0], pairs)
        page = relate_html(
            f"Relatedness: {short_title(paths)}",
            len(packed.samples),
            packed.n_sites,
            noise,
            [warning] if warning else [],
            pairs,
            min_kinship,
            families,
            sexes,
        )
        staged[1].write_text(page, encoding="utf-8")
        if sexes:
            write_sexcheck_tsv(staged[2], sexes)
        if records is not None:
            title = f"Pedigree check: {short_title(paths)}"
            write_pedigree_files(staged[-len(pedigree_paths(out_prefix)) :], families, title)
    return RelateResult(
        len(packed.samples),
        sites,
        pairs,
        families,
        final,
        seconds,
        device,
        noise,
        [warning] if warning else [],
        sexes,
    )


def write_sexcheck_tsv(path: Path, sexes: Sequence[SexCall]) -> None:
    """Write each sample's sex check (see the module docstring)."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("sample\tdeclared\tinferred\tstatus\tf\tx_sites\thet\thom_alt\thet_ratio\n")
        for call in sexes:
            handle.write(
                f"{call.sample}\t{call.declared or ''}\t{call.inferred or ''}\t{call.status}\t"
                f"{_number(call.f, 4)}\t{call.sites}\t{call.heterozygous}\t{call.alternate}\t"
                f"{_number(call.het_ratio, 4)}\n"
            )


def short_title(paths: Sequence[Path]) -> str:
    """The input files as a report's title names them: one by name, several by the first and
    their number (a VCF per chromosome is 22 names)."""
    if len(paths) == 1:
        return paths[0].name
    return f"{paths[0].name} and {len(paths) - 1} more files"


@contextmanager
def dask_client(address: str | None) -> Iterator[Any]:
    """A Dask client for ``address``, or None to compute in this process."""
    if address is None:
        yield None
        return
    import distributed  # only a run given --scheduler needs it

    connect: Any = distributed.Client
    try:
        client = connect(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address}: {exc}", code="E_SCHEDULER"
        ) from exc
    try:
        yield client
    finally:
        client.close()
