"""Starting the server safely: refuse configurations that would expose the node.

Genetic-resource databases have been found open on the internet; ``hgr serve`` will not be the
next (security.md §5). It refuses to start when:

* it would listen beyond loopback without TLS or a declared trusted reverse proxy;
* TLS is half configured or its files are missing;
* a private key file (the Crypt4GH secret included) is readable by group or others;
* a trusted proxy is a wildcard or not an address (a spoofed X-Forwarded-For would then pass
  every rate limit and the beacon's anonymous caps);
* outside development mode, the database URL carries a well-known default password or none,
  or its role is a superuser (who can switch off the audit log's triggers).
"""

from __future__ import annotations

import gc
import ipaddress
import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hgr.config import Settings, is_loopback, load_settings
from hgr.crypto.keys import PSEUDONYM_KEY, SIGNING_KEY, exposed_keys
from hgr.db import Database
from hgr.db.engine import credential_refusals
from hgr.exceptions import ConfigurationError

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["check_service", "database_refusals", "node_servers", "serve", "serve_nodes"]


def check_service(settings: Settings) -> list[str]:
    """Every reason the node must not serve as configured (empty: safe to start)."""
    service = settings.service
    refusals = []
    tls = bool(service.tls_cert or service.tls_key)
    if tls and not (service.tls_cert and service.tls_key):
        refusals.append("TLS needs both tls_cert and tls_key")
    for path in (service.tls_cert, service.tls_key):
        if path and not Path(path).is_file():
            refusals.append(f"TLS file {path} does not exist")
    if not is_loopback(service.host) and not tls and not service.trusted_proxy:
        refusals.append(
            f"refusing to listen on {service.host} without TLS: set tls_cert and tls_key, or "
            "declare the reverse proxy that terminates TLS as trusted_proxy"
        )
    refusals.extend(_proxy_refusals(service.trusted_proxy))
    for name in (PSEUDONYM_KEY, SIGNING_KEY):
        if not (settings.keys_dir / name).is_file():
            refusals.append(f"key {settings.keys_dir / name} is missing")
    refusals.extend(
        f"key {key} can be read by others: chmod 600 {key}"
        for key in exposed_keys(settings.keys_dir)
    )
    if service.development:
        return refusals
    if settings.database_url:
        refusals.extend(credential_refusals(settings.database_url))
    return refusals


def _proxy_refusals(trusted: str) -> list[str]:
    """Each trusted proxy must be an address or a network (uvicorn's forwarded_allow_ips)."""
    refusals = []
    for entry in filter(None, (part.strip() for part in trusted.split(","))):
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            refusals.append(
                f"trusted_proxy {entry!r} is not an IP address or network: name "
                "the reverse proxy's address (no wildcards)"
            )
            continue
        if network.prefixlen == 0:
            refusals.append(
                f"trusted_proxy {entry!r} trusts every address: name the reverse proxy's address"
            )
    return refusals


def database_refusals(settings: Settings, db: Database) -> list[str]:
    """What the database role itself makes unsafe, asked of the server: a superuser can switch
    off the audit log's append-only and numbering triggers (session_replication_role)."""
    if settings.service.development:
        return []
    if db.is_superuser():
        return [
            "the database role is a superuser: serve with a role that owns the schema and "
            "nothing more (CREATE ROLE hgr LOGIN PASSWORD '...')"
        ]
    return []


def app_from_environment() -> FastAPI:
    """The app of the node named by ``$HGR_HOME`` (for each of several worker processes)."""
    from hgr.api.app import create_app

    app = create_app(load_settings())
    _settle()
    return app


def _settle() -> None:
    """Keep what the server built at startup (modules, the app, the node) out of the
    garbage collector's full collections: none of it is ever garbage, and walking it made
    each full collection pause the process 50-180 ms, with no request answered meanwhile
    (docs.python.org/3/library/gc.html#gc.freeze)."""
    gc.collect()
    gc.freeze()


def serve(settings: Settings) -> None:
    """Check the configuration, then serve the API with uvicorn until interrupted."""
    refusals = check_service(settings)
    if not refusals:
        db = Database(settings.effective_database_url)
        try:
            refusals = database_refusals(settings, db)
        finally:
            db.dispose()
    if refusals:
        raise ConfigurationError("; ".join(refusals), code="E_UNSAFE_CONFIG")
    import uvicorn

    from hgr.api.app import create_app

    service = settings.service
    app: object
    if service.workers == 1:
        app = create_app(settings)
        _settle()
    else:
        # Several processes each build their own app from the node's settings, which reach
        # them through the environment (uvicorn starts them from an import string).
        os.environ["HGR_HOME"] = str(settings.home)
        if settings.database_url:
            os.environ["HGR_DATABASE_URL"] = settings.database_url
        app = "hgr.api.serve:app_from_environment"
    uvicorn.run(
        app,
        factory=service.workers > 1,
        workers=service.workers,
        host=service.host,
        port=service.port,
        ssl_certfile=service.tls_cert or None,
        ssl_keyfile=service.tls_key or None,
        proxy_headers=bool(service.trusted_proxy),
        forwarded_allow_ips=service.trusted_proxy or None,
        server_header=False,
        log_level="warning",
    )


def serve_nodes(homes: Sequence[tuple[Path, int]]) -> None:
    """Serve several nodes from one process, each on its own loopback port, until
    interrupted: the demo's nodes, for a person to click through."""
    servers = node_servers(homes)
    for server in servers[1:]:
        threading.Thread(target=server.run, daemon=True).start()
    try:
        servers[0].run()  # in the main thread, which receives Ctrl-C
    finally:
        for server in servers[1:]:
            server.should_exit = True


def node_servers(homes: Sequence[tuple[Path, int]]) -> list[Any]:
    """A uvicorn server for each node at ``home``, on loopback ``port``; the configuration of
    each is checked as ``hgr serve`` checks it."""
    import uvicorn

    from hgr.api.app import create_app

    servers = []
    for home, port in homes:
        settings = load_settings(home)
        settings = replace(settings, service=replace(settings.service, host="127.0.0.1", port=port))
        refusals = check_service(settings)
        if refusals:
            raise ConfigurationError("; ".join(refusals), code="E_UNSAFE_CONFIG")
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            server_header=False,
        )
        servers.append(uvicorn.Server(config))
    return servers
