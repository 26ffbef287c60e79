"""Imports point down the layers of ARCHITECTURE.md: adapters → services → foundations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hgr"
# The demo composes every layer into the main story (down to the report), like an adapter;
# ``python -m hgr`` (__main__) is the command line.
ADAPTERS = {"cli", "api", "web", "demo", "__main__"}
GOVERNANCE = {
    "survey", "catalogue", "access", "auth", "policy", "debarment", "beacon", "federation",
    "node", "organisations", "backup",
}  # fmt: skip
DATA = {"registry", "pedigree", "genotypes", "relatedness", "synth"}
FOUNDATIONS = {"audit", "crypto", "db", "config", "dates", "error_codes", "exceptions",
               "progress", "provenance", "spreadsheets"}  # fmt: skip
FRAMEWORKS = {"typer", "click", "fastapi", "starlette", "jinja2", "rich"}
RANK = {
    **dict.fromkeys(ADAPTERS, 3),
    **dict.fromkeys(GOVERNANCE, 2),
    **dict.fromkeys(DATA, 1),
    **dict.fromkeys(FOUNDATIONS, 0),
}
# Alembic's env.py sees every table on purpose (it is not imported by the library).
EXEMPT = {SRC / "db" / "migrations" / "env.py"}


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if p not in EXEMPT and "versions" not in p.parts]


def _part(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    """Modules imported at run time (imports under ``if TYPE_CHECKING:`` are for types only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    part = _part(path)
    if part == "__init__":
        return
    assert part in RANK, f"{part} is not placed in a layer: add it to this test"
    for name in _imports(path):
        top = name.split(".")[0]
        if top in FRAMEWORKS:
            assert part in ADAPTERS, f"{path}: only adapters import {top}"
        if top != "hgr" or name == "hgr":
            continue
        target = name.split(".")[1]
        assert RANK[target] <= RANK[part], f"{path} imports {name}, a higher layer"


# Reading the clock anywhere but hgr.dates: the local date (date.today, naive now) or a second
# UTC clock that a frozen test clock and the rules' one day could disagree with.
_CLOCK_READS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("time", "time")}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_the_clock_is_read_only_through_hgr_dates(path: Path) -> None:
    if path == SRC / "dates.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute | ast.Name):
            owner = node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id
            assert (owner, node.attr) not in _CLOCK_READS, (
                f"{path}:{node.lineno} reads the clock as {owner}.{node.attr}: use "
                "hgr.dates.utc_now() or utc_today()"
            )
