"""Consent matching with DUO, on the examples' consents and on single consents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.access import DiseaseOntology, ProposedUse, eligible_donors, match_consent, read_obo
from hgr.audit import Actor
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import ConfigurationError, FormatError
from hgr.node import init_node, open_node
from hgr.policy import AccessRequest, read_model
from hgr.registry import models as m
from hgr.registry.consents import withdraw_consent
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS

BJ = "BJ-H001"
TODAY = dt.date(2026, 11, 22)
HD = "MONDO:0007739"  # Huntington disease, the examples' DS consents
FRAGMENT = read_obo(Path(__file__).parent / "mondo-fragment.obo")
NONE = DiseaseOntology()
HD_STUDY = ProposedUse(
    "DS", HD, not_for_profit=True, country="CN", ethics_approved=True, ends_on=dt.date(2029, 12, 31)
)


@pytest.fixture
def donors(db: Database, keys: NodeKeys) -> dict[str, int]:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution=BJ)
    with db.reader() as session:
        rows = session.execute(select(m.Donor.pseudonym, m.Donor.id)).all()
    ids = dict(rows)
    return {
        local: ids[keys.pseudonymiser.pseudonym(BJ, local)]
        for local in ("BJH-0001", "BJH-0002", "BJH-0003", "BJH-0004", "BJH-0005", "BJH-0101")
    }


def _release(
    db: Database, donors: dict[str, int], use: ProposedUse, ontology: DiseaseOntology = NONE
) -> tuple[set[str], dict[str, str]]:
    name = {i: local for local, i in donors.items()}
    with db.reader() as session:
        release = eligible_donors(session, donors.values(), use, ontology, TODAY)
    refused = {name[d]: "; ".join(r) for d, r in release.refused.items()}
    return {name[d] for d in release.donors}, refused


def test_a_study_of_the_consented_disease(db: Database, donors: dict[str, int]) -> None:
    released, refused = _release(db, donors, HD_STUDY)
    # BJH-0004 withdrew; the others consented to HD research (DS) or to any research (GRU).
    assert released == {"BJH-0001", "BJH-0002", "BJH-0003", "BJH-0005", "BJH-0101"}
    assert refused == {"BJH-0004": "withdrawn"}


@pytest.mark.parametrize(
    ("change", "refused", "reason"),
    [
        ({"country": "GB"}, {"BJH-0003"}, "GS: use only in CN"),
        ({"commercial": True}, {"BJH-0001", "BJH-0002", "BJH-0003"}, "NCU"),
        ({"ends_on": dt.date(2031, 1, 1)}, {"BJH-0005"}, "TS: use ends by 2030-12-31"),
        ({"ethics_approved": False}, {"BJH-0001", "BJH-0002", "BJH-0003", "BJH-0005"}, "IRB"),
        (
            {"purpose": "HMB", "disease": None},
            {"BJH-0001", "BJH-0002", "BJH-0003", "BJH-0005"},
            "DS consent covers research on",
        ),
        (
            {"disease": "MONDO:0005044"},
            {"BJH-0001", "BJH-0002", "BJH-0003", "BJH-0005"},
            "not MONDO:0005044",
        ),
    ],
)
def test_each_condition_refuses_the_donors_it_binds(
    db: Database,
    donors: dict[str, int],
    change: dict[str, object],
    refused: set[str],
    reason: str,
) -> None:
    use = ProposedUse(**(HD_STUDY.__dict__ | change))
    released, why = _release(db, donors, use)
    assert set(why) - {"BJH-0004"} == refused
    assert all(reason in why[d] for d in refused), why
    assert released == set(donors) - refused - {"BJH-0004"}


def test_a_withdrawal_takes_effect_at_once(db: Database, donors: dict[str, int]) -> None:
    with db.transaction() as session:
        consent = session.scalars(
            select(m.Consent).where(m.Consent.donor_id == donors["BJH-0001"])
        ).one()
        withdraw_consent(session, Actor("test", "operator"), consent, TODAY)
    released, refused = _release(db, donors, HD_STUDY)
    assert "BJH-0001" not in released
    assert refused["BJH-0001"] == "withdrawn"


def _consent(
    permission: str, disease: str | None = None, *modifiers: str, countries: tuple[str, ...] = ()
) -> m.Consent:
    return m.Consent(
        permission=permission,
        disease=disease,
        modifiers=list(modifiers),
        countries=list(countries),
        status="active",
        time_limit=None,
        signed_on=dt.date(2020, 1, 1),
    )


def test_disease_descendants_match_only_with_an_ontology() -> None:
    diabetes = _consent("DUO:0000007", "MONDO:0005015")  # DS: diabetes mellitus
    type2 = ProposedUse("DS", "MONDO:0005148")
    assert not match_consent(diabetes, type2, NONE, TODAY).allowed
    assert match_consent(diabetes, type2, FRAGMENT, TODAY).allowed
    # Walking up, never down: DS(type 2) does not cover research on diabetes in general.
    narrow = _consent("DS", "MONDO:0005148")
    assert not match_consent(narrow, ProposedUse("DS", "MONDO:0005015"), FRAGMENT, TODAY).allowed
    assert not match_consent(diabetes, ProposedUse("DS", "MONDO:0005044"), FRAGMENT, TODAY).allowed


@pytest.mark.parametrize(
    ("consent", "use", "allowed"),
    [
        (("NRES", None), ProposedUse("POA"), True),
        (("GRU", None), ProposedUse("POA"), True),
        (("HMB", None), ProposedUse("GRU"), False),
        (("HMB", None), ProposedUse("DS", "MONDO:0005148"), True),
        (("POA", None), ProposedUse("HMB"), False),
        (("POA", None), ProposedUse("POA"), True),
        (("GRU", None, "NPOA"), ProposedUse("POA"), False),
        (("GRU", None, "NPU"), ProposedUse("HMB", not_for_profit=False), False),
        (("GRU", None, "NPUNCU"), ProposedUse("HMB", not_for_profit=True, commercial=True), False),
        (("GRU", None, "GSO"), ProposedUse("HMB", genetic=False), False),
        (("GRU", None, "NMDS"), ProposedUse("HMB", methods_development=True), False),
        (
            ("DS", "MONDO:0005015", "NMDS"),
            ProposedUse("DS", "MONDO:0005148", methods_development=True),
            True,
        ),
        (("GRU", None), ProposedUse("HMB", clinical_care=True), False),
        (("GRU", None, "CC"), ProposedUse("HMB", clinical_care=True), True),
    ],
)
def test_permissions_and_modifiers(
    consent: tuple[str | None, ...], use: ProposedUse, allowed: bool
) -> None:
    permission, disease, *modifiers = consent
    assert permission is not None
    record = _consent(permission, disease, *(x for x in modifiers if x))
    assert match_consent(record, use, FRAGMENT, TODAY).allowed is allowed


def test_obligations_and_reviews_travel_with_a_match() -> None:
    record = _consent("GRU", None, "DUO:0000019", "COL", "US")
    result = match_consent(record, ProposedUse("HMB"), FRAGMENT, TODAY)
    assert result.allowed
    assert [o.split(":")[0] for o in result.obligations] == ["PUB", "COL"]
    assert [r.split(":")[0] for r in result.review] == ["US"]


def test_bad_uses_and_ontologies_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not one of"):
        ProposedUse("NCU")
    with pytest.raises(ValueError, match="names its disease"):
        ProposedUse("DS")
    assert "MONDO:9999999" not in FRAGMENT.names
    assert FRAGMENT.ancestors("MONDO:0005148") == {
        "MONDO:0005148",
        "MONDO:0005015",
        "MONDO:0000001",
    }
    bad = tmp_path / "bad.obo"
    bad.write_text("[Term]\nthis line has no tag\n")
    with pytest.raises(FormatError, match=r"bad\.obo:2"):
        read_obo(bad)
    bad.write_text("format-version: 1.2\n")
    with pytest.raises(FormatError, match="no \\[Term\\]"):
        read_obo(bad)
    with pytest.raises(FormatError, match="cannot read"):
        read_obo(tmp_path / "missing.obo")


def test_the_node_reads_its_ontology_and_packs(tmp_path: Path) -> None:
    home = tmp_path / "node"
    init_node(home).close()
    (home / "packs").mkdir()
    (home / "packs" / "debarment.yaml").write_text(
        (Path(__file__).parents[2] / "src/hgr/policy/packs/debarment.yaml")
        .read_text()
        .replace('version: "2025.1"', 'version: "local"')
    )
    fragment = Path(__file__).parent / "mondo-fragment.obo"
    with (home / "node.toml").open("a") as settings:
        settings.write(f'[access]\ndisease_ontology = "{fragment}"\npacks = "packs"\n')
    node = open_node(home)
    try:
        assert node.disease_ontology().within("MONDO:0005148", "MONDO:0005015")
        versions = {p.id: p.version for p in node.rule_packs()}
        assert versions["debarment"] == "local"
        assert versions["cn-hgr"] == "2024.1"
    finally:
        node.close()
    with (home / "node.toml").open("a") as settings:
        settings.write("[access.extra]\n")
    with pytest.raises(ConfigurationError, match=r"\[access\]"):
        open_node(home)


def test_the_use_a_request_proposes() -> None:
    request = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
    use = ProposedUse.of(request, dt.date(2026, 11, 22))
    assert (use.purpose, use.disease, use.country) == ("DS", "MONDO:0005044", "GB")
    assert use.ends_on == dt.date(2029, 11, 22)  # 36 months on
    short = request.model_copy(update={"duration_months": 1})
    assert ProposedUse.of(short, dt.date(2027, 1, 31)).ends_on == dt.date(2027, 2, 28)
    assert use.genetic
    assert use.not_for_profit
    assert use.ethics_approved
