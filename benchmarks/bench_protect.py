"""Protecting a national survey edition's published tables, at national scale.

Target (issue: published survey tables): protecting a national edition of 5,000,000 donors at
2,000 institutions, every table, takes under 2 minutes.

Setup (not timed): a synthetic nation (:mod:`hgr.synth.editions`) of donors drawn one by one,
counted into the national edition's tables exactly as compiled. Timed: ``protect_release``,
which builds the reader's model of every table and relation, hides the small counts, audits
every hidden count with the attacker's linear program and hides more until each keeps a range
at least the protection interval wide. With ``--correction``, a one-donor correction is then
protected against the first edition, as a sign-off does.

No reference tool runs here: tau-Argus (the statistical offices' tool for cell suppression)
needs Windows, and sdcTable needs R; the figure is set against the target.

    python benchmarks/bench_protect.py [--donors 5000000] [--institutions 2000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hgr.survey.publish import protect_release  # noqa: E402
from hgr.synth.editions import synthetic_nation  # noqa: E402

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donors", type=int, default=5_000_000)
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--provinces", type=int, default=31)
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--interval", type=int, default=5)
    parser.add_argument("--correction", action="store_true", help="Also protect a correction.")
    args = parser.parse_args()
    started = time.perf_counter()
    nation = synthetic_nation(args.donors, args.institutions, args.provinces, seed=1)
    edition = nation.edition()
    cells = sum(
        len(fields) if isinstance(fields, dict) else 1
        for facts in edition["institutions"].values()
        for fields in facts["fields"].values()
    )
    print(
        f"setup: {args.donors:,} donor records at {args.institutions:,} institutions in "
        f"{args.provinces} provinces, {cells:,} non-zero institution counts "
        f"({time.perf_counter() - started:.1f} s)"
    )
    started = time.perf_counter()
    release = protect_release(edition, (), args.threshold, args.interval)
    seconds = time.perf_counter() - started
    hidden = sum(len(c) for c in release.suppressed.values())
    print(
        f"protect: {seconds:.1f} s; {hidden:,} cells hidden, {len(release.unprotected)} "
        f"unprotected; target {TARGET_SECONDS:.0f} s, ratio {seconds / TARGET_SECONDS:.2f} "
        f"({'met' if seconds <= TARGET_SECONDS else 'NOT met'})"
    )
    if args.correction:
        corrected = nation.corrected().edition()
        started = time.perf_counter()
        again = protect_release(corrected, [(edition, release.suppressed)], 5, 5)
        seconds = time.perf_counter() - started
        print(
            f"correction: {seconds:.1f} s; "
            f"{sum(len(c) for c in again.suppressed.values()):,} cells hidden"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
