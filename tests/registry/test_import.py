"""Imports of templates, PED files and Phenopackets: all or nothing, idempotent, on both DBs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import NotFound, UsageError, ValidationFailed
from hgr.registry import models as m
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS, shared, table_counts

INSTITUTION = "BJ-H001"


@pytest.fixture
def registered(db: Database, keys: NodeKeys) -> Database:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    return db


def _fails(db: Database, keys: NodeKeys, paths: list[Path], **kw: object) -> list[str]:
    """Run an import that must fail, check nothing was written, return the issue codes."""
    before = table_counts(db)
    with pytest.raises(ValidationFailed) as info:
        import_files(db, keys, paths, institution=INSTITUTION, **kw)  # type: ignore[arg-type]
    assert table_counts(db) == before
    return [i.code for i in info.value.issues if i.severity == "error"]


def test_examples_import_everything(registered: Database, keys: NodeKeys) -> None:
    result = import_files(registered, keys, HOLDINGS, institution=INSTITUTION)
    assert result.report.ok
    assert result.changes["donors"].inserted == 6
    assert result.changes["samples"].inserted == 7
    assert result.changes["consents"].inserted == 6
    assert result.changes["pedigree_members"].inserted == 5
    with registered.reader() as session:
        family = session.scalars(select(m.Family)).one()
        assert (family.code, family.condition, family.generations) == ("HD-001", "ORPHA:399", 3)
        withdrawn = session.scalars(select(m.Consent).where(m.Consent.status == "withdrawn")).one()
        assert str(withdrawn.withdrawn_on) == "2023-02-14"
        members = {mem.donor_id: mem for mem in session.scalars(select(m.PedigreeMember))}
        child = [x for x in members.values() if x.generation == 3]
        assert len(child) == 1
        assert child[0].father_id
        assert child[0].mother_id
        affected = session.scalars(select(m.PedigreeAffection.condition)).all()
        assert set(affected) == {"ORPHA:399"}
        (proband,) = [x for x in members.values() if x.proband]
        assert proband is child[0]
        deceased = session.scalars(select(m.Donor).where(m.Donor.vital_status == "deceased"))
        assert [d.birth_year for d in deceased] == [1948]
        batch = session.scalars(
            select(m.ImportBatch).where(m.ImportBatch.institution_id.is_not(None))
        ).one()
        assert {f["path"] for f in batch.provenance["files"]} == {str(p) for p in HOLDINGS}


def test_raw_donor_ids_are_never_stored(registered: Database, keys: NodeKeys) -> None:
    import_files(registered, keys, HOLDINGS, institution=INSTITUTION)
    with registered.reader() as session:
        pseudonyms = set(session.scalars(select(m.Donor.pseudonym)))
    assert keys.pseudonymiser.pseudonym(INSTITUTION, "BJH-0001") in pseudonyms
    assert all(len(p) == 64 and "BJH" not in p for p in pseudonyms)


def test_reimport_changes_nothing(registered: Database, keys: NodeKeys) -> None:
    import_files(registered, keys, HOLDINGS, institution=INSTITUTION)
    before = table_counts(registered)
    again = import_files(registered, keys, HOLDINGS, institution=INSTITUTION)
    assert not again.changed
    assert again.batch_id is None
    assert table_counts(registered) == before


def test_changed_file_updates_in_place(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    import_files(registered, keys, HOLDINGS, institution=INSTITUTION)
    samples = tmp_path / "samples.csv"
    text = (
        (EXAMPLES / "samples.csv")
        .read_text()
        .replace(
            "S-0006,BJH-0005,whole_blood,COL-HD,2020-01-20,available",
            "S-0006,BJH-0005,whole_blood,COL-HD,2020-01-20,destroyed",
        )
    )
    samples.write_text(text)
    with pytest.raises(ValidationFailed, match="E_UPDATE_NOT_CONFIRMED"):
        import_files(registered, keys, [samples], institution=INSTITUTION)
    result = import_files(registered, keys, [samples], institution=INSTITUTION, update=True)
    assert result.changes["samples"].updated == 1
    with registered.reader() as session:
        status = session.scalar(select(m.Sample.storage_status).where(m.Sample.code == "S-0006"))
    assert status == "destroyed"


def test_dry_run_reports_changes_and_writes_nothing(registered: Database, keys: NodeKeys) -> None:
    before = table_counts(registered)
    result = import_files(registered, keys, HOLDINGS, institution=INSTITUTION, dry_run=True)
    assert result.dry_run
    assert result.changes["donors"].inserted == 6
    assert table_counts(registered) == before


def test_unknown_institution(registered: Database, keys: NodeKeys) -> None:
    with pytest.raises(NotFound, match="E_UNKNOWN_INSTITUTION"):
        import_files(registered, keys, HOLDINGS, institution="NOPE")


def test_holdings_need_an_institution(registered: Database, keys: NodeKeys) -> None:
    with pytest.raises(ValidationFailed, match="--institution"):
        import_files(registered, keys, HOLDINGS)


def _edit(tmp_path: Path, name: str, old: str, new: str) -> Path:
    path = tmp_path / name
    text = (EXAMPLES / name).read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def _holdings_with(tmp_path: Path, replaced: Path) -> list[Path]:
    return [replaced if p.name == replaced.name else p for p in HOLDINGS]


BAD_CELLS = [
    ("donors.csv", "BJH-0002,female,1950", "BJH-0002,femme,1950", "E_FIELD"),
    ("donors.csv", "BJH-0002,female,1950", "BJH-0002,female,19x0", "E_FIELD"),
    ("donors.csv", "HP:0002072;HP:0000726", "HP:2072", "E_TERM"),
    ("donors.csv", "ORPHA:399 Huntington disease;ICD10:G10", "ICD10:10G", "E_TERM"),
    ("donors.csv", "1948,110000", "1948,999999", "E_UNKNOWN_REGION"),
    ("donors.csv", "Han,deceased", "Han,departed", "E_FIELD"),
    ("families.csv", "in each,BJH-0005", "in each,BJH-0101", "E_PROBAND"),
    ("samples.csv", "S-0003,BJH-0002", "S-0003,BJH-9999", "E_UNKNOWN_DONOR"),
    (
        "samples.csv",
        "COL-HD,2019-04-02,available",
        "COL-XX,2019-04-02,available",
        "E_UNKNOWN_COLLECTION",
    ),
    ("samples.csv", "2019-05-11,depleted", "2019-13-11,depleted", "E_DATE"),
    ("samples.csv", "2019-05-11,depleted", "2099-05-11,depleted", "E_FUTURE_DATE"),
    ("samples.csv", "S-0003,BJH-0002,whole_blood", "S-0003,BJH-0002,ectoplasm", "E_FIELD"),
    (
        "samples.csv",
        "S-0003,BJH-0002,whole_blood,COL-HD,2019-04-02",
        "S-0003,BJH-0002,whole_blood,COL-HD,1949-04-02",
        "E_BEFORE_BIRTH",
    ),
    (
        "consents.csv",
        ",DS,MONDO:0007739,IRB;NCU,,,active,",
        ",DS,,IRB;NCU,,,active,",
        "E_DUO_PARAMETER",
    ),
    ("consents.csv", "IRB;NCU;GS,CN", "IRB;NCU;GS,", "E_DUO_PARAMETER"),
    ("consents.csv", "withdrawn,2023-02-14", "withdrawn,", "E_WITHDRAWAL"),
    ("consents.csv", "2019-05-11,HMB,,IRB", "2019-05-11,HMB,,XYZ", "E_DUO"),
    ("consents.csv", "2019-05-11,HMB,,IRB", "2019-05-11,NCU,,IRB", "E_DUO"),
    (
        "consents.csv",
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef,2019-04-02",
        "5f70bf18,2019-04-02",
        "E_CHECKSUM",
    ),
    ("consents.csv", "withdrawn,2023-02-14", "withdrawn,2010-02-14", "E_DATE_ORDER"),
    ("ethics_approvals.csv", "2019-01-15,2029-01-14", "2019-01-15,2009-01-14", "E_DATE_ORDER"),
    ("data_files.csv", ",vcf,81234567,", ",vcf,-5,", "E_FIELD"),
    ("collections.csv", "DS;IRB", "DS;IRB;BOGUS", "E_DUO"),
    ("HD-001.ped", "BJH-0001\t0\t0\t1\t2", "BJH-0001\t0\t0\t2\t2", "E_PED_FATHER_SEX"),
    ("HD-001.ped", "BJH-0004\t0\t0\t1\t1", "BJH-0004\tBJH-0005\t0\t1\t1", "E_PED_CYCLE"),
    ("HD-001.ped", "BJH-0004\t0\t0\t1\t1\n", "", "E_PED_MISSING_PARENT"),
    ("HD-001.ped", "BJH-0002\t0\t0\t2\t1", "BJH-0002\t0\t0\t1\t1", "E_DONOR_CONFLICT"),
]


@pytest.mark.parametrize(("name", "old", "new", "code"), BAD_CELLS)
def test_bad_input_is_named_and_nothing_is_written(
    registered: Database, keys: NodeKeys, tmp_path: Path, name: str, old: str, new: str, code: str
) -> None:
    bad = _edit(tmp_path, name, old, new)
    codes = _fails(registered, keys, _holdings_with(tmp_path, bad))
    assert code in codes


def test_errors_name_file_line_field_and_fix(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    bad = _edit(tmp_path, "donors.csv", "BJH-0002,female,1950", "BJH-0002,femme,1950")
    with pytest.raises(ValidationFailed) as info:
        import_files(registered, keys, _holdings_with(tmp_path, bad), institution=INSTITUTION)
    issue = next(i for i in info.value.issues if i.field == "sex")
    assert (issue.origin.file, issue.origin.line) == (str(bad), 3)
    assert "femme" in issue.problem
    assert "male" in issue.fix


def test_structural_file_errors(registered: Database, keys: NodeKeys, tmp_path: Path) -> None:
    cases = {
        "donors-extra.csv": "donor_id,sexx\nA,male\n",
        "donors-missing.csv": "sex,birth_year\nmale,1990\n",
        "donors-cells.csv": "donor_id,sex\nA,male,extra\n",
        "consents-header-only.csv": "donor_id,permision\n",
        "samples-empty.csv": "",
        "mystery.csv": "a,b\n1,2\n",
        "notes.docx": "x",
    }
    expected = {
        "donors-extra.csv": "E_UNKNOWN_COLUMN",
        "donors-missing.csv": "E_MISSING_COLUMN",
        "donors-cells.csv": "E_CELLS",
        "consents-header-only.csv": "E_UNKNOWN_COLUMN",
        "samples-empty.csv": "E_EMPTY",
        "mystery.csv": "E_UNKNOWN_TEMPLATE",
        "notes.docx": "E_UNKNOWN_FORMAT",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert expected[name] in _fails(registered, keys, [tmp_path / name]), name
    binary = tmp_path / "donors-binary.csv"
    binary.write_bytes(b"donor_id,sex\n\xff\xfe,male\n")
    assert "E_ENCODING" in _fails(registered, keys, [binary])
    assert "E_NO_FILE" in _fails(registered, keys, [tmp_path / "absent.csv"])


def test_a_table_with_another_separator_is_told_which(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """Excel in much of Europe saves "CSV" with semicolons: read with commas the header is one
    column, and the file was refused for every column missing, naming none of this."""
    semicolons = tmp_path / "donors.csv"
    semicolons.write_text("donor_id;sex;birth_year\nA-1;male;1990\n")
    with pytest.raises(ValidationFailed) as info:
        import_files(registered, keys, [semicolons], institution=INSTITUTION)
    (issue,) = info.value.issues
    assert issue.code == "E_DELIMITER"
    assert "semicolons (;)" in issue.problem
    assert "commas (,)" in issue.problem
    commas = tmp_path / "donors.tsv"
    commas.write_text("donor_id,sex\nA-1,male\n")
    assert _fails(registered, keys, [commas]) == ["E_DELIMITER"]


def test_an_institution_rows_own_error_comes_before_what_follows_from_it(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """A wrong USCC check character refuses the institution's row; its holdings, imported
    with it, then name an institution that is not registered. The row's error is the one to
    see (it was shown only when the institutions file was imported alone)."""
    bad = _edit(tmp_path, "institutions.csv", "121100004000000014", "121100004000000015")
    with pytest.raises(ValidationFailed) as info:
        import_files(db, keys, [bad, *HOLDINGS], institution=INSTITUTION)
    codes = [i.code for i in info.value.issues]
    assert codes[0] == "E_LEGAL_ID"
    assert info.value.issues[0].origin.file == str(bad)


def test_a_refused_row_is_not_reported_again_by_the_rows_that_name_it(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """A donor row refused for its sex, and a collection row for its size, made every sample
    and consent that names them say "donor ... is not registered; add the donor to a donors
    template in this import", which it already was. Only the rows' own errors are reported."""
    donors = _edit(tmp_path, "donors.csv", "BJH-0001,male", "BJH-0001,mal")
    collections = _edit(tmp_path, "collections.csv", "ORPHA:399;MONDO:0007739,400", "x,many")
    paths = [donors if p.name == donors.name else p for p in _holdings_with(tmp_path, collections)]
    with pytest.raises(ValidationFailed) as info:
        import_files(registered, keys, paths, institution=INSTITUTION)
    issues = info.value.issues
    assert {i.origin.file for i in issues} == {str(donors), str(collections)}
    assert "E_UNKNOWN_DONOR" not in [i.code for i in issues]
    assert "E_UNKNOWN_COLLECTION" not in [i.code for i in issues]


