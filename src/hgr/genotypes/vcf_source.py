"""Reading one VCF or BCF source while it is sealed: decompression, the scan, the working copy.

The raw bytes pass through once (see ``raw_files.seal``). On the way they are decompressed
(plain, gzip or BGZF; a gzip stream that ends inside a member, or a BGZF file without its
end-of-file block, is truncated), scanned line by line (``vcf_scan``), and written to a BGZF
working copy that htslib can index and bio2zarr can read in parallel partitions. A file that
carries only GT has its calls parsed on the way instead, into ``calls`` (``call_blocks``): its
working copy is dropped as soon as the header says so, which spares compressing a plain or
gzip file's text again. A BCF is binary: it is copied as it is and scanned record by record
with htslib after sealing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cyvcf2
from pysam.libcbgzf import BGZFile

from hgr.exceptions import FormatError
from hgr.genotypes.call_blocks import CallWriter
from hgr.genotypes.vcf_scan import (
    RecordSink,
    VcfLayout,
    VcfTextScanner,
    allele_problem,
    at_line,
)

__all__ = ["SourceReader", "scan_bcf"]

# The empty block every BGZF file ends with (SAM/BAM format specification §4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_GZIP_MAGIC = b"\x1f\x8b"
_BCF_MAGIC = b"BCF\x02"
_SNIFF = 18


@dataclass
class SourceReader:
    """Consumes a source's raw bytes (a ``seal`` sink); ``finish`` returns its layout.

    ``working`` is where the BGZF working copy goes, ``calls`` where the call blocks go.
    """

    source: str
    working: Path
    calls: Path | None = None

    def __post_init__(self) -> None:
        self.kind = ""  # "vcf", "vcf.gz", "vcf.bgz" or "bcf"
        self._head = b""
        self._tail = b""
        self._z: Any = None
        self._member_open = False
        self._scanner = VcfTextScanner(self.source, self._call_writer if self.calls else None)
        self._raw_copy: Any = None
        self._bgzf: Any = None
        self._is_bcf: bool | None = None
        self._bgzf_input = False

    @property
    def has_working_copy(self) -> bool:
        """Whether the working copy was kept (it is not for a file encoded from its calls)."""
        return self.working.exists()

    def _call_writer(self, layout: VcfLayout) -> RecordSink:
        assert self.calls is not None
        self.close()
        self.working.unlink(missing_ok=True)
        return CallWriter(self.calls, layout)

    def __call__(self, view: memoryview) -> None:
        data = bytes(view)
        if not self.kind:
            self._head += data
            if len(self._head) < _SNIFF:
                return
            data, self._head = self._head, b""
            self._start(data)
        self._tail = (self._tail + data)[-len(BGZF_EOF) :]
        if self._raw_copy is not None:
            self._raw_copy.write(data)
        if self.kind == "vcf":
            self._text(data)
        else:
            self._decompress(data)

    def _start(self, head: bytes) -> None:
        if head[:2] == _GZIP_MAGIC:
            bgzf = head[3] & 0x04 and head[12:14] == b"BC"
            self._bgzf_input = bool(bgzf)
            self.kind = "vcf.bgz" if bgzf else "vcf.gz"
            self._z = zlib.decompressobj(wbits=31)
            if bgzf:
                self._raw_copy = self.working.open("wb")
        else:
            self.kind = "vcf"
        if self._raw_copy is None:
            self._bgzf = BGZFile(str(self.working), "wb", index=None)

    def _decompress(self, data: bytes) -> None:
        while data:
            try:
                out = self._z.decompress(data)
            except zlib.error as exc:
                raise FormatError(
                    f"{at_line(self.source, self._scanner.lines + 1)}: the compressed data is "
                    f"corrupt ({exc}); fetch the file again",
                    code="E_GZIP_CORRUPT",
                ) from exc
            self._member_open = not self._z.eof
            if out:
                self._text(out)
            if self._z.eof:
                data = self._z.unused_data
                self._z = zlib.decompressobj(wbits=31)
            else:
                data = b""

    def _text(self, data: bytes) -> None:
        if self._is_bcf is None:
            self._is_bcf = data.startswith(_BCF_MAGIC)
            if self._is_bcf:
                self.kind = "bcf"
                if not self._bgzf_input:
                    raise FormatError(
                        f"{self.source}: a BCF file must be BGZF-compressed (bcftools view -Ob)",
                        code="E_FORMAT",
                    )
        if self._is_bcf:
            return
        self._scanner.feed(data)
        if self._bgzf is not None:
            self._bgzf.write(data)

    def finish(self) -> VcfLayout:
        """Check the stream ended where it should, close the working copy, return the layout.

        Raises
        ------
        FormatError
            ``E_TRUNCATED`` for a compressed stream cut short; any scan error.
        """
        try:
            if self._head:  # shorter than the sniff: plain text, or garbage
                self._start(self._head)
                head, self._head = self._head, b""
                (self._text if self.kind == "vcf" else self._decompress)(head)
            if self.kind.startswith("vcf.") or self.kind == "bcf":
                if self._member_open:
                    raise FormatError(
                        f"{self.source}: the file is truncated: the compressed data stops in "
                        f"the middle (after line {self._scanner.lines}); fetch it again",
                        code="E_TRUNCATED",
                    )
                if self._bgzf_input and self._tail != BGZF_EOF:
                    raise FormatError(
                        f"{self.source}: the file is truncated: it lacks the BGZF end-of-file "
                        f"block (after line {self._scanner.lines}); fetch it again",
                        code="E_TRUNCATED",
                    )
            if not self.kind:
                raise FormatError(f"{self.source}: the file is empty", code="E_VCF_HEADER")
            if self._is_bcf:
                return VcfLayout(self.source)
            return self._scanner.close()
        finally:
            self.close()

    def close(self) -> None:
        """Close the working copy (after an error too)."""
        for handle in (self._raw_copy, self._bgzf):
            if handle is not None:
                handle.close()
        self._raw_copy = self._bgzf = None


def scan_bcf(source: str, path: Path) -> VcfLayout:
    """Check a BCF working copy record by record with htslib and return its layout.

    Errors name the record (BCF has no lines): ``file:record N``.
    """
    layout = VcfLayout(source)
    try:
        reader = cyvcf2.VCF(str(path), lazy=True)
    except OSError as exc:
        raise FormatError(
            f"{source}: htslib cannot read the BCF header (duplicate sample names, or a "
            f"damaged file): {exc}",
            code="E_VCF_HEADER",
        ) from exc
    try:
        layout.samples = tuple(reader.samples)
        if not layout.samples:
            raise FormatError(
                f"{source}: the file has no samples: there are no genotypes to ingest",
                code="E_VCF_NO_SAMPLES",
            )
        lengths = dict(zip(reader.seqnames, reader.seqlens, strict=False))
        layout.contig_lengths = {name: (length or None) for name, length in lengths.items()}
        finished: set[str] = set()
        chrom, position = "", 0
        index = 0
        try:
            for index, variant in enumerate(reader, start=1):
                here = f"{source}: record {index} ({variant.CHROM}:{variant.POS})"
                if chrom != variant.CHROM:
                    if variant.CHROM in finished:
                        raise FormatError(
                            f"{here}: records of {variant.CHROM} resume after other contigs: "
                            "the file is not sorted (bcftools sort)",
                            code="E_VCF_UNSORTED",
                        )
                    if chrom:
                        finished.add(chrom)
                    chrom, position = variant.CHROM, 0
                    layout.contigs.append(chrom)
                    if not layout.records:
                        layout.first_position = variant.POS
                elif position > variant.POS:
                    raise FormatError(
                        f"{here}: position {variant.POS} comes after {position}: the file is "
                        "not sorted (bcftools sort)",
                        code="E_VCF_UNSORTED",
                    )
                position = variant.POS
                alt = ",".join(variant.ALT) or "."
                if problem := allele_problem(variant.REF.encode(), alt.encode()):
                    raise FormatError(f"{here}: {problem}", code="E_VCF_MALFORMED")
                layout.max_positions[chrom] = position
                layout.records += 1
        except Exception as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(
                f"{source}: record {index + 1}: htslib cannot parse it ({exc})",
                code="E_VCF_MALFORMED",
            ) from exc
    finally:
        reader.close()
    return layout
