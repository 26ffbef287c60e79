"""Beacon v2 conformance: every endpoint of the map, at every tier, granularity and
``includeResultsetResponses`` mode, by GET and POST, with and without parameters, answers what
the official schemas describe and what EGA's beacon-verifier-v2 asserts.

The verifier (github.com/EGA-archive/beacon-verifier-v2) reads the endpoints from ``/map``,
POSTs to each entry type's root URL with no request parameters at each granularity and
include mode, reads the granularity and include mode back from the response's meta, and
validates: the meta against ``beaconResponseMeta``; every g_variants, individuals and
biosamples response whose include mode is not NONE against ``beaconResultsetsResponse`` (so
``response.resultSets`` is present at every granularity); collections' records and result
sets' records against the default model. The same assertions are made here, together with
the ones the specification makes and the verifier does not (the granularity reported is the
one returned, the single-entry and filtering-terms URLs of the map, every error a
``beaconErrorResponse`` with the HTTP status of the error).
"""

from __future__ import annotations

from typing import Any

import pytest

from hgr.beacon.query import ENTRY_PATHS
from tests.api.conftest import Api
from tests.api.test_beacon_queries import first_population, first_variant
from tests.beacon.schemas import problems

RESPONSES = "framework/json/responses"
MODELS = "models/json/beacon-v2-default-model"
LEVELS = ("boolean", "count", "record")
INCLUDES = ("HIT", "MISS", "ALL", "NONE")
RECORD_MODEL = {
    "g_variants": "genomicVariations",
    "individuals": "individuals",
    "biosamples": "biosamples",
    "datasets": "datasets",
    "cohorts": "cohorts",
}
COLLECTIONS = ("datasets", "cohorts")
# Who asks: anonymous (booleans), a registered domestic researcher (counts), a registered
# foreign researcher (booleans: CN-03), and the collection's steward (records).
TIERS = (None, "domestic", "foreign", "steward")
BY_GRANULARITY = {
    "boolean": "beaconBooleanResponse",
    "count": "beaconCountResponse",
    "record": "beaconResultsetsResponse",
}


def verifier_problems(body: dict[str, Any], entry: str, asked: str, include: str) -> list[str]:
    """Every assertion of the schemas and of beacon-verifier-v2 that ``body`` fails, for a
    request of ``entry`` at granularity ``asked`` with include mode ``include``."""
    found: list[str] = []
    meta = body.get("meta", {})
    found += problems(meta, f"{RESPONSES}/sections/beaconResponseMeta.json")
    summary = meta.get("receivedRequestSummary", {})
    if summary.get("requestedGranularity") != asked:
        found.append(f"requestedGranularity echoed as {summary.get('requestedGranularity')}")
    if summary.get("includeResultsetResponses") != include:
        found.append(
            f"includeResultsetResponses echoed as {summary.get('includeResultsetResponses')}"
        )
    returned = meta.get("returnedGranularity")
    if returned not in LEVELS or LEVELS.index(returned) > LEVELS.index(asked):
        found.append(f"returned {returned} when {asked} was asked")
        return found
    schema = BY_GRANULARITY[returned]
    if entry in COLLECTIONS and returned == "record":
        schema = "beaconCollectionsResponse"
    found += problems(body, f"{RESPONSES}/{schema}.json")
    if entry not in COLLECTIONS and include != "NONE":
        found += problems(body, f"{RESPONSES}/beaconResultsetsResponse.json")
    summary_section = body.get("responseSummary", {})
    # The granularity reported is the one returned: no count in a boolean answer, and no
    # records in a count.
    if returned == "boolean" and "numTotalResults" in summary_section:
        found.append("a boolean answer gives numTotalResults")
    if returned != "boolean" and not isinstance(summary_section.get("numTotalResults"), int):
        found.append(f"a {returned} answer without numTotalResults")
    sets = body.get("response", {}).get("resultSets", [])
    if returned != "record" and any(s.get("results") for s in sets):
        found.append(f"a {returned} answer gives records")
    if returned != "record":
        return found
    if entry in COLLECTIONS:
        records = body["response"]["collections"]
    else:
        records = [r for s in sets for r in s["results"]]
        total = summary_section["numTotalResults"]
        if sum(s["resultsCount"] for s in sets) > total:
            found.append("the result sets hold more results than numTotalResults")
        for result_set in sets:
            if result_set.get("returnedGranularity") != "record":
                found.append("a result set of a record answer is not at record granularity")
            if len(result_set["results"]) > result_set["resultsCount"]:
                found.append("a result set lists more results than its resultsCount")
    for record in records:
        found += problems(record, f"{MODELS}/{RECORD_MODEL[entry]}/defaultSchema.json")
    return found


