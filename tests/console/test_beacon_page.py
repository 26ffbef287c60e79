"""The Beacon's public page: the same yes or no an anonymous caller of the API gets, and a
clear error for a malformed question."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.test_beacon_queries import first_variant
from tests.console.test_sign_in import EN


def _form(variant: dict[str, str]) -> dict[str, str]:
    return {
        "assembly": "GRCh38",
        "chromosome": variant["referenceName"],
        "position": str(int(variant["start"]) + 1),  # the form counts from 1, as a VCF
        "reference": variant["referenceBases"],
        "alternate": variant["alternateBases"],
    }


def test_the_page_answers_as_the_api_answers_an_anonymous_caller(beacon_api: Api) -> None:
    variant = first_variant(beacon_api)
    page = beacon_api.client.get("/console/beacon", params=_form(variant), headers=EN)
    assert page.status_code == 200
    api = beacon_api.get(None, "/api/g_variants", **variant, assemblyId="GRCh38").json()
    assert api["responseSummary"]["exists"] is True
    assert "Yes: at least one donor" in page.text
    absent = {**variant, "alternateBases": "ACGTACGT"}
    page = beacon_api.client.get("/console/beacon", params=_form(absent), headers=EN)
    assert "No: the Beacon does not report" in page.text


def test_the_page_without_a_question_describes_the_beacon(beacon_api: Api) -> None:
    page = beacon_api.client.get("/console/beacon", headers=EN)
    assert page.status_code == 200
    assert "beacon" in page.text
    assert 'role="status"' not in page.text


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"assembly": "hg19"}, "reference genome"),
        ({"chromosome": "23"}, "Choose a chromosome"),
        ({"position": "0"}, "whole number"),
        ({"position": "1e9"}, "whole number"),
        ({"position": "１２"}, "whole number"),
        ({"reference": "<script>"}, "letters A, C, G, T or N"),
        ({"alternate": "A" * 1001}, "letters A, C, G, T or N"),
    ],
)
def test_a_malformed_question_gets_a_clear_error(
    beacon_api: Api, change: dict[str, str], says: str
) -> None:
    form = {
        "assembly": "GRCh38",
        "chromosome": "1",
        "position": "100",
        "reference": "A",
        "alternate": "G",
    }
    page = beacon_api.client.get("/console/beacon", params={**form, **change}, headers=EN)
    assert page.status_code == 400
    assert says in page.text
    assert "<script>" not in page.text
