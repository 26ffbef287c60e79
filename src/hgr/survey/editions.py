"""Provincial and national editions: compiled from signed returns, signed in their turn.

A province compiles the latest return of each of its institutions (IR Art. 23: provinces
compile their region's data and report it), after checking every signature and validation
rule again; the edition names each return by digest and by the key that signed it, so the
nation can check returns it never received directly. The nation compiles the provinces'
editions into the national edition, counting **persons** rather than donor records with the
duplicate links of the relatedness engine.

Editions carry the exact counts: they pass between authorities and are not published.
Published tables go through :mod:`hgr.privacy.tables`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor
from hgr.crypto import Signer, Verifier
from hgr.dates import as_utc, utc_now, utc_today
from hgr.exceptions import FormatError, IntegrityBroken, NotFound, UsageError, ValidationFailed
from hgr.federation.documents import (
    Envelope,
    envelope_of,
    latest_documents,
    sign_document,
    store_document,
    trusted_verifiers,
)
from hgr.federation.models import SignedDocument
from hgr.issues import Issue, Origin, Severity
from hgr.registry import models as m
from hgr.registry.regions import province_codes
from hgr.relatedness.identity import persons_within
from hgr.survey.cycles import cycle_dictionary, get_cycle
from hgr.survey.models import SurveyCycle
from hgr.survey.returns import validate_return

__all__ = [
    "ADDITIVE_COUNTS",
    "CHANGE_WARNING",
    "InstitutionStatus",
    "ReturnAtProvince",
    "compile_nation",
    "compile_province",
    "completeness",
    "next_header",
    "package",
    "previous_cycle",
    "receive_package",
    "return_at_province",
]

ADDITIVE_COUNTS = (
    "donors",
    "samples",
    "genotyped_donors",
    "consents_withdrawn",
    "donors_without_consent",
    "ethics_approvals",
    "ethics_expired",
    "families",
    "pedigree_members",
)
"""Count fields that add up over institutions (persons do not: one person may be enrolled at
several institutions)."""
ADDITIVE_TABLES = (
    "donors_by_sex",
    "donors_by_age",
    "samples_by_material",
    "donors_by_material",
    "persons_by_data_category",
    "donors_by_disease",
    "donors_by_population",
    "donors_by_residence",
    "consents_by_scope",
    "consent_modifiers",
)
CHANGE_WARNING = 0.5
"""A count that moved by more than half since the previous cycle is flagged for review."""


@dataclass
class InstitutionStatus:
    """Where one institution of a province stands in a cycle."""

    institution: str
    name: str
    state: str  # returned | late | missing | overdue | invalid
    version: int | None = None
    sha256: str | None = None
    received_at: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)


def _province_institutions(session: Session, province: str) -> list[m.Institution]:
    provinces = province_codes(session)
    region = session.scalar(select(m.Region.id).where(m.Region.code == province))
    if region is None:
        raise NotFound(f"no region {province!r}", code="E_NO_REGION")
    return [
        i
        for i in session.scalars(select(m.Institution).order_by(m.Institution.code))
        if i.region_id is not None and provinces.get(i.region_id) == province
    ]


def _verifiers(session: Session, level: str, subject: str, own: Verifier | None) -> list[Verifier]:
    # A node always trusts its own key (it signs for every level it plays); other nodes'
    # keys are trusted by `hgr survey trust`.
    return [*trusted_verifiers(session, level, subject), *([own] if own else [])]


def _check_return(
    session: Session, cycle: SurveyCycle, document: SignedDocument, own: Verifier | None
) -> list[str]:
    problems = []
    envelope = envelope_of(document)
    why = envelope.check(_verifiers(session, "institution", document.subject, own))
    if why:
        problems.append(f"signature: {why}")
    issues = validate_return(envelope.content, cycle_dictionary(cycle), document.subject)
    problems += [str(i) for i in issues if i.severity is Severity.ERROR]
    return problems


def completeness(
    session: Session,
    cycle_code: str,
    province: str,
    *,
    today: dt.date | None = None,
    own: Verifier | None = None,
) -> list[InstitutionStatus]:
    """Who in ``province`` has returned, who is late, who has failed validation."""
    today = today or utc_today()
    cycle = get_cycle(session, cycle_code)
    institutions = _province_institutions(session, province)
    returns = latest_documents(session, "return", cycle.code, [i.code for i in institutions])
    return [
        _status(session, cycle, institution, returns.get(institution.code), today, own)
        for institution in institutions
    ]


def _status(
    session: Session,
    cycle: SurveyCycle,
    institution: m.Institution,
    document: SignedDocument | None,
    today: dt.date,
    own: Verifier | None,
) -> InstitutionStatus:
    """Where ``institution``'s latest return (``document``, None before one) stands."""
    if document is None:
        state = "overdue" if today > cycle.institution_due else "missing"
        return InstitutionStatus(institution.code, institution.name, state)
    problems = _check_return(session, cycle, document, own)
    received = as_utc(document.received_at)
    state = (
        "invalid"
        if problems
        else ("late" if received.date() > cycle.institution_due else "returned")
    )
    return InstitutionStatus(
        institution.code,
        institution.name,
        state,
        document.version,
        document.sha256,
        received,
        problems,
    )


