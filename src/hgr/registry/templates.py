"""CSV/TSV templates: one per entity, with documented columns.

A template file is recognised by its name: ``donors.csv``, ``samples.tsv``,
``consents-2026.csv`` … start with the template's name. Lists inside a cell are separated by
``;``. The column reference is ``docs/templates.md``; example files are in ``examples/``.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hgr.issues import N_, Origin, Report
from hgr.registry import fields as f
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
from hgr.vocabulary import (
    ConsentStatus,
    ControlStatus,
    DataCategory,
    Encryption,
    EthicsStatus,
    FileKind,
    InstitutionKind,
    MaterialType,
    Sex,
    StorageStatus,
    VitalStatus,
)

__all__ = [
    "TEMPLATES",
    "Column",
    "Template",
    "read_rows",
    "read_sheet",
    "read_table",
    "read_template",
    "template_for",
]

T = TypeVar("T")
Record = Any


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning: str


class Cells:
    """The cells of one row, parsed on demand; every failure is reported, none is raised."""

    def __init__(self, row: dict[str, str], origin: Origin, report: Report) -> None:
        self.row = row
        self.origin = origin
        self.report = report
        self.failed = False

    def _raw(self, name: str) -> str:
        return (self.row.get(name) or "").strip()

    def get(self, name: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        raw = self._raw(name)
        if not raw:
            if required:
                self.failed = True
                self.report.error(
                    "E_REQUIRED",
                    self.origin,
                    N_("value is missing"),
                    N_("fill in `%(column)s`: it is required", column=name),
                    field=name,
                )
            return None
        try:
            return parse(raw)
        except f.FieldError as exc:
            self.failed = True
            self.report.error(exc.code, self.origin, exc.problem, exc.fix, field=name)
            return None

    def need(self, name: str, parse: Callable[[str], T]) -> T:
        # Callers check ``failed`` before using the record, so a placeholder is never stored.
        value = self.get(name, parse, required=True)
        return value  # type: ignore[return-value]

    def text(self, name: str, *, required: bool = False) -> str | None:
        return self.get(name, str, required=required)

    def listed(self, name: str, parse: Callable[[str], T]) -> tuple[T, ...]:
        return tuple(self.get(name, lambda raw: f.parse_list(parse, raw)) or ())


def _institution(c: Cells) -> InstitutionRecord:
    country = c.need("country", f.parse_country)
    legal = c.need("legal_person_id", f.parse_uscc if country == "CN" else str)
    return InstitutionRecord(
        code=c.need("code", str),
        name=c.need("name", str),
        kind=c.need("kind", lambda r: f.parse_enum(InstitutionKind, r)),
        legal_person_id=legal,
        country=country,
        region_code=c.text("region_code"),
        control=c.need("control", lambda r: f.parse_enum(ControlStatus, r)),
        foreign_equity_pct=c.get("foreign_equity_pct", f.parse_percent),
        foreign_voting_pct=c.get("foreign_voting_pct", f.parse_percent),
        control_by_agreement=bool(c.get("control_by_agreement", f.parse_bool)),
        controlling_party=c.text("controlling_party"),
        origin=c.origin,
    )


def _collection(c: Cells) -> CollectionRecord:
    return CollectionRecord(
        code=c.need("collection_id", str),
        name=c.need("name", str),
        material_types=c.listed("material_types", lambda r: f.parse_enum(MaterialType, r)),
        data_categories=c.listed("data_categories", lambda r: f.parse_enum(DataCategory, r)),
        disease_focus=tuple(t.id for t in c.listed("disease_focus", f.parse_diagnosis)),
        target_size=c.get("target_size", lambda r: f.parse_int(r, low=0)),
        duo_codes=tuple(t.id for t in c.listed("duo_codes", f.parse_duo)),
        description=c.text("description"),
        origin=c.origin,
    )


def _donor(c: Cells) -> DonorRecord:
    return DonorRecord(
        local_id=c.need("donor_id", str),
        sex=c.get("sex", lambda r: f.parse_enum(Sex, r)) or Sex.UNKNOWN,
        birth_year=c.get("birth_year", lambda r: f.parse_int(r, low=1850, high=2200)),
        residence_region=c.text("residence_region"),
        population=c.text("population"),
        vital_status=c.get("vital_status", lambda r: f.parse_enum(VitalStatus, r)),
        phenotypes=c.listed("phenotypes", f.parse_phenotype),
        diagnoses=c.listed("diagnoses", f.parse_diagnosis),
        origin=c.origin,
    )


def _sample(c: Cells) -> SampleRecord:
    return SampleRecord(
        code=c.need("sample_id", str),
        donor_id=c.need("donor_id", str),
        material_type=c.need("material_type", lambda r: f.parse_enum(MaterialType, r)),
        collection_code=c.text("collection_id"),
        collection_date=c.get("collection_date", f.parse_date),
        # Empty: the registered status stands (a new sample is available; hgr.registry.importer).
        storage_status=c.get("storage_status", lambda r: f.parse_enum(StorageStatus, r)),
        origin=c.origin,
    )


def _consent(c: Cells) -> ConsentRecord:
    permission = c.need("permission", lambda r: f.parse_duo(r, "permission"))
    return ConsentRecord(
        donor_id=c.need("donor_id", str),
        document_version=c.need("document_version", str),
        document_sha256=c.need("document_sha256", f.parse_sha256),
        signed_on=c.need("signed_on", f.parse_date),
        permission=permission.id if permission else "",
        status=c.need("status", lambda r: f.parse_enum(ConsentStatus, r)),
        disease=c.get("disease", f.parse_mondo),
        modifiers=tuple(t.id for t in c.listed("modifiers", lambda r: f.parse_duo(r, "modifier"))),
        countries=c.listed("countries", f.parse_country),
        time_limit=c.get("time_limit", f.parse_date),
        withdrawn_on=c.get("withdrawn_on", f.parse_date),
        origin=c.origin,
    )


def _ethics(c: Cells) -> EthicsRecord:
    return EthicsRecord(
        committee=c.need("committee", str),
        reference=c.need("reference", str),
        valid_from=c.need("valid_from", f.parse_date),
        valid_to=c.get("valid_to", f.parse_date),
        scope=c.need("scope", str),
        collection_code=c.text("collection_id"),
        status=c.get("status", lambda r: f.parse_enum(EthicsStatus, r)),
        origin=c.origin,
    )


def _family(c: Cells) -> FamilyRecord:
    condition = c.get("condition", f.parse_diagnosis)
    return FamilyRecord(
        code=c.need("family_id", str),
        condition=condition.id if condition else None,
        condition_label=c.text("condition_label"),
        description=c.text("description"),
        proband=c.text("proband"),
        origin=c.origin,
    )


def _data_file(c: Cells) -> DataFileRecord:
    return DataFileRecord(
        location=c.need("location", str),
        kind=c.need("kind", lambda r: f.parse_enum(FileKind, r)),
        size_bytes=c.need("size_bytes", lambda r: f.parse_int(r, low=0)),
        sha256=c.need("sha256", f.parse_sha256),
        encryption=c.get("encryption", lambda r: f.parse_enum(Encryption, r)) or Encryption.NONE,
        collection_code=c.text("collection_id"),
        origin=c.origin,
    )


@dataclass(frozen=True)
class Template:
    """One entity's file layout and how a row becomes a record."""

    name: str
    columns: tuple[Column, ...]
    build: Callable[[Cells], Record]
    needs_institution: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)

    @property
    def key_column(self) -> str:
        """The first column: the key by which rows of other templates name a row of this
        one (institutions, collections, donors, samples, families); consents and ethics
        approvals, which nothing names, have keys of two columns."""
        return self.columns[0].name


