"""The policy engine: requests, rule packs and decisions (regulations.md)."""

from hgr.policy.engine import Decision, Fired, PackUse, evaluate
from hgr.policy.packs import OUTCOMES, Pack, Rule, load_packs, read_pack
from hgr.policy.request import (
    AccessRequest,
    NodeFacts,
    Organisation,
    RegisteredParty,
    fact_values,
    read_model,
)

__all__ = [
    "OUTCOMES",
    "AccessRequest",
    "Decision",
    "Fired",
    "NodeFacts",
    "Organisation",
    "Pack",
    "PackUse",
    "RegisteredParty",
    "Rule",
    "evaluate",
    "fact_values",
    "load_packs",
    "read_model",
    "read_pack",
]
