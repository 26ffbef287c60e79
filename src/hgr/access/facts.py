"""What the node knows of a request: the facts the policy engine takes from the node's own
records, never from the requester (regulations.md §0.2: ``is_important_pedigree`` and
``is_specific_region`` from the catalogue; ``debarred`` from the debarment list)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hgr.catalogue import is_protected
from hgr.debarment import finding_for
from hgr.policy.request import AccessRequest, NodeFacts

__all__ = ["node_facts"]

LEVELS = ("none", "discretionary", "mandatory")


def node_facts(session: Session, request: AccessRequest, today: dt.date | None = None,
               **known: object) -> NodeFacts:  # fmt: skip
    """The node's facts about ``request``: the catalogue's protected flags for its cohort, and
    the debarment list's strongest finding for the requester and the recipient (and whoever
    controls them). ``known`` adds what the node records elsewhere (``prior_us_persons_12m``,
    ``nist_800_171_attested``)."""
    today = today or dt.date.today()
    cohort = request.cohort
    pedigree = region = False
    if cohort is not None:
        pedigree = any(is_protected(session, cohort.institution, f) for f in cohort.families)
        region = any(is_protected(session, cohort.institution, p, "region")
                     for p in cohort.populations)  # fmt: skip
    findings = [finding_for(session, org.identifiers, today)
                for org in {request.requester, request.receiver} if org.identifiers]  # fmt: skip
    level = max((f.level for f in findings), key=LEVELS.index, default="none")
    references = sorted({e for f in findings for e in f.entries})
    return NodeFacts.model_validate({
        "important_pedigree": pedigree, "specific_region": region, "debarment": level,
        "debarment_reference": ", ".join(references),
        "cn_ban": any(f.cn_ban for f in findings), "today": today, **known,
    })  # fmt: skip
