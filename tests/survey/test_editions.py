"""Provincial and national editions: completeness, compilation, persons, packages, verify."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hgr.audit import Actor, record
from hgr.crypto import NodeKeys, Signer, create_node_keys, load_signer
from hgr.dates import utc_now
from hgr.db import Database
from hgr.exceptions import IntegrityBroken, ValidationFailed
from hgr.federation.documents import (
    Envelope,
    envelope_of,
    latest_anchored,
    sign_document,
    trust_key,
)
from hgr.federation.models import SignedDocument, TrustedKey
from hgr.registry import models as m
from hgr.registry.importer import import_files
from hgr.registry.regions import default_region_file, load_regions
from hgr.relatedness.models import DonorLink
from hgr.survey.cycles import default_dates, open_cycle
from hgr.survey.editions import (
    compile_nation,
    compile_province,
    completeness,
    package,
    receive_package,
)
from hgr.survey.publish import publish
from hgr.survey.returns import draft_return, submit_return
from hgr.survey.verify import verify_survey
from tests.conftest import EXAMPLES, HOLDINGS, sqlite_triggers_dropped

ACTOR = Actor("test", "operator")
ANSWERS = {
    "foreign_cooperation_projects": 0,
    "information_provided_abroad": 0,
    "specific_region_resources": False,
}
REFERENCE = dt.date(2025, 12, 31)


def _holdings(folder: Path, prefix: str, donors: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    sha = "ab" * 32
    (folder / "donors.csv").write_text(
        "donor_id,sex,birth_year,residence_region\n"
        + "".join(
            f"{prefix}{n:03d},{'female' if n % 2 else 'male'},1980,310000\n" for n in range(donors)
        )
    )
    (folder / "samples.csv").write_text(
        "sample_id,donor_id,material_type\n"
        + "".join(f"{prefix}S{n:03d},{prefix}{n:03d},saliva\n" for n in range(donors))
    )
    (folder / "consents.csv").write_text(
        "donor_id,document_version,document_sha256,signed_on,permission,status\n"
        + "".join(f"{prefix}{n:03d},v1,{sha},2021-01-01,GRU,active\n" for n in range(donors))
    )
    return sorted(folder.glob("*.csv"))


@pytest.fixture
def signer(keys: NodeKeys) -> Signer:
    return load_signer(keys.signing_key, "hgr/test")


@pytest.fixture
def nation_db(db: Database, keys: NodeKeys, signer: Signer, tmp_path: Path) -> Database:
    """BJ-H001 (Beijing, the examples) and SH-C001 (Shanghai, 8 donors) in cycle 2025."""
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    import_files(db, keys, _holdings(tmp_path / "sh", "SH", 8), institution="SH-C001")
    with db.transaction() as session:
        open_cycle(session, signer, ACTOR, "2025", dates=default_dates(REFERENCE))
    return db


def _submit(db: Database, signer: Signer, institution: str, **answers: object) -> None:
    with db.transaction() as session:
        body = draft_return(session, "2025", institution, {**ANSWERS, **answers})
        submit_return(session, signer, ACTOR, body)


def _pseudonym(db: Database, institution: str, n: int = 0) -> str:
    with db.reader() as session:
        return session.scalars(
            sa.select(m.Donor.pseudonym)
            .join(m.Institution)
            .where(m.Institution.code == institution)
            .order_by(m.Donor.id)
        ).all()[n]


def test_completeness_shows_missing_late_and_overdue(nation_db: Database, signer: Signer) -> None:
    with nation_db.reader() as session:
        (status,) = completeness(session, "2025", "310000", today=REFERENCE)
        assert status.state == "missing"
        (status,) = completeness(session, "2025", "310000", today=dt.date(2026, 6, 1))
        assert status.state == "overdue"
    _submit(nation_db, signer, "SH-C001")
    with nation_db.reader() as session:
        (status,) = completeness(session, "2025", "310000", own=signer.verifier)
    # Submitted today, long after the 2026-03-31 deadline of a 2025 cycle.
    assert (status.state, status.version) == ("late", 1)


def test_the_nation_counts_persons_once_across_institutions(
    nation_db: Database, signer: Signer
) -> None:
    _submit(nation_db, signer, "BJ-H001")
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        session.add(
            DonorLink(
                institution_a="BJ-H001",
                donor_a=_pseudonym(nation_db, "BJ-H001"),
                institution_b="SH-C001",
                donor_b=_pseudonym(nation_db, "SH-C001"),
                relationship="duplicate",
                kinship=0.5,
                ibs0=0.0,
                discordance=0.0,
                n_sites=2000,
                panel_id="p",
                created_at=utc_now(),
            )
        )
        record(session, ACTOR, "relatedness.link", "donor_link")  # as the engine audits it
    with nation_db.transaction() as session:
        for province in ("110000", "310000"):
            compile_province(session, signer, ACTOR, "2025", province)
        national = compile_nation(session, signer, ACTOR, "2025")
    content = envelope_of(national).content
    assert content["totals"]["donors"] == 6 + 8
    assert content["totals"]["persons"] == 6 + 8 - 1
    # The one person enrolled in both provinces is one person in each, once in the nation.
    assert content["persons"] == {
        "nation": 6 + 8 - 1,
        "by_province": {"110000": 6, "310000": 8},
        "by_kind": {"company": 8, "hospital": 6},
        "in_several_provinces": 1,
        # The five donors of the Huntington cohort, whose collection declares exomes.
        "sequenced": {
            "nation": 5,
            "by_province": {"110000": 5, "310000": 0},
            "by_kind": {"company": 0, "hospital": 5},
            "in_several_provinces": 0,
        },
    }
    assert content["diagnosis_labels"] == {
        "ICD10:G10": "Huntington disease",
        "ORPHA:399": "Huntington disease",
    }
    assert content["totals"]["samples_by_material"]["saliva"] == 8
    assert set(content["by_kind"]) == {"hospital", "company"}
    with nation_db.reader() as session:
        check = verify_survey(session, "2025", signer.verifier)
    assert check.ok, check.problems
    assert check.documents == 1 + 2 + 2 + 1  # cycle, returns, provinces, nation


def test_a_correction_makes_new_versions_up_the_chain(nation_db: Database, signer: Signer) -> None:
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        first = compile_province(session, signer, ACTOR, "2025", "310000")
    _submit(nation_db, signer, "SH-C001", remarks="a corrected count")
    with nation_db.transaction() as session:
        second = compile_province(session, signer, ACTOR, "2025", "310000")
    assert (second.version, second.replaces) == (2, first.sha256)
    (entry,) = envelope_of(second).content["returns"]
    assert entry["version"] == 2


def test_verify_detects_an_edited_document(nation_db: Database, signer: Signer) -> None:
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        compile_province(session, signer, ACTOR, "2025", "310000")
    with nation_db.transaction() as session:
        # As a superuser would: past the append-only triggers.
        if nation_db.dialect == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            _forge(session)
        else:
            with sqlite_triggers_dropped(session):
                _forge(session)
    with nation_db.reader() as session:
        check = verify_survey(session, "2025", signer.verifier)
    assert any("SHA-256" in p for p in check.problems), check.problems


def _forge(session: sa.orm.Session) -> None:
    session.execute(
        sa.update(SignedDocument)
        .where(SignedDocument.kind == "return")
        .values(body=SignedDocument.body + " ")
    )


def test_an_invalid_return_stops_the_province(nation_db: Database, signer: Signer) -> None:
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        if nation_db.dialect == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            _forge(session)
        else:
            with sqlite_triggers_dropped(session):
                _forge(session)
    refused = pytest.raises(ValidationFailed, match="fail their checks")
    with refused, nation_db.transaction() as session:
        compile_province(session, signer, ACTOR, "2025", "310000")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda body: body["donor_pseudonyms"].pop(), "lists 5 donors' pseudonyms and counts 6"),
        (
            lambda body: body["donor_pseudonyms"].append(body["donor_pseudonyms"][0]),
            "not a list of distinct",
        ),
        (lambda body: body["sequenced_pseudonyms"].pop(), "lists 4 donors with whole-genome"),
        (
            lambda body: body["sequenced_pseudonyms"].__setitem__(0, "f" * 64),
            "not among its donors",
        ),
        (
            lambda body: body["donor_pseudonyms"].__setitem__(0, ["not", "text"]),
            "not lists of text",
        ),
    ],
    ids=[
        "a-donor-left-out",
        "a-donor-twice",
        "a-sequenced-donor-left-out",
        "a-stranger",
        "not-text",
    ],
)
def test_a_return_whose_pseudonyms_disagree_with_its_counts_is_refused(
    nation_db: Database, signer: Signer, change: Callable[[dict[str, Any]], Any], says: str
) -> None:
    # The attack: an institution under-declares the persons it holds (and the persons with
    # exomes, which the 500-person threshold counts) by leaving pseudonyms out of a return
    # whose counts are right. Persons are counted from the pseudonyms, so the nation checks
    # them against the return's own counts and refuses the edition.
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        body = draft_return(session, "2025", "BJ-H001", ANSWERS)
        assert len(body["donor_pseudonyms"]) == 6
        assert len(body["sequenced_pseudonyms"]) == 5
        change(body)
        submit_return(session, signer, ACTOR, body)
    with nation_db.transaction() as session:
        for province in ("110000", "310000"):
            compile_province(session, signer, ACTOR, "2025", province)
    with (
        pytest.raises(IntegrityBroken, match=says) as refused,
        nation_db.transaction() as session,
    ):
        compile_nation(session, signer, ACTOR, "2025")
    assert refused.value.code == "E_SURVEY_PSEUDONYMS"


def _other_nation(
    tmp_path: Path,
    migrated_sqlite: Callable[[Path], str],
    keys: NodeKeys,
    signer: Signer,
    institution_key: bool = True,
) -> tuple[Database, Signer]:
    """A second node, the nation: the institutions list, the province 310000 trusted, and
    (with ``institution_key``) the key of its institution SH-C001 registered."""
    other = Database(migrated_sqlite(tmp_path / "nation.sqlite"))
    other.seal_with(keys.record_key())
    load_regions(other, default_region_file())
    import_files(other, keys, [EXAMPLES / "institutions.csv"])
    with other.transaction() as session:
        trust_key(session, ACTOR, "province", "310000", signer.verifier)
        if institution_key:
            trust_key(session, ACTOR, "institution", "SH-C001", signer.verifier)
    return other, load_signer(create_node_keys(tmp_path / "nation-keys").signing_key, "hgr/nation")


def _forged_package(db: Database, signer: Signer, invented: Signer, change: Any) -> dict[str, Any]:
    """Shanghai's package with BJ-H001's return added, signed with ``invented`` (a key the
    province made up) after ``change`` edits its body; the edition, naming it with that key,
    is signed with the province's own trusted key."""
    _submit(db, signer, "SH-C001")
    with db.transaction() as session:
        edition = compile_province(session, signer, ACTOR, "2025", "310000")
        sent = json.loads(json.dumps(package(session, edition)))
        body = draft_return(session, "2025", "BJ-H001", ANSWERS)
    change(body)
    forged = sign_document(invented, body)
    content = dict(Envelope.from_dict(sent["edition"], "edition").content)
    content["returns"] = [
        *content["returns"],
        {
            "institution": "BJ-H001",
            "version": body["version"],
            "sha256": forged.sha256,
            "signer": invented.name,
            "key": invented.verifier.public.hex(),
            "late": False,
        },
    ]
    content["totals"] = {**content["totals"], "donors": content["totals"]["donors"] + 100_000}
    return {
        **sent,
        "edition": sign_document(signer, content).as_dict(),
        "returns": [*sent["returns"], forged.as_dict()],
    }


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda body: None, "belongs to 110000"),
        (lambda body: body["institution"].update(province="310000"), "belongs to 110000"),
    ],
    ids=["another-provinces-institution", "moved-by-its-body"],
)
def test_a_province_cannot_vouch_for_another_provinces_institution(
    nation_db: Database,
    signer: Signer,
    keys: NodeKeys,
    tmp_path: Path,
    migrated_sqlite: Callable[[Path], str],
    change: Any,
    says: str,
) -> None:
    # The attack: Shanghai signs an edition vouching for a Beijing institution's return,
    # signed with a key Shanghai invented, adding 100,000 donors. The nation refuses it and
    # keeps nothing.
    invented = load_signer(create_node_keys(tmp_path / "invented").signing_key, "hgr/invented")
    sent = _forged_package(nation_db, signer, invented, change)
    other, national = _other_nation(tmp_path, migrated_sqlite, keys, signer)
    try:
        with pytest.raises(IntegrityBroken, match=says) as refused, other.transaction() as s:
            receive_package(s, ACTOR, sent, national.verifier)
        assert refused.value.code == "E_SURVEY_NOT_ITS_INSTITUTION"
        with other.reader() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(SignedDocument)) == 0
    finally:
        other.dispose()


