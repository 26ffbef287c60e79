"""GA4GH Phenopackets v2 JSON: individuals, phenotypic features, diseases, family pedigrees.

Reads a ``Phenopacket`` (one individual) or a ``Family`` (proband, relatives and a PED-like
pedigree), following the v2 schema (phenopacket-schema.readthedocs.io, "Phenopacket" and
"Family").

**Which donor a phenopacket describes** (:data:`DONOR_KEYS`). By default its ``subject.id``,
the institution's own id of the individual: two files with the same subject are the same
donor, and must agree. A collection gathered from many sources (phenopacket-store's case
reports) reuses subject ids across them ("Patient 2" of two publications is two people): there
the donor is named by the phenopacket's own ``id``, unique in the collection
(``--donor-key id``). A Family's pedigree then names its members by their phenopackets' ids
too, and a person without one, and the family, within the Family's id (``FAM-1/I-1``). A
real conflict is still refused: the same phenopacket given twice with a different sex, and
two phenopackets of one subject of one source (the same ``subject.id`` and the same
``metaData.externalReferences``) with a different sex.

Elements that the registry does not keep (measurements, medical actions, variant
interpretations, files) are left to the file itself, which can be registered as a data file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hgr.issues import N_, Origin, Report
from hgr.pedigree.ped import PedigreeRecord
from hgr.registry import fields as f
from hgr.registry.records import DonorRecord, FamilyRecord
from hgr.vocabulary import AffectedStatus, Sex, VitalStatus

__all__ = ["DONOR_KEYS", "PhenopacketContent", "read_phenopacket"]

DONOR_KEYS = ("subject", "id")
"""What names a phenopacket's donor: its ``subject.id`` or the phenopacket's ``id``."""

_SEX = {
    "MALE": Sex.MALE,
    "FEMALE": Sex.FEMALE,
    "OTHER_SEX": Sex.OTHER,
    "UNKNOWN_SEX": Sex.UNKNOWN,
}
_VITAL = {
    "ALIVE": VitalStatus.ALIVE,
    "DECEASED": VitalStatus.DECEASED,
    "UNKNOWN_STATUS": VitalStatus.UNKNOWN,
}
_AFFECTED = {
    "AFFECTED": AffectedStatus.AFFECTED,
    "UNAFFECTED": AffectedStatus.UNAFFECTED,
    "MISSING": AffectedStatus.UNKNOWN,
}


class PhenopacketContent:
    """What one Phenopackets file contributes to an import."""

    def __init__(self) -> None:
        self.donors: list[DonorRecord] = []
        self.families: list[FamilyRecord] = []
        self.pedigree: list[PedigreeRecord] = []
        # Each donor's source and subject id: with donors named by phenopacket id, two
        # phenopackets of one subject of one source still describe one person.
        self.subjects: list[tuple[tuple[str, str], DonorRecord]] = []
        # Each donor's phenopacket id and subject id: the names the two rules give it.
        self.names: list[tuple[str, str]] = []


def _source(document: dict[str, Any]) -> str:
    """Where a phenopacket comes from: its metaData's external references (phenopacket-store
    gives each case report's PMID there), sorted; empty when it names none."""
    meta = document.get("metaData")
    references = meta.get("externalReferences") if isinstance(meta, dict) else None
    if not isinstance(references, list):
        return ""
    ids = {str(r.get("id", "")).strip() for r in references if isinstance(r, dict)}
    return ";".join(sorted(i for i in ids if i))


def _schema_version(document: dict[str, Any]) -> str | None:
    meta = document.get("metaData")
    if not isinstance(meta, dict):
        return None
    version = meta.get("phenopacketSchemaVersion")
    return str(version) if version is not None else None


