"""The survey report shows only published values, as HTML and as PDF."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from hgr.survey.publish import PublishedSurvey, publish
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


def _previous_cycle() -> PublishedSurvey:
    """Cycle 2020 as it was published: its national samples hidden by its sign-off."""
    body = {**edition(), "cycle": "2020"}
    return publish(body, "cd" * 32, 5, 5, {"counts": [["nation", "samples"], ["A", "samples"]]})


def test_the_trend_shows_what_the_previous_cycle_published(tmp_path: Path) -> None:
    """The previous cycle's figures are those it published: a count its sign-off hid is not
    shown beside this cycle's, where subtracting would give a hidden cell back."""
    published = publish(edition(), "ab" * 32, threshold=5)
    files = render_report(
        published, edition(), CYCLE, tmp_path, pdf=False, previous=_previous_cycle()
    )
    html = files.html.read_text(encoding="utf-8")
    section = html[html.index("Change since cycle 2020") :]
    row = re.search(r"<td>Samples</td><td>([^<]*)</td><td>([^<]*)</td>", section)
    assert row is not None
    assert row.group(1) == "x"
    donors = re.search(r"<td>Donor records</td><td>([^<]*)</td>", section)
    assert donors is not None
    assert donors.group(1) == "67"


def test_the_report_shows_published_values_only(tmp_path: Path) -> None:
    published = publish(edition(), "ab" * 32, threshold=5)
    catalogue = {
        "totals": {
            "pedigree": {"registered": 7, "under_review": 1, "rejected": 0},
            "region": {"registered": 1, "under_review": 0, "rejected": 1},
        },
        "registered_by_province": {"110000": {"pedigree": 7, "region": 1}},
    }
    files = render_report(
        published,
        edition(),
        CYCLE,
        tmp_path,
        catalogue=catalogue,
        province_names={"110000": "Beijing", "310000": "Shanghai"},
        previous=_previous_cycle(),
    )
    html = files.html.read_text(encoding="utf-8")
    # The catalogue's small counts are hidden too, with the total that would give one back.
    assert "holds 7 registered important pedigrees and x registered" in html
    assert "<td>Beijing</td><td>7</td>\n    <td>x</td>" in html
    assert files.html.name == "survey-report.en.html"
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


def _glyphs(pdf: Path, characters: str) -> dict[str, np.ndarray]:
    """Each of ``characters`` as drawn on the PDF's first page where it occurs: its ink,
    cropped and scaled to 24 by 24 cells (True where inked)."""
    document = pdfium.PdfDocument(str(pdf))
    found: dict[str, np.ndarray] = {}
    scale = 6
    for page in document:
        text = page.get_textpage()
        image = np.asarray(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
        height = page.get_height()
        content = text.get_text_range()
        for index, character in enumerate(content):
            if character not in characters or character in found:
                continue
            left, bottom, right, top = text.get_charbox(index)
            box = image[
                int((height - top) * scale) : int((height - bottom) * scale) + 1,
                int(left * scale) : int(right * scale) + 1,
            ]
            ink = box < 128
            if not ink.any():
                continue
            rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            r = np.linspace(0, ink.shape[0] - 1, 24).astype(int)
            c = np.linspace(0, ink.shape[1] - 1, 24).astype(int)
            found[character] = ink[np.ix_(r, c)]
    return found


def test_the_chinese_edition_draws_its_characters(tmp_path: Path) -> None:
    """The Chinese PDF embeds a CJK font: distinct characters are drawn as distinct glyphs,
    none of them the empty box a font without the character leaves."""
    published = publish(edition(), "ab" * 32, threshold=5)
    files = render_report(
        published,
        edition(),
        {**CYCLE, "title": "2025 年全国人类遗传资源调查"},
        tmp_path,
        province_names={"110000": "北京市", "310000": "上海市"},
        locale="zh_Hans",
    )
    html = files.html.read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html
    assert "一、各省资源" in html
    assert "披露控制" in html
    assert files.pdf is not None
    characters = "各省资源样本捐献者记录"
    glyphs = _glyphs(files.pdf, characters)
    assert set(glyphs) == set(characters), f"not drawn: {set(characters) - set(glyphs)}"
    for character, ink in glyphs.items():
        boxed = ink[0].all() and ink[-1].all() and ink[:, 0].all() and ink[:, -1].all()
        assert not boxed, f"{character} is drawn as an empty box"
    shapes = list(glyphs.values())
    for n, one in enumerate(shapes):
        for other in shapes[n + 1 :]:
            assert (one != other).mean() > 0.1  # different characters, different shapes


def test_the_english_edition_is_english(tmp_path: Path) -> None:
    published = publish(edition(), "ab" * 32, threshold=5)
    files = render_report(published, edition(), CYCLE, tmp_path, pdf=False, locale="en")
    html = files.html.read_text(encoding="utf-8")
    assert "1. Resources by province" in html
    assert "各省" not in html
    assert "Donor records by sex" in html


def _coded_edition() -> dict[str, object]:
    """The edition with diagnoses, consents and persons with genomes or exomes."""
    body = edition()
    for fields in body["institutions"].values():  # type: ignore[attr-defined]
        donors = fields["fields"]["donors"]
        fields["fields"]["donors_by_disease"] = {"ORPHA:399": donors // 2, "ORPHA:558": 0}
        fields["fields"]["consents_by_scope"] = {"DUO:0000042": donors}
    body["diagnosis_labels"] = {"ORPHA:399": "Huntington disease"}
    body["persons"] = {
        "nation": 66,
        "by_province": {"110000": 64, "310000": 2},
        "by_kind": {"hospital": 41, "biobank": 25},
        "sequenced": {
            "nation": 30,
            "by_province": {"110000": 30},
            "by_kind": {"hospital": 20, "biobank": 10},
        },
    }
    return body


def test_every_code_has_its_label_beside_it(tmp_path: Path) -> None:
    body = _coded_edition()
    published = publish(body, "ab" * 32, threshold=5)
    for locale, words in (("en", "general research use"), ("zh_Hans", "一般研究用途")):
        files = render_report(published, body, CYCLE, tmp_path / locale, pdf=False, locale=locale)
        html = files.html.read_text(encoding="utf-8")
        assert '<td>Huntington disease</td><td class="code">ORPHA:399</td>' in html
        assert f'<b>GRU</b> {words} <span class="code">DUO:0000042</span>' in html


def test_the_report_counts_the_persons_with_genomes_or_exomes(tmp_path: Path) -> None:
    body = _coded_edition()
    published = publish(body, "ab" * 32, threshold=5)
    # A group the edition does not list has no one sequenced: a zero, not a hidden count.
    assert published.sequenced == {
        "nation": 30,
        "province:110000": 30,
        "province:310000": 0,
        "kind:hospital": 20,
        "kind:biobank": 10,
    }
    files = render_report(published, body, CYCLE, tmp_path, pdf=False, locale="en")
    html = files.html.read_text(encoding="utf-8")
    assert "<th>Persons with genome or exome data</th>" in html
    assert "the 500-person threshold" in html