def test_a_return_cannot_move_its_institution_to_another_province(
    nation_db: Database, signer: Signer
) -> None:
    # An institution's own return that claims another province is not counted there.
    with nation_db.transaction() as session:
        body = draft_return(session, "2025", "SH-C001", ANSWERS)
        body["institution"]["province"] = "110000"
        submit_return(session, signer, ACTOR, body)
    with (
        pytest.raises(IntegrityBroken, match="cannot move an institution"),
        nation_db.transaction() as session,
    ):
        compile_province(session, signer, ACTOR, "2025", "310000")


def test_a_registered_institution_key_must_be_the_one_vouched_for(
    nation_db: Database,
    signer: Signer,
    keys: NodeKeys,
    tmp_path: Path,
    migrated_sqlite: Callable[[Path], str],
) -> None:
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        edition = compile_province(session, signer, ACTOR, "2025", "310000")
        sent = json.loads(json.dumps(package(session, edition)))
    other, national = _other_nation(tmp_path, migrated_sqlite, keys, signer, institution_key=False)
    registered = load_signer(create_node_keys(tmp_path / "sh-keys").signing_key, "hgr/sh")
    try:
        with other.transaction() as session:
            trust_key(session, ACTOR, "institution", "SH-C001", registered.verifier)
        with (
            pytest.raises(IntegrityBroken, match="not the one registered"),
            other.transaction() as session,
        ):
            receive_package(session, ACTOR, sent, national.verifier)
    finally:
        other.dispose()


