"""``hgr import``: validate everything first, then write everything in one transaction.

An import with any error writes nothing. Writing upserts on natural keys, so importing the
same files again changes nothing (not even the import log). A dry run performs the writes and
rolls them back, so that its report of what would change is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hgr import __version__
from hgr.audit import SYSTEM, Actor, record
from hgr.crypto import NodeKeys
from hgr.dates import utc_now
from hgr.db import Base, Database
from hgr.db.seals import Sealing, allocate_ids, sealed_tables
from hgr.exceptions import Conflict, NotFound, ValidationFailed
from hgr.issues import N_, Issue, Origin, Report, Severity
from hgr.pedigree import NO_FAMILY, FamilyCheck, check_pedigrees
from hgr.pedigree.ped import PedigreeRecord
from hgr.progress import Progress, silent
from hgr.registry import models as m
from hgr.registry.checks import KnownRecords, check_staging
from hgr.registry.history import FieldChange, keep_versions
from hgr.registry.staging import Staging, TemplateRows, stage_files
from hgr.vocabulary import AffectedStatus, Sex, StorageStatus, VitalStatus

__all__ = ["ImportResult", "import_files"]

UNSPECIFIED_CONDITION = "unspecified"


@dataclass
class Changes:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportResult:
    """What an import found and did."""

    report: Report
    families: list[FamilyCheck]
    changes: dict[str, Changes] = field(default_factory=dict)
    dry_run: bool = False
    batch_id: int | None = None
    differences: list[FieldChange] = field(default_factory=list)
    """Every field of a registered record the import changes (or, in a dry run, would)."""

    @property
    def changed(self) -> bool:
        return any(c.inserted or c.updated for c in self.changes.values())


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _blank(value: Any) -> bool:
    """Whether a value is what an empty cell gives: nothing, or an empty list."""
    return value is None or value == [] or value == ()


def _upsert(
    session: Session,
    model: type[Base],
    keys: Sequence[str],
    rows: Iterable[dict[str, Any]],
    scope: ColumnElement[bool] | None,
    now: dt.datetime,
    *,
    diffs: list[FieldChange] | None = None,
    names: Callable[[tuple[Any, ...]], str] | None = None,
    clear: frozenset[str] | None = frozenset(),
) -> tuple[Changes, dict[tuple[Any, ...], int]]:
    """Insert new rows and update changed ones, matching on ``keys`` within ``scope``.

    Only the columns present in a row are compared and written. An empty value (an empty
    cell) never overwrites a registered one, unless its column is in ``clear``; ``clear=None``
    makes every given value count, empty or not (a PED line states its parents in full). Each
    field an update changes goes to ``diffs``, its record named by ``names(key)``. Rows of a
    sealed table are sealed as written (hgr.db.seals); a new row takes its id first.
    Returns the changes and the id of every row in scope, by key.
    """
    table = _table(model)
    rows = list(rows)
    changes = Changes()
    value_columns = sorted({c for row in rows for c in row} - set(keys))
    sealed = sealed_tables().get(table.name, ())
    sealing = Sealing(session) if sealed else None
    read = sorted(set(value_columns) | set(sealed) - set(keys))
    query = select(table.c.id, *(table.c[k] for k in keys), *(table.c[c] for c in read))
    if sealed:
        query = query.add_columns(table.c.seal)
    if scope is not None:
        query = query.where(scope)
    existing: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    for db_row in session.execute(query):
        mapping = db_row._mapping
        existing[tuple(mapping[k] for k in keys)] = (
            mapping["id"],
            {c: mapping[c] for c in ("id", *keys, *read, *(["seal"] if sealed else []))},
        )
    to_insert, to_update = [], []
    stamped = "updated_at" in table.c
    for row in rows:
        key = tuple(row[k] for k in keys)
        found = existing.get(key)
        if found is None:
            to_insert.append(row)
            continue
        changed = {
            c: row[c]
            for c in row
            if c not in keys
            and found[1][c] != row[c]
            and (clear is None or c in clear or not _blank(row[c]))
        }
        if not changed:
            changes.unchanged += 1
            continue
        update_row = {"id": found[0], **changed}
        if sealing is not None:
            update_row["seal"] = sealing.updated(
                table.name, found[1], found[1] | changed, found[1]["seal"]
            )
        if stamped:
            update_row["updated_at"] = now
        to_update.append(update_row)
        if diffs is not None:
            record = names(key) if names else f"{table.name} {'/'.join(map(str, key[1:]))}"
            diffs.extend(
                FieldChange(table.name, found[0], record, c, found[1][c], v)
                for c, v in changed.items()
            )
    if to_insert and sealing is not None:
        for row, row_id in zip(
            to_insert, allocate_ids(session, table, len(to_insert)), strict=True
        ):
            row["id"] = row_id
            sealing.inserted(table.name, row)
    if to_insert:
        session.execute(insert(table), to_insert)
    if to_update:
        _bulk_update(session, table, to_update)
    changes.inserted, changes.updated = len(to_insert), len(to_update)
    ids: dict[tuple[Any, ...], int] = {key: value[0] for key, value in existing.items()}
    if to_insert:
        id_query = select(table.c.id, *(table.c[k] for k in keys))
        if scope is not None:
            id_query = id_query.where(scope)
        ids = {tuple(r[1:]): r[0] for r in session.execute(id_query)}
    return changes, ids


def _bulk_update(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    # Rows may differ in which columns they set, so group them by column set: one
    # executemany per group.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(c for c in row if c != "id")), []).append(row)
    for columns, group in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({c: bindparam(f"new_{c}") for c in columns})
        )
        params = [{"row_id": r["id"], **{f"new_{c}": r[c] for c in columns}} for r in group]
        session.execute(statement, params)


def _known(session: Session, institution_id: int | None, pseudonyms: bool) -> KnownRecords:
    known = KnownRecords()
    known.regions = {code: rid for rid, code in session.execute(select(m.Region.id, m.Region.code))}
    for iid, code, legal in session.execute(
        select(m.Institution.id, m.Institution.code, m.Institution.legal_person_id)
    ):
        known.institutions[code] = iid
        known.legal_ids[legal] = code
    if institution_id is not None:
        known.collections = set(
            session.scalars(
                select(m.Collection.code).where(m.Collection.institution_id == institution_id)
            )
        )
        if pseudonyms:
            known.donor_pseudonyms = set(
                session.scalars(
                    select(m.Donor.pseudonym).where(m.Donor.institution_id == institution_id)
                )
            )
    return known


class _Writer:
    """Writes a checked staging area for one institution, entity by entity."""

    def __init__(
        self,
        session: Session,
        staging: Staging,
        known: KnownRecords,
        keys: NodeKeys,
        institution_code: str | None,
        families: list[FamilyCheck],
        clear: frozenset[str] = frozenset(),
    ) -> None:
        self.session = session
        self.clear = clear
        self.diffs: list[FieldChange] = []
        self.local_ids: dict[str, str] = {}  # donor pseudonym -> the institution's own id
        self.donor_names: dict[int, str] = {}  # donor id -> "donor <the institution's id>"
        self.donor_ids: dict[tuple[Any, ...], int] = {}  # (institution, pseudonym) -> donor id
        self.staging = staging
        self.known = known
        self.keys = keys
        self.institution_code = institution_code
        self.depths = {f.family_id: f.depth for f in families}
        self.generation = {(f.family_id, i): g for f in families for i, g in f.generation.items()}
        self.now = utc_now()
        self.changes: dict[str, Changes] = {}
        self.institution_id: int | None = None
        self.rows_written: dict[str, int] = {}

    def upsert(
        self,
        name: str,
        model: type[Base],
        keys: Sequence[str],
        rows: Iterable[dict[str, Any]],
        scope: ColumnElement[bool] | None,
        names: Callable[[tuple[Any, ...]], str] | None = None,
        clear: frozenset[str] = frozenset(),
    ) -> dict[tuple[Any, ...], int]:
        changes, ids = _upsert(
            self.session,
            model,
            keys,
            rows,
            scope,
            self.now,
            diffs=self.diffs,
            names=names,
            clear=self.clear | clear,
        )
        if changes.inserted or changes.updated or changes.unchanged:
            self.changes[name] = changes
        self._wrote(model.__tablename__, changes.inserted + changes.updated)
        return ids

    def _wrote(self, table: str, rows: int) -> None:
        self.rows_written[table] = self.rows_written.get(table, 0) + rows

    def pseudonym(self, local_id: str) -> str:
        assert self.institution_code is not None
        return self.keys.pseudonymiser.pseudonym(self.institution_code, local_id)

    def write(self, progress: Progress = silent) -> None:
        steps = 7
        progress("writing institutions", 0, steps)
        self.write_institutions()
        if self.institution_code is None:
            return
        self.institution_id = self.known.institutions[self.institution_code]
        progress("writing collections", 1, steps)
        collections = self.write_collections()
        progress("writing donors", 2, steps)
        donors = self.write_donors()
        progress("writing samples", 3, steps)
        self.write_samples(donors, collections)
        progress("writing consents", 4, steps)
        self.write_consents(donors)
        progress("writing ethics approvals and pedigrees", 5, steps)
        self.write_ethics(collections)
        self.write_pedigrees(donors)
        progress("writing data files", 6, steps)
        self.write_data_files(collections)
        progress("committing", steps, steps)

    def write_institutions(self) -> None:
        rows = [
            {
                "code": r.code,
                "name": r.name,
                "kind": r.kind,
                "legal_person_id": r.legal_person_id,
                "country": r.country,
                "region_id": self.known.regions.get(r.region_code) if r.region_code else None,
                "control": r.control,
                "foreign_equity_pct": r.foreign_equity_pct,
                "foreign_voting_pct": r.foreign_voting_pct,
                "control_by_agreement": r.control_by_agreement,
                "controlling_party": r.controlling_party,
            }
            for r in self.staging.institutions.values()
        ]
        if rows:
            ids = self.upsert("institutions", m.Institution, ["code"], rows, None)
            self.known.institutions.update({key[0]: i for key, i in ids.items()})

    def write_collections(self) -> dict[str, int]:
        rows = [
            {
                "institution_id": self.institution_id,
                "code": r.code,
                "name": r.name,
                "description": r.description,
                "material_types": [t.value for t in r.material_types],
                "data_categories": [t.value for t in r.data_categories],
                "disease_focus": list(r.disease_focus),
                "target_size": r.target_size,
                "duo_codes": list(r.duo_codes),
            }
            for r in self.staging.collections.values()
        ]
        scope = m.Collection.institution_id == self.institution_id
        ids = self.upsert("collections", m.Collection, ["institution_id", "code"], rows, scope)
        return {key[1]: i for key, i in ids.items()}

    def write_donors(self) -> Callable[[str], int]:
        rows = []
        pseudonyms = {}
        for r in self.staging.donors.values():
            pseudonym = pseudonyms[r.local_id] = self.pseudonym(r.local_id)
            row: dict[str, Any] = {"institution_id": self.institution_id, "pseudonym": pseudonym}
            new = pseudonym not in self.known.donor_pseudonyms
            # Fields a source did not give keep their stored value; a new donor gets defaults.
            if r.sex is not None and (new or r.sex is not Sex.UNKNOWN):
                row["sex"] = r.sex
            elif new:
                row["sex"] = Sex.UNKNOWN
            if r.vital_status is not None or new:
                row["vital_status"] = r.vital_status or VitalStatus.UNKNOWN
            for column, value in (
                ("birth_year", r.birth_year),
                ("population", r.population),
                (
                    "residence_region_id",
                    self.known.regions.get(r.residence_region) if r.residence_region else None,
                ),
            ):
                if value is not None or new:
                    row[column] = value
            rows.append(row)
        self.local_ids.update({p: local for local, p in pseudonyms.items()})
        scope = m.Donor.institution_id == self.institution_id
        ids = self.upsert(
            "donors",
            m.Donor,
            ["institution_id", "pseudonym"],
            rows,
            scope,
            names=lambda key: f"donor {self.local_ids.get(key[1], key[1])}",
        )
        by_pseudonym = {key[1]: i for key, i in ids.items()}
        self.donor_ids = ids
        self.donor_names = {i: f"donor {self.local_ids.get(p, p)}" for p, i in by_pseudonym.items()}
        self.write_terms(
            m.DonorPhenotype,
            "phenotypes",
            {
                by_pseudonym[pseudonyms[r.local_id]]: {
                    (t.id, t.label, t.excluded) for t in r.phenotypes or ()
                }
                for r in self.staging.donors.values()
                # An empty cell keeps the registered terms, unless asked to clear them.
                if r.phenotypes or "phenotypes" in self.clear
            },
        )
        self.write_terms(
            m.DonorDiagnosis,
            "diagnoses",
            {
                by_pseudonym[pseudonyms[r.local_id]]: {
                    (t.id, t.label, False) for t in r.diagnoses or ()
                }
                for r in self.staging.donors.values()
                if r.diagnoses or "diagnoses" in self.clear
            },
        )

        def donor_id(local_id: str) -> int:
            return by_pseudonym[self.pseudonym(local_id)]

        return donor_id

    def write_terms(
        self,
        model: type[m.DonorPhenotype] | type[m.DonorDiagnosis],
        name: str,
        wanted: dict[int, set[tuple[str, str | None, bool]]],
    ) -> None:
        """Replace a donor's terms when the given set differs from the stored one."""
        if not wanted:
            return
        table = _table(model)
        has_excluded = "excluded" in table.c
        stored: dict[int, set[tuple[str, str | None, bool]]] = {d: set() for d in wanted}
        columns = [table.c.donor_id, table.c.term_id, table.c.label]
        if has_excluded:
            columns.append(table.c.excluded)
        query = (
            select(*columns)
            .join(m.Donor, m.Donor.id == table.c.donor_id)
            .where(m.Donor.institution_id == self.institution_id)
        )
        for row in self.session.execute(query):
            if row[0] in stored:
                stored[row[0]].add((row[1], row[2], bool(row[3]) if has_excluded else False))
        changed = [d for d in wanted if wanted[d] != stored[d]]
        self.diffs.extend(
            FieldChange(
                "donor",
                d,
                self.donor_names.get(d, f"donor {d}"),
                name,
                sorted(stored[d]),
                sorted(wanted[d]),
            )
            for d in changed
            if stored[d]  # a donor's first terms are news, not a change
        )
        if changed:
            sealing = Sealing(self.session)
            fields = sealed_tables()[table.name]
            for start in range(0, len(changed), 500):
                chunk = changed[start : start + 500]
                gone = select(table.c.id, table.c.seal, *(table.c[f] for f in fields))
                for old in self.session.execute(gone.where(table.c.donor_id.in_(chunk))):
                    sealing.deleted(table.name, old._mapping, old.seal)
                self.session.execute(delete(table).where(table.c.donor_id.in_(chunk)))
            rows = [
                {
                    "donor_id": d,
                    "term_id": t,
                    "label": label,
                    **({"excluded": excluded} if has_excluded else {}),
                }
                for d in changed
                for t, label, excluded in sorted(wanted[d], key=lambda x: x[0])
            ]
            if rows:
                for new, row_id in zip(
                    rows, allocate_ids(self.session, table, len(rows)), strict=True
                ):
                    new["id"] = row_id
                    sealing.inserted(table.name, new)
                self.session.execute(insert(table), rows)
                self._wrote(table.name, len(rows))
        self.changes[name] = Changes(updated=len(changed), unchanged=len(wanted) - len(changed))

    def write_samples(self, donors: Callable[[str], int], collections: dict[str, int]) -> None:
        rows = [
            {
                "institution_id": self.institution_id,
                "code": r.code,
                "donor_id": donors(r.donor_id),
                "collection_id": collections[r.collection_code] if r.collection_code else None,
                "material_type": r.material_type,
                "collection_date": r.collection_date,
                "storage_status": r.storage_status,
            }
            for r in self.staging.samples.values()
        ]
        scope = m.Sample.institution_id == self.institution_id
        registered = self._refuse_moves(rows, scope)
        for row in rows:  # an empty cell keeps a registered status; a new sample is available
            if row["storage_status"] is None and row["code"] not in registered:
                row["storage_status"] = StorageStatus.AVAILABLE
        self.upsert(
            "samples",
            m.Sample,
            ["institution_id", "code"],
            rows,
            scope,
            names=lambda key: f"sample {key[1]}",
        )

    def _refuse_moves(self, rows: list[dict[str, Any]], scope: ColumnElement[bool]) -> set[str]:
        """A registered sample stays with its donor: moving it is an operation of its own
        (``hgr sample move``), named and audited, never a side effect of a file. Returns the
        codes of the samples already registered."""
        query = select(m.Sample.code, m.Sample.donor_id).where(scope)
        owner = {row[0]: row[1] for row in self.session.execute(query)}
        moved = [
            (r, self.staging.samples[r["code"]])
            for r in rows
            if r["code"] in owner and owner[r["code"]] != r["donor_id"]
        ]
        if not moved:
            return set(owner)
        issues = [
            Issue(
                "E_SAMPLE_MOVE",
                Severity.ERROR,
                record.origin,
                N_(
                    "sample %(sample)s is registered to another donor; the file gives %(donor)s",
                    sample=record.code,
                    donor=record.donor_id,
                ),
                N_(
                    "if the sample was misattributed, move it with `hgr sample move %(sample)s "
                    "--to %(donor)s --reason ...`, then import again; else correct the donor_id",
                    sample=record.code,
                    donor=record.donor_id,
                ),
                field="donor_id",
            )
            for _row, record in moved
        ]
        raise ValidationFailed(
            f"{len(issues)} sample(s) would move to another donor; nothing was written", issues
        )

    def write_consents(self, donors: Callable[[str], int]) -> None:
        rows = [
            {
                "donor_id": donors(r.donor_id),
                "document_version": r.document_version,
                "document_sha256": r.document_sha256,
                "signed_on": r.signed_on,
                "permission": r.permission,
                "disease": r.disease,
                "modifiers": list(r.modifiers),
                "countries": list(r.countries),
                "time_limit": r.time_limit,
                "status": r.status,
                "withdrawn_on": r.withdrawn_on,
            }
            for r in self.staging.consents.values()
        ]
        if rows:
            scope = m.Consent.donor_id.in_(
                select(m.Donor.id).where(m.Donor.institution_id == self.institution_id)
            )
            # The withdrawal date follows the status: an empty one beside a status that is not
            # "withdrawn" clears it (the database checks that the two agree).
            self.upsert(
                "consents",
                m.Consent,
                ["donor_id", "document_version"],
                rows,
                scope,
                clear=frozenset({"withdrawn_on"}),
            )

    def write_ethics(self, collections: dict[str, int]) -> None:
        rows = [
            {
                "institution_id": self.institution_id,
                "committee": r.committee,
                "reference": r.reference,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
                "scope": r.scope,
                "collection_id": collections[r.collection_code] if r.collection_code else None,
                # A file without statuses leaves a suspension or withdrawal standing.
                **({"status": r.status} if r.status is not None else {}),
            }
            for r in self.staging.ethics.values()
        ]
        scope = m.EthicsApproval.institution_id == self.institution_id
        keys = ["institution_id", "committee", "reference"]
        self.upsert("ethics_approvals", m.EthicsApproval, keys, rows, scope)

    def write_pedigrees(self, donors: Callable[[str], int]) -> None:
        staging = self.staging
        rows = [
            {
                "institution_id": self.institution_id,
                "code": r.code,
                "condition": r.condition,
                "condition_label": r.condition_label,
                "description": r.description,
                **({"generations": self.depths[r.code]} if r.code in self.depths else {}),
            }
            for r in staging.families.values()
        ]
        scope = m.Family.institution_id == self.institution_id
        member_scope = m.PedigreeMember.family_id.in_(
            select(m.Family.id).where(m.Family.institution_id == self.institution_id)
        )
        registered = set(self.session.scalars(select(m.PedigreeMember.id).where(member_scope)))
        family_ids = {
            key[1]: i
            for key, i in self.upsert(
                "families", m.Family, ["institution_id", "code"], rows, scope
            ).items()
        }
        people = [p for p in staging.pedigree if p.family_id != NO_FAMILY]
        if not people:
            return
        probands = {r.code: r.proband for r in staging.families.values() if r.proband}
        member_rows = [
            {
                "family_id": family_ids[p.family_id],
                "donor_id": donors(p.individual_id),
                "generation": self.generation.get((p.family_id, p.individual_id), 1),
                "proband": probands.get(p.family_id) == p.individual_id,
            }
            for p in people
        ]
        keys = ["family_id", "donor_id"]
        members = self.upsert("pedigree_members", m.PedigreeMember, keys, member_rows, member_scope)

        def member(family: str, iid: str | None) -> int | None:
            if iid is None:
                return None
            return members[(family_ids[family], donors(iid))]

        links = [
            {
                "family_id": family_ids[p.family_id],
                "donor_id": donors(p.individual_id),
                "father_id": member(p.family_id, p.father_id),
                "mother_id": member(p.family_id, p.mother_id),
            }
            for p in people
        ]
        # Parent links need every member's id, so they are a second pass over the same rows;
        # a PED line states both parents, so an empty one is a change too (clear=None).
        link_diffs: list[FieldChange] = []
        _upsert(
            self.session,
            m.PedigreeMember,
            keys,
            links,
            member_scope,
            self.now,
            diffs=link_diffs,
            clear=None,
        )
        donor_of = {i: key[1] for key, i in members.items()}

        pseudonym_of = {i: key[1] for key, i in self.donor_ids.items()}

        def parent(member_id: int | None) -> str | None:
            # By pseudonym: a version is stored, and a donor's own identifier never is.
            donor = donor_of.get(member_id) if member_id is not None else None
            return None if donor is None else f"donor {pseudonym_of.get(donor, '?')[:12]}…"

        self.diffs.extend(
            FieldChange(
                d.table,
                d.row_id,
                f"pedigree member {parent(d.row_id)}",
                d.field,
                parent(d.before),
                parent(d.after),
            )
            for d in link_diffs
            if d.row_id in registered  # a new member's links are news
        )
        conditions = {r.code: r.condition for r in staging.families.values()}
        affection_rows = [
            {
                "member_id": members[(family_ids[p.family_id], donors(p.individual_id))],
                "condition": p.condition or conditions.get(p.family_id) or UNSPECIFIED_CONDITION,
                "status": p.affected,
            }
            for p in people
        ]
        affection_scope = m.PedigreeAffection.member_id.in_(
            select(m.PedigreeMember.id).where(member_scope)
        )
        self.upsert(
            "affected_status",
            m.PedigreeAffection,
            ["member_id", "condition"],
            affection_rows,
            affection_scope,
        )

    def write_data_files(self, collections: dict[str, int]) -> None:
        rows = [
            {
                "institution_id": self.institution_id,
                "location": r.location,
                "kind": r.kind,
                "size_bytes": r.size_bytes,
                "sha256": r.sha256,
                "encryption": r.encryption,
                "collection_id": collections[r.collection_code] if r.collection_code else None,
            }
            for r in self.staging.data_files.values()
        ]
        scope = m.DataFile.institution_id == self.institution_id
        self.upsert("data_files", m.DataFile, ["institution_id", "location"], rows, scope)