def _ask(api: Api, user: str | None, path: str, method: str, query: dict[str, Any]) -> Any:
    """Ask ``query`` (the POST body's query) by GET or POST, as the verifier would."""
    if method == "POST":
        body = {"meta": {"apiVersion": "2.2"}, "query": query}
        return api.post(user, path, json=body)
    params: dict[str, Any] = {
        "requestedGranularity": query["requestedGranularity"],
        "includeResultsetResponses": query["includeResultsetResponses"],
        "skip": query["pagination"]["skip"],
        "limit": query["pagination"]["limit"],
        "testMode": str(query["testMode"]).lower(),
    }
    if query.get("filters"):
        params["filters"] = ",".join(f["id"] for f in query["filters"])
    variant = query.get("requestParameters")
    if variant:
        params.update(
            {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in variant.items()}
        )
    return api.get(user, path, **params)


def _questions(api: Api, entry: str) -> list[dict[str, Any]]:
    """The questions asked of ``entry``: none (the verifier's), and one with parameters."""
    questions: list[dict[str, Any]] = [{}]
    if entry == "g_variants":
        variant = first_variant(api)
        variant["start"] = [int(variant["start"])]
        questions.append({"requestParameters": variant})
    if entry in ("individuals", "biosamples"):
        questions.append({"filters": [{"id": "population:" + first_population(api)}]})
    return questions


@pytest.mark.parametrize("user", TIERS, ids=[str(t) for t in TIERS])
@pytest.mark.parametrize("entry", list(ENTRY_PATHS))
def test_every_entry_tier_granularity_and_include_mode(
    beacon_api: Api, entry: str, user: str | None
) -> None:
    failures = []
    cases = 0
    for extra in _questions(beacon_api, entry):
        for asked in LEVELS:
            for include in INCLUDES:
                for method in ("GET", "POST"):
                    query = {
                        "requestedGranularity": asked,
                        "includeResultsetResponses": include,
                        "pagination": {"skip": 0, "limit": 10},
                        "testMode": cases % 2 == 1,  # the verifier alternates it
                        **extra,
                    }
                    answer = _ask(beacon_api, user, f"/api/{entry}", method, query)
                    cases += 1
                    case = f"{method} {entry} {asked} {include} {sorted(extra)}"
                    if answer.status_code != 200:
                        failures.append(f"{case}: HTTP {answer.status_code} {answer.text[:200]}")
                        continue
                    for problem in verifier_problems(answer.json(), entry, asked, include):
                        failures.append(f"{case}: {problem}")
    assert cases >= 24
    assert failures == []


def test_the_tiers_get_what_their_exposure_allows(beacon_api: Api) -> None:
    """The matrix above checks shapes; this checks that each tier's answer to a
    no-parameter request is the granularity its exposure gives."""
    returned = {}
    for user in TIERS:
        body = beacon_api.get(user, "/api/individuals", requestedGranularity="record").json()
        returned[user] = body["meta"]["returnedGranularity"]
    assert returned == {
        None: "boolean",
        "domestic": "count",
        "foreign": "boolean",
        "steward": "record",
    }


def test_a_request_without_parameters(beacon_api: Api) -> None:
    """g_variants without parameters: every allele, a page at a time, for a controlled
    requester; below that tier only whether the dataset holds genotypes, with nothing decided
    (a listing or a count would decide every allele at once)."""
    records = beacon_api.get("steward", "/api/g_variants", requestedGranularity="record").json()
    assert records["meta"]["returnedGranularity"] == "record"
    (result_set,) = records["response"]["resultSets"]
    assert len(result_set["results"]) == 10
    total = records["responseSummary"]["numTotalResults"]
    assert total == result_set["resultsCount"] > 10
    second = beacon_api.get(
        "steward", "/api/g_variants", requestedGranularity="record", skip=10, limit=5
    ).json()["response"]["resultSets"][0]["results"]
    first_ids = [r["variantInternalId"] for r in result_set["results"]]
    assert len(second) == 5
    assert not {r["variantInternalId"] for r in second} & set(first_ids)
    # The last page ends where the store does.
    last = beacon_api.get(
        "steward", "/api/g_variants", requestedGranularity="record", skip=total - 3
    ).json()["response"]["resultSets"][0]["results"]
    assert len(last) == 3
    counted = beacon_api.get("domestic", "/api/g_variants", requestedGranularity="count").json()
    assert counted["meta"]["returnedGranularity"] == "boolean"
    assert counted["responseSummary"] == {"exists": True}
    from hgr.privacy.models import BeaconAllele

    with beacon_api.db.reader() as session:
        assert session.query(BeaconAllele).count() == 0  # nothing was decided


