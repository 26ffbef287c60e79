"""Survey cycles and institution returns: counted from the registry, validated, signed, chained."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from hgr.audit import Actor
from hgr.crypto import NodeKeys, Signer, load_signer
from hgr.db import Database
from hgr.exceptions import Conflict, IntegrityBroken, UsageError, ValidationFailed
from hgr.federation.documents import Envelope, store_document
from hgr.federation.models import SignedDocument
from hgr.registry.importer import import_files
from hgr.survey.cycles import CycleDates, default_dates, open_cycle
from hgr.survey.dictionary import DEFAULT_DICTIONARY, DataDictionary
from hgr.survey.returns import draft_return, submit_return, validate_return
from tests.conftest import EXAMPLES, HOLDINGS, table_counts

INSTITUTION = "BJ-H001"
ACTOR = Actor("test", "operator")
ANSWERS = {
    "foreign_cooperation_projects": 0,
    "information_provided_abroad": 0,
    "specific_region_resources": False,
}


@pytest.fixture
def signer(keys: NodeKeys) -> Signer:
    return load_signer(keys.signing_key, "hgr/test")


@pytest.fixture
def registry(db: Database, keys: NodeKeys, signer: Signer) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution=INSTITUTION)
    with db.transaction() as session:
        open_cycle(session, signer, ACTOR, "2025", dates=default_dates(dt.date(2025, 12, 31)))
    return db


def test_a_return_counts_the_registry(registry: Database) -> None:
    with registry.reader() as session:
        body = draft_return(session, "2025", INSTITUTION, ANSWERS)
    fields = body["fields"]
    # examples/: a Huntington family of five over three generations (one of whom withdrew
    # in 2023 and lives in Hebei) and one donor of the population cohort.
    assert fields["donors"] == 6
    assert fields["persons"] == 6
    assert fields["samples"] == 7
    assert fields["samples_by_material"]["whole_blood"] == 5
    assert fields["donors_by_material"] == {"dna": 1, "plasma": 1, "whole_blood": 5}
    assert fields["consents_withdrawn"] == 1
    assert fields["donors_without_consent"] == 1
    assert fields["consents_by_scope"] == {"DUO:0000007": 4, "DUO:0000042": 1}  # DS, GRU
    assert fields["consent_modifiers"]["DUO:0000021"] == 4  # IRB
    assert fields["donors_by_residence"] == {"110000": 5, "130000": 1}
    assert fields["donors_by_disease"]["ORPHA:399"] == 2
    assert fields["families"] == 1
    assert fields["pedigree_members"] == 5
    (pedigree,) = fields["declared_pedigrees"]
    assert pedigree["condition"] == "ORPHA:399"
    assert (pedigree["affected"], pedigree["generations_affected"]) == (3, 3)
    # One approval (2021-KY-044) ended in February 2026, after the 2025 reference date.
    assert fields["ethics_approvals"] == 2
    assert fields["ethics_expired"] == 0
    assert fields["persons_by_data_category"]["whole_exome"] == 5
    assert fields["persons_by_data_category"]["genotype_array"] == 1
    assert [c["donors"] for c in fields["collections"]] == [5, 1]
    assert body["institution"]["province"] == "110000"
    assert len(body["donor_pseudonyms"]) == 6
    assert [i for i in validate_return(body, DEFAULT_DICTIONARY) if i.severity == "error"] == []


def test_signed_returns_chain_and_verify(registry: Database, signer: Signer) -> None:
    with registry.transaction() as session:
        body = draft_return(session, "2025", INSTITUTION, ANSWERS)
        first = submit_return(session, signer, ACTOR, body)
        second = submit_return(
            session, signer, ACTOR, {**body, "form": {**ANSWERS, "remarks": "corrected"}}
        )
    assert (first.version, first.replaces) == (1, None)
    assert (second.version, second.replaces) == (2, first.sha256)
    envelope = Envelope(second.body, second.sha256, second.signer, second.key_id, second.signature)
    assert envelope.check([signer.verifier]) is None
    forged = Envelope(
        second.body.replace('"corrected"', '"forged"'),
        second.sha256,
        second.signer,
        second.key_id,
        second.signature,
    )
    assert "SHA-256" in (forged.check([signer.verifier]) or "")


def test_a_return_that_fails_a_rule_is_not_signed(registry: Database, signer: Signer) -> None:
    with registry.reader() as session:
        body = draft_return(
            session, "2025", INSTITUTION, {"foreign_cooperation_projects": -1, "surprise": 1}
        )
    before = table_counts(registry)
    with pytest.raises(ValidationFailed) as raised, registry.transaction() as session:
        submit_return(session, signer, ACTOR, body)
    codes = {i.code for i in raised.value.issues}
    assert codes == {"E_SURVEY_FORM_UNKNOWN", "E_SURVEY_FORM_VALUE", "E_SURVEY_FORM_MISSING"}
    assert table_counts(registry) == before


def test_inconsistent_counts_are_errors(registry: Database) -> None:
    with registry.reader() as session:
        body = draft_return(session, "2025", INSTITUTION, ANSWERS)
    body["fields"]["samples_by_material"]["dna"] += 1
    body["fields"]["persons"] = body["fields"]["donors"] + 1
    codes = [i.code for i in validate_return(body, DEFAULT_DICTIONARY)]
    assert codes.count("E_SURVEY_SUM") == 1
    assert codes.count("E_SURVEY_BOUND") == 1


def test_a_document_out_of_its_chain_is_refused(registry: Database, signer: Signer) -> None:
    with registry.transaction() as session:
        body = draft_return(session, "2025", INSTITUTION, ANSWERS)
        submit_return(session, signer, ACTOR, body)
    from hgr.federation.documents import sign_document

    skipped = sign_document(signer, {**body, "version": 3, "replaces": "0" * 64})
    with pytest.raises(Conflict, match="does not follow"), registry.transaction() as session:
        store_document(session, ACTOR, skipped, [signer.verifier])


def test_a_document_signed_by_an_untrusted_key_is_refused(
    registry: Database, signer: Signer, tmp_path: Path
) -> None:
    from hgr.crypto import create_node_keys

    stranger = load_signer(create_node_keys(tmp_path / "other").signing_key, "hgr/other")
    with registry.reader() as session:
        body = draft_return(session, "2025", INSTITUTION, ANSWERS)
    envelope = sign_document_for(stranger, body)
    with pytest.raises(IntegrityBroken, match="no trusted key"), registry.transaction() as s:
        store_document(s, ACTOR, envelope, [signer.verifier])


def sign_document_for(signer: Signer, body: dict[str, object]) -> Envelope:
    from hgr.federation.documents import sign_document

    return sign_document(signer, {**body, "version": 1, "replaces": None})


def test_stored_documents_are_append_only(registry: Database, signer: Signer) -> None:
    with registry.transaction() as session:
        submit_return(session, signer, ACTOR, draft_return(session, "2025", INSTITUTION, ANSWERS))
    with pytest.raises(sa.exc.DatabaseError), registry.transaction() as session:
        session.execute(sa.update(SignedDocument).values(body="{}"))
    with pytest.raises(sa.exc.DatabaseError), registry.transaction() as session:
        session.execute(sa.delete(SignedDocument))


def test_cycle_dates_and_codes_are_checked(registry: Database, signer: Signer) -> None:
    dates = default_dates(dt.date(2025, 12, 31))
    late = CycleDates(
        dates.period_start,
        dates.period_end,
        dates.reference_date,
        dates.national_due,
        dates.province_due,
        dates.institution_due,
    )
    for code, given, error in [
        ("2025", dates, Conflict),
        ("bad code", dates, UsageError),
        ("2026", late, UsageError),
    ]:
        with pytest.raises(error), registry.transaction() as session:
            open_cycle(session, signer, ACTOR, code, dates=given)


def test_a_dictionary_is_checked_field_by_field(tmp_path: Path) -> None:
    good = DataDictionary.from_dict(DEFAULT_DICTIONARY.as_dict())
    assert good == DEFAULT_DICTIONARY
    bad = {
        "version": "x/1",
        "fields": [
            {"code": "donors", "label": "Donors", "source": "computed", "kind": "count"},
            {"code": "donors", "label": "again", "source": "computed", "kind": "count"},
            {"code": "made_up", "label": "?", "source": "computed", "kind": "count"},
            {"code": "x", "label": "?", "source": "guess", "kind": "colour"},
            {"code": "y", "label": "?", "source": "form", "kind": "count", "colour": "red"},
        ],
    }
    with pytest.raises(ValidationFailed) as raised:
        DataDictionary.from_dict(bad)
    pointers = sorted(i.origin.pointer or "" for i in raised.value.issues)
    assert pointers == [
        "/fields/1/code",
        "/fields/2/code",
        "/fields/3/kind",
        "/fields/3/source",
        "/fields/4",
    ]
    broken = tmp_path / "d.json"
    broken.write_text("{not json")
    from hgr.survey.dictionary import read_dictionary

    with pytest.raises(ValidationFailed, match="not a data dictionary"):
        read_dictionary(broken)
    assert json.loads(json.dumps(good.as_dict()))["version"] == "hgr-survey/3"


def _link(session: sa.orm.Session, keys: NodeKeys, pairs: list[tuple[str, str, str]]) -> None:
    """Duplicate links between (institution, donor id) pairs, as the relatedness engine
    writes them."""
    from hgr.audit import record
    from hgr.dates import utc_now
    from hgr.relatedness.models import DonorLink

    def named(code: str, donor: str) -> str:
        return keys.pseudonymiser.pseudonym(code, donor)

    for first, second, other in pairs:
        session.add(
            DonorLink(
                institution_a=INSTITUTION,
                donor_a=named(INSTITUTION, first),
                institution_b=other,
                donor_b=named(other, second),
                relationship="duplicate",
                kinship=0.5,
                ibs0=0.0,
                discordance=0.0,
                n_sites=1000,
                panel_id="test",
                created_at=utc_now(),
            )
        )
    record(session, ACTOR, "relatedness.link", "test links")


def test_persons_merge_duplicates_within_the_institution_only(
    registry: Database, keys: NodeKeys
) -> None:
    from hgr.relatedness.identity import institution_persons, unique_donors

    with registry.transaction() as session:
        _link(
            session,
            keys,
            [
                ("BJH-0001", "BJH-0002", INSTITUTION),  # a chain of three is one person
                ("BJH-0002", "BJH-0003", INSTITUTION),
                ("BJH-0003", "BJH-0001", INSTITUTION),  # and a cycle merges nothing more
                ("BJH-0004", "NOT-A-DONOR", INSTITUTION),  # a link to no donor of ours
                ("BJH-0005", "BJH-0005", "SH-C001"),  # another institution's donor
            ],
        )
    with registry.reader() as session:
        body = draft_return(session, "2025", INSTITUTION, ANSWERS)
        pairs = [(INSTITUTION, p) for p in body["donor_pseudonyms"]]
        assert institution_persons(session, INSTITUTION) == unique_donors(session, pairs)
    assert (body["fields"]["donors"], body["fields"]["persons"]) == (6, 4)


def test_a_preview_keeps_its_counts_while_the_registry_stands_and_signing_counts_afresh(
    registry: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    from hgr.audit import record
    from hgr.registry import models as m
    from hgr.vocabulary import ConsentStatus

    with registry.reader() as session:
        preview = draft_return(session, "2025", INSTITUTION, ANSWERS, preview=True)
    assert preview["donor_pseudonyms"] == []  # a preview shows none
    # A duplicate link is not a registry write, but persons follow it.
    with registry.transaction() as session:
        _link(session, keys, [("BJH-0001", "BJH-0002", INSTITUTION)])
    with registry.reader() as session:
        linked = draft_return(session, "2025", INSTITUTION, ANSWERS, preview=True)
    assert (preview["fields"]["persons"], linked["fields"]["persons"]) == (6, 5)
    # A row changed without a record version leaves the registry's state where it was: the
    # preview keeps its count (for at most MAX_AGE), and signing counts afresh.
    with registry.transaction() as session:
        consent = session.scalars(
            sa.select(m.Consent).where(m.Consent.status == ConsentStatus.ACTIVE)
        ).first()
        assert consent is not None
        consent.status = ConsentStatus.WITHDRAWN
        consent.withdrawn_on = consent.signed_on
        record(session, ACTOR, "test.withdraw", "consents")
    with registry.reader() as session:
        kept = draft_return(session, "2025", INSTITUTION, ANSWERS, preview=True)
        fresh = draft_return(session, "2025", INSTITUTION, ANSWERS)
    assert kept["fields"] == linked["fields"]
    assert fresh["fields"]["consents_by_scope"] != kept["fields"]["consents_by_scope"]
    # An import moves the registry's state: the preview counts again.
    donors = tmp_path / "donors.csv"
    donors.write_text("donor_id,sex\nNEW-1,female\n", encoding="utf-8")
    import_files(registry, keys, [donors], institution=INSTITUTION)
    with registry.reader() as session:
        again = draft_return(session, "2025", INSTITUTION, ANSWERS, preview=True)
    assert (again["fields"]["donors"], again["fields"]["persons"]) == (7, 6)
    assert again["fields"]["consents_by_scope"] == fresh["fields"]["consents_by_scope"]


def test_a_consent_whose_modifiers_are_null_counts_none(registry: Database) -> None:
    # Written outside the importer (a restore, a superuser's edit): JSON null, not a list.
    from hgr.audit import record
    from hgr.registry import models as m

    with registry.transaction() as session:
        session.execute(sa.update(m.Consent).values(modifiers=sa.JSON.NULL))
        record(session, ACTOR, "test.edit", "consents")
    with registry.reader() as session:
        fields = draft_return(session, "2025", INSTITUTION, ANSWERS)["fields"]
    assert fields["consent_modifiers"] == {}
    assert sum(fields["consents_by_scope"].values()) == 5
