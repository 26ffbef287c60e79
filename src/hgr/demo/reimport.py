"""The demo's careless re-import: a steward sends a later donors file in which one donor's
birth year changed and the phenotype and diagnosis cells are empty. The node refuses it with
the field-level difference, keeps the registered terms, writes the change only when asked, and
keeps the old value in the donor's history."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console

from hgr.audit import Actor
from hgr.exceptions import ValidationFailed
from hgr.node import Node
from hgr.registry.history import find_row, history
from hgr.registry.importer import import_files

__all__ = ["careless_reimport"]


def careless_reimport(
    node: Node, source: Path, folder: Path, code: str, actor: Actor, console: Console
) -> None:
    """Re-import the first donor of ``source`` (a donors template) with a new birth year and
    empty term cells, as a steward's later spreadsheet would, and show what the node does."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, first = list(reader.fieldnames or []), next(reader)
    year = int(first["birth_year"]) + 1 if first.get("birth_year") else 1970
    changed = {**first, "birth_year": str(year), "phenotypes": "", "diagnoses": ""}
    folder.mkdir(parents=True, exist_ok=True)
    later = folder / "donors.csv"
    with later.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerow(changed)
    donor = first["donor_id"]
    try:
        import_files(node.db, node.keys, [later], institution=code, actor=actor)
        raise AssertionError("a changed record was written without --update")
    except ValidationFailed as refused:
        console.print(
            f"{code}: a later donors file changes donor {donor}; refused "
            f"({refused.code}), nothing written:",
            highlight=False,
        )
        for issue in refused.issues:
            console.print(f"  {issue.problem}", highlight=False)
    result = import_files(node.db, node.keys, [later], institution=code, actor=actor, update=True)
    cleared = [d for d in result.differences if d.field in ("phenotypes", "diagnoses")]
    console.print(
        f"with --update: import batch {result.batch_id}, {len(result.differences)} "
        f"field(s) changed; the empty phenotype and diagnosis cells cleared "
        f"{len(cleared)} (an empty cell keeps what is registered)",
        highlight=False,
    )
    with node.db.reader() as session:
        table, rows = find_row(session, "donors", donor, code, node.keys.pseudonymiser.pseudonym)
        for line in history(session, table, rows):
            console.print(
                f"  history of donor {donor}: {line['field']} {line['before']} → "
                f"{line['after']} ({line['source']}, {line['by']})",
                highlight=False,
            )