def _cols(*spec: tuple[str, bool, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        Template(
            "institutions",
            _cols(
                ("code", True, N_("short code of the institution, unique on the node")),
                ("name", True, N_("registered name")),
                ("kind", True, N_("hospital, university, research_institute, biobank or company")),
                ("legal_person_id", True, N_("legal-person identifier (USCC in China)")),
                ("country", True, N_("ISO 3166-1 alpha-2 country of registration")),
                ("region_code", False, N_("official code of the region, e.g. GB/T 2260 110000")),
                ("control", True, N_("domestic, foreign or foreign_controlled")),
                ("foreign_equity_pct", False, N_("share of equity held by foreign parties, 0-100")),
                ("foreign_voting_pct", False, N_("share of votes held by foreign parties, 0-100")),
                (
                    "control_by_agreement",
                    False,
                    N_("true if a foreign party controls by agreement"),
                ),
                ("controlling_party", False, N_("name of the controlling foreign party")),
            ),
            _institution,
            needs_institution=False,
        ),
        Template(
            "collections",
            _cols(
                ("collection_id", True, N_("the institution's code for the collection")),
                ("name", True, N_("name of the collection")),
                ("material_types", False, N_("materials held, ;-separated (MIABIS)")),
                ("data_categories", False, N_("data held, ;-separated (MIABIS)")),
                ("disease_focus", False, N_("diseases studied: ICD10/ORPHA/MONDO/OMIM codes")),
                ("target_size", False, N_("number of donors planned")),
                ("duo_codes", False, N_("DUO data-use codes of the collection")),
                ("description", False, N_("free text")),
            ),
            _collection,
        ),
        Template(
            "donors",
            _cols(
                ("donor_id", True, N_("the institution's own donor id (stored only as an HMAC)")),
                ("sex", False, N_("male, female, other or unknown")),
                ("birth_year", False, N_("year of birth")),
                ("residence_region", False, N_("official code of the region of residence")),
                ("population", False, N_("population or ethnic group")),
                ("vital_status", False, N_("alive, deceased or unknown")),
                ("phenotypes", False, N_("HPO terms, ;-separated; prefix ! for excluded")),
                (
                    "diagnoses",
                    False,
                    N_("ICD10/ORPHA/MONDO/OMIM codes, ;-separated, each optionally with its label"),
                ),
            ),
            _donor,
        ),
        Template(
            "samples",
            _cols(
                ("sample_id", True, N_("the institution's sample id")),
                ("donor_id", True, N_("the donor it was taken from")),
                ("material_type", True, N_("material type (MIABIS)")),
                ("collection_id", False, N_("collection it belongs to")),
                ("collection_date", False, N_("date taken, YYYY-MM-DD")),
                (
                    "storage_status",
                    False,
                    N_("available, reserved, depleted, destroyed, transferred"),
                ),
            ),
            _sample,
        ),
        Template(
            "consents",
            _cols(
                ("donor_id", True, N_("the donor who signed")),
                ("document_version", True, N_("version of the consent form")),
                ("document_sha256", True, N_("SHA-256 of the signed document")),
                ("signed_on", True, N_("date signed, YYYY-MM-DD")),
                ("permission", True, N_("DUO permission: GRU, HMB, DS, POA or NRES")),
                ("disease", False, N_("MONDO disease, required with DS")),
                ("modifiers", False, N_("DUO modifiers, ;-separated (NCU, IRB, GS, TS …)")),
                ("countries", False, N_("ISO countries, required with GS")),
                ("time_limit", False, N_("end of permitted use, required with TS")),
                ("status", True, N_("active, withdrawn, expired or superseded")),
                ("withdrawn_on", False, N_("date of withdrawal, required when withdrawn")),
            ),
            _consent,
        ),
        Template(
            "ethics_approvals",
            _cols(
                ("committee", True, N_("name of the ethics committee")),
                ("reference", True, N_("the committee's approval reference")),
                ("valid_from", True, N_("first day of validity")),
                ("valid_to", False, N_("last day of validity")),
                ("scope", True, N_("what the approval covers")),
                ("collection_id", False, N_("collection the approval covers")),
                ("status", False, N_("active (default), suspended or withdrawn")),
            ),
            _ethics,
        ),
        Template(
            "families",
            _cols(
                ("family_id", True, N_("family id as used in PED files")),
                ("condition", False, N_("hereditary condition followed: ICD10/ORPHA/MONDO/OMIM")),
                ("condition_label", False, N_("name of the condition")),
                ("description", False, N_("free text")),
                ("proband", False, N_("donor id of the proband, a member in the family's PED")),
            ),
            _family,
        ),
        Template(
            "data_files",
            _cols(
                ("location", True, N_("path or URI of the file")),
                ("kind", True, N_("vcf, bcf, plink, cram, bam, fastq, phenotypes, …")),
                ("size_bytes", True, N_("size in bytes")),
                ("sha256", True, N_("SHA-256 of the plaintext")),
                ("encryption", False, N_("none or crypt4gh")),
                ("collection_id", False, N_("collection the file belongs to")),
            ),
            _data_file,
        ),
    ]
}


