"""The federation's question ledger, as another node reaches it.

One node (normally the national node) keeps the daily question caps of the holders every node
knows (:mod:`hgr.privacy.questions`); the others ask it, over HTTPS with an account they hold
there, whether a question is admitted. A ledger that does not answer refuses the question: an
unreachable ledger must not lift the caps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hgr.config import Settings
from hgr.exceptions import HgrError, RateLimited
from hgr.federation.client import post_json, read_token_file

__all__ = ["LEDGER_PATH", "LedgerUnreachable", "RemoteLedger"]

LEDGER_PATH = "/beacon/ledger/questions"


class LedgerUnreachable(RateLimited):
    """The federation's question ledger did not answer; the question is refused unasked."""

    code = "E_LEDGER_UNREACHABLE"


@dataclass(frozen=True)
class RemoteLedger:
    """The ledger node, as this node reaches it."""

    url: str
    token: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteLedger | None:
        """The ledger ``[beacon]`` names, or None when this node keeps its own.

        Raises
        ------
        ConfigurationError
            The token file cannot be read or is empty.
        """
        beacon = settings.beacon
        if not beacon.ledger:
            return None
        token = read_token_file(
            settings.home, beacon.ledger_token_file, "[beacon] ledger_token_file"
        )
        return cls(beacon.ledger, token, beacon.timeout_seconds)

    def admit(self, holders: Sequence[str], tier: str, question: str, cost: int = 1) -> bool:
        """Whether the ledger admits the question (its SHA-256), at its cost in questions,
        for every holder at ``tier`` (anonymous, registered or controlled).

        Raises
        ------
        LedgerUnreachable
            The ledger did not answer, or not as a ledger does.
        """
        try:
            answer = post_json(
                self.url,
                LEDGER_PATH,
                {"holders": list(holders), "tier": tier, "question": question, "cost": cost},
                self.token,
                timeout=self.timeout,
            )
        except HgrError as exc:
            raise LedgerUnreachable(
                f"the federation's question ledger did not answer ({exc.code}); ask again later",
                retry_after=60,
            ) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("admitted"), bool):
            raise LedgerUnreachable(
                "the federation's question ledger gave no answer; ask again later", retry_after=60
            )
        return bool(answer["admitted"])
