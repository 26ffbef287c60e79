"""Beacon v2 under ``/api``: the framework's informational endpoints, open to everyone.

They describe the beacon (what it is, what it serves, which terms a query may filter on); the
query endpoints, with tiered exposure and the defences against membership inference, come on top
of these.
"""

import time
from typing import Any

from fastapi import FastAPI, Request

from hgr.beacon import (
    BeaconIdentity,
    beacon_map,
    configuration,
    entry_types,
    filtering_terms,
    info,
    service_info,
)
from hgr.node import Node

__all__ = ["add_beacon_routes"]

TERMS_TTL = 60.0  # seconds


def add_beacon_routes(app: FastAPI, node: Node, caller: Any) -> None:
    """Add the Beacon v2 framework's informational routes to ``app``."""
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
