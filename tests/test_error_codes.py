"""Every error code hgr uses is declared once in hgr.error_codes, and used as declared.

A static scan of ``src/hgr`` finds each code where it is raised (``code="..."`` on an
``HgrError`` class, or a class's own ``code``), listed as an issue (``Issue(...)``,
``report.error``/``report.warning``) or answered as an API problem (``problem(...)``), and
checks it against its declaration. The scan is tested on planted violations too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from hgr import exceptions
from hgr.api.problems import STATUS
from hgr.error_codes import BY_CODE, CODES, Declared, remedy_of, render_markdown
from hgr.exceptions import HgrError

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "hgr"
CODE = re.compile(r"[EW]_[A-Z0-9_]+")

# Functions that take a code and hand it on, by file and name: where the code is among the
# arguments, how it is used, where the severity or status is (or its value), and the code
# when none is given.
FORWARDERS: dict[tuple[str, str], tuple[int, str, int | str | None, str | None]] = {
    ("genotypes/vcf_scan.py", "_error"): (1, "FormatError", None, None),
    ("api/guards.py", "_refuse"): (4, "problem", 3, None),
    ("api/problems.py", "answer"): (2, "problem", 1, None),
    ("survey/returns.py", "issue"): (0, "issue", 1, None),
    ("survey/returns.py", "add"): (0, "issue", 1, None),
    ("registry/fields.py", "FieldError"): (2, "issue", "error", "E_FIELD"),
}

# Codes that are not literals where they are raised or reported: each hands on a code
# declared where it was first made. A new one must be added here, after checking that it does.
PASS_THROUGHS = {
    # An HgrError answered as problem+json keeps its code.
    ("api/problems.py install_problem_handlers.hgr_error", "exc.code"),
    # The handlers' one way to answer: each hands it a code of its own (the forwarder above).
    ("api/problems.py install_problem_handlers.answer", "code"),
    # Starlette's refusals: the E_HTTP_<status> codes.
    ("api/problems.py install_problem_handlers.http_error", "f'E_HTTP_{exc.status_code}'"),
    # Uploaded files' issues, pointed at the request instead of the server's folder.
    ("console/uploads.py UploadFolder.relabel", "i.code"),
    ("console/uploads.py UploadFolder.relabel", "exc.code"),
    # A survey document that does not verify is answered 422 with its own code.
    ("api/survey_routes.py add_survey_routes.keep", "exc.code"),
    # A peer's refusal keeps the peer's code, under the class of its HTTP status.
    ("federation/client.py _request", "problem.get('code') or 'E_REMOTE'"),
    ("genotypes/vcf_scan.py VcfTextScanner._error", "code"),
    ("pedigree/validate.py check_pedigrees", "i.code"),
    ("registry/phenopackets.py _individual.term", "exc.code"),
    ("issues.py Report.error", "code"),
    ("issues.py Report.warning", "code"),
    ("registry/templates.py Cells.get", "exc.code"),
    ("survey/returns.py validate_return.issue", "code"),
    ("survey/returns.py _consistency.add", "code"),
    # A lifecycle's refusal: its code is declared where the Lifecycle is (raised as Conflict).
    ("lifecycle.py step", "lifecycle.refused"),
}
# Declared codes made by a pass-through from a prefix and a status.
FAMILIES = {
    "E_HTTP_": (
        "api/problems.py install_problem_handlers.http_error",
        "f'E_HTTP_{exc.status_code}'",
    )
}


@dataclass(frozen=True)
class Use:
    """One place a code is raised (``how``: the class), listed (issue) or answered (problem)."""

    code: str
    how: str
    detail: str | int | None  # an issue's severity, a problem's status
    where: str


@dataclass(frozen=True)
class PassThrough:
    """A code that is not a literal where it is raised or reported."""

    where: str  # the file and the enclosing function
    expression: str


@dataclass
class Scan:
    """What a scan found: the uses, the pass-throughs, and the other code literals."""

    uses: list[Use]
    passes: list[PassThrough]
    mentions: list[Use]  # any other code literal, such as ``exc.code == "E_..."``


def error_classes(trees: Mapping[str, ast.Module]) -> dict[str, str | None]:
    """Every HgrError class defined in ``trees``, with the name of its base class."""
    bases: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [_name(b) for b in node.bases]
    found: dict[str, str | None] = {"HgrError": None}
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            parent = next((p for p in parents if p in found), None)
            if name not in found and parent is not None:
                found[name] = parent
                grew = True
    return found


def scan(path: str, tree: ast.Module, classes: Mapping[str, str | None]) -> Scan:
    """The codes used in one module (``path`` relative to ``src/hgr``)."""
    result = Scan([], [], [])
    seen: set[int] = set()  # the literals accounted for

    def use(node: ast.expr | None, how: str, detail: str | int | None, where: str) -> None:
        if node is None:
            return
        codes = _literals(node)
        if codes is None:
            result.passes.append(PassThrough(where, ast.unparse(node)))
            return
        seen.update(id(n) for n in ast.walk(node))
        result.uses += [Use(code, how, detail, f"{path}:{node.lineno}") for code in codes]

    raised = {id(n.exc) for n in ast.walk(tree) if isinstance(n, ast.Raise)}
    # The text of an f-string is part of a code made at run time (a pass-through).
    seen.update(id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values)
    for scope, node in _walk(tree):
        where = f"{path} {scope}"
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for statement in node.body:
                if isinstance(statement, ast.Assign | ast.AnnAssign) and "code" in [
                    _name(t) for t in _targets(statement)
                ]:
                    use(statement.value, node.name, None, where)
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        forwarder = FORWARDERS.get((path, name))
        if forwarder and (isinstance(node.func, ast.Name) or _name(_owner(node.func)) == "self"):
            position, how, extra, default = forwarder
            detail = extra if not isinstance(extra, int) else _detail(node, extra, how)
            argument = _argument(node, position, "code")
            if argument is None and default is not None:
                result.uses.append(Use(default, how, detail, f"{path}:{node.lineno}"))
            use(argument, how, detail, where)
        elif name in classes:
            use(_argument(node, None, "code"), name, None, where)
        elif id(node) in raised and any(k.arg == "code" for k in node.keywords):
            # Raised under a class the scan cannot name (chosen at run time).
            use(_argument(node, None, "code"), f"?{name}", None, where)
        elif name == "Lifecycle":
            # A step its table does not allow is refused as a Conflict under this code.
            use(_argument(node, None, "refused"), "Conflict", None, where)
        elif name == "Issue":
            severity = _severity(_argument(node, 1, "severity"))
            use(_argument(node, 0, "code"), "issue", severity, where)
        elif name == "problem":
            use(_argument(node, 1, "code"), "problem", _status(_argument(node, 0, "status")), where)
        elif name in ("error", "warning") and isinstance(node.func, ast.Attribute) and node.args:
            codes = _literals(node.args[0]) or []
            if (codes and all(CODE.fullmatch(c) for c in codes)) or len(node.args) >= 4:
                use(node.args[0], "issue", name, where)
    result.mentions = [
        Use(node.value, "mention", None, f"{path}:{node.lineno}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and CODE.fullmatch(node.value)
        and id(node) not in seen
    ]
    return result


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _owner(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Attribute) else node


def _targets(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def _literals(node: ast.expr) -> list[str] | None:
    """The codes an expression can be, or None when it is not made of literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    if position is not None and position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _detail(call: ast.Call, position: int, how: str) -> str | int | None:
    argument = call.args[position] if position < len(call.args) else None
    return _severity(argument) if how == "issue" else _status(argument)


