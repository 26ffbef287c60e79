"""Institution returns: counted from the registry, checked, reviewed and signed by the steward.

A return answers a cycle's data dictionary for one institution. The computed fields are
counted from the registry (and the genotype stores) as they stand when the draft is made; the
form fields come from the steward's answers. ``draft_return`` makes the body for review;
``submit_return`` checks it again, numbers it (a resubmission is the next version and names the
digest of the one it replaces) and signs it.

The body also lists the pseudonyms of the institution's donors, and of those with whole-genome
or whole-exome data: the nation needs them to count persons across institutions with the
relatedness engine's duplicate links. They are keyed pseudonyms, never published.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from hgr.audit import Actor
from hgr.crypto import Signer, Verifier
from hgr.dates import utc_now
from hgr.exceptions import NotFound, ValidationFailed
from hgr.federation.documents import (
    Envelope,
    envelope_of,
    latest_documents,
    sign_document,
    store_document,
    trusted_verifiers,
)
from hgr.federation.models import SignedDocument
from hgr.genotypes.models import GenotypeSample
from hgr.issues import N_, Issue, Origin, Severity
from hgr.registry import models as m
from hgr.registry.regions import province_codes
from hgr.registry.state import counted
from hgr.relatedness.identity import institution_persons
from hgr.relatedness.models import DonorLink
from hgr.survey.cycles import cycle_dictionary, get_cycle
from hgr.survey.dictionary import DataDictionary, FieldSpec
from hgr.survey.models import SurveyCycle
from hgr.vocabulary import AffectedStatus, ConsentStatus

__all__ = [
    "ReturnStatus",
    "draft_return",
    "receive_return",
    "return_statuses",
    "submit_return",
    "validate_return",
]

SCHEMA = "hgr-survey-return/1"
MAX_TEXT = 4000
MAX_COUNT = 10**9  # more than any institution holds of anything: a larger count is a slip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # line breaks and tabs allowed


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def _table(session: Session, query: Any) -> dict[str, int]:
    return {
        str(getattr(k, "value", k) if k is not None else "unknown"): int(n)
        for k, n in session.execute(query)
    }


def _diagnosis_labels(session: Session, own_donors: Any) -> list[dict[str, str]]:
    """Each diagnosis code counted, with the label most of its records give (ties: the first
    in order), for the report to print beside the code. Codes recorded without a label are
    left out."""
    Dx = m.DonorDiagnosis
    rows = session.execute(
        select(Dx.term_id, Dx.label, func.count())
        .join(m.Donor, m.Donor.id == Dx.donor_id)
        .where(own_donors, Dx.label.is_not(None), Dx.label != "")
        .group_by(Dx.term_id, Dx.label)
    ).all()
    best: dict[str, tuple[int, str]] = {}
    for term, label, n in rows:
        label = " ".join(_CONTROL.sub("", str(label)).split())[:MAX_TEXT]
        held = best.get(term)
        if held is None or (-int(n), label) < (-held[0], held[1]):
            best[term] = (int(n), label)
    return [{"term": t, "label": best[t][1]} for t in sorted(best)]


def _institution(session: Session, code: str) -> m.Institution:
    found = session.scalar(select(m.Institution).where(m.Institution.code == code))
    if found is None:
        raise NotFound(f"no institution {code!r} in the registry", code="E_NO_INSTITUTION")
    return found


def _merged(rows: Any, key: Any) -> dict[str, int]:
    """Counts of grouped rows, their keys mapped by ``key`` (several may map to one), sorted."""
    counts: Counter[str] = Counter()
    for value, n in rows:
        counts[key(value)] += int(n)
    return dict(sorted(counts.items()))


def compute_fields(
    session: Session, institution: m.Institution, cycle: SurveyCycle, provinces: Mapping[int, str]
) -> dict[str, Any]:
    """Every computable field for ``institution`` as the registry stands now; ``provinces``
    maps region ids to province codes.

    Each count is an aggregate the database makes: an institution of a million donors is
    counted without loading its records.
    """
    iid = institution.id
    D, S, C = m.Donor, m.Sample, m.Consent
    own_donors = D.institution_id == iid
    own_samples = S.institution_id == iid

    def grouped(column: Any, *where: Any, counted: Any = None) -> Any:
        measure = func.count() if counted is None else func.count(func.distinct(counted))
        return session.execute(select(column, measure).where(*where).group_by(column)).all()

    donors = _count(session, select(func.count()).select_from(D).where(own_donors))
    by_collection = {
        collection: (int(people), int(samples))
        for collection, people, samples in session.execute(
            select(S.collection_id, func.count(func.distinct(S.donor_id)), func.count())
            .where(own_samples)
            .group_by(S.collection_id)
        )
    }
    collections = session.scalars(
        select(m.Collection).where(m.Collection.institution_id == iid).order_by(m.Collection.code)
    ).all()
    in_category: dict[str, list[int]] = defaultdict(list)
    for collection in collections:
        for category in collection.data_categories or []:
            in_category[category].append(collection.id)
    by_category = {
        category: _count(
            session,
            select(func.count(func.distinct(S.donor_id))).where(
                own_samples, S.collection_id.in_(ids)
            ),
        )
        for category, ids in sorted(in_category.items())
    }
    genotyped = _count(
        session,
        select(func.count(func.distinct(S.donor_id)))
        .join(GenotypeSample, GenotypeSample.sample_id == S.id)
        .where(own_samples),
    )
    active = (C.status == ConsentStatus.ACTIVE, C.donor_id.in_(select(D.id).where(own_donors)))
    # Modifiers are a JSON list per consent: counted per distinct list (there are few), then
    # per modifier. A JSON value has no equality in PostgreSQL, so the list is grouped as text.
    modifiers: Counter[str] = Counter()
    for listed, n in grouped(cast(C.modifiers, String), *active):
        for modifier in (json.loads(listed) if listed else None) or []:  # JSON null too
            modifiers[modifier] += int(n)
    consenting = _count(session, select(func.count(func.distinct(C.donor_id))).where(*active))
    withdrawn = _count(
        session,
        select(func.count())
        .select_from(C)
        .join(D, D.id == C.donor_id)
        .where(
            own_donors,
            C.status == ConsentStatus.WITHDRAWN,
            C.withdrawn_on >= cycle.period_start,
            C.withdrawn_on <= cycle.period_end,
        ),
    )
    E = m.EthicsApproval
    ref = cycle.reference_date
    valid = _count(
        session,
        select(func.count())
        .select_from(E)
        .where(
            E.institution_id == iid,
            E.valid_from <= ref,
            (E.valid_to.is_(None)) | (E.valid_to >= ref),
        ),
    )
    expired = _count(
        session,
        select(func.count()).select_from(E).where(E.institution_id == iid, E.valid_to < ref),
    )
    families = session.scalars(
        select(m.Family).where(m.Family.institution_id == iid).order_by(m.Family.code)
    ).all()
    members = _count(
        session,
        select(func.count())
        .select_from(m.PedigreeMember)
        .join(m.Family, m.Family.id == m.PedigreeMember.family_id)
        .where(m.Family.institution_id == iid),
    )
    return {
        "donors": donors,
        "persons": institution_persons(session, institution.code),
        "donors_by_sex": _merged(grouped(D.sex, own_donors), str),
        "donors_by_age": _age_bands(grouped(D.birth_year, own_donors), cycle.reference_date.year),
        "samples": sum(samples for _, samples in by_collection.values()),
        "samples_by_material": _merged(grouped(S.material_type, own_samples), str),
        "donors_by_material": _merged(
            grouped(S.material_type, own_samples, counted=S.donor_id), str
        ),
        "persons_by_data_category": by_category,
        "genotyped_donors": genotyped,
        "donors_by_disease": _table(
            session,
            select(m.DonorDiagnosis.term_id, func.count(func.distinct(D.id)))
            .join(D, D.id == m.DonorDiagnosis.donor_id)
            .where(own_donors)
            .group_by(m.DonorDiagnosis.term_id),
        ),
        "diagnosis_labels": _diagnosis_labels(session, own_donors),
        "donors_by_population": _merged(
            grouped(D.population, own_donors), lambda p: p or "unknown"
        ),
        "donors_by_residence": _merged(
            grouped(D.residence_region_id, own_donors),
            lambda r: provinces.get(r, "unknown") if r else "unknown",
        ),
        "collections": [
            {
                "code": c.code,
                "name": c.name,
                "materials": sorted(c.material_types or []),
                "data_categories": sorted(c.data_categories or []),
                "disease_focus": sorted(c.disease_focus or []),
                "donors": by_collection.get(c.id, (0, 0))[0],
                "samples": by_collection.get(c.id, (0, 0))[1],
            }
            for c in collections
        ],
        "consents_by_scope": _merged(grouped(C.permission, *active), str),
        "consent_modifiers": dict(sorted(modifiers.items())),
        "consents_withdrawn": withdrawn,
        "donors_without_consent": donors - consenting,
        "ethics_approvals": valid,
        "ethics_expired": expired,
        "families": len(families),
        "pedigree_members": members,
        "declared_pedigrees": [_pedigree(session, f) for f in families if f.condition],
    }


AGE_BANDS = ((0, 17), (18, 39), (40, 59), (60, 79), (80, None))


def _age_bands(by_birth_year: Any, year: int) -> dict[str, int]:
    """Donors by band of age reached in ``year`` (the reference date's), from their year of
    birth; ``unknown`` without one."""
    found: Counter[str] = Counter()
    for born, n in by_birth_year:
        if born is None or born > year:
            found["unknown"] += int(n)
            continue
        age = year - int(born)
        low, high = next((lo, hi) for lo, hi in AGE_BANDS if hi is None or age <= hi)
        found[f"{low}-{high}" if high is not None else f"{low}+"] += int(n)
    return dict(sorted(found.items()))


def _beyond_the_registry(session: Session) -> tuple[int, int]:
    """What a return counts that the registry's state does not follow: the newest genotyped
    sample (genotyped donors) and the newest donor link (persons)."""
    genotyped = session.scalar(select(func.max(GenotypeSample.id))) or 0
    linked = session.scalar(select(func.max(DonorLink.id))) or 0
    return int(genotyped), int(linked)


def donor_pseudonyms(session: Session, institution: m.Institution) -> list[str]:
    """The pseudonyms of ``institution``'s donors, sorted: what the nation counts persons
    across institutions with."""
    return list(
        session.scalars(
            select(m.Donor.pseudonym)
            .where(m.Donor.institution_id == institution.id)
            .order_by(m.Donor.pseudonym)
        )
    )


SEQUENCED = ("whole_genome", "whole_exome")
"""The data categories whose persons the 500-person trigger of the security review counts
(regulations.md CN-13: exome- or genome-sequencing information of more than 500 persons,
Reg. Art. 28 ¶1 and the Implementing Rules)."""


def sequenced_pseudonyms(session: Session, institution: m.Institution) -> list[str]:
    """The pseudonyms of ``institution``'s donors with whole-genome or whole-exome data (a
    sample in a collection that declares either), sorted: what the nation counts the persons
    of the 500-person threshold with."""
    S = m.Sample
    declaring = [
        c.id
        for c in session.scalars(
            select(m.Collection).where(m.Collection.institution_id == institution.id)
        )
        if set(c.data_categories or ()) & set(SEQUENCED)
    ]
    if not declaring:
        return []
    return list(
        session.scalars(
            select(m.Donor.pseudonym)
            .where(
                m.Donor.institution_id == institution.id,
                m.Donor.id.in_(
                    select(S.donor_id).where(
                        S.institution_id == institution.id, S.collection_id.in_(declaring)
                    )
                ),
            )
            .order_by(m.Donor.pseudonym)
        )
    )


def _pedigree(session: Session, family: m.Family) -> dict[str, Any]:
    P, A = m.PedigreeMember, m.PedigreeAffection
    rows = session.execute(select(P.id, P.generation).where(P.family_id == family.id)).all()
    affected = session.execute(
        select(P.id, P.generation)
        .join(A, A.member_id == P.id)
        .where(
            P.family_id == family.id,
            A.condition == family.condition,
            A.status == AffectedStatus.AFFECTED,
        )
    ).all()
    return {
        "code": family.code,
        "condition": family.condition,
        "condition_label": family.condition_label,
        "generations": family.generations,
        "members": len(rows),
        "affected": len({a.id for a in affected}),
        "generations_affected": len({a.generation for a in affected}),
    }


def draft_return(
    session: Session,
    cycle_code: str,
    institution_code: str,
    answers: Mapping[str, Any],
    *,
    preview: bool = False,
) -> dict[str, Any]:
    """The body of ``institution_code``'s return to ``cycle_code``, for the steward to review.

    The header (version, replaces) is filled in when it is signed. Validation issues are
    not raised here: ``validate_return`` lists them for review. A ``preview`` leaves out the
    donors' pseudonyms (it shows none of them) and takes its counts from those kept while the
    registry stands (hgr.registry.state); a return to sign is counted afresh, pseudonyms and all.
    """
    cycle = get_cycle(session, cycle_code)
    dictionary = cycle_dictionary(cycle)
    institution = _institution(session, institution_code)
    provinces = province_codes(session)
    computed = (
        counted(
            session,
            ("survey.draft", cycle.code, institution.code, _beyond_the_registry(session)),
            lambda: compute_fields(session, institution, cycle, provinces),
        )
        if preview
        else compute_fields(session, institution, cycle, provinces)
    )
    region = institution.region_id
    return {
        "kind": "return",
        "schema": SCHEMA,
        "cycle": cycle.code,
        "cycle_document": cycle.document_sha256,
        "dictionary": dictionary.version,
        "reference_date": cycle.reference_date.isoformat(),
        "subject": institution.code,
        "institution": {
            "code": institution.code,
            "name": institution.name,
            "kind": str(institution.kind),
            "province": provinces.get(region, "unknown") if region else "unknown",
            "country": institution.country,
            "control": str(institution.control),
        },
        "fields": {f.code: computed[f.code] for f in dictionary.computed},
        "form": dict(answers),
        "donor_pseudonyms": [] if preview else donor_pseudonyms(session, institution),
        "sequenced_pseudonyms": [] if preview else sequenced_pseudonyms(session, institution),
        "version": None,
        "replaces": None,
    }


# --- validation -------------------------------------------------------------------------


def _form_issues(spec: FieldSpec, value: Any) -> list[str]:
    if spec.kind == "count":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
        shown = repr(value)[:40]
        return (
            []
            if ok
            else [
                N_(
                    "%(field)s must be a whole number from 0 to %(most)s, not %(value)s",
                    field=spec.code,
                    most=MAX_COUNT,
                    value=shown,
                )
            ]
        )
    if spec.kind == "boolean":
        return (
            []
            if isinstance(value, bool)
            else [N_("%(field)s must be true or false", field=spec.code)]
        )
    if spec.kind == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT or _CONTROL.search(value):
            return [
                N_(
                    "%(field)s must be text of at most %(most)s characters, without control "
                    "characters",
                    field=spec.code,
                    most=MAX_TEXT,
                )
            ]
        return []
    if spec.kind == "list":
        if not isinstance(value, list) or not all(
            isinstance(v, dict)
            and all(
                isinstance(x, str) and len(x) <= MAX_TEXT and not _CONTROL.search(x)
                for x in v.values()
            )
            for v in value
        ):
            return [
                N_(
                    "%(field)s must be a list of objects with text values, without control "
                    "characters",
                    field=spec.code,
                )
            ]
        return []
    if spec.kind == "table" and (
        not isinstance(value, dict)
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value.values()
        )
    ):
        return [N_("%(field)s must map categories to whole numbers of at least 0", field=spec.code)]
    return []


def validate_return(
    body: Mapping[str, Any], dictionary: DataDictionary, origin: str = "return"
) -> list[Issue]:
    """Every rule a return must meet; errors block signing, warnings go to the reviewer.

    The same rules run at the province on every return it receives.
    """
    issues: list[Issue] = []

    def issue(code: str, severity: Severity, pointer: str, problem: str, fix: str) -> None:
        issues.append(Issue(code, severity, Origin(origin, None, pointer), problem, fix))

    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    form = body.get("form") if isinstance(body.get("form"), dict) else {}
    assert isinstance(fields, dict)
    assert isinstance(form, dict)
    if body.get("dictionary") != dictionary.version:
        issue(
            "E_SURVEY_DICTIONARY",
            Severity.ERROR,
            "/dictionary",
            N_(
                "the return answers dictionary %(value)s, the cycle asks %(version)s",
                value=repr(body.get("dictionary")),
                version=dictionary.version,
            ),
            N_("draft the return again for this cycle"),
        )
    for spec in dictionary.computed:
        if spec.code not in fields:
            issue(
                "E_SURVEY_MISSING",
                Severity.ERROR,
                f"/fields/{spec.code}",
                N_("computed field %(spec)s is missing", spec=spec.code),
                N_("draft the return again"),
            )
    known = {f.code for f in dictionary.form}
    for name in sorted(set(form) - known):
        issue(
            "E_SURVEY_FORM_UNKNOWN",
            Severity.ERROR,
            f"/form/{name}",
            N_(
                "%(name)s is not a form field of %(version)s", name=name, version=dictionary.version
            ),
            N_("answer only: %(value)s", value=", ".join(sorted(known))),
        )
    for spec in dictionary.form:
        if spec.code not in form:
            if spec.required:
                issue(
                    "E_SURVEY_FORM_MISSING",
                    Severity.ERROR,
                    f"/form/{spec.code}",
                    N_("%(label)s (%(spec)s) is not answered", label=spec.label, spec=spec.code),
                    N_("answer %(spec)s in the form file", spec=spec.code),
                )
            continue
        for problem in _form_issues(spec, form[spec.code]):
            issue(
                "E_SURVEY_FORM_VALUE",
                Severity.ERROR,
                f"/form/{spec.code}",
                problem,
                spec.help or N_("correct the answer"),
            )
    for spec in dictionary.computed:
        value = fields.get(spec.code)
        if spec.code in fields and spec.kind in ("count", "table"):
            for problem in _form_issues(spec, value):
                issue(
                    "E_SURVEY_VALUE",
                    Severity.ERROR,
                    f"/fields/{spec.code}",
                    problem,
                    N_("draft the return again"),
                )
    if issues:
        return issues  # the consistency rules below assume well-formed values
    issues.extend(_consistency(fields, form, origin))
    return issues


def _consistency(fields: Mapping[str, Any], form: Mapping[str, Any], origin: str) -> list[Issue]:
    found: list[Issue] = []

    def add(code: str, severity: Severity, pointer: str, problem: str, fix: str) -> None:
        found.append(Issue(code, severity, Origin(origin, None, pointer), problem, fix))

    donors = fields.get("donors")
    sums = [
        ("samples_by_material", "samples"),
        ("donors_by_sex", "donors"),
        ("donors_by_population", "donors"),
        ("donors_by_residence", "donors"),
    ]
    for table, total in sums:
        if table in fields and total in fields and sum(fields[table].values()) != fields[total]:
            add(
                "E_SURVEY_SUM",
                Severity.ERROR,
                f"/fields/{table}",
                N_(
                    "%(table)s adds up to %(value)s, not %(total)s = %(value2)s",
                    table=table,
                    value=sum(fields[table].values()),
                    total=total,
                    value2=fields[total],
                ),
                N_("draft the return again"),
            )
    if donors is not None:
        for name in ("persons", "donors_without_consent", "genotyped_donors"):
            if name in fields and fields[name] > donors:
                add(
                    "E_SURVEY_BOUND",
                    Severity.ERROR,
                    f"/fields/{name}",
                    N_(
                        "%(name)s (%(value)s) exceeds donors (%(donors)s)",
                        name=name,
                        value=fields[name],
                        donors=donors,
                    ),
                    N_("draft the return again"),
                )
        for table in ("donors_by_material", "persons_by_data_category", "donors_by_disease"):
            over = {k: v for k, v in fields.get(table, {}).items() if v > donors}
            if over:
                add(
                    "E_SURVEY_BOUND",
                    Severity.ERROR,
                    f"/fields/{table}",
                    N_(
                        "%(table)s counts more donors than there are: %(over)s",
                        table=table,
                        over=over,
                    ),
                    N_("draft the return again"),
                )
        if fields.get("donors_without_consent"):
            add(
                "W_SURVEY_NO_CONSENT",
                Severity.WARNING,
                "/fields/donors_without_consent",
                N_(
                    "%(value)s donor(s) have no active consent",
                    value=fields["donors_without_consent"],
                ),
                N_("register their consents, or record their withdrawal"),
            )
        if donors and fields.get("ethics_approvals") == 0:
            add(
                "W_SURVEY_NO_ETHICS",
                Severity.WARNING,
                "/fields/ethics_approvals",
                N_(
                    "the institution holds donors but no ethics approval is valid at the "
                    "reference date"
                ),
                N_("register the approvals its collections were made under"),
            )
    if form.get("foreign_cooperation_projects") and not form.get("foreign_partners"):
        add(
            "W_SURVEY_PARTNERS",
            Severity.WARNING,
            "/form/foreign_partners",
            N_("international cooperation is reported but no foreign party is named"),
            N_("list each foreign party with its country"),
        )
    return found


# --- the steward's view -----------------------------------------------------------------


@dataclass(frozen=True)
class ReturnStatus:
    """A cycle held on this node, and where the institution's return to it stands: the latest
    signed version (None before any), when it was signed, its digest, and its form answers."""

    cycle: str
    title: str
    institution_due: dt.date
    version: int | None
    signed_at: str
    sha256: str
    form: dict[str, Any]


def return_statuses(session: Session, institution: str) -> list[ReturnStatus]:
    """Every cycle held here, newest first, with the institution's latest signed return."""
    cycles = session.scalars(select(SurveyCycle).order_by(SurveyCycle.id.desc())).all()
    statuses = []
    for cycle in cycles:
        latest = latest_documents(session, "return", cycle.code, [institution]).get(institution)
        body = envelope_of(latest).content if latest is not None else {}
        statuses.append(
            ReturnStatus(
                cycle.code,
                cycle.title,
                cycle.institution_due,
                latest.version if latest is not None else None,
                str(body.get("signed_at", "")),
                latest.sha256 if latest is not None else "",
                dict(body.get("form") or {}),
            )
        )
    return statuses


