"""Beacon v2 under ``/api``: the framework's informational endpoints, open to everyone, and
the query endpoints (g_variants, individuals, biosamples, datasets, cohorts) by GET and POST.

Query errors are answered as Beacon v2 ``beaconErrorResponse`` documents (the shape Beacon
clients and aggregators read), with the HTTP status of the error. Record-level answers are
reads of individual-level data and are written to the audit log in the transaction that
answers them.
"""

import time
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from hgr.api.problems import STATUS, shown
from hgr.audit import Actor
from hgr.audit.access_log import record_denied
from hgr.auth.roles import Principal
from hgr.beacon import (
    BeaconIdentity,
    beacon_map,
    configuration,
    entry_types,
    filtering_terms,
    info,
    service_info,
)
from hgr.beacon.framework import error_response
from hgr.beacon.query import ENTRY_PATHS, BeaconQuery, from_body, from_params
from hgr.beacon.responding import Asker, Responder
from hgr.dates import utc_today
from hgr.exceptions import Busy, Forbidden, HgrError, NotAuthenticated, NotFound, RateLimited
from hgr.federation import read_token_file
from hgr.federation.ledger import LEDGER_PATH, RemoteLedger
from hgr.federation.network import ON_BEHALF_HEADER, VIA_HEADER
from hgr.node import Node
from hgr.privacy.forwarding import NODE_ROLES
from hgr.privacy.questions import admit_federated, parse_charge

__all__ = ["add_beacon_routes"]

TERMS_TTL = 60.0  # seconds


def _error(beacon: BeaconIdentity, exc: HgrError) -> JSONResponse:
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
    message = exc.message if shown(exc) else "the node could not complete the request"
    body = error_response(beacon.id, status, f"{message} ({exc.code})")
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited | Busy) else None
    return JSONResponse(body, status_code=status, headers=headers)


def add_beacon_routes(app: FastAPI, node: Node, caller: Any) -> Responder:
    """Add the Beacon v2 routes to ``app``; returns the node's Beacon, which the console's
    query form asks too."""
    settings = node.settings

    cached: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def identity(request: Request) -> BeaconIdentity:
        return BeaconIdentity.for_node(
            settings.name, settings.institution_code, settings.region_code, str(request.base_url)
        )

    @app.get("/api", tags=["beacon"], summary="Beacon information (Beacon v2 root)")
    @app.get("/api/info", tags=["beacon"], summary="Beacon information")
    def beacon_info(principal: caller, request: Request) -> dict[str, Any]:
        return info(identity(request))

    @app.get("/api/service-info", tags=["beacon"], summary="GA4GH service-info")
    def beacon_service_info(principal: caller, request: Request) -> dict[str, Any]:
        return service_info(identity(request))

    @app.get("/api/configuration", tags=["beacon"], summary="Beacon configuration")
    def beacon_configuration(principal: caller, request: Request) -> dict[str, Any]:
        return configuration(identity(request))

    @app.get("/api/map", tags=["beacon"], summary="Beacon map of endpoints")
    def beacon_map_(principal: caller, request: Request) -> dict[str, Any]:
        return beacon_map(identity(request))

    @app.get("/api/entry_types", tags=["beacon"], summary="Beacon entry types")
    def beacon_entry_types(principal: caller, request: Request) -> dict[str, Any]:
        return entry_types(identity(request))

    def terms(request: Request, entry: str | None) -> dict[str, Any]:
        beacon = identity(request)
        key = f"{beacon.root_url} {entry}"
        now = time.monotonic()
        # The terms group the whole registry; a public route recounts them at most once a
        # TERMS_TTL, not on every call (they change only when holdings are imported).
        if cached.get(key, (0.0, None))[0] < now - TERMS_TTL:
            with node.db.reader() as session:
                cached[key] = (now, filtering_terms(session, beacon, entry))
        found = cached[key][1]
        assert found is not None
        return found

    @app.get("/api/filtering_terms", tags=["beacon"], summary="Beacon filtering terms")
    def beacon_filtering_terms(principal: caller, request: Request) -> dict[str, Any]:
        return terms(request, None)

    for path in ENTRY_PATHS:
        # Before the entry's /{id} route, which would read "filtering_terms" as an id.
        _add_terms_route(app, caller, path, terms)

    peers = settings.beacon.peer_urls()
    # This node's accounts at its peers, read at startup so that a bad file stops the server.
    node_tokens = {
        peer: read_token_file(settings.home, name, f"[beacon] token file of {peer}")
        for peer, name in settings.beacon.peer_token_files().items()
    }
    ledger = RemoteLedger.from_settings(settings)
    responder = Responder(
        node.db,
        settings.home,
        node.keys,
        ledger=ledger,
        peers=peers,
        node_tokens=node_tokens,
        timeout=settings.beacon.timeout_seconds,
    )

    @app.post(
        LEDGER_PATH, tags=["beacon"], summary="Count a question against the federation's daily caps"
    )
    def ledger_questions(
        principal: caller, request: Request, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any]:
        """For the other nodes of the federation (their accounts here: stewards and
        officers): ``{"holders": [...], "tier": "registered", "question": "<sha256>",
        "cost": 3}``
        answers ``{"admitted": true}`` when every holder's cap admits the question today."""
        if ledger is not None:
            raise NotFound(
                f"this node does not keep the federation's question ledger; "
                f"{settings.beacon.ledger} does",
                code="E_NOT_FOUND",
            )
        if not principal.authenticated:
            raise NotAuthenticated("sign in with a bearer token", code="E_UNAUTHENTICATED")
        if principal.role not in NODE_ROLES:
            record_denied(
                node.db,
                Actor(principal.actor, principal.role.value),
                "beacon.ledger",
                "ledger",
                "only the federation's nodes count questions here",
                request.state.request_id,
            )
            raise Forbidden(
                "only the federation's nodes (stewards' and officers' accounts) "
                "count questions here",
                code="E_FORBIDDEN",
            )
        holders, tier, question, cost = parse_charge(body)
        with node.db.transaction() as session:
            admitted = admit_federated(session, holders, tier, utc_today(), question, cost)
        return {"admitted": admitted}

    def respond(
        principal: Principal, request: Request, parse: Any, body: dict[str, Any] | None = None
    ) -> Any:
        beacon = identity(request)
        via = request.headers.get(VIA_HEADER, "").split(",")
        asker = Asker(
            principal,
            request.client.host if request.client else "unknown",
            behalf=request.headers.get(ON_BEHALF_HEADER),
            authorization=request.headers.get("authorization"),
            via=tuple(v for v in via if v.strip()),
            request_id=request.state.request_id,
            params=dict(request.query_params),
            body=body,
        )
        try:
            query: BeaconQuery = parse()
            return responder.respond(beacon, asker, query)
        except HgrError as exc:
            return _error(beacon, exc)

    for path in ENTRY_PATHS:
        _add_entry_routes(app, caller, path, respond)
    return responder


