"""Access routes: requests, their reviews, and the withdrawal notices a recipient acts on.

``POST /access/requests`` submits a researcher's request: the policy engine decides with the
node's facts, and a prohibited request is refused at once. ``GET /access/requests/{number}``
shows it to its requester, its reviewers, national officers and auditors.
``POST /access/requests/{number}/reviews`` records the caller's review (four eyes: see
:mod:`hgr.access.requests`). ``GET /access/notices`` publishes first (a withdrawal recorded a
moment ago is already in the answer) and then lists the notices of the caller's own requests;
national officers and auditors see every notice.
"""

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

from fastapi import FastAPI, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from hgr.access.facts import node_facts
from hgr.access.models import RequestRecord
from hgr.access.reading import readable_request, withdrawal_notices
from hgr.access.requests import (
    create_request,
    find_request,
    institution_may_act,
    review,
    review_state,
    submit,
)
from hgr.audit import Actor
from hgr.auth.permissions import Action, authorize
from hgr.auth.roles import Principal
from hgr.auth.users import find_user
from hgr.exceptions import NotFound
from hgr.node import Node
from hgr.policy import AccessRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["add_access_routes"]

NUMBER = r"^REQ-\d{4}-\d{5}$"


class RequestOut(BaseModel):
    number: str
    requester: str
    status: str
    outcome: str | None
    rules: list[dict[str, Any]] = Field(description="every rule that fired, with its citation")
    obligations: list[dict[str, Any]]
    reviews_needed: list[str]
    approvals: dict[str, list[str]]
    due_on: dt.date | None
    overdue: bool
    expires_on: dt.date | None
    note: str


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["dac", "ethics", "security"]
    approve: bool
    note: str = Field(default="", max_length=5000)


class NoticeOut(BaseModel):
    request: str
    export: str
    donor: str
    withdrawn_on: dt.date
    published_at: dt.datetime


def add_access_routes(
    app: FastAPI,
    node: Node,
    caller: Any,
    refuse: Callable[[Principal, str, str, str, Request], NoReturn],
) -> None:
    """Add the access routes to ``app``."""
    db = node.db

    def shown(session: "Session", entry: RequestRecord) -> RequestOut:
        state = review_state(session, entry)
        decision = entry.decision or {}
        return RequestOut(
            number=entry.number,
            requester=entry.requester,
            status=entry.status,
            outcome=entry.outcome,
            rules=decision.get("rules", []),
            obligations=decision.get("obligations", []),
            reviews_needed=entry.reviews_needed,
            approvals=state.approvals,
            due_on=entry.due_on,
            overdue=state.overdue,
            expires_on=entry.expires_on,
            note=entry.note,
        )

    def allowed(
        principal: Principal, request: Request, action: Action, verb: str, target: str
    ) -> None:
        with db.reader() as session:
            decision = authorize(session, principal, action)
        if not decision.allowed:
            refuse(principal, verb, target, decision.grounds, request)

    @app.post("/access/requests", tags=["access"], summary="Submit an access request")
    def post_request(principal: caller, request: Request, body: AccessRequest) -> RequestOut:
        allowed(
            principal, request, Action.ACCESS_REQUEST, "access.request.create", "access/requests"
        )
        actor = Actor(principal.actor, principal.role.value)
        with db.transaction() as session:
            node.outbound_list(session, body.action)
            entry = create_request(session, actor, find_user(session, principal.user), body)
            bound = AccessRequest.model_validate(entry.body)  # its parties as registered
            submit(session, actor, entry, node_facts(session, bound), node.rule_packs())
            return shown(session, entry)

    @app.get("/access/requests/{number}", tags=["access"], summary="An access request")
    def get_request(
        principal: caller, request: Request, number: Annotated[str, Path(pattern=NUMBER)]
    ) -> RequestOut:
        target = f"access/requests/{number}"
        allowed(principal, request, Action.ACCESS_READ, "access.request.read", target)
        with db.reader() as session:
            return shown(session, readable_request(session, principal, number))

    @app.post(
        "/access/requests/{number}/reviews",
        tags=["access"],
        summary="Review an access request (four eyes)",
    )
    def post_review(
        principal: caller,
        request: Request,
        body: ReviewIn,
        number: Annotated[str, Path(pattern=NUMBER)],
    ) -> RequestOut:
        allowed(
            principal, request, Action.ACCESS_REVIEW, "access.review", f"access/requests/{number}"
        )
        actor = Actor(principal.actor, principal.role.value)
        with db.transaction() as session:
            entry = find_request(session, number)
            # Another institution's request is not found, as for reading it.
            if not institution_may_act(session, principal.role, principal.scope, entry):
                raise NotFound(f"no access request {number}", code="E_NO_REQUEST")
            review(
                session,
                actor,
                entry,
                find_user(session, principal.user),
                body.kind,
                approve=body.approve,
                note=body.note,
            )
            return shown(session, entry)

    @app.get(
        "/access/notices", tags=["access"], summary="Withdrawal notices for the caller's requests"
    )
    def notices(principal: caller, request: Request) -> list[NoticeOut]:
        with db.reader() as session:
            decision = authorize(session, principal, Action.ACCESS_NOTICES)
        if not decision.allowed:
            refuse(principal, "access.notices", "access/notices", decision.grounds, request)
        with db.transaction() as session:
            found = withdrawal_notices(session, principal, node.keys)
        return [NoticeOut(**vars(notice)) for notice in found]
