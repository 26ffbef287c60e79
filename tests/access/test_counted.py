"""Counted, not declared: the persons a request's cohort holds are counted by the node, and an
export is decided again on the persons it releases (regulations.md §0.2; the Implementing
Rules' security-review threshold of more than 500 persons, CN-13)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from crypt4gh.keys import c4gh
from sqlalchemy import select

from hgr.access import DiseaseOntology
from hgr.access.export import file_provision, make_export, register_key
from hgr.access.facts import node_facts
from hgr.access.requests import activate, create_request, find_request, review, submit
from hgr.audit import Actor, record
from hgr.auth.roles import Role
from hgr.auth.users import add_user, find_user
from hgr.crypto import NodeKeys, load_signer
from hgr.dates import utc_now
from hgr.db import Database
from hgr.exceptions import Conflict
from hgr.policy import AccessRequest, NodeFacts, load_packs, read_model
from hgr.registry import models as m
from hgr.registry.importer import import_files
from hgr.relatedness.models import DonorLink
from tests.conftest import EXAMPLES, HOLDINGS, register_parties

ACTOR = Actor("test", "operator")
TODAY = dt.date(2026, 11, 23)
PACKS = load_packs()
BASE = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
CONSENT_HEADER = (
    "donor_id,document_version,document_sha256,signed_on,permission,disease,"
    "modifiers,countries,time_limit,status,withdrawn_on"
)


def _request(declared: int, categories: tuple[str, ...] = ("whole_genome",)) -> AccessRequest:
    """Whole genomes (or ``categories``) of the Yi donors of BJ-H001 for a UK university with
    a Chinese partner, for general research use, declaring ``declared`` persons."""
    body = BASE.model_dump(mode="json") | {
        "purpose": {"duo": "GRU"},
        "cohort": {"institution": "BJ-H001", "populations": ["Yi"]},
        "ethics_reference": "2019-KY-017",
    }
    body["data"] = body["data"] | {"persons": declared, "categories": list(categories)}
    return AccessRequest.model_validate(body)


def _add_donors(
    db: Database, keys: NodeKeys, folder: Path, first: int, count: int, sequenced: str = ""
) -> None:
    """``count`` Yi donors of BJ-H001 (YI-<n> from ``first``), each with a broad consent, and,
    when ``sequenced`` names a data category, a DNA sample each in a collection of that
    category (YI-SEQ)."""
    folder.mkdir(parents=True)
    with open(folder / "donors.csv", "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "donor_id",
                "sex",
                "birth_year",
                "residence_region",
                "population",
                "vital_status",
                "phenotypes",
                "diagnoses",
            ]
        )
        for n in range(first, first + count):
            out.writerow([f"YI-{n:04d}", "female", 1970, "530000", "Yi", "alive", "", ""])
    lines = [CONSENT_HEADER] + [
        f"YI-{n:04d},GEN-2020-v1,{'ab' * 32},2020-05-01,GRU,,,,,active,"
        for n in range(first, first + count)
    ]
    (folder / "consents.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = [folder / "donors.csv", folder / "consents.csv"]
    if sequenced:
        (folder / "collections.csv").write_text(
            "collection_id,name,material_types,data_categories,disease_focus,target_size,"
            f"duo_codes,description\nYI-SEQ,Yi cohort,dna,biological_samples;{sequenced},,,GRU,\n",
            encoding="utf-8",
        )
        rows = [
            f"YI-{n:04d}-S1,YI-{n:04d},dna,YI-SEQ,2020-05-01,available"
            for n in range(first, first + count)
        ]
        (folder / "samples.csv").write_text(
            "sample_id,donor_id,material_type,collection_id,collection_date,storage_status\n"
            + "\n".join(rows)
            + "\n",
            encoding="utf-8",
        )
        files[1:1] = [folder / "collections.csv", folder / "samples.csv"]
    import_files(db, keys, files, institution="BJ-H001")


@pytest.fixture
def node(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    with db.transaction() as session:
        register_parties(session, BASE)
        add_user(
            session,
            ACTOR,
            "alice",
            Role.RESEARCHER,
            "",
            organisation="Example University of Oxbridge",
        )
        reviewers = {
            "dac1": Role.ACCESS_COMMITTEE,
            "dac2": Role.ACCESS_COMMITTEE,
            "eth1": Role.ETHICS_COMMITTEE,
            "eth2": Role.ETHICS_COMMITTEE,
        }
        for name, role in reviewers.items():
            add_user(session, ACTOR, name, role, "BJ-H001")
    return db


def _decide(db: Database, request: AccessRequest) -> dict[str, object]:
    with db.transaction() as session:
        entry = create_request(session, ACTOR, find_user(session, "alice"), request)
        submit(session, ACTOR, entry, node_facts(session, request, NodeFacts(today=TODAY)), PACKS)
        return {"number": entry.number, "outcome": entry.outcome, **(entry.decision or {})}


def test_an_under_declared_cohort_goes_to_the_security_review(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # 600 donors' genomes declared as 400: under the threshold by the declaration, over it by
    # the registry. The node decides on its count, and says so.
    _add_donors(node, keys, tmp_path / "yi", 1, 600)
    decided = _decide(node, _request(declared=400))
    assert decided["outcome"] == "security_review"
    assert "CN-13" in [r["rule"] for r in decided["rules"]]  # type: ignore[attr-defined]
    assert decided["counted"] == [
        "declared 400 persons; the node counts 600 in the cohort, and decided on 600"
    ]


def test_genomes_declared_as_arrays_are_decided_as_genomes(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # 600 sequenced donors, their genomes asked for as "genotype_array" (and as 600 persons):
    # the security review's trigger is exome or genome data of more than 500 persons, and an
    # export of genotypes carries whatever the cohort's collections hold. The node decides on
    # the categories its registry records, and says so.
    _add_donors(node, keys, tmp_path / "yi", 1, 600, sequenced="whole_genome")
    arrays = _request(declared=600, categories=("genotype_array",))
    with node.reader() as session:
        facts = node_facts(session, arrays, NodeFacts(today=TODAY))
    assert facts.categories == ("whole_genome",)
    decided = _decide(node, arrays)
    assert decided["outcome"] == "security_review"
    assert "CN-13" in [r["rule"] for r in decided["rules"]]  # type: ignore[attr-defined]
    assert decided["counted"] == [
        "declared genotype_array; an export of the cohort also releases whole_genome, as the "
        "node's registry holds them, and decided on both"
    ]


def test_a_request_without_genotypes_is_not_charged_with_them(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # The donor table alone (no genotype category asked) carries no genomes, so the cohort's
    # sequencing does not count against it; arrays of an array-typed cohort add nothing.
    _add_donors(node, keys, tmp_path / "yi", 1, 600, sequenced="genotype_array")
    with node.reader() as session:
        table = node_facts(session, _request(600, ("medical_records",)), NodeFacts(today=TODAY))
        arrays = node_facts(session, _request(600, ("genotype_array",)), NodeFacts(today=TODAY))
    assert (table.categories, arrays.categories) == ((), ())
    assert _decide(node, _request(600, ("genotype_array",)))["outcome"] == "approval"


def test_a_store_whose_collection_records_no_genotype_category_counts_as_genomes(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # The collection says only "biological_samples", but a genotype store of it holds the
    # donors' genotypes, and an export of arrays would carry them: the node cannot tell that
    # they are less than genomes, so it decides as if they were.
    from hgr.genotypes.models import GenotypeSample, GenotypeStore

    _add_donors(node, keys, tmp_path / "yi", 1, 600, sequenced="other")
    with node.transaction() as session:
        collection = session.scalars(
            select(m.Collection).where(m.Collection.code == "YI-SEQ")
        ).one()
        store = GenotypeStore(
            collection_id=collection.id,
            version=1,
            location="stores/x",
            build="GRCh38",
            vcf_zarr_version="0.4",
            samples=600,
            variants=1,
            created_at=utc_now(),
            qc={},
        )
        session.add(store)
        session.flush()
        samples = session.scalars(
            select(m.Sample.id).where(m.Sample.collection_id == collection.id).order_by(m.Sample.id)
        )
        session.add_all(
            GenotypeSample(store_id=store.id, sample_id=sample, position=n, file_sample_id=f"s{n}")
            for n, sample in enumerate(samples)
        )
        record(session, ACTOR, "genotypes.ingest", "stores/x")  # as the ingest audits it
    with node.reader() as session:
        facts = node_facts(session, _request(600, ("genotype_array",)), NodeFacts(today=TODAY))
    assert facts.categories == ("whole_genome",)


def test_one_person_registered_twice_counts_once(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # 501 records declared as 500 persons: over the threshold by the records, until two of
    # them are linked as the same person (a duplicate link of the relatedness engine).
    _add_donors(node, keys, tmp_path / "yi", 1, 501)
    before = _decide(node, _request(declared=500))
    assert before["outcome"] == "security_review"
    first, second = sorted(_yi_pseudonyms(node)[:2])
    with node.transaction() as session:
        session.add(
            DonorLink(
                institution_a="BJ-H001",
                donor_a=first,
                institution_b="BJ-H001",
                donor_b=second,
                relationship="duplicate",
                kinship=0.5,
                ibs0=0.0,
                discordance=0.0,
                n_sites=1000,
                panel_id="test",
                created_at=utc_now(),
            )
        )
        record(session, ACTOR, "relatedness.link", "donor_link")  # as the engine audits it
    with node.reader() as session:
        facts = node_facts(session, _request(declared=500), NodeFacts(today=TODAY))
    assert facts.persons == 500
    decided = _decide(node, _request(declared=500))
    assert (decided["outcome"], decided["counted"]) == ("approval", [])


def test_a_cohort_the_node_does_not_hold_does_not_lower_the_declaration(
    node: Database,
) -> None:
    # 800 genomes declared for a family the node does not hold: the count (0) does not
    # lower the decision below what was declared.
    body = _request(declared=800).model_dump(mode="json") | {
        "cohort": {"institution": "BJ-H001", "families": ["NOPE"]}
    }
    decided = _decide(node, AccessRequest.model_validate(body))
    assert decided["outcome"] == "security_review"
    assert decided["counted"] == [
        "declared 800 persons; the node counts 0 in the cohort, and decided on the 800 declared"
    ]


def _yi_pseudonyms(db: Database) -> list[str]:
    """The registry's pseudonyms of the Yi donors, in the order they were imported."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(m.Donor.pseudonym).where(m.Donor.population == "Yi").order_by(m.Donor.id)
            )
        )


