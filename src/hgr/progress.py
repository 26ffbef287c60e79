"""Progress reporting for long work, without tying the library to a terminal.

Library functions that take a while accept ``progress``: a callable given the stage's name,
the steps done and the steps in the stage. The CLI draws it as a rich progress bar; the API and
tests pass nothing.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "silent"]

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``done`` of ``total`` steps of ``stage`` are finished."""


def silent(stage: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""
