"""The steward's families, their pedigrees drawn inline, and catalogue declarations made from
the console: the node's own evidence, and what a steward who over-claims, forges or strays
outside their institution gets."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from hgr.audit.models import AuditEvent
from hgr.catalogue.entries import find_entry, review
from hgr.catalogue.models import CatalogueEntry
from tests.api.conftest import Api
from tests.console.test_sign_in import ADMIN, _with
from tests.console.test_steward import csrf_of, find, opened_for, signed_in

SVG = "{http://www.w3.org/2000/svg}"


def _declare(api: Api, token: str, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    csrf = csrf_of(api.client.get(path, headers=_with(token)).text)
    return api.client.post(
        path, data={**data, "csrf": csrf}, headers=_with(token), follow_redirects=False
    )


def _entries() -> object:
    return select(func.count()).select_from(CatalogueEntry)


def test_a_familys_page_draws_its_pedigree_inline(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    page = api.client.get("/console/families/HD-001", headers=_with(token))
    assert page.status_code == 200
    start, end = page.text.index("<svg"), page.text.index("</svg>") + len("</svg>")
    drawing = ET.fromstring(page.text[start:end])
    # The five members of examples/HD-001.ped: three men, two women, and the proband.
    people = drawing.find(f"{SVG}g[@class='people']")
    assert people is not None
    assert len(people.findall(f"{SVG}rect")) == 3  # BJH-0001, -0004, -0005 (PED sex 1)
    assert len(people.findall(f"{SVG}circle")) == 2
    assert len(people.findall(f"{SVG}g[@class='proband']")) == 1
    assert drawing.get("role") == "img"
    # The page's policy refuses inline style: the drawing carries none.
    assert "<style" not in page.text
    # Members are named by their place in the drawing and linked to their donor pages.
    assert page.text.count('href="/console/donors/') == 5
    assert "HD-001-5" in page.text
    assert "BJH-0005" not in page.text  # the institution's identifiers are never stored


def test_a_family_is_found_by_its_code_and_listed(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    found = find(api, token, "HD-001")
    assert found.status_code == 303
    assert found.headers["location"] == "/console/families/HD-001"
    listing = api.client.get("/console/families", headers=_with(token))
    assert 'href="/console/families/HD-001"' in listing.text
    assert "Huntington disease" in listing.text
    assert "not declared" in listing.text


def test_a_declaration_carries_the_nodes_evidence_not_the_stewards(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    # A steward who over-claims: fields for the evidence are sent, and ignored.
    sent = _declare(
        api,
        token,
        "/console/families/HD-001",
        {
            "trait": "Huntington disease",
            "affected_generations": "9",
            "criteria_met": "true",
            "excluded_condition": "",
        },
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/console/families/HD-001#declaration"
    with api.db.reader() as session:
        entry = find_entry(session, "BJ-H001", "HD-001")
        evidence = entry.evidence
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalogue.declare")
        ).all()
    # The example family has affected members in three generations: counted by the node.
    assert evidence["affected_generations"] == 3
    assert evidence["genotype"] == {"checked": False}
    assert entry.status == "declared"
    assert [e.actor for e in events] == ["console:steward_bj"]
    page = api.client.get("/console/families/HD-001", headers=_with(token))
    assert "Affected members in 3 generations" in page.text
    assert "The criteria are met." in page.text
    zh = api.client.get("/console/families/HD-001?lang=zh_Hans", headers=_with(token))
    assert "已申报" in zh.text


def test_a_declaration_under_review_cannot_be_made_again(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    assert _declare(api, token, "/console/families/HD-001", {"trait": "HD"}).status_code == 303
    with api.db.transaction() as session:
        review(session, ADMIN, find_entry(session, "BJ-H001", "HD-001"), approve=True)
    page = api.client.get("/console/families/HD-001", headers=_with(token))
    assert "approved by the province" in page.text  # the stored value, in words
    assert 'action="/console/families/HD-001"' not in page.text  # no form to declare again
    opened = opened_for(api, "steward_bj")
    again = api.client.post(
        "/console/families/HD-001",
        data={"trait": "other", "csrf": opened.csrf},
        headers=_with(opened.token),
    )
    assert again.status_code == 400
    assert "under review or registered" in again.text
    with api.db.reader() as session:
        assert find_entry(session, "BJ-H001", "HD-001").trait == "HD"


def test_a_family_not_the_institutions_is_not_found_and_nothing_is_written(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    opened = opened_for(api, "steward_bj")
    for code in ("NO-SUCH", "HD-001%00", "x" * 65):
        sent = api.client.post(
            f"/console/families/{code}",
            data={"trait": "x", "csrf": opened.csrf},
            headers=_with(opened.token),
        )
        assert sent.status_code == 404
        assert api.client.get(f"/console/families/{code}", headers=_with(token)).status_code == 404
    with api.db.reader() as session:
        assert session.scalar(_entries()) == 0  # type: ignore[arg-type]


def test_a_forged_form_declares_nothing(api: Api) -> None:
    opened = opened_for(api, "steward_bj")
    sent = api.client.post(
        "/console/families/HD-001",
        data={"trait": "x", "csrf": "forged"},
        headers=_with(opened.token),
    )
    assert sent.status_code == 400
    with api.db.reader() as session:
        assert session.scalar(_entries()) == 0  # type: ignore[arg-type]


def test_a_genotype_check_names_only_the_institutions_genotyped_collections(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    sent = _declare(api, token, "/console/families/HD-001", {"trait": "HD", "collection": "COL-HD"})
    # COL-HD holds no genotypes on this node: the steward is told, and nothing is written.
    assert sent.status_code == 400
    assert "genotyped collections" in sent.text
    with api.db.reader() as session:
        assert session.scalar(_entries()) == 0  # type: ignore[arg-type]


def test_a_population_of_a_region_is_declared_with_the_nodes_counts(api: Api) -> None:
    token = signed_in(api, "steward_bj")
    sent = _declare(
        api,
        token,
        "/console/catalogue",
        {"population": "Han", "region": "110000", "trait": "<script>alert(1)</script>"},
    )
    assert sent.status_code == 303
    with api.db.reader() as session:
        entry = find_entry(session, "BJ-H001", "Han", kind="region")
    assert entry.evidence["resident_donors"] >= 1
    page = api.client.get("/console/catalogue", headers=_with(token))
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert f"{entry.evidence['resident_donors']} of the" in page.text


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"population": "Han", "region": "999999", "trait": "t"}, "Choose a region"),
        ({"population": "Han", "region": "110000", "trait": ""}, "what makes"),
        ({"population": "Han", "region": "110000", "trait": "a\x00b"}, "what makes"),
        ({"population": "", "region": "110000", "trait": "t"}, "Name the population"),
        ({"population": "H\nan", "region": "110000", "trait": "t"}, "Name the population"),
        ({"population": "H" * 101, "region": "110000", "trait": "t"}, "Name the population"),
    ],
)
def test_a_bad_region_declaration_gets_a_clear_error(
    api: Api, data: dict[str, str], problem: str
) -> None:
    token = signed_in(api, "steward_bj")
    sent = _declare(api, token, "/console/catalogue", data)
    assert sent.status_code == 400
    assert problem in sent.text
    with api.db.reader() as session:
        assert session.scalar(_entries()) == 0  # type: ignore[arg-type]


def test_a_pedigree_written_around_the_importer_that_cannot_be_drawn_still_shows(
    api: Api,
) -> None:
    # A superuser makes the founder a child of their own grandchild: a cycle the importer
    # would have refused. The page says so, and lists the members.
    from hgr.audit import record
    from hgr.registry import models as m

    with api.db.transaction() as session:
        family = session.scalar(
            select(m.Family)
            .join(m.Institution, m.Institution.id == m.Family.institution_id)
            .where(m.Family.code == "HD-001", m.Institution.code == "BJ-H001")
        )
        assert family is not None
        members = sorted(
            session.scalars(
                select(m.PedigreeMember).where(m.PedigreeMember.family_id == family.id)
            ),
            key=lambda p: p.generation,
        )
        members[0].father_id = members[-1].id
        record(session, ADMIN, "test.edit", "pedigree")
    token = signed_in(api, "steward_bj")
    page = api.client.get("/console/families/HD-001", headers=_with(token))
    assert page.status_code == 200
    assert "cannot be drawn" in page.text
    assert "<svg" not in page.text
    assert page.text.count('href="/console/donors/') == 5
