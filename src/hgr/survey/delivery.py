"""An institution's return on its way to the province: sent to the province's node, and where
it stands there, as the province's own completeness check sees it.

The institution's node holds what it signed; only the province knows what it received, whether
its checks pass, and whether its edition holds the return. The console asks it
(``GET /survey/{cycle}/returns/{institution}``, answered by
:func:`hgr.survey.editions.return_at_province`) rather than guessing from what was sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hgr.audit import Actor, record
from hgr.db import Database
from hgr.exceptions import UsageError
from hgr.federation.client import get_json, post_json, read_token_file
from hgr.federation.documents import envelope_of, latest_documents

__all__ = ["Province", "SentReturn", "province_of"]

TIMEOUT_SECONDS = 10.0  # a page waits no longer for the province


@dataclass(frozen=True)
class SentReturn:
    """What the province kept: the version and digest of the return."""

    version: int
    sha256: str


@dataclass(frozen=True)
class Province:
    """The province's node as this institution's node reaches it: its ``url`` and this node's
    bearer ``token`` there."""

    url: str
    token: str = field(repr=False)  # never in a log line or a traceback's locals

    def send_return(self, db: Database, by: Actor, cycle: str, institution: str) -> SentReturn:
        """POST the institution's latest signed return to ``cycle`` to the province, and
        audit the sending.

        Raises UsageError (E_SURVEY_NO_RETURN) before a return is signed, and the error the
        province answers with (hgr.federation.client) when it refuses it or cannot be reached.
        """
        with db.reader() as session:
            signed = latest_documents(session, "return", cycle, [institution]).get(institution)
            envelope = envelope_of(signed).as_dict() if signed is not None else None
        if envelope is None:
            raise UsageError(
                f"{institution} has signed no return for {cycle}", code="E_SURVEY_NO_RETURN"
            )
        kept = post_json(self.url, "/survey/returns", envelope, self.token, timeout=TIMEOUT_SECONDS)
        if not (
            isinstance(kept, dict)
            and type(kept.get("version")) is int
            and isinstance(kept.get("sha256"), str)
        ):
            raise UsageError(f"{self.url} did not say what it kept", code="E_REMOTE")
        sent = SentReturn(kept["version"], kept["sha256"])
        with db.transaction() as session:
            record(
                session,
                by,
                "survey.return.send",
                f"survey/{cycle}/return/{institution}",
                detail={"to": self.url, "version": sent.version, "sha256": sent.sha256},
            )
        return sent

    def return_status(self, cycle: str, institution: str) -> dict[str, Any]:
        """Where the institution's return to ``cycle`` stands at the province (the province's
        answer, as ``hgr.api`` serves it)."""
        path = f"/survey/{quote(cycle, safe='')}/returns/{quote(institution, safe='')}"
        answer = get_json(self.url, path, self.token, timeout=TIMEOUT_SECONDS)
        if not _is_status(answer):
            raise UsageError(f"{self.url}{path} did not answer a return's status", code="E_REMOTE")
        return dict(answer)


STATES = ("returned", "late", "missing", "overdue", "invalid")


def _is_status(answer: Any) -> bool:
    """Whether the province's answer has the shape of a return's status (the page shows each
    part of it, and the province's node is another machine)."""

    def number(value: Any) -> bool:
        return value is None or type(value) is int

    def day(value: Any) -> bool:
        if value in (None, ""):
            return True
        try:
            dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return False
        return True

    return (
        isinstance(answer, dict)
        and answer.get("state") in STATES
        and all(number(answer.get(k)) for k in ("version", "edition_version", "included_version"))
        and day(answer.get("received_at"))
        and day(answer.get("compiled_at"))
        and isinstance(answer.get("problems", []), list)
        and all(isinstance(p, str) for p in answer.get("problems", []))
    )


def province_of(home: Path, url: str, token_file: str) -> Province | None:
    """The province's node as the settings name it (``[survey] province`` and
    ``province_token_file``), or None where they name none. Raises ConfigurationError when
    the token file cannot be read."""
    if not url:
        return None
    return Province(url, read_token_file(home, token_file, "[survey] province_token_file"))
