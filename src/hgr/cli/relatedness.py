"""``hgr relatedness``: identity fingerprints, duplicate links, unique-donor counts."""

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    DeviceOption,
    HomeOption,
    InstitutionOption,
    JsonOption,
    TsvOption,
    command_node,
    institution_of,
    operator,
    print_record,
    reading,
)
from hgr.cli.common import out as console
from hgr.relatedness.degrees import DEFAULT_MIN_KINSHIP

__all__ = ["relatedness_app"]

relatedness_app = typer.Typer(
    help="Identity across institutions: fingerprints, duplicate links, unique donors.",
    no_args_is_help=True,
)


CollectionOption = Annotated[str, typer.Option("--collection", "-c", help="Collection code.")]


@relatedness_app.command("panel")
def panel(
    vcf: Annotated[Path, typer.Argument(help="Reference VCF/BCF to draw common SNPs from.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Panel TSV to write.")],
    sites: Annotated[int, typer.Option(min=100, max=100_000)] = 2_048,
) -> None:
    """Choose the federation's fingerprint panel: common, unambiguous autosomal SNVs.

    Example: hgr relatedness panel reference.vcf.gz --sites 2048 --out panel.tsv"""
    from hgr.relatedness.fingerprints import select_panel

    chosen = select_panel(vcf, sites)
    out.write_text(chosen.text(), encoding="utf-8")
    console.print(f"{out}: {len(chosen.sites)} sites, panel {chosen.panel_id[:16]}")


@relatedness_app.command("fingerprint")
def fingerprint(
    collection: CollectionOption,
    panel_file: Annotated[Path, typer.Option("--panel", help="The federation's panel TSV.")],
    recipient: Annotated[
        Path, typer.Option(help="Crypt4GH public key of the node that compares fingerprints.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Sealed fingerprint file to write.")],
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Fingerprint a collection's donors and seal the file to the recipient's key.

    Example: hgr relatedness fingerprint -c COL-HD --panel panel.tsv --recipient nation.c4gh.pub
    --out BJ-H001.fp.c4gh"""
    from hgr.relatedness.fingerprints import fingerprint_collection, read_panel, seal_fingerprints

    with command_node(home, database_url) as node:
        code = institution_of(node, institution)
        prints = fingerprint_collection(
            node.db,
            node.settings.home,
            read_panel(panel_file),
            institution=code,
            collection=collection,
        )
        seal_fingerprints(prints, recipient, out, node.keys)
    console.print(
        f"{out}: {len(prints.genotypes.samples)} donors × {prints.genotypes.n_sites} sites, "
        f"sealed to {recipient}"
    )


@relatedness_app.command("link")
def link(
    files: Annotated[list[Path], typer.Argument(help="Sealed fingerprint files.")],
    relatives: Annotated[
        bool,
        typer.Option(
            help="Also link close relatives at different institutions (all pairs: "
            "quadratic in the fingerprints)."
        ),
    ] = False,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Find the same people across fingerprint files and record the links in the registry.

    Example: hgr relatedness link BJ-H001.fp.c4gh SH-H002.fp.c4gh --relatives"""
    from hgr.relatedness.identity import link_donors
    from hgr.relatedness.relate import dask_client

    with command_node(home, database_url) as node, dask_client(scheduler) as client:
        result = link_donors(
            node.db,
            node.keys,
            files,
            actor=operator(),
            grounds="operator of the node's command line",
            relatives=relatives,
            client=client,
        )
    console.print(
        f"{result.fingerprints} fingerprints, {result.candidates} candidate pairs checked, "
        f"{result.duplicates} duplicates"
        + (f", {result.relatives} relatives at other institutions" if relatives else "")
        + f", {result.new_links} new links"
        + (f", {result.unregistered} of unregistered institutions" if result.unregistered else "")
    )


@relatedness_app.command("pedigree")
def pedigree(
    collection: CollectionOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Prefix of the report files.")],
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Check the institution's declared families against a collection's genotypes.

    Example: hgr relatedness pedigree -c COL-HD --out checks/COL-HD"""
    from hgr.relatedness.collection_pedigrees import verify_collection_pedigrees
    from hgr.relatedness.relate import (
        check_output_prefix,
        pedigree_paths,
        staged_outputs,
        write_pedigree_files,
    )

    with command_node(home, database_url) as node:
        code = institution_of(node, institution)
        check_output_prefix(out)
        checked = verify_collection_pedigrees(
            node.db, node.settings.home, institution=code, collection=collection
        )
        final = pedigree_paths(out)
        with staged_outputs(final) as staged:
            title = f"Pedigree check: {code} {collection} (store version {checked.store_version})"
            write_pedigree_files(staged, checked.families, title)
    flagged = [f for f in checked.families if not f.ok]
    console.print(
        f"{len(checked.families)} families with genotyped members checked against "
        f"{checked.samples} samples × {checked.sites.kept} SNVs; {len(flagged)} with flags"
    )
    for family in flagged:
        for flag in family.flags:
            console.print(f"  {family.family}: {flag.kind} ({', '.join(flag.samples)})")
    for path in final:
        console.print(f"  wrote {path}", highlight=False)


@relatedness_app.command("king")
def king(
    collections: Annotated[
        list[str],
        typer.Option(
            "--collection",
            "-c",
            help="Collection code, or INSTITUTION/COLLECTION; repeat for several.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Prefix of PREFIX.pairs.tsv.")],
    min_kinship: Annotated[float, typer.Option(help="Write pairs at least this close.")] = (
        DEFAULT_MIN_KINSHIP
    ),
    threads: Annotated[int | None, typer.Option(min=1)] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    device: DeviceOption = "auto",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """KING-robust kinship of every pair of samples within and across collections.

    Example: hgr relatedness king -c COL-HD -c SH-H002/COL-CVD --out kinship/both --device cpu"""
    from hgr.relatedness.collection_kinship import collections_kinship
    from hgr.relatedness.gpu import choose_device
    from hgr.relatedness.relate import (
        check_output_prefix,
        dask_client,
        staged_outputs,
        write_pairs_tsv,
    )

    with command_node(home, database_url) as node:
        chosen = choose_device(device, distributed=scheduler is not None)
        named = []
        for given in collections:
            institution, _, collection = given.rpartition("/")
            named.append((institution or institution_of(node, None), collection))
        check_output_prefix(out)
        with dask_client(scheduler) as client:
            result = collections_kinship(
                node.db,
                node.settings.home,
                named,
                min_kinship=min_kinship,
                threads=threads,
                client=client,
                device=chosen,
            )
        final = [Path(f"{out}.pairs.tsv")]
        with staged_outputs(final) as staged:
            write_pairs_tsv(staged[0], result.pairs)
    classes = Counter(str(r) for r in result.pairs.relationships())
    console.print(
        f"{len(result.pairs.samples)} samples of {len(named)} collections × "
        f"{result.shared_sites} shared SNVs: {len(result.pairs)} pairs with kinship ≥ "
        f"{min_kinship:g} ({', '.join(f'{n} {k}' for k, n in sorted(classes.items())) or 'none'})"
    )
    console.print(f"  wrote {final[0]}", highlight=False)


@relatedness_app.command("unique-donors")
def unique(
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Count people: donor records joined by duplicate links count once.

    Example: hgr relatedness unique-donors --json"""
    from hgr.relatedness.identity import unique_donors

    with reading(home, database_url) as (_node, session):
        people = unique_donors(session)
    if as_json or as_tsv:
        print_record({"unique_donors": people}, as_json=as_json, as_tsv=as_tsv)
        return
    console.print(f"{people} unique donors")
