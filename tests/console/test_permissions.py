"""The console obeys exactly the API's authorization: every signed-in page, for every role and
scope (and for a reader not signed in), is allowed, refused or not found exactly when the API
request that reads the same records is."""

from __future__ import annotations

import datetime as dt

import pytest

from hgr.auth.roles import Role
from hgr.console.account import SESSION_COOKIE
from hgr.crypto import NodeKeys, load_signer
from hgr.survey.cycles import default_dates, open_cycle
from tests.api.conftest import USERS, Api
from tests.api.test_survey_routes import _return
from tests.conftest import EXAMPLES
from tests.console.test_sign_in import ADMIN
from tests.console.test_steward import DONOR, find, opened_for, session_of, signed_in

# What each answer means, in the console and in the API.
CONSOLE = {200: "allowed", 303: "sign in", 403: "refused", 404: "not found"}
API = {200: "allowed", 401: "sign in", 403: "refused", 404: "not found"}
OWN = "(the reader's institution)"
IMPORT = "(files to import)"
RETURN = "(a signed return)"


def _pages(bj_donor: str) -> list[tuple[str, str, dict[str, str]]]:
    """Each console page, and the API request that reads what it shows."""
    return [
        ("/console/steward", "/registry/donors", {"institution": "BJ-H001"}),
        ("/console/find", "/registry/donors", {}),
        (
            f"/console/donors/{bj_donor}",
            "/registry/donors/record",
            {"institution": "BJ-H001", "pseudonym": bj_donor},
        ),
        # A steward's pages name records of their own institution (OWN).
        (
            "/console/samples/S-0001",
            "/registry/samples/record",
            {"institution": OWN, "code": "S-0001"},
        ),
        # Families and catalogue declarations show the family's members.
        ("/console/families", "/registry/members", {"institution": OWN}),
        ("/console/families/HD-001", "/registry/members", {"institution": OWN, "family": "HD-001"}),
        ("/console/catalogue", "/registry/members", {"institution": OWN}),
        # Importing: the API's dry run of the same files (IMPORT marks a POST of them).
        ("/console/import", "/registry/import", {IMPORT: "donors.csv"}),
        # The survey: the API receiving the reader's institution's signed return.
        ("/console/survey", "/survey/returns", {RETURN: OWN}),
        ("/console/survey/2025", "/survey/returns", {RETURN: OWN}),
    ]


def test_every_page_answers_every_reader_as_the_api_does(api: Api, keys: NodeKeys) -> None:
    signer = load_signer(keys.signing_key, "hgr/test-node")  # the api node signs as this
    with api.db.transaction() as session:
        open_cycle(session, signer, ADMIN, "2025", dates=default_dates(dt.date(2025, 12, 31)))
    steward = signed_in(api, "steward_bj")
    bj_donor = find(api, steward, DONOR).headers["location"].rsplit("/", 1)[1]
    sessions = {name: session_of(api, name) for name in USERS}
    seen: dict[tuple[str, str], str] = {}
    for page, path, params in _pages(bj_donor):
        for user in [None, *USERS]:
            cookie = {"Cookie": f"{SESSION_COOKIE}={sessions[user]}"} if user else {}
            shown = api.client.get(page, headers=cookie, follow_redirects=False)
            own = (
                USERS[user][1] if user and USERS[user][0] is Role.INSTITUTION_STEWARD else "BJ-H001"
            )
            if IMPORT in params:
                name = params[IMPORT]
                asked = api.post(
                    user,
                    path,
                    data={"dry_run": "true"},
                    files=[("files", (name, (EXAMPLES / name).read_bytes(), "text/csv"))],
                )
            elif RETURN in params:
                asked = api.post(user, path, json=_return(api, signer, own))
            else:
                values = {k: own if v == OWN else v for k, v in params.items()}
                asked = api.get(user, path, **values)
            assert asked.status_code in API, (path, user, asked.text[:300])
            console, through_api = CONSOLE[shown.status_code], API[asked.status_code]
            assert console == through_api, (page, user, shown.status_code, asked.status_code)
            if console == "sign in":
                assert shown.headers["location"].startswith("/console/sign-in?next=")
            seen[(page, user or "anonymous")] = console
    # The matrix holds every kind of answer, so agreement is not agreement on one refusal.
    assert set(seen.values()) == {"allowed", "sign in", "refused", "not found"}
    assert seen[(f"/console/donors/{bj_donor}", "steward_bj")] == "allowed"
    assert seen[(f"/console/donors/{bj_donor}", "steward_sh")] == "not found"
    assert seen[("/console/steward", "officer_bj")] == "refused"


@pytest.mark.parametrize(
    "page",
    [
        "/console/steward",
        "/console/find",
        "/console/samples/S-0001",
        "/console/import",
        "/console/survey",
        "/console/survey/2025",
    ],
)
def test_a_forged_or_ended_session_opens_no_page(api: Api, page: str) -> None:
    for cookie in ("x" * 43, "", "a" * 5000):
        shown = api.client.get(
            page, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, follow_redirects=False
        )
        assert shown.status_code == 303


def test_every_form_answers_every_reader_as_the_api_does(api: Api, keys: NodeKeys) -> None:
    # The forms (POST, each with the reader's own CSRF token), held to the API request that
    # does the same: a search reads donors, an import writes holdings, a return is submitted.
    signer = load_signer(keys.signing_key, "hgr/test-node")
    with api.db.transaction() as session:
        open_cycle(session, signer, ADMIN, "2025", dates=default_dates(dt.date(2025, 12, 31)))
    donors = (EXAMPLES / "donors.csv").read_bytes()
    forms = [
        ("/console/find", {"q": "BJH-0001"}, None),
        ("/console/import", {}, [("files", ("donors.csv", donors, "text/csv"))]),
        ("/console/survey/2025", {"action": "check"}, None),
        # A declaration writes for the institution as an import does.
        ("/console/families/HD-001", {"trait": "Huntington disease"}, None),
        ("/console/catalogue", {"population": "Han", "region": "110000", "trait": "x"}, None),
    ]
    seen: dict[tuple[str, str], str] = {}
    for user in [None, *USERS]:
        opened = opened_for(api, user) if user else None
        own = USERS[user][1] if user and USERS[user][0] is Role.INSTITUTION_STEWARD else "BJ-H001"
        twins = {
            "/console/find": api.get(user, "/registry/donors"),
            "/console/import": api.post(
                user,
                "/registry/import",
                data={"dry_run": "true"},
                files=[("files", ("donors.csv", donors, "text/csv"))],
            ),
            "/console/survey/2025": api.post(
                user, "/survey/returns", json=_return(api, signer, own)
            ),
        }
        twins["/console/families/HD-001"] = twins["/console/catalogue"] = twins["/console/import"]
        for page, data, files in forms:
            cookie = {"Cookie": f"{SESSION_COOKIE}={opened.token}"} if opened else {}
            shown = api.client.post(
                page,
                data={**data, "csrf": opened.csrf if opened else ""},
                files=files,
                headers=cookie,
                follow_redirects=False,
            )
            console = "allowed" if shown.status_code in (200, 303) else CONSOLE[shown.status_code]
            if shown.status_code == 303 and "sign-in" in shown.headers["location"]:
                console = "sign in"
            through_api = API[twins[page].status_code]
            assert console == through_api, (page, user, shown.status_code, twins[page].text[:200])
            seen[(page, user or "anonymous")] = console
    assert set(seen.values()) == {"allowed", "sign in", "refused"}
    assert seen[("/console/survey/2025", "officer_bj")] == "refused"
    assert seen[("/console/import", "national")] == "refused"
