"""The attacks reuse the API test node (tests/api/conftest.py)."""

from tests.api.conftest import Api, api, beacon_api, beacon_template  # noqa: F401 (fixtures)
