"""The survey's data dictionary: the fields a cycle asks for, versioned with the cycle.

The content of a survey return is left to the survey work plan (regulations.md CN-SUR-8, IR
Art. 23), so it is data, not code: a national officer opens a cycle with a dictionary, and
every return and edition names the dictionary version it answers. Fields are of two sources:

``computed``  counted from the registry and genotype stores when the return is generated;
``form``      asked of the institution (facts the registry does not hold, such as cooperation
              with foreign parties), answered in a form file and checked against the field.

The default dictionary below is version ``hgr-survey/3``. A deployment may give its own as a
JSON file of the same shape (``hgr survey open --dictionary FILE``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hgr.exceptions import ValidationFailed
from hgr.issues import N_, Issue, Origin, Severity

__all__ = ["DEFAULT_DICTIONARY", "DataDictionary", "FieldSpec", "read_dictionary"]

SOURCES = ("computed", "form")
KINDS = ("count", "table", "list", "text", "boolean")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a return.

    ``kind`` is ``count`` (a non-negative integer), ``table`` (counts by a category),
    ``list`` (rows of a described shape), ``text`` or ``boolean``; ``by`` names what a table
    is counted by; ``required`` applies to form fields.
    """

    code: str
    label: str
    source: str
    kind: str
    by: str = ""
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class DataDictionary:
    """A named, versioned set of fields."""

    version: str
    fields: tuple[FieldSpec, ...]

    def field(self, code: str) -> FieldSpec:
        return next(f for f in self.fields if f.code == code)

    @property
    def computed(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.source == "computed")

    @property
    def form(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.source == "form")

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "fields": [asdict(f) for f in self.fields]}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], origin: str = "dictionary") -> DataDictionary:
        """A dictionary from its JSON form; ValidationFailed naming every bad field."""
        issues: list[Issue] = []

        def bad(pointer: str, problem: str, fix: str) -> None:
            issues.append(
                Issue("E_DICTIONARY", Severity.ERROR, Origin(origin, None, pointer), problem, fix)
            )

        version = value.get("version") if isinstance(value, Mapping) else None
        if not isinstance(version, str) or not version.strip():
            bad("/version", "the dictionary has no version", "give `version`, e.g. my-survey/2")
        raw = value.get("fields") if isinstance(value, Mapping) else None
        if not isinstance(raw, list) or not raw:
            bad("/fields", "the dictionary lists no fields", "give `fields` as a list")
            raw = []
        fields, seen = [], set()
        names = {f.name for f in FieldSpec.__dataclass_fields__.values()}
        for n, item in enumerate(raw):
            at = f"/fields/{n}"
            if not isinstance(item, Mapping) or set(item) - names:
                bad(
                    at,
                    "a field is not an object of known keys",
                    f"use only: {', '.join(sorted(names))}",
                )
                continue
            code = item.get("code")
            if not isinstance(code, str) or not code.isidentifier():
                bad(f"{at}/code", f"field code {code!r} is not a name", "use letters and _")
                continue
            if code in seen:
                bad(f"{at}/code", f"field {code} is defined twice", "keep one definition")
            seen.add(code)
            if item.get("source") not in SOURCES:
                bad(
                    f"{at}/source",
                    f"{code}: source {item.get('source')!r} is not known",
                    f"use one of {', '.join(SOURCES)}",
                )
            if item.get("kind") not in KINDS:
                bad(
                    f"{at}/kind",
                    f"{code}: kind {item.get('kind')!r} is not known",
                    f"use one of {', '.join(KINDS)}",
                )
            if item.get("source") == "computed" and code not in COMPUTABLE:
                known = ", ".join(sorted(COMPUTABLE))
                bad(
                    f"{at}/code",
                    f"{code}: hgr cannot compute this field",
                    f"make it a form field, or use one of {known}",
                )
            fields.append(FieldSpec(**{k: item[k] for k in item}))
        if issues:
            raise ValidationFailed(
                f"{origin}: the data dictionary is not valid", issues, code="E_DICTIONARY"
            )
        return cls(str(version), tuple(fields))


def _c(code: str, label: str, kind: str = "count", by: str = "", help: str = "") -> FieldSpec:
    return FieldSpec(code, label, "computed", kind, by, False, help)


