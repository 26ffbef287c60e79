"""The published tables of a national edition: what is public, and when.

**When.** Nothing is public before the nation signs an edition off as final
(:func:`sign_off`); drafts and partial compilations never are. A correction or a late province
is published by signing its edition off in turn.

**What.** Every table covers the institutions, their provinces, their kinds and the nation at
once. At sign-off, every table of the edition, the persons per province and per kind, and
every edition of the cycle already published are protected as one problem
(:mod:`hgr.privacy.disclosure`): the reader is assumed to hold all of them, with every
relation between them, and a count that did not change between editions is one unknown to
them. The hidden cells are recorded in the signed sign-off, so what was published never
changes afterwards, and a later edition keeps hidden what an earlier one hid.

The relations between tables that a reader knows (:data:`LINKS`): each breakdown of the donors
(by sex, population, residence) adds up to the donor records, the samples by material add up to
the samples, donor records with a material never exceed its samples, and no category counts
more donor records than there are. Persons (people counted once with the duplicate links) never
exceed the donor records, and the nation's persons lie between the largest province's and the
provinces' sum. Donor records less persons (people enrolled more than once) and the provinces'
persons less the nation's (people enrolled in several provinces) are counts of people too:
when small they are protected like a hidden cell.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor
from hgr.crypto import Signer
from hgr.dates import utc_now
from hgr.exceptions import IntegrityBroken, UsageError, ValidationFailed
from hgr.federation.documents import (
    envelope_of,
    latest_anchored,
    sign_document,
    store_document,
)
from hgr.federation.models import SignedDocument
from hgr.issues import Issue, Origin, Severity
from hgr.privacy.disclosure import Model
from hgr.privacy.disclosure import protect as protect_cells
from hgr.privacy.tables import (
    DEFAULT_THRESHOLD,
    TOTAL,
    Cell,
    Protected,
    Shared,
    Table,
    add_table,
    protected,
)
from hgr.registry import models as m
from hgr.registry.fields import duo_terms
from hgr.registry.regions import province_codes
from hgr.spreadsheets import safe_row
from hgr.survey.cycles import get_cycle
from hgr.survey.editions import ADDITIVE_COUNTS, next_header
from hgr.survey.returns import SEQUENCED as SEQUENCED_CATEGORIES

__all__ = [
    "COUNTS",
    "HIDDEN",
    "LINKS",
    "PARTITIONS",
    "PERSONS",
    "UNITS",
    "PublishedSurvey",
    "Release",
    "counted",
    "protect_release",
    "publish",
    "published_cycles",
    "published_edition",
    "sign_off",
    "signed_off_edition",
    "write_tables",
]

PARTITIONS = {
    "samples_by_material": "samples",
    "donors_by_sex": "donors",
    "donors_by_age": "donors",
    "donors_by_population": "donors",
    "donors_by_residence": "donors",
}
"""Tables whose categories split a count: each row adds up to it (a ``total`` column)."""
TABLES = (
    "samples_by_material",
    "donors_by_sex",
    "donors_by_age",
    "donors_by_material",
    "persons_by_data_category",
    "donors_by_disease",
    "donors_by_population",
    "donors_by_residence",
    "consents_by_scope",
)
LATER_TABLES = ("donors_by_age",)
"""Tables a later version of the default dictionary added (hgr-survey/2)."""
COUNTS = "counts"
PERSONS = "persons"
SEQUENCED = "whole_genome_or_exome"
"""The persons table's second column: persons with whole-genome or whole-exome data."""
HIDDEN = "x"
"""How a suppressed cell is shown."""

UNITS = {
    "samples_by_material": "samples",
    "donors_by_sex": "donor records",
    "donors_by_age": "donor records",
    "donors_by_material": "donor records",
    "persons_by_data_category": "donor records",
    "donors_by_disease": "donor records",
    "donors_by_population": "donor records",
    "donors_by_residence": "donor records",
    "consents_by_scope": "consents",
    PERSONS: "persons",
}
"""What each table counts. A donor record is one institution's record of a donor: a person
enrolled at two institutions is two donor records and one person."""
COUNT_UNITS = {
    "donors": "donor records",
    "samples": "samples",
    "genotyped_donors": "donor records",
    "consents_withdrawn": "consents",
    "donors_without_consent": "donor records",
    "ethics_approvals": "ethics approvals",
    "ethics_expired": "ethics approvals",
    "families": "families",
    "pedigree_members": "pedigree members",
}
"""What each column of the ``counts`` table counts."""