def test_a_package_travels_to_another_node(
    nation_db: Database,
    signer: Signer,
    keys: NodeKeys,
    tmp_path: Path,
    migrated_sqlite: Callable[[Path], str],
) -> None:
    _submit(nation_db, signer, "SH-C001")
    _submit(nation_db, signer, "SH-C001", remarks="corrected")
    with nation_db.transaction() as session:
        edition = compile_province(session, signer, ACTOR, "2025", "310000")
        sent = json.loads(json.dumps(package(session, edition)))
    other = Database(migrated_sqlite(tmp_path / "nation.sqlite"))
    other.seal_with(keys.record_key())
    load_regions(other, default_region_file())
    import_files(other, keys, [EXAMPLES / "institutions.csv"])
    national = load_signer(create_node_keys(tmp_path / "nation-keys").signing_key, "hgr/nation")
    try:
        with pytest.raises(IntegrityBroken, match="no trusted key"), other.transaction() as s:
            receive_package(s, ACTOR, sent, national.verifier)
        with other.transaction() as session:
            trust_key(session, ACTOR, "province", "310000", signer.verifier)
        # The province is trusted, but the institution's own key is not registered here: the
        # province cannot vouch for a key the nation does not know, and nothing is kept.
        with pytest.raises(IntegrityBroken) as unregistered, other.transaction() as session:
            receive_package(session, ACTOR, sent, national.verifier)
        assert unregistered.value.code == "E_SURVEY_KEY_UNREGISTERED"
        assert "hgr survey trust --level institution --subject SH-C001" in str(unregistered.value)
        with other.reader() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(SignedDocument)) == 0
        with other.transaction() as session:
            trust_key(session, ACTOR, "institution", "SH-C001", signer.verifier)
        with other.transaction() as session:
            stored = receive_package(session, ACTOR, sent, national.verifier)
            assert stored.sha256 == edition.sha256
            held = session.scalars(
                sa.select(SignedDocument.version).where(SignedDocument.kind == "return")
            ).all()
            assert sorted(held) == [1, 2]
        with other.reader() as session:
            assert verify_survey(session, "2025", national.verifier).ok
        # Unregister the institution's key, as a superuser could: verify names the edition.
        with other.transaction() as session:
            session.execute(sa.delete(TrustedKey).where(TrustedKey.level == "institution"))
        with other.reader() as session:
            check = verify_survey(session, "2025", national.verifier)
        assert any(
            "vouches for SH-C001 with a key not registered here" in p for p in check.problems
        ), check.problems
        tampered = {**sent, "returns": [{**sent["returns"][0], "signer": "x"}, *sent["returns"]]}
        tampered["returns"][0]["body"] = tampered["returns"][0]["body"].replace("8", "9", 1)
        with pytest.raises(IntegrityBroken), other.transaction() as session:
            receive_package(session, ACTOR, tampered, national.verifier)
    finally:
        other.dispose()


