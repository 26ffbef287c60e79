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
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crypt4gh import lib as c4gh_lib
from crypt4gh.keys import get_public_key

from hgr.crypto import NodeKeys
from hgr.exceptions import IntegrityBroken, UsageError

__all__ = ["SealedFile", "export_sealed", "recipient_key", "seal", "unseal"]

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


def recipient_key(path: Path) -> bytes:
    """The Crypt4GH (or OpenSSH ed25519) public key in the file ``path``.

    Raises
    ------
    UsageError
        ``E_BAD_PUBLIC_KEY`` when the file holds no such key.
    """
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
    secret = keys.crypt4gh_secret()
    recipient = get_public_key(str(keys.crypt4gh_public))
    with source.open("rb") as handle, target.open("wb") as out:
        reader = _TeeReader(handle, sinks)
        c4gh_lib.encrypt([(0, secret, recipient)], reader, out)
        out.flush()
        os.fsync(out.fileno())
    return SealedFile(source.name, target, reader.size, reader.digest.hexdigest())


def _decrypt_checked(sealed: SealedFile, secret: bytes, sink: BinaryIO) -> None:
    """Decrypt ``sealed`` into ``sink``, then check the bytes were the ones sealed."""
    writer = _HashingWriter(sink)
    with sealed.sealed.open("rb") as handle:
        try:
            c4gh_lib.decrypt([(0, secret, None)], handle, writer)
        except ValueError as exc:
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


@contextlib.contextmanager
def unseal(sealed: SealedFile, keys: NodeKeys, into: Path) -> Iterator[Path]:
    """Decrypt ``sealed`` to the file ``into``, check its size and SHA-256, yield its path.

    The plaintext is removed when the block ends; put ``into`` in a private directory.

    Raises
    ------
    IntegrityBroken
        ``E_RAW_CHECKSUM`` when the decrypted bytes are not the ones sealed (a truncated or
        replaced file), ``E_RAW_DECRYPT`` when the file does not decrypt with the node's key.
    """
    secret = keys.crypt4gh_secret()
    try:
        with into.open("wb") as out:
            _decrypt_checked(sealed, secret, out)
        yield into
    finally:
        into.unlink(missing_ok=True)


def export_sealed(sealed: SealedFile, keys: NodeKeys, recipient: bytes, target: Path) -> None:
    """Write ``sealed`` re-encrypted to the public key ``recipient``, at ``target``.

    The plaintext streams from decryption to encryption through a pipe and never touches
    the disk; it is checked against its recorded SHA-256 on the way, and a file that fails
    the check is not written.
    """
    secret = keys.crypt4gh_secret()
    partial = target.with_name(f".{target.name}.partial")
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def decrypt() -> None:
        try:
            with os.fdopen(write_end, "wb") as sink:
                _decrypt_checked(sealed, secret, sink)
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    producer = threading.Thread(target=decrypt, name="hgr-unseal")
    producer.start()
    try:
        with os.fdopen(read_end, "rb") as source, partial.open("wb") as out:
            c4gh_lib.encrypt([(0, secret, recipient)], source, out)
        producer.join()
        if failure:
            raise failure[0]
        partial.replace(target)
    finally:
        producer.join()
        partial.unlink(missing_ok=True)