LINKS: tuple[tuple[tuple[str, str], str, tuple[str, str]], ...] = (
    (("donors_by_sex", TOTAL), "==", (COUNTS, "donors")),
    (("donors_by_age", TOTAL), "==", (COUNTS, "donors")),
    (("donors_by_population", TOTAL), "==", (COUNTS, "donors")),
    (("donors_by_residence", TOTAL), "==", (COUNTS, "donors")),
    (("samples_by_material", TOTAL), "==", (COUNTS, "samples")),
    (("donors_by_material", "*"), "<=", ("samples_by_material", "*")),
    (("donors_by_material", "each"), "<=", (COUNTS, "donors")),
    (("persons_by_data_category", "each"), "<=", (COUNTS, "donors")),
    (("donors_by_disease", "each"), "<=", (COUNTS, "donors")),
    ((COUNTS, "genotyped_donors"), "<=", (COUNTS, "donors")),
    ((COUNTS, "donors_without_consent"), "<=", (COUNTS, "donors")),
    ((COUNTS, "families"), "<=", (COUNTS, "pedigree_members")),
    (("consents_by_scope", "sum"), "<=", (COUNTS, "donors")),
    (("consents_by_scope", "sum+withdrawn"), "==", (COUNTS, "donors")),
    ((COUNTS, "donors_without_consent"), "==", (COUNTS, "consents_withdrawn")),
)
"""Relations between the published cells of each institution: ``each`` is every category of the
left table against one cell; ``*`` each category against the same category of the right table;
``sum`` the sum of the categories (``sum+withdrawn``: with the consents withdrawn). A reader
may know or guess a relation; each is put in the reader's model for the institutions whose true
counts keep it (one active consent per donor record, say, holds at many institutions and not
at all), which can only make the reader stronger."""


@dataclass
class PublishedSurvey:
    """What may be published of one national edition."""

    cycle: str
    edition: str
    threshold: int
    tables: dict[str, Protected]
    persons: dict[str, int | None]
    provinces: list[str]
    kinds: list[str]
    institutions: dict[str, dict[str, str]]
    interval: int = DEFAULT_THRESHOLD
    labels: dict[str, str] = field(default_factory=dict)
    """The words for the codes that name columns (diagnoses, DUO permissions)."""
    sequenced: dict[str, int | None] = field(default_factory=dict)
    """Persons with whole-genome or whole-exome data, by group (empty where not counted)."""

    def person_columns(self) -> list[str]:
        """The persons table's columns."""
        return [PERSONS, SEQUENCED] if self.sequenced else [PERSONS]

    def person_row(self, unit: str) -> dict[str, int | None]:
        row = {PERSONS: self.persons.get(unit)}
        if self.sequenced:
            row[SEQUENCED] = self.sequenced.get(unit)
        return row

    def label(self, name: str, column: str) -> str | None:
        """What a column's code means, where it is a code with a known name."""
        if name in ("donors_by_disease", "consents_by_scope"):
            return self.labels.get(column)
        return None


@dataclass
class Release:
    """The suppression chosen for one edition: hidden cells by table, as ``[unit, column]``."""

    threshold: int
    interval: int
    suppressed: dict[str, list[list[str]]]
    unprotected: list[str]


