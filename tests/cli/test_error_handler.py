"""The command line reports an error one way, in one place (hgr.cli.common.Commands)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgr.cli.main import app

CLI = Path(__file__).resolve().parents[2] / "src" / "hgr" / "cli"


@pytest.mark.parametrize(
    "path", sorted(p for p in CLI.glob("*.py") if p.name != "common.py"), ids=lambda p: p.name
)
def test_no_command_catches_errors_to_report_them(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    handlers = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ExceptHandler)
        and n.type is not None
        and "HgrError" in ast.unparse(n.type)
    ]
    calls = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "fail"
    ]
    assert handlers == calls == [], f"{path.name}: raise the error; Commands reports it"


def test_an_error_raised_outside_a_node_is_reported_the_one_way(tmp_path: Path) -> None:
    """A command that opens no node (the pedigree drawing) reports its error as every other."""
    ped = tmp_path / "bad.ped"
    ped.write_text("F1 A 0 0 1\n", encoding="utf-8")  # five columns: no phenotype
    result = CliRunner().invoke(
        app, ["pedigree", "draw", str(ped), "--out", str(tmp_path / "f.svg")]
    )
    assert result.exit_code == 1
    assert "error: " in result.output, result.output
    assert "(E_" in result.output, result.output
    assert isinstance(result.exception, SystemExit)  # an exit, not an escaped exception
