"""``hgr relate``: kinship and pedigree checks straight from genotype files, no node needed."""

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import DeviceOption, err, progress_bar, table
from hgr.cli.common import out as console
from hgr.relatedness.degrees import DEFAULT_MIN_KINSHIP

__all__ = ["relate"]


def relate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="VCF/BCF files (the same samples, e.g. one per chromosome) or a PLINK 1 prefix."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Prefix of the output files.")],
    ped: Annotated[
        Path | None, typer.Option(help="PED/FAM file of declared families to verify.")
    ] = None,
    min_kinship: Annotated[
        float,
        typer.Option(help="Write pairs with at least this kinship (-1 writes every pair)."),
    ] = DEFAULT_MIN_KINSHIP,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Threads (default: every CPU available).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a Dask scheduler (tcp://host:8786) to compute on."),
    ] = None,
    device: DeviceOption = "auto",
    table_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="Layout of the pairs table: pairs (PREFIX.pairs.tsv) or kin0 (PREFIX.kin0, "
            "PLINK 2's --make-king-table layout).",
        ),
    ] = "pairs",
) -> None:
    """KING-robust kinship of every pair of samples; with --ped, check the declared families.

    Example: hgr relate cohort.chr{1..22}.vcf.gz --ped families.ped --out kinship/cohort"""
    from hgr.relatedness.relate import relate_files

    with progress_bar() as progress:
        result = relate_files(
            files,
            out,
            ped=ped,
            min_kinship=min_kinship,
            threads=threads,
            scheduler=scheduler,
            device=device,
            table=table_format,
            progress=progress,
        )
    for warning in result.warnings:
        err.print(f"warning: {warning}", highlight=False)
    skipped = ", ".join(f"{n:,} {why}" for why, n in result.sites.skipped.most_common())
    console.print(
        f"{result.samples:,} samples × {result.sites.kept:,} autosomal biallelic SNVs"
        + (f" (left out: {skipped})" if skipped else ""),
        highlight=False,
    )
    classes = Counter(result.pairs.relationships())
    console.print(
        table(
            f"{len(result.pairs):,} pairs with kinship ≥ {min_kinship:g}",
            [{"relationship": str(k), "pairs": v} for k, v in sorted(classes.items())],
        )
    )
    if result.sexes:
        tally = Counter(c.inferred or "no call" for c in result.sexes)
        mismatches = sum(c.status == "mismatch" for c in result.sexes)
        console.print(
            "sex from chromosome X: "
            + ", ".join(f"{n:,} {what}" for what, n in sorted(tally.items()))
            + (f"; {mismatches} unlike the PED" if mismatches else ""),
            highlight=False,
        )
    if result.families:
        flagged = [f for f in result.families if not f.ok]
        console.print(f"{len(result.families)} families checked, {len(flagged)} with flags")
        rows = [
            {"family": f.family, "flag": flag.kind, "samples": list(flag.samples)}
            for f in flagged
            for flag in f.flags
        ]
        if rows:
            console.print(table("Pedigree flags", rows))
    for path in result.written:
        console.print(f"  wrote {path}", highlight=False)
    timings = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.seconds.items())
    console.print(f"  time: {timings} (kinship on the {result.device})", highlight=False)
