"""Signing in and out of the console, and the signed-in reader's own page.

The session cookie is HttpOnly, Secure and SameSite=Strict, and scoped to ``/console``. Every
form carries a CSRF token: the session's own once signed in, and before that a token that the
sign-in page also sets in a cookie of its own (a double submit). Sign-in attempts are limited
per address, on top of the per-account lockout of :mod:`hgr.auth.passwords`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from typing import Literal
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hgr.audit import Actor
from hgr.auth.browser_sessions import (
    ABSOLUTE,
    ActiveSession,
    csrf_matches,
    end_all_sessions,
    end_session,
    resume,
)
from hgr.auth.keysets import KeySets
from hgr.auth.oidc_sign_in import ATTEMPT, begin, enabled, finish
from hgr.auth.passwords import sign_in
from hgr.console.pages import render
from hgr.console.pages import say as _
from hgr.dates import utc_now
from hgr.exceptions import NotAuthenticated, RateLimited
from hgr.node import Node

__all__ = ["SESSION_COOKIE", "add_account_pages", "current_session", "same_origin"]

SESSION_COOKIE = "hgr_session"
SIGN_IN_COOKIE = "hgr_sign_in"  # the sign-in form's CSRF token, before any session
OIDC_COOKIE = "hgr_oidc"  # an OIDC sign-in's attempt, sealed (hgr.auth.oidc_sign_in)
MAX_ANSWER = 4000  # characters of the identity provider's code, state or error
ONWARD = re.compile(r"/console/[A-Za-z0-9_\-./%]*")  # where sign-in may send the reader on
MAX_FIELD = 300  # characters of a name, password or code read from the form


def current_session(node: Node, request: Request) -> ActiveSession | None:
    """The reader's session, or None when they are not signed in (or it has ended)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return resume(node.db, token)
    except NotAuthenticated:
        return None


