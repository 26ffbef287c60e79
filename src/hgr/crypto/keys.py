"""A node's keys, created once by ``hgr init`` and kept under ``<home>/keys``.

* ``pseudonym.key``: 32 random bytes for donor pseudonyms (HMAC-SHA-256).
* ``signing.key`` / ``signing.pub``: Ed25519, for signed survey returns, editions and audit
  checkpoints.
* ``node.c4gh.sec`` / ``node.c4gh.pub``: the Crypt4GH key pair files at rest are encrypted to.

Private key files are created with mode 0600 and never overwritten.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from crypt4gh.keys import c4gh, get_private_key
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hgr.crypto.pseudonym import MIN_KEY_BYTES, Pseudonymiser
from hgr.exceptions import ConfigurationError

__all__ = ["PRIVATE_KEYS", "NodeKeys", "create_node_keys", "exposed_keys", "load_node_keys"]

PSEUDONYM_KEY = "pseudonym.key"
SIGNING_KEY = "signing.key"
SIGNING_PUB = "signing.pub"
C4GH_SECRET = "node.c4gh.sec"
C4GH_PUBLIC = "node.c4gh.pub"
RECORD_KEY = "records.key"


@dataclass(frozen=True)
class NodeKeys:
    """Paths of a node's keys, and the pseudonymiser built from its pseudonym key."""

    directory: Path
    pseudonymiser: Pseudonymiser

    @property
    def signing_key(self) -> Path:
        return self.directory / SIGNING_KEY

    @property
    def signing_public(self) -> Path:
        return self.directory / SIGNING_PUB

    @property
    def crypt4gh_public(self) -> Path:
        return self.directory / C4GH_PUBLIC

    def record_key(self) -> bytes:
        """The HMAC key that seals the rows granting access (users, tokens), kept here and not
        in the database, so that a database superuser cannot forge a seal. A node made before
        the key existed gets it the first time it asks."""
        path = self.directory / RECORD_KEY
        if not path.is_file():
            # Written whole under another name, then linked into place: a process starting
            # beside this one sees no key or the whole key, never half of it.
            temporary = path.with_name(f".{RECORD_KEY}.{secrets.token_hex(4)}")
            _write_private(temporary, secrets.token_bytes(MIN_KEY_BYTES))
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                os.link(temporary, path)
            temporary.unlink()
        key = path.read_bytes()
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"record key {path} is shorter than {MIN_KEY_BYTES} bytes", code="E_BAD_KEY"
            )
        return key

    def crypt4gh_secret(self) -> bytes:
        """The node's Crypt4GH private key, to seal files to it and open what is sealed to it.

        Raises
        ------
        ConfigurationError
            ``E_NO_KEY`` when the key file is missing.
        """
        path = self.directory / C4GH_SECRET
        if not path.is_file():
            raise ConfigurationError(
                f"the node's Crypt4GH key {path} is missing: run `hgr init` on this node, or "
                "restore the key from backup (without it, sealed files cannot be read)",
                code="E_NO_KEY",
            )
        secret: bytes = get_private_key(str(path), lambda: "")
        return secret


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def create_node_keys(directory: Path) -> NodeKeys:
    """Create every key a node needs in ``directory``; existing keys are kept as they are."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if not (directory / PSEUDONYM_KEY).exists():
        _write_private(directory / PSEUDONYM_KEY, secrets.token_bytes(MIN_KEY_BYTES))
    if not (directory / RECORD_KEY).exists():
        _write_private(directory / RECORD_KEY, secrets.token_bytes(MIN_KEY_BYTES))
    if not (directory / SIGNING_KEY).exists():
        private = Ed25519PrivateKey.generate()
        _write_private(
            directory / SIGNING_KEY,
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        (directory / SIGNING_PUB).write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    if not (directory / C4GH_SECRET).exists():
        # Unprotected secret key: the node must decrypt unattended. Protect the directory
        # (mode 0700) or use a KMS path in production (ARCHITECTURE.md, keys).
        with contextlib.redirect_stderr(io.StringIO()):  # its "not encrypted" notice
            c4gh.generate(
                str(directory / C4GH_SECRET), str(directory / C4GH_PUBLIC), None, b"hgr node"
            )
    return load_node_keys(directory)


PRIVATE_KEYS = (PSEUDONYM_KEY, SIGNING_KEY, C4GH_SECRET, RECORD_KEY)


def exposed_keys(directory: Path) -> list[Path]:
    """The private key files in ``directory`` that group or others may read or write."""
    return [
        directory / name
        for name in PRIVATE_KEYS
        if (directory / name).is_file() and (directory / name).stat().st_mode & 0o077
    ]


def _require_private(directory: Path) -> None:
    """Refuse key files others can read: the Crypt4GH secret opens every sealed file, the
    signing key speaks for the node, and the pseudonym key re-identifies every donor (ASVS
    13.3.1, as ssh refuses an unprotected private key)."""
    exposed = exposed_keys(directory)
    if exposed:
        listed = " ".join(str(path) for path in exposed)
        raise ConfigurationError(
            f"key file(s) readable by group or others: {listed}; run `chmod 600 {listed}` "
            "(and find out who could read them)",
            code="E_KEY_MODE",
        )


def load_node_keys(directory: Path) -> NodeKeys:
    """Load a node's keys.

    Raises
    ------
    ConfigurationError
        When the pseudonym key is missing or too short (``E_NO_KEY``, ``E_BAD_KEY``), or when
        any private key file can be read or written by group or others (``E_KEY_MODE``).
    """
    _require_private(directory)
    path = directory / PSEUDONYM_KEY
    if not path.is_file():
        raise ConfigurationError(
            f"pseudonym key {path} is missing: run `hgr init` for this node, or restore the "
            "key from backup (without it, donors cannot be matched to earlier imports)",
            code="E_NO_KEY",
        )
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"pseudonym key {path} is shorter than {MIN_KEY_BYTES} bytes", code="E_BAD_KEY"
        )
    return NodeKeys(directory=directory, pseudonymiser=Pseudonymiser(key))
