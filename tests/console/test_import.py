"""The steward's import over HTTP: every problem shown at its file, row and field; the
changes reviewed before anything is written; and what a forger, a meddler or a race gets."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from hgr.audit.models import AuditEvent
from hgr.crypto import NodeKeys
from hgr.registry import models as m
from hgr.registry.history import RecordVersion
from hgr.registry.importer import import_files
from tests.api.conftest import Api
from tests.conftest import EXAMPLES, at_once, shared
from tests.console.test_sign_in import _with
from tests.console.test_steward import csrf_of, session_of, signed_in

DONORS = (EXAMPLES / "donors.csv").read_text(encoding="utf-8")
BORN = "BJH-0002,female,1950,"  # a donor as registered


def upload(api: Api, token: str, files: list[tuple[str, str]], **form: str):  # type: ignore[no-untyped-def]
    csrf = csrf_of(api.client.get("/console/import", headers=_with(token)).text)
    return api.client.post(
        "/console/import",
        data={"csrf": csrf, **form},
        files=[("files", (name, text.encode(), "text/csv")) for name, text in files],
        headers=_with(token),
    )


def confirmation(page_text: str) -> dict[str, list[str]]:
    """The confirmation form's fields, as the browser would send them."""
    form = page_text[page_text.index('action="/console/import/confirm"') :]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(value)
    return fields