def import_files(
    db: Database,
    keys: NodeKeys,
    paths: Sequence[Path | TemplateRows],
    *,
    institution: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    update: bool = False,
    clear: frozenset[str] = frozenset(),
    progress: Progress = silent,
    actor: Actor = SYSTEM,
    grounds: str = "",
    request_id: str = "",
    reviewed: Callable[[ImportResult], bool] | None = None,
    donor_key: str = "subject",
) -> ImportResult:
    """Validate ``paths`` and, if every check passes, write them in one transaction.

    Parameters
    ----------
    db, keys
        The node's database and keys (the pseudonym key turns donor ids into pseudonyms).
    paths
        CSV/TSV templates, PED/FAM files and Phenopackets JSON, in any order; template rows
        given as data (``TemplateRows``) are read as a template file of them would be.
    institution
        Code of the institution the records belong to; needed for everything except an
        institutions template.
    dry_run
        Validate and compute the changes, then roll everything back.
    strict
        Treat pedigree warnings (half-founders, parents of unknown sex) as errors.
    update
        Allow changes to registered records. Without it an import that would change one is
        refused with every field it would change (``E_UPDATE_NOT_CONFIRMED``); a dry run
        lists them in ``differences`` either way.
    clear
        Columns whose empty cells clear a registered value (an empty cell otherwise keeps it).
    progress
        Told as files are read and entities written.
    actor, grounds, request_id
        Who imports and why it is allowed, for the audit event written with the changes.
    reviewed
        Whether the changes are those the person importing reviewed: asked, within the
        transaction and before anything is committed, about what the import writes. False
        rolls it all back (``E_CHANGED_SINCE_REVIEW``).
    donor_key
        What names a phenopacket's donor: ``subject`` (its subject.id) or ``id`` (the
        phenopacket's own id, for a collection whose sources reuse subject ids); see
        :mod:`hgr.registry.phenopackets`.

    Raises
    ------
    ValidationFailed
        With every issue found, when any is an error. Nothing is written.
    NotFound
        When ``institution`` is not registered.
    Conflict
        ``E_CONCURRENT_IMPORT`` when another import registered some of the same new records
        while this one ran; it names them, and nothing of this import is written.
    """
    report = Report()
    staging = stage_files(list(paths), report, progress, donor_key)
    progress("checking", len(paths), len(paths))
    families = check_pedigrees(staging.pedigree, report, strict=strict)
    session = db.session()
    try:
        session.begin()
        if not dry_run:
            _one_import_at_a_time(session, institution)
        institution_id = None
        if staging.needs_institution:
            if not institution:
                raise ValidationFailed(
                    "these files describe an institution's holdings: name it with "
                    "--institution CODE",
                    code="E_INSTITUTION_REQUIRED",
                )
            institution_id = session.scalar(
                select(m.Institution.id).where(m.Institution.code == institution)
            )
            if institution_id is None and institution not in staging.institutions:
                if not report.ok:
                    # The files' own errors first: an institution row refused for its legal
                    # id is why the institution is missing, and it must be named, not this.
                    raise ValidationFailed(
                        N_(
                            "%(n)s error(s) in the input; nothing was written", n=len(report.errors)
                        ),
                        report.issues,
                    )
                raise NotFound(
                    f"institution {institution} is not registered: import its row of an "
                    "institutions template first (or in the same import)",
                    code="E_UNKNOWN_INSTITUTION",
                )
        digests = _phenopacket_digests(keys, institution or "", staging)
        if institution_id is not None and digests:
            _same_donor_key(session, institution_id, digests, donor_key)
        known = _known(session, institution_id, pseudonyms=bool(staging.needs_institution))
        code = institution if staging.needs_institution else None

        def pseudonym(local_id: str) -> str:
            return keys.pseudonymiser.pseudonym(code or "", local_id)

        check_staging(staging, known, pseudonym, report)
        result = ImportResult(report=report, families=families, dry_run=dry_run)
        if not report.ok:
            raise ValidationFailed(
                N_("%(n)s error(s) in the input; nothing was written", n=len(report.errors)),
                report.issues,
            )
        writer = _Writer(
            session,
            staging,
            known,
            keys,
            code,
            families,
            clear=frozenset(_column(c) for c in clear),
        )
        writer.write(progress)
        result.changes = writer.changes
        result.differences = writer.diffs
        _recheck_families(session, writer, strict)
        if writer.diffs and not update and not dry_run:
            raise ValidationFailed(
                f"the import would change {len(writer.diffs)} field(s) of registered records; "
                "nothing was written: check each change, then import with --update",
                [_as_issue(d) for d in writer.diffs],
                code="E_UPDATE_NOT_CONFIRMED",
            )
        if dry_run:
            session.rollback()
            return result
        if reviewed is not None and not reviewed(result):
            raise Conflict(
                "the files, or the records they change, are not as reviewed; nothing was "
                "written: review the changes again",
                code="E_CHANGED_SINCE_REVIEW",
            )
        if result.changed:
            batch = m.ImportBatch(
                institution_id=writer.institution_id,
                imported_at=writer.now,
                provenance={
                    "software": "hgr",
                    "version": __version__,
                    "strict": strict,
                    "files": [f.as_dict() for f in staging.files],
                    **(
                        {"donor_key": donor_key, "phenopackets": sorted(digests)}
                        if any(f.kind == "phenopacket" for f in staging.files)
                        else {}
                    ),
                },
                changes={k: v.as_dict() for k, v in writer.changes.items()},
            )
            session.add(batch)
            session.flush()
            result.batch_id = batch.id
            keep_versions(
                session,
                writer.diffs,
                actor=actor.name,
                source=f"import batch {batch.id}",
                at=writer.now,
            )
            # The change and its audit event commit together (ARCHITECTURE.md, layers).
            record(
                session,
                actor,
                "registry.import",
                f"institutions/{code}" if code else "institutions",
                grounds=grounds,
                request_id=request_id,
                detail={
                    "batch": batch.id,
                    "files": [
                        {"kind": f.kind, "sha256": f.sha256, "size": f.size_bytes}
                        for f in staging.files
                    ],
                    "changes": {k: v.as_dict() for k, v in writer.changes.items()},
                },
            )
        session.commit()
    except IntegrityError as exc:
        # Another import wrote some of the same new records after this one looked (both saw
        # them as new); the database kept one of each, and this import rolls back whole.
        session.rollback()
        taken = _taken_meanwhile(db, staging, known, keys, code)
        if not taken:  # no race: a rule the database enforces that the checks let through
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise Conflict(
                f"the import breaks a rule of the registry ({reason}); nothing was written",
                code="E_REGISTRY_RULE",
            ) from exc
        raise Conflict(
            "another import registered the same records while this one ran"
            + f" ({', '.join(taken[:10])}{' …' if len(taken) > 10 else ''})"
            + "; nothing of this import was written: import it again to see what it changes",
            code="E_CONCURRENT_IMPORT",
        ) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    _refresh_statistics(db, writer.rows_written)
    return result


