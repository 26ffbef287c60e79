"""The console in a real browser: Debian's Chromium, driven by Playwright, against `hgr serve`.

On every page, in both languages and at a desktop and a phone's width, the test takes a
screenshot into build/console-shots/ (not committed), fails on any error in the browser's
console, and fails on any serious or critical axe-core violation (WCAG 2.1 A and AA). It
checks that the page needs no sideways scrolling at 390 px, and that the keyboard reaches the
content first through the skip link.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from hgr.audit import Actor
from hgr.auth.passwords import set_password, totp_code
from hgr.auth.roles import Role
from hgr.auth.users import add_user
from hgr.config import NodeRole
from hgr.crypto import load_signer
from hgr.debarment.national import publish_national_list
from hgr.node import init_node, open_node
from hgr.registry.importer import import_files
from hgr.survey.cycles import default_dates, open_cycle
from tests.api.beacon_node import build_beacon_node, debar
from tests.auth.idp import Provider
from tests.conftest import EXAMPLES, HOLDINGS, list_organisation
from tests.federation.test_three_nodes import _serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "console-shots"
# Each public page, and what it must say in each language.
PAGES = {
    "landing": ("/console/", {"zh_Hans": "公开信息", "en": "Open to everyone"}),
    "debarment": ("/console/debarment", {"zh_Hans": "版本与签名", "en": "Version and signature"}),
    "debarment-search": (
        "/console/debarment?q=hk-cr&kind=mandatory",
        {"zh_Hans": "生效条目", "en": "entries in force"},
    ),
    "survey-report": ("/console/survey-report", {"zh_Hans": "全国调查", "en": "National survey"}),
    "beacon": ("/console/beacon", {"zh_Hans": "参考基因组", "en": "Reference genome"}),
    "beacon-asked": (
        "/console/beacon?assembly=GRCh38&chromosome=1&position=100&reference=A&alternate=G",
        {"zh_Hans": "否：", "en": "No: the Beacon does not report"},
    ),
    "templates": ("/console/templates", {"zh_Hans": "空白模板", "en": "blank template"}),
    "not-found": ("/console/no-such-page", {"zh_Hans": "页面不存在", "en": "Page not found"}),
}
LOCALES = {"zh_Hans": "zh-CN", "en": "en-GB"}
WIDTHS = (1280, 390)
BLOCKING = {"serious", "critical"}
ADMIN = Actor("test", "operator")
PASSWORD = "correct horse battery staple"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
STEWARD = "wang"  # the steward of BJ-H001

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A national node with the examples' holdings, two listed organisations, a signed
    national list and a national officer with a password and a second factor, served by
    `hgr serve`."""
    home = tmp_path_factory.mktemp("console") / "nation"
    node = init_node(home, name="国家节点 National node", role=NodeRole.NATION)
    import_files(node.db, node.keys, [EXAMPLES / "institutions.csv"])
    import_files(node.db, node.keys, HOLDINGS, institution="BJ-H001")
    debar(node.db, "DEB-2026-0001", "GB-CH:00000001")
    with node.db.transaction() as session:
        list_organisation(session, "DEB-2026-0002", "Example Sequencing Ltd", "HK", ["HK-CR:1"])
        signer = load_signer(node.keys.signing_key, "hgr/nation")
        publish_national_list(session, signer, ADMIN, "CN")
        add_user(session, ADMIN, "li", Role.NATIONAL_OFFICER)
        enrol = set_password(session, ADMIN, "li", PASSWORD)
        open_cycle(session, node.signer(), ADMIN, "2025", dates=default_dates(date(2025, 12, 31)))
        add_user(session, ADMIN, STEWARD, Role.INSTITUTION_STEWARD, "BJ-H001")
        add_user(session, ADMIN, "zhao", Role.INSTITUTION_STEWARD, "BJ-H001", oidc_subject="zhao")
        set_password(session, ADMIN, STEWARD, PASSWORD)
    assert enrol is not None
    node.close()
    provider = Provider(home.parent / "idp")
    provider.subject = "zhao"
    with (home / "node.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            f'\n[oidc]\nissuer = "{provider.url}"\naudience = "hgr"\nclient_id = "hgr-console"\n'
        )
    url, server = _serve(home)
    yield Console(url, parse_qs(urlparse(enrol).query)["secret"][0])
    server.terminate()
    server.wait(timeout=30)
    provider.close()