def test_an_export_is_decided_again_on_what_it_releases(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    # Approved honestly for 450 persons (no security review); the cohort then grows by 100.
    # The next export would release 550 persons' genomes abroad: it is refused, and the
    # request goes back for the decision its release needs.
    _add_donors(node, keys, tmp_path / "yi", 1, 450)
    decided = _decide(node, _request(declared=450))
    assert (decided["outcome"], decided["counted"]) == ("approval", [])
    number = str(decided["number"])
    backup = tmp_path / "backup.tar"
    backup.write_bytes(b"backup")
    with contextlib.redirect_stderr(io.StringIO()):
        c4gh.generate(str(tmp_path / "r.sec"), str(tmp_path / "r.pub"), None, b"r")
    signer = load_signer(keys.signing_key, "hgr/test-node")
    with node.transaction() as session:
        entry = find_request(session, number)
        for name, kind in (
            ("dac1", "dac"),
            ("dac2", "dac"),
            ("eth1", "ethics"),
            ("eth2", "ethics"),
        ):
            review(session, ACTOR, entry, find_user(session, name), kind, approve=True, today=TODAY)
        file_provision(session, ACTOR, entry, backup, TODAY)
        activate(session, ACTOR, entry, today=TODAY)
        register_key(session, ACTOR, entry, tmp_path / "r.pub")
        first = make_export(
            session,
            ACTOR,
            entry,
            keys,
            signer,
            tmp_path / "out",
            DiseaseOntology(),
            tmp_path,
            PACKS,
            today=TODAY,
        )
    assert first.released == 450
    _add_donors(node, keys, tmp_path / "more", 451, 100)
    with node.transaction() as session, pytest.raises(Conflict) as refused:
        make_export(
            session,
            ACTOR,
            find_request(session, number),
            keys,
            signer,
            tmp_path / "out",
            DiseaseOntology(),
            tmp_path,
            PACKS,
            today=TODAY,
        )
    assert refused.value.code == "E_DECISION_CHANGED"
    assert "release 550 persons" in str(refused.value)
    assert "security_review (CN-13)" in str(refused.value)
    assert len(list((tmp_path / "out").iterdir())) == 1  # nothing written for the refusal
