"""How nodes talk to each other over HTTP(S)."""

from hgr.federation.client import get_json, post_json, read_token_file

__all__ = ["get_json", "post_json", "read_token_file"]