def _severity(node: ast.expr | None) -> str | None:
    return node.attr.lower() if isinstance(node, ast.Attribute) else None


def _status(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return None


def _walk(tree: ast.AST, scope: str = "<module>") -> Iterator[tuple[str, ast.AST]]:
    """Every node, with the dotted name of the function or class it is in."""
    for child in ast.iter_child_nodes(tree):
        yield scope, child
        inner = scope
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            inner = child.name if scope == "<module>" else f"{scope}.{child.name}"
        yield from _walk(child, inner)


def _trees() -> dict[str, ast.Module]:
    return {
        p.relative_to(SRC).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
        if p != SRC / "error_codes.py"  # its literals are the declarations
    }


def scan_source() -> tuple[Scan, dict[str, str | None]]:
    trees = _trees()
    classes = error_classes(trees)
    total = Scan([], [], [])
    for path, tree in trees.items():
        found = scan(path, tree, classes)
        total.uses += found.uses
        total.passes += found.passes
        total.mentions += found.mentions
    return total, classes


# --- The checks: each returns its violations, one line each.


def misused(uses: list[Use], codes: Mapping[str, Declared]) -> list[str]:
    """Codes used but not declared, or used otherwise than declared."""
    found = []
    for use in uses:
        declared = codes.get(use.code)
        if declared is None:
            found.append(f"{use.where}: {use.code} is not declared in hgr.error_codes")
        elif use.how == "issue":
            if declared.issue is None or declared.issue != use.detail:
                found.append(
                    f"{use.where}: {use.code} is listed as an issue ({use.detail}); "
                    f"it is declared {declared.reported}"
                )
        elif use.how == "problem":
            if declared.raised or declared.issue or declared.status != use.detail:
                found.append(
                    f"{use.where}: {use.code} is answered with status {use.detail}; "
                    f"it is declared {declared.reported}, {declared.status}"
                )
        elif use.how != declared.raised:
            found.append(
                f"{use.where}: {use.code} is raised as {use.how.lstrip('?')}; it is "
                f"declared {declared.reported}"
            )
    return found


def unmentioned(mentions: list[Use], codes: Mapping[str, Declared]) -> list[str]:
    return [
        f"{m.where}: {m.code} is not declared in hgr.error_codes"
        for m in mentions
        if m.code not in codes
    ]


def unused(scanned: Scan, codes: Mapping[str, Declared]) -> list[str]:
    """Declared codes that nothing uses any more."""
    used = {use.code for use in scanned.uses}
    passes = {(p.where, p.expression) for p in scanned.passes}
    return [
        f"{code} is declared but nothing uses it: remove it from hgr.error_codes"
        for code in codes
        if code not in used
        and not any(code.startswith(f) and made in passes for f, made in FAMILIES.items())
    ]


def status_of(kind: str, classes: Mapping[str, str | None]) -> int:
    """The HTTP status the API answers for class ``kind``, as hgr.api.problems maps it."""
    name: str | None = kind
    while name is not None and name not in exceptions.__all__:
        name = classes.get(name)
    cls = getattr(exceptions, name or "HgrError")
    assert issubclass(cls, HgrError)
    return next((status for base, status in STATUS if issubclass(cls, base)), 500)


def misstated(codes: Mapping[str, Declared], classes: Mapping[str, str | None]) -> list[str]:
    """Declared statuses that differ from what the API answers."""
    found = []
    validation = status_of("ValidationFailed", classes)
    for code, declared in codes.items():
        if declared.raised is not None:
            if declared.raised not in classes:
                found.append(f"{code}: {declared.raised} is not an HgrError class")
                continue
            expected: int | None = status_of(declared.raised, classes)
        elif declared.issue is not None:
            expected = validation if declared.issue == "error" else None
        else:
            family = next((f for f in FAMILIES if code.startswith(f)), None)
            expected = int(code.removeprefix(family)) if family else declared.status
        if declared.status != expected:
            found.append(f"{code} declares status {declared.status}; the API answers {expected}")
    return found


def unknown_passes(passes: list[PassThrough]) -> list[str]:
    found = {(p.where, p.expression) for p in passes}
    return [
        *(
            f"{w}: the code {e} is not a literal: check what it hands on, then add it to "
            "PASS_THROUGHS"
            for w, e in sorted(found - PASS_THROUGHS)
        ),
        *(
            f"{w}: {e} is no longer there: remove it from PASS_THROUGHS"
            for w, e in sorted(PASS_THROUGHS - found)
        ),
    ]


# --- The source, checked.

SCANNED, CLASSES = scan_source()


def test_the_scan_sees_the_source() -> None:
    assert len(SCANNED.uses) > 400
    assert {"ValidationFailed", "QuestionsExhausted", "_VisaRefused"} <= set(CLASSES)


def test_each_code_is_declared_once_with_a_remedy() -> None:
    assert len(BY_CODE) == len(CODES), "a code is declared twice"
    for declared in CODES:
        assert CODE.fullmatch(declared.code), declared.code
        assert declared.area, declared.code
        assert declared.remedy.endswith("."), declared.code
        assert "\n" not in declared.remedy, declared.code
        assert declared.raised or declared.issue or declared.status, declared.code


def test_every_code_used_is_declared_and_used_as_declared() -> None:
    assert misused(SCANNED.uses, BY_CODE) == []
    assert unmentioned(SCANNED.mentions, BY_CODE) == []


def test_no_code_is_raised_under_two_classes() -> None:
    classes: dict[str, set[str]] = {}
    for use in SCANNED.uses:
        if use.how not in ("issue", "problem"):
            classes.setdefault(use.code, set()).add(use.how)
    assert {code: kinds for code, kinds in classes.items() if len(kinds) > 1} == {}


def test_every_declared_code_is_used() -> None:
    assert unused(SCANNED, BY_CODE) == []


def test_each_declared_status_is_what_the_api_answers() -> None:
    assert misstated(BY_CODE, CLASSES) == []


def test_codes_that_are_not_literals_are_known() -> None:
    assert unknown_passes(SCANNED.passes) == []


def test_docs_errors_md_is_rendered_from_the_registry() -> None:
    written = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert written == render_markdown(), "run: python -m hgr.error_codes > docs/errors.md"


def test_an_error_has_its_remedy() -> None:
    taken = exceptions.Conflict("taken", code="E_USER_EXISTS")
    assert remedy_of(taken) == BY_CODE["E_USER_EXISTS"].remedy
    assert remedy_of(exceptions.NotFound("gone")) == BY_CODE["E_NOT_FOUND"].remedy
    assert remedy_of(exceptions.UsageError("odd", code="E_NOT_DECLARED")) is None


# --- The checks, tested on planted violations.

PLANTED = """
from hgr.exceptions import Conflict, NotFound

class Gone(NotFound):
    code = "E_GONE_FOR_GOOD"

def undeclared():
    raise NotFound("no such thing", code="E_NOBODY_DECLARED_THIS")

def wrong_class():
    raise Conflict("no such scope", code="E_SCOPE")

def subclass_default():
    raise Gone("gone")

def wrong_severity(report, origin):
    report.warning("E_CSV", origin, "not a table", "quote the cells")

def wrong_status():
    return problem(400, "E_TOO_LARGE", "too large")

def handed_on(exc):
    raise NotFound(exc.message, code=exc.code)

def chosen_at_run_time(kind):
    raise kind("refused", code="E_SCOPE")

def mentioned(exc):
    return exc.code == "E_NEVER_DECLARED"
"""


def _planted() -> tuple[Scan, dict[str, str | None]]:
    tree = ast.parse(PLANTED)
    classes = error_classes({**_trees(), "planted.py": tree})
    return scan("planted.py", tree, classes), classes


def test_the_checks_find_planted_misuse() -> None:
    planted, _ = _planted()
    found = "\n".join(misused(planted.uses, BY_CODE))
    assert "planted.py:5: E_GONE_FOR_GOOD is not declared" in found
    assert "planted.py:8: E_NOBODY_DECLARED_THIS is not declared" in found
    assert "planted.py:11: E_SCOPE is raised as Conflict; it is declared raised as NotFound" in (
        found
    )
    assert "planted.py:17: E_CSV is listed as an issue (warning)" in found
    assert "planted.py:20: E_TOO_LARGE is answered with status 400" in found
    assert "planted.py:26: E_SCOPE is raised as kind" in found
    assert len(found.splitlines()) == 6
    assert unmentioned(planted.mentions, BY_CODE) == [
        "planted.py:29: E_NEVER_DECLARED is not declared in hgr.error_codes"
    ]


def test_the_checks_find_an_unknown_pass_through() -> None:
    planted, _ = _planted()
    assert unknown_passes(SCANNED.passes + planted.passes)[0].startswith(
        "planted.py handed_on: the code exc.code is not a literal"
    )
    gone = unknown_passes([p for p in SCANNED.passes if p.expression != "i.code"])
    assert any("i.code is no longer there" in line for line in gone)


def test_the_checks_find_an_unused_code_and_a_wrong_status() -> None:
    extra = Declared("E_LEFT_OVER", "Conflict", None, 409, "Nothing.", "General")
    assert unused(SCANNED, {**BY_CODE, "E_LEFT_OVER": extra}) == [
        "E_LEFT_OVER is declared but nothing uses it: remove it from hgr.error_codes"
    ]
    wrong = {
        "E_SCOPE": replace(BY_CODE["E_SCOPE"], status=400),
        "E_CSV": replace(BY_CODE["E_CSV"], status=400),
        "E_HTTP_404": replace(BY_CODE["E_HTTP_404"], status=400),
        "E_BEACON_BUDGET": replace(BY_CODE["E_BEACON_BUDGET"], status=403),
        "E_ODD": Declared("E_ODD", "ValueError", None, 400, "Nothing.", "General"),
    }
    assert misstated(wrong, CLASSES) == [
        "E_SCOPE declares status 400; the API answers 404",
        "E_CSV declares status 400; the API answers 422",
        "E_HTTP_404 declares status 400; the API answers 404",
        "E_BEACON_BUDGET declares status 403; the API answers 429",
        "E_ODD: ValueError is not an HgrError class",
    ]


@pytest.mark.parametrize("code", ["E_BAD_VISA", "E_BEACON_BUDGET", "E_LEDGER_UNREACHABLE"])
def test_classes_outside_hgr_exceptions_take_their_base_class_status(code: str) -> None:
    declared = BY_CODE[code]
    assert declared.raised is not None
    assert declared.status == status_of(declared.raised, CLASSES)