SUMMARIES = {
    "g_variants": "genomic variants",
    "individuals": "individuals",
    "biosamples": "biosamples",
    "datasets": "datasets",
    "cohorts": "cohorts",
}


def _add_terms_route(app: FastAPI, caller: Any, path: str, terms: Any) -> None:
    @app.get(
        f"/api/{path}/filtering_terms",
        tags=["beacon"],
        summary=f"Filtering terms of {SUMMARIES[path]}",
        name=f"beacon_{path}_filtering_terms",
    )
    def entry_terms(principal: caller, request: Request) -> dict[str, Any]:
        return terms(request, path)  # type: ignore[no-any-return]


def _add_entry_routes(app: FastAPI, caller: Any, path: str, respond: Any) -> None:
    summary = SUMMARIES[path]

    @app.get(
        f"/api/{path}", tags=["beacon"], summary=f"Query {summary} (GET)", name=f"beacon_{path}_get"
    )
    def query_get(principal: caller, request: Request) -> Any:
        return respond(principal, request, lambda: from_params(path, dict(request.query_params)))

    @app.post(
        f"/api/{path}",
        tags=["beacon"],
        summary=f"Query {summary} (POST)",
        name=f"beacon_{path}_post",
    )
    def query_post(
        principal: caller, request: Request, body: Annotated[dict[str, Any], Body()]
    ) -> Any:
        return respond(principal, request, lambda: from_body(path, body), body)

    @app.get(
        f"/api/{path}/{{entry_id}}",
        tags=["beacon"],
        summary=f"One of the {summary} (the map's singleEntryUrl)",
        name=f"beacon_{path}_one",
    )
    def query_one(principal: caller, request: Request, entry_id: str) -> Any:
        params = dict(request.query_params)
        return respond(principal, request, lambda: from_params(path, params, entry_id))

    @app.post(
        f"/api/{path}/{{entry_id}}",
        tags=["beacon"],
        summary=f"One of the {summary} (POST)",
        name=f"beacon_{path}_one_post",
    )
    def query_one_post(
        principal: caller, request: Request, entry_id: str, body: Annotated[dict[str, Any], Body()]
    ) -> Any:
        return respond(principal, request, lambda: from_body(path, body, entry_id), body)
