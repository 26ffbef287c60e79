"""Donor pseudonyms: a keyed HMAC of the institution's own donor id.

The raw id is never stored. HMAC-SHA-256 (RFC 2104) with a secret key kept outside the
database means that someone who reads the database cannot test guesses of donor ids, which a
plain hash would allow (ids are short and often sequential). The institution code is part of the
message so that the same local id at two institutions gives two different pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["Pseudonymiser"]

MIN_KEY_BYTES = 32


class Pseudonymiser:
    """Turns an institution's local donor ids into stable pseudonyms."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"pseudonym key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def pseudonym(self, institution_code: str, local_id: str) -> str:
        """The 64-hex-digit pseudonym of ``local_id`` at ``institution_code``."""
        # The unit separator cannot occur in either part, so ("a", "b\x1fc") and
        # ("a\x1fb", "c") never collide.
        message = f"{institution_code}\x1f{local_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
