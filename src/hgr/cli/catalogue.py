"""``hgr catalogue``: declare, review and register important genetic pedigrees and
specific-region resources, and exchange them between institution, province and nation."""

from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    InstitutionOption,
    JsonOption,
    TokenOption,
    TsvOption,
    UrlOption,
    changing,
    command_node,
    institution_of,
    operator,
    print_rows,
    reading,
    send_document,
)
from hgr.cli.common import out as console

__all__ = ["catalogue_app"]

catalogue_app = typer.Typer(
    help="The catalogue of important genetic pedigrees and specific-region resources: "
    "declaration, review, registration, and the signed documents between nodes.",
    no_args_is_help=True,
)

FamilyArgument = Annotated[str, typer.Argument(help="Code of the registered family.")]
SubjectArgument = Annotated[
    str, typer.Argument(help="The family's code, or the population of a region entry.")
]
KindOption = Annotated[str, typer.Option(help="pedigree or region.")]


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
    """Declare a family as an important pedigree; hgr gathers the evidence it can check.

    Example: hgr catalogue declare HD-001 --trait "Huntington disease" --collection COL-HD"""
    from hgr.catalogue import declare_pedigree
    from hgr.relatedness.collection_pedigrees import verify_collection_pedigrees

    with command_node(home, database_url) as node:
        code = institution_of(node, institution)
        verification = None
        if collection:
            checked = verify_collection_pedigrees(
                node.db, node.settings.home, institution=code, collection=collection
            )
            verification = next((f for f in checked.families if f.family == family), None)
        with node.db.transaction() as session:
            entry = declare_pedigree(
                session,
                operator(),
                code,
                family,
                trait=trait,
                verification=verification,
                excluded=node.settings.catalogue.excluded,
            )
            evidence = entry.evidence
    genotype = evidence["genotype"]
    agreement = ("agree" if genotype["ok"] else "disagree") if genotype["checked"] else "unchecked"
    console.print(
        f"declared {family} of {code}: affected in {evidence['affected_generations']} "
        f"generation(s); excluded condition: {evidence['excluded_condition'] or 'no'}; "
        f"genotypes: {agreement}; "
        f"criteria {'met' if evidence['criteria_met'] else 'NOT met'}"
    )