def blank_template(name: str) -> str:
    """A blank template to fill in: its header row, as CSV with a byte-order mark (so that a
    spreadsheet opens the Chinese text in it as UTF-8; the importer reads it as
    ``utf-8-sig``). Raises KeyError for a name that is no template."""
    return "\ufeff" + ",".join(TEMPLATES[name].column_names) + "\r\n"


def template_for(path: Path) -> Template | None:
    """The template a file name announces (longest matching name first), or None."""
    stem = path.name.lower()
    for name in sorted(TEMPLATES, key=len, reverse=True):
        if stem.startswith(name):
            return TEMPLATES[name]
    return None


_DELIMITER_NAMES = {
    ",": "commas (,)",
    ";": "semicolons (;)",
    "\t": "tabs",
    "|": "vertical bars (|)",
}


def _other_delimiter(header: str, expected: str) -> str | None:
    """The separator a one-column header line holds instead of ``expected``, if any."""
    found = [d for d in _DELIMITER_NAMES if d != expected and d in header]
    return max(found, key=header.count) if found else None


def read_table(
    path: Path, report: Report, check_header: Callable[[set[str]], bool] | None = None
) -> Iterator[tuple[Origin, dict[str, str]]]:
    """Rows of a CSV (``.csv``) or TSV (anything else) file with a header line.

    Undecodable text, a missing header and rows with the wrong number of cells are reported;
    comment lines starting with ``#`` are skipped. ``check_header`` sees the header before any
    row (so a file with a header alone is checked too); when it returns False no row is read.
    """
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error(
            "E_ENCODING",
            Origin(str(path)),
            N_("the file is not UTF-8 text (byte %(byte)s)", byte=exc.start),
            N_("save it as UTF-8 (Excel: CSV UTF-8)"),
        )
        return
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    if not lines:
        report.error("E_EMPTY", Origin(str(path)), N_("the file is empty"), N_("add a header line"))
        return
    reader = csv.reader((line for _, line in lines), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        if len(header) == 1 and (other := _other_delimiter(lines[0][1], delimiter)):
            # Excel in much of Europe saves "CSV" with semicolons; read with commas, the whole
            # header is one column and every column looks missing.
            report.error(
                "E_DELIMITER",
                Origin(str(path), lines[0][0]),
                N_(
                    "the columns are separated by %(found)s, but a %(kind)s file's are "
                    "separated by %(expected)s",
                    found=_DELIMITER_NAMES[other],
                    kind="CSV" if delimiter == "," else "TSV",
                    expected=_DELIMITER_NAMES[delimiter],
                ),
                N_(
                    "save it as CSV UTF-8 (commas) or as tab-separated text named .tsv, or "
                    "replace the separators"
                ),
            )
            return
        if repeated_columns(header, Origin(str(path), lines[0][0]), report):
            return
        if check_header is not None and not check_header(set(header)):
            return
        for (number, _), cells in zip(lines[1:], reader, strict=False):
            origin = Origin(str(path), number)
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                report.error(
                    "E_CELLS",
                    origin,
                    N_(
                        "%(cells)s cells where the header has %(columns)s",
                        cells=len(cells),
                        columns=len(header),
                    ),
                    N_("check for a missing or extra separator, or quote cells that contain one"),
                )
                continue
            yield origin, dict(zip(header, cells, strict=True))
    except csv.Error as exc:
        report.error(
            "E_CSV",
            Origin(str(path)),
            N_("not a valid table: %(why)s", why=str(exc)),
            N_("quote cells correctly"),
        )


def read_template(path: Path, template: Template, report: Report) -> list[Record]:
    """Read every row of a template file, reporting each bad cell."""
    header_origin = Origin(str(path), 1)
    rows = read_table(
        path, report, lambda header: _check_header(header_origin, template, header, report)
    )
    return _build(template, rows, report)


def read_sheet(
    header: Sequence[str],
    rows: Iterable[tuple[Origin, dict[str, str]]],
    template: Template,
    report: Report,
    header_origin: Origin,
) -> list[Record]:
    """Read rows already split into cells (a spreadsheet's sheet), as read_template reads a
    file: ``header`` the column names (lower-cased and stripped), ``rows`` each row's origin
    and cells by column."""
    if repeated_columns(header, header_origin, report):
        return []
    if not _check_header(header_origin, template, set(header), report):
        return []
    return _build(template, rows, report)


def read_rows(
    rows: Sequence[Mapping[str, str]], template: Template, report: Report, source: str = "rows"
) -> list[Record]:
    """Read template rows given as data (column -> cell, one mapping per row), as
    read_template reads a file. Issues point into ``source`` by JSON pointer: ``/rows/<n>``
    for the n-th row, ``/rows`` for the columns of every row. A column a row leaves out is an
    empty cell of it; a row of empty cells is skipped, as an empty line of a file is."""
    named: list[dict[str, str]] = []
    for n, row in enumerate(rows):
        names = [column.strip().lower() for column in row]
        repeated_columns(names, Origin(source, None, f"/rows/{n}"), report)
        named.append(dict(zip(names, row.values(), strict=True)))
    header = sorted({column for row in named for column in row})
    if not _check_header(Origin(source, None, "/rows"), template, set(header), report):
        return []
    given = (
        (Origin(source, None, f"/rows/{n}"), {column: row.get(column, "") for column in header})
        for n, row in enumerate(named)
        if any(cell.strip() for cell in row.values())
    )
    return _build(template, given, report)


def repeated_columns(names: Sequence[str], origin: Origin, report: Report) -> bool:
    """Report each column named more than once in ``names`` (already lower-cased and
    stripped, so ``Sex`` and ``sex`` are one column), and say whether there was one: neither
    copy may silently win over the other."""
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    for name in repeated:
        report.error(
            "E_DUPLICATE_COLUMN",
            origin,
            N_("column `%(column)s` is given more than once", column=name),
            N_("give each column once: names are read without case or surrounding spaces"),
            field=name,
        )
    return bool(repeated)


def _build(
    template: Template, rows: Iterable[tuple[Origin, dict[str, str]]], report: Report
) -> list[Record]:
    records: list[Record] = []
    for origin, row in rows:
        cells = Cells(row, origin, report)
        record = template.build(cells)
        if cells.failed:
            report.refused.add((template.name, row.get(template.key_column, "").strip()))
        else:
            records.append(record)
    return records


def _check_header(origin: Origin, template: Template, header: set[str], report: Report) -> bool:
    known = set(template.column_names)
    ok = True
    for name in sorted(header - known):
        ok = False
        report.error(
            "E_UNKNOWN_COLUMN",
            origin,
            N_(
                "unknown column `%(column)s` in a %(template)s template",
                column=name,
                template=template.name,
            ),
            N_(
                "rename or remove it; the columns are: %(columns)s",
                columns=", ".join(template.column_names),
            ),
            field=name,
        )
    for col in template.columns:
        if col.required and col.name not in header:
            ok = False
            report.error(
                "E_MISSING_COLUMN",
                origin,
                N_("required column `%(column)s` is missing", column=col.name),
                N_("add a `%(column)s` column: %(meaning)s", column=col.name, meaning=col.meaning),
                field=col.name,
            )
    return ok
