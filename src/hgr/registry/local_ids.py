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

__all__ = ["DONOR_PARTS", "is_pseudonym", "with_pseudonyms"]

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
