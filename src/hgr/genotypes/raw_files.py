"""Raw genotype files at rest: Crypt4GH-encrypted to the node's key, checked on every read.

Crypt4GH (GA4GH, 2019) authenticates each 64 KiB segment but not the file as a whole: a copy
cut at a segment boundary decrypts without complaint (../shared/reference/security.md, on
Crypt4GH's limits). So the plaintext's SHA-256 and size are recorded when a file is sealed,
and every read recomputes them before anything is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crypt4gh import lib as c4gh_lib
from crypt4gh.keys import get_private_key, get_public_key

from hgr.crypto import NodeKeys
from hgr.exceptions import ConfigurationError, IntegrityBroken, UsageError

__all__ = ["SealedFile", "export_sealed", "seal", "unseal"]

Sink = Callable[[memoryview], None]


@dataclass(frozen=True)
class SealedFile:
    """A file encrypted at rest, with its plaintext's size and SHA-256."""

    name: str
    sealed: Path
    size: int
    sha256: str


class _TeeReader(io.RawIOBase):
    """Reads a file for Crypt4GH, hashing every byte and handing it to ``sinks`` on the way."""

    def __init__(self, handle: BinaryIO, sinks: list[Sink]) -> None:
        self._handle = handle
        self._sinks = sinks
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._handle.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            view = memoryview(buffer)[:count]
            self.digest.update(view)
            self.size += count
            for sink in self._sinks:
                sink(view)
        return int(count or 0)


class _HashingWriter:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._handle.write(data)


def _node_secret(keys: NodeKeys) -> bytes:
    path = keys.directory / "node.c4gh.sec"
    if not path.is_file():
        raise ConfigurationError(
            f"the node's Crypt4GH key {path} is missing: run `hgr init` on this node, or "
            "restore the key from backup (without it, sealed files cannot be read)",
            code="E_NO_KEY",
        )
    secret: bytes = get_private_key(str(path), lambda: "")
    return secret


def _public_key(path: Path) -> bytes:
    try:
        key: bytes = get_public_key(str(path))
    except (OSError, ValueError, NotImplementedError) as exc:
        raise UsageError(
            f"{path} is not a Crypt4GH or OpenSSH public key: {exc}", code="E_BAD_PUBLIC_KEY"
        ) from exc
    return key


def seal(source: Path, target: Path, keys: NodeKeys, sinks: list[Sink]) -> SealedFile:
    """Encrypt ``source`` to the node's key at ``target``, passing every byte to ``sinks``.

    Reading the file once serves everything ingestion needs from the raw bytes: the checksum,
    the encrypted copy, and (through ``sinks``) the scan and the working copy.
    """
    secret = _node_secret(keys)
    recipient = get_public_key(str(keys.crypt4gh_public))
    with source.open("rb") as handle, target.open("wb") as out:
        reader = _TeeReader(handle, sinks)
        c4gh_lib.encrypt([(0, secret, recipient)], reader, out)
        out.flush()
        os.fsync(out.fileno())
    return SealedFile(source.name, target, reader.size, reader.digest.hexdigest())


@contextlib.contextmanager
def unseal(sealed: SealedFile, keys: NodeKeys, into: Path) -> Iterator[Path]:
    """Decrypt ``sealed`` to the file ``into``, check its size and SHA-256, yield its path.

    The plaintext is removed when the block ends.

    Raises
    ------
    IntegrityBroken
        ``E_RAW_CHECKSUM`` when the decrypted bytes are not the ones sealed (a truncated or
        replaced file), ``E_RAW_DECRYPT`` when the file does not decrypt with the node's key.
    """
    secret = _node_secret(keys)
    try:
        with sealed.sealed.open("rb") as handle, into.open("wb") as out:
            writer = _HashingWriter(out)
            try:
                c4gh_lib.decrypt([(0, secret, None)], handle, writer)
            except (ValueError, OSError) as exc:
                raise IntegrityBroken(
                    f"{sealed.sealed} (raw copy of {sealed.name}) does not decrypt with this "
                    f"node's key: {exc}",
                    code="E_RAW_DECRYPT",
                ) from exc
        if writer.size != sealed.size or writer.digest.hexdigest() != sealed.sha256:
            raise IntegrityBroken(
                f"{sealed.sealed} (raw copy of {sealed.name}) decrypts to {writer.size} bytes "
                f"with SHA-256 {writer.digest.hexdigest()[:16]}…, not the {sealed.size} bytes "
                f"with SHA-256 {sealed.sha256[:16]}… that were sealed: the stored file is "
                "truncated or was replaced; restore it from backup",
                code="E_RAW_CHECKSUM",
            )
        yield into
    finally:
        into.unlink(missing_ok=True)


def export_sealed(sealed: SealedFile, keys: NodeKeys, recipient: Path, target: Path) -> None:
    """Write ``sealed`` re-encrypted to the public key file ``recipient``, at ``target``.

    The plaintext is checked against its recorded SHA-256 on the way, so a damaged file is
    never passed on; it exists only briefly, next to ``target``.
    """
    public = _public_key(recipient)
    secret = _node_secret(keys)
    partial = target.with_name(f".{target.name}.partial")
    plain = target.with_name(f".{target.name}.plain")
    try:
        with unseal(sealed, keys, plain), plain.open("rb") as handle, partial.open("wb") as out:
            c4gh_lib.encrypt([(0, secret, public)], handle, out)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