def test_errors_come_in_the_order_records_depend_on_each_other(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """With errors in both, the donors file's came first (files were listed by name):
    the institution's row, on which the donors depend, is the one to fix first, whatever
    order the files are given in."""
    institutions = _edit(tmp_path, "institutions.csv", "121100004000000014", "121100004000000015")
    donors = _edit(tmp_path, "donors.csv", "BJH-0001,male", "BJH-0001,mal")
    for order in ([donors, institutions], [institutions, donors]):
        with pytest.raises(ValidationFailed) as info:
            import_files(db, keys, order, institution=INSTITUTION)
        files = [i.origin.file for i in info.value.issues]
        assert files == sorted(files, key=lambda f: f != str(institutions))
        assert info.value.issues[0].code == "E_LEGAL_ID"


def test_duplicate_keys_with_different_values(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    path = tmp_path / "samples.csv"
    path.write_text(
        (EXAMPLES / "samples.csv").read_text() + "S-0001,BJH-0002,whole_blood,COL-HD,,\n"
    )
    assert "E_DUPLICATE_KEY" in _fails(registered, keys, _holdings_with(tmp_path, path))


def test_foreign_control_must_be_declared(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    bad = _edit(tmp_path, "institutions.csv", "foreign_controlled,60", "domestic,60")
    with pytest.raises(ValidationFailed) as info:
        import_files(db, keys, [bad])
    assert "E_CONTROL" in [i.code for i in info.value.issues]
    bad = _edit(tmp_path, "institutions.csv", "121100004000000014", "121100004000000015")
    with pytest.raises(ValidationFailed) as info:
        import_files(db, keys, [bad])
    assert "E_LEGAL_ID" in [i.code for i in info.value.issues]


def test_phenopackets_import(registered: Database, keys: NodeKeys) -> None:
    folder = shared("phenopackets")
    packets = sorted(p for p in folder.glob("*.json") if not p.name.startswith("biosamples"))
    result = import_files(registered, keys, packets, institution=INSTITUTION)
    assert result.changes["donors"].inserted == len(packets)
    with registered.reader() as session:
        pseudonym = keys.pseudonymiser.pseudonym(INSTITUTION, "P123542")
        donor = session.scalars(select(m.Donor).where(m.Donor.pseudonym == pseudonym)).one()
        assert donor.sex == "male"
        # covid19.json and PMID_30359777 record subject.vitalStatus DECEASED; the others none.
        assert donor.vital_status == "deceased"
        statuses = session.scalars(select(m.Donor.vital_status)).all()
        assert sorted(statuses).count("deceased") == 2
        assert statuses.count("unknown") == len(packets) - 2
        # diabetes (MONDO:0005015) is marked excluded in the file, so it is not a diagnosis
        assert {d.term_id for d in donor.diagnoses} == {"MONDO:0100096", "MONDO:0004994"}
        sister = keys.pseudonymiser.pseudonym(INSTITUTION, "Patient 2")
        features = session.scalars(
            select(m.DonorPhenotype).join(m.Donor).where(m.Donor.pseudonym == sister)
        ).all()
        assert any(f.excluded for f in features)
        assert any(not f.excluded for f in features)


def test_non_phenopacket_json_is_refused(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    biosample = shared("phenopackets", "biosamples-SAMN05324082.json")
    assert "E_NOT_PHENOPACKET" in _fails(registered, keys, [biosample])
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x", ')
    assert "E_JSON" in _fails(registered, keys, [broken])


def test_family_phenopacket(registered: Database, keys: NodeKeys, tmp_path: Path) -> None:
    son = json.loads(shared("phenopackets", "PMID_33912663_son.json").read_text())
    family = {
        "id": "FAM-33912663",
        "proband": son,
        "relatives": [],
        "pedigree": {
            "persons": [
                {
                    "familyId": "F1",
                    "individualId": "son",
                    "paternalId": "dad",
                    "maternalId": "mum",
                    "sex": "MALE",
                    "affectedStatus": "AFFECTED",
                },
                {
                    "familyId": "F1",
                    "individualId": "dad",
                    "sex": "MALE",
                    "affectedStatus": "UNAFFECTED",
                },
                {
                    "familyId": "F1",
                    "individualId": "mum",
                    "sex": "FEMALE",
                    "affectedStatus": "UNAFFECTED",
                },
            ]
        },
        "metaData": son["metaData"],
    }
    path = tmp_path / "family.json"
    path.write_text(json.dumps(family))
    result = import_files(registered, keys, [path], institution=INSTITUTION)
    assert result.changes["pedigree_members"].inserted == 3
    with registered.reader() as session:
        fam = session.scalars(select(m.Family)).one()
        assert fam.condition == "OMIM:621414"
        assert fam.generations == 2
        proband = session.scalar(
            select(m.Donor.pseudonym)
            .join(m.PedigreeMember, m.PedigreeMember.donor_id == m.Donor.id)
            .where(m.PedigreeMember.proband)
        )
        assert proband == keys.pseudonymiser.pseudonym(INSTITUTION, "son")


def test_ped_files_from_shared_data(registered: Database, keys: NodeKeys) -> None:
    result = import_files(
        registered, keys, [shared("ped", "ceph1463.ped")], institution=INSTITUTION
    )
    assert result.changes["pedigree_members"].inserted == 17
    assert result.families[0].depth == 3
    assert "E_PED_MISSING_PARENT" in _fails(registered, keys, [shared("ped", "ceph1463.bad.ped")])
    assert "E_PED_DUPLICATE_ID" in _fails(registered, keys, [shared("ped", "duplicate_id.fam")])
    assert "E_PED_FATHER_SEX" in _fails(registered, keys, [shared("ped", "mendel.fam")])


def test_half_founders_warn_and_strict_refuses(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    ped = tmp_path / "half.ped"
    ped.write_text("F\tkid\tdad\t0\t1\t2\nF\tdad\t0\t0\t1\t1\n")
    result = import_files(registered, keys, [ped], institution=INSTITUTION, dry_run=True)
    assert [i.code for i in result.report.warnings] == ["E_PED_HALF_FOUNDER"]
    assert "E_PED_HALF_FOUNDER" in _fails(registered, keys, [ped], strict=True)


def test_copy_of_examples_is_complete() -> None:
    # Every template has an example file, so the documentation's examples stay runnable.
    from hgr.registry.templates import TEMPLATES

    names = {p.name.split(".")[0] for p in EXAMPLES.iterdir()}
    assert set(TEMPLATES) <= names


def test_a_column_given_twice_in_a_file_is_refused(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """``sex`` and ``Sex`` are one column: the last copy must not silently win."""
    donors = tmp_path / "donors.csv"
    donors.write_text("donor_id,sex,Sex\nD-1,male,female\n", encoding="utf-8")
    assert _fails(registered, keys, [donors]) == ["E_DUPLICATE_COLUMN"]


def _collection(folder: Path) -> list[Path]:
    """The shared case reports (ten phenopackets of six publications) with their subject
    ids made to collide across publications, as in phenopacket-store, where "Patient 1" of
    one paper is not "Patient 1" of another: each paper's are Patient 1, Patient 2, ..."""
    paths = []
    numbered: Counter[str] = Counter()
    for source in sorted(shared("phenopackets").glob("PMID_*.json")):
        packet = json.loads(source.read_text())
        paper = packet["metaData"]["externalReferences"][0]["id"]
        numbered[paper] += 1
        packet["subject"]["id"] = f"Patient {numbered[paper]}"
        path = folder / source.name
        path.write_text(json.dumps(packet))
        paths.append(path)
    return paths


def test_a_collection_whose_subject_ids_repeat_is_one_person_per_subject_id_by_default(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """By subject id they are one donor with ten sexes and diagnoses: refused, and the fix
    names the rule that reads them as ten people."""
    with pytest.raises(ValidationFailed) as info:
        import_files(registered, keys, _collection(tmp_path), institution=INSTITUTION)
    conflicts = [i for i in info.value.issues if i.code == "E_DONOR_CONFLICT"]
    assert conflicts
    assert all("--donor-key id" in str(i.fix) for i in conflicts)


def test_a_collection_imports_in_one_command_with_donors_named_by_phenopacket_id(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    paths = _collection(tmp_path)
    result = import_files(registered, keys, paths, institution=INSTITUTION, donor_key="id")
    assert result.changes["donors"].inserted == 10
    with registered.reader() as session:
        pseudonym = keys.pseudonymiser.pseudonym(INSTITUTION, "PMID_33912663_Sister")
        sister = session.scalars(select(m.Donor).where(m.Donor.pseudonym == pseudonym)).one()
        assert sister.sex == "female"


def test_the_same_phenopacket_twice_with_another_sex_is_still_refused(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """A real conflict: the same subject of the same source, given again as a man."""
    paths = _collection(tmp_path)
    again = json.loads(paths[1].read_text())  # PMID_33912663_Sister, a woman
    assert again["id"] == "PMID_33912663_Sister"
    again["subject"]["sex"] = "MALE"
    (tmp_path / "again").mkdir()
    copy = tmp_path / "again" / paths[1].name
    copy.write_text(json.dumps(again))
    codes = _fails(registered, keys, [*paths, copy], donor_key="id")
    assert "E_DONOR_CONFLICT" in codes


def test_one_subject_of_one_source_with_two_sexes_is_refused_under_two_ids(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """Named by phenopacket id, a second phenopacket of the same subject of the same paper,
    under another id and as a man, was taken for another person: one person cannot be
    both."""
    paths = _collection(tmp_path)
    again = json.loads(paths[1].read_text())  # PMID_33912663_Sister: Patient 1, a woman
    again["id"] = "PMID_33912663_Sister_again"
    again["subject"]["sex"] = "MALE"
    copy = tmp_path / "PMID_33912663_Sister_again.json"
    copy.write_text(json.dumps(again))
    with pytest.raises(ValidationFailed) as info:
        import_files(registered, keys, [*paths, copy], institution=INSTITUTION, donor_key="id")
    conflicts = [i for i in info.value.issues if i.code == "E_DONOR_CONFLICT"]
    assert len(conflicts) == 1
    assert "Patient 1 of PMID:33912663" in conflicts[0].problem


def test_two_families_of_one_paper_may_each_have_their_ii_1(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """In a Family, a subject id is a label of its pedigree: the son of one family and the
    sister of another, both II-1 of one paper, are two people, not one with two sexes."""
    paths = []
    for name, family_id in (("son", "FAM-1"), ("Sister", "FAM-2")):
        member = json.loads(shared("phenopackets", f"PMID_33912663_{name}.json").read_text())
        member["subject"]["id"] = "II-1"
        family = {
            "id": family_id,
            "proband": member,
            "relatives": [],
            "metaData": member["metaData"],
        }
        paths.append(tmp_path / f"{family_id}.json")
        paths[-1].write_text(json.dumps(family))
    result = import_files(registered, keys, paths, institution=INSTITUTION, donor_key="id")
    assert result.changes["donors"].inserted == 2


def test_a_phenopacket_keeps_the_rule_that_named_its_donor(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """Imported by subject id and then again by phenopacket id, the same ten phenopackets
    made ten donors more (twenty in all). A phenopacket imported under one rule is refused
    under the other, by its id, so a re-exported file (another layout, another date) is
    refused too; the first rule still imports it (as the same donor), and other phenopackets
    may be named by the other rule."""
    paths = sorted(shared("phenopackets").glob("PMID_*.json"))
    first = import_files(registered, keys, paths[:5], institution=INSTITUTION)
    assert first.changes["donors"].inserted == 5
    reexported = tmp_path / paths[4].name
    packet = json.loads(paths[4].read_text())
    packet["metaData"]["created"] = "2027-01-01T00:00:00Z"
    reexported.write_text(json.dumps(packet, indent=1))
    with pytest.raises(ValidationFailed) as info:
        import_files(registered, keys, [reexported], institution=INSTITUTION, donor_key="id")
    assert info.value.code == "E_DONOR_KEY"
    assert f"phenopacket {packet['id']} was imported before" in str(info.value)
    assert "donors named by the subject id" in str(info.value)
    assert str(tmp_path) not in str(info.value)  # a server's upload folder is nobody's business
    again = import_files(registered, keys, paths[:5], institution=INSTITUTION)
    assert again.changes["donors"].inserted == 0
    others = import_files(registered, keys, paths[5:], institution=INSTITUTION, donor_key="id")
    assert others.changes["donors"].inserted == 5
    with registered.reader() as session:
        assert len(session.scalars(select(m.Donor)).all()) == 10


def test_a_phenopacket_named_alike_by_both_rules_is_not_refused(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """Whose id is its subject id, a phenopacket names one donor whichever the rule: its
    import under the other rule registers nobody twice, and is not refused."""
    packet = json.loads(shared("phenopackets", "PMID_33912663_Sister.json").read_text())
    packet["subject"]["id"] = packet["id"]
    path = tmp_path / "sister.json"
    path.write_text(json.dumps(packet))
    assert import_files(registered, keys, [path], institution=INSTITUTION).changed
    again = import_files(registered, keys, [path], institution=INSTITUTION, donor_key="id")
    assert again.changes["donors"].inserted == 0


def test_a_phenopacket_without_an_id_cannot_be_named_by_it(
    registered: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    packet = json.loads(shared("phenopackets", "PMID_33912663_son.json").read_text())
    del packet["id"]
    path = tmp_path / "no-id.json"
    path.write_text(json.dumps(packet))
    assert "E_PHENOPACKET_SUBJECT" in _fails(registered, keys, [path], donor_key="id")


def test_an_unknown_donor_key_is_refused(registered: Database, keys: NodeKeys) -> None:
    with pytest.raises(UsageError):
        import_files(registered, keys, [], institution=INSTITUTION, donor_key="name")


def test_a_familys_pedigree_names_its_members_as_their_donors_are_named(tmp_path: Path) -> None:
    from hgr.issues import Report
    from hgr.registry.phenopackets import read_phenopacket

    son = json.loads(shared("phenopackets", "PMID_33912663_son.json").read_text())
    persons = [
        {"familyId": "F1", "individualId": "son", "paternalId": "dad", "sex": "MALE"},
        {"familyId": "F1", "individualId": "dad", "sex": "MALE"},
    ]
    family = {"id": "FAM", "proband": son, "pedigree": {"persons": persons}}
    family["metaData"] = son["metaData"]
    path = tmp_path / "family.json"
    path.write_text(json.dumps(family))
    content = read_phenopacket(path, Report(), donor_key="id")
    assert [d.local_id for d in content.donors] == ["PMID_33912663_son"]
    # A person without a phenopacket, and the family, are named within the Family's id: two
    # publications' "dad" or "F1" are not one person or one family.
    assert [(r.family_id, r.individual_id, r.father_id) for r in content.pedigree] == [
        ("FAM/F1", "PMID_33912663_son", "FAM/dad"),
        ("FAM/F1", "FAM/dad", None),
    ]
