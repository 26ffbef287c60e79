"""What the command-line tests share: a runner whose output is unwrapped, and a node holding
the examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgr.cli.main import app
from tests.conftest import EXAMPLES, HOLDINGS

runner = CliRunner()


def hgr(node: Path, *args: str) -> tuple[int, str]:
    """Exit status and output of ``hgr ARGS --home NODE``, with rich's line wrapping undone."""
    result = runner.invoke(app, [*args, "--home", str(node)])
    return result.exit_code, " ".join(result.output.split())


def hgr_lines(node: Path, *args: str) -> list[str]:
    """The lines ``hgr ARGS --home NODE`` prints, as printed (for --json and --tsv)."""
    result = runner.invoke(app, [*args, "--home", str(node)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


@pytest.fixture
def examples_node(tmp_path: Path) -> Path:
    """A node of BJ-H001 holding everything in examples/."""
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home), "--institution", "BJ-H001"]).exit_code == 0
    holdings = [str(p) for p in HOLDINGS]
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    assert hgr(home, "import", *holdings)[0] == 0
    return home
