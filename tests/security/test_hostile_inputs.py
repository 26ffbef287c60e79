"""Inputs that once made the node answer 500: each now gets a 4xx problem response (a Beacon
error response under /api), and nothing is written."""

from __future__ import annotations

from tests.conftest import table_counts
from tests.security.conftest import Api


def test_a_lone_surrogate_in_a_json_row_is_a_clear_422(api: Api) -> None:
    before = table_counts(api.db)
    body = '{"rows": [{"donor_id": "D\\ud800", "sex": "female", "collection_id": "C1"}]}'
    answer = api.post(
        "steward_bj",
        "/registry/donors",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert table_counts(api.db) == before


def test_an_upload_name_over_255_characters_is_a_clear_400(api: Api) -> None:
    before = table_counts(api.db)
    name = "d" * 300 + ".csv"
    upload = (name, b"donor_id,sex\nD1,female\n", "text/csv")
    answer = api.post("steward_bj", "/registry/import", files=[("files", upload)])
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["code"] == "E_UPLOAD_NAME"
    assert table_counts(api.db) == before


def test_a_beacon_number_out_of_range_is_a_beacon_error(beacon_api: Api) -> None:
    body = (
        b'{"meta": {"apiVersion": "v2.0.0"}, "query": {"requestedGranularity": "count", '
        b'"pagination": {"skip": 1e400, "limit": 10}}}'
    )
    answer = beacon_api.client.post(
        "/api/individuals", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["errorCode"] == 400


def test_a_405_names_the_methods_allowed(api: Api) -> None:
    answer = api.client.delete("/health")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"


def test_a_megabyte_of_headers_is_refused(api: Api) -> None:
    answer = api.client.get("/health", headers={"X-Padding": "a" * (1 << 20)})
    assert answer.status_code == 431, answer.text
