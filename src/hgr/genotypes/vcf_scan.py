"""One streaming pass over a VCF's text that checks what ingestion relies on, line by line.

The scanner is fed decompressed bytes in chunks of any size and keeps only the current line,
so files of any size pass through in constant memory. It checks the header (file format,
the ``#CHROM`` line, unique sample names, contig declarations) and every record's shape: the
number of columns, an integer position, a REF allele, GT first in FORMAT, and the order (one
block per contig, positions non-decreasing within it), which indexing and the VCF Zarr
encoding need (VCF 4.3 §1.6.2). Every error names the file and line.

Given a folder for them, the scanner also hands each record of a file that carries only GT
(no INFO or other FORMAT field declared) to a ``call_blocks.CallWriter``, which parses its
calls: such files are encoded from those blocks instead of by bio2zarr's VCF reader. The
genotype values of other files are checked after encoding, on the arrays (see ``ingest``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hgr.exceptions import FormatError

__all__ = ["RecordSink", "VcfLayout", "VcfTextScanner", "allele_problem", "at_line"]

_FIXED = [b"#CHROM", b"POS", b"ID", b"REF", b"ALT", b"QUAL", b"FILTER", b"INFO"]
_CONTIG = re.compile(rb"^##contig=<(.*)>\s*$")
_ID = re.compile(rb"(?:^|,)ID=([^,>]+)")  # of a structured line: contig, FILTER, FORMAT
_CONTIG_LENGTH = re.compile(rb"(?:^|,)length=(\d+)")
_REF = re.compile(rb"^[ACGTNacgtn]+$")
_CHROM = re.compile(rb"^[!-~]+$")
# One ALT allele (VCF 4.3 §1.6.1, column 5): bases, "*" (an upstream deletion), "." (none),
# a symbolic allele "<ID>", or a breakend (§5.4: "G]17:198982]", ".A", "G.").
_ALLELE = (
    rb"[ACGTNacgtn]+|\*|\.|<[^<>,]+>"
    rb"|[ACGTNacgtn]*[\[\]][^\[\],]+[\[\]][ACGTNacgtn]*|\.[ACGTNacgtn]+|[ACGTNacgtn]+\."
)
_ALT = re.compile(rb"^(?:" + _ALLELE + rb")(?:,(?:" + _ALLELE + rb"))*$")
_META = re.compile(rb"^##([^=]+)=(.*)$")
_DESCRIPTION = re.compile(rb'(?:^|,)Description="((?:[^"\\]|\\.)*)"')
# Header lines that VCF Zarr keeps in arrays rather than in "vcf_meta_information".
_STRUCTURED = frozenset({b"contig", b"FILTER", b"INFO", b"FORMAT"})


def at_line(source: str, line: int) -> str:
    """``file:line``, the way compilers and bcftools name a place in a file."""
    return f"{source}:{line}"


@dataclass
class VcfLayout:
    """What a scan learned about one VCF: its samples, contigs and records."""

    source: str
    fileformat: str = ""
    header_lines: int = 0
    samples: tuple[str, ...] = ()
    contig_lengths: dict[str, int | None] = field(default_factory=dict)
    contigs: list[str] = field(default_factory=list)  # contigs holding records, in file order
    max_positions: dict[str, int] = field(default_factory=dict)
    first_position: int = 0
    records: int = 0
    meta: list[tuple[str, str]] = field(default_factory=list)  # unstructured ## lines
    filters: list[tuple[str, str]] = field(default_factory=list)  # ##FILTER: ID, description
    calls_only: bool = True  # no INFO and no FORMAT field but GT is declared
    calls: Path | None = None  # the call blocks written during the scan, if any

    def line_of_record(self, index: int) -> int:
        """The line number of the record at ``index`` (0-based) in the file."""
        return self.header_lines + index + 1


class RecordSink(Protocol):
    """Takes a file's records as the scan checks them (see ``call_blocks.CallWriter``)."""

    def add(
        self,
        line: int,
        chrom: bytes,
        position: int,
        ident: bytes,
        ref: bytes,
        alt: bytes,
        quality: bytes,
        filters: bytes,
        columns: bytes,
    ) -> None: ...

    def close(self) -> Path: ...


