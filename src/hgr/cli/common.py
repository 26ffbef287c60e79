"""What every ``hgr`` subcommand shares: consoles, options, errors, progress, tables."""

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table
from typer.core import TyperCommand, TyperGroup, TyperOption, _TyperParameter

from hgr.exceptions import HgrError, UsageError, ValidationFailed
from hgr.issues import Issue
from hgr.progress import Progress

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hgr.audit import Actor
    from hgr.node import Node


__all__ = [
    "Commands",
    "DatabaseOption",
    "DeviceOption",
    "HomeOption",
    "InstitutionOption",
    "TokenOption",
    "UrlOption",
    "cell",
    "changing",
    "command_node",
    "err",
    "fail",
    "institution_of",
    "operator",
    "out",
    "print_issues",
    "progress_bar",
    "reading",
    "send_document",
    "table",
]

_UNLIMITED_WIDTH = 100_000


class _Output(Console):
    """Standard output: at a terminal, wrapped to its width; to a file or a pipe, every line
    whole and every table as wide as its cells. Rich would cut both at 80 columns, and a
    script would read a path broken in two, or "…" where a pseudonym was. COLUMNS, where set,
    still wins. Rules are not drawn wider: one as wide as a table could be would be a line of
    100,000 characters."""

    def print(self, *objects: Any, **options: Any) -> None:
        if self.is_terminal or "COLUMNS" in os.environ:
            super().print(*objects, **options)
        elif any(isinstance(o, Table) for o in objects):
            Console(file=self.file, width=_UNLIMITED_WIDTH).print(*objects, **options)
        else:
            super().print(*objects, **{"soft_wrap": True, **options})


out = _Output()
err = Console(stderr=True, soft_wrap=True)  # error lines stay whole for grep

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="HGR_HOME", help="The node's data directory."),
]
InstitutionOption = Annotated[
    str | None,
    typer.Option("--institution", "-i", help="Institution code (default: the node's)."),
]
UrlOption = Annotated[str, typer.Option(help="Address of the other node, e.g. https://host:8470.")]
TokenOption = Annotated[
    str | None, typer.Option(envvar="HGR_REMOTE_TOKEN", help="API token on the other node.")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", envvar="HGR_DATABASE_URL", help="Override the database."),
]
DeviceOption = Annotated[
    str,
    typer.Option(
        help="Where kinship is computed: auto (a CUDA GPU when PyTorch sees one), cpu or gpu."
    ),
]


# Typer (0.29) names a parameter's type in help by its Python annotation (<list[Path]>,
# <bool>, <int range>). The field's tools (PLINK, bcftools, GNU) name theirs TEXT, INTEGER,
# PATH, and give a flag none; hgr's help does the same, for readers who are not programmers.
_PLAIN = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "Path": "PATH",
    "path": "PATH",
    "file": "FILE",
    "directory": "FOLDER",
    "datetime": "DATE",
}


def _plain_type(self: Any, ctx: Any) -> str:
    """A parameter's type in plain words: TEXT, INTEGER, PATH, a choice's values; a repeated
    one ends in "..."."""
    label = str(_TYPER_DISPLAY_TYPE(self, ctx)).strip("<>")
    repeated = label.startswith("list[") and label.endswith("]")
    if repeated:
        label = label[5:-1]
    label = _PLAIN.get(label, label)
    return f"{label}..." if repeated else label


def _plain_option_type(self: Any, ctx: Any) -> str | None:
    """An option's type in help: none for a flag."""
    if self.is_flag or self.type_descriptor.annotation is bool:
        return None
    shown: str | None = _TYPER_OPTION_DISPLAY(self, ctx)
    return shown


