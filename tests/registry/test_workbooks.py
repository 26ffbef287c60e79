"""Templates as Excel workbooks: the examples import from one as from their CSV files, blank
workbooks import once filled in, every problem points at its sheet and row, and hostile
workbooks (bombs, entity expansion, damaged or disguised files) are refused with nothing
written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import ValidationFailed
from hgr.issues import Issue, Report
from hgr.registry import models as m
from hgr.registry.importer import import_files
from hgr.registry.templates import TEMPLATES
from hgr.registry.workbooks import REFERENCE_SHEET, blank_workbook, read_workbook
from tests.conftest import EXAMPLES, table_counts

INSTITUTION = "BJ-H001"
SHEETS = ("collections", "donors", "samples", "consents", "ethics_approvals", "families")


@pytest.fixture
def registered(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    return db


def _typed(cell: str) -> object:
    """A cell as a person would type it into a spreadsheet: numbers and dates as such."""
    if cell.isdigit() and not cell.startswith("0"):
        return int(cell)
    try:
        return dt.datetime.combine(dt.date.fromisoformat(cell), dt.time())
    except ValueError:
        return cell or None


def _examples_workbook(path: Path) -> Path:
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for name in SHEETS:
        sheet = book.create_sheet(name)
        with (EXAMPLES / f"{name}.csv").open(encoding="utf-8") as handle:
            for n, row in enumerate(csv.reader(handle)):
                sheet.append(row if n == 0 else [_typed(c) for c in row])
    book.save(path)
    return path


def _refused(db: Database, keys: NodeKeys, paths: list[Path]) -> list[Issue]:
    before = table_counts(db)
    with pytest.raises(ValidationFailed) as info:
        import_files(db, keys, paths, institution=INSTITUTION)
    assert table_counts(db) == before
    return [i for i in info.value.issues if i.severity == "error"]


def test_the_examples_import_from_a_workbook_as_from_their_csv_files(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    book = _examples_workbook(tmp_path / "holdings.xlsx")
    result = import_files(
        registered, keys, [book, EXAMPLES / "HD-001.ped"], institution=INSTITUTION
    )
    assert result.report.ok, result.report.issues
    assert result.changes["donors"].inserted == 6
    assert result.changes["samples"].inserted == 7
    assert result.changes["consents"].inserted == 6
    assert result.changes["pedigree_members"].inserted == 5
    with registered.reader() as session:
        years = sorted(session.scalars(select(m.Donor.birth_year)).all(), key=str)
        dates = {str(d) for d in session.scalars(select(m.Sample.collection_date))}
    with (EXAMPLES / "donors.csv").open(encoding="utf-8") as handle:
        wanted_years = sorted(
            (int(r["birth_year"]) if r["birth_year"] else None for r in csv.DictReader(handle)),
            key=str,
        )
    with (EXAMPLES / "samples.csv").open(encoding="utf-8") as handle:
        wanted_dates = {r["collection_date"] for r in csv.DictReader(handle)}
    assert years == wanted_years  # typed as numbers, read as the same years
    assert dates == wanted_dates  # typed as dates, read as the same days
    # The same rows from CSV change nothing more: the two readings agree.
    again = import_files(
        registered,
        keys,
        [EXAMPLES / f"{name}.csv" for name in SHEETS] + [EXAMPLES / "HD-001.ped"],
        institution=INSTITUTION,
        dry_run=True,
    )
    assert all(c.inserted == 0 and c.updated == 0 for c in again.changes.values())


def test_a_blank_workbook_holds_every_column_and_imports_once_filled_in(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank_workbook(["collections", "donors"]))
    book = load_workbook(path)
    assert book.sheetnames == ["collections", "donors", REFERENCE_SHEET]
    donors = book["donors"]
    assert [c.value for c in donors[1]] == list(TEMPLATES["donors"].column_names)
    described = {(r[0], r[1]) for r in book[REFERENCE_SHEET].iter_rows(2, values_only=True)}
    assert ("donors", "sex") in described
    assert len(described) == len(TEMPLATES["collections"].columns) + len(
        TEMPLATES["donors"].columns
    )
    columns = TEMPLATES["donors"].column_names
    donors.append(
        [{"donor_id": "XL-1", "sex": "female", "birth_year": 1990}.get(c) for c in columns]
    )
    book.save(path)
    result = import_files(registered, keys, [path], institution=INSTITUTION)
    assert result.changes["donors"].inserted == 1


def test_every_problem_points_at_its_sheet_row_and_field(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "donors"
    sheet.append(["donor_id", "sex", "birth_year"])
    sheet.append(["XL-1", "female", 1990])
    sheet.append(["XL-2", "sideways", 1990])
    sheet.append([None, None, None])  # an empty row is skipped, as an empty line is
    sheet.append(["XL-3", "male", 1990, "stray"])
    notes = book.create_sheet("notes")
    notes.append(["anything"])
    path = tmp_path / "mine.xlsx"
    book.save(path)
    report = Report()
    read_workbook(path, report)
    found = {(str(i.origin), i.code, i.field) for i in report.issues}
    assert any(o == f"{path} [donors]:3" and f == "sex" for o, _, f in found), found
    assert (f"{path} [donors]:5", "E_CELLS", None) in found
    assert (f"{path} [notes]", "W_SHEET_SKIPPED", None) in found
    assert not any(o.endswith(":4") for o, _, _ in found)
    assert len(_refused(registered, keys, [path])) == 2


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _valid_parts() -> dict[str, bytes]:
    buffer = io.BytesIO(blank_workbook(["donors"]))
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize(
    "attack",
    ["csv in disguise", "zip bomb", "billion laughs", "truncated", "no template sheet", "xls"],
)
def test_a_hostile_workbook_is_refused_and_nothing_is_written(
    registered: Database, keys: NodeKeys, tmp_path: Path, attack: str
) -> None:
    path = tmp_path / "donors.xlsx"
    if attack == "csv in disguise":
        path.write_bytes((EXAMPLES / "donors.csv").read_bytes())
    elif attack == "zip bomb":
        # 64 MiB of one byte packs into a few dozen kilobytes.
        _zip(path, {**_valid_parts(), "xl/worksheets/sheet1.xml": b"<" * (64 * 1024 * 1024)})
    elif attack == "billion laughs":
        parts = _valid_parts()
        sheet = parts["xl/worksheets/sheet1.xml"]
        body = sheet[sheet.index(b"<worksheet") :]
        _zip(path, {**parts, "xl/worksheets/sheet1.xml": LAUGHS + body})
    elif attack == "truncated":
        path.write_bytes(blank_workbook(["donors"])[:2000])
    elif attack == "no template sheet":
        book = Workbook()
        assert book.active is not None
        book.active.title = "Sheet1"
        book.active.append(["donor_id", "sex"])
        book.save(path)
    else:
        path = tmp_path / "donors.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    (error,) = _refused(registered, keys, [path])
    wanted = {
        "no template sheet": "E_UNKNOWN_TEMPLATE",
        "xls": "E_UNKNOWN_FORMAT",
    }.get(attack, "E_XLSX")
    assert (str(error.origin), error.code) == (str(path), wanted)
    # What stopped it: the zip's directory before unpacking, defusedxml before expanding.
    says = {"zip bomb": "unpacks 1", "billion laughs": "EntitiesForbidden"}.get(attack, "")
    assert says in error.problem


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _with_sheet(path: Path, sheet_xml: str) -> Path:
    """A donors workbook whose first sheet's XML is ``sheet_xml``."""
    return _zip(path, {**_valid_parts(), "xl/worksheets/sheet1.xml": sheet_xml.encode()})


