"""Cryptographic foundations: node keys and donor pseudonyms."""

from hgr.crypto.keys import NodeKeys, create_node_keys, load_node_keys
from hgr.crypto.pseudonym import Pseudonymiser

__all__ = ["NodeKeys", "Pseudonymiser", "create_node_keys", "load_node_keys"]
