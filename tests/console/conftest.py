"""The console is served by the same app as the API: its tests use the API's node."""

from tests.api.conftest import api  # noqa: F401  (a fixture)
