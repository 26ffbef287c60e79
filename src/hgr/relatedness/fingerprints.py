"""Identity fingerprints: each donor's genotypes at a shared panel of common SNPs, sealed.

Finding the same person at two institutions must not move their genotypes between them. What
travels instead is a fingerprint, as somalier does it (Pedersen et al. 2020, Genome Medicine
12:62): genotypes at a few thousand common, well-behaved SNPs that every institution reads
from its own store. Enough to tell a person from everyone else, too few to be of any other use.

- **Panel.** One list of sites for the whole federation (``select_panel`` draws it from a
  reference VCF): autosomal biallelic SNVs with minor allele frequency at least 0.2 and call
  rate at least 0.95, no strand-ambiguous A/T or C/G pairs (they flip between arrays), spread
  along the genome. Its id is the SHA-256 of its sites, so fingerprints from different panels
  are never compared.
- **Fingerprint.** A collection's donors at the panel sites, bit-packed, named
  ``INSTITUTION/pseudonym``: the registry's keyed pseudonym, never an institution's own id.
  Sites the store lacks are missing calls; a store whose REF/ALT are swapped at a site is read
  the other way round.
- **Sealed.** The file is Crypt4GH-encrypted to the receiving node's public key (the national
  node's), so it is unreadable in transit and at rest anywhere else. No API route serves it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cyvcf2
import numpy as np
from crypt4gh import lib as c4gh_lib
from numpy.typing import NDArray

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import FormatError, IntegrityBroken, UsageError
from hgr.genotypes.builds import canonical_contig
from hgr.genotypes.raw_files import recipient_key
from hgr.genotypes.store import open_store, required_store, store_columns
from hgr.relatedness.packed import MISSING, PackedGenotypes, pack_dosages
from hgr.relatedness.readers import checked_vcf_copy, store_dosages

__all__ = [
    "FingerprintPanel",
    "Fingerprints",
    "fingerprint_collection",
    "open_fingerprints",
    "read_panel",
    "seal_fingerprints",
    "select_panel",
]

FORMAT = "hgr-fingerprints/1"
PANEL_HEADER = "#contig\tposition\tref\talt"
MIN_PANEL_MAF = 0.2
MIN_PANEL_CALL_RATE = 0.95
_AMBIGUOUS = {frozenset("AT"), frozenset("CG")}


@dataclass(frozen=True)
class FingerprintPanel:
    """The shared sites: (contig without ``chr``, position, ref, alt), in genome order."""

    sites: tuple[tuple[str, int, str, str], ...]

    @property
    def panel_id(self) -> str:
        return hashlib.sha256(self.text().encode()).hexdigest()

    def text(self) -> str:
        rows = [PANEL_HEADER, *(f"{c}\t{p}\t{r}\t{a}" for c, p, r, a in self.sites)]
        return "\n".join(rows) + "\n"


def read_panel(path: Path) -> FingerprintPanel:
    """Read a panel TSV; every malformed line is an error naming the line."""
    if not path.is_file():
        raise UsageError(f"{path}: no such panel file", code="E_NO_FILE")
    sites = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        contig = canonical_contig(cells[0]) if cells else None
        if (
            len(cells) != 4
            or not cells[1].isdigit()
            or contig is None
            or len(cells[2]) != 1
            or len(cells[3]) != 1
        ):
            raise FormatError(
                f"{path}:{number}: expected contig, position, ref and alt (single bases), "
                "tab-separated, on an autosome",
                code="E_PANEL",
            )
        sites.append((contig, int(cells[1]), cells[2].upper(), cells[3].upper()))
    if len(sites) < 100:
        raise FormatError(
            f"{path}: {len(sites)} sites; a fingerprint panel needs at least 100",
            code="E_PANEL",
        )
    return FingerprintPanel(tuple(sites))


def select_panel(vcf: Path, sites: int) -> FingerprintPanel:
    """Draw ``sites`` panel sites, evenly spread, from the qualifying sites of a VCF/BCF.

    The file is checked line by line first, as every genotype file is
    (``readers.checked_vcf_copy``).
    """
    if not vcf.is_file():
        raise UsageError(f"{vcf}: no such file", code="E_NO_FILE")
    with tempfile.TemporaryDirectory(prefix="hgr-panel-") as work:
        checked, _records = checked_vcf_copy(vcf, Path(work))
        qualifying = _qualifying_sites(vcf, checked)
    if len(qualifying) < sites:
        raise UsageError(
            f"{vcf}: only {len(qualifying)} sites qualify (autosomal biallelic SNVs, MAF ≥ "
            f"{MIN_PANEL_MAF}, call rate ≥ {MIN_PANEL_CALL_RATE}); ask for fewer sites",
            code="E_PANEL_SITES",
        )
    chosen = np.linspace(0, len(qualifying) - 1, sites).round().astype(int)
    return FingerprintPanel(tuple(qualifying[i] for i in np.unique(chosen)))


def _qualifying_sites(vcf: Path, checked: Path) -> list[tuple[str, int, str, str]]:
    try:
        reader = cyvcf2.VCF(str(checked), gts012=True, lazy=True)
    except OSError as exc:
        raise FormatError(f"{vcf}: htslib cannot read it: {exc}", code="E_FORMAT") from exc
    qualifying = []
    for variant in reader:
        contig = canonical_contig(variant.CHROM)
        if contig is None or contig in {"X", "Y", "MT"} or len(variant.ALT) != 1:
            continue
        ref, alt = variant.REF.upper(), variant.ALT[0].upper()
        if len(ref) != 1 or len(alt) != 1 or frozenset(ref + alt) in _AMBIGUOUS:
            continue
        calls = variant.gt_types  # 0, 1, 2 alt alleles; 3 unknown
        called = calls != 3
        if called.mean() < MIN_PANEL_CALL_RATE:
            continue
        frequency = calls[called].sum() / (2 * called.sum())
        if min(frequency, 1 - frequency) >= MIN_PANEL_MAF:
            qualifying.append((contig, int(variant.POS), ref, alt))
    reader.close()
    return qualifying


@dataclass(frozen=True)
class Fingerprints:
    """Donors' genotypes at a panel: ``genotypes.samples`` are ``INSTITUTION/pseudonym``."""

    panel_id: str
    genotypes: PackedGenotypes


