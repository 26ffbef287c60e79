"""The HTTP face of a node: ``create_app(settings)`` builds it; nothing happens at import.

Every route asks :mod:`hgr.auth.permissions` before it touches data, reads through
:mod:`hgr.registry.queries` with the caller's scope, and writes an audit event for every
change, every read of individual-level data and every refusal.
"""

import base64
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, NoReturn

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from hgr import __version__
from hgr.api.access_routes import add_access_routes
from hgr.api.beacon_routes import add_beacon_routes
from hgr.api.debarment_routes import add_debarment_routes
from hgr.api.guards import BodyLimit, HeaderLimit, RateLimiter, SecurityHeaders, principal_from
from hgr.api.problems import MAX_POSITION, document_problems, install_problem_handlers
from hgr.api.registry_routes import add_registry_routes
from hgr.api.statistics_routes import add_statistics_routes
from hgr.api.survey_routes import add_survey_routes
from hgr.audit import Actor, checkpoint, consistency, inclusion, latest_checkpoint
from hgr.audit.access_log import read_events, record_denied
from hgr.audit.checkpointer import Checkpointer
from hgr.auth.credentials import Authenticator
from hgr.auth.permissions import Action, authorize
from hgr.auth.roles import Principal
from hgr.beacon.framework import BeaconIdentity
from hgr.beacon.service import open_store_indexes
from hgr.config import Settings
from hgr.console.public import add_console
from hgr.console.uploads import clean_stale, keep_uploads_in_memory
from hgr.exceptions import Forbidden, NotAuthenticated, NotFound
from hgr.node import Node, open_node
from hgr.registry.queries import count_summary

__all__ = ["create_app"]


class Me(BaseModel):
    actor: str
    role: str
    scope: str
    registered_access: bool = Field(
        description="whether verified GA4GH visas show bona fide researcher status"
    )
    grants: list[str] = Field(description="datasets granted by ControlledAccessGrants visas")


class CheckpointOut(BaseModel):
    origin: str
    size: int
    root: str = Field(description="base64 of the SHA-256 root hash")
    time: str
    note: str = Field(description="the signed C2SP checkpoint note")


class ProofOut(BaseModel):
    size: int
    proof: list[str] = Field(description="base64 hashes, RFC 9162 order")