def _individual(
    packet: dict[str, Any], path: Path, pointer: str, report: Report, donor_key: str
) -> DonorRecord | None:
    origin = Origin(str(path), pointer=pointer)
    subject = packet.get("subject")
    if not isinstance(subject, dict) or not str(subject.get("id", "")).strip():
        report.error(
            "E_PHENOPACKET_SUBJECT",
            origin,
            N_("the phenopacket has no subject with an id"),
            N_("add subject.id: the institution's id of the individual"),
            field="subject.id",
        )
        return None
    if donor_key == "id" and not str(packet.get("id", "")).strip():
        report.error(
            "E_PHENOPACKET_SUBJECT",
            origin,
            N_("the phenopacket has no id, which names its donor here (--donor-key id)"),
            N_("add the phenopacket's id, or name donors by subject.id (--donor-key subject)"),
            field="id",
        )
        return None
    failed = False

    def term(parse: Any, raw: Any, where: str) -> f.Term | None:
        nonlocal failed
        try:
            return parse(str(raw)) if raw is not None else None
        except f.FieldError as exc:
            failed = True
            report.error(exc.code, Origin(str(path), pointer=where), exc.problem, exc.fix)
            return None

    sex_raw = subject.get("sex", "UNKNOWN_SEX")
    sex = _SEX.get(str(sex_raw))
    if sex is None:
        failed = True
        report.error(
            "E_FIELD",
            origin,
            N_("subject.sex %(sex_raw)s is not a Phenopackets sex", sex_raw=repr(sex_raw)),
            N_("use one of: %(value)s", value=", ".join(_SEX)),
            field="subject.sex",
        )
    vital_raw = (subject.get("vitalStatus") or {}).get("status")
    vital = _VITAL.get(str(vital_raw)) if vital_raw is not None else None
    if vital_raw is not None and vital is None:
        failed = True
        report.error(
            "E_FIELD",
            origin,
            N_(
                "subject.vitalStatus.status %(vital_raw)s is not a Phenopackets vital status",
                vital_raw=repr(vital_raw),
            ),
            N_("use one of: %(value)s", value=", ".join(_VITAL)),
            field="subject.vitalStatus.status",
        )
    birth_year = None
    born = subject.get("dateOfBirth")
    if born:
        try:
            birth_year = int(str(born)[:4])
        except ValueError:
            failed = True
            report.error(
                "E_DATE",
                origin,
                N_("subject.dateOfBirth %(born)s is not a timestamp", born=repr(born)),
                N_("write an RFC 3339 timestamp, e.g. 1984-03-01T00:00:00Z"),
                field="subject.dateOfBirth",
            )
    phenotypes: dict[str, f.Term] = {}
    for n, feature in enumerate(packet.get("phenotypicFeatures") or []):
        where = f"{pointer}/phenotypicFeatures/{n}/type/id"
        parsed = term(f.parse_phenotype, (feature.get("type") or {}).get("id"), where)
        if parsed is not None:
            phenotypes[parsed.id] = f.Term(
                parsed.id, (feature.get("type") or {}).get("label"), bool(feature.get("excluded"))
            )
    diagnoses: dict[str, f.Term] = {}
    diseases = [(n, d.get("term") or {}, d) for n, d in enumerate(packet.get("diseases") or [])]
    for n, disease_term, disease in diseases:
        if disease.get("excluded"):
            continue
        where = f"{pointer}/diseases/{n}/term/id"
        parsed = term(f.parse_diagnosis, disease_term.get("id"), where)
        if parsed is not None:
            diagnoses[parsed.id] = f.Term(parsed.id, (disease_term.get("label") or "").strip())
    for n, interpretation in enumerate(packet.get("interpretations") or []):
        disease_term = ((interpretation.get("diagnosis") or {}).get("disease")) or {}
        if disease_term.get("id") and disease_term["id"] not in diagnoses:
            where = f"{pointer}/interpretations/{n}/diagnosis/disease/id"
            parsed = term(f.parse_diagnosis, disease_term["id"], where)
            if parsed is not None:
                diagnoses[parsed.id] = f.Term(parsed.id, (disease_term.get("label") or "").strip())
    if failed:
        return None
    return DonorRecord(
        local_id=str((packet if donor_key == "id" else subject)["id"]).strip(),
        sex=sex,
        birth_year=birth_year,
        vital_status=vital,
        phenotypes=tuple(phenotypes.values()),
        diagnoses=tuple(diagnoses.values()),
        origin=origin,
    )


def _pedigree(
    document: dict[str, Any],
    path: Path,
    conditions: list[str],
    report: Report,
    names: dict[str, str],
    scoped: bool,
) -> list[PedigreeRecord]:
    """The Family's pedigree. ``names`` renames a person described by a member phenopacket
    (its subject id) to that member's donor id; with ``scoped`` (donors named by phenopacket
    id), every other person and the family are named within the Family's own id, so that two
    publications' "I-1" or "F1" are not taken for one person or one family."""
    records = []
    persons = (document.get("pedigree") or {}).get("persons") or []
    document_id = str(document.get("id", "")).strip()

    def name(person_id: str) -> str:
        if person_id in names:
            return names[person_id]
        return f"{document_id}/{person_id}" if scoped else person_id

    for n, person in enumerate(persons):
        origin = Origin(str(path), pointer=f"/pedigree/persons/{n}")
        iid = str(person.get("individualId", "")).strip()
        fid = str(person.get("familyId", "")).strip() or document_id
        if scoped and fid != document_id:
            fid = f"{document_id}/{fid}"
        if not iid:
            report.error(
                "E_PED_ID",
                origin,
                N_("pedigree person has no individualId"),
                N_("add individualId"),
            )
            continue
        status = _AFFECTED.get(str(person.get("affectedStatus", "MISSING")), AffectedStatus.UNKNOWN)
        father = str(person.get("paternalId") or "").strip() or None
        mother = str(person.get("maternalId") or "").strip() or None
        records.append(
            PedigreeRecord(
                family_id=fid,
                individual_id=name(iid),
                father_id=name(father) if father else None,
                mother_id=name(mother) if mother else None,
                sex=_SEX.get(str(person.get("sex", "UNKNOWN_SEX")), Sex.UNKNOWN),
                affected=status,
                # "affected" refers to the proband's diagnosis, the family's condition
                condition=conditions[0] if conditions else None,
                origin=origin,
            )
        )
    return records