def _visit(browser: Any, url: str, locale: str, width: int) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale=LOCALES[locale], viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return context, page, errors


def _check_page(page: Any, shot: str) -> None:
    """What every page must pass: a screenshot taken, no axe-core violation of the levels
    above, and no sideways scrolling (at 390 px, a phone's width)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    assert _axe_problems(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px of sideways scrolling"


def _axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@dataclass(frozen=True)
class Console:
    url: str
    officer_secret: str


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("name", list(PAGES))
def test_every_public_page(
    browser: Any, console: Console, name: str, locale: str, width: int
) -> None:
    path, says = PAGES[name]
    context, page, errors = _visit(browser, console.url + path, locale, width)
    try:
        _check_page(page, f"{name}-{locale}-{width}")
        assert page.locator("html").get_attribute("lang") == locale.replace("_", "-")
        assert says[locale] in page.content()
        # The keyboard alone: the first Tab reaches the skip link, which leads to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        # The console's errors count only for pages that exist; a 404 logs its status.
        if name != "not-found":
            assert errors == []
    finally:
        context.close()


def test_the_search_form_works_without_script(browser: Any, console: Console) -> None:
    context, page, errors = _visit(browser, console.url + "/console/debarment?lang=en", "en", 1280)
    try:
        page.fill("#q", "example sequencing")
        page.select_option("#kind", "mandatory")
        page.click("button[type=submit]")
        page.wait_for_url("**/console/debarment?*")
        assert "Example Sequencing Ltd" in page.content()
        assert "Debarred Ltd" not in page.content()
        assert "1 of 2 entries in force" in page.content()
        # The language chosen once stays with the reader.
        page.goto(console.url + "/console/")
        assert page.locator("html").get_attribute("lang") == "en"
        _submit(page, lambda: page.click("a[hreflang=zh-Hans]"))
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", list(LOCALES))
def test_an_officer_signs_in_with_a_password_and_a_code(
    browser: Any, console: Console, locale: str
) -> None:
    context, page, errors = _visit(browser, console.url + "/console/sign-in", locale, 390)
    try:
        _check_page(page, f"sign-in-{locale}-390")
        page.fill("#name", "li")
        page.fill("#password", "a wrong password!")
        _submit(page, lambda: page.click("button[type=submit]"))
        assert page.locator("[role=alert]").count() == 1
        _check_page(page, f"sign-in-refused-{locale}-390")
        page.fill("#name", "li")
        page.fill("#password", PASSWORD)
        # A fresh code: each is accepted once, and the locales' tests share the officer.
        step = int(time.time()) // 30 + (1 if locale == "en" else 0)
        page.fill("#code", totp_code(console.officer_secret, step))
        page.click("button[type=submit]")
        page.wait_for_url("**/console/account")
        assert "li" in page.locator("main dl").inner_text()
        _check_page(page, f"account-{locale}-390")
        page.click("form[action='/console/sign-out'] button")
        page.wait_for_url("**/console/")
        page.goto(console.url + "/console/account")
        page.wait_for_url("**/console/sign-in")
        # Refusals (401) are logged by the browser as failed loads; nothing else may be.
        assert [e for e in errors if "401" not in e] == []
    finally:
        context.close()


def _submit(page: Any, act: Callable[[], None]) -> None:
    """Submit a form or follow a link, and wait for the page that answers.

    The answer may come back to the same address, so waiting for the URL is not
    enough; a count taken at once could read the page before.
    """
    with page.expect_navigation():
        act()


def _sign_in(page: Any, name: str) -> None:
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.parametrize(("locale", "width"), [("zh_Hans", 390), ("en", 1280)])
def test_a_steward_finds_a_donor_by_their_own_identifier(
    browser: Any, console: Console, locale: str, width: int
) -> None:
    context, page, errors = _visit(browser, console.url + "/console/steward", locale, width)
    try:
        # Sent to sign in, and back to the page asked for.
        page.wait_for_url("**/console/sign-in?next=/console/steward")
        _sign_in(page, STEWARD)
        page.wait_for_url("**/console/steward")
        assert "BJ-H001" in page.content()
        _check_page(page, f"steward-home-{locale}-{width}")
        page.click("a[href='/console/find']")
        page.wait_for_url("**/console/find")
        _check_page(page, f"find-{locale}-{width}")
        page.fill("#q", "no such donor")
        _submit(page, lambda: page.press("#q", "Enter"))  # the keyboard alone submits it
        assert page.locator("[role=alert]").count() == 1
        _check_page(page, f"find-not-found-{locale}-{width}")
        page.fill("#q", "BJH-0001")
        page.press("#q", "Enter")
        page.wait_for_url("**/console/donors/*")
        assert "BJH-0001" not in page.url
        assert "S-0001" in page.content()
        _check_page(page, f"donor-{locale}-{width}")
        page.click("a[href='/console/samples/S-0001']")
        page.wait_for_url("**/console/samples/S-0001")
        _check_page(page, f"sample-{locale}-{width}")
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "width"), [("zh_Hans", 390), ("en", 1280)])
def test_a_steward_sees_a_pedigree_and_declares_it(
    browser: Any, console: Console, locale: str, width: int
) -> None:
    context, page, errors = _visit(browser, console.url + "/console/families", locale, width)
    try:
        page.wait_for_url("**/console/sign-in?next=/console/families")
        _sign_in(page, STEWARD)
        page.wait_for_url("**/console/families")
        _check_page(page, f"families-{locale}-{width}")
        page.click("a[href='/console/families/HD-001']")
        page.wait_for_url("**/console/families/HD-001")
        drawing = page.locator(".pedigree svg[role=img]")
        assert drawing.count() == 1
        box = drawing.bounding_box()
        assert box is not None
        assert min(box["width"], box["height"]) > 100
        _check_page(page, f"family-{locale}-{width}")
        page.fill("#trait", "Huntington disease")
        page.focus("#declaration-section button[type=submit]")
        page.keyboard.press("Enter")  # the keyboard alone declares
        page.wait_for_url("**/console/families/HD-001#declaration")
        assert page.locator(".evidence li").count() >= 3
        _check_page(page, f"family-declared-{locale}-{width}")
        page.click("a[href='/console/catalogue']")
        page.wait_for_url("**/console/catalogue")
        page.fill("#population", "Han")
        page.select_option("#region", "110000")
        page.fill("#region-trait", "A population studied for its adaptation")
        page.click("#declare-region ~ form button[type=submit]")
        page.wait_for_url("**/console/catalogue#declarations")
        assert page.locator("article.entry").count() == 2
        _check_page(page, f"catalogue-{locale}-{width}")
        assert errors == []
    finally:
        context.close()


def test_a_steward_mends_an_import_reviews_the_update_and_confirms_it(
    browser: Any, console: Console, tmp_path: Path
) -> None:
    donors = (EXAMPLES / "donors.csv").read_text(encoding="utf-8")
    broken, fixed = tmp_path / "broken" / "donors.csv", tmp_path / "fixed" / "donors.csv"
    broken.parent.mkdir()
    fixed.parent.mkdir()
    broken.write_text(donors.replace("BJH-0003,female,1972", "BJH-0003,robot,1972"), "utf-8")
    fixed.write_text(donors.replace("BJH-0002,female,1950,", "BJH-0002,female,1951,"), "utf-8")
    context, page, errors = _visit(browser, console.url + "/console/sign-in", "en", 1280)
    try:
        _sign_in(page, STEWARD)
        page.goto(console.url + "/console/import")
        _check_page(page, "import-en-1280")
        page.set_input_files("#files", [str(broken)])
        _submit(page, lambda: page.click("button[type=submit]"))
        row = page.locator("table.issues tr.error").first
        assert row.locator("td").nth(0).inner_text() == "donors.csv"
        assert row.locator("td").nth(1).inner_text() == "4"
        assert row.locator("td").nth(2).inner_text() == "sex"
        _check_page(page, "import-problems-en-1280")
        page.set_input_files("#files", [str(fixed)])
        _submit(page, lambda: page.click("button[type=submit]"))
        assert page.locator("ins", has_text="1951").count() == 1
        assert page.locator("del", has_text="1950").count() == 1
        _check_page(page, "import-review-en-1280")
        _submit(page, lambda: page.click("form[action='/console/import/confirm'] button"))
        assert "import batch" in page.locator("[role=status]").inner_text()
        _check_page(page, "import-done-en-1280")
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "width"), [("zh_Hans", 390), ("en", 1280)])
def test_a_steward_drafts_signs_and_submits_the_survey_return(
    browser: Any, console: Console, locale: str, width: int
) -> None:
    context, page, errors = _visit(browser, console.url + "/console/survey", locale, width)
    try:
        _sign_in(page, STEWARD)
        page.wait_for_url("**/console/survey")
        _check_page(page, f"survey-{locale}-{width}")
        page.click("a[href='/console/survey/2025']")
        page.wait_for_url("**/console/survey/2025")
        _check_page(page, f"survey-draft-{locale}-{width}")
        page.fill("#f-foreign_cooperation_projects", "1")
        page.fill("#f-information_provided_abroad", "0")
        page.select_option("#f-specific_region_resources", "no")
        page.fill("#f-foreign_partners", "Example University of Oxbridge; GB")
        page.click("button[value=check]")
        page.locator("button[value=sign]").wait_for()
        _check_page(page, f"survey-checked-{locale}-{width}")
        _submit(page, lambda: page.click("button[value=sign]"))
        status = page.locator("[role=status]").inner_text()
        assert "2025" in status  # signed: the version differs as the two locales sign in turn
        _check_page(page, f"survey-signed-{locale}-{width}")
        page.click("a[href='/console/survey/2025/province']")
        page.wait_for_url("**/console/survey/2025/province")
        assert "[survey] province" in page.content()  # this node reaches no province
        _check_page(page, f"survey-province-{locale}-{width}")
        assert errors == []
    finally:
        context.close()


def test_a_steward_signs_in_through_the_identity_provider(browser: Any, console: Console) -> None:
    context, page, errors = _visit(browser, console.url + "/console/steward", "en", 390)
    try:
        page.wait_for_url("**/console/sign-in?next=/console/steward")
        page.click("#oidc")
        # Through the provider and back: the session cookie (SameSite=Strict) is sent on the
        # page the console moves the browser on to.
        page.wait_for_url("**/console/steward")
        assert "BJ-H001" in page.content()
        _check_page(page, "steward-home-after-oidc-en-390")
        assert errors == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def genotyped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A node with a genotyped collection and its steward, served: (address, collection)."""
    built = build_beacon_node(tmp_path_factory.mktemp("genotyped"))
    node = open_node(built.home)
    with node.db.transaction() as session:
        add_user(session, ADMIN, STEWARD, Role.INSTITUTION_STEWARD, built.institution)
        set_password(session, ADMIN, STEWARD, PASSWORD)
    node.close()
    url, server = _serve(built.home)
    yield url, built.collection
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.parametrize(("locale", "width"), [("zh_Hans", 390), ("en", 1280)])
def test_a_steward_reads_the_genotype_qc_with_its_plots(
    browser: Any, genotyped: tuple[str, str], locale: str, width: int
) -> None:
    url, collection = genotyped
    context, page, errors = _visit(browser, url + "/console/steward", locale, width)
    try:
        _sign_in(page, STEWARD)
        page.wait_for_url("**/console/steward")
        page.click(f"a[href='/console/genotypes/{collection}']")
        page.wait_for_url(f"**/console/genotypes/{collection}")
        assert page.locator("svg.plot").count() == 2
        _check_page(page, f"genotype-qc-{locale}-{width}")
        assert errors == []
    finally:
        context.close()
