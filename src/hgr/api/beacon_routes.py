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

from hgr.api.problems import STATUS
from hgr.audit import Actor, record
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
from hgr.beacon.exposure import requester_for
from hgr.beacon.forwarding import NODE_ROLES, ON_BEHALF_HEADER, forwarded_requester, on_behalf
from hgr.beacon.framework import API_VERSION
from hgr.beacon.ledger import LEDGER_PATH, RemoteLedger, admit_federated, parse_charge
from hgr.beacon.network import MAX_VIA, VIA_HEADER, ask_peers, forwardable, merge
from hgr.beacon.query import ENTRY_PATHS, BeaconQuery, from_body, from_params
from hgr.beacon.service import answer
from hgr.dates import utc_today
from hgr.exceptions import Forbidden, HgrError, NotAuthenticated, NotFound, RateLimited
from hgr.federation import read_token_file
from hgr.node import Node

__all__ = ["add_beacon_routes"]

TERMS_TTL = 60.0  # seconds
NETWORK_ENTRIES = ("g_variants", "individuals", "biosamples")  # asked of the peers too


def _error(beacon: BeaconIdentity, exc: HgrError, granularity: str = "boolean") -> JSONResponse:
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
    message = exc.message if status < 500 else "the node could not complete the request"
    body = {"meta": {"beaconId": beacon.id, "apiVersion": API_VERSION, "returnedSchemas": [],
                     "returnedGranularity": granularity,
                     "receivedRequestSummary": {"apiVersion": API_VERSION,
                                                "requestedSchemas": [],
                                                "pagination": {"skip": 0, "limit": 0},
                                                "requestedGranularity": granularity}},
            "error": {"errorCode": status, "errorMessage": f"{message} ({exc.code})"}}  # fmt: skip
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse(body, status_code=status, headers=headers)


