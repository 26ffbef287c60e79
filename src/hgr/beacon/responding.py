"""One Beacon question answered end to end: who asks, the node's own answer (audited where
it reaches records), and the answers of the network's other beacons merged into it.

The HTTP route reads the request (who, from where, on whose behalf, by which peers it came)
into an :class:`Asker` and renders what :meth:`Responder.respond` returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.auth.roles import Principal
from hgr.beacon.framework import BeaconIdentity
from hgr.beacon.query import BeaconQuery
from hgr.beacon.service import Plan, answer_planned, lowest, plan
from hgr.crypto import NodeKeys
from hgr.dates import utc_now
from hgr.db import Database
from hgr.exceptions import HgrError
from hgr.federation.ledger import RemoteLedger
from hgr.federation.network import MAX_VIA, ask_peers, forwardable, merge
from hgr.privacy.exposure import Requester, requester_for
from hgr.privacy.forwarding import forwarded_requester, on_behalf
from hgr.privacy.questions import charge_at_ledger, charge_here

__all__ = ["NETWORK_ENTRIES", "RECORD_ENTRIES", "Asker", "Responder"]

NETWORK_ENTRIES = ("g_variants", "individuals", "biosamples")  # asked of the peers too
RECORD_ENTRIES = NETWORK_ENTRIES  # whose record-level answers are audited


@dataclass(frozen=True)
class Asker:
    """Who asks, as the request tells it: the caller, their address, the holder a peer node
    asks on behalf of (None for a direct question), their credential as sent, the beacons the
    question has passed through, and the question as asked (query parameters or body)."""

    principal: Principal
    address: str
    behalf: str | None = None
    authorization: str | None = None
    via: tuple[str, ...] = ()
    request_id: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Responder:
    """A node's Beacon: its database, files and keys, the federation's question ledger where
    another node keeps it, and its peers (address -> name) with this node's accounts there."""

    db: Database
    home: Path
    keys: NodeKeys
    ledger: RemoteLedger | None = None
    peers: Mapping[str, str] = field(default_factory=dict)
    node_tokens: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0

    @staticmethod
    def _requester(session: Session, asker: Asker, today: dt.date) -> Requester:
        """Who asks, as this node knows them today."""
        if asker.behalf is None:
            return requester_for(session, asker.principal, asker.address, today)
        return forwarded_requester(session, asker.principal, asker.behalf, today)

    def respond(self, beacon: BeaconIdentity, asker: Asker, query: BeaconQuery) -> dict[str, Any]:
        """The Beacon v2 response to ``query``: this node's answer and, for the entries the
        network shares, its peers' answers merged in."""
        now = utc_now()
        today = now.date()
        question = query.question()
        before: Plan | None = None
        if self.ledger is not None:
            # The federation's ledger is asked first, over the network, outside any
            # transaction and any writer's turn; the question is planned for it in a reader.
            with self.db.reader() as session:
                requester = self._requester(session, asker, today)
                before = plan(session, self.home, requester, query, now)
            charge_at_ledger(
                self.ledger, requester, today, question, cost=before.cost, tier=before.tier
            )
        refusal: HgrError | None = None
        # Every question writes (its caps, the alleles it decides): on SQLite the questions
        # take turns rather than fail when one takes longer than SQLite waits.
        with self.db.one_writer(), self.db.transaction() as session:
            requester = self._requester(session, asker, today)
            planned = plan(session, self.home, requester, query, now)
            charge_here(
                session,
                requester,
                today,
                question,
                cost=planned.cost,
                tier=planned.tier,
                ledger_here=self.ledger is None,
            )
            if before is not None:
                # Planned again after the ledger's answer: an exposure lowered, a grant ended
                # or a debarment meanwhile counts (each dataset at the lower of two levels).
                planned = lowest(before, planned)
            # The question is paid for before anything is read, and the charge stands
            # whatever the answer: a refusal that depends on the data (a range over too many
            # records) undoes the answer's work only.
            answering = session.begin_nested()
            try:
                document = answer_planned(
                    session, self.keys, beacon, requester, query, planned, now
                )
            except HgrError as exc:
                answering.rollback()
                refusal = exc
            else:
                answering.commit()
                if (
                    document["meta"]["returnedGranularity"] == "record"
                    and query.entry in RECORD_ENTRIES
                ):
                    record(
                        session,
                        Actor(asker.principal.actor, asker.principal.role.value),
                        "beacon.records",
                        f"api/{query.entry}",
                        grounds="controlled-access grant",
                        request_id=asker.request_id,
                        detail={
                            "question": question[:1000],
                            "results": document["responseSummary"].get("numTotalResults", 0),
                        },
                    )
        if refusal is not None:
            raise refusal
        if query.target is not None:
            return document  # an entry by the id this beacon gave it: no peer holds it
        if not self.peers or query.entry not in NETWORK_ENTRIES:
            return document
        # After the transaction: no database work waits on other nodes. A caller the peers
        # cannot check themselves is vouched for by this node where it holds an account there
        # (hgr.privacy.forwarding).
        credential = None if asker.behalf is not None else forwardable(asker.authorization)
        vouched = on_behalf(requester) if self.node_tokens else None
        answers = ask_peers(
            dict(self.peers),
            query.entry,
            dict(asker.params),
            asker.body,
            credential,
            [*asker.via[:MAX_VIA], beacon.id],
            self.timeout,
            node_tokens=self.node_tokens,
            on_behalf=vouched,
        )
        return merge(document, beacon.id, answers, query.granularity)
