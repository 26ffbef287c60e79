"""Blank templates written to a folder, for a steward to fill in offline.

The same blanks the console's template page serves (:func:`blank_template`,
:func:`blank_workbook`): a CSV per template, with ``columns.csv`` describing every column, or
with ``xlsx`` a workbook per template (each with its reference sheet) and ``hgr-templates.xlsx``
holding them all. Nothing is overwritten: a folder that already holds any of the files is
refused, naming them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hgr.exceptions import UsageError
from hgr.registry.templates import TEMPLATES, blank_template
from hgr.registry.workbooks import blank_workbook

__all__ = ["ALL_TEMPLATES", "COLUMNS_FILE", "write_blank_templates"]

ALL_TEMPLATES = "hgr-templates"
"""The workbook of every template."""
COLUMNS_FILE = "columns.csv"
"""The column reference beside the CSV blanks."""


def _column_reference() -> str:
    """Every template's columns: whether each is required, and what it holds (CSV with a
    byte-order mark, as the blanks)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["template", "column", "required", "what it holds"])
    for template in TEMPLATES.values():
        for column in template.columns:
            writer.writerow(
                [template.name, column.name, "yes" if column.required else "no", column.meaning]
            )
    return "\ufeff" + buffer.getvalue()


def write_blank_templates(folder: Path, xlsx: bool = False) -> list[Path]:
    """Write the blanks into ``folder`` (created if missing; module docstring); the files.

    Raises
    ------
    UsageError
        ``E_TEMPLATES_EXIST`` when the folder holds a file of the same name already (nothing
        is written); ``E_NO_FILE`` when the folder cannot be made (its parent is missing, or
        it is a file).
    """
    if xlsx:
        contents: dict[str, str | bytes] = {
            f"{name}.xlsx": blank_workbook([name]) for name in TEMPLATES
        }
        contents[f"{ALL_TEMPLATES}.xlsx"] = blank_workbook(list(TEMPLATES))
    else:
        contents = {f"{name}.csv": blank_template(name) for name in TEMPLATES}
        contents[COLUMNS_FILE] = _column_reference()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: not a folder", code="E_NO_FILE")
    if not folder.parent.is_dir():
        raise UsageError(f"{folder.parent}: no such folder", code="E_NO_FILE")
    there = sorted(name for name in contents if (folder / name).exists())
    if there:
        raise UsageError(
            f"{folder} already holds {', '.join(there)}: nothing was written",
            code="E_TEMPLATES_EXIST",
        )
    folder.mkdir(exist_ok=True)
    written = []
    for name, content in contents.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        written.append(path)
    return written
