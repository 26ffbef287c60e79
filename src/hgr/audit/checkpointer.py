"""Signing checkpoints at an interval while the server runs.

Events are written by requests; a background thread integrates them into the tree and signs a
new checkpoint every ``seconds`` (when the tree grew), and once more on shutdown, so that a
witness copying checkpoints never trails the log by more than one interval.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from hgr.audit.heads import checkpoint
from hgr.crypto.signing import Signer
from hgr.db import Database

__all__ = ["Checkpointer"]

log = logging.getLogger("hgr.audit")


class Checkpointer:
    """A thread that signs a checkpoint every ``seconds``; ``start`` and ``stop`` it."""

    def __init__(self, db: Database, signer: Signer, seconds: float, head_file: Path) -> None:
        self.db, self.signer, self.seconds, self.head_file = db, signer, seconds, head_file
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hgr-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=max(10.0, self.seconds))
        self.once()

    def once(self) -> None:
        """Integrate pending events and sign, now. A failure is logged, not raised: the next
        interval tries again, and requests are never held up by it."""
        try:
            with self.db.transaction() as session:
                checkpoint(session, self.signer, head_file=self.head_file)
        except Exception:
            log.exception("signing the audit checkpoint failed; retrying in %s s", self.seconds)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self.once()
