"""Filing, export packages and withdrawal notices: what leaves the node, and what follows it.

* **Filing** (HGR Reg. Art. 28 ¶2; regulations.md CN-12): before an outbound provision a filing
  record is made of the recipient, the data, the legal basis (every rule that fired, with its
  citation) and the SHA-256 of the information backup deposited with the authority. A request
  whose decision asks for a filing, or whose data leaves the provider's country, cannot start
  without one.
* **Export** (an approved, active request only): the donors of its cohort whose consent allows
  its use *at the moment of export* (:func:`hgr.access.consent.eligible_donors`), with only the
  requested fields, known to the recipient by identifiers of this request alone (so two exports
  cannot be joined on them). The table is Crypt4GH-encrypted to the recipient's registered key;
  ``manifest.json`` lists every file with its plaintext and encrypted SHA-256 (Crypt4GH does not
  detect truncation at a segment boundary) and is signed with the node's Ed25519 key. Every
  package is audited.
* **Withdrawal**: when a donor of an export withdraws, a notice is published to the recipient
  (``GET /access/notices``) and the request is flagged.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crypt4gh import lib as c4gh_lib
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.access.consent import ProposedUse, eligible_donors, standing
from hgr.access.facts import (
    GENOTYPE_CATEGORIES,
    cohort_donors,
    counted,
    ethics_standing,
    node_facts,
)
from hgr.access.models import (
    ExportPackage,
    Filing,
    RequestRecord,
    RequestStatus,
    WithdrawalNotice,
)
from hgr.access.ontology import DiseaseOntology
from hgr.audit import Actor, record
from hgr.audit.log import canonical_json
from hgr.crypto import NodeKeys, Signer, file_sha256
from hgr.dates import utc_now, utc_today
from hgr.db import after_commit
from hgr.exceptions import Conflict, UsageError
from hgr.genotypes.export import write_vcf_subset
from hgr.genotypes.raw_files import recipient_key
from hgr.genotypes.store import current_store, open_store, store_columns
from hgr.policy import OUTCOMES, AccessRequest, NodeFacts, Pack, evaluate
from hgr.registry import models as m

__all__ = [
    "ExportResult",
    "file_provision",
    "make_export",
    "needs_filing",
    "publish_withdrawals",
    "recipient_id",
    "register_key",
]

MANIFEST_FORMAT = "hgr-export/1"


def _request(entry: RequestRecord) -> AccessRequest:
    return AccessRequest.model_validate(entry.body)


def needs_filing(entry: RequestRecord) -> bool:
    """Whether the request may start only after a filing: its decision asks for one, or its
    data leaves the provider's country."""
    request = _request(entry)
    kinds = {o["kind"] for o in (entry.decision or {}).get("obligations", [])}
    return bool(kinds & {"filing", "backup"}) or (
        request.destination_country != request.provider.country
    )


def register_key(session: Session, by: Actor, entry: RequestRecord, public_key: Path) -> str:
    """Register the recipient's Crypt4GH public key for the request's exports."""
    key = recipient_key(public_key).hex()
    entry.recipient_key = key
    record(
        session,
        by,
        "access.key",
        f"access/requests/{entry.number}",
        detail={"key_sha256": hashlib.sha256(bytes.fromhex(key)).hexdigest()},
    )
    return key


def file_provision(
    session: Session, by: Actor, entry: RequestRecord, backup: Path, today: dt.date | None = None
) -> Filing:
    """Make the filing record of an approved request, with the backup's checksum."""
    if entry.status not in (RequestStatus.APPROVED, RequestStatus.ACTIVE):
        raise Conflict(
            f"request {entry.number} is {entry.status}: only an approved request is filed",
            code="E_REQUEST_STATE",
        )
    if session.scalar(select(Filing.id).where(Filing.request_id == entry.id)) is not None:
        raise Conflict(f"request {entry.number} is filed already", code="E_FILED")
    try:
        backup_sha256 = file_sha256(backup)
    except OSError as exc:
        raise UsageError(f"{backup}: cannot read the backup: {exc}", code="E_NO_FILE") from None
    request = _request(entry)
    today = today or utc_today()
    decision = entry.decision or {}
    body = {
        "request": entry.number,
        "filed_on": today.isoformat(),
        "provider": request.provider.model_dump(mode="json"),
        "recipient": request.receiver.model_dump(mode="json"),
        "destination_country": request.destination_country,
        "data": request.data.model_dump(mode="json"),
        "purpose": request.purpose.model_dump(mode="json"),
        "legal_basis": [
            {"rule": r["rule"], "citation": r["citation"]} for r in decision.get("rules", [])
        ],
        "backup_sha256": backup_sha256,
    }
    filing = Filing(request_id=entry.id, record=body, backup_sha256=backup_sha256, filed_on=today)
    session.add(filing)
    session.flush()
    record(
        session,
        by,
        "access.filing",
        f"access/requests/{entry.number}",
        detail={"backup_sha256": backup_sha256},
    )
    return filing


