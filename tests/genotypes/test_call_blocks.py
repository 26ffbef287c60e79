"""Files that carry only GT are encoded from call blocks: the store equals bio2zarr's own.

bio2zarr's VCF reader (explode, then encode) is the reference: every array, type, chunk and
attribute it writes for a file must come out the same from the call blocks, on hand-written
edge cases, on the 1000 Genomes subset and on generated files. The GT parser is also tested
on its own, and so are the refusals of broken records and of files that do not fit together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgr.crypto import NodeKeys
from hgr.exceptions import Conflict, FormatError
from hgr.genotypes.call_blocks import BLOCK, CALLS_COMPRESSOR, plan_call_sets
from hgr.genotypes.encode import encode_vcf
from hgr.genotypes.gt_text import BAD_ALLELE, OK, TOO_MANY_ALLELES, TOO_PLOID, parse_calls
from hgr.genotypes.sources import Source, keep_working_copies, prepare_new
from tests.conftest import shared
from tests.genotypes.vcfs import header, record, write

EDGES = [
    "##fileformat=VCFv4.2",
    "##fileDate=20260101",
    "##contig=<ID=1,length=249250621>",
    "##contig=<ID=X,length=155270560>",
    '##FILTER=<ID=q10,Description="Quality, below 10">',
    '##FILTER=<ID=s50,Description="Fewer than 50% of samples">',
    "##ALT=<ID=DEL,Description=Deletion>",
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\tS4",
    "1\t100\trs1;rs2\tA\tG,T\t30.5\tPASS\t.\tGT\t0/1\t1|2\t.\t./.",
    "1\t100\t.\tA\tC\t0\tq10;s50\t.\tGT\t0|0\t.|1\t1/.\t0",
    "1\t200\t.\tACG\t.\t.\tq10\tEND=210\tGT\t10/11\t0/0\t0|0\t0/0",
    "1\t300\tx1\tA\t<DEL>\t1e3\t.\t.\tGT:XX\t1:5\t0|1:7\t.:.\t1|0:1",
    "X\t300\t.\tA\tAT,ATT,ATTT\t.\tPASS\t.\tGT\t1\t0\t.\t3",
    "X\t400\t.\tN\tA\t.\tPASS\t.\tGT\t1\t2\t.\t0",
]


def _prepared(path: Path, work: Path, keys: NodeKeys, index: int = 0) -> Source:
    work.mkdir(exist_ok=True)
    return prepare_new(path, work, index, keys)


def _both(sources: Sequence[Source], folder: Path, keys: NodeKeys) -> tuple[Any, Any]:
    """The store from the call blocks and the store from bio2zarr's VCF reader."""
    fast_work, reference_work = folder / "fast", folder / "reference"
    fast_work.mkdir()
    reference_work.mkdir()
    assert all(source.layout.calls is not None for source in sources)
    _path, fast = encode_vcf(sources, fast_work, 0)
    plain = [
        dataclasses.replace(s, layout=dataclasses.replace(s.layout, calls=None)) for s in sources
    ]
    keep_working_copies(plain, reference_work, keys)
    _path, reference = encode_vcf(plain, reference_work, 0)
    return fast, reference


