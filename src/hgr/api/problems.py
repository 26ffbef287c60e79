"""Errors as RFC 9457 problem details (``application/problem+json``), mapped once."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hgr.beacon.framework import error_response, is_beacon_path
from hgr.db import busy, is_busy
from hgr.exceptions import (
    Busy,
    ConfigurationError,
    Conflict,
    Forbidden,
    FormatError,
    HgrError,
    IntegrityBroken,
    NotAuthenticated,
    NotFound,
    PolicyDenied,
    RateLimited,
    UsageError,
    ValidationFailed,
)

__all__ = [
    "MAX_POSITION",
    "PROBLEM",
    "document_problems",
    "install_problem_handlers",
    "problem",
    "shown",
]

PROBLEM = "application/problem+json"
MAX_POSITION = 2**53 - 1
"""The largest offset, leaf index or tree size a request may name: exact in JSON numbers,
and within the databases' 64-bit integers."""

STATUS: list[tuple[type[HgrError], int]] = [
    (ValidationFailed, 422),
    (FormatError, 400),
    (UsageError, 400),
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (PolicyDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (Busy, 503),
    (IntegrityBroken, 500),
    (ConfigurationError, 500),
]

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response with hgr's stable error ``code``."""
    body = {
        "type": f"urn:hgr:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def shown(exc: HgrError) -> bool:
    """Whether the caller is told the error's own message: not for a failure of the node
    (500), whose message may describe its insides; a busy node (503) says to retry."""
    return _status(exc) < 500 or isinstance(exc, Busy)


def _status(exc: HgrError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 500)


def install_problem_handlers(app: FastAPI, beacon_id: str) -> None:
    """Turn every error into problem+json, or under ``/api`` into a Beacon v2
    ``beaconErrorResponse`` of the beacon ``beacon_id`` with the same status and code; never
    leak a traceback (ASVS 16.5.1)."""

    def answer(
        request: Request,
        status: int,
        code: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> JSONResponse:
        if is_beacon_path(request.url.path):
            # Beacon clients and aggregators read errors in the Beacon's own shape, whatever
            # refused the request: a bad token, an unknown path, a body that is not JSON.
            body = error_response(beacon_id, status, f"{detail} ({code})")
            return JSONResponse(body, status_code=status, headers=headers)
        return problem(status, code, detail, headers, **extra)

    @app.exception_handler(HgrError)
    async def hgr_error(request: Request, exc: HgrError) -> JSONResponse:
        status = _status(exc)
        headers = {}
        extra: dict[str, Any] = {}
        if isinstance(exc, NotAuthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="hgr"'
        if isinstance(exc, RateLimited | Busy):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, ValidationFailed):
            extra["issues"] = [issue.as_dict() for issue in exc.issues]
        detail = exc.message if shown(exc) else "the node could not complete the request"
        return answer(request, status, exc.code, detail, headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {"location": ".".join(str(p) for p in error.get("loc", ())), "problem": error["msg"]}
            for error in exc.errors()
        ]
        if is_beacon_path(request.url.path):
            # A Beacon request body that is not a JSON object is a bad request (400), as the
            # Beacon's own checks of a body's contents answer.
            return answer(
                request,
                400,
                "E_BEACON_BODY",
                "the request body is a JSON object (beaconRequestBody): "
                + "; ".join(f"{i['location']}: {i['problem']}" for i in issues),
            )
        return answer(
            request, 422, "E_REQUEST", "the request does not match the API", issues=issues
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's headers carry what the status promises: Allow on 405 (RFC 9110 §15.5.6).
        return answer(
            request,
            exc.status_code,
            f"E_HTTP_{exc.status_code}",
            str(exc.detail),
            dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, UnicodeEncodeError) and "surrogates" in str(exc):
            # JSON lets a \u escape name half a surrogate pair (RFC 8259 §8.2); such a string
            # reaches no store, and the transaction it broke was rolled back.
            return answer(
                request,
                400,
                "E_TEXT",
                "the request holds a lone UTF-16 surrogate "
                "(\\ud800-\\udfff), which is not text: send valid Unicode",
            )
        if is_busy(exc):
            # SQLite writes one transaction at a time; a write that waited its SQLITE_WAIT
            # for another (an import, say) was rolled back whole and can simply be sent again.
            return await hgr_error(request, busy())
        return answer(request, 500, "E_INTERNAL", "the node could not complete the request")


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is hgr's stable error code.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "issues": {"type": "array", "items": {"type": "object"}},
    },
}

ANY_ROUTE = (400, 401, 403, 404, 422, 429, 500, 503)
WRITES = (409, 413)


BEACON_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["meta", "error"],
    "properties": {
        "meta": {"type": "object"},
        "error": {
            "type": "object",
            "required": ["errorCode"],
            "properties": {"errorCode": {"type": "integer"}, "errorMessage": {"type": "string"}},
        },
    },
}


def document_problems(app: FastAPI) -> None:
    """Declare the problem+json answers of every operation in the OpenAPI document.

    Every route can refuse a request it cannot act on (400), a credential (401), a role (403),
    a missing or unseen record (404), a malformed request (422), a caller over its rate (429),
    fail (500), or find its SQLite database busy with another write (503); routes that take
    a body can also refuse a conflict (409) or a size (413).
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        components = document.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        components["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": (
                    "a personal token (hgr_...) or a JWT from the configured OIDC issuer"
                ),
            }
        }
        # Credentials are optional: without one the caller is the public, and each route
        # answers what the public may see (docs/access.md).
        document["security"] = [{}, {"bearer": []}]
        document["components"]["schemas"].pop("HTTPValidationError", None)
        document["components"]["schemas"].pop("ValidationError", None)
        ref = {"$ref": "#/components/schemas/Problem"}
        for route, path in document.get("paths", {}).items():
            for method, operation in path.items():
                statuses = ANY_ROUTE + (WRITES if method in ("post", "put", "patch") else ())
                responses = operation.setdefault("responses", {})
                for status in statuses:
                    content: dict[str, Any] = {PROBLEM: {"schema": ref}}
                    if is_beacon_path(route):
                        # Every refusal under /api is a Beacon v2 error document.
                        content = {"application/json": {"schema": BEACON_ERROR_SCHEMA}}
                    responses[str(status)] = {
                        "description": TITLES.get(status, "Error"),
                        "content": content,
                    }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