def recipient_id(keys: NodeKeys, request_number: str, pseudonym: str) -> str:
    """The identifier a donor has in a request's exports: the same in every export of the
    request, unrelated to those of any other request."""
    return keys.pseudonymiser.pseudonym(request_number, pseudonym)[:20]


def _genotype_files(
    session: Session,
    home: Path,
    request: AccessRequest,
    donors: list[int],
    keys: NodeKeys,
    number: str,
) -> dict[str, bytes]:
    """For a request of genotype data: each collection store's genotypes of the released
    donors as a gzipped VCF (``genotypes-<collection>.vcf.gz``), samples under the donors'
    request identifiers."""
    asked = {str(c) for c in request.data.categories}
    if not GENOTYPE_CATEGORIES & asked or request.cohort is None:
        return {}
    files = {}
    collections = session.scalars(
        select(m.Collection)
        .join(m.Institution)
        .where(m.Institution.code == request.cohort.institution)
        .order_by(m.Collection.code)
    )
    for collection in collections:
        store = current_store(session, collection.id)
        if store is None:
            continue
        columns = store_columns(session, store, donors)
        if not columns:
            continue
        seen: dict[str, int] = {}
        names = []
        for column in columns:  # a donor's second sample gets a suffix
            ident = recipient_id(keys, number, column.pseudonym)
            seen[ident] = seen.get(ident, 0) + 1
            names.append(ident if seen[ident] == 1 else f"{ident}-{seen[ident]}")
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as packed:
            write_vcf_subset(
                open_store(home / store.location),
                [c.position for c in columns],
                names,
                packed,  # type: ignore[arg-type]
            )
        files[f"genotypes-{collection.code}.vcf.gz"] = buffer.getvalue()
    return files


def _rows(
    session: Session,
    donors: list[int],
    fields: tuple[str, ...],
    keys: NodeKeys,
    request_number: str,
) -> tuple[list[str], str]:
    """The export table (TSV) and the donors' registry pseudonyms, in order."""
    region = {i: c for i, c in session.execute(select(m.Region.id, m.Region.code))}  # noqa: C416
    terms: dict[int, dict[str, list[str]]] = {
        d: {"diagnoses": [], "phenotypes": []} for d in donors
    }
    D, P = m.DonorDiagnosis, m.DonorPhenotype
    for owner, term in session.execute(select(D.donor_id, D.term_id).where(D.donor_id.in_(donors))):
        terms[owner]["diagnoses"].append(term)
    for owner, term, excluded in session.execute(
        select(P.donor_id, P.term_id, P.excluded).where(P.donor_id.in_(donors))
    ):
        terms[owner]["phenotypes"].append(("!" if excluded else "") + term)
    out = io.StringIO()
    out.write("\t".join(("donor", *fields)) + "\n")
    pseudonyms = []
    for donor in session.scalars(
        select(m.Donor).where(m.Donor.id.in_(donors)).order_by(m.Donor.id)
    ):
        pseudonyms.append(donor.pseudonym)
        values = {
            "sex": str(donor.sex),
            "birth_year": str(donor.birth_year or ""),
            "population": donor.population or "",
            "residence": region.get(donor.residence_region_id or -1, ""),
            "vital_status": str(donor.vital_status),
            "diagnoses": ";".join(sorted(terms[donor.id]["diagnoses"])),
            "phenotypes": ";".join(sorted(terms[donor.id]["phenotypes"])),
        }
        ident = recipient_id(keys, request_number, donor.pseudonym)
        out.write("\t".join((ident, *(values[f] for f in fields))) + "\n")
    return pseudonyms, out.getvalue()


