"""``hgr history`` and ``hgr sample move``: what changed in a registered record, and the one
change to a sample a file import never makes."""

from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    JsonOption,
    TsvOption,
    changing,
    out,
    print_rows,
    reading,
)
from hgr.registry.entity_names import HISTORY_TABLES

__all__ = ["history_command", "sample_app"]

sample_app = typer.Typer(help="Operations on registered samples.", no_args_is_help=True)

# Named here so that a record with no change still gets its TSV header.
_HISTORY_COLUMNS = ["at", "by", "source", "table", "field", "before", "after"]


def history_command(
    entity: Annotated[str, typer.Argument(help=f"One of: {', '.join(HISTORY_TABLES)}.")],
    key: Annotated[str, typer.Argument(help="The institution's own identifier of the record.")],
    institution: Annotated[str | None, typer.Option("--institution", "-i")] = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Every change to one registered record: when, by whom, by which import or operation,
    and each field's value before and after.

    Example: hgr history donors BJH-0003 --tsv > BJH-0003-history.tsv"""
    from hgr.registry.history import find_row, history

    with reading(home, database_url) as (node, session):
        code = institution or node.settings.institution_code or None
        table_name, rows = find_row(session, entity, key, code, node.keys.pseudonymiser.pseudonym)
        lines = history(session, table_name, rows)
    if as_json or as_tsv:
        title = f"History of {entity} {key}"
        print_rows(title, lines, _HISTORY_COLUMNS, as_json=as_json, as_tsv=as_tsv)
        return
    if not lines:
        out.print(f"{entity} {key} has not changed since it was registered")
        return
    # One change to a line, unwrapped and untruncated in any terminal width.
    out.print(f"History of {entity} {key} ({len(lines)} change(s), oldest first)")
    for line in lines:
        out.print(f"{line['at']}  {line['by']}  {line['source']}", highlight=False, soft_wrap=True)
        out.print(
            f"  {line['table']} {line['field']}: {line['before']} → {line['after']}",
            highlight=False,
            soft_wrap=True,
        )


@sample_app.command("move")
def sample_move(
    sample: Annotated[str, typer.Argument(help="The sample's identifier.")],
    to: Annotated[str, typer.Option("--to", help="The donor it belongs to (their identifier).")],
    reason: Annotated[str, typer.Option(help="Why it moves (kept in the audit log).")],
    institution: Annotated[str | None, typer.Option("--institution", "-i")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Move a misattributed sample to its donor, with the reason; the move is audited and
    kept in the sample's history.

    Example: hgr sample move S-0004 --to BJH-0001 --reason "tube relabelled at intake"
    """
    from hgr.registry.samples import move_sample

    with changing(home, database_url) as (node, session, by):
        code = institution or node.settings.institution_code
        move_sample(
            session, by, node.keys, institution=code, sample=sample, donor=to, reason=reason
        )
    out.print(f"sample {sample} moved to donor {to}")