# What the registry can count (hgr.survey.returns computes each of these).
_COMPUTED = (
    _c("donors", N_("Donors (records)")),
    _c(
        "persons",
        N_("Persons (donors linked as one person counted once)"),
        help=N_("duplicate links of the relatedness engine inside the institution"),
    ),
    _c("donors_by_sex", N_("Donors by sex"), "table", "sex"),
    _c(
        "donors_by_age",
        N_("Donors by age at the reference date"),
        "table",
        "age_band",
        help=N_("from the year of birth: 0-17, 18-39, 40-59, 60-79, 80+ or unknown"),
    ),
    _c("samples", N_("Samples")),
    _c("samples_by_material", N_("Samples by material type"), "table", "material"),
    _c("donors_by_material", N_("Donors with a sample of each material type"), "table", "material"),
    _c(
        "persons_by_data_category",
        N_("Donors with data of each category"),
        "table",
        "data_category",
        help=N_("from the categories of the collections holding their samples"),
    ),
    _c("genotyped_donors", N_("Donors with genotypes in the genotype store")),
    _c("donors_by_disease", N_("Donors by diagnosis"), "table", "disease"),
    _c(
        "diagnosis_labels",
        N_("Names of the diagnoses"),
        "list",
        help=N_("each diagnosis code counted, with the label most of its records give"),
    ),
    _c("donors_by_population", N_("Donors by population"), "table", "population"),
    _c("donors_by_residence", N_("Donors by province of residence"), "table", "region"),
    _c(
        "collections",
        N_("Collections"),
        "list",
        help=N_("code, name, materials, data categories, disease focus, donors, samples"),
    ),
    _c("consents_by_scope", N_("Active consents by DUO permission"), "table", "duo"),
    _c("consent_modifiers", N_("Active consents by DUO modifier"), "table", "duo"),
    _c("consents_withdrawn", N_("Consents withdrawn during the cycle's period")),
    _c("donors_without_consent", N_("Donors with no active consent")),
    _c("ethics_approvals", N_("Ethics approvals valid at the reference date")),
    _c("ethics_expired", N_("Ethics approvals expired by the reference date")),
    _c("families", N_("Families")),
    _c("pedigree_members", N_("Pedigree members")),
    _c(
        "declared_pedigrees",
        N_("Declared pedigrees with a condition"),
        "list",
        help=N_("code, condition, generations, members, affected members, generations affected"),
    ),
)
COMPUTABLE = frozenset(f.code for f in _COMPUTED)

_FORM = (
    FieldSpec(
        "foreign_cooperation_projects",
        N_("International cooperation projects active in the period"),
        "form",
        "count",
        required=True,
        help=N_("projects with a foreign party (Reg. Art. 21-22)"),
    ),
    FieldSpec(
        "foreign_partners",
        N_("Foreign parties cooperated with"),
        "form",
        "list",
        help=N_("name and country of each"),
    ),
    FieldSpec(
        "information_provided_abroad",
        N_("Provisions of HGR information to foreign parties filed in the period"),
        "form",
        "count",
        required=True,
        help=N_("filings under Reg. Art. 28"),
    ),
    FieldSpec(
        "specific_region_resources",
        N_("Holds resources of populations of specific regions"),
        "form",
        "boolean",
        required=True,
    ),
    FieldSpec("remarks", N_("Remarks"), "form", "text"),
)

DEFAULT_DICTIONARY = DataDictionary("hgr-survey/3", _COMPUTED + _FORM)
"""Version 2 added the donors by age, version 3 the names of the diagnoses; a cycle opened
with an earlier version keeps it."""


def read_dictionary(path: Path) -> DataDictionary:
    """A data dictionary from a JSON file; FormatError-like ValidationFailed when it is bad."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        issue = Issue(
            "E_DICTIONARY",
            Severity.ERROR,
            Origin(str(path)),
            f"cannot read the dictionary: {exc}",
            "give a JSON file",
        )
        raise ValidationFailed(
            f"{path}: not a data dictionary", [issue], code="E_DICTIONARY"
        ) from None
    return DataDictionary.from_dict(value, str(path))
