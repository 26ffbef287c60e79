"""Rule packs and requests: every mistake in a pack or a request file is named, and nothing
half-read is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from hgr.exceptions import ValidationFailed
from hgr.policy import AccessRequest, NodeFacts, load_packs, read_model, read_pack
from hgr.policy.conditions import check, holds
from hgr.policy.request import FACT_TYPES
from tests.conftest import EXAMPLES

GOOD = """
pack: test
version: "1"
title: A test pack
jurisdiction: XX
applies_when: {fact: n_persons, gte: 0}
sets: {big: [whole_genome]}
rules:
  - id: T-1
    citation: Test Act s.1
    reason: Large genomes need approval.
    check: "✅"
    outcome: approval
    when:
      all:
        - {fact: data_categories, has_any_in_set: big}
        - {fact: n_persons, gt: 10}
"""


def test_a_pack_in_a_folder_replaces_or_adds(tmp_path: Path) -> None:
    (tmp_path / "test.yaml").write_text(GOOD)
    (tmp_path / "debarment.yaml").write_text(GOOD.replace("pack: test", "pack: debarment"))
    packs = {p.id: p for p in load_packs(tmp_path)}
    assert {"cn-hgr", "us-dsp", "uk", "eu-gdpr", "debarment", "test"} == set(packs)
    assert [r.id for r in packs["debarment"].rules] == ["T-1"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("fact: n_persons, gt: 10", "fact: n_people, gt: 10", "unknown fact 'n_people'"),
        ("has_any_in_set: big", "has_any_in_set: huge", "unknown set 'huge'"),
        ("outcome: approval", "outcome: maybe", "outcome is one of"),
        ('check: "✅"', 'check: "ok"', "check is one of"),
        ("citation: Test Act s.1", "citation: ''", "missing citation"),
        ("gt: 10", "gt: ten", "compares a number fact with a number"),
        ("{fact: n_persons, gt: 10}", "{fact: n_persons, gt: 10, lt: 20}", "exactly one test"),
        ("{fact: n_persons, gt: 10}", "{fact: action, has: use}", "does not apply to action"),
        ("sets: {big: [whole_genome]}", "sets: {big: [NO]}", 'such as "NO"'),
        ("jurisdiction: XX", "jurisdiction: XX\nextra: 1", "unknown key 'extra'"),
        ("      all:", "      every:", "not every"),
    ],
)
def test_broken_packs_are_refused_with_the_reason(old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(ValidationFailed) as info:
        read_pack(GOOD.replace(old, new), "test.yaml")
    assert any(message in issue.problem for issue in info.value.issues), info.value.issues


def test_a_pack_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="not YAML"):
        read_pack("rules: [", "broken.yaml")
    with pytest.raises(ValidationFailed, match="no such folder"):
        load_packs(tmp_path / "missing")


def test_conditions() -> None:
    sets = {"s": ("a", "b")}
    facts = {"data_categories": ["a"], "n_persons": 5, "action": "use"}
    assert holds({"fact": "data_categories", "only_in_set": "s"}, facts, sets)
    assert not holds(
        {"fact": "data_categories", "only_in_set": "s"}, {**facts, "data_categories": []}, sets
    )
    assert holds({"not": {"fact": "action", "in": ["collect"]}}, facts, sets)
    assert holds(
        {"any": [{"fact": "n_persons", "lt": 1}, {"fact": "n_persons", "lte": 5}]}, facts, sets
    )
    assert check({"all": []}, FACT_TYPES, sets, "c") == [
        "c: all takes a non-empty list of conditions"
    ]
    assert check("yes", FACT_TYPES, sets, "c") == ["c: a condition is a mapping, not str"]


def test_requests_and_facts_are_read_with_every_bad_field_named(tmp_path: Path) -> None:
    request = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
    assert request.data.persons == 800
    facts = read_model(NodeFacts, EXAMPLES / "policy" / "node-facts.yaml")
    assert facts.debarment == "none"
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "policy" / "foreign-wgs-request.yaml").read_text()
    bad.write_text(
        text.replace("persons: 800", "persons: -3").replace("country: GB", "country: Britain")
    )
    with pytest.raises(ValidationFailed) as info:
        read_model(AccessRequest, bad)
    fields = {issue.field for issue in info.value.issues}
    assert {"data.persons", "requester.country"} <= fields
    bad.write_text("id: [")
    with pytest.raises(ValidationFailed, match="not readable"):
        read_model(AccessRequest, bad)
    bad.write_text("surprise: true\n")
    with pytest.raises(ValidationFailed) as info:
        read_model(NodeFacts, bad)
    assert info.value.issues[0].field == "surprise"


def test_a_disease_specific_purpose_names_its_disease(tmp_path: Path) -> None:
    bad = tmp_path / "ds.yaml"
    bad.write_text(
        (EXAMPLES / "policy" / "foreign-wgs-request.yaml")
        .read_text()
        .replace("  disease: MONDO:0005044        # hypertensive disorder\n", "")
    )
    with pytest.raises(ValidationFailed) as info:
        read_model(AccessRequest, bad)
    assert "names its MONDO disease" in info.value.issues[0].problem
