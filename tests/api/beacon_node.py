"""A node with a genotyped collection, for the Beacon query tests.

Built once per test session from a small synthetic nation (one institution's holdings and its
genotypes, ingested into a VCF Zarr store); each test gets its own copy of the node's home, so
that the disclosure ledger one test fills does not reach another.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

from hgr.audit import Actor, record
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.dates import utc_now, utc_today
from hgr.db import Database
from hgr.genotypes.ingest import ingest
from hgr.node import Node, init_node, open_node
from hgr.registry.importer import import_files
from hgr.synth import SynthConfig, synthesise_nation
from tests.conftest import register_named

ADMIN = Actor("cli:test", "operator")
INSTITUTION_FILES = (
    "collections.csv",
    "donors.csv",
    "samples.csv",
    "consents.csv",
    "ethics_approvals.csv",
    "families.csv",
)
# name: (role, scope, organisation, country)
BEACON_USERS = {
    "domestic": (Role.RESEARCHER, "", "Peking Union Medical College", "CN"),
    "domestic2": (Role.RESEARCHER, "", "Fudan University", "CN"),
    "foreign": (Role.RESEARCHER, "", "Example University", "US"),
    "debarred": (Role.RESEARCHER, "", "GB-CH:DEBARRED1", "GB"),
}


@dataclass(frozen=True)
class BeaconNode:
    home: Path
    institution: str
    collection: str
    vcf: Path


def build_beacon_node(root: Path) -> BeaconNode:
    """Synthesise, import and ingest into ``root``/node (slow: once per session)."""
    nation = root / "nation"
    synthesise_nation(nation, SynthConfig(donors=240, seed=11, sites_per_chromosome=120))
    folders = sorted(
        p for p in (nation / "institutions").iterdir() if (p / "genotypes.vcf.gz").exists()
    )
    # The institution with the most genotyped donors.
    folder = max(folders, key=lambda p: len((p / "donors.csv").read_text().splitlines()))
    code = folder.name
    node = init_node(root / "node", name="beacon test node", institution_code=code)
    import_files(node.db, node.keys, [nation / "institutions.csv"])
    files = [folder / n for n in INSTITUTION_FILES if (folder / n).exists()]
    import_files(node.db, node.keys, files, institution=code)
    with open(folder / "collections.csv", encoding="utf-8") as handle:
        collection = next(
            r["collection_id"]
            for r in csv.DictReader(handle)
            if r["collection_id"].endswith("-POP")
        )
    ingest(
        node.db,
        node.settings.home,
        node.keys,
        [folder / "genotypes.vcf.gz"],
        institution=code,
        collection=collection,
    )
    node.close()
    return BeaconNode(root / "node", code, collection, folder / "genotypes.vcf.gz")


def copy_node(template: BeaconNode, into: Path) -> tuple[Node, dict[str, str]]:
    """A copy of the template node, with users and their tokens."""
    home = into / "node"
    shutil.copytree(template.home, home)
    node = open_node(home)
    tokens = {}
    with node.db.transaction() as session:
        # Each user's organisation, registered as the node's officer would (the debarred
        # user's known by its Companies House number).
        for _role, _scope, organisation, country in BEACON_USERS.values():
            if ":" in organisation:
                register_named(session, "Debarred Ltd", country, [organisation])
            else:
                register_named(session, organisation, country)
        for name, (role, scope, organisation, country) in BEACON_USERS.items():
            add_user(session, ADMIN, name, role, scope, organisation=organisation, country=country)
            tokens[name] = create_token(session, ADMIN, name).value
        add_user(session, ADMIN, "steward", Role.INSTITUTION_STEWARD, template.institution)
        tokens["steward"] = create_token(session, ADMIN, "steward").value
    return node, tokens


def debar(db: Database, number: str, identifier: str) -> None:
    """List the organisation with ``identifier`` on the debarment list, on a mandatory ground."""
    from hgr.debarment.models import DebarmentEntry

    today = utc_today()
    with db.transaction() as session:
        session.add(
            DebarmentEntry(
                number=number,
                organisation="Debarred Ltd",
                country="GB",
                identifiers=[identifier],
                regime="hgr",
                ground="test",
                mandatory=True,
                status="listed",
                opened_on=today,
                listed_on=today,
                permanent=True,
                updated_at=utc_now(),
            )
        )
        # As the node's own writes do: an audit event moves the state that cached reads
        # (hgr.audit.stamp.cached) are keyed on, so no reader keeps the list as it was.
        record(session, ADMIN, "debarment.enter", f"debarment/{number}", grounds="test listing")
