"""PED / FAM files (PLINK 1 layout): family, individual, father, mother, sex, phenotype.

Columns are separated by tabs or spaces; lines starting with ``#`` (such as a header) are
skipped; columns after the sixth are ignored. Codes follow PLINK 1.9 (cog-genomics.org/plink/1.9/
formats#fam): sex 1 = male, 2 = female, 0 = unknown; phenotype 1 = unaffected, 2 = affected,
0 / -9 = missing; a parent of ``0`` is not in the data set. A family id of ``0`` means the
individual belongs to no declared family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hgr.issues import N_, Origin, Report
from hgr.vocabulary import AffectedStatus, Sex

__all__ = ["NO_FAMILY", "PedigreeRecord", "read_ped"]

NO_FAMILY = "0"
_MISSING = {"0", "-9", "NA", "na", ""}
_SEX = {"1": Sex.MALE, "2": Sex.FEMALE, "M": Sex.MALE, "F": Sex.FEMALE}
_AFFECTED = {"1": AffectedStatus.UNAFFECTED, "2": AffectedStatus.AFFECTED}


@dataclass(frozen=True)
class PedigreeRecord:
    """One individual of a declared pedigree (a PED line or a Phenopacket pedigree person)."""

    family_id: str
    individual_id: str
    father_id: str | None
    mother_id: str | None
    sex: Sex
    affected: AffectedStatus
    condition: str | None = None
    origin: Origin = field(compare=False, default=Origin("<unknown>"))


def read_ped(path: Path, report: Report) -> list[PedigreeRecord]:
    """Parse a PED/FAM file; malformed lines are reported and left out."""
    records: list[PedigreeRecord] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report.error(
            "E_ENCODING",
            Origin(str(path)),
            N_("the file is not UTF-8 text (byte %(start)s)", start=exc.start),
            N_("save it as UTF-8 plain text"),
        )
        return records
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        origin = Origin(str(path), number)
        cells = line.split()
        if len(cells) < 6:
            report.error(
                "E_PED_COLUMNS",
                origin,
                N_("%(cells)s columns where PED needs 6", cells=len(cells)),
                N_("give family, individual, father, mother, sex and phenotype on every line"),
            )
            continue
        fid, iid, father, mother, sex, phenotype = cells[:6]
        if iid in _MISSING:
            report.error(
                "E_PED_ID",
                origin,
                N_("individual id %(iid)s is a missing-value code", iid=repr(iid)),
                N_("give every individual a real id"),
                field="individual",
            )
            continue
        affected = _AFFECTED.get(phenotype, AffectedStatus.UNKNOWN)
        if phenotype not in _AFFECTED and phenotype not in _MISSING:
            report.warning(
                "E_PED_PHENOTYPE",
                origin,
                N_(
                    "phenotype %(phenotype)s is not 1 (unaffected) or 2 (affected); stored "
                    "as unknown",
                    phenotype=repr(phenotype),
                ),
                N_("use 1, 2, or 0 for missing; keep quantitative traits in a phenotype file"),
                field="phenotype",
            )
        records.append(
            PedigreeRecord(
                family_id=fid,
                individual_id=iid,
                father_id=None if father in _MISSING else father,
                mother_id=None if mother in _MISSING else mother,
                sex=_SEX.get(sex, Sex.UNKNOWN),
                affected=affected,
                origin=origin,
            )
        )
    if not records and report.ok:
        report.error(
            "E_EMPTY", Origin(str(path)), N_("the file has no individuals"), N_("add PED lines")
        )
    return records
