"""The Beacon's public page: what the node's Beacon is, and a form that asks it whether any
donor carries a variant, answered yes or no as the rules allow an anonymous visitor.

The form asks the node's own Beacon (:class:`hgr.beacon.responding.Responder`), as an
anonymous caller of ``/api/g_variants`` would: the same daily caps, the same budgets and the
same answers. Nothing the visitor could not get from the API is shown.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from hgr.auth.roles import anonymous
from hgr.beacon.framework import BeaconIdentity, info
from hgr.beacon.query import from_params
from hgr.beacon.responding import Asker, Responder
from hgr.console.pages import render
from hgr.console.pages import say as _
from hgr.exceptions import HgrError
from hgr.node import Node

__all__ = ["ASSEMBLIES", "add_beacon_page"]

ASSEMBLIES = ("GRCh38", "GRCh37")
CHROMOSOMES = (*(str(n) for n in range(1, 23)), "X", "Y", "MT")
BASES = re.compile(r"[ACGTN]{1,1000}\Z")
FIELDS = ("assembly", "chromosome", "position", "reference", "alternate")


def add_beacon_page(app: FastAPI, node: Node, responder: Responder) -> None:
    """Add the Beacon's public page to ``app``."""
    settings = node.settings

    @app.get("/console/beacon", include_in_schema=False)
    async def beacon_page(request: Request) -> HTMLResponse:
        asked = {k: request.query_params.get(k, "").strip()[:1001] for k in FIELDS}
        beacon = BeaconIdentity.for_node(
            settings.name, settings.institution_code, settings.region_code, str(request.base_url)
        )
        problem, exists = "", None
        if any(asked.values()):
            problem = _problem(asked, request)
            if not problem:
                try:
                    exists = await run_in_threadpool(_ask, responder, beacon, request, asked)
                except HgrError as exc:
                    problem = exc.message
        return render(
            request,
            "beacon.html.j2",
            status=400 if problem else 200,
            title=_("Beacon", request),
            node_name=settings.name,
            beacon=info(beacon)["response"],
            asked=asked,
            assemblies=ASSEMBLIES,
            chromosomes=CHROMOSOMES,
            problem=problem,
            exists=exists,
        )


def _problem(asked: dict[str, str], request: Request) -> str:
    """What is wrong with the question, in the reader's language; empty when nothing is."""
    if asked["assembly"] not in ASSEMBLIES:
        return _("Choose the reference genome.", request)
    if asked["chromosome"] not in CHROMOSOMES:
        return _("Choose a chromosome.", request)
    position = asked["position"]
    if not (position.isascii() and position.isdigit() and 1 <= int(position) <= 300_000_000):
        return _("The position is a whole number from 1 to 300,000,000.", request)
    for base in ("reference", "alternate"):
        asked[base] = asked[base].upper()
        if not BASES.match(asked[base]):
            return _("The bases are letters A, C, G, T or N.", request)
    return ""


def _ask(
    responder: Responder, beacon: BeaconIdentity, request: Request, asked: dict[str, str]
) -> bool:
    """Whether the Beacon says a donor carries the variant, asked as an anonymous visitor.
    The form's position counts from 1, as a VCF's does; Beacon v2 counts from 0."""
    params = {
        "assemblyId": asked["assembly"],
        "referenceName": asked["chromosome"],
        "start": str(int(asked["position"]) - 1),
        "referenceBases": asked["reference"],
        "alternateBases": asked["alternate"],
    }
    asker = Asker(
        anonymous(),
        request.client.host if request.client else "unknown",
        request_id=getattr(request.state, "request_id", ""),
        params=params,
    )
    document = responder.respond(beacon, asker, from_params("g_variants", params))
    return bool(document["responseSummary"]["exists"])