def _paragraphs(paragraphs: list[str], markup_mode: Any) -> str:
    """A command's help after its first line: each paragraph's lines joined, as typer joins
    the first (it keeps the docstring's line breaks, cutting sentences in two), except an
    example's indented lines."""
    return "\n\n".join(
        p if p.startswith(("\b", " ")) else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def _whole_paragraphs(format_help: Any) -> Any:
    """``format_help`` with typer's help module (loaded only when help is shown, and then
    patched) joining a paragraph's lines."""

    def formatted(self: Any, ctx: Any, formatter: Any) -> Any:
        from typer import rich_utils

        if hasattr(rich_utils, "_fix_linebreaks"):
            rich_utils._fix_linebreaks = _paragraphs
        return format_help(self, ctx, formatter)

    return formatted


# These are typer's internals (0.29): where a release renames them, help falls back to typer's
# own wording and tests/cli/test_help.py fails, rather than every command failing.
_TYPER_DISPLAY_TYPE: Any = getattr(_TyperParameter, "display_type", None)
_TYPER_OPTION_DISPLAY: Any = getattr(TyperOption, "display_type_rich", None)
if _TYPER_DISPLAY_TYPE is not None and _TYPER_OPTION_DISPLAY is not None:
    _TyperParameter.display_type = _plain_type  # type: ignore[method-assign]
    TyperOption.display_type_rich = _plain_option_type  # type: ignore[method-assign]
for _help_class in (TyperCommand, TyperGroup):
    _help_class.format_help = _whole_paragraphs(_help_class.format_help)  # type: ignore[method-assign]


class Commands(TyperGroup):
    """hgr's command group. An ``HgrError`` raised by any command ends it the one way errors
    end here: ``error: <message> (<code>)`` on stderr, the issues of a failed validation
    under it, and exit status 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context, not exported by name
        try:
            return super().invoke(ctx)
        except HgrError as exc:
            fail(exc)


def fail(exc: HgrError) -> NoReturn:
    """Print ``exc`` as the command line reports errors (in the terminal's language where
    its message is marked for the catalogue), and exit with status 1."""
    from hgr.i18n import command_line_locale, localized

    message = escape(localized(exc.message, command_line_locale()))
    err.print(f"[red]error:[/red] {message} ({exc.code})", highlight=False)
    if isinstance(exc, ValidationFailed):
        print_issues(exc.issues)
    raise typer.Exit(1)


def print_issues(issues: list[Issue]) -> None:
    """Each issue on a line of its own, in the command line's language (HGR_LANG, LANG), in
    the order found: an import finds a row's own errors before the errors of the rows that
    name it."""
    from hgr.i18n import command_line_locale, issue_line

    locale = command_line_locale()
    for issue in issues:
        colour = "red" if issue.severity == "error" else "yellow"
        line = escape(issue_line(issue, locale))
        err.print(f"  [{colour}]{issue.severity}[/{colour}] {line}", highlight=False)


@contextmanager
def command_node(home: Path | None, database_url: str | None) -> "Iterator[Node]":
    """The node one command works on, closed when the block ends."""
    from hgr.node import open_node

    node = open_node(home, database_url=database_url)
    try:
        yield node
    finally:
        node.close()


@contextmanager
def changing(
    home: Path | None, database_url: str | None
) -> "Iterator[tuple[Node, Session, Actor]]":
    """What a command that changes the node works with: the node, one transaction (committed
    when the block ends, rolled back by an error) and the operator, as the audit log names
    them."""
    with command_node(home, database_url) as node, node.db.transaction() as session:
        yield node, session, operator()


@contextmanager
def reading(home: Path | None, database_url: str | None) -> "Iterator[tuple[Node, Session]]":
    """What a command that only reads the node works with: the node and a read-only session."""
    with command_node(home, database_url) as node, node.db.reader() as session:
        yield node, session


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress callback drawn as a bar on stderr; it vanishes when the work is done."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        yield update


def institution_of(node: "Node", given: str | None) -> str:
    """The institution a command acts for: ``--institution``, or the node's own."""
    code = given or node.settings.institution_code
    if not code:
        raise UsageError(
            "name the institution with --institution (this node serves several)", code="E_USAGE"
        )
    return code


def operator() -> "Actor":
    """The person at the command line, as the audit log names them."""
    from hgr.audit import Actor

    return Actor(f"cli:{getpass.getuser()}", "operator")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(getattr(value, "value", value))


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON: one object per line for a listing.")
]
TsvOption = Annotated[
    bool, typer.Option("--tsv", help="Print tab-separated values with a header line.")
]


XlsxOption = Annotated[
    Path | None,
    typer.Option(
        "--xlsx",
        help="Also write the listing to this Excel workbook (a new file: never over one).",
    ),
]


def write_new(path: Path, content: bytes) -> None:
    """Write ``content`` to a file that must not exist yet: nothing is written over.

    Raises
    ------
    UsageError
        ``E_OUTPUT_EXISTS`` when the file exists; ``E_NO_FILE`` when its folder does not.
    """
    try:
        handle = path.open("xb")
    except FileExistsError:
        raise UsageError(
            f"{path} exists already: name a new file", code="E_OUTPUT_EXISTS"
        ) from None
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"{path.parent}: no such folder", code="E_NO_FILE") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written ({exc.strerror})", code="E_NO_FILE") from None
    try:
        with handle:
            handle.write(content)
    except OSError as exc:
        # Half a file would stand in the way of the next try: it goes.
        path.unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot be written ({exc.strerror})", code="E_NO_FILE") from None


def _tsv_cell(value: Any) -> str:
    # A tab or line break inside a cell would shift every column after it.
    return " ".join(cell(value).split("\t")).replace("\r", " ").replace("\n", " ")


def print_rows(
    title: str,
    rows: list[dict[str, Any]],
    columns: list[str] | None = None,
    *,
    as_json: bool = False,
    as_tsv: bool = False,
) -> None:
    """Rows as a table for people, or for scripts as JSON lines (``--json``) or TSV with a
    header (``--tsv``); with ``columns``, those and in that order (JSON keeps every field)."""
    if as_json and as_tsv:
        raise UsageError("give --json or --tsv, not both", code="E_USAGE")
    columns = columns or (list(rows[0]) if rows else [])
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, default=cell) + "\n")
    elif as_tsv:
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(_tsv_cell(row.get(c)) for c in columns) + "\n")
    else:
        out.print(table(title, rows, columns))


def print_record(detail: dict[str, Any], *, as_json: bool = False, as_tsv: bool = False) -> None:
    """One record's fields: a two-column table, a JSON object, or ``field<TAB>value`` lines."""
    if as_json and as_tsv:
        raise UsageError("give --json or --tsv, not both", code="E_USAGE")
    if as_json:
        sys.stdout.write(json.dumps(detail, default=cell) + "\n")
    elif as_tsv:
        sys.stdout.write("field\tvalue\n")
        for name, value in detail.items():
            sys.stdout.write(f"{name}\t{_tsv_cell(value)}\n")
    else:
        grid = Table(show_header=False)
        for name, value in detail.items():
            grid.add_row(name, cell(value))
        out.print(grid)


def table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    columns = columns or (list(rows[0]) if rows else [])
    grid = Table(title=title)
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(cell(row.get(c)) for c in columns))
    return grid


def send_document(to: str, path: str, payload: object, token: str | None) -> None:
    """POST a signed document (or package) to another node and say what it kept."""
    from hgr.federation import post_json

    answer = post_json(to, path, payload, token)
    out.print(f"{to} kept {answer['kind']} v{answer['version']} of {answer['subject']}")
