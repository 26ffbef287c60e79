"""Rendering a console page: the reader's language, the templates, and the headers every page
carries.

Every page is rendered by Jinja2 with autoescaping on, in the reader's locale
(:func:`hgr.i18n.negotiate`): a ``lang`` query parameter chooses it and is remembered in a
cookie; otherwise ``Accept-Language`` does. Every page is sent with a strict
Content-Security-Policy: nothing but this node's own style sheet and scripts, no inline script
or style, no frames (OWASP ASVS 3.4.3).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from hgr import __version__
from hgr.i18n import (
    LOCALES,
    format_date,
    format_number,
    html_lang,
    localized,
    negotiate,
    translations,
)

__all__ = ["LANG_COOKIE", "POLICY", "locale_of", "render", "say"]

LANG_COOKIE = "hgr_lang"
POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
LANGUAGES = {"zh_Hans": "中文", "en": "English"}  # each named in itself, for the switch


@cache
def _environment(locale: str) -> Environment:
    """The templates, with the gettext of ``locale`` installed (one environment per locale,
    so that concurrent requests in two languages never share one)."""
    environment = Environment(
        loader=PackageLoader("hgr.console", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    environment.filters["date"] = lambda value: _date(value, locale)
    environment.filters["number"] = lambda value: format_number(value, locale)
    # Words made away from the page (an import's problems and fixes) in the reader's language.
    environment.filters["localized"] = lambda value: localized(value, locale)
    # A path segment: unlike urlencode, "/" is encoded too (a sample's code may hold one).
    environment.filters["segment"] = lambda value: quote(str(value), safe="")
    return environment


def _date(value: dt.date | str | None, locale: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return format_date(value, locale)


def locale_of(request: Request) -> str:
    """The locale to answer ``request`` in."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return negotiate(request.headers.get("accept-language"), chosen)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for ``request`` in its reader's locale, with the console's
    headers; a language chosen by ``lang`` is remembered for a year."""
    locale = locale_of(request)
    page = _environment(locale).get_template(template)
    html = page.render(
        lang=html_lang(locale),
        locale=locale,
        languages=LANGUAGES,
        path=request.url.path,
        version=__version__,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            locale,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def say(message: str, request: Request, **values: str) -> str:
    """``message`` in the language of ``request``'s reader, with ``values`` put in. Modules
    import it as ``_``, the name the message catalogue's extraction looks for."""
    text = translations(locale_of(request)).gettext(message)
    return text % values if values else text
