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
from hgr.i18n import html_lang, translations
from hgr.issues import N_
from hgr.registry.fields import duo_terms
from hgr.survey.publish import HIDDEN, PublishedSurvey

__all__ = ["ReportFiles", "render_report"]

NAVY, TEAL, GREY = "#1f3a5f", "#2a9d8f", "#9aa5b1"
CJK_FONT = "Noto Sans CJK SC"  # Debian's fonts-noto-cjk, installed by the project's setup
TOP_DISEASES = 10
DUO_WORDS = {
    "DUO:0000004": N_("no restriction"),
    "DUO:0000042": N_("general research use"),
    "DUO:0000006": N_("health or medical or biomedical research"),
    "DUO:0000007": N_("disease specific research"),
    "DUO:0000011": N_("population origins or ancestry research only"),
}
"""DUO's permission labels (release 2021-02-23), in the catalogue so that they translate."""


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


def _label(code: str, locale: str = "en") -> str:
    """A stored value in words: from the console's catalogue (``whole_blood``: whole blood,
    全血), else spelled out."""
    words = translations(locale).gettext(code)
    if words != code:
        return words if locale != "en" else ACRONYMS.get(code) or words.capitalize()
    return ACRONYMS.get(code) or code.replace("_", " ").capitalize()


def _shown(value: int | None) -> str:
    return HIDDEN if value is None else f"{value:,}"


def _know_cjk_fonts() -> None:
    """Make the system's Noto CJK fonts known to matplotlib, which measures the charts' text
    (the PDF engine draws it): its font list is cached at its first run, perhaps before the
    fonts were installed."""
    from matplotlib import font_manager

    try:
        font_manager.findfont(CJK_FONT, fallback_to_default=False)
    except ValueError:
        for path in font_manager.findSystemFonts():
            if "NotoSansCJK" in Path(path).name:
                font_manager.fontManager.addfont(path)


def _bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    horizontal: bool = False,
    height: float = 2.5,
) -> str:
    """An SVG bar chart (hidden values left out), ``height`` inches high when upright; the SVG
    text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _know_cjk_fonts()
    plt.rcParams.update(
        {
            "font.family": ["DejaVu Sans", CJK_FONT],
            "font.size": 9,
            "svg.fonttype": "none",
        }
    )
    if horizontal:
        height = max(2.6, 0.32 * len(labels) + 1.2)
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


class _Words:
    """The report's words in one language: the console's catalogue (shared gettext)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._ = translations(locale).gettext

    def value(self, code: str) -> str:
        return _label(code, self.locale)

    def count(self, field: str) -> str:
        _ = self._
        names = {
            "donors": _("Donor records"),
            "samples": _("Samples"),
            "families": _("Families"),
            "ethics_approvals": _("Ethics approvals"),
            "consents_withdrawn": _("Consents withdrawn"),
        }
        return names.get(field) or self.value(field)

    def kind(self, code: str) -> str:
        _ = self._
        names = {
            "hospital": _("Hospital"),
            "university": _("University"),
            "research_institute": _("Research institute"),
            "biobank": _("Biobank"),
            "company": _("Company"),
        }
        return names.get(code) or self.value(code)

    def duo(self, code: str) -> str:
        term = duo_terms().get(code)
        return f"{term.shorthand} · {code}" if term else code

    def duo_label(self, code: str) -> str:
        """A DUO term's label in this language (DUO's own English where not translated)."""
        if code in DUO_WORDS:
            return self._(DUO_WORDS[code])
        term = duo_terms().get(code)
        return term.label if term else code


def _count_row(published: PublishedSurvey, unit: str, names: Mapping[str, str]) -> dict[str, Any]:
    """A unit's persons (people counted once within it) and its additive counts."""
    counts = published.tables["counts"]
    cells = [
        *(_shown(v) for v in published.person_row(unit).values()),
        *(_shown(counts.row(unit)[c]) for c in COUNT_COLUMNS),
    ]
    return {"unit": names[unit], "cells": cells}


