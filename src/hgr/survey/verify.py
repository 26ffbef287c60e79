"""``hgr survey verify``: every signature, digest and version chain, down to the returns.

Each stored document must hash to its digest, be in canonical form, and be signed by a key
trusted for its subject: the cycle and national editions by the nation's keys, provincial
editions by the province's, returns by the institution's, or by the key a verified
provincial edition names for them (the province vouches for the institutions it compiled).
Each version after the first must replace the one before it; each edition must name
documents that are held, with the digests it names. The catalogue's documents (declarations,
reviews, the register: hgr.catalogue.exchange) are checked the same way, a review vouching
for its institutions' keys as a provincial edition does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.crypto import Verifier
from hgr.federation.documents import (
    LEVEL_OF_KIND,
    envelope_of,
    recorded_versions,
    trusted_verifiers,
)
from hgr.federation.models import SignedDocument

__all__ = ["SurveyCheck", "verify_survey"]


@dataclass
class SurveyCheck:
    """What ``verify_survey`` checked and what it found wrong."""

    documents: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_survey(
    session: Session, cycle: str | None = None, own: Verifier | None = None
) -> SurveyCheck:
    """Check every survey document (of ``cycle``, or of all cycles)."""
    query = select(SignedDocument).order_by(SignedDocument.id)
    if cycle is not None:
        query = query.where(SignedDocument.cycle == cycle)
    documents = list(session.scalars(query))
    by_digest = {d.sha256: d for d in documents}
    problems: list[str] = []
    vouched: dict[tuple[str, str], list[Verifier]] = defaultdict(list)
    name = {d.id: f"{d.cycle}/{d.kind}/{d.subject}/v{d.version}" for d in documents}

    def trusted(document: SignedDocument) -> list[Verifier]:
        level = LEVEL_OF_KIND[document.kind]
        keys = trusted_verifiers(session, level, document.subject) + ([own] if own else [])
        return keys + vouched.get((document.cycle, document.subject), [])

    # Editions first, so that the keys they vouch for are known when returns are checked.
    rank = {
        "cycle": 0,
        "nation": 1,
        "final": 1,
        "register": 1,
        "debarment": 1,
        "province": 2,
        "review": 2,
        "return": 3,
        "declarations": 3,
    }
    for document in sorted(documents, key=lambda d: (rank[d.kind], d.id)):
        envelope = envelope_of(document)
        why = envelope.check(trusted(document))
        if why:
            problems.append(f"{name[document.id]}: {why}")
            continue
        content = envelope.content
        header = (
            content["kind"],
            content["cycle"],
            content["subject"],
            content["version"],
            content["replaces"],
        )
        stored = (
            document.kind,
            document.cycle,
            document.subject,
            document.version,
            document.replaces,
        )
        if header != stored:
            problems.append(f"{name[document.id]}: the stored header differs from the signed one")
        if document.version > 1:
            before = by_digest.get(document.replaces or "")
            if before is None or (before.kind, before.subject, before.version) != (
                document.kind,
                document.subject,
                document.version - 1,
            ):
                problems.append(
                    f"{name[document.id]}: it does not replace version "
                    f"{document.version - 1} of its chain"
                )
        elif document.replaces is not None:
            problems.append(f"{name[document.id]}: a first version replaces nothing")
        if document.kind == "final":
            named = by_digest.get(str(content.get("edition")))
            if named is None or (named.kind, named.subject) != ("nation", document.subject):
                problems.append(
                    f"{name[document.id]}: it signs off an edition of {document.subject} "
                    "that is not held"
                )
        if document.kind == "province":
            for entry in content.get("returns", []):
                vouched[(document.cycle, entry["institution"])].append(
                    Verifier(entry["signer"], bytes.fromhex(entry["key"]))
                )
                # A province vouches only with the keys its institutions registered here
                # (hgr.survey.editions), whatever reached the table past the receiving code.
                known = {
                    v.public
                    for v in trusted_verifiers(session, "institution", entry["institution"])
                }
                known |= {own.public} if own else set()
                if bytes.fromhex(entry["key"]) not in known:
                    problems.append(
                        f"{name[document.id]}: vouches for {entry['institution']} "
                        "with a key not registered here"
                    )
                held = by_digest.get(entry["sha256"])
                if held is None or held.subject != entry["institution"]:
                    problems.append(
                        f"{name[document.id]}: names return {entry['sha256'][:12]} "
                        f"of {entry['institution']}, which is not held"
                    )
        if document.kind == "review":
            for institution, key in content.get("institutions", {}).items():
                vouched[(document.cycle, institution)].append(
                    Verifier(key["signer"], bytes.fromhex(key["key"]))
                )
            for decision in content.get("decisions", []):
                held = by_digest.get(decision.get("declaration") or "")
                if decision.get("declaration") and held is None:
                    digest = decision["declaration"][:12]
                    problems.append(
                        f"{name[document.id]}: names declaration {digest}, which is not held"
                    )
        if document.kind == "nation":
            for province, entry in content.get("provinces", {}).items():
                held = by_digest.get(entry["edition"])
                if held is None or held.subject != province:
                    digest = entry["edition"][:12]
                    problems.append(
                        f"{name[document.id]}: names edition {digest} of "
                        f"{province}, which is not held"
                    )
    # A version the audit log records as stored must still be held: deleting the latest
    # version of a chain (undoing a correction) leaves a chain that verifies on its own.
    held_digests = set(session.scalars(select(SignedDocument.sha256)))
    for digest, (chain, version, _action) in sorted(
        recorded_versions(session, cycle).items(), key=lambda item: item[1]
    ):
        if digest not in held_digests:
            problems.append(
                f"{chain}/v{version}: recorded in the audit log ({digest[:12]}) "
                "but missing: a version was removed"
            )
    return SurveyCheck(len(documents), problems)
