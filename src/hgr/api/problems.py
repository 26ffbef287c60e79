"""Errors as RFC 9457 problem details (``application/problem+json``), mapped once."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hgr.exceptions import (
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

__all__ = ["PROBLEM", "install_problem_handlers", "problem"]

PROBLEM = "application/problem+json"

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
    (IntegrityBroken, 500),
    (ConfigurationError, 500),
]

TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request too large",
          422: "Invalid input", 429: "Too many requests",
          500: "Internal error"}  # fmt: skip


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


def _status(exc: HgrError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 500)


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every error into problem+json; never leak a traceback (ASVS 16.5.1)."""

    @app.exception_handler(HgrError)
    async def hgr_error(_: Request, exc: HgrError) -> JSONResponse:
        status = _status(exc)
        headers = {}
        extra: dict[str, Any] = {}
        if isinstance(exc, NotAuthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="hgr"'
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, ValidationFailed):
            extra["issues"] = [issue.as_dict() for issue in exc.issues]
        detail = exc.message if status < 500 else "the node could not complete the request"
        return problem(status, exc.code, detail, headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {"location": ".".join(str(p) for p in error.get("loc", ())), "problem": error["msg"]}
            for error in exc.errors()
        ]
        return problem(422, "E_REQUEST", "the request does not match the API", issues=issues)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, f"E_HTTP_{exc.status_code}", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem(500, "E_INTERNAL", "the node could not complete the request")