@dataclass(frozen=True)
class ExportResult:
    package: ExportPackage
    folder: Path
    released: int
    withheld: int


def _decide_again(
    session: Session,
    entry: RequestRecord,
    request: AccessRequest,
    released: list[int],
    packs: Sequence[Pack],
    today: dt.date,
) -> None:
    """Decide the request again on what this export releases (the persons counted among the
    released donors and the data categories they are held under, the catalogue's flags and
    the debarment list as they stand today), and refuse the export when that decision is more
    restrictive than the one the request was approved under: a cohort that grew past a
    threshold or was sequenced after the approval, or a family that the catalogue has since
    protected, goes back to its reviews."""
    known = node_facts(session, request, NodeFacts(today=today))
    release = counted(session, request, released, today)
    persons = release["persons"]
    decision = evaluate(request, known.model_copy(update=release), packs)
    approved = entry.outcome or "allow"
    if OUTCOMES.index(decision.outcome) > OUTCOMES.index(approved):
        rules = ", ".join(f.rule.id for f in decision.fired if f.rule.outcome == decision.outcome)
        raise Conflict(
            f"request {entry.number} was approved as {approved}; this export would "
            f"release {persons} persons (the request declared "
            f"{request.data.persons}), and on what it releases the request needs "
            f"{decision.outcome} ({rules}): submit it again for that decision",
            code="E_DECISION_CHANGED",
        )


