"""``hgr pedigree``: pedigree files on their own (drawing)."""

from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import out as console
from hgr.cli.common import print_issues
from hgr.exceptions import ValidationFailed

__all__ = ["pedigree_app"]

pedigree_app = typer.Typer(
    help="Pedigree files: drawings in standard notation.", no_args_is_help=True
)


@pedigree_app.command("draw")
def draw(
    ped: Annotated[Path, typer.Argument(help="PED or FAM file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="SVG file to write.")],
    family: Annotated[str | None, typer.Option(help="Family to draw (default: the first).")] = None,
    proband: Annotated[str | None, typer.Option(help="Id of the proband.")] = None,
    deceased: Annotated[list[str] | None, typer.Option(help="Id of a deceased member.")] = None,
) -> None:
    """Draw one family of a PED file as SVG (squares, circles, filled when affected).

    Example: hgr pedigree draw HD-001.ped --out HD-001.svg --proband BJH-0005 --deceased BJH-0001"""
    from hgr.issues import Report
    from hgr.pedigree.drawing import DrawnPerson, draw_pedigree
    from hgr.pedigree.ped import read_ped

    report = Report()
    records = read_ped(ped, report)
    if report.errors:
        print_issues(report.errors)
        raise ValidationFailed(f"{ped}: the pedigree file has errors", report.errors)
    families = list(dict.fromkeys(r.family_id for r in records))
    chosen = family or (families[0] if families else None)
    members = [r for r in records if r.family_id == chosen]
    if not members:
        raise ValidationFailed(
            f"{ped}: no family {chosen!r} (families: {', '.join(families) or 'none'})", []
        )
    gone = set(deceased or ())
    named = gone | ({proband} if proband else set())
    unknown = sorted(named - {r.individual_id for r in members})
    if unknown:
        raise ValidationFailed(f"{ped}: {', '.join(unknown)} not in family {chosen}", [])
    people = [
        DrawnPerson(
            r.individual_id,
            r.sex,
            r.father_id,
            r.mother_id,
            r.affected,
            deceased=r.individual_id in gone,
            proband=r.individual_id == proband,
        )
        for r in members
    ]
    svg = draw_pedigree(people, title=f"Family {chosen}")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(svg, encoding="utf-8")
    tmp.replace(out)
    console.print(f"{out}: family {chosen}, {len(people)} members")
