"""Cells of the CSV files the node writes for people to read.

People open these files in spreadsheets, and a spreadsheet takes a cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula: ``=HYPERLINK(…)`` or
``=cmd|…`` in an organisation's name would run on the reader's machine (OWASP, "CSV
Injection"). Such a text cell is written with a leading apostrophe, which spreadsheets show
as text; numbers are written as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FORMULA_START", "safe_cell", "safe_record", "safe_row"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe where it is text a spreadsheet would take as a
    formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Each cell of a row made safe (safe_cell)."""
    return [safe_cell(v) for v in values]


def safe_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Each value of a record (a csv.DictWriter row) made safe (safe_cell)."""
    return {k: safe_cell(v) for k, v in record.items()}
