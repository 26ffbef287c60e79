"""An API over a registry with two institutions in two provinces, and a user for every role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hgr.api.app import create_app
from hgr.audit import Actor
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.config import ServiceSettings, Settings
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.node import Node
from hgr.policy import AccessRequest, read_model
from hgr.registry.importer import import_files
from tests.api.beacon_node import BeaconNode, build_beacon_node, copy_node
from tests.conftest import EXAMPLES, HOLDINGS, Snapshots, register_parties

ADMIN = Actor("cli:test", "operator")

# name: (role, scope)
USERS = {
    "steward_bj": (Role.INSTITUTION_STEWARD, "BJ-H001"),
    "steward_sh": (Role.INSTITUTION_STEWARD, "SH-C001"),
    "officer_bj": (Role.PROVINCIAL_OFFICER, "110000"),
    "officer_sh": (Role.PROVINCIAL_OFFICER, "310000"),
    "national": (Role.NATIONAL_OFFICER, ""),
    "ethics_bj": (Role.ETHICS_COMMITTEE, "BJ-H001"),
    "dac_bj": (Role.ACCESS_COMMITTEE, "BJ-H001"),
    "security": (Role.SECURITY_REVIEWER, ""),
    "researcher": (Role.RESEARCHER, ""),
    "auditor": (Role.AUDITOR, ""),
}
# The organisation a user belongs to, where a test needs one (the examples' requester).
ORGANISATIONS = {"researcher": "Example University of Oxbridge"}
EXAMPLE_REQUEST = EXAMPLES / "policy" / "foreign-wgs-request.yaml"


class Api:
    """A test client and one bearer token per user."""

    def __init__(self, client: TestClient, tokens: dict[str, str], db: Database) -> None:
        self.client, self.tokens, self.db = client, tokens, db

    def headers(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str | None, path: str, **params: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, params=params, headers=self.headers(user))

    def post(self, user: str | None, path: str, **kw: object):  # type: ignore[no-untyped-def]
        headers = {**self.headers(user), **kw.pop("headers", {})}  # type: ignore[dict-item]
        return self.client.post(path, headers=headers, **kw)  # type: ignore[arg-type]


def _two_institutions(db: Database, keys: NodeKeys) -> dict[str, str]:
    """The examples' two institutions with their holdings, and a user (with a token) for
    every role."""
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    for code in ("BJ-H001", "SH-C001"):
        import_files(db, keys, HOLDINGS, institution=code)
    tokens = {}
    with db.transaction() as session:
        # The example request's organisations, registered as an officer would.
        register_parties(session, read_model(AccessRequest, EXAMPLE_REQUEST))
        for name, (role, scope) in USERS.items():
            add_user(session, ADMIN, name, role, scope, organisation=ORGANISATIONS.get(name, ""))
            tokens[name] = create_token(session, ADMIN, name).value
    return tokens


@pytest.fixture
def api(
    request: pytest.FixtureRequest,
    db: Database,
    keys: NodeKeys,
    tmp_path: Path,
    snapshots: Snapshots,
) -> Iterator[Api]:
    # Built once per database, base state and day, and put back for every later test.
    base = "without-regions" if request.node.get_closest_marker("without_regions") else ""
    tokens = snapshots.restore(db, f"api{base}")
    if tokens is None:
        tokens = _two_institutions(db, keys)
        snapshots.take(db, f"api{base}", tokens)
    settings = Settings(
        home=tmp_path, name="test node", service=ServiceSettings(rate_per_second=1000, burst=1000)
    )
    app = create_app(settings, Node(settings, db, keys))
    with TestClient(app) as client:
        yield Api(client, tokens, db)


@pytest.fixture(scope="session")
def beacon_template(tmp_path_factory: pytest.TempPathFactory) -> BeaconNode:
    return build_beacon_node(tmp_path_factory.mktemp("beacon-template"))


@pytest.fixture
def beacon_api(beacon_template: BeaconNode, tmp_path: Path) -> Iterator[Api]:
    """An API over a copy of the genotyped beacon node, with its own disclosure ledger."""
    node, tokens = copy_node(beacon_template, tmp_path)
    service = replace(node.settings.service, rate_per_second=1000, burst=1000)
    settings = replace(node.settings, service=service)
    app = create_app(settings, Node(settings, node.db, node.keys))
    with TestClient(app) as client:
        yield Api(client, tokens, node.db)
    node.close()
