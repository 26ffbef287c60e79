"""``hgr demo``: the main story as a pipeline of library calls, on SQLite and local files.

1. synthesise a nation;
2. create a node per institution, per province and one for the nation;
3. register institutions upward (each province knows its institutions, the nation all);
4. each institution imports its own templates, pedigrees and genotype file list, and
   ingests its genotypes (sealed, checked, encoded to VCF Zarr, quality-controlled);
5. summarise what was registered where.

Later stages of hgr (survey, catalogue, access, beacon) extend this pipeline.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hgr.config import NodeRole
from hgr.exceptions import ConfigurationError
from hgr.genotypes import ingest, qc_report
from hgr.node import init_node
from hgr.registry.importer import import_files
from hgr.registry.queries import count_summary
from hgr.synth import SynthConfig, synthesise_nation

__all__ = ["run_demo"]

MARKER = ".hgr-demo"
INSTITUTION_FILES = (
    "collections.csv",
    "donors.csv",
    "samples.csv",
    "consents.csv",
    "ethics_approvals.csv",
    "families.csv",
    "pedigree.ped",
    "data_files.csv",
)


def _prepare(directory: Path, force: bool) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise ConfigurationError(
                f"{directory} is not empty and holds no earlier demo: choose another directory",
                code="E_DEMO_DIR",
            )
        if not force:
            raise ConfigurationError(
                f"{directory} holds an earlier demo: pass --force to replace it",
                code="E_DEMO_DIR",
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by hgr demo\n", encoding="utf-8")


def _institutions_by_province(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8") as handle:
        grouped: dict[str, list[str]] = {}
        for row in csv.DictReader(handle):
            grouped.setdefault(row["region_code"], []).append(row["code"])
    return grouped


def run_demo(directory: Path, *, donors: int = 300, force: bool = False, console: Console) -> None:
    """Run the demo in ``directory`` and print what happened."""
    _prepare(directory, force)
    nation_dir = directory / "synthetic-nation"
    console.rule("1. Synthesise a nation")
    summary = synthesise_nation(nation_dir, SynthConfig(donors=donors, seed=2026))
    console.print(
        f"{summary.donors} donors, {summary.institutions} institutions, {summary.provinces} "
        f"provinces, {summary.families} families, {summary.duplicates} people enrolled twice"
    )

    console.rule("2. Create the nodes")
    institutions_csv = nation_dir / "institutions.csv"
    by_province = _institutions_by_province(institutions_csv)
    nodes = directory / "nodes"
    national = init_node(nodes / "nation", role=NodeRole.NATION, name="National authority")
    import_files(national.db, national.keys, [institutions_csv])
    console.print(f"nation      {nodes / 'nation'}")
    for province, codes in sorted(by_province.items()):
        node = init_node(
            nodes / f"province-{province}",
            role=NodeRole.PROVINCE,
            name=f"Province {province}",
            region_code=province,
        )
        import_files(node.db, node.keys, [institutions_csv])
        node.close()
        console.print(f"province    {nodes / f'province-{province}'} ({len(codes)} institutions)")

    console.rule("3. Each institution imports what it holds")
    table = Table(
        "institution",
        "donors",
        "samples",
        "families",
        "pedigree warnings",
        "genotyped",
        "variants",
        "QC flags",
    )
    for codes in by_province.values():
        for code in codes:
            node = init_node(
                nodes / f"institution-{code}",
                role=NodeRole.INSTITUTION,
                name=code,
                institution_code=code,
            )
            folder = nation_dir / "institutions" / code
            files = [folder / name for name in INSTITUTION_FILES if (folder / name).exists()]
            import_files(node.db, node.keys, [institutions_csv])
            result = import_files(node.db, node.keys, files, institution=code)
            changes = result.changes
            genotyped, variants, flagged = "0", "0", "0"
            if (folder / "genotypes.vcf.gz").exists():
                stored = ingest(
                    node.db,
                    node.settings.home,
                    node.keys,
                    [folder / "genotypes.vcf.gz"],
                    institution=code,
                    collection=f"{code}-POP",
                )
                qc = qc_report(node.db, institution=code, collection=f"{code}-POP")
                genotyped, variants = str(stored.samples), str(stored.variants)
                flagged = str(len(qc.flagged))
            table.add_row(
                code,
                str(changes["donors"].inserted),
                str(changes["samples"].inserted),
                str(changes["families"].inserted) if "families" in changes else "0",
                str(len(result.report.warnings)),
                genotyped,
                variants,
                flagged,
            )
            node.close()
    console.print(table)
    console.print(f"institution nodes in {nodes}/institution-<CODE>")

    console.rule("4. What the national registry knows")
    with national.db.reader() as session:
        rows = count_summary(session)
    national.close()
    foreign = [r["institution"] for r in rows if r["control"] != "domestic"]
    console.print(
        f"{len(rows)} institutions registered nationally; foreign-controlled: "
        f"{', '.join(foreign) or 'none'}"
    )
    console.rule("Where to look")
    console.print(f"synthetic files:   {nation_dir}")
    console.print(f"truth (duplicates, relatives, planted errors): {nation_dir / 'truth'}")
    first = next(iter(next(iter(by_province.values()))))
    console.print(
        f"try:  hgr summary --home {nodes / f'institution-{first}'}\n"
        f"      hgr list families --home {nodes / f'institution-{first}'}\n"
        f"      hgr genotypes qc -c {first}-POP --home {nodes / f'institution-{first}'}\n"
        f"      hgr list institutions --home {nodes / 'nation'}"
    )
