"""Reading every input file of an import into one staging area, keyed by natural keys.

A record given twice with the same content is kept once; given twice with different content
it is an error that names both places. A donor described by several sources (a donors
template, a PED file, a Phenopacket) is merged field by field, and any disagreement is an
error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hgr.audit.log import canonical_json
from hgr.crypto import file_sha256
from hgr.exceptions import UsageError
from hgr.issues import N_, Origin, Report
from hgr.pedigree.ped import NO_FAMILY, PedigreeRecord, read_ped
from hgr.progress import Progress, silent
from hgr.registry.phenopackets import DONOR_KEYS, read_phenopacket
from hgr.registry.records import (
    CollectionRecord,
    ConsentRecord,
    DataFileRecord,
    DonorRecord,
    EthicsRecord,
    FamilyRecord,
    InstitutionRecord,
    SampleRecord,
)
from hgr.registry.templates import TEMPLATES, read_rows, read_template, template_for
from hgr.registry.workbooks import WORKBOOK_SUFFIXES, read_workbook, template_sheets
from hgr.vocabulary import Sex

__all__ = ["InputFile", "Staging", "TemplateRows", "entities_written", "stage_files"]

PED_SUFFIXES = {".ped", ".fam"}
JSON_SUFFIXES = {".json"}
TABLE_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass(frozen=True)
class InputFile:
    """Provenance of one input: its name, kind, size and SHA-256."""

    path: str
    kind: str
    size_bytes: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "size": self.size_bytes,
            "sha256": self.sha256,
        }


@dataclass
class Staging:
    """Everything read from the input files, by natural key."""

    files: list[InputFile] = field(default_factory=list)
    institutions: dict[str, InstitutionRecord] = field(default_factory=dict)
    collections: dict[str, CollectionRecord] = field(default_factory=dict)
    donors: dict[str, DonorRecord] = field(default_factory=dict)
    samples: dict[str, SampleRecord] = field(default_factory=dict)
    consents: dict[tuple[str, str], ConsentRecord] = field(default_factory=dict)
    ethics: dict[tuple[str, str], EthicsRecord] = field(default_factory=dict)
    families: dict[str, FamilyRecord] = field(default_factory=dict)
    pedigree: list[PedigreeRecord] = field(default_factory=list)
    data_files: dict[str, DataFileRecord] = field(default_factory=dict)
    template_donors: set[str] = field(default_factory=set)
    # The first phenopacket donor of each (source, subject id), donors named by phenopacket id.
    subjects: dict[tuple[str, str], DonorRecord] = field(default_factory=dict)
    # The phenopacket id of each phenopacket donor whose two rules name it differently.
    phenopacket_ids: set[str] = field(default_factory=set)

    @property
    def needs_institution(self) -> bool:
        return any(
            [
                self.collections,
                self.donors,
                self.samples,
                self.consents,
                self.ethics,
                self.families,
                self.pedigree,
                self.data_files,
            ]
        )


def _put(store: dict[Any, Any], key: Any, record: Any, what: str, report: Report) -> None:
    first = store.get(key)
    if first is None:
        store[key] = record
    elif first != record:
        report.error(
            "E_DUPLICATE_KEY",
            record.origin,
            N_(
                "%(what)s %(key)s is given again with different values (first at %(first)s)",
                what=what,
                key=key if isinstance(key, str) else " / ".join(key),
                first=str(first.origin),
            ),
            N_("keep one line for it, or make the lines agree"),
        )


def _merge_donor(
    staging: Staging, record: DonorRecord, report: Report, by_subject: bool = False
) -> None:
    """Add a donor, or merge it with one read before; ``by_subject``: a phenopacket's donor
    named by its subject id, where a conflict may be two people (the fix says so)."""
    first = staging.donors.get(record.local_id)
    if first is None:
        staging.donors[record.local_id] = record
        return
    merged = {}
    for f in fields(DonorRecord):
        if f.name in ("local_id", "origin"):
            continue
        mine, theirs = getattr(first, f.name), getattr(record, f.name)
        # An unknown sex carries no information, so it never contradicts a known one.
        if f.name == "sex" and Sex.UNKNOWN in (mine, theirs):
            merged[f.name] = theirs if mine in (None, Sex.UNKNOWN) else mine
            continue
        if mine is not None and theirs is not None and mine != theirs:
            report.error(
                "E_DONOR_CONFLICT",
                record.origin,
                N_(
                    "donor %(donor)s: %(field)s is %(here)s here but %(there)s at %(first)s",
                    donor=record.local_id,
                    field=f.name,
                    here=_show(theirs),
                    there=_show(mine),
                    first=str(first.origin),
                ),
                N_(
                    "make the files agree on this donor; if they are different people whose "
                    "phenopackets reuse one subject id (case reports of different "
                    "publications), name each donor by its phenopacket's id: --donor-key id"
                )
                if by_subject
                else N_("make the files agree on this donor"),
                field=f.name,
            )
        merged[f.name] = mine if mine is not None else theirs
    staging.donors[record.local_id] = replace(first, **merged)


def _same_subject(
    staging: Staging, subjects: list[tuple[tuple[str, str], DonorRecord]], report: Report
) -> None:
    """With donors named by phenopacket id: refuse two phenopackets of one subject of one
    source whose sexes differ (one person cannot be both); a phenopacket naming no source
    cannot be told apart from another source's, and is not compared."""
    for (source, subject), donor in subjects:
        if not source:
            continue
        first = staging.subjects.setdefault((source, subject), donor)
        known = {first.sex, donor.sex} - {None, Sex.UNKNOWN}
        if len(known) > 1:
            report.error(
                "E_DONOR_CONFLICT",
                donor.origin,
                N_(
                    "subject %(subject)s of %(source)s is %(here)s here but %(there)s at %(first)s",
                    subject=subject,
                    source=source,
                    here=_show(donor.sex),
                    there=_show(first.sex),
                    first=str(first.origin),
                ),
                N_(
                    "one subject of one source is one person: correct the sex, or give "
                    "different people different subject ids"
                ),
                field="sex",
            )


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ";".join(getattr(v, "id", str(v)) for v in value) or "(none)"
    return str(value)