def _ids(body: dict[str, Any], entry: str) -> list[str]:
    if entry in COLLECTIONS:
        return [c["id"] for c in body["response"]["collections"]]
    key = "variantInternalId" if entry == "g_variants" else "id"
    return [r[key] for s in body["response"]["resultSets"] for r in s["results"]]


def test_every_single_entry_url_answers_with_ids_the_beacon_gave(beacon_api: Api) -> None:
    """The map's singleEntryUrl of every entry type, by GET and POST, with ids taken from the
    beacon's own record answers (as the verifier takes them)."""
    endpoint_sets = beacon_api.get(None, "/api/map").json()["response"]["endpointSets"]
    assert len(endpoint_sets) == len(ENTRY_PATHS)
    for endpoint_set in endpoint_sets.values():
        root = endpoint_set["rootUrl"].removeprefix("http://testserver")
        entry = root.rsplit("/", 1)[1]
        listing = beacon_api.get("steward", root, requestedGranularity="record").json()
        ids = _ids(listing, entry)[:3]
        assert ids, entry
        for entry_id in ids:
            url = endpoint_set["singleEntryUrl"].removeprefix("http://testserver")
            url = url.replace("{id}", entry_id)
            for method in ("GET", "POST"):
                if method == "GET":
                    answer = beacon_api.get("steward", url, requestedGranularity="record")
                else:
                    body = {"meta": {}, "query": {"requestedGranularity": "record"}}
                    answer = beacon_api.post("steward", url, json=body)
                assert answer.status_code == 200, (url, answer.text)
                body = answer.json()
                assert verifier_problems(body, entry, "record", "HIT") == []
                assert body["responseSummary"]["exists"] is True, url
                # One entry, in each dataset that holds it (a donor may be in several).
                assert set(_ids(body, entry)) == {entry_id}, url
        # An id the beacon never gave is a miss, not an error, whatever its shape.
        missing = endpoint_set["singleEntryUrl"].removeprefix("http://testserver")
        for never in ("no-such-entry", "A:B:1:²:A:G", "A:B:1:0:A:G", "A:B:1:1:A:", "::::"):
            answer = beacon_api.get(
                "steward", missing.replace("{id}", never), requestedGranularity="record"
            )
            assert answer.status_code == 200, (never, answer.text)
            assert answer.json()["responseSummary"]["exists"] is False


def test_a_single_individual_says_nothing_below_the_controlled_tier(beacon_api: Api) -> None:
    listing = beacon_api.get("steward", "/api/individuals", requestedGranularity="record").json()
    entry_id = _ids(listing, "individuals")[0]
    # With a variant, the entry is the one named that carries it: nobody carries this one.
    absent = {"referenceName": "1", "start": "0", "alternateBases": "T"}
    named = beacon_api.get(
        "steward", f"/api/individuals/{entry_id}", requestedGranularity="record", **absent
    ).json()
    assert named["responseSummary"]["exists"] is False
    for user in (None, "domestic", "foreign"):
        body = beacon_api.get(user, f"/api/individuals/{entry_id}", requestedGranularity="count")
        assert body.status_code == 200
        assert body.json()["responseSummary"]["exists"] is False
        assert body.json()["responseSummary"].get("numTotalResults", 0) == 0
    # Nothing was released for it: a noisy count of nobody could have come out as "yes".
    from hgr.privacy.models import BeaconCountRelease

    with beacon_api.db.reader() as session:
        released = session.query(BeaconCountRelease).all()
    assert not [r for r in released if entry_id in str(r.detail.get("question", ""))]


