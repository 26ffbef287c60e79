"""Ed25519 signatures over checkpoints, survey returns and editions.

The key id follows the C2SP signed-note convention: the first four bytes of
SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), shown as hex, so a verifier can tell which key a
signature claims before trying it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hgr.exceptions import ConfigurationError

__all__ = ["Signer", "Verifier", "load_signer", "load_verifier"]

_ED25519 = b"\x01"  # C2SP signed-note algorithm byte for Ed25519


def _key_id(name: str, public: bytes) -> str:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4].hex()


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks signatures."""

    name: str
    public: bytes

    @property
    def key_id(self) -> str:
        return _key_id(self.name, self.public)

    def verify(self, data: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key."""

    name: str
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, _raw(self.private.public_key()))

    @property
    def key_id(self) -> str:
        return self.verifier.key_id

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def load_signer(path: Path, name: str) -> Signer:
    """The Ed25519 key in PEM file ``path``, signing as ``name``.

    Raises
    ------
    ConfigurationError
        When the file is missing, is not an Ed25519 private key, or others may read it.
    """
    if not path.is_file():
        raise ConfigurationError(f"signing key {path} is missing", code="E_NO_KEY")
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(
            f"signing key {path} can be read by others: chmod 600 {path}", code="E_KEY_MODE"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise ConfigurationError(f"{path} is not a PEM private key", code="E_BAD_KEY") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 key", code="E_BAD_KEY")
    return Signer(name, key)


def load_verifier(path: Path, name: str) -> Verifier:
    """The Ed25519 public key in PEM file ``path`` (a node's ``signing.pub``)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a PEM public key", code="E_BAD_KEY") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError(f"{path} is not an Ed25519 key", code="E_BAD_KEY")
    return Verifier(name, _raw(key))
