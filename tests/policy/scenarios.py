"""Requests for the policy tests: a domestic request that nothing restricts, and changes to it."""

from __future__ import annotations

import copy
from typing import Any

from hgr.policy import AccessRequest, NodeFacts

BASE: dict[str, Any] = {
    "id": "REQ-TEST",
    "action": "use",
    "purpose": {"duo": "HMB"},
    "project": "Genetic risk of hypertension",
    "provider": {"name": "Beijing Example Hospital", "country": "CN"},
    "requester": {"name": "Beijing Example University", "country": "CN", "not_for_profit": True},
    "data": {"categories": ["genotype_array"], "persons": 100, "donors_from": ["CN"]},
    "destination_country": "CN",
    "duration_months": 24,
    "ethics_approved": True,
    "written_consent": True,
}

FOREIGN = {"name": "Example University of Oxbridge", "country": "GB", "not_for_profit": True}
PARTNER = {"name": "Shanghai Example Institute", "country": "CN"}
US_BASE = {
    "provider": {"name": "Example Medical Center", "country": "US"},
    "requester": {"name": "Example Medical Center", "country": "US"},
    "data": {"categories": ["whole_genome"], "persons": 50, "donors_from": ["US"]},
    "destination_country": "US",
}
UK_BASE = {
    "provider": {"name": "Example Biobank", "country": "GB"},
    "requester": {"name": "Example Biobank", "country": "GB"},
    "data": {"categories": ["whole_genome"], "persons": 50, "donors_from": ["GB"]},
    "destination_country": "GB",
    "access_mode": "secure_environment",
    "gdpr_basis": "research_safeguards",
}
EU_BASE = {
    "provider": {"name": "Example Klinikum", "country": "DE"},
    "requester": {"name": "Example Klinikum", "country": "DE"},
    "data": {"categories": ["whole_genome"], "persons": 50, "donors_from": ["DE"]},
    "destination_country": "DE",
    "gdpr_basis": "explicit_consent",
}


def merged(base: dict[str, Any], *changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with each of ``changes`` laid over it (nested mappings merged)."""
    out = copy.deepcopy(base)
    for change in changes:
        for key, value in change.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def request(*changes: dict[str, Any]) -> AccessRequest:
    return AccessRequest.model_validate(merged(BASE, *changes))


def facts(**values: Any) -> NodeFacts:
    return NodeFacts.model_validate(values)
