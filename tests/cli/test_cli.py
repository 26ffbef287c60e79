"""The hgr command end to end: init, import, list, show, summary, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgr.cli.main import app
from tests.cli.conftest import hgr, hgr_lines
from tests.conftest import EXAMPLES
from tests.conftest import HOLDINGS as HOLDING_PATHS

runner = CliRunner()
HOLDINGS = [str(p) for p in HOLDING_PATHS]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    node = tmp_path / "node"
    result = runner.invoke(app, ["init", str(node), "--institution", "BJ-H001"])
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(
            app, ["import", str(EXAMPLES / "institutions.csv"), "--home", str(node)]
        ).exit_code
        == 0
    )
    return node


def test_import_list_show(home: Path) -> None:
    result = runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "import batch" in result.output
    listing = runner.invoke(app, ["list", "samples", "--home", str(home), "--json"])
    assert listing.exit_code == 0
    assert listing.output.count("\n") == 7
    shown = runner.invoke(app, ["show", "families", "HD-001", "--home", str(home)])
    assert shown.exit_code == 0
    assert "ORPHA:399" in shown.output
    again = runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)])
    assert "nothing changed" in again.output
    summary = runner.invoke(app, ["summary", "--home", str(home)])
    assert summary.exit_code == 0
    assert "BJ-H001" in summary.output


def test_dry_run_and_errors(home: Path, tmp_path: Path) -> None:
    dry = runner.invoke(app, ["import", *HOLDINGS, "--home", str(home), "--dry-run"])
    assert dry.exit_code == 0
    assert "nothing was written" in dry.output
    empty = runner.invoke(app, ["list", "donors", "--home", str(home), "--json"])
    assert empty.output == ""
    bad = tmp_path / "donors.csv"
    bad.write_text("donor_id,sex\nA,femme\n")
    failed = runner.invoke(app, ["import", str(bad), "--home", str(home)])
    assert failed.exit_code == 1
    assert "error:" in failed.stderr
    assert "(E_VALIDATION)" in failed.stderr
    assert f"{bad}:2: sex:" in failed.stderr


def test_errors_print_code_and_exit_non_zero(tmp_path: Path) -> None:
    result = runner.invoke(app, ["list", "donors", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert "(E_NO_NODE)" in result.stderr
    (tmp_path / "junk").write_text("x")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "(E_NODE_DIR)" in result.stderr


def test_init_on_an_existing_node_refuses_unless_forced_and_never_rewrites_keys(
    home: Path,
) -> None:
    # Before, a second hgr init rewrote node.toml with its defaults: the institution node
    # became role "all" with no institution, silently.
    settings = (home / "node.toml").read_text()
    keys = {p.name: p.read_bytes() for p in (home / "keys").iterdir()}
    assert (home / "node.toml").stat().st_mode & 0o777 == 0o600  # it may hold a password
    again = runner.invoke(app, ["init", str(home)])
    assert again.exit_code == 1
    assert "(E_NODE_EXISTS)" in again.stderr
    assert "--force" in again.stderr
    assert (home / "node.toml").read_text() == settings
    forced = runner.invoke(app, ["init", str(home), "--name", "renamed", "--force"])
    assert forced.exit_code == 0, forced.output
    assert 'name = "renamed"' in (home / "node.toml").read_text()
    (kept,) = home.glob("node.toml.*")  # the settings as they were, kept beside
    assert kept.read_text() == settings
    assert {p.name: p.read_bytes() for p in (home / "keys").iterdir()} == keys
    assert (home / "node.toml").stat().st_mode & 0o777 == 0o600


def test_unknown_entity(home: Path) -> None:
    result = runner.invoke(app, ["list", "unicorns", "--home", str(home)])
    assert result.exit_code == 1
    assert "(E_ENTITY)" in result.stderr


def test_regions_load(home: Path, tmp_path: Path) -> None:
    regions = tmp_path / "regions.csv"
    regions.write_text(
        "country,code,name,name_local,level,parent_code\n"
        "GB,GB,United Kingdom,,nation,\nGB,GB-ENG,England,,province,GB\n"
    )
    result = runner.invoke(app, ["regions", "load", str(regions), "--home", str(home)])
    assert result.exit_code == 0
    assert "2 new region" in result.output
    regions.write_text(
        "country,code,name,name_local,level,parent_code\nGB,GB-WLS,Wales,,province,XX\n"
    )
    result = runner.invoke(app, ["regions", "load", str(regions), "--home", str(home)])
    assert result.exit_code == 1
    assert "E_REGION_PARENT" in result.stderr


def test_list_filters_and_show_composite_keys(home: Path) -> None:
    assert runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)]).exit_code == 0
    withdrawn = runner.invoke(
        app, ["list", "consents", "--where", "status=withdrawn", "--json", "--home", str(home)]
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    (consent,) = [json.loads(line) for line in withdrawn.output.splitlines()]
    shown = runner.invoke(
        app,
        ["show", "consents", consent["donor"], consent["document_version"], "--home", str(home)],
    )
    assert shown.exit_code == 0, shown.output
    assert "2023-02-14" in shown.output
    members = runner.invoke(app, ["list", "members", "-w", "family=HD-001", "--home", str(home)])
    assert "of 5" in members.output
    bad = runner.invoke(app, ["list", "donors", "--where", "sex", "--home", str(home)])
    assert bad.exit_code == 1
    assert "(E_USAGE)" in bad.stderr
    too_many = runner.invoke(app, ["show", "samples", "a", "b", "--home", str(home)])
    assert "(E_KEY)" in too_many.stderr


def test_imports_are_audited_and_the_log_verifies(home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)]).exit_code == 0
    head = runner.invoke(app, ["audit", "checkpoint", "--home", str(home)])
    assert head.exit_code == 0, head.output
    # The regions loaded by init, then two imports: institutions, then holdings.
    assert head.output.splitlines()[1] == "3"
    witness = tmp_path / "checkpoint.txt"
    witness.write_text(head.output)
    verified = runner.invoke(
        app, ["audit", "verify", "--witness", str(witness), "--home", str(home)]
    )
    assert verified.exit_code == 0, verified.output
    assert "the audit log verifies" in verified.output
    witness.write_text(head.output.replace("\n3\n", "\n4\n"))
    forged = runner.invoke(app, ["audit", "verify", "--witness", str(witness), "--home", str(home)])
    assert forged.exit_code == 1
    assert "(E_AUDIT_TAMPERED)" in forged.stderr
    witness.write_text("nonsense")
    assert (
        "(E_CHECKPOINT)"
        in runner.invoke(
            app, ["audit", "verify", "--witness", str(witness), "--home", str(home)]
        ).stderr
    )


@pytest.mark.parametrize(
    ("lang", "says"),
    [
        (
            "zh_CN.UTF-8",
            [
                "输入中有 1 处错误；未写入任何内容",
                "'robot' 不是可接受的取值",
                "修改方法：请使用以下之一：",
                "（E_FIELD）",
            ],
        ),
        ("en_GB.UTF-8", ["'robot' is not a known value", "fix: use one of:", "(E_FIELD)"]),
        ("C", ["'robot' is not a known value"]),
    ],
)
def test_import_problems_are_printed_in_the_terminals_language(
    home: Path, tmp_path: Path, lang: str, says: list[str]
) -> None:
    # The same catalogue as the console's: the CLI follows HGR_LANG, else LANG.
    donors = tmp_path / "donors.csv"
    donors.write_text("donor_id,sex\nD-1,robot\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["import", str(donors), "--home", str(home)],
        env={"LANG": lang, "HGR_LANG": None, "LC_ALL": None, "LC_MESSAGES": None},
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    for words in says:
        assert words in output, output


def test_listings_for_scripts(home: Path) -> None:
    """--json and --tsv on the listing, the record and the summary; a table written to a
    pipe is as wide as its cells (it was cut at 80 columns, pseudonyms ending in "…")."""
    import subprocess
    import sys

    assert runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)]).exit_code == 0
    tsv = runner.invoke(app, ["list", "donors", "--home", str(home), "--tsv"]).output
    header, *rows = tsv.splitlines()
    columns = header.split("\t")
    assert "pseudonym" in columns
    assert len(rows) == 6
    assert all(len(r.split("\t")) == len(columns) for r in rows)
    pseudonym = rows[0].split("\t")[columns.index("pseudonym")]
    assert len(pseudonym) == 64
    shown = runner.invoke(app, ["show", "donors", pseudonym, "--home", str(home), "--json"])
    assert json.loads(shown.output)["pseudonym"] == pseudonym
    record = runner.invoke(app, ["show", "donors", pseudonym, "--home", str(home), "--tsv"])
    assert record.output.splitlines()[0] == "field\tvalue"
    summary = runner.invoke(app, ["summary", "--home", str(home), "--json"]).output
    assert {json.loads(line)["institution"] for line in summary.splitlines()} >= {"BJ-H001"}
    both = runner.invoke(app, ["summary", "--home", str(home), "--json", "--tsv"])
    assert both.exit_code == 1
    assert "E_USAGE" in both.output
    piped = subprocess.run(
        [sys.executable, "-m", "hgr", "list", "donors", "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in __import__("os").environ.items() if k != "COLUMNS"},
    )
    assert pseudonym in piped.stdout
    assert "…" not in piped.stdout


def test_a_steward_names_donors_by_the_institutions_own_ids(home: Path) -> None:
    """`hgr show donors BJH-0001` answered not found: the registry holds pseudonyms only."""
    assert runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)]).exit_code == 0
    shown = runner.invoke(app, ["show", "donors", "BJH-0001", "--home", str(home), "--json"])
    assert shown.exit_code == 0, shown.output
    donor = json.loads(shown.output)
    assert donor["birth_year"] == 1948
    listing = runner.invoke(
        app, ["list", "samples", "--where", "donor=BJH-0001", "--home", str(home), "--json"]
    )
    donors = {json.loads(line)["donor"] for line in listing.output.splitlines()}
    assert donors == {donor["pseudonym"]}
    missing = runner.invoke(app, ["show", "donors", "BJH-9999", "--home", str(home)])
    assert missing.exit_code == 1
    assert "E_NOT_FOUND" in missing.output
    # The id typed, not the pseudonym computed from it (which told the steward nothing).
    assert "BJH-9999" in " ".join(missing.output.split())


def test_a_listing_written_to_a_workbook(home: Path, tmp_path: Path) -> None:
    """--xlsx writes the same rows as --tsv to an Excel workbook, and never over a file."""
    from openpyxl import load_workbook

    assert runner.invoke(app, ["import", *HOLDINGS, "--home", str(home)]).exit_code == 0
    book = tmp_path / "samples.xlsx"
    written = runner.invoke(app, ["list", "samples", "--home", str(home), "--xlsx", str(book)])
    assert written.exit_code == 0, written.output
    tsv = runner.invoke(app, ["list", "samples", "--home", str(home), "--tsv"]).output
    expected = [line.split("\t") for line in tsv.splitlines()]
    sheet = load_workbook(book, read_only=True).active
    assert sheet is not None
    found = [[_as_listed(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert found == expected
    before = book.read_bytes()
    again = runner.invoke(app, ["list", "donors", "--home", str(home), "--xlsx", str(book)])
    assert again.exit_code == 1
    assert "E_OUTPUT_EXISTS" in again.output
    assert book.read_bytes() == before
    nowhere = tmp_path / "no-such-folder" / "x.xlsx"
    missing = runner.invoke(app, ["list", "donors", "--home", str(home), "--xlsx", str(nowhere)])
    assert missing.exit_code == 1
    assert "E_NO_FILE" in missing.output


def _as_listed(value: object) -> str:
    """A workbook cell as the TSV listing prints it (Excel keeps a date as a date-time)."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value)