def allele_problem(ref: bytes, alt: bytes) -> str | None:
    """What is wrong with a record's REF and ALT, or None: REF must be bases, and ALT a list
    of alleles as VCF writes them. The store holds alleles as bases, which the Beacon and the
    fingerprints compare across institutions: an array's A/B or 1/2 coding would be taken for
    other alleles than the ones called."""
    if not _REF.match(ref):
        return f"REF {ref.decode('utf-8', 'replace')[:20]!r} is not a DNA sequence (A, C, G, T, N)"
    if not alt:
        return "ALT is empty (use '.' for no alternate allele)"
    if not _ALT.match(alt):
        return (
            f"ALT {alt.decode('utf-8', 'replace')[:20]!r} is not a list of alleles as VCF "
            "writes them (bases, *, <ID> or a breakend): the store holds alleles as bases, "
            "which the Beacon and the fingerprints compare across institutions; an array's "
            "A/B or 1/2 coding must be recoded first"
        )
    return None


class VcfTextScanner:
    """Checks VCF text fed in chunks; ``close`` returns the file's layout.

    Raises
    ------
    FormatError
        At the first line that breaks a rule, naming the file and the line.
    """

    def __init__(
        self, source: str, records: Callable[[VcfLayout], RecordSink] | None = None
    ) -> None:
        self.layout = VcfLayout(source)
        self._sink_for = records
        self._calls: RecordSink | None = None
        self._pending = b""
        self._line = 0
        self._columns = 0
        self._in_header = True
        self._chrom = b""
        self._position = 0
        self._finished_contigs: set[bytes] = set()

    @property
    def lines(self) -> int:
        """Lines read so far."""
        return self._line

    def feed(self, data: bytes) -> None:
        """Scan the complete lines in ``data`` (with what was left of the previous chunk)."""
        if not data:
            return
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            self._line += 1
            if self._in_header:
                self._header_line(line)
            else:
                self._record(line)

    def close(self) -> VcfLayout:
        """Scan the last line (a file may end without a newline) and return the layout."""
        if self._pending:
            self._line += 1
            (self._header_line if self._in_header else self._record)(self._pending)
            self._pending = b""
        if self._in_header:
            raise self._error(
                "the file ends before its #CHROM header line: it is not a complete VCF",
                "E_VCF_HEADER",
                line=max(self._line, 1),
            )
        if self._calls is not None:
            self.layout.calls = self._calls.close()
        return self.layout

    def _error(self, message: str, code: str, *, line: int | None = None) -> FormatError:
        return FormatError(
            f"{at_line(self.layout.source, line or self._line)}: {message}", code=code
        )

    def _header_line(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            raise self._error(
                "the line ends in a carriage return (Windows line endings): convert the file "
                "with dos2unix",
                "E_VCF_LINE_ENDING",
            )
        if self._line == 1:
            if not line.startswith(b"##fileformat=VCFv4"):
                raise self._error(
                    "a VCF must begin with ##fileformat=VCFv4.x; this is not a VCF (or it is "
                    "compressed in a way that is not gzip or BGZF)",
                    "E_VCF_HEADER",
                )
            self.layout.fileformat = line[len(b"##fileformat=") :].decode("ascii", "replace")
            self._meta_line(line)
            return
        if line.startswith(b"##"):
            match = _CONTIG.match(line)
            if match:
                self._declare_contig(match.group(1))
            self._meta_line(line)
            return
        if not line.startswith(b"#CHROM"):
            raise self._error(
                "expected the #CHROM header line before the first record", "E_VCF_HEADER"
            )
        columns = line.split(b"\t")
        if columns[:8] != _FIXED or len(columns) == 9:
            raise self._error(
                "the #CHROM line must name the 8 fixed columns (#CHROM POS ID REF ALT QUAL "
                "FILTER INFO), separated by tabs, then FORMAT and the samples",
                "E_VCF_HEADER",
            )
        if len(columns) > 9 and columns[8] != b"FORMAT":
            raise self._error("the 9th column of the #CHROM line must be FORMAT", "E_VCF_HEADER")
        samples = [name.decode("utf-8", "replace") for name in columns[9:]]
        counts = Counter(samples)
        duplicated = sorted(name for name, count in counts.items() if count > 1)
        if duplicated:
            raise self._error(
                f"sample id {duplicated[0]!r} appears more than once"
                + (f" (and {len(duplicated) - 1} more)" if len(duplicated) > 1 else "")
                + ": every column must be a different sample; rename or drop the copies "
                "(bcftools view -s)",
                "E_VCF_DUPLICATE_SAMPLE",
            )
        if not samples:
            raise self._error(
                "the file has no sample columns: there are no genotypes to ingest",
                "E_VCF_NO_SAMPLES",
            )
        self.layout.samples = tuple(samples)
        self.layout.header_lines = self._line
        self._columns = len(columns)
        self._in_header = False
        if self._sink_for is not None and self.layout.calls_only:
            self._calls = self._sink_for(self.layout)

    def _meta_line(self, line: bytes) -> None:
        """Keep what the store records of a ``##`` line (VCF 4.3 §1.4)."""
        match = _META.match(line)
        if not match:
            return
        key, value = match.groups()
        layout = self.layout
        if key not in _STRUCTURED:
            pair = (key.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
            if pair not in layout.meta:  # htslib keeps one of identical lines
                layout.meta.append(pair)
        elif key == b"INFO":
            layout.calls_only = False
        elif key in (b"FORMAT", b"FILTER"):
            body = value.strip(b"<>")
            name = _ID.search(body)
            ident = name.group(1).decode("utf-8", "replace") if name else ""
            if key == b"FORMAT":
                layout.calls_only = layout.calls_only and ident == "GT"
            elif ident:
                described = _DESCRIPTION.search(body)
                text = described.group(1).decode("utf-8", "replace") if described else ""
                layout.filters.append((ident, text))

    def _declare_contig(self, body: bytes) -> None:
        name = _ID.search(body)
        if not name:
            raise self._error("a ##contig line has no ID", "E_VCF_HEADER")
        length = _CONTIG_LENGTH.search(body)
        self.layout.contig_lengths[name.group(1).decode("ascii", "replace")] = (
            int(length.group(1)) if length else None
        )

    def _record(self, line: bytes) -> None:
        fields = line.split(b"\t", 9)
        if len(fields) < 10 or fields[9].count(b"\t") != self._columns - 10:
            found = len(fields) if len(fields) < 10 else 10 + fields[9].count(b"\t")
            if not line.strip():
                raise self._error("empty line among the records", "E_VCF_MALFORMED")
            raise self._error(
                f"the record has {found} columns where the header has {self._columns} "
                "(tab-separated): the line is cut short or has extra columns",
                "E_VCF_MALFORMED",
            )
        chrom, pos, ident, ref, alt, quality, filters, _info, fmt, calls = fields
        if calls.endswith(b"\r"):
            raise self._error(
                "the line ends in a carriage return (Windows line endings): convert the file "
                "with dos2unix",
                "E_VCF_LINE_ENDING",
            )
        if not _CHROM.match(chrom):
            raise self._error(f"CHROM {chrom!r} is empty or not printable", "E_VCF_MALFORMED")
        if not pos.isdigit():
            raise self._error(
                f"POS {pos.decode('utf-8', 'replace')!r} is not a whole number",
                "E_VCF_MALFORMED",
            )
        if problem := allele_problem(ref, alt):
            raise self._error(problem, "E_VCF_MALFORMED")
        if fmt.split(b":", 1)[0] != b"GT":
            raise self._error(
                "FORMAT does not begin with GT: the record carries no genotypes (VCF 4.3 §1.6.2 "
                "puts GT first)",
                "E_VCF_NO_GT",
            )
        position = int(pos)
        self._order(chrom, position)
        if self._calls is not None:
            self._calls.add(self._line, chrom, position, ident, ref, alt, quality, filters, calls)

    def _order(self, chrom: bytes, position: int) -> None:
        layout = self.layout
        if chrom != self._chrom:
            if chrom in self._finished_contigs:
                raise self._error(
                    f"records of contig {chrom.decode()} resume after other contigs: the file "
                    "is not sorted (bcftools sort)",
                    "E_VCF_UNSORTED",
                )
            if self._chrom:
                self._finished_contigs.add(self._chrom)
            self._chrom = chrom
            self._position = 0
            layout.contigs.append(chrom.decode())
            if layout.records == 0:
                layout.first_position = position
        elif position < self._position:
            raise self._error(
                f"position {position} on {chrom.decode()} comes after position "
                f"{self._position}: the file is not sorted (bcftools sort)",
                "E_VCF_UNSORTED",
            )
        self._position = position
        layout.max_positions[layout.contigs[-1]] = position
        layout.records += 1
