"""The public debarment routes: open to everyone, entries in force only."""

from __future__ import annotations

import datetime as dt

from hgr.crypto import NodeKeys, load_signer
from hgr.dates import utc_today
from hgr.debarment import decide, list_entry, notify, open_case
from hgr.debarment.national import publish_national_list
from hgr.federation.documents import Envelope
from tests.api.conftest import ADMIN, Api


def test_the_list_is_public_in_three_forms(api: Api) -> None:
    assert api.get(None, "/debarment").json() == []
    assert "No organisation" in api.get(None, "/debarment.html").text
    today = utc_today()
    with api.db.transaction() as session:
        entry = open_case(
            session,
            ADMIN,
            organisation="Example Genomics Ltd",
            country="GB",
            identifiers=["CH:07654321"],
            regime="hgr",
            ground="Provision abroad without filing",
            mandatory=True,
            today=today - dt.timedelta(days=30),
        )
        notify(session, ADMIN, entry, today=today - dt.timedelta(days=30))
        decide(
            session,
            ADMIN,
            entry,
            debar=True,
            reasons="Data left without a filing.",
            expected_end=today + dt.timedelta(days=365),
            today=today - dt.timedelta(days=20),
        )
        list_entry(session, ADMIN, entry, today=today)
        pending = open_case(
            session,
            ADMIN,
            organisation="Under Investigation Ltd",
            country="GB",
            identifiers=["CH:1"],
            regime="hgr",
            ground="g",
            mandatory=False,
        )
        assert pending.status == "investigation"
    listed = api.get(None, "/debarment")
    assert listed.status_code == 200
    assert [e["organisation"] for e in listed.json()] == ["Example Genomics Ltd"]
    csv = api.get("researcher", "/debarment.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "CH:07654321" in csv.text
    assert "Under Investigation" not in csv.text
    page = api.get(None, "/debarment.html")
    assert page.headers["content-type"].startswith("text/html")
    assert "Data left without a filing." in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'; style-src")
    assert api.get(None, "/debarment").headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )
    assert api.get(None, "/debarment", unexpected="x").status_code == 200


def test_the_nations_signed_list_is_served_once_published(api: Api, keys: NodeKeys) -> None:
    missing = api.get(None, "/debarment/national")
    assert missing.status_code == 404
    with api.db.transaction() as session:
        publish_national_list(session, load_signer(keys.signing_key, "hgr/test"), ADMIN, "CN")
        publish_national_list(session, load_signer(keys.signing_key, "hgr/test"), ADMIN, "CN")
    served = api.get(None, "/debarment/national")
    assert served.status_code == 200
    envelope = Envelope.from_dict(served.json())
    assert (envelope.content["kind"], envelope.content["version"]) == ("debarment", 2)
