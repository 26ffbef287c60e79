"""``hgr templates write``: blanks a steward fills in offline, and that the importer reads."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hgr.cli.main import app
from hgr.registry.templates import TEMPLATES
from hgr.registry.workbooks import read_workbook, template_sheets

runner = CliRunner()


def test_csv_blanks_with_the_column_reference(tmp_path: Path) -> None:
    folder = tmp_path / "blanks"
    result = runner.invoke(app, ["templates", "write", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(f"{name}.csv" for name in TEMPLATES), "columns.csv"]
    )
    for name, template in TEMPLATES.items():
        text = (folder / f"{name}.csv").read_text(encoding="utf-8-sig")
        assert text.splitlines() == [",".join(template.column_names)]
    with (folder / "columns.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    described = {(r["template"], r["column"]) for r in rows}
    assert described == {(t.name, c.name) for t in TEMPLATES.values() for c in t.columns}
    assert all(r["what it holds"] and r["required"] in ("yes", "no") for r in rows)


def test_workbook_blanks_are_read_back_as_their_templates(tmp_path: Path) -> None:
    from hgr.issues import Report

    folder = tmp_path / "excel"
    result = runner.invoke(app, ["templates", "write", str(folder), "--xlsx"])
    assert result.exit_code == 0, result.output
    assert template_sheets(folder / "hgr-templates.xlsx") == set(TEMPLATES)
    for name in TEMPLATES:
        assert template_sheets(folder / f"{name}.xlsx") == {name}
        report = Report()
        read = read_workbook(folder / f"{name}.xlsx", report)
        assert [(t.name, records) for t, records in read] == [(name, [])]
        assert report.ok, report.issues


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "blanks"
    folder.mkdir()
    (folder / "donors.csv").write_text("donor_id,sex\nA-1,male\n")
    result = runner.invoke(app, ["templates", "write", str(folder)])
    assert result.exit_code != 0
    assert "E_TEMPLATES_EXIST" in result.output
    assert "donors.csv" in result.output
    assert (folder / "donors.csv").read_text() == "donor_id,sex\nA-1,male\n"
    assert [p.name for p in folder.iterdir()] == ["donors.csv"]
    missing_parent = runner.invoke(app, ["templates", "write", str(tmp_path / "a" / "b")])
    assert "E_NO_FILE" in missing_parent.output


def test_a_pipe_gets_every_line_whole(tmp_path: Path) -> None:
    """Written to a pipe, rich cut each "wrote PATH" line at 80 columns, and a script read a
    path broken in two; only tables were printed full width."""
    folder = tmp_path / ("a_rather_long_folder_name_for_the_blank_templates" * 2) / "blanks"
    folder.parent.mkdir()
    piped = subprocess.run(
        [sys.executable, "-m", "hgr", "templates", "write", str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "COLUMNS"},
    )
    written = [line.split()[-1] for line in piped.stdout.splitlines() if "wrote" in line]
    assert written
    assert all(Path(path).parent == folder for path in written), piped.stdout
