"""The console is served by the same app as the API: its tests use the API's nodes."""

from tests.api.conftest import api, beacon_api, beacon_template  # noqa: F401  (fixtures)
