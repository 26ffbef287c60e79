"""``hgr relate``'s HTML report: what was compared, how noisy it is, and every pair drawn.

The plot is the one KING's and peddy's users read: each pair's kinship against the proportion
of sites where the two are opposite homozygotes (IBS0), coloured by the relationship inferred,
with KING's thresholds as lines and the pairs a PED declares ringed. Parent and child share an
allele at every site (IBS0 near 0) where full siblings do not, which is what sets them apart
at the same kinship (Manichaikul et al. 2010, Figure 2).

One self-contained page: an inline SVG, no script, no external resources, so that it can be
mailed or archived as it is. A table of millions of pairs cannot be drawn: past
:data:`MOST_POINTS` pairs, every related pair is drawn and the unrelated ones are sampled, as
the caption says.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from html import escape

import numpy as np

from hgr.genotypes.sex import FEMALE_RATIO_ABOVE, MALE_RATIO_BELOW
from hgr.relatedness.degrees import FIRST_DEGREE_MIN, SECOND_DEGREE_MIN, THIRD_DEGREE_MIN
from hgr.relatedness.king import KingPairs
from hgr.relatedness.pedigree_check import FamilyReport
from hgr.relatedness.sex_check import FEMALE_BELOW, MALE_ABOVE, SexCall
from hgr.vocabulary import Relationship

__all__ = ["MOST_POINTS", "relate_html"]

MOST_POINTS = 20_000
"""Pairs drawn at most (a page stays light enough to open)."""

# Colour-blind-safe (Okabe and Ito's palette), one per class.
COLOURS = {
    Relationship.DUPLICATE: "#000000",
    Relationship.PARENT_OFFSPRING: "#D55E00",
    Relationship.FULL_SIBLINGS: "#0072B2",
    Relationship.SECOND_DEGREE: "#009E73",
    Relationship.THIRD_DEGREE: "#CC79A7",
    Relationship.UNRELATED: "#999999",
}
_WIDTH, _HEIGHT, _MARGIN = 640, 420, 56

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 60em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
.warning { background: #fff4ce; border-left: 4px solid #c69026; padding: 0.5em 1em; }
figcaption { color: #555; font-size: 0.9em; max-width: 640px; }
"""


def _drawn(pairs: KingPairs, relationships: Sequence[Relationship]) -> np.ndarray:
    """The rows to draw: all, or every related pair and a fixed sample of the unrelated."""
    rows = np.arange(len(pairs))
    if rows.size <= MOST_POINTS:
        return rows
    unrelated = np.array([r == Relationship.UNRELATED for r in relationships], dtype=bool)
    related = rows[~unrelated]
    room = max(MOST_POINTS - related.size, 0)
    sampled = np.random.default_rng(0).choice(rows[unrelated], size=room, replace=False)
    return np.sort(np.concatenate([related, sampled]))


