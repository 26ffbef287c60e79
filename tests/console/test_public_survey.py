"""The public survey report pages: what a national edition publishes, with small counts hidden
exactly as the API hides them, and nothing before an edition exists."""

from __future__ import annotations

import re

import pytest

from hgr.crypto import Signer
from hgr.survey.editions import compile_nation, compile_province, package
from hgr.survey.publish import sign_off
from tests.api.conftest import Api
from tests.api.test_survey_routes import _return, cycle, signer  # noqa: F401  (fixtures)
from tests.console.test_sign_in import ADMIN, EN


def _national_edition(api: Api, signer: Signer) -> None:  # noqa: F811
    assert (
        api.post("steward_bj", "/survey/returns", json=_return(api, signer, "BJ-H001")).status_code
        == 200
    )
    with api.db.transaction() as session:
        edition = compile_province(session, signer, ADMIN, "2025", "110000")
        package(session, edition)
        compile_nation(session, signer, ADMIN, "2025")
        sign_off(session, signer, ADMIN, "2025", without=["310000"])


def test_nothing_is_shown_before_a_national_edition(api: Api, cycle: str) -> None:  # noqa: F811
    page = api.client.get("/console/survey-report", headers=EN)
    assert page.status_code == 200
    assert "No national edition" in page.text
    assert api.client.get("/console/survey-report/2025", headers=EN).status_code == 404


def test_the_published_tables_hide_what_the_api_hides(
    api: Api,
    signer: Signer,  # noqa: F811
    cycle: str,  # noqa: F811
) -> None:
    _national_edition(api, signer)
    listing = api.client.get("/console/survey-report", headers=EN)
    assert 'href="/console/survey-report/2025"' in listing.text
    page = api.client.get("/console/survey-report/2025", headers=EN)
    assert page.status_code == 200
    table = api.get(None, "/survey/2025/tables/samples_by_material").json()
    nation = next(r for r in table["rows"] if r["unit"] == "nation")
    section = page.text[page.text.index('id="t-samples_by_material"') :]
    section = section[: section.index("</table>")]
    header = re.findall(r'<th scope="col" class="n">([^<]+)</th>', section)
    row = re.search(r'<th scope="row">Nation</th>(.*?)</tr>', section, re.S)
    assert row is not None
    cells = re.findall(r'<td class="n">([^<]*)</td>', row[1])
    for column, shown in zip(header, cells, strict=True):
        expected = nation[column]
        assert shown == ("x" if expected is None else f"{expected:,}")
    assert "x" in cells  # one DNA sample: withheld on the page as in the API


def test_the_province_is_named_in_the_readers_language(
    api: Api,
    signer: Signer,  # noqa: F811
    cycle: str,  # noqa: F811
) -> None:
    _national_edition(api, signer)
    chinese = api.client.get("/console/survey-report/2025", headers={"Accept-Language": "zh-CN"})
    english = api.client.get("/console/survey-report/2025", headers=EN)
    assert "北京市 Beijing" in chinese.text
    assert '<th scope="row">Beijing' in english.text


@pytest.mark.parametrize(
    "path",
    [
        "/console/survey-report/1999",
        "/console/survey-report/%2e%2e",
        "/console/survey-report/" + "9" * 80,
    ],
)
def test_an_unknown_cycle_is_not_found(api: Api, path: str) -> None:
    assert api.client.get(path, headers=EN).status_code == 404