@catalogue_app.command("declare-region")
def declare_region_(
    population: Annotated[str, typer.Argument(help="The population, as in donors.csv.")],
    region: Annotated[str, typer.Option(help="Code of the region it lives in.")],
    trait: Annotated[str, typer.Option(help="What makes its resources important.")],
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Declare the institution's resources of a population of a specific region.

    Example: hgr catalogue declare-region Tibetan --region 540000 --trait "high-altitude adaptation"
    """
    from hgr.catalogue import declare_region

    with changing(home, database_url) as (node, session, by):
        code = institution_of(node, institution)
        evidence = declare_region(session, by, code, population, region, trait=trait).evidence
    console.print(
        f"declared {population} in {region} of {code}: {evidence['resident_donors']} of "
        f"{evidence['population_donors']} donor(s) of the population live in the region; "
        f"criteria {'met' if evidence['criteria_met'] else 'NOT met'}"
    )


@catalogue_app.command("review")
def review_(
    subject: SubjectArgument,
    institution: Annotated[str, typer.Option("--institution", "-i", help="Institution code.")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The province's decision.")],
    note: Annotated[str, typer.Option(help="Reasons (required to reject or to overrule).")] = "",
    kind: KindOption = "pedigree",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The province's review of a declaration.

    Example: hgr catalogue review HD-001 --institution BJ-H001 --approve"""
    from hgr.catalogue import find_entry, review

    with changing(home, database_url) as (_node, session, by):
        entry = review(
            session, by, find_entry(session, institution, subject, kind), approve=approve, note=note
        )
        console.print(f"{subject} of {institution}: {entry.status}")


@catalogue_app.command("register")
def register_(
    subject: SubjectArgument,
    institution: Annotated[str, typer.Option("--institution", "-i", help="Institution code.")],
    reject: Annotated[bool, typer.Option(help="Reject instead of registering.")] = False,
    note: Annotated[str, typer.Option(help="Reasons (required to reject).")] = "",
    kind: KindOption = "pedigree",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The nation's registration (numbered and protected) or rejection.

    Example: hgr catalogue register HD-001 --institution BJ-H001"""
    from hgr.catalogue import find_entry, register

    with changing(home, database_url) as (_node, session, by):
        entry = register(
            session,
            by,
            find_entry(session, institution, subject, kind),
            approve=not reject,
            note=note,
        )
        console.print(
            f"{subject} of {institution}: {entry.status}"
            + (f", number {entry.number}" if entry.number else "")
        )


@catalogue_app.command("list")
def list_(
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
) -> None:
    """Every catalogue entry and where it stands.

    Example: hgr catalogue list --tsv > catalogue.tsv"""
    from hgr.catalogue.entries import catalogue_entries

    with reading(home, database_url) as (_node, session):
        entries = catalogue_entries(session)
        rows = [
            {
                "number": e.number,
                "kind": e.kind,
                "institution": e.institution,
                "subject": e.subject,
                "condition": e.condition or e.region,
                "status": e.status,
                "protected": e.protected,
                "criteria": e.evidence.get("criteria_met"),
            }
            for e in entries
        ]
    columns = [
        "number",
        "kind",
        "institution",
        "subject",
        "condition",
        "status",
        "protected",
        "criteria",
    ]
    print_rows("Catalogue", rows, columns, as_json=as_json, as_tsv=as_tsv)


@catalogue_app.command("send")
def send(
    to: UrlOption,
    token: TokenOption = None,
    province: Annotated[
        str | None,
        typer.Option(help="Send this province's review (else the institution's declarations)."),
    ] = None,
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Sign and send the institution's declarations to its province, or the province's review
    (with the declarations it names) to the nation.

    Example: hgr catalogue send --to https://province-110000.example.cn:8470"""
    from hgr.catalogue.exchange import review_package, sign_declarations, sign_review
    from hgr.federation.documents import envelope_of

    with command_node(home, database_url) as node:
        with node.db.transaction() as session:
            if province:
                review = sign_review(session, node.signer(), operator(), province)
                path, payload = "/catalogue/reviews", review_package(session, review)
            else:
                code = institution_of(node, institution)
                signed = sign_declarations(session, node.signer(), operator(), code)
                path, payload = "/catalogue/declarations", envelope_of(signed).as_dict()
        send_document(to, path, payload, token)


@catalogue_app.command("publish")
def publish(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Sign the national register of registered and rejected entries (served to other nodes
    at GET /catalogue/register).

    Example: hgr catalogue publish --home /srv/hgr/nation"""
    from hgr.catalogue.exchange import sign_register
    from hgr.federation.documents import envelope_of

    with changing(home, database_url) as (node, session, by):
        document = sign_register(session, node.signer(), by, node.settings.survey.nation)
        count = len(envelope_of(document).content["entries"])
    console.print(
        f"register v{document.version}: {count} decided entr{'y' if count == 1 else 'ies'}"
    )


@catalogue_app.command("fetch")
def fetch(
    source: Annotated[str, typer.Option("--from", help="Address of the national node.")],
    token: TokenOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Fetch the nation's signed register and take its decisions (the nation's key must be
    trusted: `hgr survey trust --level nation`).

    Example: hgr catalogue fetch --from https://nation.example.cn:8470"""
    from hgr.catalogue.entries import protected_numbers
    from hgr.catalogue.exchange import apply_register
    from hgr.federation import get_json

    with command_node(home, database_url) as node:
        sent = get_json(source, "/catalogue/register", token)
        nation = node.settings.survey.nation
        with node.db.transaction() as session:
            document = apply_register(session, operator(), sent, nation, node.verifier())
            protected = protected_numbers(session)
    console.print(
        f"register v{document.version} of {nation} applied: {len(protected)} "
        f"protected entr{'y' if len(protected) == 1 else 'ies'}"
    )


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
    """Export the catalogue as JSON or CSV, with pedigree drawings in standard notation.

    Example: hgr catalogue export --out catalogue.csv --drawings drawings/ --registered-only"""
    from hgr.catalogue import draw_entry, entries_csv, entries_json
    from hgr.catalogue.entries import catalogue_entries

    with reading(home, database_url) as (_node, session):
        entries = catalogue_entries(session, registered_only=registered_only)
        text = entries_csv(entries) if out.suffix.lower() == ".csv" else entries_json(entries)
        svgs = (
            {f"{e.institution}-{e.subject}.svg": draw_entry(e) for e in entries if e.pedigree}
            if drawings
            else {}
        )
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    if drawings:
        drawings.mkdir(parents=True, exist_ok=True)
        for name, svg in svgs.items():
            (drawings / name).write_text(svg, encoding="utf-8")
    console.print(
        f"{out}: {len(entries)} entries" + (f"; drawings in {drawings}" if drawings else "")
    )