def _scatter(
    pairs: KingPairs,
    relationships: Sequence[Relationship],
    rows: np.ndarray,
    declared: set[frozenset[str]],
) -> str:
    """The SVG: kinship (y) against IBS0 (x)."""
    kinship = pairs.kinship[rows]
    ibs0 = pairs.ibs0_fraction[rows]
    finite = np.isfinite(kinship) & np.isfinite(ibs0)
    x_top = max(0.01, float(np.nanmax(ibs0[finite])) * 1.05) if finite.any() else 0.05
    y_low = min(-0.05, float(np.nanmin(kinship[finite])) - 0.02) if finite.any() else -0.05
    y_top = 0.55

    def x(value: float) -> float:
        return _MARGIN + (value / x_top) * (_WIDTH - 2 * _MARGIN)

    def y(value: float) -> float:
        return _HEIGHT - _MARGIN - (value - y_low) / (y_top - y_low) * (_HEIGHT - 2 * _MARGIN)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-label="kinship against IBS0">',
        f'<rect x="{_MARGIN}" y="{_MARGIN}" width="{_WIDTH - 2 * _MARGIN}" '
        f'height="{_HEIGHT - 2 * _MARGIN}" fill="none" stroke="#888"/>',
    ]
    for name, threshold in (
        ("1st", FIRST_DEGREE_MIN),
        ("2nd", SECOND_DEGREE_MIN),
        ("3rd", THIRD_DEGREE_MIN),
    ):
        parts.append(
            f'<line x1="{_MARGIN}" x2="{_WIDTH - _MARGIN}" y1="{y(threshold):.1f}" '
            f'y2="{y(threshold):.1f}" stroke="#bbb" stroke-dasharray="4 3"/>'
            f'<text x="{_WIDTH - _MARGIN + 4}" y="{y(threshold) + 4:.1f}" font-size="11">'
            f"{name}</text>"
        )
    for tick in np.linspace(0, x_top, 5):
        parts.append(
            f'<text x="{x(float(tick)):.1f}" y="{_HEIGHT - _MARGIN + 16}" font-size="11" '
            f'text-anchor="middle">{tick:.3f}</text>'
        )
    for tick in np.arange(math.ceil(y_low * 10) / 10, y_top, 0.1):
        parts.append(
            f'<text x="{_MARGIN - 6}" y="{y(float(tick)) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{tick:.1f}</text>'
        )
    parts.append(
        f'<text x="{_WIDTH / 2}" y="{_HEIGHT - 12}" font-size="12" text-anchor="middle">'
        "IBS0 (proportion of sites with opposite homozygotes)</text>"
        f'<text x="16" y="{_HEIGHT / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {_HEIGHT / 2})">kinship (KING-robust)</text>'
    )
    # Unrelated pairs first, so that the related ones are drawn over them.
    order = sorted(
        range(rows.size), key=lambda k: relationships[int(rows[k])] != Relationship.UNRELATED
    )
    for k in order:
        if not finite[k]:
            continue
        row = int(rows[k])
        a, b = pairs.samples[int(pairs.a[row])], pairs.samples[int(pairs.b[row])]
        colour = COLOURS[relationships[row]]
        cx, cy = x(float(ibs0[k])), y(float(kinship[k]))
        title = f"<title>{escape(a)} – {escape(b)}: {relationships[row]}</title>"
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{colour}" '
            f'fill-opacity="0.75">{title}</circle>'
        )
        if frozenset((a, b)) in declared:
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="none" stroke="#000" '
                f'stroke-width="1.2">{title}</circle>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _sex_section(sexes: Sequence[SexCall]) -> str:
    """The sex check: how many of each, then the samples whose call is missing or disagrees."""
    tally = Counter(c.inferred or "no call" for c in sexes)
    odd = [c for c in sexes if c.status in ("mismatch", "no call")]
    parts = [
        "<h2>Sex from chromosome X</h2>",
        f"<p>Two statistics over each sample's X sites outside the pseudo-autosomal regions: "
        f"F (PLINK's --check-sex; above {MALE_ABOVE} male, below {FEMALE_BELOW} female) and "
        f"heterozygous over homozygous alternate calls (peddy's ratio; below "
        f"{MALE_RATIO_BELOW} male, above {FEMALE_RATIO_ABOVE} female). The sex inferred is "
        f"the one they agree on, or F's while the ratio is silent; the ratio alone calls "
        f"only women (a woman's ratio is low too where her alternate alleles are common). "
        + ", ".join(f"{n:,} {what}" for what, n in sorted(tally.items()))
        + ".</p>",
    ]
    if odd:
        parts.append(
            "<table><tr><th>sample</th><th>declared</th><th>inferred</th><th>status</th>"
            "<th>F</th><th>X sites</th><th>het / hom alt</th></tr>"
        )
        parts.extend(
            f"<tr><td>{escape(c.sample)}</td><td>{c.declared or ''}</td>"
            f"<td>{c.inferred or ''}</td><td>{c.status}</td><td>{c.f:.3f}</td>"
            f"<td>{c.sites:,}</td><td>{c.heterozygous:,} / {c.alternate:,}</td></tr>"
            for c in odd
        )
        parts.append("</table>")
    return "\n".join(parts)


def relate_html(
    title: str,
    samples: int,
    sites: int,
    noise: float,
    warnings: Sequence[str],
    pairs: KingPairs,
    min_kinship: float,
    families: Sequence[FamilyReport] = (),
    sexes: Sequence[SexCall] = (),
) -> str:
    """The report page (module docstring)."""
    relationships = pairs.relationships()
    declared = {frozenset((p.sample_a, p.sample_b)) for f in families for p in f.pairs}
    rows = _drawn(pairs, relationships)
    counts = Counter(relationships)
    shown = (
        "every pair"
        if min_kinship == -math.inf or min_kinship <= -1
        else (f"the pairs with kinship ≥ {min_kinship:g}")
    )
    caption = (
        f"{rows.size:,} of {len(pairs):,} pairs drawn ({shown}"
        + ("" if rows.size == len(pairs) else "; every related pair, the unrelated sampled")
        + "). Dashed lines: KING's lower kinship of each degree. Ringed: pairs a PED declares."
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{samples:,} samples × {sites:,} autosomal biallelic SNVs. From the sites alone, a "
        f"pair's kinship varies by about ±{noise:.3f} (one standard deviation).</p>",
    ]
    parts.extend(f'<p class="warning">Warning: {escape(w)}</p>' for w in warnings)
    parts.append("<table><tr><th>relationship inferred</th><th>pairs</th><th>colour</th></tr>")
    for relationship in Relationship:
        parts.append(
            f"<tr><td>{relationship}</td><td>{counts.get(relationship, 0):,}</td>"
            f'<td><svg width="14" height="14"><circle cx="7" cy="7" r="5" '
            f'fill="{COLOURS[relationship]}"/></svg></td></tr>'
        )
    parts.append("</table>")
    parts.append(
        f"<figure>{_scatter(pairs, relationships, rows, declared)}"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
    if sexes:
        parts.append(_sex_section(sexes))
    if families:
        flagged = [f for f in families if not f.ok]
        parts.append(
            f"<p>{len(families)} declared families checked, {len(flagged)} with flags: see the "
            "pedigree report beside this one.</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
