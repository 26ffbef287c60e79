"""The return on its way to the province: the steward sends the signed return from the console
to the province's node (a separate `hgr serve` over loopback) and sees it as the province's
own checks see it; what the page says when the province refuses it or cannot be reached."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hgr.api.app import create_app
from hgr.audit.models import AuditEvent
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.config import ServiceSettings, Settings, SurveySettings
from hgr.crypto import NodeKeys, load_signer
from hgr.federation.documents import trust_key
from hgr.node import Node, init_node, open_node
from hgr.registry.importer import import_files
from hgr.survey.cycles import cycle_envelope, default_dates, import_cycle, open_cycle
from hgr.survey.editions import compile_province
from hgr.survey.returns import draft_return, submit_return
from tests.api.conftest import Api
from tests.conftest import EXAMPLES
from tests.console.test_sign_in import ADMIN, _with
from tests.console.test_steward import csrf_of, opened_for
from tests.federation.test_three_nodes import _serve

ANSWERS = {
    "foreign_cooperation_projects": 0,
    "information_provided_abroad": 0,
    "specific_region_resources": False,
}


@dataclass
class Reach:
    """The institution's console, set to reach the province at ``url``."""

    client: TestClient
    url: str
    home: Path
    province_home: Path


def _province(home: Path, keys: NodeKeys, cycle: object, token_file: Path) -> None:
    """A provincial node that trusts the institution's key, holds the cycle, and has issued
    the institution's steward a token."""
    verifier = load_signer(keys.signing_key, "hgr/test-node").verifier
    node = init_node(home, name="Province 110000")
    try:
        import_files(node.db, node.keys, [EXAMPLES / "institutions.csv"])
        with node.db.transaction() as session:
            # The institution's node opened the cycle in these tests: trusted as the nation.
            trust_key(session, ADMIN, "nation", "CN", verifier)
            trust_key(session, ADMIN, "institution", "BJ-H001", verifier)
            import_cycle(session, ADMIN, cycle, [verifier])  # type: ignore[arg-type]
            add_user(session, ADMIN, "steward-bj", Role.INSTITUTION_STEWARD, "BJ-H001")
            token_file.write_text(create_token(session, ADMIN, "steward-bj").value)
    finally:
        node.close()


@pytest.fixture
def reach(api: Api, keys: NodeKeys, tmp_path: Path) -> Iterator[Reach]:
    signer = load_signer(keys.signing_key, "hgr/test-node")
    with api.db.transaction() as session:
        open_cycle(session, signer, ADMIN, "2025", dates=default_dates(dt.date(2025, 12, 31)))
        cycle = cycle_envelope(session, "2025")
    home = tmp_path / "institution"
    home.mkdir()
    _province(tmp_path / "province", keys, cycle, home / "province.token")
    url, server = _serve(tmp_path / "province")
    settings = Settings(
        home=home,
        name="BJ-H001",
        service=ServiceSettings(rate_per_second=1000, burst=1000),
        survey=SurveySettings(province=url, province_token_file="province.token"),
    )
    try:
        with TestClient(create_app(settings, Node(settings, api.db, keys))) as client:
            yield Reach(client, url, home, tmp_path / "province")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _sign(api: Api, keys: NodeKeys, remarks: str = "") -> None:
    signer = load_signer(keys.signing_key, "hgr/test-node")
    with api.db.transaction() as session:
        answers = {**ANSWERS, **({"remarks": remarks} if remarks else {})}
        body = draft_return(session, "2025", "BJ-H001", answers)
        submit_return(session, signer, ADMIN, body)


def test_the_steward_sends_the_return_and_sees_it_as_the_province_does(
    api: Api, keys: NodeKeys, reach: Reach
) -> None:
    opened = opened_for(api, "steward_bj")
    headers = _with(opened.token)
    before = reach.client.get("/console/survey/2025/province", headers=headers)
    assert before.status_code == 200
    assert "overdue" in before.text  # nothing has reached the province yet
    assert "Send version" not in before.text  # and nothing is signed to send
    _sign(api, keys)
    page = reach.client.get("/console/survey/2025/province", headers=headers)
    assert "Send version 1 to the province" in page.text
    sent = reach.client.post(
        "/console/survey/2025/province",
        data={"csrf": csrf_of(page.text)},
        headers=headers,
        follow_redirects=False,
    )
    assert sent.status_code == 303
    after = reach.client.get(sent.headers["location"], headers=headers)
    assert "The province kept your return." in after.text
    # The province's own view: received (late: the cycle's due date has passed), version 1,
    # not yet in an edition, and nothing more to send.
    assert re.search(r"<dd><strong>late</strong></dd>", after.text)
    assert re.search(r"<dt>Version received</dt><dd>1 · ", after.text)
    assert "Not compiled yet" in after.text
    assert "Send version" not in after.text
    with api.db.reader() as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "survey.return.send")
        ).all()
    assert [e.actor for e in audited] == ["console:steward_bj"]
    # The province compiles its edition: the page says the return is in it.
    province = open_node(reach.province_home)
    try:
        with province.db.transaction() as session:
            compile_province(session, province.signer(), ADMIN, "2025", "110000")
    finally:
        province.close()
    compiled = reach.client.get("/console/survey/2025/province", headers=headers)
    assert "Version 1 of your return" in compiled.text
    # A correction signed here is not at the province until it is sent.
    _sign(api, keys, remarks="corrected")
    assert (
        "Send version 2 to the province"
        in reach.client.get("/console/survey/2025/province", headers=headers).text
    )


def test_a_province_that_refuses_or_cannot_be_reached_is_said_so(
    api: Api, keys: NodeKeys, reach: Reach
) -> None:
    opened = opened_for(api, "steward_bj")
    headers = _with(opened.token)
    _sign(api, keys)
    # The province no longer accepts this node's token.
    (reach.home / "province.token").write_text("x" * 43)
    refused = reach.client.post(
        "/console/survey/2025/province", data={"csrf": opened.csrf}, headers=headers
    )
    assert "The province did not keep your return" in refused.text
    assert "401" in refused.text
    with api.db.reader() as session:
        assert not session.scalars(
            select(AuditEvent).where(AuditEvent.action == "survey.return.send")
        ).all()


def test_only_the_steward_sends_and_a_forged_form_sends_nothing(
    api: Api, keys: NodeKeys, reach: Reach
) -> None:
    _sign(api, keys)
    officer = opened_for(api, "officer_bj")
    assert (
        reach.client.get("/console/survey/2025/province", headers=_with(officer.token)).status_code
        == 403
    )
    steward = opened_for(api, "steward_bj")
    forged = reach.client.post(
        "/console/survey/2025/province", data={"csrf": "forged"}, headers=_with(steward.token)
    )
    assert forged.status_code == 400
    unknown = reach.client.get("/console/survey/2099/province", headers=_with(steward.token))
    assert unknown.status_code == 404
    page = reach.client.get("/console/survey/2025/province", headers=_with(steward.token))
    assert "Send version 1 to the province" in page.text  # nothing was sent