def add_beacon_routes(app: FastAPI, node: Node, caller: Any) -> None:
    """Add the Beacon v2 routes to ``app``."""
    settings = node.settings
    organisation = settings.institution_code or settings.region_code or settings.name

    cached: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def identity(request: Request) -> BeaconIdentity:
        return BeaconIdentity(settings.name, organisation, str(request.base_url))

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

    @app.get("/api/filtering_terms", tags=["beacon"], summary="Beacon filtering terms")
    def beacon_filtering_terms(principal: caller, request: Request) -> dict[str, Any]:
        beacon = identity(request)
        now = time.monotonic()
        # The terms group the whole registry; a public route recounts them at most once a
        # TERMS_TTL, not on every call (they change only when holdings are imported).
        if cached.get(beacon.root_url, (0.0, None))[0] < now - TERMS_TTL:
            with node.db.reader() as session:
                cached[beacon.root_url] = (now, filtering_terms(session, beacon))
        terms = cached[beacon.root_url][1]
        assert terms is not None
        return terms

    peers = settings.beacon.peer_urls()
    # This node's accounts at its peers, read at startup so that a bad file stops the server.
    node_tokens = {peer: read_token_file(settings.home, name, f"[beacon] token file of {peer}")
                   for peer, name in settings.beacon.peer_token_files().items()}  # fmt: skip
    ledger = RemoteLedger.from_settings(settings)

    @app.post(LEDGER_PATH, tags=["beacon"],
              summary="Count a question against the federation's daily caps")  # fmt: skip
    def ledger_questions(principal: caller, request: Request,
                         body: Annotated[Any, Body()] = None) -> dict[str, Any]:  # fmt: skip
        """For the other nodes of the federation (their accounts here: stewards and
        officers): ``{"holders": [...], "tier": "registered", "question": "<sha256>"}``
        answers ``{"admitted": true}`` when every holder's cap admits the question today."""
        if ledger is not None:
            raise NotFound(f"this node does not keep the federation's question ledger; "
                           f"{settings.beacon.ledger} does", code="E_NOT_FOUND")  # fmt: skip
        if not principal.authenticated:
            raise NotAuthenticated("sign in with a bearer token", code="E_UNAUTHENTICATED")
        if principal.role not in NODE_ROLES:
            with node.db.transaction() as session:
                record(session, Actor(principal.actor, principal.role.value),
                       "beacon.ledger", "ledger", outcome="denied",
                       grounds="only the federation's nodes count questions here",
                       request_id=request.state.request_id)  # fmt: skip
            raise Forbidden("only the federation's nodes (stewards' and officers' accounts) "
                            "count questions here", code="E_FORBIDDEN")  # fmt: skip
        holders, tier, question = parse_charge(body)
        with node.db.transaction() as session:
            admitted = admit_federated(session, holders, tier, utc_today(), question)
        return {"admitted": admitted}

    def respond(principal: Principal, request: Request, parse: Any,
                body: dict[str, Any] | None = None) -> Any:  # fmt: skip
        beacon = identity(request)
        try:
            query: BeaconQuery = parse()
            address = request.client.host if request.client else "unknown"
            behalf = request.headers.get(ON_BEHALF_HEADER)
            with node.db.transaction() as session:
                requester = (
                    requester_for(session, principal, address, utc_today())
                    if behalf is None
                    else forwarded_requester(session, principal, behalf, utc_today())
                )
                document = answer(session, settings.home, node.keys, beacon, requester, query,
                                  ledger=ledger)  # fmt: skip
                granularity = document["meta"]["returnedGranularity"]
                if granularity == "record" and query.entry in ("g_variants", "individuals",
                                                               "biosamples"):  # fmt: skip
                    record(session, Actor(principal.actor, principal.role.value),
                           "beacon.records", f"api/{query.entry}",
                           grounds="controlled-access grant",
                           request_id=request.state.request_id,
                           detail={"question": query.question()[:1000],
                                   "results": document["responseSummary"].get(
                                       "numTotalResults", 0)})  # fmt: skip
        except HgrError as exc:
            return _error(beacon, exc)
        if peers and query.entry in NETWORK_ENTRIES:
            # After the transaction: no database work waits on other nodes.
            via = [v for v in request.headers.get(VIA_HEADER, "").split(",") if v.strip()]
            # A caller the peers cannot check themselves is vouched for by this node where
            # it holds an account there (hgr.beacon.forwarding).
            credential = None if behalf is not None else forwardable(
                request.headers.get("authorization"))  # fmt: skip
            vouched = on_behalf(requester) if node_tokens else None
            answers = ask_peers(peers, query.entry, dict(request.query_params), body,
                                credential, [*via[:MAX_VIA], beacon.id],
                                settings.beacon.timeout_seconds, node_tokens=node_tokens,
                                on_behalf=vouched)  # fmt: skip
            document = merge(document, beacon.id, answers, query.granularity)
        return document

    for path in ENTRY_PATHS:
        _add_entry_routes(app, caller, path, respond)


def _add_entry_routes(app: FastAPI, caller: Any, path: str, respond: Any) -> None:
    summary = {"g_variants": "genomic variants", "individuals": "individuals",
               "biosamples": "biosamples", "datasets": "datasets",
               "cohorts": "cohorts"}[path]  # fmt: skip

    @app.get(f"/api/{path}", tags=["beacon"], summary=f"Query {summary} (GET)",
             name=f"beacon_{path}_get")  # fmt: skip
    def query_get(principal: caller, request: Request) -> Any:
        return respond(principal, request, lambda: from_params(path, dict(request.query_params)))

    @app.post(f"/api/{path}", tags=["beacon"], summary=f"Query {summary} (POST)",
              name=f"beacon_{path}_post")  # fmt: skip
    def query_post(principal: caller, request: Request,
                   body: Annotated[dict[str, Any], Body()]) -> Any:  # fmt: skip
        return respond(principal, request, lambda: from_body(path, body), body)

    if path in ("datasets", "cohorts"):

        @app.get(f"/api/{path}/{{entry_id}}", tags=["beacon"], summary=f"One of the {summary}",
                 name=f"beacon_{path}_one")  # fmt: skip
        def query_one(principal: caller, request: Request, entry_id: str) -> Any:
            params = dict(request.query_params)
            return respond(principal, request, lambda: from_params(path, params, entry_id))
