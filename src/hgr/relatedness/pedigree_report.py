"""Pedigree check reports: one JSON document and one self-contained HTML page, per family.

The JSON holds everything (pairs, trios, flags with evidence) for programs; the HTML is for the
data steward: a summary of the families with flags first, then each family's table of declared
and inferred relationships, mismatches highlighted. No script, no external resources, so it
can be mailed or archived as it is.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from hgr.relatedness.pedigree_check import FamilyReport

__all__ = ["pedigree_html", "pedigree_json"]


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def pedigree_json(reports: list[FamilyReport]) -> dict[str, Any]:
    """A JSON-ready document of every family's checks."""
    return {
        "families": [
            {
                "family": r.family,
                "ok": r.ok,
                "members": r.members,
                "not_genotyped": r.not_genotyped,
                "flags": [
                    {"kind": f.kind.value, "samples": list(f.samples), "evidence": f.evidence}
                    for f in r.flags
                ],
                "pairs": [
                    {
                        "sample_a": p.sample_a,
                        "sample_b": p.sample_b,
                        "declared": p.declared.value,
                        "expected_kinship": round(p.expected_kinship, 6),
                        "inferred": p.inferred.value,
                        "kinship": _number(p.kinship),
                        "ibs0": _number(p.ibs0),
                        "n_sites": p.n_sites,
                        "status": p.status,
                    }
                    for p in r.pairs
                ],
                "trios": [
                    {
                        "child": t.child,
                        "father": t.father,
                        "mother": t.mother,
                        "sites": t.sites,
                        "mendelian_errors": t.errors,
                        "rate": round(t.rate, 6),
                    }
                    for t in r.trios
                ],
            }
            for r in reports
        ],
        "summary": {
            "families": len(reports),
            "flagged": sum(not r.ok for r in reports),
        },
    }


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
tr.mismatch td { background: #fde8e8; }
.flag { color: #a40000; }
.ok { color: #1a7f37; }
"""


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    return escape(str(value))


def pedigree_html(reports: list[FamilyReport], title: str) -> str:
    """One HTML page: a summary, then every family (flagged families first)."""
    ordered = sorted(reports, key=lambda r: (r.ok, r.family))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{len(reports)} families, {sum(not r.ok for r in reports)} with flags.</p>",
    ]
    for report in ordered:
        status = (
            '<span class="ok">no flags</span>'
            if report.ok
            else f'<span class="flag">{len(report.flags)} flags</span>'
        )
        parts.append(f'<h2 id="{escape(report.family)}">{escape(report.family)}: {status}</h2>')
        if report.not_genotyped:
            parts.append(f"<p>Not genotyped: {escape(', '.join(report.not_genotyped))}</p>")
        if report.flags:
            parts.append("<ul>")
            parts.extend(
                f'<li class="flag"><b>{escape(f.kind.value)}</b> '
                f"({escape(', '.join(f.samples))}): {escape(f.evidence)}</li>"
                for f in report.flags
            )
            parts.append("</ul>")
        if report.pairs:
            parts.append(
                "<table><tr><th>sample a</th><th>sample b</th><th>declared</th>"
                "<th>inferred</th><th>kinship</th><th>expected</th><th>IBS0</th>"
                "<th>sites</th><th>status</th></tr>"
            )
            for p in report.pairs:
                row = (
                    p.sample_a,
                    p.sample_b,
                    p.declared.value,
                    p.inferred.value,
                    p.kinship,
                    p.expected_kinship,
                    p.ibs0,
                    p.n_sites,
                    p.status,
                )
                cells = "".join(f"<td>{_cell(v)}</td>" for v in row)
                parts.append(f'<tr class="{p.status}">{cells}</tr>')
            parts.append("</table>")
        if report.trios:
            parts.append(
                "<table><tr><th>child</th><th>father</th><th>mother</th><th>sites</th>"
                "<th>Mendelian errors</th><th>rate</th></tr>"
            )
            for t in report.trios:
                cells = "".join(
                    f"<td>{_cell(v)}</td>"
                    for v in (t.child, t.father, t.mother, t.sites, t.errors, f"{t.rate:.3%}")
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