def _groups(institutions: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for code, facts in sorted(institutions.items()):
        groups.setdefault(f"province:{facts['province']}", []).append(code)
        groups.setdefault(f"kind:{facts['kind']}", []).append(code)
    groups["nation"] = sorted(institutions)
    return groups


def _tables(edition: Mapping[str, Any]) -> dict[str, Table]:
    """Every published table of ``edition``, with its true counts."""
    institutions = edition["institutions"]
    groups = _groups(institutions)
    tables = {
        COUNTS: Table(
            COUNTS,
            list(ADDITIVE_COUNTS),
            {
                code: {k: int(facts["fields"].get(k, 0)) for k in ADDITIVE_COUNTS}
                for code, facts in institutions.items()
            },
            groups,
        )
    }
    for name in TABLES:
        if name in LATER_TABLES and not any(name in f["fields"] for f in institutions.values()):
            continue  # the returns answered a dictionary from before the table
        rows = {code: dict(facts["fields"].get(name, {})) for code, facts in institutions.items()}
        categories = sorted({c for row in rows.values() for c in row})
        tables[name] = Table(name, categories, rows, groups, partition=name in PARTITIONS)
    return tables


def _persons(edition: Mapping[str, Any], column: str = PERSONS) -> dict[str, int]:
    """Persons per group: the nation, each province and each kind of institution; with
    ``column`` :data:`SEQUENCED`, the persons with whole-genome or whole-exome data (none
    where the edition does not count them)."""
    counted = edition.get("persons") or {"nation": edition["totals"]["persons"]}
    found = {"nation": int(counted["nation"])}
    found |= {f"province:{p}": int(n) for p, n in counted.get("by_province", {}).items()}
    found |= {f"kind:{k}": int(n) for k, n in counted.get("by_kind", {}).items()}
    if column != SEQUENCED:
        return found
    sequenced = counted.get("sequenced")
    if not sequenced:
        return {}
    # A group with no one sequenced is left out of the counts: it has zero.
    within = _persons({"persons": sequenced})
    return {unit: within.get(unit, 0) for unit in found}


def _cost(unit: str, column: str, value: int) -> float:
    """What hiding a cell loses: its count, weighted by how far up it is (a national figure
    is what most readers come for; a province's or a kind's next; a row total after its
    parts)."""
    level = 10.0 if unit == "nation" else 3.0 if ":" in unit else 1.0
    return (1.0 + value) * level * (2.0 if column == TOTAL else 1.0)


def _difference(a: Mapping[int, int], b: Mapping[int, int]) -> dict[int, int]:
    found = dict(a)
    for v, coefficient in b.items():
        found[v] = found.get(v, 0) - coefficient
    return {v: c for v, c in found.items() if c}


@dataclass
class _Edition:
    """One edition in the reader's model: its tables and the model key of each cell."""

    tables: dict[str, Table]
    keys: dict[str, dict[Cell, Any]]

    def cells(self) -> list[Any]:
        return [key for table in self.keys.values() for key in table.values()]


def _add_edition(
    model: Model, edition: Mapping[str, Any], release: int, shared: Shared
) -> _Edition:
    """Put one edition, its relations and its persons into the reader's ``model``."""
    tables = _tables(edition)
    keys: dict[str, dict[Cell, Any]] = {}
    # An institution's counts are first audited with those of its province's institutions of
    # its kind: the province's and the kind's published margins bind them most closely.
    blocks = {code: (f["province"], f["kind"]) for code, f in edition["institutions"].items()}
    for name, table in tables.items():
        keys[name] = add_table(
            model,
            table,
            release,
            shared,
            lambda cell, value: _cost(cell[0], cell[1], value),
            blocks,
        )
    for code in edition["institutions"]:
        for (left_table, left), sense, (right_table, right) in LINKS:
            if left_table not in tables or right_table not in tables:
                continue
            if left.startswith("sum"):
                parts = [keys[left_table][(code, c)] for c in tables[left_table].categories]
                if left == "sum+withdrawn":
                    parts.append(keys[COUNTS][(code, "consents_withdrawn")])
                total: dict[int, int] = {}
                for part in parts:
                    for v, coefficient in model.cells[part].items():
                        total[v] = total.get(v, 0) + coefficient
                right_cell = model.cells[keys[right_table][(code, right)]]
                model.relation(
                    _difference(total, right_cell), -float("inf") if sense == "<=" else 0.0, 0.0
                )
                continue
            lefts = tables[left_table].categories if left in ("*", "each") else [left]
            for column in lefts:
                other = keys[right_table].get((code, column if right == "*" else right))
                if other is None:
                    continue
                a, b = model.cells[keys[left_table][(code, column)]], model.cells[other]
                model.relation(_difference(a, b), -float("inf") if sense == "<=" else 0.0, 0.0)
    # Persons are not sums of institutions: an unknown per group, bound to the donor records.
    persons = _persons(edition)
    keys[PERSONS] = {}
    variables: dict[str, int] = {}
    for unit, value in persons.items():
        variables[unit] = _group_variable(model, shared, PERSONS, unit, value)
        key = (release, PERSONS, unit, PERSONS)
        model.cells[key] = {variables[unit]: 1}
        model.cost[key] = _cost(unit, PERSONS, value)
        keys[PERSONS][(unit, PERSONS)] = key
        if (unit, "donors") in keys[COUNTS]:
            donors = model.cells[keys[COUNTS][(unit, "donors")]]
            records = _difference(donors, {variables[unit]: 1})
            model.relation(records, 0.0, float("inf"))  # persons <= donor records
            model.derived[(release, "enrolled more than once", unit)] = records
            # No fewer persons than any one institution's donor records where that institution
            # holds no person twice (left out by the truth check where it does).
            for code in tables[COUNTS].groups.get(unit, []):
                own = model.cells[keys[COUNTS][(code, "donors")]]
                model.relation(_difference({variables[unit]: 1}, own), 0.0, float("inf"))
    _nested(model, variables, (release, "enrolled in several provinces", "nation"))
    sequenced = _sequenced(model, edition, release, shared, keys, variables)
    if sequenced:
        _nested(model, sequenced, (release, "sequenced in several provinces", "nation"))
    return _Edition(tables, keys)


def _group_variable(model: Model, shared: Shared, column: str, unit: str, value: int) -> int:
    """The unknown behind a group's persons (or sequenced persons): the earlier edition's
    where the count did not change."""
    earlier = shared.get((PERSONS, unit, column))
    if earlier is not None and earlier[0] == value:
        return earlier[1]
    variable = model.variable(value)
    shared[(PERSONS, unit, column)] = (value, variable)
    return variable


def _nested(model: Model, variables: Mapping[str, int], derived: Hashable) -> None:
    """The nation's persons lie between the largest province's (or kind's) and their sum;
    the provinces' sum less the nation's is the people enrolled in several provinces
    (``derived``, a sensitive count when small)."""
    nation = variables["nation"]
    for prefix in ("province:", "kind:"):
        members = [v for u, v in variables.items() if u.startswith(prefix)]
        if not members:
            continue
        for v in members:
            model.relation({nation: 1, v: -1}, 0.0, float("inf"))
        overlap = _difference(dict.fromkeys(members, 1), {nation: 1})
        model.relation(overlap, 0.0, float("inf"))
        if prefix == "province:":
            model.derived[derived] = overlap


def _sequenced(
    model: Model,
    edition: Mapping[str, Any],
    release: int,
    shared: Shared,
    keys: dict[str, dict[Cell, Any]],
    persons: Mapping[str, int],
) -> dict[str, int]:
    """Put each group's persons with whole-genome or whole-exome data into the model, bound
    to its persons and to its donor records with genomes and with exomes: no more than the
    persons, nor than the two together; no fewer than either where no one is counted twice."""
    variables: dict[str, int] = {}
    by_category = keys.get("persons_by_data_category", {})
    for unit, value in _persons(edition, SEQUENCED).items():
        variables[unit] = v = _group_variable(model, shared, SEQUENCED, unit, value)
        key = (release, PERSONS, unit, SEQUENCED)
        model.cells[key] = {v: 1}
        model.cost[key] = _cost(unit, SEQUENCED, value)
        keys[PERSONS][(unit, SEQUENCED)] = key
        if unit in persons:
            model.relation({persons[unit]: 1, v: -1}, 0.0, float("inf"))
        records: dict[int, int] = {}
        for category in SEQUENCED_CATEGORIES:
            cell = by_category.get((unit, category))
            if cell is None:
                continue
            model.relation(_difference({v: 1}, model.cells[cell]), 0.0, float("inf"))
            for u, coefficient in model.cells[cell].items():
                records[u] = records.get(u, 0) + coefficient
        model.relation(_difference(records, {v: 1}), 0.0, float("inf"))
    return variables


def protect_release(
    edition: Mapping[str, Any],
    earlier: Sequence[tuple[Mapping[str, Any], Mapping[str, Sequence[Sequence[str]]]]] = (),
    threshold: int = DEFAULT_THRESHOLD,
    interval: int | None = None,
) -> Release:
    """Choose what to hide in ``edition``, read together with the ``earlier`` editions of the
    cycle already published (each with the cells it hid): every hidden cell of every edition
    must keep a range at least ``interval`` wide (default: ``threshold``)."""
    width = threshold if interval is None else interval
    model = Model()
    shared: Shared = {}
    given_hidden: set[Any] = set()
    hidden_before: set[tuple[str, str, str]] = set()
    for n, (body, suppressed) in enumerate(earlier):
        placed = _add_edition(model, body, n, shared)
        for name, cells in suppressed.items():
            for unit, column in cells:
                key = placed.keys.get(name, {}).get((unit, column))
                if key is not None:
                    given_hidden.add(key)
                    hidden_before.add((name, unit, column))
    current = _add_edition(model, edition, len(earlier), shared)
    choosable = set(current.cells())
    must_hide = {
        key
        for name, keys in current.keys.items()
        for (unit, column), key in keys.items()
        if (name, unit, column) in hidden_before
    }
    result = protect_cells(
        model,
        choosable,
        threshold=threshold,
        width=width,
        given_hidden=given_hidden,
        must_hide=must_hide,
    )
    chosen: dict[str, list[list[str]]] = {}
    for name, keys in current.keys.items():
        cells = sorted(
            [unit, column] for (unit, column), key in keys.items() if key in result.hidden
        )
        if cells:
            chosen[name] = cells
    return Release(threshold, width, chosen, sorted(map(repr, result.unprotected)))


def publish(
    edition: Mapping[str, Any],
    edition_sha256: str,
    threshold: int = DEFAULT_THRESHOLD,
    interval: int | None = None,
    suppressed: Mapping[str, Sequence[Sequence[str]]] | None = None,
) -> PublishedSurvey:
    """The national edition ``edition`` (its signed content) as published, with the cells
    ``suppressed`` hidden (as recorded at sign-off; protected on its own when not given)."""
    if suppressed is None:
        release = protect_release(edition, (), threshold, interval)
        if release.unprotected:
            raise ValidationFailed(
                f"{len(release.unprotected)} hidden count(s) of edition {edition_sha256[:12]} "
                f"cannot be kept {release.interval} wide",
                [],
                code="E_SURVEY_UNPROTECTED",
            )
        suppressed, interval = release.suppressed, release.interval
    tables = _tables(edition)
    persons = _persons(edition)
    hidden: set[Hashable] = {
        (name, unit, column) for name, cells in suppressed.items() for unit, column in cells
    }
    published = {}
    for name, table in tables.items():
        keys = {cell: (name, *cell) for cell in table.values()}
        published[name] = protected(table, threshold, keys, hidden)
    shown = {u: None if (PERSONS, u, PERSONS) in hidden else n for u, n in persons.items()}
    sequenced = {
        u: None if (PERSONS, u, SEQUENCED) in hidden else n
        for u, n in _persons(edition, SEQUENCED).items()
    }
    institutions = edition["institutions"]
    return PublishedSurvey(
        cycle=edition["cycle"],
        edition=edition_sha256,
        threshold=threshold,
        tables=published,
        persons=shown,
        provinces=sorted(p for p in edition["provinces"]),
        kinds=sorted({facts["kind"] for facts in institutions.values()}),
        institutions={
            code: {"name": f["name"], "province": f["province"], "kind": f["kind"]}
            for code, f in sorted(institutions.items())
        },
        interval=threshold if interval is None else interval,
        labels=_code_labels(edition),
        sequenced=sequenced,
    )


def _code_labels(edition: Mapping[str, Any]) -> dict[str, str]:
    """Labels of the diagnosis codes (as the returns give them) and of the DUO permissions
    (from DUO itself)."""
    labels = {term.id: term.label for term in duo_terms().values()}
    for facts in edition["institutions"].values():
        for pedigree in facts.get("declared_pedigrees", []):
            if pedigree.get("condition") and pedigree.get("condition_label"):
                labels.setdefault(pedigree["condition"], pedigree["condition_label"])
    return labels | dict(edition.get("diagnosis_labels", {}))


# --- sign-off ------------------------------------------------------------------------------


def _finals(session: Session, cycle: str, nation: str) -> list[SignedDocument]:
    return list(
        session.scalars(
            select(SignedDocument)
            .where(
                SignedDocument.kind == "final",
                SignedDocument.cycle == cycle,
                SignedDocument.subject == nation,
            )
            .order_by(SignedDocument.version)
        )
    )


def _edition_named(session: Session, cycle: str, sha256: str) -> SignedDocument:
    edition = session.scalar(
        select(SignedDocument).where(
            SignedDocument.kind == "nation",
            SignedDocument.cycle == cycle,
            SignedDocument.sha256 == sha256,
        )
    )
    if edition is None:
        raise IntegrityBroken(
            f"the sign-off of {cycle} names edition {sha256}, which is not held",
            code="E_SURVEY_ROLLBACK",
        )
    return edition


def sign_off(
    session: Session,
    signer: Signer,
    by: Actor,
    cycle_code: str,
    nation: str = "CN",
    *,
    without: Iterable[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    interval: int | None = None,
) -> SignedDocument:
    """Sign the latest national edition of ``cycle_code`` off as final: the one the node
    publishes (:func:`signed_off_edition`), with the cells it hides. A later edition (a
    correction, a late province) is published only once it is signed off in turn, and is
    protected together with every edition of the cycle signed off before it.

    Raises UsageError (E_SURVEY_NO_EDITIONS) before a national edition, and ValidationFailed
    (E_SURVEY_INCOMPLETE) while a province whose institutions are registered here has sent no
    edition: a compilation made before every province was in is never published, unless the
    officer names the provinces it goes ``without`` (kept in the signed sign-off).
    ValidationFailed (E_SURVEY_UNPROTECTED) when no suppression protects every hidden count.
    """
    cycle = get_cycle(session, cycle_code)
    edition = latest_anchored(session, "nation", cycle.code, nation)
    if edition is None:
        raise UsageError(
            f"no national edition of {cycle.code} to sign off: run `hgr survey compile`",
            code="E_SURVEY_NO_EDITIONS",
        )
    content = envelope_of(edition).content
    compiled = set(content["provinces"])
    provinces = province_codes(session)
    expected = {
        provinces[region]
        for region in session.scalars(select(m.Institution.region_id).distinct())
        if region in provinces
    }
    absent = sorted(expected - compiled)
    missing = [code for code in absent if code not in set(without)]
    if missing:
        raise ValidationFailed(
            f"edition {edition.version} of {cycle.code} was compiled without "
            f"{', '.join(missing)}: nothing was signed off",
            [
                Issue(
                    "E_SURVEY_PROVINCE_MISSING",
                    Severity.ERROR,
                    Origin(f"{cycle.code}/nation/{nation}", None, f"/provinces/{code}"),
                    f"province {code} has institutions but sent no edition",
                    "receive the province's edition, compile again, then sign off",
                )
                for code in missing
            ],
            code="E_SURVEY_INCOMPLETE",
        )
    earlier = []
    for final in _finals(session, cycle.code, nation):
        signed = envelope_of(final).content
        body = envelope_of(_edition_named(session, cycle.code, signed["edition"])).content
        earlier.append((body, signed.get("suppressed", {})))
    release = protect_release(content, earlier, threshold, interval)
    if release.unprotected:
        raise ValidationFailed(
            f"edition {edition.version} of {cycle.code} cannot be published: "
            f"{len(release.unprotected)} hidden count(s) cannot be kept "
            f"{release.interval} wide whatever else is hidden",
            [
                Issue(
                    "E_SURVEY_CELL_EXPOSED",
                    Severity.ERROR,
                    Origin(f"{cycle.code}/nation/{nation}", None, cell),
                    "a reader of the published editions could narrow this count down",
                    "lower [survey] protection_interval, or publish fewer tables",
                )
                for cell in release.unprotected
            ],
            code="E_SURVEY_UNPROTECTED",
        )
    body = {
        **next_header(session, "final", cycle.code, nation),
        "edition": edition.sha256,
        "edition_version": edition.version,
        "published_without": absent,
        "threshold": release.threshold,
        "protection_interval": release.interval,
        "suppressed": release.suppressed,
        "signed_at": utc_now().isoformat(timespec="seconds"),
    }
    return store_document(session, by, sign_document(signer, body), [signer.verifier])


def signed_off_edition(session: Session, cycle: str, nation: str) -> SignedDocument | None:
    """The national edition of ``cycle`` last signed off as final (None before one): the only
    one the node publishes. Raises IntegrityBroken when the edition a sign-off names is not
    held, or a later sign-off was removed (hgr.federation.documents.latest_anchored)."""
    final = latest_anchored(session, "final", cycle, nation)
    if final is None:
        return None
    return _edition_named(session, cycle, str(envelope_of(final).content["edition"]))


_PUBLISHED: dict[str, PublishedSurvey] = {}
"""Published editions by the digest of their sign-off: a sign-off never changes."""


def published_edition(session: Session, cycle: str, nation: str) -> PublishedSurvey | None:
    """What is published of ``cycle``'s national edition for ``nation``: the one last signed
    off as final, with the cells its sign-off hides (None before one is; a draft or a partial
    compilation is never published)."""
    final = latest_anchored(session, "final", cycle, nation)
    if final is None:
        return None
    if final.sha256 not in _PUBLISHED:
        signed = envelope_of(final).content
        edition = _edition_named(session, cycle, str(signed["edition"]))
        if "suppressed" not in signed:
            # Protecting it now, alone, would ignore the editions published before it.
            raise IntegrityBroken(
                f"the sign-off of {cycle} records no suppression: sign the edition off again",
                code="E_SURVEY_FINAL_BROKEN",
            )
        threshold = int(signed["threshold"])
        if len(_PUBLISHED) > 16:
            _PUBLISHED.clear()
        _PUBLISHED[final.sha256] = publish(
            envelope_of(edition).content,
            edition.sha256,
            threshold,
            signed["protection_interval"],
            signed["suppressed"],
        )
    return _PUBLISHED[final.sha256]


def published_cycles(session: Session, nation: str) -> list[str]:
    """The cycles for which ``nation`` has signed a national edition off, newest first."""
    return list(
        session.scalars(
            select(SignedDocument.cycle)
            .where(SignedDocument.kind == "final", SignedDocument.subject == nation)
            .distinct()
            .order_by(SignedDocument.cycle.desc())
        )
    )


def counted(name: str, column: str) -> str:
    """What a column of a published table counts (donor records, persons, samples...)."""
    return COUNT_UNITS.get(column, "") if name == COUNTS else UNITS.get(name, "")


def _header(name: str, column: str) -> str:
    unit = counted(name, column)
    return f"{column} ({unit})" if unit else column


def _labelled(published: PublishedSurvey, name: str, column: str) -> dict[str, str]:
    label = published.label(name, column)
    return {"rdfs:label": label} if label else {}


def write_tables(published: PublishedSurvey, folder: Path) -> list[Path]:
    """Write each published table as CSV (suppressed cells shown as ``x``), each column's
    header naming what it counts, and ``tables.json``, the tables' metadata in the W3C's
    CSV on the Web vocabulary (what each column counts, how a hidden cell is shown, the
    threshold and the protection interval); the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    described = []
    rows_of: dict[str, list[list[Any]]] = {
        name: [
            [unit, *(HIDDEN if v is None else v for v in table.row(unit).values())]
            for unit in table.table.units
        ]
        for name, table in published.tables.items()
    }
    rows_of[PERSONS] = [
        [u, *(HIDDEN if n is None else n for n in published.person_row(u).values())]
        for u in published.persons
    ]
    for name, rows in rows_of.items():
        columns = (
            published.person_columns() if name == PERSONS else published.tables[name].table.columns
        )
        path = folder / f"{name}.csv"
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(safe_row(["unit", *(_header(name, c) for c in columns)]))
            for row in rows:
                writer.writerow(safe_row(row))
        tmp.replace(path)  # a table is whole or absent
        written.append(path)
        described.append(
            {
                "url": path.name,
                "dc:title": name,
                "tableSchema": {
                    "columns": [
                        {"name": "unit", "titles": "unit", "datatype": "string"},
                        *(
                            {
                                "titles": _header(name, c),
                                "datatype": "nonNegativeInteger",
                                "null": HIDDEN,
                                "dc:description": counted(name, c),
                                **_labelled(published, name, c),
                            }
                            for c in columns
                        ),
                    ]
                },
            }
        )
    metadata = folder / "tables.json"
    tmp = metadata.with_name(metadata.name + ".tmp")
    tmp.write_text(
        json.dumps(
            {
                "@context": "http://www.w3.org/ns/csvw",
                "dc:source": f"national survey {published.cycle}, edition {published.edition}",
                "dc:description": (
                    f"Counts from 1 to {published.threshold - 1} are hidden (shown as "
                    f"{HIDDEN}), with every cell that would narrow one down to a range "
                    f"narrower than {published.interval}, across every table and every "
                    "edition of the cycle published before this one."
                ),
                "tables": described,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    tmp.replace(metadata)
    return [*written, metadata]
