"""Sealed raw files: Crypt4GH at rest, the plaintext checksum on every read, re-encryption."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from pathlib import Path

import pytest
from crypt4gh import lib as c4gh_lib
from crypt4gh.keys import c4gh, get_private_key

from hgr.crypto import NodeKeys, create_node_keys
from hgr.db import Database
from hgr.exceptions import IntegrityBroken, UsageError
from hgr.genotypes.export import export_raw
from hgr.genotypes.ingest import ingest
from hgr.genotypes.raw_files import SealedFile, export_sealed, recipient_key, seal, unseal
from tests.genotypes.conftest import INSTITUTION, register
from tests.genotypes.vcfs import SAMPLES, good_vcf

SEGMENT = 65536  # Crypt4GH plaintext segment; each is stored with a 12-byte nonce and 16-byte MAC
CIPHER_SEGMENT = SEGMENT + 28


def _key_pair(folder: Path) -> tuple[Path, Path]:
    secret, public = folder / "r.sec", folder / "r.pub"
    with contextlib.redirect_stderr(io.StringIO()):
        c4gh.generate(str(secret), str(public), None, b"recipient")
    return secret, public


def _sealed(tmp_path: Path, keys: NodeKeys, size: int) -> tuple[bytes, SealedFile]:
    data = os.urandom(size)
    source = tmp_path / "raw.bin"
    source.write_bytes(data)
    seen = bytearray()
    sealed = seal(source, tmp_path / "raw.c4gh", keys, [lambda view: seen.extend(view)])
    assert bytes(seen) == data  # every byte went to the sinks, once, in order
    return data, sealed


def test_seal_and_unseal(tmp_path: Path, keys: NodeKeys) -> None:
    data, sealed = _sealed(tmp_path, keys, 3 * SEGMENT + 17)
    assert (sealed.size, sealed.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert data[:64] not in sealed.sealed.read_bytes()
    with unseal(sealed, keys, tmp_path / "plain") as plain:
        assert plain.read_bytes() == data
    assert not (tmp_path / "plain").exists()


def test_a_copy_cut_at_a_segment_boundary_is_caught(tmp_path: Path, keys: NodeKeys) -> None:
    data, sealed = _sealed(tmp_path, keys, 3 * SEGMENT)
    stored = sealed.sealed.read_bytes()
    header = len(stored) - 3 * CIPHER_SEGMENT
    sealed.sealed.write_bytes(stored[: header + 2 * CIPHER_SEGMENT])
    # Crypt4GH alone accepts the shorter file: every remaining segment authenticates.
    secret = get_private_key(str(keys.directory / "node.c4gh.sec"), lambda: "")
    plain = io.BytesIO()
    with sealed.sealed.open("rb") as handle:
        c4gh_lib.decrypt([(0, secret, None)], handle, plain)
    assert plain.getvalue() == data[: 2 * SEGMENT]
    with pytest.raises(IntegrityBroken) as caught, unseal(sealed, keys, tmp_path / "p"):
        pass
    assert caught.value.code == "E_RAW_CHECKSUM"
    assert not (tmp_path / "p").exists()


def test_a_file_sealed_by_another_node_does_not_decrypt(tmp_path: Path, keys: NodeKeys) -> None:
    _data, sealed = _sealed(tmp_path, keys, 100)
    other = create_node_keys(tmp_path / "other")
    with pytest.raises(IntegrityBroken) as caught, unseal(sealed, other, tmp_path / "p"):
        pass
    assert caught.value.code == "E_RAW_DECRYPT"


def test_export_re_encrypts_to_the_recipient(tmp_path: Path, keys: NodeKeys) -> None:
    data, sealed = _sealed(tmp_path, keys, 2 * SEGMENT + 5)
    secret_path, public_path = _key_pair(tmp_path)
    export_sealed(sealed, keys, recipient_key(public_path), tmp_path / "out.c4gh")
    secret = get_private_key(str(secret_path), lambda: "")
    plain = io.BytesIO()
    with (tmp_path / "out.c4gh").open("rb") as handle:
        c4gh_lib.decrypt([(0, secret, None)], handle, plain)
    assert plain.getvalue() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["raw.bin", "raw.c4gh", "out.c4gh", "r.sec", "r.pub"]
    )


def test_a_damaged_file_is_never_exported(tmp_path: Path, keys: NodeKeys) -> None:
    _data, sealed = _sealed(tmp_path, keys, 3 * SEGMENT)
    stored = sealed.sealed.read_bytes()
    sealed.sealed.write_bytes(stored[:-CIPHER_SEGMENT])
    _secret, public = _key_pair(tmp_path)
    with pytest.raises(IntegrityBroken):
        export_sealed(sealed, keys, recipient_key(public), tmp_path / "out.c4gh")
    assert not list(tmp_path.glob("*out.c4gh*"))


def test_a_bad_public_key_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "key.pub"
    bad.write_text("not a key\n")
    with pytest.raises(UsageError) as caught:
        recipient_key(bad)
    assert caught.value.code == "E_BAD_PUBLIC_KEY"


def test_export_raw_of_a_collection(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    vcf = good_vcf(tmp_path / "a.vcf.gz")
    ingest(db, tmp_path, keys, [vcf], institution=INSTITUTION, collection="COL-GT")
    secret_path, public_path = _key_pair(tmp_path)
    out = tmp_path / "export"
    exported = export_raw(
        db,
        tmp_path,
        keys,
        institution=INSTITUTION,
        collection="COL-GT",
        recipient=public_path,
        out_dir=out,
    )
    assert [f.name for f in exported] == ["a.vcf.gz"]
    secret = get_private_key(str(secret_path), lambda: "")
    plain = io.BytesIO()
    with exported[0].path.open("rb") as handle:
        c4gh_lib.decrypt([(0, secret, None)], handle, plain)
    assert plain.getvalue() == vcf.read_bytes()
    with pytest.raises(UsageError) as caught:
        export_raw(
            db,
            tmp_path,
            keys,
            institution=INSTITUTION,
            collection="COL-GT",
            recipient=public_path,
            out_dir=out,
        )
    assert caught.value.code == "E_EXPORT_EXISTS"
