"""Genotype files on their way into a store: sealed, scanned, copied for indexing.

Each new file is read once (``raw_files.seal``): hashed, encrypted to the node's key,
scanned line by line (``vcf_scan``), and copied to a BGZF working copy for bio2zarr's VCF
reader (which has htslib index it); the calls of a file that carries only GT are parsed on
the way instead (``call_blocks``), and it keeps no working copy.
Files of a store's previous version are decrypted (their checksum checked) and go through
the same scan. A PLINK fileset's three files are sealed and copied under one prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pysam.bcftools
from pysam.utils import SamtoolsError

from hgr.crypto import NodeKeys
from hgr.exceptions import Conflict, FormatError, UsageError
from hgr.genotypes.plink_source import (
    PLINK_SUFFIXES,
    PlinkFiles,
    find_plink,
    require_bases,
    scan_plink,
)
from hgr.genotypes.raw_files import SealedFile, seal, unseal
from hgr.genotypes.vcf_scan import VcfLayout
from hgr.genotypes.vcf_source import SourceReader, scan_bcf

__all__ = [
    "Source",
    "check_same_samples",
    "index_working_copy",
    "keep_working_copies",
    "plink_fileset",
    "prepare_new",
    "prepare_plink",
    "prepare_previous",
]

_READ_CHUNK = 1 << 20


@dataclass
class Source:
    """A file on its way into the store: where its sealed and working copies are."""

    name: str
    sealed: SealedFile
    kind: str
    layout: VcfLayout
    working: Path | None  # None where the calls were parsed instead (see vcf_source)
    data_file_id: int | None = None  # set for files of the previous version
    start: int = 0  # its first variant in the new store
    sample_offset: int = 0  # its first sample column in the new store


def prepare_new(path: Path, work: Path, index: int, keys: NodeKeys) -> Source:
    if not path.is_file():
        raise UsageError(f"{path}: no such file", code="E_NO_FILE")
    reader = SourceReader(str(path), work / f"source-{index}.gz", work / f"calls-new-{index}")
    try:
        sealed = seal(path, work / f"{uuid.uuid4().hex}.c4gh", keys, [reader])
        layout = reader.finish()
    finally:
        reader.close()
    return _finish_source(path.name, sealed, reader, layout)


def prepare_previous(
    sealed: SealedFile,
    data_file_id: int | None,
    work: Path,
    index: int,
    keys: NodeKeys,
    *,
    parse_calls: bool = True,
    prefix: str = "source",
) -> Source:
    calls = work / f"calls-{prefix}-{index}" if parse_calls else None
    reader = SourceReader(sealed.name, work / f"{prefix}-{index}.gz", calls)
    try:
        with (
            unseal(sealed, keys, work / f"plain-{prefix}-{index}") as plain,
            plain.open("rb") as handle,
        ):
            while chunk := handle.read(_READ_CHUNK):
                reader(memoryview(chunk))
        layout = reader.finish()
    finally:
        reader.close()
    source = _finish_source(sealed.name, sealed, reader, layout)
    source.data_file_id = data_file_id
    return source


def prepare_plink(files: PlinkFiles, work: Path, keys: NodeKeys) -> list[Source]:
    """Seal the three files of a fileset, with working copies under one prefix."""
    prefix = work / "plink"
    sealed = []
    for path in files.paths:
        with (prefix.with_suffix(path.suffix)).open("wb") as copy:

            def keep(view: memoryview, copy: BinaryIO = copy) -> None:
                copy.write(view)

            sealed.append(seal(path, work / f"{uuid.uuid4().hex}.c4gh", keys, [keep]))
    copies = PlinkFiles(*(prefix.with_suffix(p.suffix) for p in files.paths))
    layout = scan_plink(copies, files)
    require_bases(copies, files)
    return [
        Source(path.name, seal_, f"plink{path.suffix}", layout, prefix.with_suffix(path.suffix))
        for path, seal_ in zip(files.paths, sealed, strict=True)
    ]


def plink_fileset(files: Sequence[Path]) -> PlinkFiles | None:
    """The one PLINK fileset ``files`` name, None for VCF/BCF files; a mix is refused."""
    found = {fileset for path in files if (fileset := find_plink(path)) is not None}
    if not found:
        return None
    named = {path.with_suffix("") if path.suffix in PLINK_SUFFIXES else path for path in files}
    if len(found) > 1 or len(named) > 1:
        raise UsageError(
            "ingest one PLINK fileset at a time, and without VCF files (name its prefix, or "
            "its .bed)",
            code="E_PLINK_ALONE",
        )
    return found.pop()


def _finish_source(
    name: str, sealed: SealedFile, reader: SourceReader, layout: VcfLayout
) -> Source:
    working = None
    if reader.has_working_copy:
        working = reader.working.with_suffix(".bcf" if reader.kind == "bcf" else ".vcf.gz")
        reader.working.rename(working)
    if reader.kind == "bcf":
        assert working is not None
        layout = scan_bcf(layout.source, working)
    if layout.records == 0:
        raise FormatError(f"{layout.source}: the file holds no records", code="E_VCF_EMPTY")
    return Source(name, sealed, reader.kind, layout, working)


def keep_working_copies(sources: Sequence[Source], work: Path, keys: NodeKeys) -> None:
    """Give every source a working copy when they cannot all be encoded from call blocks.

    bio2zarr's VCF reader then reads them all: a GT-only file, whose copy was dropped while
    it was sealed, is read again from its sealed copy. This takes a BCF among the files
    (BCF is read by htslib, never into call blocks): files whose headers differ in their
    INFO or FORMAT fields are refused together anyway (``E_VCF_HEADER``).
    """
    if all(source.layout.calls is not None for source in sources):
        return
    for index, source in enumerate(sources):
        if source.working is None:
            again = prepare_previous(
                source.sealed,
                source.data_file_id,
                work,
                index,
                keys,
                parse_calls=False,
                prefix="again",
            )
            source.working, source.layout = again.working, again.layout


def index_working_copy(source: Source) -> None:
    """Index a working copy with htslib, for bio2zarr's VCF reader to split into partitions.

    Raises
    ------
    FormatError
        ``E_VCF_INDEX`` when htslib cannot index it.
    """
    assert source.working is not None
    try:
        # Two decompression threads: indexing reads the whole file again, and is bound by
        # inflating it (a third faster on the 5,000 × 100,000 benchmark file).
        pysam.bcftools.index("--threads", "2", str(source.working), catch_stdout=False)
    except SamtoolsError as exc:
        raise FormatError(
            f"{source.layout.source}: htslib cannot index it: {exc}", code="E_VCF_INDEX"
        ) from exc


def check_same_samples(sources: Sequence[Source]) -> None:
    first = sources[0]
    for other in sources[1:]:
        if other.layout.samples != first.layout.samples:
            raise Conflict(
                f"{other.layout.source} holds different samples (or the same in another "
                f"order) than {first.layout.source}: files ingested together hold the same "
                "samples, and add variants; merge them first (bcftools merge)",
                code="E_SAMPLES_DIFFER",
            )
