"""Schemathesis over the OpenAPI document, for callers of several roles (security.md T9(b)).

Every generated request, valid or not, must get an answer that the document describes: no
server error, a declared status code and content type, and a body that matches its schema.
Runs on PostgreSQL, the production database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.registry.regions import default_region_file, load_regions
from tests.api.conftest import Api
from tests.conftest import empty_database

CALLERS = [None, "steward_bj", "officer_sh", "national", "researcher", "auditor"]
EXAMPLES = 25
# The operations are shared out among this many tests, which a parallel run spreads.
SHARDS = 4


@pytest.fixture
def db(postgres_schema_url: str, keys: NodeKeys) -> Iterator[Database]:
    """Only PostgreSQL here: the other tests already run every route on both databases."""
    database = Database(postgres_schema_url)
    database.seal_with(keys.record_key())
    empty_database(database)
    load_regions(database, default_region_file())
    yield database
    database.dispose()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_answer_matches_the_document(api: Api, shard: int) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    failures: dict[str, str] = {}
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=lambda o: o.label
    )
    assert len(operations) > 30

    for operation in operations[shard::SHARDS]:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def examples(case: schemathesis.Case) -> None:
            # The same input is sent for each caller: refused, answered from one institution
            # or from the whole nation, it must be handled as the document says.
            for caller in CALLERS:
                case.call_and_validate(
                    headers=api.headers(caller),
                    excluded_checks=[
                        # Registry validation is semantic (references, ranges, dates): rows the
                        # schema allows are often, and rightly, refused as invalid records.
                        positive_data_acceptance,
                    ],
                )

        try:
            examples()
        # Collected, so that one run reports every failing operation.
        except (Exception, BaseExceptionGroup) as exc:
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
