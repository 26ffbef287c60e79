"""Creating and opening a node: its data directory, database and keys."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from hgr.access import models as access_models
from hgr.access.ontology import DiseaseOntology, read_obo
from hgr.audit import models as audit_models
from hgr.auth import models as auth_models
from hgr.catalogue import models as catalogue_models
from hgr.config import NODE_FILE, NodeRole, Settings, load_settings, write_settings
from hgr.crypto import (
    NodeKeys,
    Signer,
    Verifier,
    create_node_keys,
    load_node_keys,
    load_signer,
    load_verifier,
)
from hgr.dates import utc_now
from hgr.db import Database, upgrade_schema
from hgr.debarment import models as debarment_models
from hgr.debarment.national import ListCopy, require_fresh_list
from hgr.exceptions import ConfigurationError
from hgr.federation import models as federation_models
from hgr.genotypes import models as genotypes_models
from hgr.organisations import models as organisations_models
from hgr.policy.packs import Pack, load_packs
from hgr.privacy import models as privacy_models
from hgr.registry import models as registry_models
from hgr.registry.history import RecordVersion
from hgr.registry.regions import default_region_file, load_regions
from hgr.relatedness import models as relatedness_models
from hgr.survey import models as survey_models

__all__ = ["TABLES", "Node", "init_node", "open_node"]


TABLES = (
    access_models,
    audit_models,
    auth_models,
    privacy_models,
    catalogue_models,
    debarment_models,
    federation_models,
    genotypes_models,
    organisations_models,
    registry_models,
    relatedness_models,
    survey_models,
    RecordVersion,
)
"""Every package's tables, loaded whoever opens a node: a check of every sealed table
(``hgr audit verify --records``, a restore) then checks them all."""


@dataclass
class Node:
    """An opened node: settings, database and keys."""

    settings: Settings
    db: Database
    keys: NodeKeys

    def __post_init__(self) -> None:
        self.db.seal_with(self.keys.record_key())

    @property
    def origin(self) -> str:
        """The name this node signs under (a C2SP note origin: no spaces)."""
        return "hgr/" + (re.sub(r"[^A-Za-z0-9._-]+", "-", self.settings.name).strip("-") or "node")

    def signer(self) -> Signer:
        """The node's Ed25519 signer (checkpoints, returns, editions)."""
        return load_signer(self.keys.signing_key, self.origin)

    def verifier(self) -> Verifier:
        return load_verifier(self.keys.signing_public, self.origin)

    def disease_ontology(self) -> DiseaseOntology:
        """The disease hierarchy consent matching walks (``[access] disease_ontology``); an
        empty one when none is configured."""
        name = self.settings.access.disease_ontology
        if not name:
            return DiseaseOntology()
        return read_obo(self.settings.home / name)  # an absolute path stays itself

    def rule_packs(self) -> list[Pack]:
        """The shipped rule packs with the node's own (``[access] packs``)."""
        folder = self.settings.access.packs
        return load_packs(self.settings.home / folder if folder else None)

    def outbound_list(self, session: Session, action: str) -> ListCopy | None:
        """The national debarment list an outbound request is decided with: an institution or
        province node refuses one while its copy is missing or too old (E_LIST_STALE); the
        nation keeps the list itself, and a node playing every level is its own nation."""
        if self.settings.role not in (NodeRole.INSTITUTION, NodeRole.PROVINCE):
            return None
        return require_fresh_list(
            session,
            self.settings.survey.nation,
            action,
            self.settings.access.debarment_list_max_days,
        )

    def close(self) -> None:
        self.db.dispose()


def init_node(
    home: Path,
    *,
    role: NodeRole = NodeRole.ALL,
    name: str = "hgr node",
    region_code: str = "",
    institution_code: str = "",
    database_url: str = "",
    regions: Path | None = None,
    force: bool = False,
) -> Node:
    """Create a node in ``home``: settings, keys, database schema, and the region list.

    An existing node is refused unless ``force`` is given: then its settings are rewritten
    (the previous ``node.toml`` kept beside it as ``node.toml.<time>``), its schema upgraded,
    and its keys kept as they are, never rewritten.

    Raises
    ------
    ConfigurationError
        When ``home`` exists and is not empty and not already a node (E_NODE_DIR), or is a
        node already and ``force`` is not given (E_NODE_EXISTS).
    """
    home.mkdir(parents=True, exist_ok=True)
    existing = home / NODE_FILE
    if any(home.iterdir()) and not existing.exists():
        raise ConfigurationError(
            f"{home} is not empty and is not an hgr node: choose an empty directory",
            code="E_NODE_DIR",
        )
    if existing.exists():
        if not force:
            raise ConfigurationError(
                f"{home} is an hgr node already, and its settings ({NODE_FILE}: role, "
                "institution, database) stay as they are: hgr init --force rewrites them, "
                "keeping the previous file and the keys",
                code="E_NODE_EXISTS",
            )
        # Nothing is overwritten without a version: the settings as they were stay beside.
        stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
        shutil.copy2(existing, existing.with_name(f"{NODE_FILE}.{stamp}"))
    settings = Settings(
        home=home,
        database_url=database_url,
        role=role,
        name=name,
        region_code=region_code,
        institution_code=institution_code,
    )
    keys = create_node_keys(settings.keys_dir)
    upgrade_schema(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    db.seal_with(keys.record_key())
    load_regions(db, regions or default_region_file())
    write_settings(settings)
    return Node(settings, db, keys)


def open_node(home: Path | None = None, *, database_url: str | None = None) -> Node:
    """Open an initialised node (``home`` defaults to ``$HGR_HOME``)."""
    settings = load_settings(home, database_url=database_url)
    keys = load_node_keys(settings.keys_dir)
    return Node(settings, Database(settings.effective_database_url), keys)
