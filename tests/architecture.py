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
        "i18n",
        "issues",
        "lifecycle",
        "progress",
        "spreadsheets",
        "vocabulary",
    ),
    "data services": ("registry", "pedigree", "genotypes", "relatedness", "synth"),
    "governance services": (
        "survey",
        "catalogue",
        "access",
        "auth",
        "policy",
        "debarment",
        "privacy",
        "beacon",
        "federation",
        "organisations",
        "backup",
        "node",
        "attacks",
    ),
    # The demo composes every layer into the main story, as an adapter would; ``python -m
    # hgr`` (__main__) is the command line.
    "adapters": ("cli", "api", "web", "console", "demo", "__main__"),
}
RANK = {part: rank for rank, parts in enumerate(LAYERS.values()) for part in parts}
ADAPTERS = set(LAYERS["adapters"])
# Only adapters parse arguments, serve HTTP or render templates and terminals.
FRAMEWORKS = {"typer", "click", "fastapi", "starlette", "uvicorn", "jinja2", "rich"}
ROOT = "__init__"  # hgr/__init__.py: the version, which every package may read

# Each package and the packages it may import, exactly those it imports today: a new import
# across packages is a decision, taken here (and in docs/architecture.md).
ALLOWED_TEXT = {
    # foundations
    "audit": "crypto dates db exceptions",
    "config": "exceptions",
    "crypto": "exceptions",
    "dates": "",
    "db": "exceptions",
    "error_codes": "exceptions",
    "exceptions": "",
    "i18n": "issues",
    "issues": "",
    "lifecycle": "audit dates exceptions",
    "progress": "",
    "spreadsheets": "",
    "vocabulary": "",
    # data services
    "registry": "audit crypto dates db exceptions issues pedigree progress vocabulary",
    "pedigree": "exceptions issues vocabulary",
    "genotypes": "audit crypto dates db exceptions progress registry vocabulary",
    "relatedness": (
        "audit crypto dates db exceptions genotypes issues pedigree progress registry vocabulary"
    ),
    "synth": "crypto exceptions genotypes issues progress registry relatedness",
    # governance services
    "survey": (
        "audit crypto dates db exceptions federation genotypes issues privacy registry "
        "relatedness spreadsheets vocabulary"
    ),
    "catalogue": (
        "audit config crypto dates db exceptions federation issues lifecycle pedigree registry "
        "relatedness spreadsheets vocabulary"
    ),
    "access": (
        "audit auth catalogue crypto dates db exceptions genotypes lifecycle organisations policy "
        "registry relatedness vocabulary"
    ),
    "auth": "audit config dates db exceptions organisations policy registry vocabulary",
    "policy": "dates exceptions issues vocabulary",
    "debarment": "audit crypto dates db exceptions federation lifecycle spreadsheets",
    "privacy": (
        "access audit auth dates db exceptions federation genotypes organisations policy registry "
        "vocabulary"
    ),
    "beacon": "audit auth crypto dates db exceptions federation genotypes privacy registry",
    "federation": "audit config crypto dates db exceptions",
    "organisations": "audit dates db debarment exceptions policy",
    "backup": "audit auth config crypto dates exceptions node",
    "node": (
        "access audit auth catalogue config crypto dates db debarment exceptions federation "
        "genotypes organisations policy privacy registry relatedness survey"
    ),
    "attacks": "beacon db privacy progress registry vocabulary",
    # adapters
    "cli": (
        "access api attacks audit auth backup beacon catalogue config crypto dates db debarment "
        "demo exceptions federation genotypes i18n issues node organisations pedigree policy "
        "privacy progress registry relatedness spreadsheets survey synth web"
    ),
    "api": (
        "access audit auth beacon catalogue config console crypto dates db debarment exceptions "
        "federation issues node policy privacy registry survey web"
    ),
    "web": "dates exceptions i18n issues privacy registry survey",
    "console": (
        "audit auth beacon catalogue dates debarment exceptions genotypes i18n issues node "
        "pedigree registry relatedness survey"
    ),
    "demo": (
        "access audit auth catalogue config dates debarment exceptions federation genotypes i18n "
        "node organisations policy registry relatedness survey synth web"
    ),
    "__main__": "cli",
}
ALLOWED: dict[str, set[str]] = {part: set(names.split()) for part, names in ALLOWED_TEXT.items()}

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


# What an adapter leaves to the services: reading and writing the database, and writing the
# audit log. An adapter parses its input, calls a service and renders the answer.
ADAPTER_PARTS = {"cli", "api", "web", "console"}
_QUERY_CALLS = {"select", "insert", "update", "delete", "text", "record"}
_SESSION_METHODS = {"execute", "scalar", "scalars", "add", "add_all", "get", "delete", "merge"}


def adapter_work(relative: Path, source: str) -> list[str]:
    """The database and audit work an adapter module does itself: run-time imports of
    SQLAlchemy, query builders and ``record(...)`` calls, and session methods."""
    if part_of(relative) not in ADAPTER_PARTS:
        return []
    tree = ast.parse(source)
    found = [
        f"{relative}:{line}: imports {name}"
        for line, name in imported(relative, tree)
        if name.split(".")[0] == "sqlalchemy"
    ]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in _QUERY_CALLS:
            found.append(f"{relative}:{node.lineno}: calls {func.id}()")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in _SESSION_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id.endswith("session")
        ):
            found.append(f"{relative}:{node.lineno}: calls {ast.unparse(func)}()")
    return found
