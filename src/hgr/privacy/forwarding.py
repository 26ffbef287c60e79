"""Questions a node passes on for callers its peers cannot recognise themselves.

A peer checks a GA4GH Passport or OIDC JWT itself, so the network passes those on unchanged
(:mod:`hgr.federation.network`). A node's own API tokens are its secrets and anonymous callers
have no credential at all; without more, a peer would see every such question as one
anonymous caller, the forwarding node's address, and all of that node's users would share one
anonymous allowance there and get booleans.

So a node that holds an account at a peer (``[beacon] peers`` entry with a token file: a
steward's or officer's account, as for the question ledger) asks with that account and says
on whose behalf, in the ``Hgr-Beacon-On-Behalf`` header: the requester's identity, tier,
organisation and country as the forwarding node established them. The peer then:

- believes it only from the federation's nodes (:data:`NODE_ROLES`); anyone else sending the
  header is refused (403), so a researcher cannot claim another identity by adding it;
- gives the requester at most the registered tier: grants are a node's own, so controlled
  access comes only from credentials the peer checks itself;
- names the requester after the forwarding account (``via:<account>|<identity>``), so that one
  node cannot speak for another's users, and charges the daily caps to that name, to the
  organisation, and to the forwarding node itself (``node:<scope>``, with an organisation's
  cap): a node that names a fresh identity on every question is held to its own total, and
  the federation's question ledger sums the organisation's and the node's over every node;
- puts the organisation and country through its own debarment list and policy engine, as for
  its own users.

An identity's questions reach a peer only through the node that knows it, which counted them
against its cap first, so forwarding does not multiply any identity's allowance.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy.orm import Session

from hgr.auth.roles import Principal, Role
from hgr.exceptions import Forbidden, UsageError
from hgr.federation.network import ON_BEHALF_HEADER
from hgr.privacy.exposure import UNKNOWN_COUNTRY, Requester, Tier, with_finding

__all__ = ["NODE_ROLES", "forwarded_requester", "forwarder", "on_behalf"]

# The accounts the federation's nodes hold at one another.
NODE_ROLES = frozenset({Role.INSTITUTION_STEWARD, Role.PROVINCIAL_OFFICER, Role.NATIONAL_OFFICER})
MAX_ON_BEHALF = 2_048  # characters of the header
MAX_IDENTITY = 300
_TIERS = {"anonymous": Tier.ANONYMOUS, "registered": Tier.REGISTERED}
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*\Z")
_COUNTRY = re.compile(r"[A-Z]{2}\Z")  # ISO 3166-1 alpha-2 (ZZ: not told)


def on_behalf(requester: Requester) -> str:
    """The header value that asks a peer on behalf of ``requester`` (at most registered)."""
    tier = min(requester.tier, Tier.REGISTERED)
    anonymous = tier is Tier.ANONYMOUS
    return json.dumps(
        {
            "identity": requester.identity,
            "tier": "anonymous" if anonymous else "registered",
            "organisation": "" if anonymous else requester.organisation,
            "country": UNKNOWN_COUNTRY if anonymous else requester.country,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def forwarded_requester(
    session: Session, principal: Principal, value: str, today: dt.date
) -> Requester:
    """The requester a federation node asks on behalf of (module docstring).

    Raises
    ------
    Forbidden
        The caller is not one of the federation's nodes.
    UsageError
        The header is not as :func:`on_behalf` writes it.
    """
    if not principal.authenticated or principal.role not in NODE_ROLES:
        raise Forbidden(
            f"only the federation's nodes (stewards' and officers' accounts) ask "
            f"on behalf of others: send no {ON_BEHALF_HEADER} header",
            code="E_FORBIDDEN",
        )
    fields = _parse(value)
    identity = f"via:{principal.actor}|{fields['identity']}"[:MAX_IDENTITY]
    requester = Requester(
        identity,
        fields["organisation"],
        fields["country"],
        _TIERS[fields["tier"]],
        forwarder=forwarder(principal),
    )
    return with_finding(session, requester, today)


def forwarder(principal: Principal) -> str:
    """The federation-wide name of the node a forwarding account speaks for: the institution,
    province or nation its account is scoped to, the same at every peer that holds an
    account of it, so that the ledger sums its questions over the network."""
    return principal.scope or "nation"


def _parse(value: str) -> dict[str, str]:
    def bad(why: str) -> UsageError:
        return UsageError(f"{ON_BEHALF_HEADER}: {why}", code="E_ON_BEHALF")

    if len(value) > MAX_ON_BEHALF:
        raise bad(f"longer than {MAX_ON_BEHALF} characters")
    try:
        fields: Any = json.loads(value)
    except ValueError:
        raise bad("not JSON") from None
    expected = {"identity", "tier", "organisation", "country"}
    if not isinstance(fields, dict) or set(fields) != expected:
        raise bad(f"must be a JSON object of exactly {', '.join(sorted(expected))}")
    if not all(isinstance(v, str) and _PRINTABLE.match(v) for v in fields.values()):
        raise bad("every field must be a string without control characters")
    if not 0 < len(fields["identity"]) <= MAX_IDENTITY or len(fields["organisation"]) > 200:
        raise bad(f"identity must have 1 to {MAX_IDENTITY} characters, organisation at most 200")
    if fields["tier"] not in _TIERS:
        raise bad("tier must be anonymous or registered")
    if not _COUNTRY.match(fields["country"]):
        raise bad("country must be an ISO 3166-1 alpha-2 code (ZZ when unknown)")
    if fields["tier"] == "anonymous" and fields["organisation"]:
        raise bad("an anonymous requester has no organisation")
    return {k: str(v) for k, v in fields.items()}