def _stage_pedigree(staging: Staging, records: list[PedigreeRecord], report: Report) -> None:
    for record in records:
        staging.pedigree.append(record)
        _merge_donor(
            staging, DonorRecord(record.individual_id, sex=record.sex, origin=record.origin), report
        )
        if record.family_id != NO_FAMILY and record.family_id not in staging.families:
            staging.families[record.family_id] = FamilyRecord(
                record.family_id, origin=record.origin
            )


def _stage_template(staging: Staging, path: Path, report: Report) -> str | None:
    template = template_for(path)
    if template is None:
        report.error(
            "E_UNKNOWN_TEMPLATE",
            Origin(str(path)),
            N_("cannot tell which template this table is"),
            N_(
                "start the file name with one of: %(templates)s (e.g. donors.csv)",
                templates=", ".join(TEMPLATES),
            ),
        )
        return None
    _stage_records(staging, read_template(path, template, report), report)
    return template.name


def _stage_records(staging: Staging, records: list[Any], report: Report) -> None:
    for record in records:
        match record:
            case InstitutionRecord():
                _put(staging.institutions, record.code, record, "institution", report)
            case CollectionRecord():
                _put(staging.collections, record.code, record, "collection", report)
            case DonorRecord():
                # Two template rows for one donor are a duplicate; a template row and a PED
                # or Phenopacket entry for one donor are two sources to merge.
                if record.local_id in staging.template_donors:
                    _put(staging.donors, record.local_id, record, "donor", report)
                else:
                    staging.template_donors.add(record.local_id)
                    _merge_donor(staging, record, report)
            case SampleRecord():
                _put(staging.samples, record.code, record, "sample", report)
            case ConsentRecord():
                key = (record.donor_id, record.document_version)
                _put(staging.consents, key, record, "consent of donor / version", report)
            case EthicsRecord():
                key = (record.committee, record.reference)
                _put(staging.ethics, key, record, "ethics approval", report)
            case FamilyRecord():
                first = staging.families.get(record.code)
                # A family first seen in a PED file carries no details; the template's win.
                if first is not None and first == FamilyRecord(record.code):
                    staging.families[record.code] = record
                else:
                    _put(staging.families, record.code, record, "family", report)
            case DataFileRecord():
                _put(staging.data_files, record.location, record, "data file", report)


@dataclass(frozen=True)
class TemplateRows:
    """Rows of one template given as data rather than as a file (column -> cell, one mapping
    per row), as the API receives them; ``source`` names them in issues."""

    template: str
    rows: Sequence[Mapping[str, str]]
    source: str = "rows"

    def provenance(self) -> InputFile:
        """The rows' provenance: their template, and the size and SHA-256 of their canonical
        JSON."""
        canonical = canonical_json([dict(row) for row in self.rows]).encode("utf-8")
        digest = hashlib.sha256(canonical).hexdigest()
        return InputFile(self.source, self.template, len(canonical), digest)