def test_published_tables_hide_small_counts(nation_db: Database, signer: Signer) -> None:
    _submit(nation_db, signer, "BJ-H001")
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        for province in ("110000", "310000"):
            compile_province(session, signer, ACTOR, "2025", province)
        national = compile_nation(session, signer, ACTOR, "2025")
    published = publish(envelope_of(national).content, national.sha256, threshold=5)
    materials = published.tables["samples_by_material"]
    assert materials.published[("BJ-H001", "dna")] is None  # one DNA sample
    assert all(v is None or not 0 < v < 5 for v in materials.published.values())


def test_changes_since_the_previous_cycle_are_flagged(
    nation_db: Database, keys: NodeKeys, signer: Signer, tmp_path: Path
) -> None:
    _submit(nation_db, signer, "SH-C001")
    with nation_db.transaction() as session:
        compile_province(session, signer, ACTOR, "2025", "310000")
        compile_nation(session, signer, ACTOR, "2025")
    # Twelve more donors at SH-C001 (8 → 20) by the next, ad hoc, cycle.
    import_files(nation_db, keys, _holdings(tmp_path / "more", "SX", 12), institution="SH-C001")
    with nation_db.transaction() as session:
        open_cycle(
            session,
            signer,
            ACTOR,
            "2026",
            kind="ad_hoc",
            dates=default_dates(dt.date(2026, 6, 30), "ad_hoc"),
        )
        body = draft_return(session, "2026", "SH-C001", ANSWERS)
        submit_return(session, signer, ACTOR, body)
        province = envelope_of(compile_province(session, signer, ACTOR, "2026", "310000"))
        national = envelope_of(compile_nation(session, signer, ACTOR, "2026")).content
    (change, *_) = province.content["changes"]
    assert change == {
        "where": "SH-C001",
        "field": "donors",
        "previous": 8,
        "now": 20,
        "change": 1.5,
    }
    assert national["previous"]["cycle"] == "2025"
    assert national["previous"]["totals"]["donors"] == 8
    assert {c["field"] for c in national["changes"]} >= {"donors", "samples"}