def add_account_pages(
    app: FastAPI, node: Node, throttle: Callable[[str], None], key_sets: KeySets
) -> None:
    """Add the sign-in, sign-out and account pages to ``app``; ``throttle(address)`` refuses
    (RateLimited) an address that tries to sign in too often; ``key_sets`` holds the
    identity provider's keys."""
    settings = node.settings

    def sign_in_page(
        request: Request, status: int = 200, problem: str = "", after: str = ""
    ) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        page = render(
            request,
            "sign_in.html.j2",
            status=status,
            node_name=settings.name,
            csrf=token,
            problem=problem,
            next=after,
            oidc=enabled(settings.oidc),
        )
        _cookie(page, request, SIGN_IN_COOKIE, token, max_age=3600)
        return page

    @app.get("/console/sign-in", include_in_schema=False)
    def sign_in_form(request: Request) -> Response:
        if current_session(node, request) is not None:
            return RedirectResponse("/console/account", status_code=303)
        return sign_in_page(request, after=onward(request.query_params.get("next", "")))

    @app.post("/console/sign-in", include_in_schema=False)
    async def sign_in_submit(request: Request) -> Response:
        async with request.form() as form:
            field = {
                k: str(form.get(k, ""))[:MAX_FIELD]
                for k in ("name", "password", "code", "csrf", "next")
            }
        after = onward(field["next"])
        expected = request.cookies.get(SIGN_IN_COOKIE, "")
        if (
            not same_origin(request)
            or not expected
            or not hmac.compare_digest(expected.encode(), field["csrf"].encode())
        ):
            return sign_in_page(
                request, 400, _("the form had expired: sign in again", request), after
            )
        address = request.client.host if request.client else "unknown"
        try:
            throttle(f"sign-in:{address}")
            # In the thread pool: argon2 takes a sizeable part of a second, and the event
            # loop must go on serving everyone else meanwhile.
            signed = await run_in_threadpool(
                sign_in,
                node.db,
                field["name"].strip(),
                field["password"],
                field["code"].strip(),
                address=address,
                request_id=getattr(request.state, "request_id", ""),
            )
        except RateLimited:
            return sign_in_page(
                request,
                429,
                _("too many sign-ins from this address: wait a minute", request),
                after,
            )
        except NotAuthenticated:
            problem = _(
                "The name, password or code is not right, or the account is locked for "
                "15 minutes after five failures.",
                request,
            )
            return sign_in_page(request, 401, problem, after)
        done = RedirectResponse(after or "/console/account", status_code=303)
        _cookie(
            done,
            request,
            SESSION_COOKIE,
            signed.session.token,
            max_age=int(ABSOLUTE.total_seconds()),
        )
        done.delete_cookie(SIGN_IN_COOKIE, path="/console")
        return done

    def redirect_uri(request: Request) -> str:
        return settings.oidc.redirect_uri or (
            str(request.base_url).rstrip("/") + "/console/sign-in/oidc/callback"
        )

    @app.get("/console/sign-in/oidc", include_in_schema=False)
    def oidc_start(request: Request) -> Response:
        after = onward(request.query_params.get("next", ""))
        if not enabled(settings.oidc):
            return render(request, "error.html.j2", status=404, node_name=settings.name)
        try:
            started = begin(node.db, settings.oidc, redirect_uri(request), after, utc_now())
        except NotAuthenticated:
            problem = _(
                "Your identity provider cannot be reached: try again later, or sign in with "
                "a password.",
                request,
            )
            return sign_in_page(request, 503, problem, after)
        go = RedirectResponse(started.location, status_code=303)
        # Lax, not Strict: the cookie must come back with the identity provider's redirect,
        # a navigation from another site. It holds nothing anyone else could use.
        _cookie(go, request, OIDC_COOKIE, started.cookie, int(ATTEMPT.total_seconds()), "lax")
        return go

    @app.get("/console/sign-in/oidc/callback", include_in_schema=False)
    def oidc_back(request: Request) -> Response:
        answer = {
            name: value[:MAX_ANSWER]
            for name in ("code", "state", "error")
            if (value := request.query_params.get(name)) is not None
        }
        address = request.client.host if request.client else "unknown"
        try:
            throttle(f"sign-in:{address}")
            done = finish(
                node.db,
                settings.oidc,
                key_sets,
                answer,
                request.cookies.get(OIDC_COOKIE, "")[:MAX_ANSWER],
                redirect_uri(request),
                address=address,
                request_id=getattr(request.state, "request_id", ""),
            )
        except (NotAuthenticated, RateLimited):
            problem = _(
                "The sign-in through your identity provider did not succeed. Try again, or "
                "sign in with a password.",
                request,
            )
            refused = sign_in_page(request, 401, problem)
            refused.delete_cookie(OIDC_COOKIE, path="/console")
            return refused
        # The identity provider's redirect was a navigation from another site, and a browser
        # that follows RFC 6265bis (§5.2.1, redirect chains) treats a redirect after it as
        # cross-site and withholds the SameSite=Strict session cookie: a page of this node
        # moves the browser on instead, as a navigation of the node's own.
        page = render(
            request,
            "signed_in.html.j2",
            node_name=settings.name,
            onward=done.onward or "/console/account",
        )
        _cookie(
            page,
            request,
            SESSION_COOKIE,
            done.signed.session.token,
            max_age=int(ABSOLUTE.total_seconds()),
        )
        page.delete_cookie(OIDC_COOKIE, path="/console")
        return page

    @app.get("/console/account", include_in_schema=False)
    def account(request: Request) -> Response:
        active = current_session(node, request)
        if active is None:
            return RedirectResponse("/console/sign-in", status_code=303)
        return render(
            request,
            "account.html.j2",
            node_name=settings.name,
            session=active,
            csrf=active.csrf,
        )

    @app.post("/console/sign-out", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        return await _signing_out(request, everywhere=False)

    @app.post("/console/sign-out-everywhere", include_in_schema=False)
    async def sign_out_everywhere(request: Request) -> Response:
        return await _signing_out(request, everywhere=True)

    async def _signing_out(request: Request, everywhere: bool) -> Response:
        active = await run_in_threadpool(current_session, node, request)
        async with request.form() as form:
            submitted = str(form.get("csrf", ""))[:MAX_FIELD]
        if active is None:
            return RedirectResponse("/console/sign-in", status_code=303)
        if not same_origin(request) or not csrf_matches(active, submitted):
            return render(
                request,
                "account.html.j2",
                status=400,
                node_name=settings.name,
                session=active,
                csrf=active.csrf,
                problem=_("the form had expired: try again", request),
            )
        by = Actor(active.principal.actor, active.principal.role.value)
        if everywhere:
            await run_in_threadpool(end_all_sessions, node.db, active.user, by)
        else:
            await run_in_threadpool(
                end_session, node.db, request.cookies.get(SESSION_COOKIE, ""), by
            )
        done = RedirectResponse("/console/", status_code=303)
        done.delete_cookie(SESSION_COOKIE, path="/console")
        return done


def onward(target: str) -> str:
    """``target`` if it is a console page of this node to go on to after signing in, else
    empty: an address elsewhere (``//evil.example``, ``/console/../api``, a backslash that
    some browsers read as a slash) would make the sign-in page an open redirect."""
    plain = unquote(target)  # browsers read %2e as "." in a path (WHATWG URL, 4.4)
    if (
        len(target) > 200
        or not ONWARD.fullmatch(target)
        or any(bad in plain for bad in ("//", "/.", "\\"))
        or plain.startswith(("/console/sign-in", "/console/sign-out"))
    ):
        return ""
    return target


def same_origin(request: Request) -> bool:
    """Whether the browser says the form came from this node's own pages. A sibling
    subdomain is "same-site" to SameSite cookies, but not "same-origin" (Fetch Metadata,
    W3C); a browser that sends no such header (or a client that is not a browser) is judged by
    the CSRF token alone."""
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def _cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int,
    samesite: Literal["strict", "lax"] = "strict",
) -> None:
    # Secure always: browsers keep a Secure cookie on https, and on http only for loopback
    # (a node tried out on its own machine).
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        secure=True,
        samesite=samesite,
    )
