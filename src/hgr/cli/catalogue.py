"""``hgr catalogue``: declare, review and register important genetic pedigrees."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from hgr.catalogue import (
    declare_pedigree,
    draw_entry,
    entries_csv,
    entries_json,
    find_entry,
    register,
    review,
)
from hgr.catalogue.models import CatalogueEntry
from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    InstitutionOption,
    command_node,
    institution_of,
    operator,
    table,
)
from hgr.cli.common import out as console
from hgr.relatedness.collection_pedigrees import verify_collection_pedigrees

__all__ = ["catalogue_app"]

catalogue_app = typer.Typer(
    help="The catalogue of important genetic pedigrees: declaration, review, registration.",
    no_args_is_help=True,
)

FamilyArgument = Annotated[str, typer.Argument(help="Code of the registered family.")]


@catalogue_app.command("declare")
def declare(
    family: FamilyArgument,
    trait: Annotated[str, typer.Option(help="The condition or trait, in words.")] = "",
    collection: Annotated[
        str | None, typer.Option(help="Verify the family against this collection's genotypes.")
    ] = None,
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Declare a family as an important pedigree; hgr gathers the evidence it can check."""
    with command_node(home, database_url) as node:
        code = institution_of(node, institution)
        verification = None
        if collection:
            checked = verify_collection_pedigrees(
                node.db, node.settings.home, institution=code, collection=collection
            )
            verification = next((f for f in checked.families if f.family == family), None)
        with node.db.transaction() as session:
            entry = declare_pedigree(session, operator(), code, family, trait=trait,
                                     verification=verification,
                                     excluded=node.settings.catalogue.excluded)  # fmt: skip
            evidence = entry.evidence
    genotype = evidence["genotype"]
    agreement = ("agree" if genotype["ok"] else "disagree") if genotype["checked"] else "unchecked"
    console.print(
        f"declared {family} of {code}: affected in {evidence['affected_generations']} "
        f"generation(s); excluded condition: {evidence['excluded_condition'] or 'no'}; "
        f"genotypes: {agreement}; "
        f"criteria {'met' if evidence['criteria_met'] else 'NOT met'}"
    )


@catalogue_app.command("review")
def review_(
    family: FamilyArgument,
    institution: Annotated[str, typer.Option("--institution", "-i", help="Institution code.")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The province's decision.")],
    note: Annotated[str, typer.Option(help="Reasons (required to reject or to overrule).")] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The province's review of a declaration."""
    with command_node(home, database_url) as node, node.db.transaction() as session:
        entry = review(session, operator(), find_entry(session, institution, family),
                       approve=approve, note=note)  # fmt: skip
        console.print(f"{family} of {institution}: {entry.status}")


@catalogue_app.command("register")
def register_(
    family: FamilyArgument,
    institution: Annotated[str, typer.Option("--institution", "-i", help="Institution code.")],
    reject: Annotated[bool, typer.Option(help="Reject instead of registering.")] = False,
    note: Annotated[str, typer.Option(help="Reasons (required to reject).")] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The nation's registration (numbered and protected) or rejection."""
    with command_node(home, database_url) as node, node.db.transaction() as session:
        entry = register(session, operator(), find_entry(session, institution, family),
                         approve=not reject, note=note)  # fmt: skip
        console.print(f"{family} of {institution}: {entry.status}"
                      + (f", number {entry.number}" if entry.number else ""))  # fmt: skip


@catalogue_app.command("list")
def list_(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Every catalogue entry and where it stands."""
    with command_node(home, database_url) as node, node.db.reader() as session:
        entries = session.scalars(select(CatalogueEntry).order_by(CatalogueEntry.id)).all()
        rows = [{"number": e.number, "institution": e.institution, "family": e.subject,
                 "condition": e.condition, "status": e.status, "protected": e.protected,
                 "criteria": e.evidence.get("criteria_met")} for e in entries]  # fmt: skip
    console.print(table("Catalogue", rows, ["number", "institution", "family", "condition",
                                            "status", "protected", "criteria"]))  # fmt: skip


@catalogue_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (.json or .csv).")],
    drawings: Annotated[
        Path | None, typer.Option(help="Also draw each entry as SVG into this folder.")
    ] = None,
    registered_only: Annotated[bool, typer.Option(help="Only registered entries.")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Export the catalogue as JSON or CSV, with pedigree drawings in standard notation."""
    with command_node(home, database_url) as node, node.db.reader() as session:
        query = select(CatalogueEntry).order_by(CatalogueEntry.id)
        if registered_only:
            query = query.where(CatalogueEntry.status == "registered")
        entries = session.scalars(query).all()
        text = entries_csv(entries) if out.suffix.lower() == ".csv" else entries_json(entries)
        svgs = {f"{e.institution}-{e.subject}.svg": draw_entry(session, e)
                for e in entries} if drawings else {}  # fmt: skip
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    if drawings:
        drawings.mkdir(parents=True, exist_ok=True)
        for name, svg in svgs.items():
            (drawings / name).write_text(svg, encoding="utf-8")
    console.print(f"{out}: {len(entries)} entries" + (f"; drawings in {drawings}" if drawings
                                                       else ""))  # fmt: skip