# --- signing ----------------------------------------------------------------------------


def submit_return(
    session: Session,
    signer: Signer,
    by: Actor,
    body: Mapping[str, Any],
    origin: str = "return",
) -> SignedDocument:
    """Sign and keep a reviewed return: the next version of the institution's chain.

    Raises ValidationFailed (nothing is signed) when a validation rule fails.
    """
    cycle = get_cycle(session, str(body.get("cycle")))
    issues = validate_return(body, cycle_dictionary(cycle), origin)
    errors = [i for i in issues if i.severity is Severity.ERROR]
    if errors:
        raise ValidationFailed(
            f"{origin}: {len(errors)} rule(s) fail; nothing was signed",
            errors,
            code="E_SURVEY_RETURN",
        )
    subject = str(body.get("subject"))
    _institution(session, subject)
    latest = latest_documents(session, "return", cycle.code, [subject]).get(subject)
    signed = {
        **body,
        "version": 1 if latest is None else latest.version + 1,
        "replaces": None if latest is None else latest.sha256,
        "signed_at": utc_now().isoformat(timespec="seconds"),
        "warnings": [i.as_dict() for i in issues],
    }
    return store_document(session, by, sign_document(signer, signed), [signer.verifier])


def receive_return(
    session: Session, by: Actor, sent: Any, own: Verifier | None = None
) -> SignedDocument:
    """Keep an institution's signed return, sent to this (provincial) node.

    It must be signed by a key trusted for that institution, answer a cycle held here, and
    follow the institution's chain of versions. Validation rules are run again by the
    province when it compiles.
    """
    envelope = Envelope.from_dict(sent, "return")
    content = envelope.content
    if content["kind"] != "return":
        raise ValidationFailed(
            f"a {content['kind']} document is not a return", [], code="E_SURVEY_RETURN"
        )
    get_cycle(session, str(content["cycle"]))
    keys = trusted_verifiers(session, "institution", str(content["subject"]))
    return store_document(session, by, envelope, keys + ([own] if own else []))