def test_own_ids_that_look_like_pseudonyms(home: Path, tmp_path: Path) -> None:
    """Donor ids of 64 hex digits (a SHA-256 an institution made itself) are found by
    `hgr show` and `hgr list --where` as the institution's own ids."""
    import hashlib

    own = hashlib.sha256(b"patient 17").hexdigest()
    donors = tmp_path / "donors.csv"
    donors.write_text(f"donor_id,sex,birth_year\n{own},female,1990\n", encoding="utf-8")
    samples = tmp_path / "samples.csv"
    samples.write_text(f"sample_id,donor_id,material_type\nS-HEX-1,{own},dna\n", encoding="utf-8")
    imported = runner.invoke(app, ["import", str(donors), str(samples), "--home", str(home)])
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(app, ["show", "donors", own, "--home", str(home), "--json"])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.output)
    assert record["birth_year"] == 1990
    assert record["pseudonym"] != own
    listed = runner.invoke(
        app, ["list", "samples", "--where", f"donor={own}", "--home", str(home), "--json"]
    )
    assert listed.exit_code == 0, listed.output
    assert [json.loads(line)["donor"] for line in listed.output.splitlines()] == [
        record["pseudonym"]
    ]
    # The registry's own pseudonym still names the donor.
    again = runner.invoke(app, ["show", "donors", record["pseudonym"], "--home", str(home)])
    assert again.exit_code == 0


