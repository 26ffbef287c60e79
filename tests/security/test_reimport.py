"""A careless (or hostile) re-import cannot destroy registered values unseen.

Before, a later donors file with one donor's sex changed and some cells empty was accepted as
"updated 1": a registered mother became male and her family was not checked again, her
phenotypes and diagnoses were blanked, a sample moved quietly to another donor, the dry run
showed no field-level difference, and nothing kept the old values."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.cli.main import app
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import ValidationFailed
from hgr.registry import models as m
from hgr.registry.history import versions_of
from hgr.registry.importer import import_files
from hgr.registry.queries import show_entity
from tests.cli.conftest import hgr, runner
from tests.conftest import EXAMPLES, HOLDINGS, table_counts
from tests.security.conftest import Api

DONORS = "donor_id,sex,birth_year,residence_region,population,vital_status,phenotypes,diagnoses\n"


@pytest.fixture
def node(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    return db


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _donor(db: Database, keys: NodeKeys, local_id: str) -> dict[str, object]:
    pseudonym = keys.pseudonymiser.pseudonym("BJ-H001", local_id)
    with db.reader() as session:
        shown = show_entity(session, "donors", {"institution": "BJ-H001", "pseudonym": pseudonym})
        shown["id"] = session.scalar(select(m.Donor.id).where(m.Donor.pseudonym == pseudonym))
    return shown


def test_an_update_is_refused_without_update_and_shows_its_diff(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    later = _file(tmp_path, "donors.csv", DONORS + "BJH-0003,female,1973,110000,Han,alive,,\n")
    before = table_counts(node)
    with pytest.raises(ValidationFailed) as refused:
        import_files(node, keys, [later], institution="BJ-H001")
    assert refused.value.code == "E_UPDATE_NOT_CONFIRMED"
    [issue] = refused.value.issues
    assert issue.field == "birth_year"
    assert "1972 → 1973" in issue.problem
    assert table_counts(node) == before

    dry = import_files(node, keys, [later], institution="BJ-H001", dry_run=True)
    assert [d.as_dict() for d in dry.differences] == [
        {
            "table": "donor",
            "record": "donor BJH-0003",
            "field": "birth_year",
            "before": 1972,
            "after": 1973,
        }
    ]

    done = import_files(node, keys, [later], institution="BJ-H001", update=True)
    assert done.changes["donors"].updated == 1
    donor = _donor(node, keys, "BJH-0003")
    assert donor["birth_year"] == 1973
    # The empty phenotype and diagnosis cells kept what was registered.
    assert donor["phenotypes"], donor
    assert donor["diagnoses"], donor
    with node.reader() as session:
        [version] = versions_of(session, "donor", int(str(donor["id"])))
    assert version.source == f"import batch {done.batch_id}"
    # Kept without the donor's own identifier, which the registry never stores.
    assert version.changes == [{"field": "birth_year", "before": 1972, "after": 1973}]


def test_an_empty_cell_clears_only_when_asked(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    later = _file(tmp_path, "donors.csv", DONORS + "BJH-0003,female,1972,110000,Han,alive,,\n")
    assert not import_files(node, keys, [later], institution="BJ-H001").changed
    cleared = import_files(
        node, keys, [later], institution="BJ-H001", update=True, clear=frozenset({"phenotypes"})
    )
    assert cleared.changed
    donor = _donor(node, keys, "BJH-0003")
    assert not donor["phenotypes"]
    assert donor["diagnoses"]


def test_a_mother_made_male_is_refused_for_her_family(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    later = _file(tmp_path, "donors.csv", DONORS + "BJH-0003,male,1972,110000,Han,alive,,\n")
    before = table_counts(node)
    with pytest.raises(ValidationFailed) as refused:
        import_files(node, keys, [later], institution="BJ-H001", update=True)
    assert any(i.family == "HD-001" and i.field == "sex" for i in refused.value.issues), (
        refused.value.issues
    )
    assert table_counts(node) == before
    assert _donor(node, keys, "BJH-0003")["sex"] == "female"


def test_a_sample_does_not_move_to_another_donor_by_import(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    header = "sample_id,donor_id,material_type,collection_id,collection_date,storage_status\n"
    row = "S-0004,BJH-0001,whole_blood,COL-HD,2019-05-11,available\n"
    samples = _file(tmp_path, "samples.csv", header + row)
    with pytest.raises(ValidationFailed) as refused:
        import_files(node, keys, [samples], institution="BJ-H001", update=True)
    [issue] = refused.value.issues
    assert issue.code == "E_SAMPLE_MOVE"
    assert "hgr sample move" in issue.fix


def test_history_and_a_named_sample_move_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home), "--institution", "BJ-H001"]).exit_code == 0
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    assert hgr(home, "import", *map(str, HOLDINGS))[0] == 0
    later = _file(tmp_path, "donors.csv", DONORS + "BJH-0003,female,1973,110000,Han,alive,,\n")

    code, output = hgr(home, "import", str(later), "--dry-run")
    assert code == 0, output
    assert "│ birth_year │ 1972 │ 1973 │" in output  # the field, before and after
    code, output = hgr(home, "import", str(later))
    assert code != 0
    assert "E_UPDATE_NOT_CONFIRMED" in output
    assert hgr(home, "import", str(later), "--update")[0] == 0
    code, output = hgr(home, "history", "donors", "BJH-0003")
    assert code == 0, output
    for shown in ("birth_year", "1972", "1973", "import"):
        assert shown in output, output

    code, output = hgr(
        home,
        "sample",
        "move",
        "S-0004",
        "--to",
        "BJH-0001",
        "--reason",
        "tube relabelled at intake",
    )
    assert code == 0, output
    code, output = hgr(home, "history", "samples", "S-0004")
    for shown in ("sample move", "relabelled", "donor_id"):
        assert shown in output, output
    assert "BJH-0001" not in output  # the history holds pseudonyms, never a donor's own id
    code, output = hgr(home, "sample", "move", "S-0004", "--to", "BJH-0001", "--reason", "x")
    assert code != 0
    assert "E_NO_CHANGE" in output


def test_the_api_updates_only_when_asked_and_shows_the_history(api: Api) -> None:
    rows = {"rows": [{"donor_id": "BJH-0003", "sex": "female", "birth_year": "1973"}]}
    refused = api.post("steward_bj", "/registry/donors", json=rows)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "E_UPDATE_NOT_CONFIRMED"
    assert refused.json()["issues"][0]["field"] == "birth_year"
    done = api.post("steward_bj", "/registry/donors?update=true", json=rows)
    assert done.status_code == 200, done.text
    assert done.json()["differences"][0]["before"] == 1972
    shown = api.get("steward_bj", "/registry/history", entity="donors", key="BJH-0003")
    assert shown.status_code == 200, shown.text
    assert [(c["field"], c["before"], c["after"]) for c in shown.json()] == [
        ("birth_year", 1972, 1973)
    ]
    # Another institution's steward sees none of it.
    other = api.get(
        "steward_sh", "/registry/history", entity="donors", key="BJH-0003", institution="BJ-H001"
    )
    assert other.status_code == 403


def test_an_empty_storage_status_keeps_the_registered_one(
    node: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    header = "sample_id,donor_id,material_type,collection_id,collection_date,storage_status\n"
    depleted = _file(
        tmp_path,
        "samples-a.csv",
        header + "S-0004,BJH-0003,whole_blood,COL-HD,2019-05-11,depleted\n",
    )
    import_files(node, keys, [depleted], institution="BJ-H001", update=True)
    empty = _file(
        tmp_path, "samples-b.csv", header + "S-0004,BJH-0003,whole_blood,COL-HD,2019-05-11,\n"
    )
    # Before, the empty cell read as "available" and the sample came back to life.
    assert not import_files(node, keys, [empty], institution="BJ-H001", dry_run=True).differences
    with node.reader() as session:
        status = session.scalar(select(m.Sample.storage_status).where(m.Sample.code == "S-0004"))
    assert status == "depleted"
