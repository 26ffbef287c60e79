"""Messages in Chinese (Simplified) and English: gettext catalogues, read with Babel.

The source strings are English. The Chinese catalogue is ``locale/zh_Hans/LC_MESSAGES/hgr.po``,
kept in the repository as text and compiled in memory when first needed, so that no build step
stands between an edit and a running node. ``pybabel extract -F babel.cfg -k N_ -o
src/hgr/locale/hgr.pot src/hgr`` lists every message the code marks; ``tests/console/test_i18n.py``
fails on one the Chinese catalogue does not translate.

The console's pages mark their words with ``_``. Words made away from any reader (an import's
problems and their fixes) are marked with :func:`hgr.issues.N_`, kept as English
:class:`hgr.issues.Text`, and translated where they are shown: a page in its reader's
language, the command line in :func:`command_line_locale`'s.

Chinese comes first: the regulation is China's, and its officials and most stewards read Chinese
first. A reader who asks for English (a language switch, or ``Accept-Language``) gets English.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from hgr.issues import Issue, Text

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "command_line_locale",
    "format_date",
    "format_number",
    "html_lang",
    "issue_line",
    "localized",
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
    """The catalogue of ``locale``. English, the source language, translates only the
    registry's stored values into words (``whole_blood``: whole blood); every other message
    is its own English.

    Raises
    ------
    ValueError
        ``locale`` is not one of :data:`LOCALES`.
    """
    if locale not in LOCALES:
        raise ValueError(f"no catalogue for {locale!r}: one of {', '.join(LOCALES)}")
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


def localized(text: str, locale: str) -> str:
    """``text`` in the language of ``locale``: a message marked for the catalogue (a
    :class:`hgr.issues.Text`) is translated and filled in; any other text is shown as it is."""
    if not isinstance(text, Text):
        return text
    return translations(locale).gettext(text.msgid) % text.values


def issue_line(issue: Issue, locale: str) -> str:
    """An issue on one line, as the command line prints it, in the language of ``locale``."""
    where = str(issue.origin) + (f": {issue.field}" if issue.field else "")
    line = translations(locale).gettext("%(where)s: %(problem)s; fix: %(fix)s (%(code)s)")
    return line % {
        "where": where,
        "problem": localized(issue.problem, locale),
        "fix": localized(issue.fix, locale),
        "code": issue.code,
    }


def _(message: str) -> str:
    """Mark ``message`` for the catalogue (translated where it is used)."""
    return message


# The line of an issue as the command line prints it (issue_line).
_("%(where)s: %(problem)s; fix: %(fix)s (%(code)s)")


def command_line_locale(environ: Mapping[str, str] = os.environ) -> str:
    """The locale the command line speaks: ``HGR_LANG``, else the first of the POSIX locale
    variables that is set (``LC_ALL``, ``LC_MESSAGES``, ``LANG``). Chinese where it names
    Chinese (``zh_CN.UTF-8``), English otherwise: a terminal left at ``C`` or ``POSIX`` is
    a machine's, and scripts read English."""
    for name in ("HGR_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "zh_Hans" if value.lower().startswith("zh") else "en"
    return "en"


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