def test_history_for_scripts(examples_node: Path, tmp_path: Path) -> None:
    """--json and --tsv on `hgr history`: a line for each field changed, the TSV under its
    header even for a record that never changed."""
    donors = (EXAMPLES / "donors.csv").read_text(encoding="utf-8")
    later = tmp_path / "donors.csv"
    later.write_text(donors.replace("BJH-0003,female,1972", "BJH-0003,female,1973"))
    assert hgr(examples_node, "import", str(later), "--update")[0] == 0

    lines = hgr_lines(examples_node, "history", "donors", "BJH-0003", "--json")
    (change,) = [json.loads(line) for line in lines]
    assert {"table": "donor", "field": "birth_year", "before": 1972, "after": 1973}.items() <= (
        change.items()
    )
    assert change["source"].startswith("import batch")
    header, row = hgr_lines(examples_node, "history", "donors", "BJH-0003", "--tsv")
    columns = header.split("\t")
    assert columns == ["at", "by", "source", "table", "field", "before", "after"]
    assert dict(zip(columns, row.split("\t"), strict=True))["after"] == "1973"
    assert hgr_lines(examples_node, "history", "donors", "BJH-0001", "--tsv") == [header]
    assert hgr_lines(examples_node, "history", "donors", "BJH-0001", "--json") == []