def make_export(
    session: Session,
    by: Actor,
    entry: RequestRecord,
    keys: NodeKeys,
    signer: Signer,
    out: Path,
    ontology: DiseaseOntology,
    home: Path,
    packs: Sequence[Pack],
    today: dt.date | None = None,
) -> ExportResult:
    """Write an export package of the request into ``out/<export number>/`` (all or nothing):
    the donor table and, for a request of genotype data, the released donors' genotypes from
    the collections' stores under the node's ``home``. The request is decided again under
    ``packs`` on the persons the export releases; a decision more restrictive than the
    approved one refuses the export (E_DECISION_CHANGED). The folder is written under a hidden
    name and moved into place when ``session``'s transaction (a ``Database.transaction``)
    commits."""
    today = today or utc_today()
    if entry.status != RequestStatus.ACTIVE or (
        entry.expires_on is not None and today > entry.expires_on
    ):
        raise Conflict(
            f"request {entry.number} is {entry.status}"
            + (
                f" and expired on {entry.expires_on}"
                if entry.status == RequestStatus.ACTIVE
                else ""
            )
            + ": exports are made only from an active request",
            code="E_REQUEST_STATE",
        )
    if not entry.recipient_key:
        raise UsageError(
            f"request {entry.number} has no recipient key: register it first (hgr access key)",
            code="E_NO_RECIPIENT_KEY",
        )
    request = _request(entry)
    donors = cohort_donors(session, request)
    assert request.cohort is not None  # cohort_donors refuses a request without one
    # The approval is checked again at every use: one that has expired since blocks it.
    if not ethics_standing(session, request.cohort.institution, request.ethics_reference, today):
        raise Conflict(
            f"request {entry.number}: ethics approval {request.ethics_reference!r} "
            f"is not valid at {request.cohort.institution} on {today}",
            code="E_ETHICS",
        )
    use = replace(ProposedUse.of(request, entry.active_from or today), ethics_approved=True)
    release = eligible_donors(session, donors, use, ontology, today)
    _decide_again(session, entry, request, release.donors, packs, today)
    exports = (
        session.scalar(
            select(func.count(ExportPackage.id)).where(ExportPackage.request_id == entry.id)
        )
        or 0
    )
    number = f"{entry.number}-E{exports + 1:02d}"
    pseudonyms, table = _rows(session, release.donors, request.data.fields, keys, entry.number)
    contents = {"donors.tsv": table.encode()}
    contents |= _genotype_files(session, home, request, release.donors, keys, entry.number)
    folder = out / number
    if folder.exists():
        raise Conflict(f"{folder} exists already", code="E_EXISTS")
    tmp = out / f".{number}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        recipient = bytes.fromhex(entry.recipient_key)
        listed = []
        for name, plain in contents.items():
            sealed = io.BytesIO()
            c4gh_lib.encrypt([(0, keys.crypt4gh_secret(), recipient)], io.BytesIO(plain), sealed)
            (tmp / f"{name}.c4gh").write_bytes(sealed.getvalue())
            listed.append(
                {
                    "name": f"{name}.c4gh",
                    "plaintext_size": len(plain),
                    "plaintext_sha256": hashlib.sha256(plain).hexdigest(),
                    "sha256": hashlib.sha256(sealed.getvalue()).hexdigest(),
                }
            )
        manifest: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "export": number,
            "request": entry.number,
            "created_on": today.isoformat(),
            "expires_on": str(entry.expires_on),
            "recipient_key_sha256": hashlib.sha256(recipient).hexdigest(),
            "donors": len(pseudonyms),
            "withheld": len(release.refused),
            "fields": list(request.data.fields),
            "obligations": sorted(release.obligations),
            "files": listed,
        }
        text = canonical_json(manifest)
        (tmp / "manifest.json").write_text(text, encoding="utf-8")
        signed = base64.b64encode(signer.sign(text.encode())).decode()
        signature = {"signer": signer.name, "key_id": signer.key_id, "signature": signed}
        (tmp / "manifest.sig").write_text(json.dumps(signature) + "\n", encoding="utf-8")
        package = ExportPackage(
            request_id=entry.id,
            number=number,
            donors=pseudonyms,
            fields=list(request.data.fields),
            manifest_sha256=hashlib.sha256(text.encode()).hexdigest(),
            created_at=utc_now(),
        )
        session.add(package)
        session.flush()
        record(
            session,
            by,
            "access.export",
            f"access/requests/{entry.number}",
            detail={
                "export": number,
                "donors": len(pseudonyms),
                "withheld": len(release.refused),
                "manifest": package.manifest_sha256,
            },
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # The package appears only once the database records it (and its audit event); if the
    # transaction rolls back, it never appears.
    after_commit(
        session, lambda: tmp.rename(folder), undo=lambda: shutil.rmtree(tmp, ignore_errors=True)
    )
    return ExportResult(package, folder, len(pseudonyms), len(release.refused))


def publish_withdrawals(session: Session, by: Actor, keys: NodeKeys) -> list[WithdrawalNotice]:
    """Publish a notice for every exported donor whose consent has since been withdrawn, and
    flag the request: the recipient deletes the donor's data (HGR Reg. Art. 12: withdrawal at
    any time, without conditions). Returns the notices published now."""
    published = []
    rows = session.execute(select(ExportPackage, RequestRecord).join(RequestRecord)).all()
    exported = {p for package, _ in rows for p in package.donors}
    held: dict[str, list[m.Consent]] = {p: [] for p in exported}
    for pseudonym, consent in session.execute(
        select(m.Donor.pseudonym, m.Consent)
        .join(m.Consent)
        .where(m.Donor.pseudonym.in_(sorted(exported)))
    ):
        held[pseudonym].append(consent)
    withdrawn = {
        p: when for p, consents in held.items() if (when := standing(consents)[1]) is not None
    }
    for package, entry in rows:
        noticed = set(
            session.scalars(
                select(WithdrawalNotice.donor).where(WithdrawalNotice.export_id == package.id)
            )
        )
        for pseudonym in package.donors:
            ident = recipient_id(keys, entry.number, pseudonym)
            if pseudonym not in withdrawn or ident in noticed:
                continue
            notice = WithdrawalNotice(
                request_id=entry.id,
                export_id=package.id,
                donor=ident,
                withdrawn_on=withdrawn[pseudonym],
                published_at=utc_now(),
            )
            published.append(notice)
            session.add(notice)
            entry.note = "; ".join(filter(None, (entry.note, f"donor {ident} withdrew")))
            record(
                session,
                by,
                "access.withdrawal",
                f"access/requests/{entry.number}",
                detail={"export": package.number, "donor": ident},
            )
    session.flush()
    return published
