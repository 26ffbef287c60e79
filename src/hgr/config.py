"""Settings of a node, built once at start-up and passed down.

A node keeps everything under one data directory::

    <home>/node.toml        the settings below, written by ``hgr init``
    <home>/hgr.sqlite       the embedded database (when no database URL is given)
    <home>/keys/            pseudonym key, signing key, Crypt4GH key pair
    <home>/audit/head.note  the latest signed audit head, outside the database

Nothing here is read at import time: callers build :class:`Settings` with
:func:`load_settings` (or directly, in tests) and hand it to the services.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from hgr.exceptions import ConfigurationError

__all__ = [
    "EXCLUDED_CONDITIONS",
    "NODE_FILE",
    "AccessSettings",
    "BeaconSettings",
    "CatalogueSettings",
    "NodeRole",
    "OidcSettings",
    "PassportSettings",
    "ServiceSettings",
    "Settings",
    "SurveySettings",
    "is_loopback",
    "load_settings",
    "write_settings",
]

NODE_FILE = "node.toml"

T = TypeVar("T")


class NodeRole(StrEnum):
    """Which level of the survey hierarchy a node plays (ARCHITECTURE.md, deployment picture)."""

    INSTITUTION = "institution"
    PROVINCE = "province"
    NATION = "nation"
    ALL = "all"


@dataclass(frozen=True)
class ServiceSettings:
    """How ``hgr serve`` listens and what it refuses (``[service]`` in node.toml).

    ``development`` relaxes the start-up refusals for a laptop; it is never the default.
    ``checkpoint_seconds`` is how often the running server signs an audit checkpoint (0: only
    on request); ``workers`` how many server processes share the port (rate limits are kept
    per process).
    """

    host: str = "127.0.0.1"
    port: int = 8470
    tls_cert: str = ""
    tls_key: str = ""
    trusted_proxy: str = ""
    development: bool = False
    rate_per_second: float = 50.0
    burst: int = 200
    max_body_bytes: int = 64 * 1024 * 1024
    checkpoint_seconds: float = 60.0
    workers: int = 1


@dataclass(frozen=True)
class OidcSettings:
    """The OpenID Connect issuer whose bearer JWTs the node accepts (``[oidc]`` in node.toml).

    ``jwks_uri`` may be empty, in which case it is discovered from the issuer's
    ``/.well-known/openid-configuration``. A subject that no user names (``hgr user add
    --oidc-subject``) is refused unless ``admit_unregistered`` makes it a researcher. A token
    whose ``exp - iat`` exceeds ``max_lifetime_seconds`` is refused.

    ``client_id`` (and, for a confidential client, ``client_secret``) lets people sign in to
    the console through the issuer (the authorization-code flow with PKCE); ``redirect_uri``
    is the console's address for the issuer to send them back to, when the node is reached
    through a proxy under another address (else it is worked out from the request).
    """

    issuer: str = ""
    audience: str = ""
    client_id: str = ""
    client_secret: str = ""
    redirect_uri: str = ""
    jwks_uri: str = ""
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256", "EdDSA")
    admit_unregistered: bool = False
    leeway_seconds: int = 60
    jwks_cache_seconds: int = 300
    max_lifetime_seconds: int = 24 * 3600

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)


@dataclass(frozen=True)
class PassportSettings:
    """Which GA4GH visa issuers are trusted (``[passport]`` in node.toml).

    ``trusted`` lists ``"<iss> <jku>"`` pairs: a visa counts only when both its issuer and the
    key-set URL in its header are listed together (GA4GH AAI; the EGA SDA allow-list).
    ``binding`` is ``broker-bound`` (any visa subject), ``strict-sub`` or ``strict-iss-sub``.
    """

    trusted: tuple[str, ...] = ()
    binding: str = "broker-bound"
    max_visas: int = 200
    max_visa_bytes: int = 16 * 1024
    max_key_fetches: int = 10


@dataclass(frozen=True)
class SurveySettings:
    """The survey's disclosure control and catalogue (``[survey]`` in node.toml).

    ``suppress_below``: published counts above zero and below this are hidden (with every
    cell that would give one away). ``protection_interval``: how wide the range that a reader
    of every published table and edition can work out for a hidden count must be at least
    (tau-Argus's sliding protection range; 0, the default, means ``suppress_below``).
    ``nation``: the code the national edition speaks for.
    ``province``: on an institution's node, the URL of its province's node, which the console
    sends the signed return to and asks where it stands; ``province_token_file`` a file,
    relative to the node's home, holding this node's bearer token there (a steward's token of
    the province's node). Without them the return is sent with ``hgr survey send``.
    """

    suppress_below: int = 5
    protection_interval: int = 0
    nation: str = "CN"
    province: str = ""
    province_token_file: str = ""

    @property
    def interval(self) -> int:
        """The protection interval in force."""
        return self.protection_interval or self.suppress_below


EXCLUDED_CONDITIONS = (
    "hypertension",
    "HP:0000822",
    "MONDO:0005044",
    "diabetes",
    "HP:0000819",
    "MONDO:0005015",
    "colour blindness",
    "color blindness",
    "colour vision",
    "color vision",
    "HP:0000551",
    "haemophilia",
    "hemophilia",
    "ORPHA:448",
    "MONDO:0010602",
)
"""Common conditions that do not make a family an important pedigree: codes (CURIEs) or words
of the condition's label."""


@dataclass(frozen=True)
class CatalogueSettings:
    """The pedigree catalogue (``[catalogue]`` in node.toml): ``excluded`` replaces the list of
    common conditions that are not declared as important pedigrees."""

    excluded: tuple[str, ...] = EXCLUDED_CONDITIONS


@dataclass(frozen=True)
class AccessSettings:
    """Governed access (``[access]`` in node.toml): ``disease_ontology`` is an OBO file (MONDO's
    ``mondo.obo``; a relative path is read from the node's home) whose hierarchy lets a
    disease-specific consent cover the diseases below its own; ``packs`` a folder of rule packs
    that replace or add to the shipped ones. Empty means none. ``debarment_list_max_days`` is
    how old an institution's or province's copy of the national debarment list may be for it
    to decide outbound requests (hgr.debarment.national)."""

    disease_ontology: str = ""
    packs: str = ""
    debarment_list_max_days: int = 7


@dataclass(frozen=True)
class BeaconSettings:
    """The beacon network (``[beacon]`` in node.toml): ``peers`` lists ``"<beacon id> <url>"``
    pairs (the id each peer gives in its ``/api/info``), the province and institution beacons
    this node asks too and whose answers it merges with its own, each optionally followed by
    a file, relative to the node's home, holding this node's bearer token at that peer (then
    the node asks on behalf of callers the peer cannot recognise: hgr.privacy.forwarding);
    ``timeout_seconds`` how long it waits for each. ``ledger`` is the URL of the node that
    keeps the federation's question ledger (normally the national node), and
    ``ledger_token_file`` a file, relative to the node's home, holding this node's bearer
    token there; without them the node keeps its own."""

    peers: tuple[str, ...] = ()
    timeout_seconds: float = 10.0
    ledger: str = ""
    ledger_token_file: str = ""

    def peer_urls(self) -> dict[str, str]:
        return {parts[0]: parts[1] for parts in map(str.split, self.peers)}

    def peer_token_files(self) -> dict[str, str]:
        """The token file named for each peer that has one."""
        return {parts[0]: parts[2] for parts in map(str.split, self.peers) if len(parts) == 3}


@dataclass(frozen=True)
class Settings:
    """Everything a node needs to know about itself.

    Parameters
    ----------
    home
        The node's data directory.
    database_url
        SQLAlchemy URL; empty means the embedded SQLite file under ``home``.
    role
        The node's level in the survey hierarchy.
    name
        A human-readable name shown in reports.
    region_code
        Official code of the node's region (for a province node, its province).
    institution_code
        For an institution node, the code of the institution it serves.
    """

    home: Path
    database_url: str = ""
    role: NodeRole = NodeRole.ALL
    name: str = "hgr node"
    region_code: str = ""
    institution_code: str = ""
    service: ServiceSettings = ServiceSettings()
    oidc: OidcSettings = OidcSettings()
    passport: PassportSettings = PassportSettings()
    survey: SurveySettings = SurveySettings()
    catalogue: CatalogueSettings = CatalogueSettings()
    access: AccessSettings = AccessSettings()
    beacon: BeaconSettings = BeaconSettings()

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def audit_head_file(self) -> Path:
        """The latest signed audit head, kept outside the database (hgr.audit.heads)."""
        return self.home / "audit" / "head.note"

    @property
    def effective_database_url(self) -> str:
        """The URL to connect to: the configured one, or the node's SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'hgr.sqlite').resolve()}"

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)


def load_settings(home: Path | None = None, *, database_url: str | None = None) -> Settings:
    """Read a node's settings from ``<home>/node.toml``.

    ``home`` defaults to ``$HGR_HOME``; ``database_url`` (or ``$HGR_DATABASE_URL``) overrides
    the file so that one node can be pointed at PostgreSQL without editing it.

    Raises
    ------
    ConfigurationError
        When no home is given, or the directory holds no initialised node.
    """
    if home is None:
        env_home = os.environ.get("HGR_HOME")
        if not env_home:
            raise ConfigurationError(
                "no node directory given: pass --home DIR or set HGR_HOME "
                "(create one with `hgr init DIR`)",
                code="E_NO_NODE",
            )
        home = Path(env_home)
    path = home / NODE_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"{home} is not an hgr node ({NODE_FILE} is missing): run `hgr init {home}` first",
            code="E_NO_NODE",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}", code="E_NODE_FILE") from exc
    node = data.get("node", {})
    try:
        role = NodeRole(node.get("role", NodeRole.ALL))
    except ValueError as exc:
        allowed = ", ".join(r.value for r in NodeRole)
        raise ConfigurationError(
            f"{path}: role {node.get('role')!r} is not one of {allowed}", code="E_NODE_FILE"
        ) from exc
    url = database_url or os.environ.get("HGR_DATABASE_URL") or node.get("database_url", "")
    return Settings(
        service=_section(path, "service", ServiceSettings(), data.get("service", {})),
        oidc=_section(path, "oidc", OidcSettings(), data.get("oidc", {})),
        passport=_passport(path, data.get("passport", {})),
        survey=_survey(path, data.get("survey", {})),
        catalogue=_section(path, "catalogue", CatalogueSettings(), data.get("catalogue", {})),
        access=_section(path, "access", AccessSettings(), data.get("access", {})),
        beacon=_beacon(path, data.get("beacon", {})),
        home=home,
        database_url=url,
        role=role,
        name=str(node.get("name", "hgr node")),
        region_code=str(node.get("region_code", "")),
        institution_code=str(node.get("institution_code", "")),
    )


def _section(path: Path, name: str, defaults: T, table: dict[str, object]) -> T:
    """``defaults`` with the values of one node.toml table, each checked against its type."""
    known = defaults.__dataclass_fields__  # type: ignore[attr-defined]
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown [{name}] setting(s) {', '.join(unknown)}; known: {', '.join(known)}",
            code="E_NODE_FILE",
        )
    values: dict[str, object] = {}
    for key, value in table.items():
        default = getattr(defaults, key)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigurationError(
                    f"{path}: [{name}] {key} must be a list of strings", code="E_NODE_FILE"
                )
            value = tuple(value)
        elif isinstance(value, int) and not isinstance(value, bool) and type(default) is float:
            value = float(value)
        elif type(value) is not type(default):
            raise ConfigurationError(
                f"{path}: [{name}] {key} must be a {type(default).__name__}", code="E_NODE_FILE"
            )
        values[key] = value
    return replace(defaults, **values)  # type: ignore[type-var]


def _passport(path: Path, table: dict[str, object]) -> PassportSettings:
    settings = _section(path, "passport", PassportSettings(), table)
    for pair in settings.trusted:
        if len(pair.split()) != 2:
            raise ConfigurationError(
                f'{path}: [passport] trusted entry {pair!r} must be "<iss> <jku>"',
                code="E_NODE_FILE",
            )
    if settings.binding not in ("broker-bound", "strict-sub", "strict-iss-sub"):
        raise ConfigurationError(
            f"{path}: [passport] binding must be broker-bound, strict-sub or strict-iss-sub",
            code="E_NODE_FILE",
        )
    return settings


def _beacon(path: Path, table: dict[str, object]) -> BeaconSettings:
    settings = _section(path, "beacon", BeaconSettings(), table)
    ids = []
    for pair in settings.peers:
        parts = pair.split()
        if (
            len(parts) not in (2, 3)
            or "," in parts[0]
            or not parts[1].startswith(("http://", "https://"))
        ):
            raise ConfigurationError(
                f'{path}: [beacon] peers entry {pair!r} must be "<beacon id> <http(s) url>", '
                "optionally followed by the file of this node's token at the peer",
                code="E_NODE_FILE",
            )
        ids.append(parts[0])
    if len(set(ids)) != len(ids):
        raise ConfigurationError(f"{path}: [beacon] peers name one id twice", code="E_NODE_FILE")
    if not 0 < settings.timeout_seconds <= 120:
        raise ConfigurationError(
            f"{path}: [beacon] timeout_seconds must be in (0, 120]", code="E_NODE_FILE"
        )
    if settings.ledger and (
        not settings.ledger.startswith(("http://", "https://")) or not settings.ledger_token_file
    ):
        raise ConfigurationError(
            f"{path}: [beacon] ledger must be an http(s) URL, with "
            "ledger_token_file naming this node's token there",
            code="E_NODE_FILE",
        )
    return settings


def _survey(path: Path, table: dict[str, object]) -> SurveySettings:
    settings = _section(path, "survey", SurveySettings(), table)
    if settings.suppress_below < 1:
        raise ConfigurationError(
            f"{path}: [survey] suppress_below must be at least 1", code="E_NODE_FILE"
        )
    if settings.protection_interval < 0:
        raise ConfigurationError(
            f"{path}: [survey] protection_interval must be 0 (as suppress_below) or more",
            code="E_NODE_FILE",
        )
    if settings.province and (
        not settings.province.startswith(("http://", "https://"))
        or not settings.province_token_file
    ):
        raise ConfigurationError(
            f"{path}: [survey] province must be an http(s) URL, with "
            "province_token_file naming this node's token there",
            code="E_NODE_FILE",
        )
    return settings


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) names this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_settings(settings: Settings) -> Path:
    """Write ``node.toml`` for ``settings`` (atomically) and return its path."""
    lines = [
        "# hgr node settings, written by `hgr init`",
        "[node]",
        f"name = {_toml_string(settings.name)}",
        f"role = {_toml_string(settings.role.value)}",
        f"region_code = {_toml_string(settings.region_code)}",
        f"institution_code = {_toml_string(settings.institution_code)}",
        f"database_url = {_toml_string(settings.database_url)}",
    ]
    path = settings.home / NODE_FILE
    tmp = path.with_suffix(".toml.tmp")
    # Owner-only (0600): the database URL may carry a password.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)  # an older file of that name kept its mode through O_TRUNC
    tmp.replace(path)
    return path
