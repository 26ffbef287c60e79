"""``hgr relatedness`` commands that read the registry alone (those of fingerprints and
kinship are tested in tests/relatedness)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import hgr, hgr_lines


def test_unique_donors_for_scripts(examples_node: Path) -> None:
    """--json and --tsv on `hgr relatedness unique-donors`: the count as a field. With no
    duplicate link, every donor record is one person."""
    records = len(hgr_lines(examples_node, "list", "donors", "--json"))
    assert hgr(examples_node, "relatedness", "unique-donors")[1] == f"{records} unique donors"
    (counted,) = map(json.loads, hgr_lines(examples_node, "relatedness", "unique-donors", "--json"))
    assert counted == {"unique_donors": records}
    tsv = hgr_lines(examples_node, "relatedness", "unique-donors", "--tsv")
    assert tsv == ["field\tvalue", f"unique_donors\t{records}"]
