"""Cryptographic foundations: node keys, donor pseudonyms and signatures."""

from hgr.crypto.digests import file_sha256
from hgr.crypto.keys import NodeKeys, create_node_keys, load_node_keys
from hgr.crypto.pseudonym import Pseudonymiser
from hgr.crypto.signing import Signer, Verifier, load_signer, load_verifier

__all__ = [
    "NodeKeys",
    "Pseudonymiser",
    "Signer",
    "Verifier",
    "create_node_keys",
    "file_sha256",
    "load_node_keys",
    "load_signer",
    "load_verifier",
]
