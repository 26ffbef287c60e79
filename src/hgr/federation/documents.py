"""Signed survey documents: canonical JSON, Ed25519, versions that replace versions.

A document is the canonical JSON of its body (sorted keys, no whitespace), its SHA-256, and
an Ed25519 signature over that text by the node that speaks for the document's subject. The
body itself names its kind, cycle, subject, version and the digest it replaces, so the
signature covers them: a province cannot pass one institution's return off as another's, and
nobody can splice a correction into another chain.

What travels between nodes is the envelope (:class:`Envelope`); what is stored is the same
envelope, unchanged, in the append-only ``survey_document`` table.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.audit.log import canonical_json
from hgr.audit.models import AuditEvent
from hgr.crypto import Signer, Verifier
from hgr.dates import utc_now
from hgr.exceptions import Conflict, FormatError, IntegrityBroken
from hgr.federation.models import SignedDocument, TrustedKey

__all__ = [
    "KINDS",
    "Envelope",
    "envelope_of",
    "latest_anchored",
    "latest_documents",
    "recorded_versions",
    "sign_document",
    "store_document",
    "trust_key",
    "trusted_verifiers",
]

# The survey's documents, then the catalogue's (hgr.catalogue.exchange, cycle "catalogue"),
# then the nation's debarment list (hgr.debarment.national, cycle "debarment").
KINDS = (
    "cycle",
    "return",
    "province",
    "nation",
    "final",
    "declarations",
    "review",
    "register",
    "debarment",
)
LEVEL_OF_KIND = {
    "cycle": "nation",
    "return": "institution",
    "province": "province",
    "nation": "nation",
    "final": "nation",  # the nation's sign-off: which national edition is published
    "declarations": "institution",
    "review": "province",
    "register": "nation",
    "debarment": "nation",
}
_HEADER = ("kind", "cycle", "subject", "version", "replaces")


@dataclass(frozen=True)
class Envelope:
    """A signed document as it travels and is stored."""

    body: str
    sha256: str
    signer: str
    key_id: str
    signature: str

    @property
    def content(self) -> dict[str, Any]:
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value

    def as_dict(self) -> dict[str, str]:
        return {
            "body": self.body,
            "sha256": self.sha256,
            "signer": self.signer,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, value: Any, origin: str = "document") -> Envelope:
        """An envelope from its JSON form; FormatError when a part is missing or malformed."""
        names = ("body", "sha256", "signer", "key_id", "signature")
        if not isinstance(value, Mapping) or any(not isinstance(value.get(n), str) for n in names):
            raise FormatError(
                f"{origin}: a signed document has the string fields {', '.join(names)}",
                code="E_DOCUMENT",
            )
        envelope = cls(*(value[n] for n in names))
        try:
            content = envelope.content
        except (json.JSONDecodeError, AssertionError):
            raise FormatError(
                f"{origin}: the body is not a JSON object", code="E_DOCUMENT"
            ) from None
        missing = [h for h in _HEADER if h not in content]
        if missing or content.get("kind") not in KINDS:
            raise FormatError(
                f"{origin}: the body lacks {', '.join(missing) or 'a known kind'}",
                code="E_DOCUMENT",
            )
        return envelope

    def check(self, verifiers: list[Verifier]) -> str | None:
        """Why this envelope does not verify under any of ``verifiers`` (None: it does)."""
        if hashlib.sha256(self.body.encode()).hexdigest() != self.sha256:
            return "its SHA-256 does not match its body"
        if canonical_json(self.content) != self.body:
            return "its body is not in canonical form"
        try:
            signature = base64.b64decode(self.signature, validate=True)
        except ValueError:
            return "its signature is not base64"
        for verifier in verifiers:
            if verifier.key_id == self.key_id and verifier.verify(self.body.encode(), signature):
                return None
        return f"no trusted key of {self.signer} (key {self.key_id}) signed it"


def sign_document(signer: Signer, body: Mapping[str, Any]) -> Envelope:
    """Sign ``body`` (which carries the kind, cycle, subject, version and replaces fields)."""
    missing = [h for h in _HEADER if h not in body]
    assert not missing, f"a survey document names {', '.join(missing)}"
    text = canonical_json(body)
    return Envelope(
        body=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        signer=signer.name,
        key_id=signer.key_id,
        signature=base64.b64encode(signer.sign(text.encode())).decode(),
    )


def trust_key(session: Session, by: Actor, level: str, subject: str, verifier: Verifier) -> bool:
    """Trust ``verifier`` to sign for ``subject`` at ``level``; False if it already was."""
    if level not in set(LEVEL_OF_KIND.values()):
        raise FormatError(f"level {level!r} is not institution, province or nation", code="E_LEVEL")
    found = session.scalar(
        select(TrustedKey).where(
            TrustedKey.level == level,
            TrustedKey.subject == subject,
            TrustedKey.key_id == verifier.key_id,
        )
    )
    if found is not None:
        return False
    session.add(
        TrustedKey(
            level=level,
            subject=subject,
            signer=verifier.name,
            public_key=verifier.public.hex(),
            key_id=verifier.key_id,
            added_at=utc_now(),
        )
    )
    record(
        session,
        by,
        "survey.key.trust",
        f"survey/keys/{level}/{subject}",
        detail={"signer": verifier.name, "key_id": verifier.key_id},
    )
    return True


def trusted_verifiers(session: Session, level: str, subject: str) -> list[Verifier]:
    """The keys trusted to sign for ``subject`` at ``level``."""
    rows = session.execute(
        select(TrustedKey.signer, TrustedKey.public_key).where(
            TrustedKey.level == level, TrustedKey.subject == subject
        )
    )
    return [Verifier(signer, bytes.fromhex(public)) for signer, public in rows]


def store_document(
    session: Session, by: Actor, envelope: Envelope, verifiers: list[Verifier]
) -> SignedDocument:
    """Verify ``envelope`` and keep it; a version must replace the latest one of its chain.

    Storing the same envelope twice is harmless (it is returned as stored). Raises
    IntegrityBroken when it does not verify, Conflict when its version does not follow.
    """
    problem = envelope.check(verifiers)
    if problem:
        raise IntegrityBroken(f"refusing a survey document: {problem}", code="E_SIGNATURE")
    same = session.scalar(select(SignedDocument).where(SignedDocument.sha256 == envelope.sha256))
    if same is not None:
        return same
    content = envelope.content
    kind, cycle, subject = content["kind"], content["cycle"], content["subject"]
    version, replaces = content["version"], content["replaces"]
    latest = session.scalar(
        select(SignedDocument)
        .where(
            SignedDocument.kind == kind,
            SignedDocument.cycle == cycle,
            SignedDocument.subject == subject,
        )
        .order_by(SignedDocument.version.desc())
        .limit(1)
    )
    expected = (1, None) if latest is None else (latest.version + 1, latest.sha256)
    if (version, replaces) != expected:
        raise Conflict(
            f"{kind} of {subject} for {cycle}: version {version} replacing {replaces or 'nothing'}"
            f" does not follow the stored chain (expected version {expected[0]} replacing "
            f"{expected[1] or 'nothing'})",
            code="E_VERSION",
        )
    document = SignedDocument(
        kind=kind,
        cycle=cycle,
        subject=subject,
        version=version,
        replaces=replaces,
        body=envelope.body,
        sha256=envelope.sha256,
        signer=envelope.signer,
        key_id=envelope.key_id,
        signature=envelope.signature,
        received_at=utc_now(),
    )
    session.add(document)
    try:
        session.flush()
    except IntegrityError as exc:  # the same version stored by another transaction meanwhile
        raise Conflict(
            f"{kind} of {subject} for {cycle}: version {version} was stored by another request "
            "at the same time; nothing was written: fetch the chain and send again",
            code="E_VERSION",
        ) from exc
    record(
        session,
        by,
        f"survey.{kind}.store",
        f"survey/{cycle}/{kind}/{subject}/v{version}",
        detail={"sha256": envelope.sha256, "replaces": replaces},
    )
    return document


def recorded_versions(
    session: Session, cycle: str | None = None
) -> dict[str, tuple[str, int, str]]:
    """Every survey document the audit log records as stored (of ``cycle``, or of all
    cycles): digest -> (chain, version, action), the chain being ``cycle/kind/subject``. The
    audit log is append-only and anchored in signed checkpoints (``hgr audit verify``), so
    it remembers a version that has since been deleted from the documents."""
    prefix = f"survey/{cycle}/" if cycle is not None else "survey/"
    A = AuditEvent
    rows = session.execute(
        select(A.target, A.detail, A.action).where(
            A.action.like("survey.%.store"), A.target.like(f"{prefix}%")
        )
    )
    out = {}
    for target, detail, action in rows:
        chain, _, version = str(target).removeprefix("survey/").rpartition("/v")
        digest = (detail or {}).get("sha256")
        if digest and version.isdigit():
            out[str(digest)] = (chain, int(version), str(action))
    return out


def latest_anchored(session: Session, kind: str, cycle: str, subject: str) -> SignedDocument | None:
    """The latest stored version of a chain, refused when the audit log records a later
    version that is no longer held (a rollback: a correction deleted, the older version left
    to be published).

    Raises
    ------
    IntegrityBroken
        The audit log knows a later version than the documents hold.
    """
    latest = latest_documents(session, kind, cycle, [subject]).get(subject)
    chain = f"{cycle}/{kind}/{subject}"
    known = max(
        (v for c, v, _a in recorded_versions(session, cycle).values() if c == chain), default=0
    )
    held = latest.version if latest is not None else 0
    if known > held:
        raise IntegrityBroken(
            f"the {kind} of {subject} for {cycle} is at version {known} in the "
            f"audit log, but version {held or 'none'} is the latest held: a "
            "later version was removed; restore it from a backup before "
            "publishing",
            code="E_SURVEY_ROLLBACK",
        )
    return latest


def envelope_of(document: SignedDocument) -> Envelope:
    return Envelope(
        document.body, document.sha256, document.signer, document.key_id, document.signature
    )


def latest_documents(
    session: Session, kind: str, cycle: str, subjects: Collection[str] | None = None
) -> dict[str, SignedDocument]:
    """The latest version of each subject's document of ``kind`` in ``cycle`` (of the given
    ``subjects`` only, when named: returns are large, and a province reads its own)."""
    where = [SignedDocument.kind == kind, SignedDocument.cycle == cycle]
    if subjects is not None:
        where.append(SignedDocument.subject.in_(sorted(subjects)))
    newest = (
        select(SignedDocument.subject, func.max(SignedDocument.version).label("version"))
        .where(*where)
        .group_by(SignedDocument.subject)
        .subquery()
    )
    rows = session.scalars(
        select(SignedDocument)
        .join(
            newest,
            (SignedDocument.subject == newest.c.subject)
            & (SignedDocument.version == newest.c.version),
        )
        .where(*where)
    )
    return {d.subject: d for d in rows}