def _panel_dosages(group: object, panel: FingerprintPanel) -> tuple[NDArray[np.int8], int]:
    """(panel sites × store samples) dosages, and how many panel sites the store holds."""
    contigs = [canonical_contig(str(c)) for c in group["contig_id"][:]]  # type: ignore[index]
    positions = group["variant_position"][:]  # type: ignore[index]
    alleles = group["variant_allele"][:]  # type: ignore[index]
    variant_contig = group["variant_contig"][:]  # type: ignore[index]
    where = {
        (contigs[int(c)], int(p)): k
        for k, (c, p) in enumerate(zip(variant_contig, positions, strict=True))
    }
    genotypes = group["call_genotype"]  # type: ignore[index]
    n_samples = int(genotypes.shape[1])
    dosages = np.full((len(panel.sites), n_samples), MISSING, dtype=np.int8)
    rows, variants, flips = [], [], []
    for row, (contig, position, ref, alt) in enumerate(panel.sites):
        k = where.get((contig, position))
        if k is None:
            continue
        stored = [str(a).upper() for a in alleles[k] if str(a)]
        if stored not in ([ref, alt], [alt, ref]):
            continue  # another variant at the same position
        rows.append(row)
        variants.append(k)
        flips.append(stored == [alt, ref])
    if variants:
        # One orthogonal read: each chunk holding panel sites is decompressed once.
        order = np.argsort(variants)
        calls = np.asarray(genotypes.oindex[np.asarray(variants)[order], :])
        dose = store_dosages(calls[np.argsort(order)])
        flip = np.asarray(flips)[:, None] & (dose != MISSING)
        dosages[np.asarray(rows)] = np.where(flip, 2 - dose, dose)
    return dosages, len(rows)