def _assert_same_store(fast: Any, reference: Any) -> None:
    assert dict(fast.attrs) == dict(reference.attrs)
    assert sorted(fast.array_keys()) == sorted(reference.array_keys())
    for name in reference.array_keys():
        mine, theirs = fast[name], reference[name]
        shape = (mine.dtype, mine.shape, mine.chunks)
        assert shape == (theirs.dtype, theirs.shape, theirs.chunks), name
        if name.startswith("call_genotype"):
            config = mine.compressors[0].get_config()
            assert {k: config[k] for k in CALLS_COMPRESSOR} == CALLS_COMPRESSOR, name
        else:
            assert mine.compressors == theirs.compressors, name
        assert dict(mine.attrs) == dict(theirs.attrs), name
        a, b = mine[:], theirs[:]
        if name == "call_genotype_phased":
            # Phasing is defined between two alleles (VCF 4.3 §1.6.2); bio2zarr's VCF reader
            # marks one-allele calls either way (see gt_text), the call blocks mark them phased.
            two = (fast["call_genotype"][:] >= -1).all(axis=-1)
            a, b = a[two], b[two]
            assert mine[:][~two].all()
        if a.dtype.kind == "f":  # missing and fill values are NaNs told apart by their bits
            a, b = a.view(f"i{a.dtype.itemsize}"), b.view(f"i{b.dtype.itemsize}")
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_edge_cases_equal_bio2zarr(keys: NodeKeys, tmp_path: Path) -> None:
    source = _prepared(write(tmp_path / "edges.vcf.gz", EDGES), tmp_path / "work", keys)
    fast, reference = _both([source], tmp_path, keys)
    _assert_same_store(fast, reference)
    # What the edges exercise, so that agreement is not agreement on nothing.
    assert fast["call_genotype"][2].tolist() == [[10, 11], [0, 0], [0, 0], [0, 0]]
    assert fast["call_genotype"][4].tolist() == [[1, -2], [0, -2], [-1, -2], [3, -2]]
    assert fast["variant_filter"][1].tolist() == [False, True, True]
    assert fast["variant_quality"][3] == 1000.0