class AuditEventOut(BaseModel):
    id: int
    body: str


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    total: int


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def create_app(settings: Settings, node: Node | None = None) -> FastAPI:
    """Build the API for the node described by ``settings`` (or an already opened ``node``)."""
    node = node or open_node(settings.home, database_url=settings.database_url or None)
    db = node.db
    signer = node.signer()
    limiter = RateLimiter(settings.service.rate_per_second, settings.service.burst)
    keep_uploads_in_memory(settings.service.max_body_bytes)
    authenticator = Authenticator(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Checkpoints are signed at an interval while the server runs (issue: audit log);
        # a zero interval leaves it to `hgr audit checkpoint` and GET /audit/checkpoint.
        checkpointer = None
        if settings.service.checkpoint_seconds > 0:
            checkpointer = Checkpointer(
                db, signer, settings.service.checkpoint_seconds, settings.audit_head_file
            )
            checkpointer.start()
        clean_stale()  # uploads a crashed server left (links only: their data was in memory)
        # Stores' lookup indexes open in the background: the server answers meanwhile.
        threading.Thread(
            target=open_store_indexes,
            args=(db, settings.home),
            daemon=True,
            name="hgr-store-indexes",
        ).start()
        yield
        if checkpointer is not None:
            await run_in_threadpool(checkpointer.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="hgr",
        version=__version__,
        description="Registry and governance of human genetic resources. Authenticate with "
        "`Authorization: Bearer <token>`; errors are application/problem+json, and under `/api` "
        "(the Beacon) Beacon v2 error documents.",
        docs_url=None,
        redoc_url=None,
    )
    beacon_id = BeaconIdentity.for_node(
        settings.name, settings.institution_code, settings.region_code, ""
    ).id
    install_problem_handlers(app, beacon_id)

    def caller(request: Request) -> Principal:
        try:
            principal = principal_from(request, db, authenticator)
        except NotAuthenticated as exc:
            # Failed authentication is audited (ASVS 16.3.1) with the reason the caller is
            # not told; the client's address is rate-limited first so that this cannot be
            # used to flood the log.
            limiter.check(_client(request))
            record_denied(
                db,
                Actor(_client(request), "public"),
                "auth.authenticate",
                "credentials",
                exc.reason,
                request.state.request_id,
            )
            raise
        limiter.check(principal.actor if principal.authenticated else _client(request))
        request.state.principal = principal
        return principal

    def refuse(
        principal: Principal, action: str, target: str, grounds: str, request: Request
    ) -> NoReturn:
        # Refusals are audited (ASVS 16.3.2) in a transaction of their own. An anonymous
        # caller is told to authenticate; a known one that the action is not theirs.
        record_denied(
            db,
            Actor(principal.actor, principal.role.value),
            action,
            target,
            grounds,
            request.state.request_id,
        )
        if not principal.authenticated:
            raise NotAuthenticated("sign in with a bearer token", code="E_UNAUTHENTICATED")
        raise Forbidden(grounds, code="E_FORBIDDEN")

    Caller = Annotated[Principal, Depends(caller)]

    @app.get("/health", tags=["service"], summary="Liveness and database reachability")
    def health() -> dict[str, str]:
        db.ping()
        return {"status": "ok", "version": __version__}

    @app.get("/me", tags=["service"], summary="Who the server takes the caller to be")
    def me(principal: Caller) -> Me:
        passport = principal.passport
        return Me(
            actor=principal.actor,
            role=principal.role.value,
            scope=principal.scope,
            registered_access=bool(passport and passport.registered_access),
            grants=list(passport.controlled_access_grants if passport else ()),
        )

    @app.get("/summary", tags=["registry"], summary="What is registered, per visible institution")
    def summary(principal: Caller, request: Request) -> list[dict[str, Any]]:
        with db.reader() as session:
            decision = authorize(session, principal, Action.SUMMARY)
            if decision.allowed:
                return count_summary(session, visible=decision.visible)
        refuse(principal, "registry.summary", "summary", decision.grounds, request)

    add_registry_routes(app, node, Caller, refuse)
    add_survey_routes(app, node, Caller, refuse)
    add_debarment_routes(app, node, Caller)
    add_access_routes(app, node, Caller, refuse)
    beacon = add_beacon_routes(app, node, Caller)
    # Sign-in attempts: ten a minute from one address, on top of the accounts' lockout.
    add_console(app, node, RateLimiter(10 / 60, 10).check, authenticator.keys, beacon)
    add_statistics_routes(app, node, Caller)

    @app.get("/audit/checkpoint", tags=["audit"], summary="The latest signed tree head")
    def audit_checkpoint(principal: Caller) -> CheckpointOut:
        with db.transaction() as session:
            head = checkpoint(session, signer, head_file=settings.audit_head_file)
        return CheckpointOut(
            origin=head.origin,
            size=head.size,
            root=_b64(head.root),
            time=head.at.isoformat(),
            note=head.note(),
        )

    @app.get(
        "/audit/checkpoint.txt",
        tags=["audit"],
        response_class=PlainTextResponse,
        summary="The latest signed tree head as a note",
    )
    def audit_checkpoint_note(principal: Caller) -> str:
        with db.reader() as session:
            head = latest_checkpoint(session)
        if head is None:
            raise NotFound("no checkpoint has been signed yet", code="E_NO_CHECKPOINT")
        return head.note()

    @app.get("/audit/proofs/inclusion", tags=["audit"], summary="RFC 9162 inclusion proof")
    def audit_inclusion(
        principal: Caller,
        leaf: Annotated[int, Query(ge=0, le=MAX_POSITION)],
        size: Annotated[int, Query(ge=1, le=MAX_POSITION)],
    ) -> ProofOut:
        with db.reader() as session:
            return ProofOut(size=size, proof=[_b64(h) for h in inclusion(session, leaf, size)])

    @app.get("/audit/proofs/consistency", tags=["audit"], summary="RFC 9162 consistency proof")
    def audit_consistency(
        principal: Caller,
        first: Annotated[int, Query(ge=1, le=MAX_POSITION)],
        second: Annotated[int, Query(ge=1, le=MAX_POSITION)],
    ) -> ProofOut:
        with db.reader() as session:
            proof = consistency(session, first, second)
        return ProofOut(size=second, proof=[_b64(h) for h in proof])

    @app.get("/audit/events", tags=["audit"], summary="Audit events (auditors, security reviewers)")
    def audit_events(
        principal: Caller,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    ) -> AuditPage:
        with db.transaction() as session:
            decision = authorize(session, principal, Action.AUDIT_EVENTS)
            if decision.allowed:
                rows, total = read_events(
                    session,
                    Actor(principal.actor, principal.role.value),
                    limit=limit,
                    offset=offset,
                    grounds=decision.grounds,
                    request_id=request.state.request_id,
                )
                return AuditPage(items=[AuditEventOut(id=i, body=b) for i, b in rows], total=total)
        refuse(principal, "audit.read", "audit/events", decision.grounds, request)

    document_problems(app)
    app.add_middleware(BodyLimit, limit=settings.service.max_body_bytes, beacon_id=beacon_id)
    app.add_middleware(HeaderLimit, beacon_id=beacon_id)
    app.add_middleware(SecurityHeaders, hsts=bool(settings.service.tls_cert))
    return app


def _client(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"
