"""Catalogue declarations, reviews and the national register as signed documents between nodes.

The catalogue follows the survey's road upward and comes back down (IR Arts. 24-26):

1. an institution signs its **declarations** (every entry it has declared, as declared) and
   sends them to its province;
2. the province reviews them and signs its **review** (each decision with the declared entry
   and the digest of the declaration it came in) and sends it to the nation, with the
   institutions' declarations so that the nation checks what each institution signed;
3. the nation registers or rejects, and signs the **register**: every entry whose road has
   ended (registered, rejected by the nation or by its province), numbered and protected
   where registered. Institution and provincial nodes fetch it, so the policy
   engine everywhere knows which resources are protected.

The documents are survey documents (:mod:`hgr.federation.documents`) of the cycle ``catalogue``:
canonical JSON, Ed25519, each a version of its signer's chain, stored append-only and checked
by ``hgr survey verify``. A declaration left out of a later version is not withdrawn by that:
a declaration is withdrawn only by the reviewers' rejection.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.audit.log import canonical_json
from hgr.catalogue.entries import KINDS, REDECLARABLE
from hgr.catalogue.models import CatalogueEntry
from hgr.crypto import Signer, Verifier
from hgr.dates import utc_now
from hgr.exceptions import Conflict, FormatError, IntegrityBroken, NotFound, UsageError
from hgr.federation.documents import (
    Envelope,
    envelope_of,
    latest_documents,
    sign_document,
    store_document,
    trusted_verifiers,
)
from hgr.federation.models import SignedDocument
from hgr.vocabulary import AffectedStatus, Sex

__all__ = [
    "CYCLE",
    "apply_register",
    "receive_declarations",
    "receive_review",
    "review_package",
    "sign_declarations",
    "sign_register",
    "sign_review",
]

CYCLE = "catalogue"
# What a declaration says; the rest of an entry (status, number, notes) is the reviewers'.
DECLARED = (
    "kind",
    "institution",
    "province",
    "subject",
    "region",
    "condition",
    "trait",
    "generations",
    "affected",
    "evidence",
    "pedigree",
)
DECIDED = ("province_approved", "province_rejected")
FINAL = ("registered", "rejected")
# The register lists every entry whose road has ended, so that the declaring institution
# learns a province's rejection as well as the nation's decision.
ENDED = (*FINAL, "province_rejected")


def declared(entry: CatalogueEntry) -> dict[str, Any]:
    """What the institution declared of ``entry``, as it travels."""
    return {name: getattr(entry, name) for name in DECLARED} | {
        "declared_at": entry.declared_at.isoformat(timespec="seconds")
    }


def _same(entry: CatalogueEntry, content: Mapping[str, Any]) -> bool:
    return all(getattr(entry, name) == content.get(name) for name in DECLARED)


def _find(session: Session, content: Mapping[str, Any]) -> CatalogueEntry | None:
    return session.scalar(
        select(CatalogueEntry).where(
            CatalogueEntry.kind == content["kind"],
            CatalogueEntry.institution == content["institution"],
            CatalogueEntry.subject == content["subject"],
        )
    )


def _entry_content(raw: Any, where: str) -> dict[str, Any]:
    # A signed document can still be wrong in shape: check before anything is written.
    if not isinstance(raw, Mapping) or any(name not in raw for name in DECLARED):
        raise FormatError(f"{where}: an entry names {', '.join(DECLARED)}", code="E_CATALOGUE")
    if raw["kind"] not in KINDS or not isinstance(raw["evidence"], Mapping):
        raise FormatError(
            f"{where}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}", code="E_CATALOGUE"
        )
    try:
        dt.datetime.fromisoformat(str(raw.get("declared_at")))
    except ValueError:
        raise FormatError(f"{where}: declared_at is not a timestamp", code="E_CATALOGUE") from None
    if not all(isinstance(raw[n], int) for n in ("generations", "affected")):
        raise FormatError(
            f"{where}: generations and affected are whole numbers", code="E_CATALOGUE"
        )
    pedigree = raw["pedigree"]
    if pedigree is not None and not (
        isinstance(pedigree, list)
        and all(
            isinstance(p, Mapping)
            and isinstance(p.get("id"), str)
            and p.get("sex") in set(Sex)
            and p.get("affected") in set(AffectedStatus)
            for p in pedigree
        )
    ):
        raise FormatError(
            f"{where}: the pedigree is a list of members with id, sex and affected status",
            code="E_CATALOGUE",
        )
    return dict(raw)


def _put(session: Session, content: Mapping[str, Any], **state: Any) -> CatalogueEntry:
    """Create or overwrite the entry ``content`` describes, in the given state."""
    entry = _find(session, content)
    values = {name: content[name] for name in DECLARED} | state
    values["updated_at"] = utc_now()
    if entry is None:
        entry = CatalogueEntry(
            **({"review_note": "", "protected": False} | values),
            declared_at=dt.datetime.fromisoformat(str(content["declared_at"])),
        )
        session.add(entry)
    else:
        for name, value in values.items():
            setattr(entry, name, value)
    session.flush()
    return entry


def _sign(
    session: Session, signer: Signer, by: Actor, kind: str, subject: str, payload: dict[str, Any]
) -> SignedDocument:
    """The next version of ``subject``'s chain of ``kind`` with ``payload``, or the latest one
    when it says the same already: a send that failed and is tried again then sends the version
    the receiver has not seen, instead of a later one it cannot chain."""
    latest = latest_documents(session, kind, CYCLE, [subject]).get(subject)
    if latest is not None:
        held = envelope_of(latest).content
        if all(held.get(k) == v for k, v in json.loads(canonical_json(payload)).items()):
            return latest
    signed_at = utc_now().isoformat(timespec="seconds")
    body = {
        "kind": kind,
        "cycle": CYCLE,
        "subject": subject,
        "signed_at": signed_at,
        "version": 1 if latest is None else latest.version + 1,
        "replaces": None if latest is None else latest.sha256,
        **payload,
    }
    return store_document(session, by, sign_document(signer, body), [signer.verifier])


def _envelope(sent: Any, kind: str, where: str) -> Envelope:
    envelope = Envelope.from_dict(sent, where)
    content = envelope.content
    if content["kind"] != kind or content["cycle"] != CYCLE:
        raise FormatError(
            f"{where}: a {content['cycle']} {content['kind']} document is not catalogue {kind}",
            code="E_CATALOGUE",
        )
    return envelope


def _keys(session: Session, level: str, subject: str, own: Verifier | None) -> list[Verifier]:
    return [*trusted_verifiers(session, level, subject), *([own] if own else [])]


# -- institution -> province ------------------------------------------------------------------


def sign_declarations(
    session: Session, signer: Signer, by: Actor, institution: str
) -> SignedDocument:
    """Sign the institution's declarations (every entry it declared) as the next version of
    its chain. Raises UsageError when it has declared nothing."""
    entries = session.scalars(
        select(CatalogueEntry)
        .where(CatalogueEntry.institution == institution, CatalogueEntry.declaration.is_(None))
        .order_by(CatalogueEntry.kind, CatalogueEntry.subject)
    ).all()
    if not entries:
        raise UsageError(
            f"{institution} has declared nothing: run `hgr catalogue declare`",
            code="E_CATALOGUE_EMPTY",
        )
    return _sign(
        session,
        signer,
        by,
        "declarations",
        institution,
        {"entries": [declared(e) for e in entries]},
    )


def receive_declarations(
    session: Session, by: Actor, sent: Any, own: Verifier | None = None
) -> SignedDocument:
    """Keep an institution's signed declarations (at its province) and put each entry up for
    review. An entry already approved or registered may not change (Conflict); nothing is
    kept when any entry is refused."""
    envelope = _envelope(sent, "declarations", "declarations")
    content = envelope.content
    institution = str(content["subject"])
    entries = [
        _entry_content(raw, f"declarations entry {n}")
        for n, raw in enumerate(content.get("entries") or [])
    ]
    for entry in entries:
        if entry["institution"] != institution:
            raise IntegrityBroken(
                f"{institution} signed a declaration for {entry['institution']}",
                code="E_CATALOGUE_MISMATCH",
            )
    document = store_document(
        session, by, envelope, _keys(session, "institution", institution, own)
    )
    for entry in entries:
        held = _find(session, entry)
        if held is not None and _same(held, entry):
            continue
        if held is not None and held.status not in REDECLARABLE:
            raise Conflict(
                f"{entry['kind']} {entry['subject']} of {institution} is "
                f"{held.status}: its declaration cannot change now",
                code="E_CATALOGUE_STATE",
            )
        _put(session, entry, status="declared", declaration=document.sha256)
        record(
            session,
            by,
            "catalogue.declare.receive",
            f"catalogue/{entry['kind']}/{institution}/{entry['subject']}",
            detail={"declaration": document.sha256},
        )
    return document


# -- province -> nation -----------------------------------------------------------------------


def sign_review(session: Session, signer: Signer, by: Actor, province: str) -> SignedDocument:
    """Sign the province's decisions on the declarations of its institutions. Raises UsageError
    when it has decided nothing."""
    entries = session.scalars(
        select(CatalogueEntry)
        .where(CatalogueEntry.province == province, CatalogueEntry.status.in_(DECIDED + FINAL))
        .order_by(CatalogueEntry.institution, CatalogueEntry.kind, CatalogueEntry.subject)
    ).all()
    if not entries:
        raise UsageError(
            f"{province} has reviewed no declaration: run `hgr catalogue review`",
            code="E_CATALOGUE_EMPTY",
        )
    decisions = [
        {
            "entry": declared(e),
            "declaration": e.declaration,
            "decision": "reject" if e.status == "province_rejected" else "approve",
            "note": e.review_note,
        }
        for e in entries
    ]
    # The province vouches for the keys its institutions' declarations verify under.
    institutions: dict[str, dict[str, str]] = {}
    named = {e.declaration for e in entries if e.declaration}
    for document in session.scalars(
        select(SignedDocument).where(SignedDocument.sha256.in_(sorted(named)))
    ):
        envelope = envelope_of(document)
        for key in trusted_verifiers(session, "institution", document.subject):
            if envelope.check([key]) is None:
                institutions[document.subject] = {"signer": key.name, "key": key.public.hex()}
    return _sign(
        session,
        signer,
        by,
        "review",
        province,
        {"decisions": decisions, "institutions": institutions},
    )


def review_package(session: Session, review: SignedDocument) -> dict[str, Any]:
    """The review with every declaration it names, each chain from its first version: what a
    province sends the nation."""
    content = envelope_of(review).content
    named = {d["declaration"] for d in content["decisions"] if d["declaration"]}
    newest: dict[str, int] = {}
    for document in session.scalars(
        select(SignedDocument).where(SignedDocument.sha256.in_(sorted(named)))
    ):
        newest[document.subject] = max(newest.get(document.subject, 0), document.version)
    chains = session.scalars(
        select(SignedDocument)
        .where(
            SignedDocument.kind == "declarations",
            SignedDocument.cycle == CYCLE,
            SignedDocument.subject.in_(sorted(newest)),
        )
        .order_by(SignedDocument.subject, SignedDocument.version)
    ).all()
    return {
        "review": envelope_of(review).as_dict(),
        "declarations": [
            envelope_of(d).as_dict() for d in chains if d.version <= newest[d.subject]
        ],
    }


def _declared_in(envelopes: Iterable[Envelope]) -> dict[str, dict[tuple[str, str], Any]]:
    return {
        e.sha256: {(x["kind"], x["subject"]): x for x in e.content.get("entries") or []}
        for e in envelopes
    }


def receive_review(
    session: Session, by: Actor, sent: Any, own: Verifier | None = None
) -> SignedDocument:
    """Keep a province's signed review and the declarations it names (at the nation), and put
    each approved entry up for registration.

    Every declaration must verify under the key the review names for its institution (or one
    trusted here), and each decided entry must be exactly what its institution declared.
    """
    if not isinstance(sent, Mapping) or not isinstance(sent.get("declarations"), list):
        raise FormatError(
            "a review package is an object with `review` and a list of `declarations`",
            code="E_PACKAGE",
        )
    review = _envelope(sent.get("review"), "review", "review")
    content = review.content
    province = str(content["subject"])
    document = store_document(session, by, review, _keys(session, "province", province, own))
    vouched = {
        code: Verifier(k["signer"], bytes.fromhex(k["key"]))
        for code, k in (content.get("institutions") or {}).items()
    }
    declarations = [
        _envelope(raw, "declarations", f"review package declaration {n}")
        for n, raw in enumerate(sent["declarations"])
    ]
    for envelope in declarations:
        institution = str(envelope.content["subject"])
        keys = _keys(session, "institution", institution, own)
        keys += [vouched[institution]] if institution in vouched else []
        store_document(session, by, envelope, keys)
    signed = _declared_in(declarations)
    for n, decision in enumerate(content.get("decisions") or []):
        entry = _entry_content(decision.get("entry"), f"review decision {n}")
        if entry["province"] != province:
            raise IntegrityBroken(
                f"{province} reviewed an entry of province {entry['province']}",
                code="E_CATALOGUE_MISMATCH",
            )
        digest = decision.get("declaration")
        if digest is not None:
            original = signed.get(digest, {}).get((entry["kind"], entry["subject"]))
            if original is None or any(original.get(k) != entry[k] for k in DECLARED):
                raise IntegrityBroken(
                    f"review decision {n}: {entry['subject']} is not what "
                    f"{entry['institution']} declared in {str(digest)[:12]}",
                    code="E_CATALOGUE_MISMATCH",
                )
        status = (
            "province_approved" if decision.get("decision") == "approve" else ("province_rejected")
        )
        held = _find(session, entry)
        if held is not None and held.status in FINAL:
            if not _same(held, entry):
                raise Conflict(
                    f"{entry['kind']} {entry['subject']} of {entry['institution']} "
                    f"is {held.status} already",
                    code="E_CATALOGUE_STATE",
                )
            continue
        _put(
            session,
            entry,
            status=status,
            declaration=digest,
            review_note=str(decision.get("note") or ""),
        )
        record(
            session,
            by,
            "catalogue.review.receive",
            f"catalogue/{entry['kind']}/{entry['institution']}/{entry['subject']}",
            detail={"status": status, "review": review.sha256},
        )
    return document


# -- nation -> everyone -----------------------------------------------------------------------


def sign_register(session: Session, signer: Signer, by: Actor, nation: str) -> SignedDocument:
    """Sign the national register: every registered or rejected entry, as decided."""
    entries = session.scalars(
        select(CatalogueEntry).where(CatalogueEntry.status.in_(ENDED)).order_by(CatalogueEntry.id)
    ).all()
    listed = [
        declared(e)
        | {"status": e.status, "number": e.number, "protected": e.protected, "note": e.review_note}
        for e in entries
    ]
    return _sign(session, signer, by, "register", nation, {"entries": listed})


def apply_register(
    session: Session, by: Actor, sent: Any, nation: str, own: Verifier | None = None
) -> SignedDocument:
    """Keep the nation's signed register and take its decisions: the register is the
    authority on which entries are registered and protected."""
    envelope = _envelope(sent, "register", "register")
    if envelope.content["subject"] != nation:
        raise IntegrityBroken(
            f"the register is signed for {envelope.content['subject']}, not {nation}",
            code="E_CATALOGUE_MISMATCH",
        )
    listed = []
    for n, raw in enumerate(envelope.content.get("entries") or []):
        entry = _entry_content(raw, f"register entry {n}")
        if entry.get("status") not in ENDED:
            raise FormatError(
                f"register entry {n}: status {entry.get('status')!r}", code="E_CATALOGUE"
            )
        listed.append(entry)
    document = store_document(session, by, envelope, _keys(session, "nation", nation, own))
    for entry in listed:
        held = _find(session, entry)
        if held is not None and (held.status, held.number) == (entry["status"], entry["number"]):
            continue
        number = entry["number"]
        taken = number and session.scalar(
            select(CatalogueEntry).where(CatalogueEntry.number == number)
        )
        if taken and taken is not held:
            raise Conflict(
                f"register number {number} is held here by another entry", code="E_CATALOGUE_STATE"
            )
        _put(
            session,
            entry,
            status=entry["status"],
            number=number,
            protected=bool(entry["protected"]),
            review_note=str(entry.get("note") or ""),
            declaration=held.declaration if held is not None else None,
        )
        record(
            session,
            by,
            "catalogue.register.receive",
            f"catalogue/{entry['kind']}/{entry['institution']}/{entry['subject']}",
            detail={"status": entry["status"], "number": number},
        )
    return document


def latest_register(session: Session, nation: str) -> SignedDocument:
    """The nation's latest signed register; NotFound when none is held."""
    found = latest_documents(session, "register", CYCLE, [nation]).get(nation)
    if found is None:
        raise NotFound(f"no catalogue register of {nation} is held", code="E_NO_REGISTER")
    return found
