"""Aggregate statistics for approved collaborators: allele frequencies by population or
province, released with differential privacy (:mod:`hgr.beacon.frequencies`).

A refusal (no grant, a debarred organisation, a slice too small, a spent privacy budget) is
written to the audit log in a transaction of its own, as every refusal is (security.md T6(b)).
"""

from typing import Annotated, Any

from fastapi import Body, FastAPI, Request

from hgr.audit import Actor
from hgr.audit.access_log import record_denied
from hgr.auth.roles import Principal
from hgr.beacon.frequencies import parse_question, release_frequencies, size_slice
from hgr.dates import utc_now
from hgr.exceptions import Forbidden, NotAuthenticated, NotFound, PolicyDenied
from hgr.node import Node
from hgr.privacy.exposure import Dataset, datasets, requester_for

__all__ = ["add_statistics_routes"]


def add_statistics_routes(app: FastAPI, node: Node, caller: Any) -> None:
    """Add ``POST /statistics/frequencies`` to ``app``."""
    home = node.settings.home

    def dataset_named(session: Any, name: str) -> Dataset:
        found = next((d for d in datasets(session, home) if d.id == name), None)
        if found is None:
            raise NotFound(f"no dataset {name!r} (give INSTITUTION:COLLECTION)", code="E_NOT_FOUND")
        return found

    @app.post(
        "/statistics/frequencies",
        tags=["statistics"],
        summary="Allele frequencies in a slice, with differential privacy",
    )
    def frequencies(
        principal: caller, request: Request, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any]:
        """Body: ``{"dataset": "INSTITUTION:COLLECTION", "variants": ["1-55516888-G-GA", ...],
        "population": "..."}`` (or ``"province": "CODE"``, or neither for every donor)."""
        p: Principal = principal
        if not p.authenticated:
            raise NotAuthenticated("sign in with a bearer token", code="E_UNAUTHENTICATED")
        question = parse_question(body)
        actor = Actor(p.actor, p.role.value)
        now = utc_now()
        try:
            # The slice's size is released and committed first, on its own: a refusal below
            # must not roll it back, or it would be drawn afresh at every attempt.
            with node.db.transaction() as session:
                requester = requester_for(session, p, "", now.date())
                size_slice(
                    session, requester, dataset_named(session, question.dataset), question, now
                )
            with node.db.transaction() as session:
                release = release_frequencies(
                    session,
                    actor,
                    requester,
                    dataset_named(session, question.dataset),
                    question,
                    now,
                )
                return release.as_dict()
        except (Forbidden, PolicyDenied) as exc:
            record_denied(
                node.db,
                actor,
                "beacon.frequencies",
                f"collection/{question.dataset}",
                exc.message,
                request.state.request_id,
                detail={"slice": question.slice, "variants": len(question.variants)},
            )
            raise
