"""``hgr genotypes``: ingest genotype files into a collection's store, and verify it."""

from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    InstitutionOption,
    JsonOption,
    TsvOption,
    command_node,
    institution_of,
    operator,
    print_rows,
    progress_bar,
    table,
)
from hgr.cli.common import out as console
from hgr.exceptions import IntegrityBroken
from hgr.genotypes.builds import GenomeBuild

__all__ = ["genotypes_app"]

genotypes_app = typer.Typer(
    help="Genotype stores: VCF/BCF into VCF Zarr, sealed raw files.", no_args_is_help=True
)

CollectionOption = Annotated[
    str, typer.Option("--collection", "-c", help="Code of the collection the genotypes join.")
]


@genotypes_app.command("ingest")
def ingest_(
    files: Annotated[list[Path], typer.Argument(help="VCF (plain, gzip, BGZF) or BCF files.")],
    collection: CollectionOption,
    institution: InstitutionOption = None,
    sample_map: Annotated[
        Path | None,
        typer.Option(help="TSV: id in the file, registry sample code (one pair per line)."),
    ] = None,
    build: Annotated[
        GenomeBuild | None, typer.Option(help="Genome build, when the header does not tell.")
    ] = None,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes for encoding.")] = 2,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Seal, check and encode files into the collection's store (all or nothing).

    Example: hgr genotypes ingest batch1.vcf.gz --collection COL-HD --sample-map batch1-ids.tsv"""
    from hgr.genotypes.ingest import ingest

    with command_node(home, database_url) as node, progress_bar() as progress:
        result = ingest(
            node.db,
            node.settings.home,
            node.keys,
            files,
            institution=institution_of(node, institution),
            collection=collection,
            sample_map=sample_map,
            build=build,
            workers=workers,
            progress=progress,
            actor=operator(),
            grounds="operator of the node's command line",
        )
    console.print(
        f"collection {result.collection}: store version {result.version}, {result.samples} "
        f"samples × {result.variants} variants ({result.added_variants} new), "
        f"{result.build} (from {result.build_evidence})"
    )
    console.print(f"  store: {result.location}")
    if result.swept:
        console.print(f"  removed {len(result.swept)} leftover(s) of an interrupted ingestion")


@genotypes_app.command("verify")
def verify(
    collection: CollectionOption,
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Compare the store with its sealed source files, genotype by genotype.

    Example: hgr genotypes verify --collection COL-HD"""
    from hgr.genotypes.verify import verify_store

    with command_node(home, database_url) as node, progress_bar() as progress:
        report = verify_store(
            node.db,
            node.settings.home,
            node.keys,
            institution=institution_of(node, institution),
            collection=collection,
            progress=progress,
        )
    console.print(
        table(
            f"Store {report.location}",
            [
                {
                    "sources": report.sources,
                    "variants": report.variants,
                    "calls": report.calls,
                    "differences": report.differences,
                }
            ],
        )
    )
    if not report.ok:
        for problem in report.problems:
            console.print(f"  {problem}", highlight=False)
        raise IntegrityBroken(
            f"the store differs from its source files in {report.differences} place(s)",
            code="E_STORE_DIFFERS",
        )
    console.print("the store matches its source files, genotype by genotype")


@genotypes_app.command("export-raw")
def export_raw_(
    collection: CollectionOption,
    public_key: Annotated[Path, typer.Option(help="The recipient's Crypt4GH public key.")],
    out: Annotated[Path, typer.Option(help="Directory for the re-encrypted files.")],
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Re-encrypt the collection's raw files to a recipient's key (checked on the way).

    Example: hgr genotypes export-raw -c COL-HD --public-key partner.c4gh.pub --out outbox/"""
    from hgr.genotypes.export import export_raw

    with command_node(home, database_url) as node:
        exported = export_raw(
            node.db,
            node.settings.home,
            node.keys,
            institution=institution_of(node, institution),
            collection=collection,
            recipient=public_key,
            out_dir=out,
            actor=operator(),
            grounds="operator of the node's command line",
        )
    rows = [{"file": f.path, "plaintext sha256": f.sha256} for f in exported]
    console.print(table(f"Encrypted to {public_key}", rows))


@genotypes_app.command("qc")
def qc(
    collection: CollectionOption,
    institution: InstitutionOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every sample, not only flagged.")
    ] = False,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Quality control of the collection's genotypes: flagged samples and variant counts.

    With --json or --tsv, one line per sample, unrounded, and no variant counts.

    Example: hgr genotypes qc --collection COL-GT --all --tsv > qc.tsv"""
    from hgr.genotypes.qc_report import SAMPLE_COLUMNS, qc_report

    with command_node(home, database_url) as node:
        report = qc_report(
            node.db,
            institution=institution_of(node, institution),
            collection=collection,
        )
    rows = report.samples if show_all else report.flagged
    if as_json or as_tsv:
        title = f"Samples of {collection}"
        print_rows(title, rows, list(SAMPLE_COLUMNS), as_json=as_json, as_tsv=as_tsv)
        return
    shown = [
        {**row, **{k: _rounded(row[k]) for k in ("call_rate", "heterozygosity", "ti_tv", "x_f")}}
        for row in rows
    ]
    console.print(
        table(f"Variants of {collection} (store version {report.version})", [report.variant_counts])
    )
    title = "Samples" if show_all else "Flagged samples"
    console.print(table(f"{title}: {len(report.flagged)} of {len(report.samples)} flagged", shown))


def _rounded(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
