"""`hgr demo` runs the main story end to end and leaves what it names behind."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from hgr.demo import run_demo


def test_the_demo_runs_the_whole_story(tmp_path: Path) -> None:
    printed = io.StringIO()
    run_demo(tmp_path / "demo", donors=300, console=Console(file=printed, width=200))
    text = printed.getvalue()
    # Persons counted once through the duplicate links equal the synthetic truth.
    assert "294 persons (synthetic truth: 294 people)" in text
    assert "survey verify: ok" in text
    demo = tmp_path / "demo"
    assert len(list((demo / "survey").glob("*/survey-report.html"))) == 1  # last year's cycle
    catalogue = json.loads((demo / "catalogue" / "catalogue.json").read_text())
    assert {e["status"] for e in catalogue} == {"registered"}
    assert "security_review; rules CN-07, CN-10, CN-12, CN-13" in text
    assert "1 notice(s) published" in text
    exports = list((demo / "access" / "exports").iterdir())
    assert [p.name for p in sorted(exports[0].iterdir())] == [
        "donors.tsv.c4gh", "manifest.json", "manifest.sig"]  # fmt: skip
    assert "prohibited (CN-21, DEB-M)" in text
    assert "Exome data of 2,300 persons" in (demo / "debarment" / "debarment.html").read_text()
