"""Validation issues and the report that collects them.

Every issue names where it is (file, line or record, field), what is wrong, and how to fix it,
with a stable code, so that a data steward can mend a file without reading hgr's source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["N_", "Issue", "Origin", "Report", "Severity", "Text"]


class Text(str):
    """Words for a person that the reader's catalogue translates when they are shown
    (hgr.i18n.localized): the English text itself, with the message as marked (``msgid``,
    with ``%(name)s`` placeholders) and the ``values`` that fill it."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, values: Mapping[str, object]) -> Text:
        # Always formatted, so that a literal percent sign is written %% in every message.
        text = super().__new__(cls, msgid % dict(values))
        text.msgid = msgid
        text.values = dict(values)
        return text

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:  # type: ignore[override]
        return self.msgid, self.values


def N_(msgid: str, **values: object) -> Text:
    """``msgid`` marked for the message catalogue (``pybabel extract -k N_``), its
    placeholders filled with ``values``: English until it is shown to a reader."""
    return Text(msgid, values)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Origin:
    """Where a record came from: a file, and a 1-based line or a JSON pointer in it."""

    file: str
    line: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        if self.pointer is not None:
            return f"{self.file}#{self.pointer}"
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Issue:
    """One problem found in the input."""

    code: str
    severity: Severity
    origin: Origin
    problem: str
    fix: str
    field: str | None = None
    family: str | None = None

    def __str__(self) -> str:
        where = str(self.origin)
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.problem}; fix: {self.fix} ({self.code})"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.origin.file,
            "line": self.origin.line,
            "pointer": self.origin.pointer,
            "field": self.field,
            "family": self.family,
            "problem": self.problem,
            "fix": self.fix,
        }


@dataclass
class Report:
    """All issues found while validating one import, and the rows refused for their own
    errors: ``refused`` holds each such row's template and key, so that a row naming it is
    not reported again for naming something missing (the refused row's error is the one to
    fix)."""

    issues: list[Issue] = field(default_factory=list)
    refused: set[tuple[str, str]] = field(default_factory=set)

    def error(
        self,
        code: str,
        origin: Origin,
        problem: str,
        fix: str,
        *,
        field: str | None = None,
        family: str | None = None,
    ) -> None:
        self.issues.append(Issue(code, Severity.ERROR, origin, problem, fix, field, family))

    def warning(
        self,
        code: str,
        origin: Origin,
        problem: str,
        fix: str,
        *,
        field: str | None = None,
        family: str | None = None,
    ) -> None:
        self.issues.append(Issue(code, Severity.WARNING, origin, problem, fix, field, family))

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __iter__(self) -> Iterator[Issue]:
        return iter(
            sorted(
                self.issues,
                key=lambda i: (i.origin.file, i.origin.line or 0, i.severity, i.code),
            )
        )
