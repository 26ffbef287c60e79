"""The catalogues: every message the console marks is translated into Chinese, the template
is current, and the reader's language is chosen from what the reader says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from hgr.i18n import LOCALE_DIR, format_date, format_number, negotiate, translations

ROOT = Path(__file__).resolve().parents[2]
METHODS = [  # as babel.cfg lists them
    ("console/**.py", "python"),
    ("registry/**.py", "python"),
    ("pedigree/**.py", "python"),
    ("survey/dictionary.py", "python"),
    ("survey/returns.py", "python"),
    ("i18n.py", "python"),
    ("web/report.py", "python"),
    ("console/templates/**.j2", "jinja2"),
    ("web/templates/survey_report.html.j2", "jinja2"),
]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
OPTIONS = {
    "console/templates/**.j2": {
        "extensions": "jinja2.ext.i18n",
        "trim_blocks": "true",
        "lstrip_blocks": "true",
    },
    "web/templates/survey_report.html.j2": {"extensions": "jinja2.ext.i18n"},
}


def _marked() -> set[str]:
    """Every message the code marks for translation, read as ``pybabel extract`` reads it."""
    found = extract_from_dir(ROOT / "src" / "hgr", METHODS, options_map=OPTIONS, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for *_, message, _c, _x in found}


def _catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


def test_every_marked_message_is_in_the_template_and_translated() -> None:
    marked = _marked()
    assert len(marked) > 30
    template = _catalogue(LOCALE_DIR / "hgr.pot")
    assert marked == set(template), "run pybabel extract (babel.cfg says how)"
    chinese = _catalogue(LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "hgr.po")
    untranslated = sorted(m for m in marked if not chinese.get(m))
    assert untranslated == [], "run tools/translations_zh.py with the new messages"


def test_placeholders_survive_translation() -> None:
    # A translation that drops or renames %(name)s would fail at render time, or lose a value.
    import re

    chinese = _catalogue(LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "hgr.po")
    for source, text in chinese.items():
        assert sorted(re.findall(r"%\(\w+\)s", source)) == sorted(re.findall(r"%\(\w+\)s", text)), (
            source
        )


@pytest.mark.parametrize(
    ("header", "chosen", "expected"),
    [
        (None, None, "zh_Hans"),
        ("", None, "zh_Hans"),
        ("en-US,en;q=0.9", None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh_Hans"),
        ("zh-TW", None, "zh_Hans"),  # the only Chinese we have
        ("fr-FR,en;q=0.5", None, "en"),
        ("fr-FR,de", None, "zh_Hans"),
        ("en;q=0.2,zh;q=0.8", None, "zh_Hans"),  # by weight, not by order
        ("en;q=0", None, "zh_Hans"),  # q=0 is "not English"
        ("en;q=abc,zh", None, "zh_Hans"),  # a broken weight drops that tag only
        ("zh", "en", "en"),  # the reader's own choice first
        ("en", "xx", "en"),  # an unknown choice is ignored
        ("en," * 10_000, None, "en"),  # a huge header is read only so far
    ],
)
def test_the_language_is_negotiated(header: str | None, chosen: str | None, expected: str) -> None:
    assert negotiate(header, chosen) == expected


def test_dates_and_numbers_follow_the_locale() -> None:
    day = dt.date(2026, 12, 6)
    assert format_date(day, "zh_Hans") == "2026年12月6日"
    assert format_date(day, "en") == "6 December 2026"
    assert format_number(1234567, "en") == "1,234,567"
    assert translations("zh_Hans").gettext("Debarment list") == "排除名单"
    with pytest.raises(ValueError, match="no catalogue"):
        translations("fr")


def test_a_marked_message_is_english_until_shown_in_a_language() -> None:
    import pickle

    from hgr.i18n import localized
    from hgr.issues import N_, Text

    text = N_("%(value)s is not a whole number", value="'x'")
    assert text == "'x' is not a whole number"  # a str, English, wherever it goes
    assert localized(text, "zh_Hans") == "'x' 不是整数"
    assert localized(text, "en") == text
    again = pickle.loads(pickle.dumps(text))  # issues cross process boundaries whole
    assert isinstance(again, Text)
    assert localized(again, "zh_Hans") == "'x' 不是整数"
    percent = N_(
        "declared foreign-controlled without a foreign share of 50 %% or more or control by "
        "agreement"
    )
    assert "50 % or more" in percent
    assert "50%" in localized(percent, "zh_Hans")
    assert localized("plain words", "zh_Hans") == "plain words"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8", "HGR_LANG": "zh"}, "zh_Hans"),
    ],
)
def test_the_command_lines_language_follows_the_environment(
    environ: dict[str, str], expected: str
) -> None:
    from hgr.i18n import command_line_locale

    assert command_line_locale(environ) == expected


def test_english_readers_see_stored_values_as_words() -> None:
    english = translations("en")
    assert english.gettext("whole_blood") == "whole blood"
    assert english.gettext("province_approved") == "approved by the province"
    assert english.gettext("Donors") == "Donors"  # every other message is its own English
    assert translations("zh_Hans").gettext("whole_blood") == "全血"
