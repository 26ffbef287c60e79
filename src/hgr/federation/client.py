"""A small JSON client for another node's API, with its errors turned into hgr's own.

The other node answers errors as RFC 9457 problem details; the same exception class is raised
here (by status), with the other node's message, so a command line shows what the far side
said. Standard library only: certificates are checked against the system's store.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from hgr.exceptions import (
    ConfigurationError,
    Conflict,
    Forbidden,
    HgrError,
    NotAuthenticated,
    NotFound,
    UsageError,
    ValidationFailed,
)

__all__ = ["get_json", "post_json", "read_token_file"]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect. urllib carries a request's headers to wherever a redirect points,
    its bearer token included; a node's API never redirects, so one that does is answered
    as an error rather than followed (OWASP ASVS 5.0 V14.2: tokens only to their audience)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)

TIMEOUT_SECONDS = 60.0
_BY_STATUS: dict[int, type[HgrError]] = {
    401: NotAuthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
}


def _request(
    url: str,
    path: str,
    token: str | None,
    payload: Any | None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Any:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r} is not an http(s) address", code="E_URL")
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url.rstrip("/") + path, data=data, method="GET" if payload is None else "POST"
    )
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            text = response.read()
        try:
            return json.loads(text)
        except ValueError:
            raise UsageError(
                f"{url}{path} did not answer JSON: is it an hgr node?", code="E_REMOTE"
            ) from None
    except urllib.error.HTTPError as exc:
        try:
            problem = json.loads(exc.read())
        except (ValueError, OSError):
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        error = problem.get("error")  # a Beacon v2 beaconErrorResponse
        detail = (
            problem.get("detail")
            or (error.get("errorMessage") if isinstance(error, dict) else None)
            or exc.reason
        )
        kind = _BY_STATUS.get(exc.code, UsageError)
        raise kind(
            f"{url}{path} answered {exc.code}: {detail}", code=problem.get("code") or "E_REMOTE"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"cannot reach {url}: {reason}", code="E_UNREACHABLE") from None


def get_json(
    url: str,
    path: str,
    token: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Any:
    """GET ``path`` of the node at ``url``; its JSON answer."""
    return _request(url, path, token, None, headers, timeout)


def post_json(
    url: str,
    path: str,
    payload: Any,
    token: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Any:
    """POST ``payload`` as JSON to ``path`` of the node at ``url``; its JSON answer."""
    return _request(url, path, token, payload, headers, timeout)


def read_token_file(home: Path, name: str, setting: str) -> str:
    """The bearer token this node holds at another node, from the file ``name`` (relative to
    the node's ``home``) that the setting ``setting`` names.

    Raises
    ------
    ConfigurationError
        The file cannot be read or is empty.
    """
    path = Path(name)
    path = path if path.is_absolute() else home / path
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"{setting} {path} cannot be read: {exc.strerror}", code="E_NODE_FILE"
        ) from None
    if not token:
        raise ConfigurationError(f"{setting} {path} is empty", code="E_NODE_FILE")
    return token
