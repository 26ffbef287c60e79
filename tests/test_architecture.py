"""The map of docs/architecture.md holds: every import is one the allowed-imports table
(tests/architecture.py) names, and the table itself points down the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.architecture import (
    ALLOWED,
    LAYERS,
    RANK,
    SRC,
    adapter_work,
    modules,
    part_of,
    render_table,
    violations,
)

DOC = SRC.parents[1] / "docs" / "architecture.md"


def _modules() -> list[Path]:
    return modules()


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_every_import_is_on_the_map(path: Path) -> None:
    relative = path.relative_to(SRC)
    assert violations(relative, path.read_text(encoding="utf-8")) == []


def test_every_package_is_placed_in_one_layer() -> None:
    parts = {part_of(p.relative_to(SRC)) for p in modules()} - {"__init__"}
    placed = [part for layer in LAYERS.values() for part in layer]
    assert len(placed) == len(set(placed)), "a package is placed in two layers"
    assert parts == set(placed) == set(ALLOWED)


def test_the_table_points_down_the_layers() -> None:
    """The table cannot be edited into an upward import: each allowed import is of the same
    layer or a lower one."""
    upward = [
        (part, target)
        for part, targets in ALLOWED.items()
        for target in targets
        if RANK[target] > RANK[part]
    ]
    assert upward == []


def test_no_package_imports_itself_round_a_cycle() -> None:
    """Each package can be understood, and tested, from the ones it imports alone."""

    def reach(part: str) -> set[str]:
        seen: set[str] = set()
        todo = [part]
        while todo:
            for target in ALLOWED[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        return seen

    assert [part for part in ALLOWED if part in reach(part)] == []


def test_no_service_imports_the_attack_simulations() -> None:
    """The simulated attacks drive the services; the services never depend on them."""
    assert [part for part, targets in ALLOWED.items() if "attacks" in targets] == ["cli"]


def test_the_map_in_the_docs_is_the_table() -> None:
    assert render_table() in DOC.read_text(encoding="utf-8"), (
        "docs/architecture.md differs from the table: paste `python -m tests.architecture`"
    )


# Each form of import that leaves the table, planted where it does not belong.
PLANTED = [
    ("db/engine.py", "from hgr import survey\n", "db may not import survey"),
    ("registry/models.py", "from ..survey import cycles\n", "registry may not import survey"),
    ("registry/models.py", "from .. import beacon\n", "registry may not import beacon"),
    (
        "db/engine.py",
        "import importlib\nimportlib.import_module('hgr.survey.cycles')\n",
        "db may not import survey",
    ),
    ("db/engine.py", "__import__('hgr.access')\n", "db may not import access"),
    (
        "db/engine.py",
        "import importlib\nname = 'hgr.x'\nimportlib.import_module(name)\n",
        "a module named at run time",
    ),
    (
        "policy/engine.py",
        "from hgr.access.consent import match_consent\n",
        "policy may not import access",
    ),
    ("survey/returns.py", "import hgr.beacon.query\n", "survey may not import beacon"),
    ("node.py", "import uvicorn\n", "only adapters may"),
    ("audit/log.py", "from typer import Option\n", "only adapters may"),
    ("newpackage/x.py", "import os\n", "no row in the allowed-imports table"),
]


@pytest.mark.parametrize(("where", "source", "expected"), PLANTED)
def test_a_planted_violation_is_reported(where: str, source: str, expected: str) -> None:
    found = violations(Path(where), source)
    assert any(expected in problem for problem in found), found


def test_adapters_leave_the_database_and_the_audit_log_to_services() -> None:
    """The command line, the API and the pages query nothing and audit nothing themselves."""
    done = [w for p in modules() for w in adapter_work(p.relative_to(SRC), p.read_text("utf-8"))]
    assert done == []


def test_planted_adapter_work_is_reported() -> None:
    source = (
        "from sqlalchemy import select\n"
        "from hgr.audit import record\n"
        "def command(session, by):\n"
        "    session.execute(select(1))\n"
        "    record(session, by, 'x.y', 'x')\n"
        "    found = latest(session).get('k')\n"
    )
    work = adapter_work(Path("cli/x.py"), source)
    assert sorted(w.split(": ", 1)[1] for w in work) == [
        "calls record()",
        "calls select()",
        "calls session.execute()",
        "imports sqlalchemy",
    ]
    assert adapter_work(Path("survey/x.py"), source) == []  # services do their own work


def test_allowed_forms_pass() -> None:
    """The same forms within the table (and imports for types only) are not reported."""
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import numbering\n"
        "from .base import Base\n"
        "from hgr import exceptions\n"
        "from hgr import __version__\n"
        "import hgr.exceptions\n"
        "if TYPE_CHECKING:\n"
        "    from hgr.survey.cycles import Cycle\n"
    )
    assert violations(Path("db/engine.py"), source) == []


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


def test_the_formatter_is_trusted() -> None:
    """No code is kept from the formatter (make lint checks the rest is formatted)."""
    root = SRC.parents[1]
    # Spelt apart, so that this file holds neither.
    markers = ("fmt: " + "skip", "fmt: " + "off")
    kept = [
        f"{p.relative_to(root)}:{n}"
        for folder in ("src", "tests", "benchmarks")
        for p in (root / folder).rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if any(marker in line for marker in markers)
    ]
    assert kept == []