def _counting_cells(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many cells the reader turns into text, counted as it reads."""
    from hgr.registry import workbooks

    seen = [0]
    text = workbooks._text

    def counted(value: object) -> str:
        seen[0] += 1
        return text(value)

    monkeypatch.setattr(workbooks, "_text", counted)
    return seen


def test_a_sheet_that_claims_to_be_huge_is_read_for_what_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 5 kB that declares A1:XFD1048576 and holds a cell in the last row: read as declared,
    # it is 17 billion cells.
    path = _with_sheet(
        tmp_path / "donors.xlsx",
        f'<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>donor_id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>sex</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>XL-1</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        "</sheetData></worksheet>",
    )
    seen = _counting_cells(monkeypatch)
    report = Report()
    ((_template, records),) = read_workbook(path, report)
    assert [r.local_id for r in records] == ["XL-1"]
    assert report.errors == []
    assert seen[0] < 100  # the header, the rows held and one column more: not the claim


def test_a_sheet_past_the_last_row_a_spreadsheet_holds_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _with_sheet(
        tmp_path / "donors.xlsx",
        f"<worksheet {NS}><sheetData>"
        '<row r="1"><c r="A1" t="inlineStr"><is><t>donor_id</t></is></c></row>'
        '<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>x</t></is></c></row>'
        "</sheetData></worksheet>",
    )
    seen = _counting_cells(monkeypatch)
    report = Report()
    read_workbook(path, report)
    assert [i.code for i in report.errors] == ["E_XLSX"]
    assert "more rows than a spreadsheet holds" in report.errors[0].problem
    assert seen[0] < 100


def _zip_directory_lies(data: bytes, how: str) -> bytes:
    """``data`` (a zip) with its central directory damaged: an unknown version needed to
    extract, or a name flagged UTF-8 that is not."""
    damaged = bytearray(data)
    at = damaged.index(b"PK\x01\x02")
    if how == "version":
        damaged[at + 6 : at + 8] = b"\xff\x00"
    else:
        damaged[at + 8 : at + 10] = (0x0800).to_bytes(2, "little")
        damaged[at + 46] = 0xFF
    return bytes(damaged)


@pytest.mark.parametrize("how", ["version", "name"])
def test_a_zip_whose_directory_lies_is_refused_with_a_clear_error(
    registered: Database, keys: NodeKeys, tmp_path: Path, how: str
) -> None:
    path = tmp_path / "donors.xlsx"
    path.write_bytes(_zip_directory_lies(blank_workbook(["donors"]), how))
    (error,) = _refused(registered, keys, [path])
    assert (error.code, str(error.origin)) == ("E_XLSX", str(path))


def test_a_percentage_is_read_as_the_number_shown(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # A steward formats foreign equity as a percentage: the cell holds 0.6 and shows 60%.
    # Read as 0.6, a foreign-controlled institution would look domestic.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "institutions"
    with (EXAMPLES / "institutions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    sheet.append(header)
    equity = header.index("foreign_equity_pct")
    for row in rows[1:]:
        if row[equity]:
            shown = float(row[equity])
            sheet.append([shown / 100 if n == equity else c for n, c in enumerate(row)])
            sheet.cell(sheet.max_row, equity + 1).number_format = "0%"
        else:
            sheet.append(row)
    path = tmp_path / "institutions.xlsx"
    book.save(path)
    report = Report()
    ((_template, records),) = read_workbook(path, report)
    given = {row[0]: row[equity] for row in rows[1:]}
    read = {r.code: r.foreign_equity_pct for r in records}
    assert read == {code: float(v) if v else None for code, v in given.items()}