@dataclass(frozen=True)
class ReturnAtProvince:
    """An institution's return as its province sees it: ``status`` as the province's
    completeness shows it, and the province's latest edition of the cycle (its version, when
    it was compiled, and which version of the institution's return it holds; None where
    there is no edition, or it holds none)."""

    province: str
    status: InstitutionStatus
    edition_version: int | None
    compiled_at: str
    included_version: int | None


def return_at_province(
    session: Session,
    cycle_code: str,
    institution: str,
    *,
    today: dt.date | None = None,
    own: Verifier | None = None,
) -> ReturnAtProvince:
    """Where ``institution``'s return to ``cycle_code`` stands on this (provincial) node.

    Raises NotFound for a cycle not held here, or an institution not registered in a
    province.
    """
    cycle = get_cycle(session, cycle_code)
    found = session.scalar(select(m.Institution).where(m.Institution.code == institution))
    province = province_codes(session).get(found.region_id or -1) if found is not None else None
    if found is None or province is None:
        raise NotFound(
            f"no institution {institution!r} in a province of this node", code="E_NO_INSTITUTION"
        )
    document = latest_documents(session, "return", cycle.code, [institution]).get(institution)
    status = _status(session, cycle, found, document, today or utc_today(), own)
    edition = latest_documents(session, "province", cycle.code, [province]).get(province)
    content = envelope_of(edition).content if edition is not None else {}
    included = next(
        (int(r["version"]) for r in content.get("returns", []) if r["institution"] == institution),
        None,
    )
    return ReturnAtProvince(
        province,
        status,
        edition.version if edition is not None else None,
        str(content.get("compiled_at", "")),
        included,
    )


def previous_cycle(session: Session, cycle: SurveyCycle) -> SurveyCycle | None:
    """The cycle before ``cycle`` (by reference date), if any."""
    return session.scalar(
        select(SurveyCycle)
        .where(SurveyCycle.reference_date < cycle.reference_date)
        .order_by(SurveyCycle.reference_date.desc())
        .limit(1)
    )


def _by_group(counts: Mapping[str, int]) -> dict[str, Any]:
    """Counts by group name (``nation``, ``province:P``, ``kind:K``) as the edition holds them."""
    nation = counts.get("nation", 0)
    in_province = {
        g.split(":", 1)[1]: n for g, n in sorted(counts.items()) if g.startswith("province:")
    }
    return {
        "nation": nation,
        "by_province": in_province,
        "by_kind": {
            g.split(":", 1)[1]: n for g, n in sorted(counts.items()) if g.startswith("kind:")
        },
        "in_several_provinces": sum(in_province.values()) - nation,
    }


