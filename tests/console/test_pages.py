"""The console's public pages, as a browser would get them: in the reader's language, escaped,
with the console's headers, and with a clear page for every bad request."""

from __future__ import annotations

import re

import pytest

from hgr.audit import Actor
from hgr.console.pages import LANG_COOKIE, POLICY
from hgr.crypto import NodeKeys, load_signer
from hgr.debarment.national import publish_national_list
from tests.api.beacon_node import debar
from tests.api.conftest import Api

ACTOR = Actor("test", "operator")
PAGES = ["/console/", "/console/debarment"]
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.8"}


def _get(api: Api, path: str, headers: dict[str, str] | None = None, **params: str):  # type: ignore[no-untyped-def]
    return api.client.get(path, params=params, headers=headers or {})


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_in_the_readers_language(api: Api, path: str) -> None:
    chinese = _get(api, path, ZH)
    assert chinese.status_code == 200
    assert '<html lang="zh-Hans">' in chinese.text
    assert "排除名单" in chinese.text
    assert "Debarment list" not in chinese.text
    english = _get(api, path, EN)
    assert '<html lang="en">' in english.text
    assert "Debarment list" in english.text
    assert "排除名单" not in english.text
    # A reader who states no language is answered in Chinese, the regulation's language.
    assert '<html lang="zh-Hans">' in _get(api, path).text


def test_the_language_switch_is_remembered(api: Api) -> None:
    switched = _get(api, "/console/", ZH, lang="en")
    assert '<html lang="en">' in switched.text
    cookie = switched.headers["set-cookie"]
    assert f"{LANG_COOKIE}=en" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    # The cookie now outranks the browser's Accept-Language.
    assert '<html lang="en">' in _get(api, "/console/debarment", ZH).text
    # A language we do not have is ignored, not echoed.
    unknown = _get(api, "/console/", ZH, lang="xx<script>")
    assert unknown.status_code == 200
    assert "<script" not in unknown.text


@pytest.mark.parametrize("path", [*PAGES, "/console/no-such-page"])
def test_every_page_carries_a_strict_policy_and_no_inline_code(api: Api, path: str) -> None:
    page = _get(api, path)
    assert page.headers["content-security-policy"] == POLICY
    assert "'unsafe-inline'" not in POLICY
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    # Nothing inline for the policy to forbid: no script at all, no style attribute.
    assert "<script" not in page.text
    assert not re.search(r"\sstyle=", page.text)
    assert "<style" not in page.text


def test_an_unknown_page_is_a_page_in_the_readers_language(api: Api) -> None:
    missing = _get(api, "/console/nothing/here", EN)
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert "页面不存在" in _get(api, "/console/nothing", ZH).text
    assert api.client.get("/console", follow_redirects=False).headers["location"] == "/console/"


def test_the_stylesheet_is_served_by_the_node(api: Api) -> None:
    sheet = api.client.get("/console/static/console.css")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    # No asset from elsewhere: nodes may have no internet.
    page = _get(api, "/console/debarment").text
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_the_list_is_searched_and_filtered(api: Api) -> None:
    debar(api.db, "DEB-2026-0001", "GB-CH:00000001")
    page = _get(api, "/console/debarment", EN)
    assert "Debarred Ltd" in page.text
    assert "1 of 1 entries in force" in page.text
    assert "DEB-2026-0001" in _get(api, "/console/debarment", EN, q="gb-ch:00000001").text
    none = _get(api, "/console/debarment", EN, q="Another Company")
    assert "0 of 1 entries in force" in none.text
    assert "No entry in force matches." in none.text
    mandatory = _get(api, "/console/debarment", EN, kind="mandatory")
    assert "Debarred Ltd" in mandatory.text
    discretionary = _get(api, "/console/debarment", EN, kind="discretionary")
    assert "Debarred Ltd" not in discretionary.text
    assert "Debarred Ltd" in _get(api, "/console/debarment", EN, ground="test").text


@pytest.mark.parametrize(
    ("params", "says_en", "says_zh"),
    [
        ({"q": "x" * 201}, "at most 200 characters", "最多 200 个字符"),
        ({"q": "a\nb"}, "cannot hold control characters", "不能包含控制字符"),
        ({"q": "a\x00b"}, "cannot hold control characters", "不能包含控制字符"),
        ({"kind": "both"}, "choose mandatory or discretionary", "请选择强制排除"),
        ({"ground": "no such ground"}, "no entry in force has the ground", "没有以"),
    ],
)
def test_a_bad_search_is_refused_with_what_to_do(
    api: Api, params: dict[str, str], says_en: str, says_zh: str
) -> None:
    english = _get(api, "/console/debarment", EN, **params)
    assert english.status_code == 400
    assert says_en in english.text
    assert 'role="alert"' in english.text
    assert says_zh in _get(api, "/console/debarment", ZH, **params).text


def test_what_a_reader_types_is_shown_escaped(api: Api) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = _get(api, "/console/debarment", EN, q=hostile, ground=hostile)
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_an_entry_with_hostile_text_is_shown_escaped(api: Api) -> None:
    from tests.conftest import list_organisation

    with api.db.transaction() as session:
        list_organisation(session, "DEB-2026-0002", "<b>Evil</b> & Co", "HK", ["HK-CR:<i>1</i>"])
    page = _get(api, "/console/debarment", EN).text
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in page
    assert "<b>Evil</b>" not in page
    assert "<i>1</i>" not in page


def test_the_signed_national_list_is_named_with_its_version(api: Api, keys: NodeKeys) -> None:
    unsigned = _get(api, "/console/debarment", EN).text
    assert "This node holds no signed national list" in unsigned
    debar(api.db, "DEB-2026-0001", "GB-CH:00000001")
    with api.db.transaction() as session:
        kept = publish_national_list(
            session, load_signer(keys.signing_key, "hgr/nation"), ACTOR, "CN"
        )
    signed = _get(api, "/console/debarment", EN).text
    assert kept.sha256 in signed
    assert "hgr/nation" in signed
    assert 'href="/debarment/national"' in signed
