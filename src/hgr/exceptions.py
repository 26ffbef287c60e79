"""The one error hierarchy of hgr.

Every error carries a stable ``code`` (``E_...``) that scripts and the API can rely on, and a
message that says what went wrong and how to fix it; ``hgr.error_codes`` declares each code,
with a remedy for the person who meets it (``remedy_of``). Adapters map these once: the CLI
prints ``error: <message> (<code>)`` and exits non-zero; the API turns them into problem+json.

::

    HgrError
    ├── ValidationFailed     input broke a rule; carries the full list of issues
    ├── FormatError          a file cannot be read as the format it claims to be
    ├── NotFound             a named record does not exist
    ├── Conflict             the request contradicts what is already stored
    ├── PolicyDenied         a governance rule forbids the action
    ├── IntegrityBroken      stored data fails a checksum, signature or hash-chain check
    ├── ConfigurationError   the node is not set up, or its settings are unsafe
    ├── UsageError           an argument or parameter is malformed
    ├── NotAuthenticated     no valid credential was presented
    ├── Forbidden            the caller's role or scope does not allow the action
    └── RateLimited          the caller sent too many requests
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hgr.issues import Issue

__all__ = [
    "Busy",
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "FormatError",
    "HgrError",
    "IntegrityBroken",
    "NotAuthenticated",
    "NotFound",
    "PolicyDenied",
    "RateLimited",
    "UsageError",
    "ValidationFailed",
]


class HgrError(Exception):
    """Base of every error hgr raises on purpose."""

    code: str = "E_HGR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message} ({self.code})"


class ValidationFailed(HgrError):
    """Input broke one or more rules; ``issues`` lists every one of them."""

    code = "E_VALIDATION"

    def __init__(self, message: str, issues: Sequence[Issue] = (), *, code: str | None = None):
        super().__init__(message, code=code)
        self.issues = list(issues)


class FormatError(HgrError):
    """A file cannot be parsed as the format it claims to be."""

    code = "E_FORMAT"


class NotFound(HgrError):
    """A record named by the caller does not exist."""

    code = "E_NOT_FOUND"


class Conflict(HgrError):
    """The request contradicts what is already stored."""

    code = "E_CONFLICT"


class PolicyDenied(HgrError):
    """A governance rule forbids the requested action."""

    code = "E_POLICY_DENIED"


class IntegrityBroken(HgrError):
    """Stored data fails a checksum, signature or hash-chain check."""

    code = "E_INTEGRITY"


class ConfigurationError(HgrError):
    """The node is not initialised, or a setting is missing or unsafe."""

    code = "E_CONFIG"


class UsageError(HgrError):
    """An argument or request parameter is malformed."""

    code = "E_USAGE"


class NotAuthenticated(HgrError):
    """No credential, or one that is unknown, expired, revoked or badly signed.

    ``reason`` says which, for the audit log; the caller is told only ``message``, the same for
    every bad credential, so that it learns nothing about which check failed.
    """

    code = "E_UNAUTHENTICATED"

    def __init__(self, message: str, *, code: str | None = None, reason: str = "") -> None:
        super().__init__(message, code=code)
        self.reason = reason or message


class Forbidden(HgrError):
    """The caller is known but its role or scope does not allow the action."""

    code = "E_FORBIDDEN"


class RateLimited(HgrError):
    """The caller exceeded its request rate; ``retry_after`` is in seconds."""

    code = "E_RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Busy(HgrError):
    """What the request needs stayed busy with other work for longer than the node waits; the
    request changed nothing and can be sent again after ``retry_after`` seconds."""

    code = "E_BUSY"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
