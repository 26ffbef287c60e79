"""A steward's own donor identifiers, wherever the registry names a donor by pseudonym.

The registry never stores an institution's donor id: it keeps ``HMAC(node key, institution,
id)``, a 64-hex-digit pseudonym. A steward knows the donor as ``DLC-003``, not by the
pseudonym, so every lookup that names a donor (``hgr show donors DLC-003``, ``--where
donor=DLC-003``, the API's ``pseudonym=`` and ``donor=`` parameters) takes either: a value that
is not a pseudonym is the institution's own id, and is turned into its pseudonym with the
node's key before the registry is asked. The id itself is never written anywhere (not in the
audit log, whose target names the pseudonym).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DONOR_PARTS", "is_pseudonym", "readings", "with_pseudonyms"]

DONOR_PARTS = frozenset({"pseudonym", "donor"})
"""Key parts and filters that name a donor."""
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")


def is_pseudonym(value: str) -> bool:
    return bool(_PSEUDONYM.match(value))


def with_pseudonyms(
    values: Mapping[str, str],
    institution: str | None,
    pseudonym: Callable[[str, str], str],
) -> dict[str, str]:
    """``values`` with each donor part given as ``institution``'s own donor id replaced by its
    pseudonym. Without an institution an id stays as given (and names no donor)."""
    resolved = dict(values)
    for part in DONOR_PARTS & set(values):
        value = values[part]
        if institution and not is_pseudonym(value):
            resolved[part] = pseudonym(institution, value)
    return resolved


def readings(
    values: Mapping[str, Any],
    institution: str | None,
    pseudonym: Callable[[str, str], str],
) -> list[dict[str, Any]]:
    """The ways a lookup may read ``values``, to be tried in order until one finds
    something: as :func:`with_pseudonyms` reads them; then, where a donor part is 64 hex
    digits and the institution is known, with that value as the institution's own id too. An
    institution that already names its donors by a SHA-256 in hex would otherwise never find
    them: its ids look like pseudonyms. (An own id equal to another donor's pseudonym, an
    HMAC under the node's key, would take a collision of SHA-256.)"""
    first = with_pseudonyms(values, institution, pseudonym)
    if not institution:
        return [first]
    hexed = {p: str(values[p]) for p in DONOR_PARTS & set(values) if is_pseudonym(str(values[p]))}
    if not hexed:
        return [first]
    second = dict(first)
    for part, value in hexed.items():
        second[part] = pseudonym(institution, value)
    return [first, second]
