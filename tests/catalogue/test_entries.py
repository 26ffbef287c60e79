"""The pedigree catalogue: declaration with evidence, review, registration, export, drawing."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hgr.audit import Actor
from hgr.catalogue import (
    declare_pedigree,
    declare_region,
    draw_entry,
    entries_csv,
    entries_json,
    find_entry,
    is_protected,
    register,
    review,
)
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Conflict, NotFound, ValidationFailed
from hgr.registry.importer import import_files
from hgr.relatedness.pedigree_check import FamilyReport, Flag, FlagKind
from tests.conftest import EXAMPLES, HOLDINGS

ACTOR = Actor("test", "operator")
BJ = "BJ-H001"


@pytest.fixture
def registry(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution=BJ)
    return db


def test_a_declared_family_is_reviewed_registered_and_protected(registry: Database) -> None:
    with registry.transaction() as session:
        entry = declare_pedigree(session, ACTOR, BJ, "HD-001")
        # examples/HD-001: Huntington disease, affected in three generations.
        assert entry.evidence["affected_generations"] == 3
        assert entry.evidence["criteria_met"] is True
        assert (entry.province, entry.affected, entry.status) == ("110000", 3, "declared")
        assert not is_protected(session, BJ, "HD-001")
        review(session, ACTOR, entry, approve=True)
        register(session, ACTOR, entry)
        assert entry.number is not None
        assert entry.number.startswith("HGP-")
        assert is_protected(session, BJ, "HD-001")
        with pytest.raises(Conflict, match="registered"):
            declare_pedigree(session, ACTOR, BJ, "HD-001")
        with pytest.raises(Conflict, match="cannot be approved now"):
            review(session, ACTOR, entry, approve=True)


def test_the_exclusion_list_and_genotypes_count_against_a_family(registry: Database) -> None:
    wrong_parent = FamilyReport(
        "HD-001",
        ["S-0001"],
        [],
        flags=[Flag(FlagKind.WRONG_PARENT, ("S-0006", "S-0005"), "kinship 0.01")],
    )
    with registry.transaction() as session:
        entry = declare_pedigree(session, ACTOR, BJ, "HD-001", verification=wrong_parent)
        assert entry.evidence["genotype"]["ok"] is False
        assert entry.evidence["criteria_met"] is False
        entry = declare_pedigree(session, ACTOR, BJ, "HD-001", excluded=["Huntington"])
        assert entry.evidence["excluded_condition"] == "Huntington"
        assert entry.evidence["criteria_met"] is False
        with pytest.raises(ValidationFailed, match="gives its reasons"):
            review(session, ACTOR, entry, approve=True)
        review(session, ACTOR, entry, approve=True, note="a founder effect studied since 1990")
        assert entry.status == "province_approved"


def test_unknown_families_and_missing_reasons_are_refused(registry: Database) -> None:
    with registry.transaction() as session:
        with pytest.raises(NotFound, match="no family 'XX'"):
            declare_pedigree(session, ACTOR, BJ, "XX")
        with pytest.raises(NotFound, match="no catalogue entry"):
            find_entry(session, BJ, "HD-001")
        entry = declare_pedigree(session, ACTOR, BJ, "HD-001")
        with pytest.raises(ValidationFailed, match="gives its reasons"):
            review(session, ACTOR, entry, approve=False)
        with pytest.raises(Conflict, match="cannot be registered now"):
            register(session, ACTOR, entry)


def test_exports_and_drawing(registry: Database, tmp_path: Path) -> None:
    with registry.transaction() as session:
        entry = declare_pedigree(session, ACTOR, BJ, "HD-001")
        rows = list(csv.DictReader(io.StringIO(entries_csv([entry]))))
        assert rows[0]["subject"] == "HD-001"
        assert rows[0]["criteria_met"] == "True"
        assert json.loads(entries_json([entry]))[0]["evidence"]["affected_generations"] == 3
        svg = draw_entry(entry)
    root = ET.fromstring(svg)
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "HD-001-1" in texts
    assert not any("BJH" in t for t in texts), "no donor id or pseudonym is drawn"
    # examples: BJH-0001 (the first founder) is deceased and BJH-0005 is the proband.
    assert "P" in texts, "the proband's arrow is labelled P"
    assert svg.count('class="deceased"') == 1


def test_a_specific_region_resource_is_declared_with_its_donors(registry: Database) -> None:
    with registry.transaction() as session:
        # examples: five Han donors; four live in Beijing (110000), one in Hebei (130000).
        entry = declare_region(session, ACTOR, BJ, "han", "110000", trait="a founder population")
        assert (entry.kind, entry.subject, entry.region) == ("region", "han", "110000")
        assert entry.evidence == {
            "population_donors": 5,
            "resident_donors": 4,
            "resident_samples": 5,
            "criteria_met": True,
        }
        elsewhere = declare_region(session, ACTOR, BJ, "Hui", "130000", trait="a small group")
        assert elsewhere.evidence["criteria_met"] is False
        with pytest.raises(ValidationFailed, match="gives its reasons"):
            review(session, ACTOR, elsewhere, approve=True)
        with pytest.raises(NotFound, match="no region"):
            declare_region(session, ACTOR, BJ, "Han", "999999", trait="x")
        with pytest.raises(NotFound, match="no institution"):
            declare_region(session, ACTOR, "XX-000", "Han", "110000", trait="x")
        with pytest.raises(ValidationFailed, match="what makes it important"):
            declare_region(session, ACTOR, BJ, "Han", "110000", trait=" ")
        review(session, ACTOR, entry, approve=True)
        register(session, ACTOR, entry)
        assert (entry.number or "")[:4] == "HGS-"
        assert is_protected(session, BJ, "han", "region")
        assert not is_protected(session, BJ, "han")  # a pedigree of that name is not
        with pytest.raises(ValidationFailed, match="no pedigree to draw"):
            draw_entry(entry)
