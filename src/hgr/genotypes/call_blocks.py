"""A VCF's records, parsed during the sealing pass, in blocks on disk until they are encoded.

Files whose header declares no INFO field and no FORMAT field but GT (the shape of array
genotypes and of hard calls) do not need bio2zarr's intermediate columnar format, which
stores every field of every call as a 16-bit value. Instead, the scan that reads each line
anyway (``vcf_scan``) hands the record here: its fixed columns are kept as they are, its calls
are parsed (``gt_text``) into 1,000-record blocks of ``int8`` alleles, compressed. A
``CallSetSource`` then serves the blocks of one or more files to bio2zarr's VCF Zarr writer
(``bio2zarr.vcz``), which encodes them in worker processes exactly as it encodes PLINK
files. The arrays written are those bio2zarr writes for the same VCF (``call_genotype``,
``call_genotype_phased``, ``call_genotype_mask``, ``variant_*``, ``contig_*``, ``filter_*``,
``sample_id``), with the same types and chunks; the per-call arrays are compressed faster
(``CALLS_COMPRESSOR``), and a one-allele call is always marked phased (``gt_text``).

In an ingestion's staging folder::

    calls-…/manifest.json   samples, contigs, filters, header lines, per-contig runs
    calls-…/b000000.pkl     records 0–999: sites, and the compressed calls
    calls-plan.json         the files of one store, in store order (CallSetSource's path)
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
from bio2zarr import constants, core, vcz, zarr_utils
from numpy.typing import NDArray

from hgr.exceptions import Conflict, FormatError
from hgr.genotypes.gt_text import (
    BAD_ALLELE,
    MAX_ALLELE,
    OK,
    TOO_MANY_ALLELES,
    TOO_PLOID,
    parse_calls,
)
from hgr.genotypes.vcf_scan import VcfLayout, at_line

__all__ = [
    "BLOCK",
    "CALLS_COMPRESSOR",
    "CallSetSource",
    "CallWriter",
    "plan_call_sets",
]

# Records per block: bio2zarr's variant chunk (vcz.DEFAULT_VARIANT_CHUNK_SIZE), so that each
# of its partitions, which start on a chunk, reads whole blocks.
BLOCK = vcz.DEFAULT_VARIANT_CHUNK_SIZE
MANIFEST = "manifest.json"
# The blocks live as long as the ingestion: compress for speed, not size.
_COMPRESSOR = numcodecs.Blosc(cname="lz4", clevel=1, shuffle=numcodecs.Blosc.NOSHUFFLE)
_STRING = zarr_utils.STRING_DTYPE_NAME
# The per-call arrays at Zstandard level 3 rather than bio2zarr's 7: on the 5,000-sample
# benchmark a chunk of calls compresses 3.8 times faster for a 6 % larger chunk, and
# compressing the calls is most of what encoding costs.
CALLS_COMPRESSOR = {**zarr_utils.DEFAULT_COMPRESSOR_GENOTYPES_CONFIG, "clevel": 3}
_PASS_DESCRIPTION = "All filters passed"  # what htslib declares PASS with


class CallWriter:
    """Collects one VCF's records into blocks under ``folder`` as the scan reads them."""

    def __init__(self, folder: Path, layout: VcfLayout) -> None:
        folder.mkdir()
        self.folder = folder
        self.source = layout.source
        samples = self.samples = list(layout.samples)
        self.contigs = dict(layout.contig_lengths)
        self._contig_index = {name.encode(): i for i, name in enumerate(self.contigs)}
        # PASS first, as htslib and bio2zarr order the FILTER values.
        declared = dict(layout.filters)
        passed = ("PASS", declared.pop("PASS", _PASS_DESCRIPTION))
        self.filters = [passed, *declared.items()]
        self._filter_index = {name.encode(): i for i, (name, _d) in enumerate(self.filters)}
        self.meta = list(layout.meta)
        self.records = 0
        self.ploidy = 1
        self.alleles = 2
        self.positions = [2**62, 0]
        self.lengths = [2**62, 0]
        self.runs: list[list[int]] = []  # [contig, first position, last position, records]
        self._calls = np.empty((BLOCK, len(samples), 2), dtype=np.int8)
        self._phased = np.empty((BLOCK, len(samples)), dtype=np.bool_)
        self._reset()

    def _reset(self) -> None:
        self._contig: list[int] = []
        self._position: list[int] = []
        self._quality: list[float] = []
        self._filter = np.zeros((BLOCK, len(self.filters)), dtype=np.bool_)
        self._id: list[str | None] = []
        self._allele: list[list[str]] = []

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
    ) -> None:
        """Take one record (its fields as split by the scan, the sample columns unsplit)."""
        row = len(self._position)
        status, sample, widest = parse_calls(
            np.frombuffer(columns, dtype=np.uint8), self._calls[row], self._phased[row]
        )
        if status != OK:
            raise self._bad_call(line, status, sample)
        contig = self._contig_index.get(chrom)
        if contig is None:  # not declared in the header: htslib adds it as it is met
            contig = self._contig_index[chrom] = len(self.contigs)
            self.contigs[chrom.decode()] = None
        if self.runs and self.runs[-1][0] == contig:
            self.runs[-1][2] = position
            self.runs[-1][3] += 1
        else:
            self.runs.append([contig, position, position, 1])
        self._contig.append(contig)
        self._position.append(position)
        self._quality.append(self._parse_quality(line, quality))
        if filters != b".":
            for name in filters.split(b";"):
                index = self._filter_index.get(name)
                if index is None:
                    raise FormatError(
                        f"{at_line(self.source, line)}: FILTER {name.decode(errors='replace')!r} "
                        "is not declared in the header: add a ##FILTER line for it",
                        code="E_VCF_MALFORMED",
                    )
                self._filter[row, index] = True
        self._id.append(None if ident == b"." else ident.decode("utf-8", "replace"))
        alleles = [ref.decode()]
        if alt != b".":
            alleles.extend(alt.decode("utf-8", "replace").split(","))
        self._allele.append(alleles)
        self.alleles = max(self.alleles, len(alleles))
        self.ploidy = max(self.ploidy, widest)
        self.positions = [min(self.positions[0], position), max(self.positions[1], position)]
        self.lengths = [min(self.lengths[0], len(ref)), max(self.lengths[1], len(ref))]
        self.records += 1
        if row + 1 == BLOCK:
            self._flush()

    def _bad_call(self, line: int, status: int, sample: int) -> FormatError:
        where = f"{at_line(self.source, line)}: the GT of sample {self.samples[sample]!r}"
        if status == TOO_PLOID:
            return FormatError(
                f"{at_line(self.source, line)}: wrong ploidy: a call has more than two alleles "
                f"(sample {self.samples[sample]!r}) where diploid calls are expected",
                code="E_VCF_PLOIDY",
            )
        if status == TOO_MANY_ALLELES:
            return FormatError(
                f"{where} names an allele beyond {MAX_ALLELE}: split the record "
                "(bcftools norm -m-)",
                code="E_VCF_MALFORMED",
            )
        assert status == BAD_ALLELE
        return FormatError(
            f"{where} is not a genotype: GT is allele indices or '.' joined by '/' or '|' "
            "(VCF 4.3 §1.6.2)",
            code="E_VCF_MALFORMED",
        )

    def _parse_quality(self, line: int, quality: bytes) -> float:
        if quality == b".":
            return float("nan")  # made VCF Zarr's missing value when the block is written
        try:
            return float(quality)
        except ValueError:
            raise FormatError(
                f"{at_line(self.source, line)}: QUAL "
                f"{quality.decode('utf-8', 'replace')[:20]!r} is not a number or '.'",
                code="E_VCF_MALFORMED",
            ) from None

    def _flush(self) -> None:
        rows = len(self._position)
        if rows == 0:
            return
        quality = np.asarray(self._quality, dtype=np.float32)
        # VCF Zarr marks a missing float with one NaN bit pattern (vcf-zarr-spec, "Missing
        # and fill values"); a float64 NaN would not keep it.
        quality[np.isnan(quality)] = constants.FLOAT32_MISSING
        block = {
            "contig": np.asarray(self._contig, dtype=np.int32),
            "position": np.asarray(self._position, dtype=np.int64),
            "quality": quality,
            "filter": self._filter[:rows].copy(),
            "id": self._id,
            "allele": self._allele,
            "calls": _COMPRESSOR.encode(np.ascontiguousarray(self._calls[:rows])),
            "phased": _COMPRESSOR.encode(np.ascontiguousarray(self._phased[:rows])),
        }
        number = (self.records - 1) // BLOCK
        with (self.folder / f"b{number:06d}.pkl").open("wb") as handle:
            pickle.dump(block, handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._reset()

    def close(self) -> Path:
        """Write the last block and the manifest; returns the folder."""
        self._flush()
        manifest = {
            "source": self.source,
            "samples": self.samples,
            "contigs": list(self.contigs.items()),
            "filters": self.filters,
            "meta": self.meta,
            "records": self.records,
            "ploidy": self.ploidy,
            "alleles": self.alleles,
            "positions": self.positions,
            "lengths": self.lengths,
            "runs": self.runs,
        }
        (self.folder / MANIFEST).write_text(json.dumps(manifest))
        return self.folder


def plan_call_sets(folders: Sequence[Path], plan: Path) -> Path:
    """Order the call sets of one store's files and check that they fit together.

    The files are placed by their first contig (in the order the headers declare contigs)
    and first position, as bio2zarr places a VCF's partitions; each contig must then lie in
    one file, or in consecutive files that do not overlap.

    Raises
    ------
    FormatError
        ``E_VCF_HEADER`` when the files declare a contig with different lengths, or other
        FILTER values.
    Conflict
        ``E_SOURCES_OVERLAP`` when their regions overlap or interleave.
    """
    manifests = [
        (folder, json.loads((folder / MANIFEST).read_text())) for folder in sorted(folders, key=str)
    ]
    contigs: dict[str, int | None] = {}
    for _folder, manifest in manifests:
        for name, length in manifest["contigs"]:
            if name in contigs and contigs[name] != length:
                raise FormatError(
                    f"the files' headers are not compatible: contig {name} has length "
                    f"{contigs[name]} in one and {length} in {manifest['source']}; make them "
                    "agree (bcftools reheader)",
                    code="E_VCF_HEADER",
                )
            contigs.setdefault(name, length)
        if manifest["filters"] != manifests[0][1]["filters"]:
            raise FormatError(
                f"the files' headers are not compatible: {manifest['source']} declares other "
                f"FILTER values than {manifests[0][1]['source']}; make them agree "
                "(bcftools reheader)",
                code="E_VCF_HEADER",
            )
    names = list(contigs)

    def runs(manifest: dict[str, Any]) -> list[tuple[int, int, int]]:
        own = [name for name, _length in manifest["contigs"]]
        return [(names.index(own[c]), first, last) for c, first, last, _n in manifest["runs"]]

    manifests.sort(key=lambda fm: runs(fm[1])[0][:2] if fm[1]["runs"] else (-1, 0))
    seen: set[int] = set()
    previous: tuple[int, int, int] | None = None
    for _folder, manifest in manifests:
        for run in runs(manifest):
            contig, first, _last = run
            continues = previous is not None and previous[0] == contig
            if (contig in seen and not continues) or (
                continues and previous is not None and first <= previous[2]
            ):
                raise Conflict(
                    f"{manifest['source']} holds a region of contig {names[contig]} that "
                    "overlaps or interleaves with another file's: a variant may come from one "
                    "file only, and each file must hold its own contigs or regions",
                    code="E_SOURCES_OVERLAP",
                )
            seen.add(contig)
            previous = run
    plan.write_text(
        json.dumps(
            {
                "sets": [str(folder) for folder, _m in manifests],
                "contigs": list(contigs.items()),
            }
        )
    )
    return plan


class CallSetSource(vcz.Source):  # type: ignore[misc]
    """The call sets of one store's files, in store order, as a bio2zarr source.

    Built from the plan's path alone: bio2zarr's worker processes build their own.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        plan = json.loads(Path(path).read_text())
        self._folders = [Path(folder) for folder in plan["sets"]]
        self._manifests = [json.loads((f / MANIFEST).read_text()) for f in self._folders]
        self._contigs = [vcz.Contig(name, length) for name, length in plan["contigs"]]
        names = [name for name, _length in plan["contigs"]]
        # Each file's contig numbers, as numbers of the store's contigs.
        self._contig_maps = [
            np.array([names.index(name) for name, _l in m["contigs"]], dtype=np.int32)
            for m in self._manifests
        ]
        counts = [m["records"] for m in self._manifests]
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._cached: tuple[tuple[int, int], dict[str, Any]] | None = None

    @property
    def path(self) -> str:
        return self._path

    @property
    def num_records(self) -> int:
        return int(self._offsets[-1])

    @property
    def num_samples(self) -> int:
        return len(self._manifests[0]["samples"])

    @property
    def samples(self) -> list[vcz.Sample]:
        return [vcz.Sample(id=name) for name in self._manifests[0]["samples"]]

    @property
    def contigs(self) -> list[vcz.Contig]:
        return self._contigs

    @property
    def filters(self) -> list[vcz.Filter]:
        return [vcz.Filter(name, text) for name, text in self._manifests[0]["filters"]]

    @property
    def root_attrs(self) -> dict[str, Any]:
        return {"vcf_meta_information": [list(pair) for pair in self._manifests[0]["meta"]]}

    @property
    def ploidy(self) -> int:
        return max(int(m["ploidy"]) for m in self._manifests)

    def _block(self, which: int, number: int) -> dict[str, Any]:
        if self._cached is None or self._cached[0] != (which, number):
            with (self._folders[which] / f"b{number:06d}.pkl").open("rb") as handle:
                block = pickle.load(handle)  # written by this ingestion, in its staging folder
            block["contig"] = self._contig_maps[which][block["contig"]]
            self._cached = ((which, number), block)
        return self._cached[1]

    def _slices(self, start: int, stop: int) -> Iterator[tuple[dict[str, Any], slice]]:
        """The blocks holding records ``start`` to ``stop`` (store numbering), with the rows."""
        index = start
        while index < stop:
            which = int(np.searchsorted(self._offsets, index, side="right")) - 1
            local = index - int(self._offsets[which])
            number, row = divmod(local, BLOCK)
            rows = min(BLOCK - row, stop - index, int(self._offsets[which + 1]) - index)
            yield self._block(which, number), slice(row, row + rows)
            index += rows

    def iter_id(self, start: int, stop: int) -> Iterator[str | None]:
        for block, rows in self._slices(start, stop):
            yield from block["id"][rows]

    def iter_contig(self, start: int, stop: int) -> Iterator[int]:
        for block, rows in self._slices(start, stop):
            yield from block["contig"][rows].tolist()

    def iter_filters(self, start: int, stop: int) -> Iterator[NDArray[np.bool_]]:
        for block, rows in self._slices(start, stop):
            yield from block["filter"][rows]

    def iter_field(
        self, field_name: str, shape: Any, dtype: Any, start: int, stop: int
    ) -> Iterator[Any]:
        for block, rows in self._slices(start, stop):
            yield from block[field_name][rows]

    def iter_alleles_and_genotypes(
        self, start: int, stop: int, shape: Any, num_alleles: int
    ) -> Iterator[vcz.VariantData]:
        ploidy = self.ploidy
        samples = self.num_samples
        for block, rows in self._slices(start, stop):
            count = len(block["position"])
            calls = _decoded(block["calls"], np.int8, (count, samples, 2))[rows, :, :ploidy]
            phased = _decoded(block["phased"], np.bool_, (count, samples))[rows]
            for alleles, genotypes, phase in zip(block["allele"][rows], calls, phased, strict=True):
                padded = np.full(num_alleles, constants.STR_FILL, dtype=_STRING)
                padded[: len(alleles)] = alleles
                yield vcz.VariantData(len(alleles[0]), padded, genotypes, phase)

    def generate_schema(
        self,
        variants_chunk_size: int | None = None,
        samples_chunk_size: int | None = None,
        local_alleles: bool | None = None,
    ) -> vcz.VcfZarrSchema:
        """The arrays bio2zarr's VCF encoder writes for the fixed columns and GT."""
        m = self._manifests
        dimensions = vcz.standard_dimensions(
            variants_size=self.num_records,
            variants_chunk_size=variants_chunk_size,
            samples_size=self.num_samples,
            samples_chunk_size=samples_chunk_size,
            alleles_size=max(x["alleles"] for x in m),
            filters_size=len(self.filters),
            ploidy_size=self.ploidy,
        )
        schema = vcz.VcfZarrSchema(
            format_version=vcz.ZARR_SCHEMA_FORMAT_VERSION, dimensions=dimensions, fields=[]
        )
        boolean = dict(zarr_utils.DEFAULT_COMPRESSOR_BOOL_CONFIG)
        per_call = dict(CALLS_COMPRESSOR)

        def spec(
            name: str,
            dtype: str,
            dims: Sequence[str] = ("variants",),
            *,
            source: str | None = None,
            compressor: dict[str, Any] | None = None,
        ) -> vcz.ZarrArraySpec:
            return vcz.ZarrArraySpec(
                name=name,
                dtype=dtype,
                dimensions=tuple(dims),
                description="",
                compressor=compressor if compressor else (boolean if dtype == "bool" else None),
                source=source,
            )

        positions = (min(x["positions"][0] for x in m), max(x["positions"][1] for x in m))
        lengths = (min(x["lengths"][0] for x in m), max(x["lengths"][1] for x in m))
        calls_dims = ("variants", "samples", "ploidy")
        schema.fields = [
            spec("variant_contig", core.min_int_dtype(0, len(self._contigs))),
            spec("variant_filter", "bool", ("variants", "filters")),
            spec("variant_allele", _STRING, ("variants", "alleles")),
            spec("variant_length", core.min_int_dtype(*lengths)),
            spec("variant_id", _STRING),
            spec("variant_id_mask", "bool"),
            spec("variant_quality", "float32", source="quality"),
            spec("variant_position", core.min_int_dtype(*positions), source="position"),
            spec("call_genotype_phased", "bool", ("variants", "samples"), compressor=per_call),
            spec("call_genotype", "i1", calls_dims, compressor=per_call),
            spec("call_genotype_mask", "bool", calls_dims, compressor=per_call),
        ]
        return schema


def _decoded(data: bytes, dtype: Any, shape: tuple[int, ...]) -> NDArray[Any]:
    return np.frombuffer(_COMPRESSOR.decode(data), dtype=dtype).reshape(shape)