def _phenopacket_digests(keys: NodeKeys, code: str, staging: Staging) -> dict[str, str]:
    """Each phenopacket id of the import (those its two rules name differently) by its keyed
    digest: what an import batch records, so that no id is kept in clear."""
    return {
        keys.pseudonymiser.pseudonym(code, f"phenopacket:{i}"): i for i in staging.phenopacket_ids
    }


def _same_donor_key(session: Session, institution_id: int, mine: dict[str, str], key: str) -> None:
    """Refuse a phenopacket (by its id) that this institution imported before with its donor
    named by the other rule: read by this rule, the same phenopacket would name its donor
    anew, and register the donor a second time. The id, not the file, is compared: a
    re-export or a newer release of a collection changes every file. Import batches record
    the rule and their phenopackets' ids as keyed digests; a batch of before they were
    recorded cannot tell, and is not held against an import. A phenopacket whose id is its
    subject id is named alike by both rules, and is never refused."""
    batches = select(m.ImportBatch.provenance).where(m.ImportBatch.institution_id == institution_id)
    for provenance in session.scalars(batches):
        before = provenance.get("donor_key")
        if before is None or before == key:
            continue
        both = set(mine).intersection(provenance.get("phenopackets", []))
        if both:
            named = _DONOR_KEY_WORDS[before]
            found = ", ".join(sorted(mine[d] for d in both)[:5])
            raise ValidationFailed(
                f"phenopacket {found} was imported before with its donor named by {named} "
                f"(donor key {before}); named by {_DONOR_KEY_WORDS[key]}, its donor would be "
                f"registered a second time: import it with donors named by {named}",
                code="E_DONOR_KEY",
            )


