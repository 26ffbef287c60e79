"""``hgr beacon datasets`` and ``hgr beacon exposure``."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import hgr


def test_exposure_is_set_listed_and_audited(examples_node: Path) -> None:
    code, output = hgr(examples_node, "beacon", "datasets")
    assert code == 0, output
    assert "BJ-H001:COL-HD" in output
    code, output = hgr(examples_node, "beacon", "exposure", "BJ-H001:COL-HD",
                       "--anonymous", "none", "--min-carriers", "10")  # fmt: skip
    assert code == 0, output
    assert "anonymous none" in output
    assert "k 10" in output
    code, output = hgr(examples_node, "beacon", "datasets")
    assert "COL-HD: " in output
    assert "anonymous none" in output
    code, output = hgr(examples_node, "audit", "verify")
    assert code == 0, output


def test_bad_exposure_is_refused_and_changes_nothing(examples_node: Path) -> None:
    bad = [
        (["BJ-H001:COL-HD", "--anonymous", "count"], "anonymous requesters may be given"),
        (["BJ-H001:COL-HD", "--registered", "record"], "registered requesters"),
        (["BJ-H001:COL-HD", "--min-carriers", "1"], "min_carriers"),
        (["BJ-H001:COL-HD", "--count-epsilon", "20"], "count_epsilon"),
        (["BJ-H001:NOPE", "--anonymous", "none"], "no collection"),
        (["no-colon", "--anonymous", "none"], "no collection"),
    ]
    _, before = hgr(examples_node, "beacon", "datasets")
    for args, message in bad:
        code, output = hgr(examples_node, "beacon", "exposure", *args)
        assert code == 1, (args, output)
        assert message in output, (args, output)
    assert hgr(examples_node, "beacon", "datasets")[1] == before
