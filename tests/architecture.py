"""The map of hgr's packages: their layers, and what each may import (docs/architecture.md).

``ALLOWED`` names, for every package (or top-level module) of ``src/hgr``, the packages it may
import at run time. ``violations`` reads one module's source and reports every import that
leaves the table, whatever its form: ``import hgr.x``, ``from hgr.x import y``,
``from hgr import x``, a relative import, ``importlib.import_module`` or ``__import__``.
Imports under ``if TYPE_CHECKING:`` are for types only and are not counted.

``python -m tests.architecture`` prints the table as docs/architecture.md shows it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "hgr"

# Layers, lowest first. A package imports only from its own layer or those below, and only
# the packages ALLOWED names.
LAYERS: dict[str, tuple[str, ...]] = {
    "foundations": (
        "audit",
        "config",
        "crypto",
        "dates",
        "db",
        "error_codes",
        "exceptions",
        "lifecycle",
        "progress",
        "spreadsheets",
    ),
    "data services": ("registry", "pedigree", "genotypes", "relatedness", "synth"),
    "governance services": (
        "survey",
        "catalogue",
        "access",
        "auth",
        "policy",
        "debarment",
        "beacon",
        "federation",
        "organisations",
        "backup",
        "node",
    ),
    # The demo composes every layer into the main story, as an adapter would; ``python -m
    # hgr`` (__main__) is the command line.
    "adapters": ("cli", "api", "web", "demo", "__main__"),
}
RANK = {part: rank for rank, parts in enumerate(LAYERS.values()) for part in parts}
ADAPTERS = set(LAYERS["adapters"])
# Only adapters parse arguments, serve HTTP or render templates and terminals.
FRAMEWORKS = {"typer", "click", "fastapi", "starlette", "uvicorn", "jinja2", "rich"}
ROOT = "__init__"  # hgr/__init__.py: the version, which every package may read

_F = {"exceptions", "dates"}
ALLOWED: dict[str, set[str]] = {
    # foundations
    "exceptions": {"error_codes"},  # an error's remedy, looked up when asked for
    "error_codes": {"exceptions"},
    "config": {"exceptions"},
    "crypto": {"exceptions"},
    "db": {"exceptions"},
    "dates": set(),
    "progress": set(),
    "spreadsheets": set(),
    "audit": _F | {"crypto", "db"},
    "lifecycle": _F | {"audit"},
    # data services
    "pedigree": _F | {"registry"},
    "registry": _F | {"audit", "crypto", "db", "pedigree", "progress"},
    "genotypes": _F | {"audit", "crypto", "db", "progress", "registry"},
    "relatedness": _F | {"audit", "crypto", "db", "genotypes", "pedigree", "progress", "registry"},
    "synth": _F | {"crypto", "progress", "registry", "relatedness"},
    # governance services
    "policy": _F | {"registry"},
    "federation": _F,
    "survey": _F
    | {"audit", "crypto", "db", "genotypes", "registry", "relatedness", "spreadsheets"},
    "debarment": _F | {"audit", "crypto", "db", "lifecycle", "spreadsheets", "survey"},
    "organisations": _F | {"audit", "db", "debarment", "policy"},
    "auth": _F | {"audit", "config", "db", "organisations", "policy", "registry"},
    "catalogue": _F
    | {
        "audit",
        "config",
        "crypto",
        "db",
        "lifecycle",
        "pedigree",
        "registry",
        "relatedness",
        "spreadsheets",
        "survey",
    },
    "access": _F
    | {
        "audit",
        "auth",
        "catalogue",
        "crypto",
        "db",
        "genotypes",
        "lifecycle",
        "organisations",
        "policy",
        "registry",
        "relatedness",
    },
    "beacon": _F
    | {
        "access",
        "audit",
        "auth",
        "config",
        "crypto",
        "db",
        "federation",
        "genotypes",
        "organisations",
        "policy",
        "progress",
        "registry",
    },
    "node": _F
    | {
        "access",
        "audit",
        "auth",
        "beacon",
        "catalogue",
        "config",
        "crypto",
        "db",
        "debarment",
        "genotypes",
        "organisations",
        "policy",
        "registry",
        "relatedness",
        "survey",
    },
    "backup": _F | {"audit", "auth", "config", "crypto", "node"},
    # adapters
    "web": _F | {"survey"},
    "api": _F
    | {
        "access",
        "audit",
        "auth",
        "beacon",
        "catalogue",
        "config",
        "crypto",
        "db",
        "debarment",
        "federation",
        "node",
        "policy",
        "registry",
        "survey",
        "web",
    },
    "demo": _F
    | {
        "access",
        "audit",
        "auth",
        "catalogue",
        "config",
        "debarment",
        "genotypes",
        "node",
        "organisations",
        "policy",
        "registry",
        "relatedness",
        "survey",
        "synth",
        "web",
    },
    "cli": _F
    | {
        "access",
        "api",
        "audit",
        "auth",
        "backup",
        "beacon",
        "catalogue",
        "config",
        "crypto",
        "db",
        "debarment",
        "demo",
        "federation",
        "genotypes",
        "node",
        "organisations",
        "pedigree",
        "policy",
        "progress",
        "registry",
        "relatedness",
        "survey",
        "synth",
        "web",
    },
    "__main__": {"cli"},
}

# Alembic's env.py sees every table on purpose (it is not imported by the library); the
# migrations are frozen history.
EXEMPT = {SRC / "db" / "migrations" / "env.py"}


def modules() -> list[Path]:
    """Every module of src/hgr the map covers."""
    return sorted(p for p in SRC.rglob("*.py") if p not in EXEMPT and "versions" not in p.parts)


def part_of(relative: Path) -> str:
    """The package (or top-level module) a path under src/hgr belongs to."""
    return relative.parts[0].removesuffix(".py")


def _module_name(relative: Path) -> list[str]:
    """``hgr.x.y`` of ``x/y.py`` (``hgr.x`` of ``x/__init__.py``), as its parts."""
    parts = ["hgr", *relative.with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _resolve(relative: Path, level: int, module: str | None) -> str:
    """The absolute name of ``from .(level) module import ...`` in ``relative``."""
    package = _module_name(relative)
    if relative.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join(base + ([module] if module else []))


def imported(relative: Path, tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module name) of every run-time import in ``tree``; a dynamic import whose
    target is not a literal is named ``<dynamic>``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(relative, node.level, node.module) if node.level else node.module or ""
            if base == "hgr" or (node.level and node.module is None):
                # ``from hgr import x`` and ``from . import x``: x may be a package
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, base))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            target = node.args[0] if node.args else None
            literal = isinstance(target, ast.Constant) and isinstance(target.value, str)
            found.append((node.lineno, target.value if literal else "<dynamic>"))  # type: ignore[union-attr]
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    name = ast.unparse(func)
    return name in {"__import__", "import_module", "importlib.import_module"}


def violations(relative: Path, source: str) -> list[str]:
    """Every import of the module at ``relative`` (under src/hgr) that the map forbids."""
    part = part_of(relative)
    if part == ROOT:
        return []
    if part not in ALLOWED:
        return [f"{relative}: {part} has no row in the allowed-imports table"]
    problems = []
    for line, name in imported(relative, ast.parse(source)):
        where = f"{relative}:{line}"
        if name == "<dynamic>":
            problems.append(f"{where}: imports a module named at run time")
            continue
        top = name.split(".")[0]
        if top in FRAMEWORKS and part not in ADAPTERS:
            problems.append(f"{where}: imports {top}, which only adapters may")
        if top != "hgr" or name == "hgr":
            continue
        target = name.split(".")[1]
        if target != part and not _is_root(target) and target not in ALLOWED[part]:
            problems.append(f"{where}: {part} may not import {target} ({name})")
    return problems


def _is_root(target: str) -> bool:
    """Whether ``hgr.<target>`` names the root package's own attribute (``__version__``)."""
    return not (SRC / target).is_dir() and not (SRC / f"{target}.py").exists()


def render_table() -> str:
    """The allowed-imports table, as docs/architecture.md shows it."""
    lines = ["| Layer | Package | May import |", "| --- | --- | --- |"]
    for layer, parts in LAYERS.items():
        for part in parts:
            allowed = ", ".join(f"`{p}`" for p in sorted(ALLOWED[part])) or "nothing of hgr"
            lines.append(f"| {layer} | `{part}` | {allowed} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_table(), end="")
