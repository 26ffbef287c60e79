"""Who reads a console page, and whether they may: one check for every signed-in page.

Each page names what it needs as the API's routes do: an action on an entity (``read
donors``) or an action of its own (``survey.submit``). :func:`permit` decides it with
:mod:`hgr.auth.permissions`, the rules that decide every API request, so a page shows exactly
what the same person could fetch from the API. A reader who is not signed in is sent to sign
in; one whose role does not allow the page is refused, and the refusal is audited as the API
audits its own (ASVS 16.3.2). Records outside the reader's scope are not found, as in the API.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hgr.audit import Actor
from hgr.audit.access_log import record_denied
from hgr.auth.browser_sessions import ActiveSession, csrf_matches
from hgr.auth.permissions import Action, Decision, authorize, authorize_entity
from hgr.auth.roles import Principal, ScopeLevel
from hgr.console.account import current_session, same_origin
from hgr.console.pages import render
from hgr.console.pages import say as _
from hgr.node import Node
from hgr.registry.reading import Reader

__all__ = ["Need", "PageRefused", "Permit", "add_refusals", "not_found", "permit", "refusal"]


@dataclass(frozen=True)
class Need:
    """What a page needs: ``action`` on ``entity``, or an action of its own (no entity)."""

    action: Action
    entity: str = ""

    def decide(self, session: object, principal: Principal) -> Decision:
        """The API's decision on this need for ``principal``."""
        if self.entity:
            return authorize_entity(session, principal, self.entity, self.action)  # type: ignore[arg-type]
        return authorize(session, principal, self.action)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Permit:
    """A reader allowed onto a page: their session and the decision that let them in."""

    active: ActiveSession
    decision: Decision
    request_id: str

    @property
    def principal(self) -> Principal:
        return self.active.principal

    @property
    def actor(self) -> Actor:
        return Actor(self.principal.actor, self.principal.role.value)

    @property
    def institution(self) -> str:
        """The institution the reader serves (empty for roles above one)."""
        return self.principal.scope if self.principal.level is ScopeLevel.INSTITUTION else ""

    def reader(self) -> Reader:
        """The reader of registry records this permit makes (audited where individual)."""
        return Reader(
            self.actor,
            self.decision.grounds,
            visible=self.decision.visible,
            individual=self.decision.individual,
            request_id=self.request_id,
        )

    def reader_of(self, session: object, entity: str) -> Reader | None:
        """The reader of ``entity``'s records for this reader, or None when their role may
        not read them (a page shows only what its reader may read)."""
        decision = authorize_entity(session, self.principal, entity, Action.READ)  # type: ignore[arg-type]
        return replace(self, decision=decision).reader() if decision.allowed else None


class PageRefused(Exception):
    """Raised by :func:`permit`: the response to send instead of the page."""

    def __init__(self, response: Response) -> None:
        super().__init__("page refused")
        self.response = response


def permit(node: Node, request: Request, need: Need, *, form_csrf: str | None = None) -> Permit:
    """The reader of ``request`` if ``need`` is theirs; raises PageRefused otherwise.

    ``form_csrf`` is the CSRF token a submitted form carried: given, it must be the
    session's own, and the form must come from this node's pages.
    """
    active = current_session(node, request)
    request_id = getattr(request.state, "request_id", "")
    if active is None:
        target = quote(request.url.path, safe="/")
        raise PageRefused(RedirectResponse(f"/console/sign-in?next={target}", status_code=303))
    with node.db.reader() as session:
        decision = need.decide(session, active.principal)
    if not decision.allowed:
        raise PageRefused(
            refusal(node, request, active, f"console.{need.action.value}", decision.grounds)
        )
    if form_csrf is not None and (not same_origin(request) or not csrf_matches(active, form_csrf)):
        raise PageRefused(
            render(
                request,
                "error.html.j2",
                status=400,
                node_name=node.settings.name,
                heading=_("The form had expired", request),
                problem=_("the form had expired: try again", request),
                session=active,
            )
        )
    return Permit(active, decision, request_id)


def refusal(
    node: Node, request: Request, active: ActiveSession, action: str, grounds: str
) -> HTMLResponse:
    """The page that refuses ``action`` to a signed-in reader whose role does not allow it,
    the refusal audited in a transaction of its own (ASVS 16.3.2)."""
    by = Actor(active.principal.actor, active.principal.role.value)
    target = f"console{request.url.path.removeprefix('/console')}"
    record_denied(node.db, by, action, target, grounds, getattr(request.state, "request_id", ""))
    return render(
        request,
        "error.html.j2",
        status=403,
        node_name=node.settings.name,
        heading=_("This page is not for your role", request),
        problem=_(
            "Your role (%(role)s) does not allow this page. Ask your node's operator if "
            "you need it.",
            request,
            role=active.principal.role.value,
        ),
        session=active,
    )


def add_refusals(app: FastAPI) -> None:
    """Send the response a refused page carries."""

    @app.exception_handler(PageRefused)
    async def refused(request: Request, exc: PageRefused) -> Response:
        return exc.response


def not_found(node: Node, request: Request, permit: Permit, problem: str) -> HTMLResponse:
    """The page for a record that does not exist or is outside the reader's scope (the two
    look alike, so that scope cannot be probed)."""
    return render(
        request,
        "error.html.j2",
        status=404,
        node_name=node.settings.name,
        problem=problem,
        session=permit.active,
    )