def test_every_filtering_terms_url_answers(beacon_api: Api) -> None:
    endpoint_sets = beacon_api.get(None, "/api/map").json()["response"]["endpointSets"]
    for endpoint_set in endpoint_sets.values():
        url = endpoint_set["filteringTermsUrl"].removeprefix("http://testserver")
        answer = beacon_api.get(None, url)
        assert answer.status_code == 200, (url, answer.text)
        body = answer.json()
        assert problems(body, f"{RESPONSES}/beaconFilteringTermsResponse.json") == []
        terms = body["response"]["filteringTerms"]
        entry = url.split("/")[-2]
        if entry in ("individuals", "biosamples"):
            assert terms, url
            # Each term listed filters its entry type.
            term = terms[0]["id"]
            filtered = beacon_api.get("domestic", f"/api/{entry}", filters=term)
            assert filtered.status_code == 200, filtered.text
        else:
            assert terms == [], url
            refused = beacon_api.get(None, f"/api/{entry}", filters="population:Han")
            assert refused.status_code == 400
            assert "not filtered by terms" in refused.json()["error"]["errorMessage"]


def test_the_granularity_reported_is_the_one_returned(beacon_api: Api) -> None:
    """Once a requester's count budget on the dataset is spent, a new count question is
    answered as a boolean, and says so."""
    from hgr.privacy.budgets import LIFETIME, Ledger, charge
    from hgr.privacy.models import BeaconCountRelease

    collections = beacon_api.get(None, "/api/datasets", requestedGranularity="record")
    assert collections.status_code == 200
    with beacon_api.db.transaction() as session:
        from sqlalchemy import select

        from hgr.registry import models as m

        collection_id = session.scalars(select(m.Collection.id)).all()
        for cid in collection_id:
            assert charge(session, Ledger.EPSILON, cid, LIFETIME, {"id:token:domestic": 10.0}, 10.0)
    body = beacon_api.get(
        "domestic",
        "/api/individuals",
        filters="population:" + first_population(beacon_api),
        requestedGranularity="count",
    ).json()
    assert body["meta"]["returnedGranularity"] == "boolean"
    assert "numTotalResults" not in body["responseSummary"]
    assert verifier_problems(body, "individuals", "count", "HIT") == []
    with beacon_api.db.reader() as session:
        assert session.query(BeaconCountRelease).count() == 0


def _raw(api: Api, method: str, path: str, **kw: Any) -> Any:
    return api.client.request(method, path, **kw)


@pytest.mark.parametrize(
    ("method", "path", "kw", "status"),
    [
        (
            "POST",
            "/api/individuals",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
        ),
        ("POST", "/api/individuals", {"json": []}, 400),
        ("POST", "/api/individuals", {"json": "a text"}, 400),
        (
            "POST",
            "/api/g_variants",
            {"json": {"query": {"requestParameters": {"start": "x"}}}},
            400,
        ),
        ("GET", "/api/individuals", {"headers": {"Authorization": "Bearer hgr_not-a-token"}}, 401),
        ("GET", "/api/individuals", {"headers": {"Authorization": "Basic abc"}}, 401),
        ("GET", "/api/no_such_entry", {}, 404),
        ("GET", "/api/individuals/a/b", {}, 404),
        ("DELETE", "/api/individuals", {}, 405),
        ("PUT", "/api/info", {}, 405),
        (
            "POST",
            "/api/individuals",
            {
                "content": b"x" * (64 * 1024 * 1024 + 1),
                "headers": {"content-type": "application/json"},
            },
            413,
        ),
        ("GET", "/api/individuals", {"headers": {"x-padding": "x" * 20_000}}, 431),
    ],
)
def test_every_error_is_a_beacon_error_response(
    beacon_api: Api, method: str, path: str, kw: dict[str, Any], status: int
) -> None:
    answer = _raw(beacon_api, method, path, **kw)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert problems(body, f"{RESPONSES}/beaconErrorResponse.json") == []
    assert body["error"]["errorCode"] == status
    assert body["error"]["errorMessage"]
    if status == 401:
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_the_rest_of_the_api_keeps_problem_details(beacon_api: Api) -> None:
    answer = beacon_api.client.get("/registry/no-such-table")
    assert answer.headers["content-type"].startswith("application/problem+json")
