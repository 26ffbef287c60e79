"""JSON Web Key Sets fetched from known addresses and cached.

Only addresses that the node's settings name are ever fetched: an OIDC issuer's ``jwks_uri``
and the ``jku`` of a trusted visa issuer. A ``jku`` taken from a token header is looked up in
the allow-list first, so a token cannot make the server fetch an address of its choosing.

Addresses must be ``https``; ``http`` is allowed only to a loopback host (an identity provider
on the same machine) and ``file`` for a key set pinned on disk.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

from hgr.config import is_loopback
from hgr.exceptions import ConfigurationError, NotAuthenticated

__all__ = ["KeySets", "SigningKey", "check_key_url", "fetch_json", "post_form"]

MAX_DOCUMENT_BYTES = 1 << 20
FETCH_TIMEOUT_SECONDS = 5.0
REFRESH_AFTER_SECONDS = 30.0
"""An unknown ``kid`` refetches a set at most this often (keys rotate; tokens cannot force
a fetch per request)."""


def check_key_url(url: str) -> str:
    """``url`` if it is an address keys may be fetched from, else a ConfigurationError."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "file" and parts.path:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return url
    raise ConfigurationError(
        f"key address {url!r} must be https (http only on loopback, or a file:// path)",
        code="E_KEY_URL",
    )


def fetch_json(url: str) -> dict[str, Any]:
    """The JSON object at ``url`` (size- and time-limited); NotAuthenticated if unreachable.

    A key set that cannot be read means no token can be checked, so the caller is refused,
    not served.
    """
    check_key_url(url)
    return _json_answer(url, urllib.request.Request(url, headers={"Accept": "application/json"}))


def post_form(
    url: str, fields: dict[str, str], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The JSON object an identity provider answers to a form POSTed to ``url`` (its token
    endpoint: RFC 6749 §4.1.3), with the same limits as :func:`fetch_json`. An error answer
    (400 with ``{"error": …}``) is a NotAuthenticated that names the error."""
    check_key_url(url)
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            **(headers or {}),
        },
    )
    return _json_answer(url, request)


def _json_answer(url: str, request: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            raw = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        error = exc.read(1000).decode("utf-8", "replace")
        exc.close()  # an error response still holds its connection
        raise NotAuthenticated(
            f"{url} answered {exc.code}: {error[:200]}", code="E_KEYS_UNAVAILABLE"
        ) from exc
    except OSError as exc:
        raise NotAuthenticated(f"cannot fetch {url}: {exc}", code="E_KEYS_UNAVAILABLE") from exc
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise NotAuthenticated(
            f"{url} is over {MAX_DOCUMENT_BYTES} bytes", code="E_KEYS_UNAVAILABLE"
        )
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise NotAuthenticated(f"{url} is not JSON", code="E_KEYS_UNAVAILABLE") from exc
    if not isinstance(document, dict):
        raise NotAuthenticated(f"{url} is not a JSON object", code="E_KEYS_UNAVAILABLE")
    return document


@dataclass(frozen=True)
class SigningKey:
    """A public key from a set, and the algorithm the set declares for it (if any)."""

    jwk: jwt.PyJWK
    alg: str | None


@dataclass
class _Entry:
    keys: dict[str, SigningKey]
    fetched: float


class KeySets:
    """Key sets by address, kept for ``ttl`` seconds; thread-safe.

    ``fetch`` is how a document is read (``fetch_json``; tests may count calls).
    """

    def __init__(
        self, ttl: float = 300.0, fetch: Callable[[str], dict[str, Any]] = fetch_json
    ) -> None:
        self.ttl, self._fetch = ttl, fetch
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, url: str, kid: str | None) -> SigningKey:
        """The key ``kid`` of the set at ``url`` (the only key when ``kid`` is None and the
        set holds one). Refetches an expired set, or once in a while for an unknown ``kid``."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(url)
        stale = entry is None or now - entry.fetched > self.ttl
        if not stale and entry is not None and _pick(entry.keys, kid) is None:
            stale = now - entry.fetched > REFRESH_AFTER_SECONDS
        if stale:
            entry = _Entry(_parse(url, self._fetch(url)), now)
            with self._lock:
                self._entries[url] = entry
                self.fetches += 1
        assert entry is not None
        found = _pick(entry.keys, kid)
        if found is None:
            raise NotAuthenticated(f"no key {kid!r} in {url}", code="E_BAD_TOKEN")
        return found

    def cached(self, url: str) -> bool:
        """Whether ``url`` is held and fresh (so using it costs no fetch)."""
        entry = self._entries.get(url)
        return entry is not None and time.monotonic() - entry.fetched <= self.ttl


def _pick(keys: dict[str, SigningKey], kid: str | None) -> SigningKey | None:
    if kid is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)


def _parse(url: str, document: dict[str, Any]) -> dict[str, SigningKey]:
    keys: dict[str, SigningKey] = {}
    for index, data in enumerate(document.get("keys", [])):
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(data)
        except jwt.PyJWTError:
            continue  # a key of a type this node cannot use is skipped, as RFC 7517 §5 allows
        alg = data.get("alg")
        keys[str(data.get("kid", f"#{index}"))] = SigningKey(
            key, alg if isinstance(alg, str) else None
        )
    if not keys:
        raise NotAuthenticated(f"{url} holds no usable signing key", code="E_KEYS_UNAVAILABLE")
    return keys
