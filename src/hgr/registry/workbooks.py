"""Templates as Excel workbooks (.xlsx): read for import, and written blank to fill in.

Stewards keep their records in spreadsheets. A workbook holds one sheet per template, named
after it (``donors``, ``samples``…; a sheet is recognised by its name as a CSV file is by its
file name), with the header in the first row. Every sheet is read as the CSV of the same
template would be, and its issues point at ``<file> [<sheet>]:<row>``.

A workbook is a zip of XML parts, and an uploaded one may be hostile. openpyxl parses its XML
with defusedxml, which refuses entity expansion ("billion laughs"); the zip's directory is
checked before anything is unpacked, so that a few kilobytes cannot unpack into gigabytes
(a "zip bomb"). Formulas are read as the values the spreadsheet last computed for them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from hgr.issues import N_, Origin, Report, Text
from hgr.registry.templates import TEMPLATES, Template, read_sheet

__all__ = ["REFERENCE_SHEET", "WORKBOOK_SUFFIXES", "blank_workbook", "read_workbook"]

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
REFERENCE_SHEET = "reference"  # the blank workbook's column reference; never imported
MAX_UNPACKED = 256 * 1024 * 1024  # bytes the parts of one workbook may unpack to
MAX_RATIO = 200  # how much more a part may unpack to than it takes packed, past 1 MiB


def _unpacked_size_problem(path: Path) -> Text | None:
    """Why the zip's directory says the workbook is too big to unpack, or None."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    total = sum(p.file_size for p in parts)
    if total > MAX_UNPACKED:
        return N_(
            "the workbook is refused: its parts unpack to %(size)s bytes, over %(limit)s",
            size=f"{total:,}",
            limit=f"{MAX_UNPACKED:,}",
        )
    for part in parts:
        packed = max(part.compress_size, 1)  # a directory may claim a part packs to nothing
        if part.file_size > 1024 * 1024 and part.file_size > MAX_RATIO * packed:
            return N_(
                "the workbook is refused: its part %(part)s unpacks %(ratio)s-fold",
                part=part.filename,
                ratio=part.file_size // packed,
            )
    return None


def _text(value: Any) -> str:
    """A cell as the text a CSV file would hold for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year or a count typed as a number
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _rows(
    sheet: Worksheet, source: str, report: Report
) -> tuple[list[str], Iterator[tuple[Origin, dict[str, str]]]] | None:
    """The header of ``sheet`` and its rows (empty ones skipped), or None when it has no
    header."""
    lines = sheet.iter_rows(values_only=True)
    first = next(lines, None)
    header = [_text(cell).strip().lower() for cell in (first or ())]
    while header and not header[-1]:
        header.pop()  # trailing empty columns
    if not header:
        report.error("E_EMPTY", Origin(source), N_("the sheet is empty"), N_("add a header row"))
        return None

    def rows() -> Iterator[tuple[Origin, dict[str, str]]]:
        for number, cells in enumerate(lines, start=2):
            texts = [_text(cell) for cell in cells]
            if not any(t.strip() for t in texts):
                continue
            origin = Origin(source, number)
            extra = [t for t in texts[len(header) :] if t.strip()]
            if extra:
                report.error(
                    "E_CELLS",
                    origin,
                    N_(
                        "%(cells)s cells where the header has %(columns)s",
                        cells=len(header) + len(extra),
                        columns=len(header),
                    ),
                    N_("remove the cells right of the last named column, or name their column"),
                )
                continue
            texts += [""] * (len(header) - len(texts))
            yield origin, dict(zip(header, texts[: len(header)], strict=True))

    return header, rows()


def read_workbook(path: Path, report: Report) -> list[tuple[Template, list[Any]]]:
    """Each template sheet of the workbook at ``path`` with its records; every problem goes
    to ``report`` (nothing is raised for bad input)."""
    origin = Origin(str(path))
    try:
        too_big = _unpacked_size_problem(path)
    except (zipfile.BadZipFile, OSError):
        report.error(
            "E_XLSX",
            origin,
            N_("the file is not an Excel workbook (.xlsx)"),
            N_("save it from the spreadsheet as an Excel workbook (.xlsx) or as CSV UTF-8"),
        )
        return []
    if too_big:
        report.error(
            "E_XLSX",
            origin,
            too_big,
            N_("import it as CSV files, or split it into smaller workbooks"),
        )
        return []
    found: list[tuple[Template, list[Any]]] = []
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                name = sheet.title.strip().lower()
                if name == REFERENCE_SHEET:
                    continue
                template = TEMPLATES.get(name)
                source = f"{path} [{sheet.title}]"
                if template is None:
                    report.warning(
                        "W_SHEET_SKIPPED",
                        Origin(source),
                        N_(
                            "the sheet “%(sheet)s” is not a template, and was not read",
                            sheet=sheet.title,
                        ),
                        N_(
                            "name each sheet after its template: %(templates)s",
                            templates=", ".join(TEMPLATES),
                        ),
                    )
                    continue
                read = _rows(sheet, source, report)
                if read is not None:
                    header, rows = read
                    found.append(
                        (template, read_sheet(header, rows, template, report, Origin(source, 1)))
                    )
        finally:
            book.close()
    # openpyxl raises many kinds of error on a damaged or hostile workbook (KeyError for a
    # missing part, ValueError for a bad cell, defusedxml's for entities): each is the file's
    # fault, and is reported as such.
    except Exception as exc:
        cause: BaseException = exc
        while cause.__cause__ is not None:  # openpyxl wraps what its parser refused
            cause = cause.__cause__
        report.error(
            "E_XLSX",
            origin,
            N_("the workbook cannot be read (%(why)s)", why=type(cause).__name__),
            N_("open it in the spreadsheet and save it again as an Excel workbook (.xlsx)"),
        )
        return []
    if not found and not report.errors:
        report.error(
            "E_UNKNOWN_TEMPLATE",
            origin,
            N_("no sheet of the workbook is a template"),
            N_("name each sheet after its template: %(templates)s", templates=", ".join(TEMPLATES)),
        )
    return found


def blank_workbook(names: Sequence[str]) -> bytes:
    """A blank workbook to fill in: a sheet per template of ``names`` with its header row, and
    a reference sheet describing every column. Raises KeyError for a name that is no
    template."""
    templates = [TEMPLATES[name] for name in names]
    book = Workbook()
    bold = Font(bold=True)
    first = True
    for template in templates:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = template.name
        sheet.append(list(template.column_names))
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for letter, column in zip(_letters(), template.columns, strict=False):
            sheet.column_dimensions[letter].width = max(12, len(column.name) + 4)
    reference = book.create_sheet(REFERENCE_SHEET)
    reference.append(["template", "column", "required", "what it holds"])
    for cell in reference[1]:
        cell.font = bold
    for template in templates:
        for column in template.columns:
            reference.append(
                [template.name, column.name, "yes" if column.required else "no", column.meaning]
            )
    reference.column_dimensions["D"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _letters() -> Iterator[str]:
    """Spreadsheet column letters: A … Z, AA … AZ."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    yield from alphabet
    for a in alphabet:
        for b in alphabet:
            yield a + b
