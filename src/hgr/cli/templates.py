"""``hgr templates``: the blank import templates, for filling in offline."""

from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import out as console

__all__ = ["templates_app"]

templates_app = typer.Typer(help="Blank import templates to fill in.", no_args_is_help=True)


@templates_app.command("write")
def write(
    folder: Annotated[Path, typer.Argument(help="Folder to write them into (made if missing).")],
    xlsx: Annotated[
        bool, typer.Option("--xlsx", help="Excel workbooks instead of CSV files.")
    ] = False,
) -> None:
    """Write a blank CSV of every template and columns.csv describing each column; with
    --xlsx, a workbook per template and hgr-templates.xlsx of them all, each with its column
    reference.

    Examples:

        hgr templates write blanks/

        hgr templates write blanks-excel/ --xlsx
    """
    from hgr.registry.blanks import write_blank_templates

    for path in write_blank_templates(folder, xlsx):
        console.print(f"  wrote {path}", highlight=False)
