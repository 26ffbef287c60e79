"""The national survey report, as HTML and PDF, drawn only from published (protected) tables.

Everything shown comes from :class:`hgr.survey.publish.PublishedSurvey`: a count hidden by
disclosure control is shown as "x" in tables and left out of charts (with a note), so the
report can never show more than the published tables do. Charts are drawn with matplotlib as
inline SVG; the PDF is the same HTML laid out by WeasyPrint for A4 paper.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from hgr.dates import utc_now
from hgr.exceptions import ConfigurationError
from hgr.privacy.tables import Protected
from hgr.survey.publish import HIDDEN, PublishedSurvey

__all__ = ["ReportFiles", "render_report"]

NAVY, TEAL, GREY = "#1f3a5f", "#2a9d8f", "#9aa5b1"
TOP_DISEASES = 10


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None


ACRONYMS = {
    "dna": "DNA",
    "rna": "RNA",
    "cdna": "cDNA",
    "pbmc": "PBMC",
    "csf": "CSF",
    "tissue_ffpe": "Tissue (FFPE)",
}


def _label(code: str) -> str:
    return ACRONYMS.get(code) or code.replace("_", " ").capitalize()


def _shown(value: int | None) -> str:
    return HIDDEN if value is None else f"{value:,}"


def _bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    horizontal: bool = False,
) -> str:
    """An SVG bar chart (hidden values left out); the SVG text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "svg.fonttype": "none"})
    height = max(2.6, 0.32 * len(labels) + 1.2) if horizontal else 3.0
    figure, axes = plt.subplots(figsize=(6.6, height))
    width = 0.8 / max(1, len(series))
    colours = [NAVY, TEAL, GREY]
    for n, (name, values) in enumerate(series.items()):
        positions = [i + (n - (len(series) - 1) / 2) * width for i in range(len(labels))]
        shown = [(p, v) for p, v in zip(positions, values, strict=True) if v is not None]
        for p, v in zip(positions, values, strict=True):
            if v is None:  # withheld: marked where the bar would start, never drawn
                place: dict[str, Any] = {
                    "xy": (0, p),
                    "xytext": (3, 0),
                    "va": "center",
                    "ha": "left",
                }
                if not horizontal:
                    place = {"xy": (p, 0), "xytext": (0, 3), "va": "bottom", "ha": "center"}
                axes.annotate(HIDDEN, textcoords="offset points", color=GREY, **place)
        if not shown:
            continue
        xs, ys = zip(*shown, strict=True)
        if horizontal:
            axes.barh(xs, ys, height=width, color=colours[n % 3], label=name)
        else:
            axes.bar(xs, ys, width=width, color=colours[n % 3], label=name)
    ticks = list(range(len(labels)))
    if horizontal:
        axes.set_yticks(ticks, labels)
        axes.invert_yaxis()
    else:
        axes.set_xticks(
            ticks,
            labels,
            rotation=30 if len(labels) > 5 else 0,
            ha="right" if len(labels) > 5 else "center",
        )
    axes.set_title(title, loc="left", fontsize=10, color=NAVY)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(series) > 1 and axes.get_legend_handles_labels()[0]:
        axes.legend(frameon=False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog: the SVG sits inside HTML


def _table_rows(
    published: PublishedSurvey, name: str, units: Sequence[str], names: Mapping[str, str]
) -> list[dict[str, Any]]:
    protected = published.tables[name]
    return [
        {"unit": names.get(u, u), "cells": [_shown(v) for v in protected.row(u).values()]}
        for u in units
    ]


TREND_FIELDS = ("donors", "samples", "families")
COUNT_COLUMNS = ("donors", "samples", "families", "ethics_approvals", "consents_withdrawn")


def _count_row(counts: Protected, unit: str, names: Mapping[str, str]) -> dict[str, Any]:
    return {"unit": names[unit], "cells": [_shown(counts.row(unit)[c]) for c in COUNT_COLUMNS]}


def _trend(
    previous: Mapping[str, Any] | None, nation: Mapping[str, int | None], published: PublishedSurvey
) -> dict[str, Any] | None:
    """The national counts of the previous cycle beside this one's."""
    if not previous:
        return None
    before: dict[str, int | None] = {}
    for field in TREND_FIELDS:
        old = previous["totals"].get(field)
        # The previous edition's totals are margins of its own tables: small ones stay hidden.
        before[field] = old if old is not None and old >= published.threshold else None
    rows = []
    for field in TREND_FIELDS:
        old, new = before[field], nation.get(field)
        change = f"{(new - old) / old:+.1%}" if old and new is not None else "–"
        rows.append(
            {"field": _label(field), "before": _shown(old), "now": _shown(new), "change": change}
        )
    series = {
        f"Cycle {previous['cycle']}": [before[f] for f in TREND_FIELDS],
        f"Cycle {published.cycle}": [nation.get(f) for f in TREND_FIELDS],
    }
    chart = _bar_chart(
        f"Change since cycle {previous['cycle']}", [_label(f) for f in TREND_FIELDS], series
    )
    return {"cycle": previous["cycle"], "rows": rows, "chart": chart}


def _catalogue(
    catalogue: Mapping[str, Any] | None, names: Mapping[str, str]
) -> dict[str, Any] | None:
    """The catalogue section: entries by kind and stage, registered ones by province."""
    if catalogue is None:
        return None
    totals = catalogue["totals"]
    rows = [
        {"province": names.get(p, p), "pedigree": c["pedigree"], "region": c["region"]}
        for p, c in catalogue["registered_by_province"].items()
    ]
    return {"totals": totals, "rows": rows}


def _context(
    published: PublishedSurvey,
    edition: Mapping[str, Any],
    cycle: Mapping[str, Any],
    province_names: Mapping[str, str],
    issuer: str,
    catalogue: Mapping[str, Any] | None,
) -> dict[str, Any]:
    counts = published.tables["counts"]
    provinces = [f"province:{p}" for p in published.provinces]
    kinds = [f"kind:{k}" for k in published.kinds]
    names = {f"province:{code}": province_names.get(code, code) for code in published.provinces}
    names |= {f"kind:{k}": _label(k) for k in published.kinds} | {"nation": "Nation"}
    nation = counts.row("nation")
    materials = published.tables["samples_by_material"]
    categories = published.tables["persons_by_data_category"]
    diseases = published.tables["donors_by_disease"]
    consents = published.tables["consents_by_scope"]
    disease_row = diseases.row("nation")
    top = sorted(
        (c for c, v in disease_row.items() if v is not None), key=lambda c: -(disease_row[c] or 0)
    )[:TOP_DISEASES]
    charts = {
        "provinces": _bar_chart(
            "Samples and donor records by province",
            [names[p] for p in provinces],
            {
                "Samples": [counts.row(p)["samples"] for p in provinces],
                "Donor records": [counts.row(p)["donors"] for p in provinces],
            },
        ),
        "materials": _bar_chart(
            "Samples by material type (nation)",
            [_label(m) for m in materials.table.categories],
            {"Samples": [materials.row("nation")[m] for m in materials.table.categories]},
            horizontal=True,
        ),
        "categories": _bar_chart(
            "Donors with data of each category (nation)",
            [_label(c) for c in categories.table.categories],
            {"Donors": [categories.row("nation")[c] for c in categories.table.categories]},
            horizontal=True,
        ),
    }
    trend = _trend(edition.get("previous"), nation, published)
    pedigrees = [p for i in edition["institutions"].values() for p in i["declared_pedigrees"]]
    qualifying = sum(1 for p in pedigrees if (p.get("generations_affected") or 0) >= 3)
    returned = sum(len(p["institutions"]) for p in edition["provinces"].values())
    missing = sum(len(p["missing"]) for p in edition["provinces"].values())
    return {
        "title": cycle.get("title")
        or f"National survey of human genetic resources {published.cycle}",
        "cycle": cycle,
        "issuer": issuer,
        "edition": {
            "version": edition["version"],
            "sha256": published.edition,
            "replaces": edition.get("replaces"),
            "compiled_at": edition["compiled_at"][:10],
        },
        "threshold": published.threshold,
        "key": [
            ("Persons (people, counted once)", _shown(published.persons["nation"])),
            ("Donor records", _shown(nation["donors"])),
            ("Samples", _shown(nation["samples"])),
            ("Families", _shown(nation["families"])),
            ("Institutions returned", f"{returned:,} of {returned + missing:,}"),
            ("Provinces", f"{len(published.provinces):,}"),
        ],
        "counts_columns": [_label(c) for c in COUNT_COLUMNS],
        "province_rows": [_count_row(counts, u, names) for u in [*provinces, "nation"]],
        "kind_rows": [_count_row(counts, u, names) for u in kinds],
        "material_columns": [_label(c) for c in materials.table.columns],
        "material_rows": _table_rows(
            published, "samples_by_material", [*provinces, "nation"], names
        ),
        "category_columns": [_label(c) for c in categories.table.columns],
        "category_rows": _table_rows(
            published, "persons_by_data_category", [*provinces, "nation"], names
        ),
        "consent_columns": consents.table.columns,
        "consent_rows": _table_rows(published, "consents_by_scope", [*provinces, "nation"], names),
        "diseases": [{"term": c, "donors": _shown(disease_row[c])} for c in top],
        "pedigrees": {
            "declared": _shown(
                len(pedigrees) if len(pedigrees) >= published.threshold or not pedigrees else None
            ),
            "qualifying": _shown(
                qualifying if qualifying >= published.threshold or not qualifying else None
            ),
        },
        "catalogue": _catalogue(catalogue, province_names),
        "trend": trend,
        "charts": charts,
        "generated": utc_now().strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_report(
    published: PublishedSurvey,
    edition: Mapping[str, Any],
    cycle: Mapping[str, Any],
    out: Path,
    *,
    province_names: Mapping[str, str] | None = None,
    issuer: str = "National authority",
    pdf: bool = True,
    catalogue: Mapping[str, Any] | None = None,
) -> ReportFiles:
    """Write ``survey-report.html`` (and ``.pdf``) for a national edition into ``out``;
    ``catalogue`` is :func:`hgr.catalogue.summary` of the national node's catalogue."""
    environment = Environment(
        loader=PackageLoader("hgr.web", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    context = _context(published, edition, cycle, province_names or {}, issuer, catalogue)
    html = environment.get_template("survey_report.html.j2").render(**context)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "survey-report.html"
    tmp = html_path.with_name(html_path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(html_path)
    pdf_path = None
    if pdf:
        try:
            from weasyprint import HTML
        except OSError as exc:  # WeasyPrint loads Pango from the system when imported
            raise ConfigurationError(
                f"{html_path} is written, but the PDF needs Pango (Debian: apt-get install "
                f"libpango-1.0-0 libpangoft2-1.0-0): {exc}",
                code="E_PDF_ENGINE",
            ) from exc
        pdf_path = out / "survey-report.pdf"
        tmp_pdf = pdf_path.with_name(pdf_path.name + ".tmp")
        HTML(string=html, base_url=str(out)).write_pdf(str(tmp_pdf))
        tmp_pdf.replace(pdf_path)
    return ReportFiles(html_path, pdf_path)
