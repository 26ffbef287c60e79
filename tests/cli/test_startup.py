"""The command line starts without the heavy libraries: help and the version are instant.

Each command imports the services it calls when it runs; what ``hgr --help`` loads is checked
by module name, in a fresh interpreter, rather than by a time that a busy machine would move.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# What costs a command line its start: numerical and plotting stacks, the genotype store, the
# PDF renderer, the simulator, and the database layer (SQLAlchemy alone takes 0.3 s).
HEAVY = (
    "numba",
    "zarr",
    "pandas",
    "scipy",
    "torch",
    "matplotlib",
    "weasyprint",
    "msprime",
    "sqlalchemy",
    "numpy",
    "dask",
    "opendp",
    "fastapi",
    "uvicorn",
)

_PROBE = """
import json, sys
sys.argv = ["hgr", *json.loads(sys.argv[1])]
from hgr.cli.main import main
try:
    main()
except SystemExit as stop:
    code = stop.code
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout, set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args", [("--help",), ("--version",), ("survey", "--help"), ("genotypes", "ingest", "--help")]
)
def test_help_and_version_load_no_heavy_library(args: tuple[str, ...]) -> None:
    output, loaded = _loaded(*args)
    assert output.strip(), "the command printed nothing"
    assert not loaded & set(HEAVY), f"hgr {' '.join(args)} loads {sorted(loaded & set(HEAVY))}"


def test_the_probe_sees_what_a_running_command_loads(tmp_path: Path) -> None:
    """The check above can fail: a command that runs loads the services it calls."""
    _, loaded = _loaded("list", "donors", "--home", str(tmp_path / "no-node"))
    assert "sqlalchemy" in loaded


def test_the_version_option_prints_the_package_version() -> None:
    from importlib.metadata import version

    output, _ = _loaded("--version")
    assert output.strip() == version("hgr")
