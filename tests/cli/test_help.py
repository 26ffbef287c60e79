"""Every command's help in plain words: types as the field's tools name them, whole sentences."""

from __future__ import annotations

import re
from typing import Any

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