def _trend(
    previous: PublishedSurvey | None,
    nation: Mapping[str, int | None],
    published: PublishedSurvey,
    words: _Words,
) -> dict[str, Any] | None:
    """The national counts of the previous cycle, as that cycle published them (a count it
    hid stays hidden), beside this one's."""
    if previous is None:
        return None
    _ = words._
    published_before = previous.tables["counts"].row("nation")
    before = {field: published_before.get(field) for field in TREND_FIELDS}
    rows = []
    for field in TREND_FIELDS:
        old, new = before[field], nation.get(field)
        change = f"{(new - old) / old:+.1%}" if old and new is not None else "–"
        rows.append(
            {
                "field": words.count(field),
                "before": _shown(old),
                "now": _shown(new),
                "change": change,
            }
        )
    series = {
        _("Cycle %(cycle)s") % {"cycle": previous.cycle}: [before[f] for f in TREND_FIELDS],
        _("Cycle %(cycle)s") % {"cycle": published.cycle}: [nation.get(f) for f in TREND_FIELDS],
    }
    chart = _bar_chart(
        _("Change since cycle %(cycle)s") % {"cycle": previous.cycle},
        [words.count(f) for f in TREND_FIELDS],
        series,
    )
    return {"cycle": previous.cycle, "rows": rows, "chart": chart}


def _catalogue(
    catalogue: Mapping[str, Any] | None, names: Mapping[str, str], threshold: int
) -> dict[str, Any] | None:
    """The catalogue section: entries by kind and stage, registered ones by province. A
    province's count from 1 to ``threshold - 1`` is hidden, and so is the national total of a
    kind with any hidden province (it would give the hidden one back)."""
    if catalogue is None:
        return None
    by_province = catalogue["registered_by_province"]
    rows = []
    hidden_kinds: set[str] = set()
    for province, counted in by_province.items():
        row = {"province": names.get(province, province)}
        for kind in ("pedigree", "region"):
            small = 0 < counted[kind] < threshold
            row[kind] = HIDDEN if small else f"{counted[kind]:,}"
            if small:
                hidden_kinds.add(kind)
        rows.append(row)
    totals: dict[str, dict[str, str]] = {}
    for kind, stages in catalogue["totals"].items():
        totals[kind] = {}
        for stage, n in stages.items():
            small = 0 < n < threshold or (stage == "registered" and kind in hidden_kinds)
            totals[kind][stage] = HIDDEN if small else f"{n:,}"
    return {"totals": totals, "rows": rows}


def _diseases(published: PublishedSurvey) -> list[dict[str, str]]:
    """The most frequent published diagnoses, each with its label beside its code
    (:attr:`PublishedSurvey.labels`)."""
    row = published.tables["donors_by_disease"].row("nation")
    top = sorted((c for c, v in row.items() if v is not None), key=lambda c: (-(row[c] or 0), c))
    return [
        {"term": c, "label": published.labels.get(c, c), "donors": _shown(row[c])}
        for c in top[:TOP_DISEASES]
    ]