def confirm(api: Api, token: str, fields: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return api.client.post("/console/import/confirm", data=fields, headers=_with(token))


def years(api: Api) -> list[int | None]:
    with api.db.reader() as session:
        owner = session.scalar(select(m.Institution.id).where(m.Institution.code == "BJ-H001"))
        return sorted(
            session.scalars(select(m.Donor.birth_year).where(m.Donor.institution_id == owner)),
            key=lambda y: y or 0,
        )


def test_every_problem_is_shown_at_its_file_row_and_field(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    broken = DONORS.replace("BJH-0003,female,1972", "BJH-0003,robot,1972")
    page = upload(api, token, [("donors.csv", broken)])
    assert page.status_code == 200
    row = re.search(r"<tr class=\"error\">(.*?)</tr>", page.text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    assert cells[0] == "donors.csv"
    assert cells[1] == "4"  # the header is line 1
    assert cells[2] == "sex"
    assert "robot" in cells[3]
    assert cells[4]  # how to mend it
    assert 'action="/console/import/confirm"' not in page.text


def test_an_update_is_reviewed_field_by_field_before_it_is_written(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    before = years(api)
    page = upload(api, token, [("donors.csv", DONORS.replace(BORN, "BJH-0002,female,1951,"))])
    assert page.status_code == 200
    assert "passed every check" in page.text
    assert re.search(
        r"<td>birth_year</td><td><del>1950</del></td><td><ins>1951</ins></td>", page.text
    )
    assert years(api) == before  # nothing is written by the review
    done = confirm(api, token, confirmation(page.text))
    assert done.status_code == 200
    assert "import batch" in done.text
    assert 1951 in years(api)
    assert 1950 not in years(api)
    with api.db.reader() as session:
        imports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "registry.import")
        ).all()
    assert any("steward_bj" in e.actor for e in imports)


def test_a_confirmation_with_other_files_than_reviewed_writes_nothing(api: Api) -> None:
    import base64

    token = signed_in(api, "steward_bj")
    page = upload(api, token, [("donors.csv", DONORS.replace(BORN, "BJH-0002,female,1951,"))])
    fields = confirmation(page.text)
    swapped = DONORS.replace(BORN, "BJH-0002,female,1999,")
    fields["content"] = [base64.b64encode(swapped.encode()).decode()]
    again = confirm(api, token, fields)
    assert again.status_code == 200
    assert "nothing was written" in again.text
    assert 1999 not in years(api)
    assert 1951 not in years(api)
    # What it shows now is the change the files it carried would make, to review again.
    assert "<ins>1999</ins>" in again.text


def test_records_changed_by_another_import_since_the_review_are_reviewed_again(
    api: Api, keys: NodeKeys, tmp_path: Path
) -> None:
    token = signed_in(api, "steward_bj")
    page = upload(api, token, [("donors.csv", DONORS.replace(BORN, "BJH-0002,female,1951,"))])
    # Meanwhile someone else corrects the same donor.
    other = tmp_path / "donors.csv"
    other.write_text(DONORS.replace(BORN, "BJH-0002,female,1952,"), encoding="utf-8")
    import_files(api.db, keys, [other], institution="BJ-H001", update=True)
    again = confirm(api, token, confirmation(page.text))
    assert "nothing was written" in again.text
    assert 1952 in years(api)
    assert "<del>1952</del>" in again.text  # the review now starts from what is registered


def test_a_steward_cannot_slip_in_an_institutions_template(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    institutions = (EXAMPLES / "institutions.csv").read_text(encoding="utf-8")
    page = upload(api, token, [("donors.csv", DONORS), ("institutions.csv", institutions)])
    assert page.status_code == 403
    with api.db.reader() as session:
        denied = session.scalars(
            select(AuditEvent).where(
                AuditEvent.outcome == "denied", AuditEvent.action == "registry.import"
            )
        ).all()
    assert len(denied) == 1


def test_forged_and_broken_forms_are_refused(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    forged = api.client.post(
        "/console/import",
        data={"csrf": "forged"},
        files=[("files", ("donors.csv", DONORS.encode(), "text/csv"))],
        headers=_with(token),
    )
    assert forged.status_code == 400
    csrf = csrf_of(api.client.get("/console/import", headers=_with(token)).text)
    bad = confirm(
        api, token, {"csrf": [csrf], "digest": ["x"], "name": ["a.csv"], "content": ["%%%"]}
    )
    assert bad.status_code == 400
    assert "upload them again" in bad.text
    uneven = confirm(
        api,
        token,
        {"csrf": [csrf], "digest": ["x"], "name": ["a.csv", "b.csv"], "content": ["YQ=="]},
    )
    assert uneven.status_code == 400
    twice = upload(api, token, [("donors.csv", DONORS), ("donors.csv", DONORS)])
    assert twice.status_code == 400
    assert "names a file twice" in twice.text


def test_a_hostile_file_name_names_nothing_outside(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    page = upload(
        api, token, [("../../donors.csv<script>", DONORS.replace("female,1972", "robot,1972"))]
    )
    assert "<script>" not in page.text
    assert "<td>donors.csv_script_</td>" in page.text  # no folder, nothing to interpret


@pytest.mark.parametrize("user", ["officer_bj", "national", "researcher"])
def test_only_stewards_import(api: Api, user: str) -> None:
    token = signed_in(api, user)
    assert api.client.get("/console/import", headers=_with(token)).status_code == 403


def test_two_confirmations_at_once_write_one_and_review_the_other(api: Api) -> None:
    # Two stewards of one institution review different corrections of the same donor, then
    # confirm together: one is written, and the other sees the change as it stands now.
    first, second = session_of(api, "steward_bj"), session_of(api, "steward_bj")
    forms = [
        confirmation(
            upload(
                api, token, [("donors.csv", DONORS.replace(BORN, f"BJH-0002,female,{year},"))]
            ).text
        )
        for token, year in ((first, 1951), (second, 1952))
    ]
    answers = at_once(2, lambda n: confirm(api, (first, second)[n], forms[n]))
    assert sorted("import batch" in a.text for a in answers) == [False, True]
    assert sum("nothing was written" in a.text for a in answers) == 1
    with api.db.reader() as session:
        versions = session.scalars(
            select(RecordVersion).where(RecordVersion.table_name == "donor")
        ).all()
    changes = [c for v in versions for c in v.changes if c["field"] == "birth_year"]
    assert len(changes) == 1
    assert changes[0]["before"] == 1950


def test_a_large_upload_is_confirmed_as_well_as_reviewed(api: Api) -> None:
    # Over a mebibyte once carried back in the confirmation form (base64).
    token = signed_in(api, "steward_bj")
    rows = "".join(f"BULK-{n:05d},female,1980,110000,{'P' * 100},alive,,\n" for n in range(7000))
    page = upload(api, token, [("donors.csv", DONORS + rows)])
    assert "passed every check" in page.text
    done = confirm(api, token, confirmation(page.text))
    assert done.status_code == 200
    assert "import batch" in done.text


def test_an_upload_from_a_reader_not_signed_in_is_not_read(api: Api) -> None:
    sent = api.client.post(
        "/console/import",
        files=[("files", ("donors.csv", DONORS.encode(), "text/csv"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/console/sign-in")


def _workbook(donors_csv: str) -> bytes:
    """The donors template as an Excel workbook, years typed as numbers."""
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "donors"
    for n, row in enumerate(csv.reader(io.StringIO(donors_csv))):
        sheet.append([int(c) if n and c.isdigit() else c for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_is_checked_at_its_sheet_and_row_then_reviewed_and_written(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def send(data: bytes):  # type: ignore[no-untyped-def]
        csrf = csrf_of(api.client.get("/console/import", headers=_with(token)).text)
        return api.client.post(
            "/console/import",
            data={"csrf": csrf},
            files=[("files", ("holdings.xlsx", data, kind))],
            headers=_with(token),
        )

    broken = send(_workbook(DONORS.replace("BJH-0003,female,1972", "BJH-0003,robot,1972")))
    row = re.search(r"<tr class=\"error\">(.*?)</tr>", broken.text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    assert cells[:3] == ["holdings.xlsx [donors]", "4", "sex"]
    mended = send(_workbook(DONORS.replace(BORN, "BJH-0002,female,1951,")))
    assert re.search(
        r"<td>birth_year</td><td><del>1950</del></td><td><ins>1951</ins></td>", mended.text
    )
    done = confirm(api, token, confirmation(mended.text))
    assert done.status_code == 200
    assert 1951 in years(api)


def test_the_problems_and_their_fixes_are_in_the_readers_language(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    csrf = csrf_of(api.client.get("/console/import", headers=_with(token)).text)
    broken = DONORS.replace("BJH-0003,female,1972", "BJH-0003,robot,1972")
    page = api.client.post(
        "/console/import?lang=zh_Hans",
        data={"csrf": csrf},
        files=[("files", ("donors.csv", broken.encode(), "text/csv"))],
        headers=_with(token),
    )
    row = re.search(r"<tr class=\"error\">(.*?)</tr>", page.text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    assert "&#39;robot&#39; 不是可接受的取值" in cells[3]
    assert cells[4].startswith("请使用以下之一：male, female")


def _sheets(sheets: dict[str, str]) -> bytes:
    """A workbook with a sheet per name, each holding the CSV text given."""
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for name, text in sheets.items():
        sheet = book.create_sheet(name)
        for row in csv.reader(io.StringIO(text)):
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_steward_cannot_slip_in_institutions_as_a_workbooks_sheet(api: Api) -> None:
    # The file's name says holdings; a sheet says institutions. What the import reads decides.
    token = signed_in(api, "steward_bj")
    institutions = (EXAMPLES / "institutions.csv").read_text(encoding="utf-8")
    domestic = institutions.replace("foreign_controlled", "domestic")
    csrf = csrf_of(api.client.get("/console/import", headers=_with(token)).text)
    page = api.client.post(
        "/console/import",
        data={"csrf": csrf},
        files=[("files", ("holdings.xlsx", _sheets({"institutions": domestic}), WORKBOOK))],
        headers=_with(token),
    )
    assert page.status_code == 403
    with api.db.reader() as session:
        control = session.scalar(
            select(m.Institution.control).where(m.Institution.code == "SH-C001")
        )
    assert str(control) == "foreign_controlled"


def test_an_officer_cannot_slip_in_donors_as_a_workbooks_sheet(api: Api) -> None:
    # Through the API: a national officer may register institutions, not an institution's
    # donors, whatever the workbook is called.
    before = years(api)
    answer = api.post(
        "national",
        "/registry/import",
        data={"institution": "BJ-H001"},
        files=[
            (
                "files",
                (
                    "institutions.xlsx",
                    _sheets({"donors": DONORS.replace(BORN, "BJH-0002,female,1951,")}),
                    WORKBOOK,
                ),
            )
        ],
    )
    assert answer.status_code == 403
    assert years(api) == before


def _collection() -> list[tuple[str, str]]:
    """The shared case reports with their subject ids made to collide across publications,
    as phenopacket-store's do (each paper's are Patient 1, Patient 2, ...)."""
    files, numbered = [], Counter[str]()
    for source in sorted(shared("phenopackets").glob("PMID_*.json")):
        packet = json.loads(source.read_text())
        paper = packet["metaData"]["externalReferences"][0]["id"]
        numbered[paper] += 1
        packet["subject"]["id"] = f"Patient {numbered[paper]}"
        files.append((source.name, json.dumps(packet)))
    return files


def test_a_phenopacket_collection_is_imported_with_donors_named_by_phenopacket_id(
    api: Api,
) -> None:
    """The console had no donor key: a collection whose subject ids repeat across papers
    could only be refused, each "Patient 1" taken for one person with many sexes. The
    choice is made on the form, carried to the confirmation, and part of what was
    reviewed."""
    token = signed_in(api, "steward_bj")
    form = api.client.get("/console/import", headers=_with(token)).text
    assert 'name="donor_key"' in form
    refused = upload(api, token, _collection())
    assert "E_DONOR_CONFLICT" in refused.text
    assert 'action="/console/import/confirm"' not in refused.text
    page = upload(api, token, _collection(), donor_key="id")
    assert page.status_code == 200, page.text
    fields = confirmation(page.text)
    assert fields["donor_key"] == ["id"]
    switched = confirm(api, token, {**fields, "donor_key": ["subject"]})
    assert "E_DONOR_CONFLICT" in switched.text  # read by the other key, nothing is written
    done = confirm(api, token, fields)
    assert done.status_code == 200
    with api.db.reader() as session:
        owner = session.scalar(select(m.Institution.id).where(m.Institution.code == "BJ-H001"))
        ids = session.scalars(select(m.Donor.id).where(m.Donor.institution_id == owner)).all()
    assert len(ids) == len(DONORS.splitlines()) - 1 + 10


def test_an_unknown_donor_key_is_refused(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    page = upload(api, token, [("donors.csv", DONORS)], donor_key="name")
    assert page.status_code == 400
    assert "Choose how phenopackets name their donors" in page.text