_RANK = {name: rank for rank, name in enumerate(TEMPLATES)}


def _reading_order(given: Path | TemplateRows) -> int:
    """Where an input is read: the templates in the order their records depend on each other
    (institutions, collections, donors, ...), so that a row's own error is reported before
    the errors of the rows that name it, whatever order the inputs were given in. PED files
    and phenopackets describe donors and families. A workbook, which may hold any template,
    comes first, its sheets in the same order within it (hgr.registry.workbooks)."""
    if isinstance(given, TemplateRows):
        return _RANK[given.template]
    suffix = given.suffix.lower()
    if suffix in PED_SUFFIXES or suffix in JSON_SUFFIXES:
        return _RANK["donors"]
    template = template_for(given) if suffix in TABLE_SUFFIXES else None
    return _RANK[template.name] if template else -1


def stage_files(
    inputs: Sequence[Path | TemplateRows],
    report: Report,
    progress: Progress = silent,
    donor_key: str = "subject",
) -> Staging:
    """Read every input (a file, or template rows given as data) into one :class:`Staging`,
    naming a phenopacket's donor by ``donor_key`` (:data:`DONOR_KEYS`); problems go to
    ``report``."""
    if donor_key not in DONOR_KEYS:
        raise UsageError(
            f"--donor-key must be one of {', '.join(DONOR_KEYS)}, not {donor_key!r}",
            code="E_USAGE",
        )
    staging = Staging()
    seen: set[Path] = set()
    inputs = sorted(inputs, key=_reading_order)
    for number, path in enumerate(inputs):
        if isinstance(path, TemplateRows):
            progress(f"reading {path.template} rows", number, len(inputs))
            template = TEMPLATES[path.template]
            _stage_records(staging, read_rows(path.rows, template, report, path.source), report)
            staging.files.append(path.provenance())
            continue
        progress(f"reading {path.name}", number, len(inputs))
        origin = Origin(str(path))
        if not path.is_file():
            report.error("E_NO_FILE", origin, N_("no such file"), N_("check the path"))
            continue
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        suffix = path.suffix.lower()
        kind: str | None
        if suffix in PED_SUFFIXES:
            kind = "ped"
            _stage_pedigree(staging, read_ped(path, report), report)
        elif suffix in JSON_SUFFIXES:
            kind = "phenopacket"
            content = read_phenopacket(path, report, donor_key)
            for donor in content.donors:
                _merge_donor(staging, donor, report, by_subject=donor_key == "subject")
            if donor_key == "id":
                _same_subject(staging, content.subjects, report)
            staging.phenopacket_ids |= {i for i, subject in content.names if i and i != subject}
            for family in content.families:
                _put(staging.families, family.code, family, "family", report)
            _stage_pedigree(staging, content.pedigree, report)
        elif suffix in TABLE_SUFFIXES:
            kind = _stage_template(staging, path, report)
        elif suffix in WORKBOOK_SUFFIXES:
            kind = "workbook"
            for _template, records in read_workbook(path, report):
                _stage_records(staging, records, report)
        elif suffix == ".xls":
            report.error(
                "E_UNKNOWN_FORMAT",
                origin,
                N_("hgr import does not read the old Excel format (.xls)"),
                N_("save the workbook as an Excel workbook (.xlsx) or as CSV UTF-8"),
            )
            kind = None
        else:
            report.error(
                "E_UNKNOWN_FORMAT",
                origin,
                N_("hgr import does not read %(kind)s files", kind=suffix or "extension-less"),
                N_(
                    "give CSV/TSV templates or Excel workbooks (.xlsx), PED/FAM files or "
                    "Phenopackets JSON"
                ),
            )
            kind = None
        if kind is not None:
            staging.files.append(InputFile(str(path), kind, path.stat().st_size, file_sha256(path)))
    return staging


def entities_written(paths: Sequence[Path]) -> set[str]:
    """The kinds of record importing ``paths`` writes, as the permission rules name them.

    Institutions are registered by national officers, and everything an institution holds
    by its steward; every holdings entity has the same writers, so ``collections`` stands for
    them all. A table is known by its file's name, a workbook by the names of the sheets the
    import reads (a sheet named ``institutions`` in a file named ``holdings.xlsx`` writes
    institutions).
    """
    kinds: set[str] = set()
    for path in paths:
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            names = template_sheets(path) or {"collections"}
        else:
            template = template_for(path)
            names = {template.name if template is not None else "collections"}
        kinds |= {"institutions" if name == "institutions" else "collections" for name in names}
    return kinds