def test_many_blocks_and_partitions_equal_bio2zarr(keys: NodeKeys, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    samples = [f"S{i}" for i in range(7)]
    lines = header(samples)
    codes = ["0/0", "0|1", "1/1", "./.", "1|0", "0/2"]
    for position in range(1, 2 * BLOCK + 380):
        calls = [codes[i] for i in rng.integers(0, len(codes), len(samples))]
        lines.append(record("1", position * 10, calls, alt="G,T"))
    source = _prepared(write(tmp_path / "many.vcf.gz", lines), tmp_path / "work", keys)
    fast_work = tmp_path / "fast-workers"
    fast_work.mkdir()
    _path, fast = encode_vcf([source], fast_work, 2)  # partitions in worker processes
    _unused, reference = _both([source], tmp_path, keys)
    _assert_same_store(fast, reference)


def test_1000_genomes_subset_equals_bio2zarr(keys: NodeKeys, tmp_path: Path) -> None:
    files = [
        shared("1kg_phase3_subset", "vcf", f"1KG_phase3_subset_chr{c}.vcf.gz") for c in (21, 22)
    ]
    sources = [_prepared(f, tmp_path / "work", keys, i) for i, f in enumerate(files)]
    fast, reference = _both(sources, tmp_path, keys)
    _assert_same_store(fast, reference)
    assert fast["call_genotype"].shape[0] > 1000


@st.composite
def _files(draw: st.DrawFn) -> list[str]:
    samples = [f"P{i}" for i in range(draw(st.integers(1, 5)))]
    lines = header(samples)
    for contig in ("1", "X"):
        for position in sorted(draw(st.lists(st.integers(1, 10_000), max_size=8))):
            alts = draw(st.integers(0, 3))
            alleles = "ACGT"[: alts + 1]
            value = st.one_of(st.just("."), st.integers(0, alts).map(str))
            calls = []
            for _ in samples:
                if draw(st.booleans()) and contig == "X":
                    calls.append(draw(value))
                else:
                    calls.append(draw(value) + draw(st.sampled_from("/|")) + draw(value))
            quality = draw(st.sampled_from([".", "0", "12.5", "99"]))
            alt = ",".join(alleles[1:]) or "."
            fixed = [contig, str(position), ".", alleles[0], alt, quality, "PASS", ".", "GT"]
            lines.append("\t".join([*fixed, *calls]))
    if len(lines) == len(header(samples)):
        lines.append(record("1", 1, ["0/1"] * len(samples)))
    return lines


def test_generated_files_equal_bio2zarr(keys: NodeKeys, tmp_path: Path) -> None:
    counter = iter(range(1000))

    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(_files())
    def same(lines: list[str]) -> None:
        folder = tmp_path / f"case{next(counter)}"
        folder.mkdir()
        source = _prepared(write(folder / "g.vcf.gz", lines), folder / "work", keys)
        _assert_same_store(*_both([source], folder, keys))

    same()


def test_files_with_other_fields_go_to_bio2zarr_reader(keys: NodeKeys, tmp_path: Path) -> None:
    lines = header()
    lines.insert(1, '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">')
    path = write(tmp_path / "info.vcf.gz", [*lines, record("1", 5, ["0/1", "0/0", "1/1"])])
    with_info = _prepared(path, tmp_path / "work", keys)
    assert with_info.layout.calls is None
    assert with_info.working is not None
    assert with_info.working.exists()
    for compress in ("bgzf", "gzip", "none"):
        lines = [*header(), record("1", 5, ["0/1", "0/0", "1/1"])]
        gt_only = write(tmp_path / f"gt-{compress}.vcf.gz", lines, compress=compress)
        source = _prepared(gt_only, tmp_path / f"work-{compress}", keys)
        assert source.layout.calls is not None
        assert source.working is None  # not copied again: the calls were parsed instead
        assert list((tmp_path / f"work-{compress}").glob("source-*")) == []


def _parsed(text: str, samples: int) -> tuple[tuple[int, int, int], list[list[int]], list[bool]]:
    calls = np.full((samples, 2), 99, dtype=np.int8)
    phased = np.zeros(samples, dtype=np.bool_)
    result = parse_calls(np.frombuffer(text.encode(), dtype=np.uint8), calls, phased)
    return tuple(result), calls.tolist(), phased.tolist()  # type: ignore[return-value]


def test_gt_parser() -> None:
    assert _parsed("0|1\t1/0\t.\t./.", 4) == (
        (OK, 0, 2),
        [[0, 1], [1, 0], [-1, -2], [-1, -1]],
        [True, False, True, False],
    )
    # Longer indices, other sub-fields after GT, haploid only.
    assert _parsed("12/3:35:99\t1:7", 2) == ((OK, 0, 2), [[12, 3], [1, -2]], [False, True])
    assert _parsed("1\t0", 2) == ((OK, 0, 1), [[1, -2], [0, -2]], [True, True])
    assert _parsed("0/1\t0/x", 2)[0] == (BAD_ALLELE, 1, 2)
    assert _parsed("0/1\t\t0/0", 3)[0][:2] == (BAD_ALLELE, 1)
    assert _parsed("0/1/1", 1)[0][:2] == (TOO_PLOID, 0)
    assert _parsed("0/128", 1)[0][:2] == (TOO_MANY_ALLELES, 0)
    assert _parsed("0/1", 2)[0][:2] == (BAD_ALLELE, 1)  # fewer columns than samples
    assert _parsed("0-1", 1)[0][:2] == (BAD_ALLELE, 0)


BROKEN = {
    "letter in GT": (["0/1", "0/x", "0/0"], "E_VCF_MALFORMED", ":7: the GT of sample 'S2'"),
    "empty GT": (["0/1", ":", "0/0"], "E_VCF_MALFORMED", ":7: the GT of sample 'S2'"),
    "allele beyond int8": (
        ["0/1", "0/200", "0/0"],
        "E_VCF_MALFORMED",
        ":7: the GT of sample 'S2' names an allele beyond 127",
    ),
    "triploid": (["0/1", "0/0", "0/0/1"], "E_VCF_PLOIDY", ":7: wrong ploidy"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_calls_name_the_line_and_sample(keys: NodeKeys, tmp_path: Path, case: str) -> None:
    calls, code, where = BROKEN[case]
    path = write(tmp_path / "bad.vcf.gz", [*header(), record("1", 5, calls)])
    with pytest.raises(FormatError) as caught:
        _prepared(path, tmp_path / "work", keys)
    assert caught.value.code == code
    assert f"{path}{where}" in caught.value.message


def test_broken_fixed_columns_are_refused(keys: NodeKeys, tmp_path: Path) -> None:
    quality = record("1", 5, ["0/1"] * 3).replace("\t.\tPASS", "\thigh\tPASS")
    with pytest.raises(FormatError, match=r":7: QUAL 'high' is not a number"):
        _prepared(write(tmp_path / "q.vcf.gz", [*header(), quality]), tmp_path / "w1", keys)
    undeclared = record("1", 5, ["0/1"] * 3).replace("PASS", "lowqual")
    with pytest.raises(FormatError, match=r":7: FILTER 'lowqual' is not declared"):
        _prepared(write(tmp_path / "f.vcf.gz", [*header(), undeclared]), tmp_path / "w2", keys)


def _calls_of(keys: NodeKeys, folder: Path, name: str, lines: list[str], index: int) -> Path:
    source = _prepared(write(folder / name, lines), folder / f"work{index}", keys, index)
    assert source.layout.calls is not None
    return source.layout.calls


def test_files_that_do_not_fit_together_are_refused(keys: NodeKeys, tmp_path: Path) -> None:
    chr1 = [*header(), record("1", 100, ["0/1"] * 3), record("1", 200, ["0/1"] * 3)]
    chr1_later = [*header(), record("1", 300, ["0/0"] * 3)]
    chr1_overlap = [*header(), record("1", 200, ["0/0"] * 3)]
    chr2 = [*header(), record("2", 5, ["0/0"] * 3), record("1", 900, ["0/0"] * 3)]
    a = _calls_of(keys, tmp_path, "a.vcf.gz", chr1, 0)
    later = _calls_of(keys, tmp_path, "b.vcf.gz", chr1_later, 1)
    plan = plan_call_sets([later, a], tmp_path / "plan.json")  # placed by position
    assert '"sets": ["' + str(a) in plan.read_text()
    with pytest.raises(Conflict) as caught:
        plan_call_sets([a, _calls_of(keys, tmp_path, "c.vcf.gz", chr1_overlap, 2)], plan)
    assert caught.value.code == "E_SOURCES_OVERLAP"
    with pytest.raises(Conflict):  # contig 1 resumes in a file placed after contig 2
        plan_call_sets([a, _calls_of(keys, tmp_path, "d.vcf.gz", chr2, 3)], plan)
    other_length = [h.replace("249250621", "1000000") for h in chr1_later]
    with pytest.raises(FormatError) as caught:
        plan_call_sets([a, _calls_of(keys, tmp_path, "e.vcf.gz", other_length, 4)], plan)
    assert caught.value.code == "E_VCF_HEADER"
    filtered = [*header()[:-1], '##FILTER=<ID=q10,Description="low">', header()[-1], chr1_later[-1]]
    with pytest.raises(FormatError, match="FILTER"):
        plan_call_sets([a, _calls_of(keys, tmp_path, "f.vcf.gz", filtered, 5)], plan)


def test_a_store_of_two_files_equals_bio2zarr(keys: NodeKeys, tmp_path: Path) -> None:
    first = write(tmp_path / "a.vcf.gz", [*header(), record("2", 10, ["0/1", "1|1", "0/0"])])
    second = write(
        tmp_path / "b.vcf.gz",
        [*header(), record("1", 10, ["0/1", "1|1", "0/0"]), record("1", 20, ["./.", "1", "0/0"])],
    )
    work = tmp_path / "work"
    sources = [_prepared(first, work, keys, 0), _prepared(second, work, keys, 1)]
    fast, reference = _both(sources, tmp_path, keys)
    _assert_same_store(fast, reference)
    assert zarr.open_group(str(tmp_path / "fast" / "store.vcz"))["variant_contig"][:].tolist() == [
        0,
        0,
        1,
    ]
