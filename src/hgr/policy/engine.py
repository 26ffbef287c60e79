"""The policy engine: a pure function from (request, node facts, rule packs) to a decision.

A pack applies when its ``applies_when`` holds and none of its exemptions does; in an applied
pack every rule whose condition holds fires. The decision's outcome is the most restrictive
outcome of the rules that fired (allow < notify < approval < security review < prohibited;
regulations.md §0.3), and the decision lists every rule that fired, with its citation, its
plain-language reason and the obligations it creates: under China's rules a provision that needs
a security review still needs its filing and information backup, so nothing is dropped for being
less restrictive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hgr.policy.conditions import holds
from hgr.policy.packs import OUTCOMES, Obligation, Pack, Rule
from hgr.policy.request import AccessRequest, NodeFacts, fact_values, foreign_party

__all__ = ["Decision", "Fired", "PackUse", "evaluate"]


@dataclass(frozen=True)
class Fired:
    """A rule (or exemption) whose condition held."""

    pack: str
    rule: Rule

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "rule": self.rule.id,
            "outcome": self.rule.outcome,
            "citation": self.rule.citation,
            "reason": self.rule.reason,
            "check": self.rule.check,
        }


@dataclass(frozen=True)
class PackUse:
    """Whether a pack applied to the request, and why not when it did not."""

    pack: str
    version: str
    applied: bool
    why: str


@dataclass(frozen=True)
class Decision:
    request: str
    outcome: str
    packs: list[PackUse]
    fired: list[Fired]
    exempted: list[Fired] = field(default_factory=list)
    # Where the node's count differs from the request's declaration, what was decided on.
    counted: list[str] = field(default_factory=list)

    @property
    def obligations(self) -> list[tuple[str, Obligation]]:
        """Every obligation of the rules that fired, with the rule that creates it."""
        return [(f.rule.id, o) for f in self.fired for o in f.rule.obligations]

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "outcome": self.outcome,
            "packs": [p.__dict__ for p in self.packs],
            "rules": [f.as_dict() for f in self.fired],
            "exemptions": [f.as_dict() for f in self.exempted],
            "counted": list(self.counted),
            "obligations": [
                {
                    "rule": f.rule.id,
                    "citation": f.rule.citation,
                    "kind": o.kind,
                    "text": o.text,
                    "due_months": o.due_months,
                }
                for f in self.fired
                for o in f.rule.obligations
            ],
        }


def evaluate(request: AccessRequest, facts: NodeFacts, packs: Sequence[Pack]) -> Decision:
    """Decide ``request`` under ``packs`` given what the node knows (``facts``)."""
    values = fact_values(request, facts)
    uses: list[PackUse] = []
    fired: list[Fired] = []
    exempted: list[Fired] = []
    for pack in packs:
        if not holds(pack.applies_when, values, pack.sets):
            uses.append(
                PackUse(pack.id, pack.version, False, "its scope does not cover this request")
            )
            continue
        exemptions = [
            Fired(pack.id, e) for e in pack.exemptions if holds(e.when, values, pack.sets)
        ]
        if exemptions:
            exempted += exemptions
            ids = ", ".join(e.rule.id for e in exemptions)
            uses.append(PackUse(pack.id, pack.version, False, f"exempted by {ids}"))
            continue
        uses.append(PackUse(pack.id, pack.version, True, ""))
        fired += [Fired(pack.id, r) for r in pack.rules if holds(r.when, values, pack.sets)]
    outcome = max((f.rule.outcome for f in fired), key=OUTCOMES.index, default="allow")
    counted = []
    declared, persons = request.data.persons, facts.persons
    if persons is not None and persons > declared:
        counted.append(
            f"declared {declared} persons; the node counts {persons} in the "
            f"cohort, and decided on {persons}"
        )
    elif persons is not None and persons < declared:
        counted.append(
            f"declared {declared} persons; the node counts {persons} in the "
            f"cohort, and decided on the {declared} declared"
        )
    lives = [j for j in facts.jurisdictions if j not in request.data.donors_from]
    if lives:
        us = f" ({facts.us_persons} US persons)" if "US" in lives and facts.us_persons else ""
        counted.append(
            f"declared donors from {', '.join(request.data.donors_from)}; the cohort "
            f"holds donors of {', '.join(lives)}{us}, and decided on both"
        )
    extra = [str(c) for c in facts.categories if c not in request.data.categories]
    if extra:
        asked = ", ".join(str(c) for c in request.data.categories)
        counted.append(
            f"declared {asked}; an export of the cohort also releases "
            f"{', '.join(extra)}, as the node's registry holds them, and decided on "
            "both"
        )
    parties = {
        "provider": request.provider,
        "requester": request.requester,
        "recipient": request.receiver,
        "domestic_partner": request.domestic_partner,
    }
    for role, known in sorted(facts.parties.items()):
        party = parties.get(role)
        if party is None:
            continue
        if party.country is None:
            continue  # named by key alone: nothing declared to differ from the registry
        said = [f"country {party.country}"] if party.country != known.country else []
        if foreign_party(party) != known.foreign_party:
            said.append("a foreign party" if foreign_party(party) else "not a foreign party")
        if said:
            registry = f"country {known.country}, " + (
                "a foreign party" if known.foreign_party else "not a foreign party"
            )
            counted.append(
                f"the {role.replace('_', ' ')} declared {' and '.join(said)}; the "
                f"registry holds {known.key}: {registry}, and decided on the "
                "registry"
            )
    return Decision(request.id, outcome, uses, fired, exempted, counted)
