"""All-pairs KING-robust kinship against PLINK 2's ``--make-king-table``, on planted cohorts.

Targets (issue: identity and relatedness engine), on simulated cohorts of 5,000 and 20,000
samples × 100,000 SNPs, with the same thread count for both tools:

- CPU time: ``hgr relate`` at most half of ``plink2 --make-king-table``'s;
- peak memory under 2 GB at 20,000 samples;
- against the planted truth: every duplicate and first-degree pair found, at least 95% of
  second-degree pairs, no false first-degree call;
- where PyTorch sees a CUDA GPU: 100,000 samples × 100,000 SNPs with ``--device gpu`` in under
  2 minutes, reading the fileset included (the rate is then that of the GPU's kinship stage).

Cohorts come from ``hgr.synth.related_cohort`` (seeded, PLINK 1 filesets, kept under
build/bench). Each tool runs as a child process; its CPU time and peak memory are the
operating system's figures for that child (``os.wait4``). The kinship rate is word-pairs
(64 SNPs × one sample pair) per second of hgr's kinship stage.

    python benchmarks/bench_relatedness.py [--samples 5000,20000] [--variants 100000]
        [--gpu-samples 100000]

Needs Debian's plink2 (``apt-get install plink2``) for the comparison.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hgr.relatedness.gpu import cuda_available  # noqa: E402
from hgr.synth.related_cohort import write_related_cohort  # noqa: E402

HGR = [sys.executable, "-m", "hgr"]
TARGET_CPU_RATIO = 0.5
TARGET_MIB = 2048.0
TARGET_GPU_SECONDS = 120.0
MIN_KINSHIP = "0.0442"


def _run(command: list[str]) -> tuple[float, float, float, str]:
    """Run ``command``; return (wall s, CPU s, peak MiB, stdout)."""
    started = time.perf_counter()
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    environment = dict(os.environ, PYTHONPATH=path)
    with tempfile.TemporaryFile("w+") as output:
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment)
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        output.seek(0)
        text = output.read()
    if child.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{text}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def _kinship_rate(text: str, samples: int, variants: int) -> tuple[float, float]:
    """The kinship stage's seconds (from ``hgr relate``'s output) and its word-pairs/s."""
    seconds = float(re.search(r"kinship ([\d.]+) s", text).group(1))  # type: ignore[union-attr]
    words = -(-variants // 64)
    return seconds, samples * (samples - 1) / 2 * words / seconds


def _cohort(samples: int, variants: int) -> tuple[Path, dict[str, set[frozenset[str]]]]:
    prefix = ROOT / "build" / "bench" / f"related-{samples}x{variants}"
    truth_file = prefix.with_suffix(".truth.tsv")
    if not truth_file.exists():
        prefix.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_related_cohort(prefix, samples, variants, seed=samples)
        print(f"simulated {prefix.name} in {time.perf_counter() - started:.0f} s")
    truth: dict[str, set[frozenset[str]]] = {}
    for line in truth_file.read_text().splitlines()[1:]:
        a, b, kind = line.split("\t")
        truth.setdefault(kind, set()).add(frozenset((a, b)))
    return prefix, truth


def _accuracy(pairs_tsv: Path, truth: dict[str, set[frozenset[str]]]) -> list[str]:
    called: dict[frozenset[str], str] = {}
    for line in pairs_tsv.read_text().splitlines()[1:]:
        a, b, _kinship, _ibs0, _n, relationship = line.split("\t")
        called[frozenset((a, b))] = relationship
    first = {"parent-offspring", "full-siblings"}
    true_first = truth["parent-offspring"] | truth["full-siblings"]
    lines = []
    for kind, wanted in (
        ("duplicate", {"duplicate"}),
        ("parent-offspring", first),
        ("full-siblings", first),
        ("second-degree", {"second-degree"}),
    ):
        found = sum(called.get(pair) in wanted for pair in truth[kind])
        exact = sum(called.get(pair) == kind for pair in truth[kind])
        lines.append(
            f"  {kind}: {found}/{len(truth[kind])} found ({found / len(truth[kind]):.1%}), "
            f"{exact} with the exact class"
        )
    false_first = sum(
        1
        for pair, relationship in called.items()
        if relationship in first | {"duplicate"}
        and pair not in true_first
        and pair not in truth["duplicate"]
    )
    lines.append(f"  false first-degree or duplicate calls: {false_first}")
    return lines


def _plink2_kinship(kin0: Path) -> dict[frozenset[str], float]:
    lines = kin0.read_text().splitlines()
    columns = lines[0].lstrip("#").split()
    first, second = columns.index("IID1"), columns.index("IID2")
    values = {}
    for line in lines[1:]:
        cells = line.split()
        values[frozenset((cells[first], cells[second]))] = float(cells[-1])
    return values


def _one_size(samples: int, variants: int, threads: int, plink2: str | None) -> None:
    prefix, truth = _cohort(samples, variants)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hgr"
        wall, cpu, mib, text = _run(
            [
                *HGR,
                "relate",
                str(prefix),
                "--out",
                str(out),
                "--threads",
                str(threads),
                "--device",
                "cpu",
            ]
        )
        kinship_seconds, rate = _kinship_rate(text, samples, variants)
        print(f"{samples:,} samples × {variants:,} SNPs, {threads} threads")
        print(
            f"  hgr relate: {wall:.1f} s wall, {cpu:.1f} s CPU, peak {mib:.0f} MiB "
            f"(target < {TARGET_MIB:.0f} MiB at 20,000: "
            f"{'ok' if mib < TARGET_MIB or samples < 20_000 else 'MISSED'}); kinship stage "
            f"{kinship_seconds:.1f} s = {rate / 1e9:.2f} × 10⁹ word-pairs/s"
        )
        for line in _accuracy(Path(f"{out}.pairs.tsv"), truth):
            print(line)
        if plink2 is None:
            print("  plink2 not installed: no comparison (apt-get install plink2)")
            return
        p_wall, p_cpu, p_mib, _ = _run(
            [
                plink2,
                "--bfile",
                str(prefix),
                "--make-king-table",
                "--king-table-filter",
                MIN_KINSHIP,
                "--threads",
                str(threads),
                "--out",
                str(Path(tmp) / "plink"),
            ]
        )
        ratio = cpu / p_cpu
        print(
            f"  plink2 --make-king-table: {p_wall:.1f} s wall, {p_cpu:.1f} s CPU, "
            f"peak {p_mib:.0f} MiB"
        )
        print(
            f"  CPU ratio hgr / plink2: {ratio:.2f} (target ≤ {TARGET_CPU_RATIO}) "
            f"{'ok' if ratio <= TARGET_CPU_RATIO else 'MISSED'}; wall ratio {wall / p_wall:.2f}"
        )
        reference = _plink2_kinship(Path(tmp) / "plink.kin0")
        ours = {}
        for line in Path(f"{out}.pairs.tsv").read_text().splitlines()[1:]:
            a, b, kinship, *_ = line.split("\t")
            ours[frozenset((a, b))] = float(kinship)
        shared = set(reference) & set(ours)
        worst = max((abs(reference[p] - ours[p]) for p in shared), default=0.0)
        print(
            f"  same pairs as plink2: {len(shared)}/{len(reference)} "
            f"(hgr {len(ours)}), largest kinship difference {worst:.1e}"
        )


def _on_gpu(samples: int, variants: int) -> None:
    prefix, truth = _cohort(samples, variants)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hgr"
        wall, cpu, mib, text = _run(
            [*HGR, "relate", str(prefix), "--out", str(out), "--device", "gpu"]
        )
        stages = re.search(r"time: (.*)", text)
        _seconds, rate = _kinship_rate(text, samples, variants)
        verdict = "ok" if wall < TARGET_GPU_SECONDS else "MISSED"
        print(f"{samples:,} samples × {variants:,} SNPs on the GPU")
        print(
            f"  hgr relate --device gpu: {wall:.1f} s wall (target < {TARGET_GPU_SECONDS:.0f} s: "
            f"{verdict}), {cpu:.1f} s CPU, peak {mib:.0f} MiB on the host; "
            f"{stages.group(1) if stages else ''}; kinship stage {rate / 1e9:.1f} × 10⁹ "
            "word-pairs/s"
        )
        for line in _accuracy(Path(f"{out}.pairs.tsv"), truth):
            print(line)


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="5000,20000", help="CPU sizes ('' for none)")
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gpu-samples", default="100000", help="GPU sizes ('' for none)")
    args = parser.parse_args()
    plink2 = shutil.which("plink2")
    for samples in _sizes(args.samples):
        _one_size(samples, args.variants, args.threads, plink2)
    gpu_sizes = _sizes(args.gpu_samples)
    if gpu_sizes and not cuda_available():
        print("no CUDA GPU seen by PyTorch: the GPU target (100,000 × 100,000 < 2 min) not run")
        return 0
    for samples in gpu_sizes:
        _on_gpu(samples, args.variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
