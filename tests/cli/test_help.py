"""Every command's help in plain words: types as the field's tools name them, whole sentences."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hgr.cli.main import app

runner = CliRunner()


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if getattr(command, "commands", None):
            found.extend(_commands(command, (*path, name)))
    return found


def test_no_help_names_a_python_type() -> None:
    """Typer names types by their annotation (<list[Path]>, <bool>, <int range>); a steward
    reading help is not a programmer."""
    commands = _commands(typer.main.get_command(app))
    assert len(commands) > 50
    python = re.compile(r"<(?:bool|str|int|float|Path|path|list\[[^\]]*\])[^>]*>")
    for command in commands:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (command, result.output)
        assert not python.search(result.output), (command, python.search(result.output))


def test_help_keeps_sentences_whole_and_types_plain() -> None:
    result = runner.invoke(app, ["import", "--help"], env={"COLUMNS": "200"})
    assert "run it with --dry-run first to see every field it changes" in result.output
    assert "PATH..." in result.output
    listing = runner.invoke(app, ["list", "--help"], env={"COLUMNS": "200"}).output
    json_line = next(line for line in listing.splitlines() if "--json" in line)
    assert "Print JSON" in json_line
    assert "bool" not in json_line.lower()


def _leaves(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command that runs (not a group), with its words after ``hgr``."""
    found = []
    for name, command in group.commands.items():
        if getattr(command, "commands", None):
            found.extend(_leaves(command, (*path, name)))
        else:
            found.append(((*path, name), command))
    return found


def _examples(docstring: str) -> list[str]:
    """The command lines of a help text: an ``Example:`` paragraph (its lines joined, as help
    shows them), or each ``hgr ...`` paragraph after ``Examples:``."""
    found, listing = [], False
    for paragraph in docstring.split("\n\n"):
        words = paragraph.split()
        if words[:1] == ["Example:"]:
            found.append(" ".join(words[1:]))
        elif words[:1] == ["Examples:"]:
            listing = True
        elif listing and words[:1] == ["hgr"]:
            found.append(" ".join(words))
    return found


def test_every_command_shows_an_example_that_it_accepts() -> None:
    """A reader copies the example before reading the options: each command's help ends with
    one, and it names the command and options it has (a renamed option fails here, not in a
    steward's terminal)."""
    commands = _leaves(typer.main.get_command(app))
    assert len(commands) > 80
    for path, command in commands:
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}).output
        assert "Example" in shown, f"hgr {' '.join(path)} --help shows no example"
        examples = _examples(command.help or "")
        assert examples, path
        for example in examples:
            words = shlex.split(example)
            if ">" in words:  # a redirection is the shell's, not an argument
                words = words[: words.index(">")]
            assert words[: 1 + len(path)] == ["hgr", *path], (path, example)
            try:
                command.make_context(" ".join(path), words[1 + len(path) :])
            except typer.TyperException as exc:
                pytest.fail(f"{example!r} is refused: {exc}")