def read_phenopacket(path: Path, report: Report, donor_key: str = "subject") -> PhenopacketContent:
    """Read a Phenopacket or Family document, naming donors by ``donor_key`` (one of
    :data:`DONOR_KEYS`, module docstring); problems go to ``report``."""
    content = PhenopacketContent()
    origin = Origin(str(path))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        report.error(
            "E_ENCODING",
            origin,
            N_("not UTF-8 text (byte %(start)s)", start=exc.start),
            N_("save as UTF-8"),
        )
        return content
    except json.JSONDecodeError as exc:
        report.error(
            "E_JSON",
            Origin(str(path), exc.lineno),
            N_("not valid JSON: %(msg)s (column %(colno)s)", msg=exc.msg, colno=exc.colno),
            N_("repair the JSON; a validator such as `python -m json.tool FILE` shows where"),
        )
        return content
    version = _schema_version(document) if isinstance(document, dict) else None
    if version is None or not version.startswith("2"):
        found = f"schema version {version}" if version else "no metaData.phenopacketSchemaVersion"
        report.error(
            "E_NOT_PHENOPACKET",
            origin,
            N_("not a GA4GH Phenopacket v2 document (%(found)s)", found=found),
            N_("export the record as a Phenopacket v2 (metaData.phenopacketSchemaVersion 2.0)"),
        )
        return content
    if "proband" in document:
        packets = [document["proband"], *(document.get("relatives") or [])]
        pointers = ["/proband", *(f"/relatives/{n}" for n in range(len(packets) - 1))]
        members = [
            _individual(packet, path, pointer, report, donor_key)
            for packet, pointer in zip(packets, pointers, strict=True)
        ]
        proband = members[0]
        content.donors = [m for m in members if m is not None]
        # A member's subject id is a label of its family's pedigree (II-1): one publication's
        # two families each have their own II-1, so it is read within the Family's id.
        family_id = str(document.get("id", "")).strip()
        content.subjects = [
            ((_source(document), f"{family_id}/{str(packet['subject']['id']).strip()}"), member)
            for packet, member in zip(packets, members, strict=True)
            if member is not None
        ]
        content.names = [
            (str(packet.get("id", "")).strip(), str(packet["subject"]["id"]).strip())
            for packet, member in zip(packets, members, strict=True)
            if member is not None
        ]
        conditions = [d.id for d in (proband.diagnoses or ())] if proband else []
        names = {
            str(packet["subject"]["id"]).strip(): member.local_id
            for packet, member in zip(packets, members, strict=True)
            if member is not None
        }
        if donor_key == "id" and not str(document.get("id", "")).strip():
            report.error(
                "E_PHENOPACKET_SUBJECT",
                origin,
                N_(
                    "the family has no id, within which its members are named here (--donor-key id)"
                ),
                N_("add the family's id, or name donors by subject.id (--donor-key subject)"),
                field="id",
            )
            return content
        content.pedigree = _pedigree(
            document, path, conditions, report, names, scoped=donor_key == "id"
        )
        family_ids = {r.family_id for r in content.pedigree}
        labels = {d.id: d.label for d in (proband.diagnoses or ())} if proband else {}
        for family_id in sorted(family_ids):
            condition = conditions[0] if conditions else None
            content.families.append(
                FamilyRecord(
                    code=family_id,
                    condition=condition,
                    condition_label=labels.get(condition) if condition else None,
                    proband=proband.local_id if proband else None,
                    origin=origin,
                )
            )
    else:
        donor = _individual(document, path, "", report, donor_key)
        if donor is not None:
            content.donors.append(donor)
            subject = str(document["subject"]["id"]).strip()
            content.subjects.append(((_source(document), subject), donor))
            content.names.append((str(document.get("id", "")).strip(), subject))
    return content
