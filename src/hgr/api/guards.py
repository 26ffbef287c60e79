"""Request guards: who is calling (bearer credentials), rate limits, size limits, headers."""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from hgr.auth.credentials import Authenticator
from hgr.auth.roles import Principal, anonymous
from hgr.beacon.framework import error_response, is_beacon_path
from hgr.db import Database
from hgr.exceptions import NotAuthenticated, RateLimited

__all__ = ["BodyLimit", "HeaderLimit", "RateLimiter", "SecurityHeaders", "principal_from"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def principal_from(request: Request, db: Database, authenticator: Authenticator) -> Principal:
    """The caller named by the ``Authorization: Bearer`` header (anonymous without one)."""
    header = request.headers.get("authorization")
    if header is None:
        return anonymous()
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(
            "use `Authorization: Bearer <token>`",
            code="E_BAD_TOKEN",
            reason=f"authorization scheme {scheme[:20]!r}",
        )
    with db.autocommit_reader() as session:
        return authenticator.principal(session, value.strip())


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per caller: ``rate`` requests a second on average, ``burst`` at once.

    Kept in the process's memory: with several server processes each enforces its own share.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(self.burst, now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens < 1:
                wait = math.ceil((1 - bucket.tokens) / self.rate)
                raise RateLimited(f"too many requests: retry in {wait} s", retry_after=wait)
            bucket.tokens -= 1


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the OWASP secure-headers set, HSTS behind TLS, and an ``x-request-id``."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A route may set a header of the set itself (the public HTML pages allow
                # their inline style in their own content-security-policy).
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                headers.append((b"x-request-id", request_id.encode()))
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, *, limit: int, beacon_id: str) -> None:
        self.app, self.limit, self.beacon_id = app, limit, beacon_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(scope, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _refuse(
            scope,
            send,
            self.beacon_id,
            413,
            "E_TOO_LARGE",
            "Request too large",
            f"the request body is over {self.limit} bytes",
        )


class _TooLarge(Exception):
    pass


MAX_HEADER_BYTES = 16 * 1024
"""All of a request's header lines together, at most (nginx's large_client_header_buffers
default is 4 x 8 KiB; a bearer token, cookies and a forwarded chain fit well within)."""


class HeaderLimit:
    """Refuses requests whose headers add up to more than ``limit`` bytes, with 431 (RFC 6585
    §5): every header is parsed and held in memory for the whole request."""

    def __init__(self, app: ASGIApp, *, beacon_id: str, limit: int = MAX_HEADER_BYTES) -> None:
        self.app, self.limit, self.beacon_id = app, limit, beacon_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))
            if size > self.limit:
                await _refuse(
                    scope,
                    send,
                    self.beacon_id,
                    431,
                    "E_HEADERS_TOO_LARGE",
                    "Request header fields too large",
                    f"the request's headers are over {self.limit} bytes",
                )
                return
        await self.app(scope, receive, send)


async def _refuse(
    scope: Scope, send: Send, beacon_id: str, status: int, code: str, title: str, detail: str
) -> None:
    """Answer before the application sees the request: problem+json, or a
    beaconErrorResponse under ``/api`` (as :mod:`hgr.api.problems` answers)."""
    if is_beacon_path(str(scope.get("path", ""))):
        document = error_response(beacon_id, status, f"{detail} ({code})")
        media = b"application/json"
    else:
        document = {
            "type": f"urn:hgr:problem:{code}",
            "title": title,
            "status": status,
            "code": code,
            "detail": detail,
        }
        media = b"application/problem+json"
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