def fingerprint_collection(
    db: Database, home: Path, panel: FingerprintPanel, *, institution: str, collection: str
) -> Fingerprints:
    """The fingerprints of the donors genotyped in a collection's current store.

    A donor with several genotyped samples gets the one with the most called panel sites.

    Raises
    ------
    NotFound
        No such collection, or no genotypes in it.
    UsageError
        ``E_PANEL_COVERAGE`` when the store holds fewer than half of the panel's sites.
    """
    with db.reader() as session:
        _collection, store = required_store(session, institution, collection)
        rows = [(c.position, c.pseudonym) for c in store_columns(session, store)]
        location = home / store.location
    dosages, found = _panel_dosages(open_store(location), panel)
    if found < len(panel.sites) / 2:
        raise UsageError(
            f"collection {collection} holds {found} of the panel's {len(panel.sites)} sites: "
            "fingerprints need at least half (is the store on the panel's genome build?)",
            code="E_PANEL_COVERAGE",
        )
    best: dict[str, int] = {}
    called = (dosages != MISSING).sum(axis=0)
    for position, pseudonym in rows:
        if pseudonym not in best or called[position] > called[best[pseudonym]]:
            best[pseudonym] = position
    names = sorted(best)
    columns = [best[name] for name in names]
    packed = pack_dosages([f"{institution}/{name}" for name in names], [dosages[:, columns]])
    return Fingerprints(panel.panel_id, packed)


def seal_fingerprints(
    fingerprints: Fingerprints, recipient: Path, target: Path, keys: NodeKeys
) -> None:
    """Write ``fingerprints`` Crypt4GH-encrypted to the public key in ``recipient``."""
    public = recipient_key(recipient)
    packed = fingerprints.genotypes
    buffer = io.BytesIO()
    header = {
        "format": FORMAT,
        "panel_id": fingerprints.panel_id,
        "n_sites": packed.n_sites,
        "samples": list(packed.samples),
    }
    np.savez(
        buffer,
        header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        planes=packed.planes,
    )
    buffer.seek(0)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as out:
            c4gh_lib.encrypt([(0, keys.crypt4gh_secret(), public)], buffer, out)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def open_fingerprints(path: Path, keys: NodeKeys) -> Fingerprints:
    """Decrypt a sealed fingerprint file with this node's key and check it.

    Raises
    ------
    IntegrityBroken
        ``E_FINGERPRINT_SEAL`` when the file is not sealed to this node or is damaged.
    FormatError
        ``E_FINGERPRINT_FORMAT`` when the content is not an hgr fingerprint file.
    """
    if not path.is_file():
        raise UsageError(f"{path}: no such file", code="E_NO_FILE")
    plain = io.BytesIO()
    try:
        with path.open("rb") as handle:
            c4gh_lib.decrypt([(0, keys.crypt4gh_secret(), None)], handle, plain)
    except (ValueError, OSError, EOFError) as exc:
        raise IntegrityBroken(
            f"{path}: cannot be decrypted with this node's key (sealed to another node, or "
            f"damaged): {exc}",
            code="E_FINGERPRINT_SEAL",
        ) from exc
    plain.seek(0)
    try:
        with np.load(plain, allow_pickle=False) as archive:
            header = json.loads(archive["header"].tobytes())
            planes = np.ascontiguousarray(archive["planes"], dtype=np.uint64)
        samples = tuple(str(s) for s in header["samples"])
        n_sites = int(header["n_sites"])
        if header.get("format") != FORMAT:
            raise ValueError(f"format {header.get('format')!r}")
        genotypes = PackedGenotypes.from_planes(samples, n_sites, planes)
    except (ValueError, KeyError, TypeError, OSError, UsageError) as exc:
        raise FormatError(
            f"{path}: not an hgr fingerprint file ({exc})", code="E_FINGERPRINT_FORMAT"
        ) from exc
    return Fingerprints(str(header["panel_id"]), genotypes)
