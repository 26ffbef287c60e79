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
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from hgr.issues import N_, Origin, Report, Text
from hgr.registry.templates import TEMPLATES, Template, read_sheet

__all__ = [
    "REFERENCE_SHEET",
    "WORKBOOK_SUFFIXES",
    "blank_workbook",
    "read_workbook",
    "template_sheets",
]

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
REFERENCE_SHEET = "reference"  # the blank workbook's column reference; never imported
MAX_UNPACKED = 256 * 1024 * 1024  # bytes the parts of one workbook may unpack to
MAX_RATIO = 200  # how much more a part may unpack to than it takes packed, past 1 MiB
MAX_ROWS = 1_048_576  # rows of a sheet, as Excel itself allows
MAX_HEADER = 1_000  # columns of a header read (a template has a dozen)


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


def _value(cell: Any) -> Any:
    """A cell's value as it was typed: a number shown as a percentage (60%) is held as its
    fraction (0.6), and the templates' percentages are written out (60), so it is read as the
    number shown; read otherwise, 60% foreign equity would be taken for 0.6%."""
    value = cell.value
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and "%" in (cell.number_format or "")
    ):
        return round(value * 100, 10)
    return value


def _rows(
    sheet: Any, source: str, report: Report
) -> tuple[list[str], Iterator[tuple[Origin, dict[str, str]]]] | None:
    """The header of ``sheet`` (a read-only openpyxl worksheet, which openpyxl's type stubs
    do not describe) and its rows (empty ones skipped), or None when it has no header."""
    # The size a sheet declares is the file's claim: read-only openpyxl would pad every row to
    # it (a 5 kB file declaring A1:XFD1048576 is 17 billion cells). Each row is read only as
    # wide as the header and one column more, and no sheet has more rows than Excel allows.
    sheet.reset_dimensions()
    first = next(sheet.iter_rows(max_row=1, values_only=True), None)
    header = [_text(cell).strip().lower() for cell in (first or ())[:MAX_HEADER]]
    while header and not header[-1]:
        header.pop()  # trailing empty columns
    if not header:
        report.error("E_EMPTY", Origin(source), N_("the sheet is empty"), N_("add a header row"))
        return None
    lines = sheet.iter_rows(min_row=2, max_col=len(header) + 1)

    def rows() -> Iterator[tuple[Origin, dict[str, str]]]:
        for number, cells in enumerate(lines, start=2):
            if number > MAX_ROWS:
                report.error(
                    "E_XLSX",
                    Origin(source, number),
                    N_(
                        "the sheet has more rows than a spreadsheet holds (%(most)s)",
                        most=MAX_ROWS,
                    ),
                    N_("import it as CSV files, or split it into smaller workbooks"),
                )
                return
            values = [_value(cell) for cell in cells]
            if all(value is None for value in values):
                continue  # an empty row, or a gap between the rows the sheet holds
            texts = [_text(value) for value in values]
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
    # A zip's directory can fail to parse in many ways (BadZipFile, NotImplementedError for an
    # unknown version, UnicodeDecodeError for a name, struct.error, EOFError): each is the
    # file's fault.
    except Exception:
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
        # The node opens the file itself: openpyxl leaves it open when a workbook fails.
        with path.open("rb") as handle, _opened(handle) as book:
            # In the order records depend on each other: a row's own error comes before
            # those of the rows that name it.
            for sheet in sorted(book.worksheets, key=_dependency_rank):
                if _is_reference(sheet.title):
                    continue
                template = _template_of(sheet.title)
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


@contextmanager
def _opened(handle: BinaryIO) -> Iterator[Any]:
    """The workbook read from ``handle`` (read-only: sheets are parsed as they are read, and
    formulas give the values last computed), closed when the block ends."""
    book = load_workbook(handle, read_only=True, data_only=True)
    try:
        yield book
    finally:
        book.close()


def _template_of(title: str) -> Template | None:
    """The template a sheet's name announces, or None."""
    return TEMPLATES.get(title.strip().lower())


def _dependency_rank(sheet: Any) -> int:
    """A sheet's place among the templates (TEMPLATES lists them in the order their records
    depend on each other); a sheet of no template first, to be warned of and skipped."""
    template = _template_of(sheet.title)
    return list(TEMPLATES).index(template.name) if template else -1


def _is_reference(title: str) -> bool:
    return title.strip().lower() == REFERENCE_SHEET


def template_sheets(path: Path) -> set[str]:
    """The names of the templates whose sheets :func:`read_workbook` would read from the
    workbook at ``path``: what importing it writes. Empty for a workbook that cannot be read
    (its import reads nothing, and reports why)."""
    try:
        if _unpacked_size_problem(path) is not None:
            return set()
        with path.open("rb") as handle, _opened(handle) as book:
            titles = list(book.sheetnames)
    except Exception:  # the import reports the same failure as E_XLSX
        return set()
    return {
        template.name
        for title in titles
        if not _is_reference(title) and (template := _template_of(title)) is not None
    }


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