def _check_pseudonyms(code: str, body: Mapping[str, Any]) -> None:
    """Refuse a return whose pseudonyms do not match its own counts: persons are counted from
    the pseudonyms, so a return that lists fewer donors than it counts (or sequenced donors
    that are not its donors, or more or fewer than its whole-genome and whole-exome counts
    allow) would change the nation's persons without changing a count.

    Raises
    ------
    IntegrityBroken
        ``E_SURVEY_PSEUDONYMS``, naming the institution and what disagrees.
    """
    fields = body["fields"]
    donors: Any = body.get("donor_pseudonyms")
    sequenced = body.get("sequenced_pseudonyms", [])
    problem = None
    if not all(_texts(listed) for listed in (donors, sequenced)):
        problem = "its pseudonyms are not lists of text"
    elif len(set(donors)) != len(donors):
        problem = "its donors' pseudonyms are not a list of distinct pseudonyms"
    elif len(donors) != fields.get("donors"):
        problem = f"it lists {len(donors)} donors' pseudonyms and counts {fields.get('donors')}"
    elif "sequenced_pseudonyms" in body:
        by_category = fields.get("persons_by_data_category", {})
        genome, exome = by_category.get("whole_genome", 0), by_category.get("whole_exome", 0)
        if not set(sequenced) <= set(donors):
            problem = "it lists sequenced donors that are not among its donors"
        elif len(set(sequenced)) != len(sequenced):
            problem = "it lists a sequenced donor twice"
        elif not max(genome, exome) <= len(sequenced) <= genome + exome:
            problem = (
                f"it lists {len(sequenced)} donors with whole-genome or whole-exome data, "
                f"but counts {genome} with genomes and {exome} with exomes"
            )
    if problem:
        raise IntegrityBroken(
            f"the return of {code} does not agree with itself: {problem}; the institution "
            "drafts and signs its return again",
            code="E_SURVEY_PSEUDONYMS",
        )


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _diagnosis_labels(bodies: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """One label per diagnosis code: the one given for most donor records across the returns
    (each institution's label weighted by its donors with the code; ties: the first in order),
    so that one institution's odd label does not name a code for the nation."""
    votes: dict[str, Counter[str]] = {}
    for body in bodies:
        counted = body["fields"].get("donors_by_disease", {})
        for row in body["fields"].get("diagnosis_labels", []):
            term, label = row.get("term"), row.get("label")
            if term and label:
                votes.setdefault(term, Counter())[label] += max(1, int(counted.get(term, 0)))
    return {
        term: min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
        for term, counter in sorted(votes.items())
    }


def _sum_fields(bodies: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    tables: dict[str, Counter[str]] = {name: Counter() for name in ADDITIVE_TABLES}
    for body in bodies:
        fields = body["fields"]
        for name in ADDITIVE_COUNTS:
            counts[name] += int(fields.get(name, 0))
        for name in ADDITIVE_TABLES:
            tables[name].update(fields.get(name, {}))
    return {
        **{n: counts[n] for n in ADDITIVE_COUNTS},
        **{n: dict(sorted(t.items())) for n, t in tables.items()},
    }


def _changes(
    now: Mapping[str, Any], before: Mapping[str, Any] | None, where: str
) -> list[dict[str, Any]]:
    """Counts that moved by more than CHANGE_WARNING since the previous cycle."""
    if before is None:
        return []
    flagged = []
    for name in ("donors", "samples", "families"):
        old, new = int(before.get(name, 0)), int(now.get(name, 0))
        if old and abs(new - old) / old > CHANGE_WARNING:
            flagged.append(
                {
                    "where": where,
                    "field": name,
                    "previous": old,
                    "now": new,
                    "change": round((new - old) / old, 3),
                }
            )
    return flagged


def next_header(session: Session, kind: str, cycle: str, subject: str) -> dict[str, Any]:
    latest = latest_documents(session, kind, cycle, [subject]).get(subject)
    return {
        "kind": kind,
        "cycle": cycle,
        "subject": subject,
        "version": 1 if latest is None else latest.version + 1,
        "replaces": None if latest is None else latest.sha256,
    }


def compile_province(
    session: Session, signer: Signer, by: Actor, cycle_code: str, province: str
) -> SignedDocument:
    """Compile, sign and keep the province's edition (the next version of its chain).

    Returns that fail their signature or a validation rule stop the compilation (they must be
    corrected first); institutions that have not returned are listed as missing, and a later
    return makes a corrected edition.
    """
    cycle = get_cycle(session, cycle_code)
    own = signer.verifier
    statuses = completeness(session, cycle.code, province, own=own)
    invalid = [s for s in statuses if s.state == "invalid"]
    if invalid:
        issues = [
            Issue(
                "E_SURVEY_INVALID_RETURN",
                Severity.ERROR,
                Origin(s.institution, None, f"/returns/{s.institution}"),
                p,
                "the institution corrects its return and signs a new version",
            )
            for s in invalid
            for p in s.problems
        ]
        raise ValidationFailed(
            f"province {province}: {len(invalid)} return(s) fail their "
            "checks; no edition was signed",
            issues,
            code="E_SURVEY_INVALID_RETURN",
        )
    returned = [s for s in statuses if s.sha256]
    codes = [s.institution for s in returned]
    documents = latest_documents(session, "return", cycle.code, codes)
    bodies = {s.institution: envelope_of(documents[s.institution]).content for s in returned}
    for code, returned_body in bodies.items():
        _bind(session, province, code, returned_body)
    earlier = previous_cycle(session, cycle)
    before = latest_documents(session, "return", earlier.code, codes) if earlier else {}
    changes = [
        change
        for code, body in bodies.items()
        for change in _changes(
            body["fields"],
            envelope_of(before[code]).content["fields"] if code in before else None,
            code,
        )
    ]
    body = {
        **next_header(session, "province", cycle.code, province),
        "cycle_document": cycle.document_sha256,
        "dictionary": cycle_dictionary(cycle).version,
        "returns": [
            {
                "institution": s.institution,
                "version": s.version,
                "sha256": s.sha256,
                "signer": documents[s.institution].signer,
                "key": _key_of(session, documents[s.institution], own),
                "late": s.state == "late",
            }
            for s in returned
        ],
        "missing": [s.institution for s in statuses if not s.sha256],
        "totals": _sum_fields(bodies.values()),
        "changes": changes,
        "compiled_at": utc_now().isoformat(timespec="seconds"),
    }
    return store_document(session, by, sign_document(signer, body), [own])


def _key_of(session: Session, document: SignedDocument, own: Verifier | None) -> str:
    """The public key (hex) that verifies ``document``: the edition vouches for it."""
    envelope = envelope_of(document)
    for verifier in _verifiers(session, "institution", document.subject, own):
        if envelope.check([verifier]) is None:
            return verifier.public.hex()
    raise IntegrityBroken(
        f"return of {document.subject} verifies under no trusted key", code="E_SIGNATURE"
    )


def compile_nation(
    session: Session, signer: Signer, by: Actor, cycle_code: str, nation: str = "CN"
) -> SignedDocument:
    """Compile, sign and keep the national edition from the provinces' latest editions.

    Every province edition is checked against the keys trusted for its province, and every
    return it names must be held here, with the digest it names, signed by the key it names.
    Persons are counted once across institutions with the duplicate links (unique donors).
    """
    cycle = get_cycle(session, cycle_code)
    own = signer.verifier
    editions = latest_documents(session, "province", cycle.code)
    if not editions:
        raise UsageError(
            f"no province has submitted an edition for {cycle.code}", code="E_SURVEY_NO_EDITIONS"
        )
    returns_by_digest = {
        d.sha256: d
        for d in session.scalars(
            select(SignedDocument).where(
                SignedDocument.kind == "return", SignedDocument.cycle == cycle.code
            )
        )
    }
    bodies: dict[str, dict[str, Any]] = {}
    provinces: dict[str, Any] = {}
    for province, edition in sorted(editions.items()):
        content = _checked_edition(session, edition, own)
        returned = []
        for entry in content["returns"]:
            document = returns_by_digest.get(entry["sha256"])
            if document is None:
                raise IntegrityBroken(
                    f"edition of {province} names return {entry['sha256']} "
                    f"of {entry['institution']}, which is not held here",
                    code="E_SURVEY_MISSING_RETURN",
                )
            vouched = Verifier(entry["signer"], bytes.fromhex(entry["key"]))
            why = envelope_of(document).check([vouched])
            if why:
                raise IntegrityBroken(
                    f"return of {entry['institution']}: {why}", code="E_SIGNATURE"
                )
            _bind(session, province, entry["institution"], envelope_of(document).content)
            _registered_key(session, entry["institution"], vouched, own)
            bodies[entry["institution"]] = envelope_of(document).content
            returned.append(entry["institution"])
        provinces[province] = {
            "edition": edition.sha256,
            "version": edition.version,
            "institutions": returned,
            "missing": content["missing"],
            "totals": content["totals"],
        }
    for code, body in bodies.items():
        _check_pseudonyms(code, body)
    totals = _sum_fields(bodies.values())
    # Persons in the nation, and within each province and each kind of institution: a person
    # enrolled in two provinces is one person in each, so the provinces add up to more than
    # the nation, by the people enrolled in more than one ("overlap"). Likewise the persons
    # with whole-genome or whole-exome data, where every return lists them.
    lists = ["donor_pseudonyms"]
    if all("sequenced_pseudonyms" in body for body in bodies.values()):
        lists.append("sequenced_pseudonyms")
    groups: dict[str, list[tuple[str, str]]] = {}
    for listed in lists:
        for code, body in bodies.items():
            facts = body["institution"]
            for group in ("nation", f"province:{facts['province']}", f"kind:{facts['kind']}"):
                named = f"{listed}/{group}"
                groups.setdefault(named, []).extend((code, p) for p in body[listed])
    within = persons_within(session, groups)
    counted = {
        listed: _by_group(
            {g.split("/", 1)[1]: n for g, n in within.items() if g.startswith(f"{listed}/")}
        )
        for listed in lists
    }
    persons = counted["donor_pseudonyms"]["nation"]
    in_province = counted["donor_pseudonyms"]["by_province"]
    of_kind = counted["donor_pseudonyms"]["by_kind"]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({b["institution"]["kind"] for b in bodies.values()}):
        by_kind[kind] = _sum_fields(b for b in bodies.values() if b["institution"]["kind"] == kind)
    earlier = previous_cycle(session, cycle)
    before = (
        latest_documents(session, "nation", earlier.code, [nation]).get(nation) if earlier else None
    )
    previous_totals = envelope_of(before).content["totals"] if before else None
    body = {
        **next_header(session, "nation", cycle.code, nation),
        "cycle_document": cycle.document_sha256,
        "dictionary": cycle_dictionary(cycle).version,
        "provinces": provinces,
        "institutions": {
            code: {
                "province": b["institution"]["province"],
                "kind": b["institution"]["kind"],
                "name": b["institution"]["name"],
                "fields": {
                    k: v
                    for k, v in b["fields"].items()
                    if k in ADDITIVE_COUNTS or k in ADDITIVE_TABLES or k == "persons"
                },
                "declared_pedigrees": [
                    {k: p.get(k) for k in ("condition", "condition_label", "generations_affected")}
                    for p in b["fields"].get("declared_pedigrees", [])
                ],
            }
            for code, b in sorted(bodies.items())
        },
        "diagnosis_labels": _diagnosis_labels(bodies.values()),
        "totals": {**totals, "persons": persons},
        # Exact, for the authorities: not published until the tables are protected together
        # with them (a province's donors less its persons would give its duplicates away).
        "persons": {
            "nation": persons,
            "by_province": in_province,
            "by_kind": of_kind,
            "in_several_provinces": sum(in_province.values()) - persons,
            **(
                {"sequenced": counted["sequenced_pseudonyms"]}
                if "sequenced_pseudonyms" in counted
                else {}
            ),
        },
        "by_kind": by_kind,
        "previous": None
        if before is None
        else {
            "cycle": earlier.code if earlier else None,
            "edition": before.sha256,
            "totals": previous_totals,
        },
        "changes": _changes(totals, previous_totals, nation),
        "compiled_at": utc_now().isoformat(timespec="seconds"),
    }
    return store_document(session, by, sign_document(signer, body), [own])


def _bind(
    session: Session, province: str, institution: str, body: Mapping[str, Any] | None = None
) -> None:
    """Refuse a return that ``province`` cannot vouch for: an institution this node's registry
    does not hold, one the registry places in another province, or a return whose own body
    places it elsewhere (the registry decides where an institution belongs, not a document).

    Raises
    ------
    IntegrityBroken
        With the institution, the provinces and the fix.
    """
    row = session.execute(
        select(m.Institution.region_id).where(m.Institution.code == institution)
    ).first()
    if row is None:
        raise IntegrityBroken(
            f"the edition of {province} vouches for {institution}, which this "
            "node's registry does not hold: import the institutions list "
            "first (hgr import institutions.csv)",
            code="E_SURVEY_UNKNOWN_INSTITUTION",
        )
    registered = province_codes(session).get(row[0]) if row[0] is not None else None
    if registered != province:
        raise IntegrityBroken(
            f"the edition of {province} vouches for {institution}, which "
            f"belongs to {registered or 'no province'}: a province vouches "
            "only for its own institutions",
            code="E_SURVEY_NOT_ITS_INSTITUTION",
        )
    claimed = ((body or {}).get("institution") or {}).get("province", province)
    if claimed != registered:
        raise IntegrityBroken(
            f"the return of {institution} places it in {claimed}, but it "
            f"belongs to {registered}: a return cannot move an institution",
            code="E_SURVEY_NOT_ITS_INSTITUTION",
        )


def _registered_key(
    session: Session, institution: str, vouched: Verifier, own: Verifier | None
) -> None:
    """Refuse a key an edition names for an institution unless this node has registered it
    for that institution (hgr survey trust institution …), or it is this node's own: a
    province vouches for its institutions' returns, but only with the keys the institutions
    registered, never with one it made up (docs/survey.md, "Binding").

    Raises
    ------
    IntegrityBroken
        With the institution and how to register its key.
    """
    registered = trusted_verifiers(session, "institution", institution)
    if own is not None and vouched.public == own.public:
        return
    if not registered:
        raise IntegrityBroken(
            f"no signing key of {institution} is registered here, so its "
            "return cannot be checked: register the key the institution "
            f"gave (hgr survey trust --level institution --subject "
            f"{institution} --key KEY --signer NAME)",
            code="E_SURVEY_KEY_UNREGISTERED",
        )
    if vouched.public not in {v.public for v in registered}:
        raise IntegrityBroken(
            f"the return of {institution} is vouched for with a key that is "
            "not the one registered for it here",
            code="E_SIGNATURE",
        )


def _checked_edition(
    session: Session, edition: SignedDocument, own: Verifier | None
) -> dict[str, Any]:
    envelope = envelope_of(edition)
    why = envelope.check(_verifiers(session, "province", edition.subject, own))
    if why:
        raise IntegrityBroken(f"edition of {edition.subject}: {why}", code="E_SIGNATURE")
    return envelope.content


def package(session: Session, edition: SignedDocument) -> dict[str, Any]:
    """An edition with every return it names, each with the versions it replaces: what a
    province sends the nation."""
    content = envelope_of(edition).content
    latest = {e["institution"]: e["version"] for e in content.get("returns", [])}
    chains = session.scalars(
        select(SignedDocument)
        .where(
            SignedDocument.kind == "return",
            SignedDocument.cycle == edition.cycle,
            SignedDocument.subject.in_(sorted(latest)),
        )
        .order_by(SignedDocument.subject, SignedDocument.version)
    )
    earlier = session.scalars(
        select(SignedDocument)
        .where(
            SignedDocument.kind == "province",
            SignedDocument.cycle == edition.cycle,
            SignedDocument.subject == edition.subject,
            SignedDocument.version < edition.version,
        )
        .order_by(SignedDocument.version)
    )
    return {
        "edition": envelope_of(edition).as_dict(),
        "earlier": [envelope_of(d).as_dict() for d in earlier],
        "returns": [envelope_of(d).as_dict() for d in chains if d.version <= latest[d.subject]],
    }


def receive_package(
    session: Session, by: Actor, sent: Any, own: Verifier | None = None
) -> SignedDocument:
    """Keep a province's edition and the returns it names, after checking every signature.

    The edition is checked first, against the keys trusted for its province; each return is
    then checked against the key the edition names for its institution.
    """
    if not isinstance(sent, Mapping) or not isinstance(sent.get("returns"), list):
        raise FormatError(
            "a package is an object with `edition` and a list of `returns`", code="E_PACKAGE"
        )
    edition = Envelope.from_dict(sent.get("edition"), "package edition")
    content = edition.content
    if content["kind"] != "province":
        raise FormatError(
            f"a package carries a province edition, not a {content['kind']}", code="E_PACKAGE"
        )
    why = edition.check(_verifiers(session, "province", content["subject"], own))
    if why:
        raise IntegrityBroken(f"edition of {content['subject']}: {why}", code="E_SIGNATURE")
    keys = {
        e["institution"]: Verifier(e["signer"], bytes.fromhex(e["key"]))
        for e in content.get("returns", [])
    }
    for institution, key in keys.items():
        _bind(session, content["subject"], institution)
        _registered_key(session, institution, key, own)
    for n, raw in enumerate(sent["returns"]):
        envelope = Envelope.from_dict(raw, f"package return {n}")
        subject = envelope.content["subject"]
        if envelope.content["kind"] != "return" or subject not in keys:
            raise IntegrityBroken(
                f"package return {n} is not a return the edition names", code="E_PACKAGE_MISMATCH"
            )
        _bind(session, content["subject"], subject, envelope.content)
        store_document(session, by, envelope, [keys[subject]])
    province_keys = _verifiers(session, "province", content["subject"], own)
    for n, raw in enumerate(sent.get("earlier") or []):
        earlier = Envelope.from_dict(raw, f"package earlier {n}")
        found = (earlier.content["kind"], earlier.content["subject"])
        if found != ("province", content["subject"]):
            raise IntegrityBroken(
                f"package earlier {n} is not an edition of {content['subject']}",
                code="E_PACKAGE_MISMATCH",
            )
        store_document(session, by, earlier, province_keys)
    return store_document(session, by, edition, province_keys)
