"""Rules that need more than one field: references between records and to the database,
dates in order, DUO codes with their required parameters, and who controls an institution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from hgr.dates import utc_today
from hgr.issues import N_, Report
from hgr.registry.fields import duo_terms
from hgr.registry.staging import Staging
from hgr.vocabulary import ConsentStatus, ControlStatus

__all__ = ["KnownRecords", "check_staging"]

DS = duo_terms()["DS"].id
GS = duo_terms()["GS"].id
TS = duo_terms()["TS"].id
FOREIGN_CONTROL_SHARE = 50.0


@dataclass
class KnownRecords:
    """What the database already holds that staged records may refer to."""

    regions: dict[str, int] = field(default_factory=dict)
    institutions: dict[str, int] = field(default_factory=dict)
    legal_ids: dict[str, str] = field(default_factory=dict)
    collections: set[str] = field(default_factory=set)
    donor_pseudonyms: set[str] = field(default_factory=set)


def _check_institutions(staging: Staging, known: KnownRecords, report: Report) -> None:
    for record in staging.institutions.values():
        if record.region_code and record.region_code not in known.regions:
            report.error(
                "E_UNKNOWN_REGION",
                record.origin,
                N_(
                    "region %(region_code)s is not in the node's region list",
                    region_code=record.region_code,
                ),
                N_(
                    "use an official code (GB/T 2260 for China) or load the country's "
                    "regions with `hgr regions load`"
                ),
                field="region_code",
            )
        owner = known.legal_ids.get(record.legal_person_id)
        if owner is not None and owner != record.code:
            report.error(
                "E_LEGAL_ID_TAKEN",
                record.origin,
                N_(
                    "legal-person id %(legal_person_id)s is already registered to "
                    "institution %(owner)s",
                    legal_person_id=record.legal_person_id,
                    owner=owner,
                ),
                N_("use that institution's code, or correct the identifier"),
                field="legal_person_id",
            )
        # "Actual control" by a foreign party: >= 50 % of equity or votes, or control by
        # agreement (HGR Regulation Art. 21; Implementation Rules, definition of foreign party).
        controlled = (
            (record.foreign_equity_pct or 0) >= FOREIGN_CONTROL_SHARE
            or (record.foreign_voting_pct or 0) >= FOREIGN_CONTROL_SHARE
            or record.control_by_agreement
        )
        if controlled and record.control is ControlStatus.DOMESTIC:
            report.error(
                "E_CONTROL",
                record.origin,
                N_(
                    "declared domestic, but a foreign share of 50 %% or more, or control by "
                    "agreement, makes it foreign-controlled (HGR Regulation Art. 21)"
                ),
                N_("set control to foreign_controlled, or correct the shares"),
                field="control",
            )
        if record.control is ControlStatus.FOREIGN_CONTROLLED and not controlled:
            report.warning(
                "E_CONTROL_FACTS",
                record.origin,
                N_(
                    "declared foreign-controlled without a foreign share of 50 %% or more or "
                    "control by agreement"
                ),
                N_("give foreign_equity_pct, foreign_voting_pct or control_by_agreement"),
                field="control",
            )


def _check_references(
    staging: Staging,
    known: KnownRecords,
    pseudonym: Callable[[str], str],
    report: Report,
) -> None:
    collections = known.collections | set(staging.collections)
    donors_here = set(staging.donors)

    def donor_known(local_id: str) -> bool:
        return local_id in donors_here or pseudonym(local_id) in known.donor_pseudonyms

    for donor in staging.donors.values():
        if donor.residence_region and donor.residence_region not in known.regions:
            report.error(
                "E_UNKNOWN_REGION",
                donor.origin,
                N_(
                    "region %(residence_region)s is not in the node's region list",
                    residence_region=donor.residence_region,
                ),
                N_("use an official region code, e.g. 110000 for Beijing"),
                field="residence_region",
            )
    for code_field, records in (
        ("collection_id", staging.samples.values()),
        ("collection_id", staging.ethics.values()),
        ("collection_id", staging.data_files.values()),
    ):
        for record in records:
            code = record.collection_code
            if code and code not in collections and ("collections", code) not in report.refused:
                report.error(
                    "E_UNKNOWN_COLLECTION",
                    record.origin,
                    N_(
                        "collection %(collection_code)s is not registered",
                        collection_code=record.collection_code,
                    ),
                    N_("add it to a collections template in this import, or correct the id"),
                    field=code_field,
                )
    donor_refs = [(r.donor_id, r.origin) for r in staging.samples.values()]
    donor_refs += [(r.donor_id, r.origin) for r in staging.consents.values()]
    for donor_id, origin in donor_refs:
        if not donor_known(donor_id) and ("donors", donor_id) not in report.refused:
            report.error(
                "E_UNKNOWN_DONOR",
                origin,
                N_("donor %(donor_id)s is not registered", donor_id=donor_id),
                N_("add the donor to a donors template in this import, or correct the id"),
                field="donor_id",
            )


def _check_probands(staging: Staging, report: Report) -> None:
    # A proband is marked on the family's pedigree, so it must come with it (NSGC notation
    # draws the arrow on a member of the drawn family).
    members = {(p.family_id, p.individual_id) for p in staging.pedigree}
    for family in staging.families.values():
        if family.proband and (family.code, family.proband) not in members:
            report.error(
                "E_PROBAND",
                family.origin,
                N_(
                    "proband %(proband)s is not a member of family %(family)s in the "
                    "pedigree of this import",
                    proband=family.proband,
                    family=family.code,
                ),
                N_(
                    "import the family's PED file together with families.csv, or correct "
                    "the proband"
                ),
                field="proband",
            )


def _check_dates(staging: Staging, today: dt.date, report: Report) -> None:
    for sample in staging.samples.values():
        if sample.collection_date and sample.collection_date > today:
            report.error(
                "E_FUTURE_DATE",
                sample.origin,
                N_(
                    "collection date %(collection_date)s is in the future",
                    collection_date=sample.collection_date,
                ),
                N_("correct the date"),
                field="collection_date",
            )
        donor = staging.donors.get(sample.donor_id)
        born = donor.birth_year if donor else None
        if sample.collection_date and born and sample.collection_date.year < born:
            report.error(
                "E_BEFORE_BIRTH",
                sample.origin,
                N_(
                    "sample taken in %(year)s, before the donor's birth year %(born)s",
                    year=sample.collection_date.year,
                    born=born,
                ),
                N_("correct the collection date or the donor's birth year"),
                field="collection_date",
            )
    for approval in staging.ethics.values():
        if approval.valid_to and approval.valid_to < approval.valid_from:
            report.error(
                "E_DATE_ORDER",
                approval.origin,
                N_(
                    "valid_to %(valid_to)s is before valid_from %(valid_from)s",
                    valid_to=approval.valid_to,
                    valid_from=approval.valid_from,
                ),
                N_("swap or correct the dates"),
                field="valid_to",
            )


def _check_consents(staging: Staging, today: dt.date, report: Report) -> None:
    for consent in staging.consents.values():
        o = consent.origin
        if consent.signed_on > today:
            report.error(
                "E_FUTURE_DATE",
                o,
                N_("signed on %(signed_on)s, a future date", signed_on=consent.signed_on),
                N_("correct the date"),
                field="signed_on",
            )
        # DUO: DS is "restricted to" a disease, GS to a place, TS to a date (DUO §5.1).
        if consent.permission == DS and not consent.disease:
            report.error(
                "E_DUO_PARAMETER",
                o,
                N_("disease-specific consent (DS) names no disease"),
                N_("give the MONDO disease in `disease`"),
                field="disease",
            )
        if consent.disease and consent.permission != DS:
            report.error(
                "E_DUO_PARAMETER",
                o,
                N_("a disease is given but the permission is not DS"),
                N_("set permission to DS, or clear `disease`"),
                field="disease",
            )
        if (GS in consent.modifiers) != bool(consent.countries):
            report.error(
                "E_DUO_PARAMETER",
                o,
                N_("geographical restriction (GS) and `countries` go together"),
                N_("give both GS in modifiers and the countries, or neither"),
                field="countries",
            )
        if (TS in consent.modifiers) != (consent.time_limit is not None):
            report.error(
                "E_DUO_PARAMETER",
                o,
                N_("time limit (TS) and `time_limit` go together"),
                N_("give both TS in modifiers and the end date, or neither"),
                field="time_limit",
            )
        withdrawn = consent.status is ConsentStatus.WITHDRAWN
        if withdrawn and consent.withdrawn_on is None:
            report.error(
                "E_WITHDRAWAL",
                o,
                N_("status is withdrawn but no withdrawal date is given"),
                N_("give withdrawn_on"),
                field="withdrawn_on",
            )
        if not withdrawn and consent.withdrawn_on is not None:
            report.error(
                "E_WITHDRAWAL",
                o,
                N_("a withdrawal date is given but status is %(status)s", status=consent.status),
                N_("set status to withdrawn, or clear withdrawn_on"),
                field="status",
            )
        if consent.withdrawn_on and consent.withdrawn_on < consent.signed_on:
            report.error(
                "E_DATE_ORDER",
                o,
                N_("withdrawn before it was signed"),
                N_("correct withdrawn_on or signed_on"),
                field="withdrawn_on",
            )


def check_staging(
    staging: Staging,
    known: KnownRecords,
    pseudonym: Callable[[str], str],
    report: Report,
    *,
    today: dt.date | None = None,
) -> None:
    """Run every cross-record rule; problems go to ``report``."""
    today = today or utc_today()
    _check_institutions(staging, known, report)
    _check_references(staging, known, pseudonym, report)
    _check_probands(staging, report)
    _check_dates(staging, today, report)
    _check_consents(staging, today, report)
