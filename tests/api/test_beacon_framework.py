"""Every Beacon v2 framework endpoint answers what the official schemas describe."""

from __future__ import annotations

import pytest

from hgr.beacon.framework import MIN_TERM_DONORS
from tests.api.conftest import Api
from tests.beacon.schemas import problems

RESPONSES = "framework/json/responses"
ENDPOINTS = [
    ("/api", f"{RESPONSES}/beaconInfoResponse.json"),
    ("/api/info", f"{RESPONSES}/beaconInfoResponse.json"),
    ("/api/service-info", f"{RESPONSES}/ga4gh-service-info-1-0-0-schema.json"),
    ("/api/configuration", f"{RESPONSES}/beaconConfigurationResponse.json"),
    ("/api/map", f"{RESPONSES}/beaconMapResponse.json"),
    ("/api/entry_types", f"{RESPONSES}/beaconEntryTypesResponse.json"),
    ("/api/filtering_terms", f"{RESPONSES}/beaconFilteringTermsResponse.json"),
]


@pytest.mark.parametrize(("path", "schema"), ENDPOINTS)
def test_the_endpoint_validates(api: Api, path: str, schema: str) -> None:
    answer = api.get(None, path)  # informational endpoints are public
    assert answer.status_code == 200, answer.text
    assert problems(answer.json(), schema) == []


def test_the_schemas_have_teeth(api: Api) -> None:
    document = api.get(None, "/api/info").json()
    del document["response"]["organization"]
    assert problems(document, f"{RESPONSES}/beaconInfoResponse.json")


def test_filtering_terms_name_only_common_terms(api: Api) -> None:
    terms = api.get(None, "/api/filtering_terms").json()["response"]["filteringTerms"]
    ids = {t["id"] for t in terms}
    # examples/, imported for two institutions: each term twice the examples' count.
    assert "population:Han" in ids  # ten Han donors
    assert "population:Hui" not in ids  # two Hui donors: fewer than MIN_TERM_DONORS
    assert "region:110000" in ids
    assert MIN_TERM_DONORS == 5
    entry_types = api.get(None, "/api/entry_types").json()["response"]["entryTypes"]
    assert set(entry_types) == {"dataset", "cohort", "genomicVariant", "individual", "biosample"}
