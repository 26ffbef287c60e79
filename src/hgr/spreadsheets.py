"""Cells of the CSV files and workbooks the node writes for people to read.

People open these files in spreadsheets, and a spreadsheet takes a cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula: ``=HYPERLINK(…)`` or
``=cmd|…`` in an organisation's name would run on the reader's machine (OWASP, "CSV
Injection"). Such a text cell is written with a leading apostrophe, which spreadsheets show
as text; numbers are written as they are.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

__all__ = ["FORMULA_START", "rows_workbook", "safe_cell", "safe_record", "safe_row"]

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


# Characters a worksheet's title may not hold, and its longest (Excel's limits).
_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
_SHEET_LONGEST = 31
# Characters XML 1.0 cannot carry (openpyxl refuses some in a cell, and writes others into
# a file that no reader can open again).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LONGEST_TEXT = 32_767  # characters in a cell (Excel's limit; openpyxl cuts silently)
_CUT = " [cut: the cell held more than Excel keeps]"


def _workbook_cell(value: Any) -> Any:
    """A value as a workbook keeps it: numbers, dates and booleans as themselves, lists
    joined by ";", everything else as text."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # A worksheet's date-times have no zone (openpyxl refuses one): the time is given
        # as text with its offset, as the listing prints it.
        return value.isoformat(sep=" ")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # a worksheet has no NaN or infinity: as text
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = _NOT_XML.sub(" ", str(value))
    if len(text) > _LONGEST_TEXT:
        text = text[: _LONGEST_TEXT - len(_CUT)] + _CUT
    return text


def rows_workbook(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    """An Excel workbook (openpyxl) of one sheet: a bold header of ``columns``, then the
    rows. A text cell stays text, whatever it begins with: openpyxl would take a value
    beginning with "=" as a formula, to be run on the reader's machine (as in safe_cell)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = (_SHEET_FORBIDDEN.sub(" ", title).strip() or "hgr")[:_SHEET_LONGEST]
    sheet.append(list(columns))
    for header in sheet[1]:
        header.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(columns, start=1):
            value = _workbook_cell(row.get(name))
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