# How each donor key reads in a message, for the command line, the API and the console alike.
_DONOR_KEY_WORDS = {"subject": "the subject id", "id": "the phenopacket's own id"}


def _one_import_at_a_time(session: Session, institution: str | None) -> None:
    """Make imports that write to one institution run one after another, each computing its
    changes from what the one before committed: two stewards confirming at once must not both
    write against the same value "before" (the second would overwrite the first unseen, and
    its history would name a value that was no longer there). PostgreSQL takes an advisory
    lock per institution until the transaction ends; SQLite takes its one write lock now,
    before anything is read, rather than at the first write."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"hgr import {institution or ''}"},
        )
    else:
        session.execute(text("UPDATE institution SET code = code WHERE 0"))


# Template columns that name a stored column differently.
_COLUMNS = {"residence_region": "residence_region_id", "collection_id": "collection_id"}


def _column(name: str) -> str:
    return _COLUMNS.get(name, name)


def _as_issue(change: FieldChange) -> Issue:
    before, after = change.as_dict()["before"], change.as_dict()["after"]
    return Issue(
        "E_WOULD_CHANGE",
        Severity.ERROR,
        Origin(change.record),
        N_(
            "%(record)s: %(field)s would change: %(before)s → %(after)s",
            record=change.record,
            field=change.field,
            before=before,
            after=after,
        ),
        N_(
            "if this is meant, import again with --update (the old value is kept in its "
            "history); else correct the file"
        ),
        field=change.field,
    )


def _recheck_families(session: Session, writer: _Writer, strict: bool) -> None:
    """Check again every registered family with a member whose sex or parents this import
    changed: a mother made male breaks her family as surely as a wrong PED line does."""
    donors = {d.row_id for d in writer.diffs if d.table == "donor" and d.field == "sex"}
    members = {d.row_id for d in writer.diffs if d.table == "pedigree_member"}
    if not donors and not members:
        return
    families = set(
        session.scalars(
            select(m.PedigreeMember.family_id).where(
                m.PedigreeMember.donor_id.in_(donors) | m.PedigreeMember.id.in_(members)
            )
        )
    )
    rows = session.execute(
        select(m.Family.code, m.PedigreeMember, m.Donor.sex)
        .join(m.PedigreeMember, m.PedigreeMember.family_id == m.Family.id)
        .join(m.Donor, m.Donor.id == m.PedigreeMember.donor_id)
        .where(m.Family.id.in_(families))
    ).all()
    name = {
        member.id: writer.donor_names.get(member.donor_id, f"donor-{member.donor_id}").removeprefix(
            "donor "
        )
        for _code, member, _sex in rows
    }
    records = [
        PedigreeRecord(
            family_id=code,
            individual_id=name[member.id],
            father_id=name.get(member.father_id) if member.father_id else None,
            mother_id=name.get(member.mother_id) if member.mother_id else None,
            sex=sex,
            affected=AffectedStatus.UNKNOWN,
            origin=Origin(f"registered family {code}"),
        )
        for code, member, sex in rows
    ]
    report = Report()
    check_pedigrees(records, report, strict=strict)
    if report.errors:
        raise ValidationFailed(
            f"the change breaks {len({i.family for i in report.errors})} registered "
            "family(ies); nothing was written",
            report.errors,
        )


def _taken_meanwhile(
    db: Database, staging: Staging, before: KnownRecords, keys: NodeKeys, code: str | None
) -> list[str]:
    """The staged records, by the keys the importer's files give them, that were new when the
    import looked and are registered now."""
    with db.reader() as session:
        institution_id = session.scalar(
            select(m.Institution.id).where(m.Institution.code == (code or ""))
        )
        now = _known(session, institution_id, pseudonyms=code is not None)
    taken = [
        f"institution {c}"
        for c in sorted(staging.institutions)
        if c not in before.institutions and c in now.institutions
    ]
    taken += [
        f"collection {c}"
        for c in sorted(staging.collections)
        if c not in before.collections and c in now.collections
    ]
    for local_id in sorted(staging.donors):
        pseudonym = keys.pseudonymiser.pseudonym(code or "", local_id)
        if pseudonym not in before.donor_pseudonyms and pseudonym in now.donor_pseudonyms:
            taken.append(f"donor {local_id}")
    return taken


ANALYZE_AFTER_ROWS = 1000


def _refresh_statistics(db: Database, rows_written: dict[str, int]) -> None:
    """Bring PostgreSQL's planner statistics up to date after a large import.

    Autovacuum analyses a table only after a while; until then the planner takes a freshly
    filled table for an empty one and picks plans that scan it whole for every page read.
    """
    tables = sorted(t for t, n in rows_written.items() if n >= ANALYZE_AFTER_ROWS)
    if db.dialect != "postgresql" or not tables:
        return
    with db.transaction() as session:
        for table in tables:
            session.execute(text(f'ANALYZE "{table}"'))