def test_a_rolled_back_correction_is_seen_and_not_published(
    nation_db: Database, signer: Signer
) -> None:
    # The attack: a database superuser deletes the latest versions of the national edition,
    # the province edition and the return, undoing a correction. Each chain that is left
    # verifies on its own; the audit log still records the versions removed.
    _submit(nation_db, signer, "SH-C001")
    _submit(nation_db, signer, "BJ-H001")
    for remarks in ("first", "a corrected count"):
        if remarks != "first":
            _submit(nation_db, signer, "SH-C001", remarks=remarks)
        with nation_db.transaction() as session:
            for province in ("110000", "310000"):
                compile_province(session, signer, ACTOR, "2025", province)
            compile_nation(session, signer, ACTOR, "2025")
    with nation_db.reader() as session:
        assert latest_anchored(session, "nation", "2025", "CN") is not None
        assert verify_survey(session, "2025", signer.verifier).ok
    with nation_db.transaction() as session:
        doomed = sa.delete(SignedDocument).where(
            SignedDocument.version == 2, SignedDocument.kind != "cycle"
        )
        if nation_db.dialect == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            session.execute(doomed)
        else:
            with sqlite_triggers_dropped(session):
                session.execute(doomed)
    with nation_db.reader() as session:
        check = verify_survey(session, "2025", signer.verifier)
        assert not check.ok
        missing = [p for p in check.problems if "recorded in the audit log" in p]
        assert {p.split(":")[0] for p in missing} == {
            "2025/nation/CN/v2",
            "2025/province/310000/v2",
            "2025/province/110000/v2",
            "2025/return/SH-C001/v2",
        }
        with pytest.raises(IntegrityBroken, match="version 2 in the audit log") as refused:
            latest_anchored(session, "nation", "2025", "CN")
        assert refused.value.code == "E_SURVEY_ROLLBACK"


def test_persons_within_each_group_agree_with_counting_each_group_alone(
    nation_db: Database,
) -> None:
    from hgr.relatedness.identity import persons_within, unique_donors

    def donor(n: int) -> tuple[str, str]:
        return ("BJ-H001" if n < 4 else "SH-C001", f"{n:064x}")

    pairs = [(1, 2), (2, 3), (3, 4), (1, 4), (5, 6), (2, 1)]  # a chain, a cycle, strangers
    with nation_db.transaction() as session:
        for a, b in pairs:
            (institution_a, donor_a), (institution_b, donor_b) = donor(a), donor(b)
            session.add(
                DonorLink(
                    institution_a=institution_a,
                    donor_a=donor_a,
                    institution_b=institution_b,
                    donor_b=donor_b,
                    relationship="duplicate",
                    kinship=0.5,
                    ibs0=0.0,
                    discordance=0.0,
                    n_sites=2000,
                    panel_id="p",
                    created_at=utc_now(),
                )
            )
        record(session, ACTOR, "relatedness.link", "donor_link")
    groups = {
        "first": [donor(n) for n in (1, 2, 3)],
        "second": [donor(n) for n in (3, 4, 7)],
        "all": [donor(n) for n in range(1, 8)],
    }
    with nation_db.reader() as session:
        within = persons_within(session, groups)
        alone = {group: unique_donors(session, donors) for group, donors in groups.items()}
    assert within == alone == {"first": 1, "second": 2, "all": 3}
