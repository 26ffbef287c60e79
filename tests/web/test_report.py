"""The survey report shows only published values, as HTML and as PDF."""

from __future__ import annotations

import re
from pathlib import Path

from hgr.survey.publish import publish
from hgr.web.report import render_report

PROVINCES = {"110000": ["A", "B"], "310000": ["C"]}
FIELDS = {
    "A": {"donors": 40, "samples": 60, "samples_by_material": {"dna": 57, "saliva": 3}},
    "B": {"donors": 25, "samples": 30, "samples_by_material": {"dna": 22, "saliva": 8}},
    "C": {"donors": 2, "samples": 2, "samples_by_material": {"dna": 2}},
}


def edition() -> dict[str, object]:
    institutions = {
        code: {
            "province": next(p for p, m in PROVINCES.items() if code in m),
            "kind": "hospital" if code != "B" else "biobank",
            "name": f"Institution {code}",
            "fields": {**fields, "persons": fields["donors"]},
            "declared_pedigrees": [{"condition": "ORPHA:399", "generations_affected": 3}],
        }
        for code, fields in FIELDS.items()
    }
    return {
        "kind": "nation",
        "cycle": "2025",
        "subject": "CN",
        "version": 1,
        "replaces": None,
        "compiled_at": "2026-04-01T00:00:00+00:00",
        "provinces": {p: {"institutions": m, "missing": []} for p, m in PROVINCES.items()},
        "institutions": institutions,
        "totals": {"donors": 67, "samples": 92, "persons": 66},
        "previous": {"cycle": "2020", "totals": {"donors": 50, "samples": 70, "families": 0}},
    }


CYCLE = {
    "code": "2025",
    "title": "Survey 2025",
    "period_start": "2021-01-01",
    "period_end": "2025-12-31",
    "reference_date": "2025-12-31",
}


def test_the_report_shows_published_values_only(tmp_path: Path) -> None:
    published = publish(edition(), "ab" * 32, threshold=5)
    catalogue = {
        "totals": {
            "pedigree": {"registered": 2, "under_review": 1, "rejected": 0},
            "region": {"registered": 1, "under_review": 0, "rejected": 1},
        },
        "registered_by_province": {"110000": {"pedigree": 2, "region": 1}},
    }
    files = render_report(
        published,
        edition(),
        CYCLE,
        tmp_path,
        catalogue=catalogue,
        province_names={"110000": "Beijing", "310000": "Shanghai"},
    )
    html = files.html.read_text(encoding="utf-8")
    assert "<b>2</b> registered\nimportant pedigrees" in html
    assert "<td>Beijing</td><td>2</td>" in html
    assert "Beijing" in html
    assert "Change since cycle 2020" in html
    # Every table cell is a published value or x, and no hidden value shows in a table.
    materials = published.tables["samples_by_material"]
    row = re.search(r"<td>Beijing</td>(.*?)</tr>", html.split("3. Samples by material")[1], re.S)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)</td>", row[1])
    expected = ["x" if v is None else f"{v:,}" for v in materials.row("province:110000").values()]
    assert cells == expected
    assert materials.published[("A", "saliva")] is None
    assert files.pdf is not None
    assert files.pdf.read_bytes().startswith(b"%PDF")


def test_the_html_alone_needs_no_pdf_engine(tmp_path: Path) -> None:
    published = publish(edition(), "cd" * 32)
    files = render_report(published, edition(), CYCLE, tmp_path, pdf=False)
    assert files.pdf is None
    assert files.html.exists()
    assert not list(tmp_path.glob("*.tmp"))
