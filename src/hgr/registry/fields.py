"""Parsers for the values found in registry files: each turns text into a typed value or
raises :class:`FieldError` with the problem and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import TypeVar

from hgr.issues import N_
from hgr.vocabulary import choices

__all__ = [
    "DuoTerm",
    "FieldError",
    "Term",
    "duo_terms",
    "parse_bool",
    "parse_country",
    "parse_date",
    "parse_diagnosis",
    "parse_duo",
    "parse_enum",
    "parse_int",
    "parse_list",
    "parse_mondo",
    "parse_percent",
    "parse_phenotype",
    "parse_sha256",
    "parse_uscc",
    "split_list",
]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

LIST_SEPARATOR = ";"


class FieldError(ValueError):
    """A value that cannot be accepted: ``problem`` says why, ``fix`` says what to write."""

    def __init__(self, problem: str, fix: str, code: str = "E_FIELD") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.code = code


@dataclass(frozen=True)
class Term:
    """An ontology term as a CURIE with an optional label."""

    id: str
    label: str | None = None
    excluded: bool = False


def parse_enum(enum: type[E], raw: str) -> E:
    value = raw.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return enum(value)
    except ValueError:
        raise FieldError(
            N_("%(value)s is not a known value", value=repr(raw)),
            N_("use one of: %(choices)s", choices=choices(enum)),
        ) from None


def parse_int(raw: str, *, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise FieldError(
            N_("%(value)s is not a whole number", value=repr(raw)),
            N_("write digits only, e.g. 1984"),
        ) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise FieldError(
            N_("%(value)s is out of range", value=value),
            N_("give a value from %(low)s to %(high)s", low=low, high=high),
        )
    return value


def parse_percent(raw: str) -> float:
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        raise FieldError(
            N_("%(value)s is not a number", value=repr(raw)),
            N_("write a percentage such as 35 or 51.5"),
        ) from None
    if not 0 <= value <= 100:
        raise FieldError(
            N_("%(value)s is not a percentage", value=value), N_("give a value from 0 to 100")
        )
    return value


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FieldError(N_("%(value)s is not yes or no", value=repr(raw)), N_("write true or false"))


def parse_date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise FieldError(
            N_("%(value)s is not a date", value=repr(raw)),
            N_("write an ISO 8601 date: YYYY-MM-DD"),
            "E_DATE",
        ) from None


_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_country(raw: str) -> str:
    value = raw.strip().upper()
    if not _COUNTRY.match(value):
        raise FieldError(
            N_("%(value)s is not a country code", value=repr(raw)),
            N_("use the ISO 3166-1 alpha-2 code, e.g. CN, GB, US"),
        )
    return value


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def parse_sha256(raw: str) -> str:
    value = raw.strip().lower()
    if not _SHA256.match(value):
        raise FieldError(
            N_("%(value)s is not a SHA-256 checksum", value=repr(raw)),
            N_("give the 64 hexadecimal digits printed by `sha256sum FILE`"),
            "E_CHECKSUM",
        )
    return value


def split_list(raw: str) -> list[str]:
    """Split a ``;``-separated cell, dropping blanks."""
    return [part.strip() for part in raw.split(LIST_SEPARATOR) if part.strip()]


def parse_list(parse: Callable[[str], T], raw: str) -> list[T]:
    return [parse(part) for part in split_list(raw)]


_HPO = re.compile(r"^HP:\d{7}$")
_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:[A-Za-z0-9_.\-]+$")


def parse_phenotype(raw: str) -> Term:
    """A phenotype term, HPO by preference.

    A leading ``!`` marks a feature that was looked for and excluded. Terms of other
    ontologies (NCIT, SNOMED …) are kept as CURIEs, as Phenopackets allows; HPO terms must
    have their seven digits.
    """
    value = raw.strip()
    excluded = value.startswith("!")
    value = value.lstrip("!").strip()
    bad = not _CURIE.match(value) or (value.upper().startswith("HP:") and not _HPO.match(value))
    if bad:
        raise FieldError(
            N_("%(value)s is not an HPO term", value=repr(raw)),
            N_("write HP: and seven digits, e.g. HP:0001250 (prefix ! if the feature is excluded)"),
            "E_TERM",
        )
    return Term(value, excluded=excluded)


# ICD-10 (WHO): a letter, two digits, optional subcategory. ORPHA, MONDO and OMIM are numeric.
_DIAGNOSIS = {
    "ICD10": re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$"),
    "ORPHA": re.compile(r"^\d{1,7}$"),
    "MONDO": re.compile(r"^\d{7}$"),
    "OMIM": re.compile(r"^\d{6}$"),
}


def parse_diagnosis(raw: str) -> Term:
    """A diagnosis code, optionally followed by its label after a space (``ORPHA:399
    Huntington disease``): the label is what the survey report prints beside the code."""
    code, *words = raw.split(None, 1) or [""]
    prefix, _, local = code.partition(":")
    pattern = _DIAGNOSIS.get(prefix.upper())
    if pattern is None or not pattern.match(local):
        raise FieldError(
            N_("%(value)s is not a diagnosis code", value=repr(raw)),
            N_(
                "write ICD10:G10, ORPHA:399, MONDO:0007739 or OMIM:143100, optionally followed "
                "by the label (ORPHA:399 Huntington disease)"
            ),
            "E_TERM",
        )
    label = " ".join("".join(words).split())[:300] or None  # the stored label's length
    return Term(f"{prefix.upper()}:{local}", label)


def parse_mondo(raw: str) -> str:
    value = raw.strip()
    if not re.match(r"^MONDO:\d{7}$", value):
        raise FieldError(
            N_("%(value)s is not a MONDO disease", value=repr(raw)),
            N_("DUO's disease-specific code (DS) takes a MONDO term, e.g. MONDO:0007739"),
            "E_TERM",
        )
    return value


@dataclass(frozen=True)
class DuoTerm:
    id: str
    shorthand: str
    kind: str
    label: str


@cache
def duo_terms() -> dict[str, DuoTerm]:
    """DUO terms (release 2021-02-23) by id and by shorthand."""
    text = files("hgr.registry").joinpath("data/duo_terms.csv").read_text(encoding="utf-8")
    terms: dict[str, DuoTerm] = {}
    for row in csv.DictReader(text.splitlines()):
        term = DuoTerm(row["id"], row["shorthand"], row["kind"], row["label"])
        terms[term.id] = term
        terms[term.shorthand] = term
    return terms


def parse_duo(raw: str, kind: str | None = None) -> DuoTerm:
    """A DUO term given by id (DUO:0000042) or shorthand (GRU), optionally of one kind."""
    value = raw.strip()
    term = duo_terms().get(value) or duo_terms().get(value.upper())
    if term is None:
        raise FieldError(
            N_("%(value)s is not a DUO term", value=repr(raw)),
            N_("use a DUO id or shorthand, e.g. DUO:0000042 or GRU, HMB, DS, NCU, GS"),
            "E_DUO",
        )
    if kind is not None and term.kind != kind:
        raise FieldError(
            N_(
                "%(term)s (%(id)s) is a data-use %(is_kind)s, not a %(kind)s",
                term=term.shorthand,
                id=term.id,
                is_kind=term.kind,
                kind=kind,
            ),
            N_(
                "put permissions (GRU, HMB, DS, POA, NRES) in `permission` and the rest in "
                "`modifiers`"
            ),
            "E_DUO",
        )
    return term


# GB 32100-2015 Unified Social Credit Code: 18 characters from a 31-symbol alphabet; the last
# is a check character with weights 3^(i-1) mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def parse_uscc(raw: str) -> str:
    value = raw.strip().upper()
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        raise FieldError(
            N_("%(value)s is not a Unified Social Credit Code", value=repr(raw)),
            N_("give the 18-character code of GB 32100-2015 printed on the business licence"),
            "E_LEGAL_ID",
        )
    if uscc_check_character(value[:17]) != value[17]:
        raise FieldError(
            N_("%(value)s fails the GB 32100-2015 check character", value=repr(raw)),
            N_("copy the code again from the business licence; one character is wrong"),
            "E_LEGAL_ID",
        )
    return value
