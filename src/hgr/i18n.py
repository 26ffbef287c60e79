"""Messages in Chinese (Simplified) and English: gettext catalogues, read with Babel.

The source strings are English. The Chinese catalogue is ``locale/zh_Hans/LC_MESSAGES/hgr.po``,
kept in the repository as text and compiled in memory when first needed, so that no build step
stands between an edit and a running node. ``pybabel extract -F babel.cfg -o
src/hgr/locale/hgr.pot .`` lists every message the code marks; ``tests/console/test_i18n.py``
fails on one the Chinese catalogue does not translate.

Chinese comes first: the regulation is China's, and its officials and most stewards read Chinese
first. A reader who asks for English (a language switch, or ``Accept-Language``) gets English.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "format_date",
    "format_number",
    "html_lang",
    "negotiate",
    "translations",
]

LOCALES = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"
DOMAIN = "hgr"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Babel's locale for each: Chinese as written in mainland China (dates, numbers).
_BABEL = {"zh_Hans": "zh_Hans_CN", "en": "en_GB"}
MAX_ACCEPT_LANGUAGE = 400  # characters of the header read; the rest is ignored


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of ``locale`` (English, the source language, translates to itself).

    Raises
    ------
    ValueError
        ``locale`` is not one of :data:`LOCALES`.
    """
    if locale not in LOCALES:
        raise ValueError(f"no catalogue for {locale!r}: one of {', '.join(LOCALES)}")
    if locale == "en":
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=_BABEL[locale], domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The locale to answer in: the reader's own choice where it is one of ours, else the first
    of ``Accept-Language`` (by weight) that we have, else Chinese.

    Any Chinese (``zh``, ``zh-CN``, ``zh-Hans``, ``zh-TW``) is answered in Simplified Chinese,
    the only Chinese catalogue.
    """
    if chosen in LOCALES:
        return str(chosen)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                continue
        ranked.append((-weight, position, tag.strip().lower()))
    for weight, _, tag in sorted(ranked):
        if weight >= 0:  # q=0: "not this one"
            continue
        language = tag.replace("_", "-").split("-")[0]
        if language == "zh":
            return "zh_Hans"
        if language == "en":
            return "en"
    return DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    """The BCP 47 tag of ``locale`` for ``<html lang>``."""
    return locale.replace("_", "-")


def format_date(value: dt.date, locale: str) -> str:
    """A date as readers of ``locale`` write it (2026年12月6日; 6 December 2026)."""
    from babel.dates import format_date as babel_date

    return str(babel_date(value, format="long", locale=_BABEL[locale]))


def format_number(value: int | float, locale: str) -> str:
    """A number with the grouping of ``locale``."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=_BABEL[locale]))
