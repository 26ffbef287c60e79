"""Pedigree drawings: standard symbols, one per person, and refused families."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from hgr.exceptions import ValidationFailed
from hgr.issues import Report
from hgr.pedigree.drawing import DrawnPerson, draw_pedigree
from hgr.pedigree.ped import read_ped
from hgr.vocabulary import AffectedStatus, Sex
from tests.conftest import EXAMPLES, shared

SVG = "{http://www.w3.org/2000/svg}"


def _people(path: Path) -> list[DrawnPerson]:
    records = read_ped(path, Report())
    family = records[0].family_id
    return [
        DrawnPerson(r.individual_id, r.sex, r.father_id, r.mother_id, r.affected)
        for r in records
        if r.family_id == family
    ]


def _group(svg: str, name: str) -> ET.Element:
    root = ET.fromstring(svg)
    found = root.find(f"{SVG}g[@class='{name}']")
    assert found is not None
    return found


def test_symbols_follow_the_standard_notation() -> None:
    people = _people(EXAMPLES / "HD-001.ped")
    people[0] = replace(people[0], deceased=True)
    people[-1] = replace(people[-1], proband=True)
    svg = draw_pedigree(people, title="HD-001")
    symbols = _group(svg, "people")
    squares = symbols.findall(f"{SVG}rect")
    circles = symbols.findall(f"{SVG}circle")
    assert len(squares) == sum(p.sex is Sex.MALE for p in people)
    assert len(circles) == sum(p.sex is Sex.FEMALE for p in people)
    filled = [s for s in squares + circles if s.get("fill") != "#ffffff"]
    assert len(filled) == sum(p.affected is AffectedStatus.AFFECTED for p in people)
    assert len(symbols.findall(f"{SVG}line[@class='deceased']")) == 1
    assert len(symbols.findall(f"{SVG}g[@class='proband']")) == 1
    labels = [t.text for t in _group(svg, "labels").iter(f"{SVG}text")]
    assert {"I", "II", "III", "I-1", "III-1", "BJH-0005"} <= set(labels)


def test_a_three_generation_ceph_family_draws_every_member() -> None:
    people = _people(shared("ped", "ceph1463.ped"))
    svg = draw_pedigree(people)
    symbols = _group(svg, "people")
    drawn = len(symbols.findall(f"{SVG}rect")) + len(symbols.findall(f"{SVG}circle"))
    assert drawn == len(people) == 17
    rows = [t.text for t in _group(svg, "labels").iter(f"{SVG}text") if t.get("class") == "gen"]
    assert rows == ["I", "II", "III"]


@pytest.mark.parametrize(
    ("people", "code"),
    [
        ([], "E_PED_EMPTY"),
        ([DrawnPerson("a", Sex.MALE), DrawnPerson("a", Sex.FEMALE)], "E_PED_DUPLICATE"),
        ([DrawnPerson("a", Sex.MALE, father="nobody")], "E_PED_PARENT"),
        (
            [DrawnPerson("a", Sex.MALE, father="b"), DrawnPerson("b", Sex.MALE, father="a")],
            "E_PED_CYCLE",
        ),
    ],
)
def test_a_family_that_cannot_be_drawn_is_refused(people: list[DrawnPerson], code: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        draw_pedigree(people)
    assert [i.code for i in raised.value.issues] == [code]