def _context(
    published: PublishedSurvey,
    edition: Mapping[str, Any],
    cycle: Mapping[str, Any],
    province_names: Mapping[str, str],
    issuer: str,
    catalogue: Mapping[str, Any] | None,
    locale: str,
    previous: PublishedSurvey | None = None,
) -> dict[str, Any]:
    words = _Words(locale)
    _ = words._
    counts = published.tables["counts"]
    provinces = [f"province:{p}" for p in published.provinces]
    kinds = [f"kind:{k}" for k in published.kinds]
    names = {f"province:{code}": province_names.get(code, code) for code in published.provinces}
    names |= {f"kind:{k}": words.kind(k) for k in published.kinds} | {"nation": _("Nation")}
    nation = counts.row("nation")
    materials = published.tables["samples_by_material"]
    categories = published.tables["persons_by_data_category"]
    consents = published.tables["consents_by_scope"]
    sexes = published.tables["donors_by_sex"]
    ages = published.tables.get("donors_by_age")
    charts = {
        "provinces": _bar_chart(
            _("Samples and donor records by province"),
            [names[p] for p in provinces],
            {
                _("Samples"): [counts.row(p)["samples"] for p in provinces],
                _("Donor records"): [counts.row(p)["donors"] for p in provinces],
            },
        ),
        "materials": _bar_chart(
            _("Samples by material type (nation)"),
            [words.value(m) for m in materials.table.categories],
            {_("Samples"): [materials.row("nation")[m] for m in materials.table.categories]},
            horizontal=True,
        ),
        "categories": _bar_chart(
            _("Donor records with data of each category (nation)"),
            [words.value(c) for c in categories.table.categories],
            {
                _("Donor records"): [
                    categories.row("nation")[c] for c in categories.table.categories
                ]
            },
            horizontal=True,
        ),
    }
    trend = _trend(previous, nation, published, words)
    pedigrees = [p for i in edition["institutions"].values() for p in i["declared_pedigrees"]]
    qualifying = sum(1 for p in pedigrees if (p.get("generations_affected") or 0) >= 3)
    returned = sum(len(p["institutions"]) for p in edition["provinces"].values())
    missing = sum(len(p.get("missing", [])) for p in edition["provinces"].values())
    total = _("Total")
    return {
        "lang": html_lang(locale),
        "title": cycle.get("title")
        or _("National survey of human genetic resources %(cycle)s") % {"cycle": published.cycle},
        "cycle": cycle,
        "issuer": issuer,
        "edition": {
            "version": edition["version"],
            "sha256": published.edition,
            "replaces": edition.get("replaces"),
            "compiled_at": edition["compiled_at"][:10],
        },
        "threshold": published.threshold,
        "interval": published.interval,
        "key": [
            (_("Persons (people, counted once)"), _shown(published.persons["nation"])),
            (_("Donor records"), _shown(nation["donors"])),
            (_("Samples"), _shown(nation["samples"])),
            (_("Families"), _shown(nation["families"])),
            (
                _("Institutions returned"),
                _("%(returned)s of %(expected)s")
                % {"returned": f"{returned:,}", "expected": f"{returned + missing:,}"},
            ),
            (_("Provinces"), f"{len(published.provinces):,}"),
        ],
        "counts_columns": [
            _("Persons"),
            *([_("Persons with genome or exome data")] if published.sequenced else []),
            *(words.count(c) for c in COUNT_COLUMNS),
        ],
        "sequenced": bool(published.sequenced),
        "province_rows": [_count_row(published, u, names) for u in [*provinces, "nation"]],
        "kind_rows": [_count_row(published, u, names) for u in kinds],
        "material_columns": [
            total if c == "total" else words.value(c) for c in materials.table.columns
        ],
        "material_rows": _table_rows(
            published, "samples_by_material", [*provinces, "nation"], names
        ),
        "sex_columns": [total if c == "total" else words.value(c) for c in sexes.table.columns],
        "sex_rows": _table_rows(published, "donors_by_sex", [*provinces, "nation"], names),
        "age_columns": [
            total if c == "total" else words.value(c) if c == "unknown" else c
            for c in (ages.table.columns if ages else [])
        ],
        "age_rows": (
            _table_rows(published, "donors_by_age", [*provinces, "nation"], names) if ages else []
        ),
        "category_columns": [words.value(c) for c in categories.table.columns],
        "category_rows": _table_rows(
            published, "persons_by_data_category", [*provinces, "nation"], names
        ),
        "consent_columns": [words.duo(c) for c in consents.table.columns],
        "consent_legend": [
            {"code": c, "shorthand": term.shorthand, "label": words.duo_label(c)}
            for c in consents.table.categories
            if (term := duo_terms().get(c)) is not None
        ],
        "consent_rows": _table_rows(published, "consents_by_scope", [*provinces, "nation"], names),
        "diseases": _diseases(published),
        "pedigrees": {
            "declared": _shown(
                len(pedigrees) if len(pedigrees) >= published.threshold or not pedigrees else None
            ),
            "qualifying": _shown(
                qualifying if qualifying >= published.threshold or not qualifying else None
            ),
        },
        "catalogue": _catalogue(catalogue, province_names, published.threshold),
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
    locale: str = "en",
    previous: PublishedSurvey | None = None,
) -> ReportFiles:
    """Write ``survey-report.<locale>.html`` (and ``.pdf``) for a national edition into
    ``out``, in the language of ``locale`` (one of :data:`hgr.i18n.LOCALES`); ``catalogue`` is
    :func:`hgr.catalogue.summary` of the national node's catalogue; ``previous`` is the
    previous cycle's edition as published, for the trend."""
    environment = Environment(
        loader=PackageLoader("hgr.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    context = _context(
        published, edition, cycle, province_names or {}, issuer, catalogue, locale, previous
    )
    html = environment.get_template("survey_report.html.j2").render(**context)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"survey-report.{locale}.html"
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
        pdf_path = out / f"survey-report.{locale}.pdf"
        tmp_pdf = pdf_path.with_name(pdf_path.name + ".tmp")
        HTML(string=html, base_url=str(out)).write_pdf(str(tmp_pdf))
        tmp_pdf.replace(pdf_path)
    return ReportFiles(html_path, pdf_path)
