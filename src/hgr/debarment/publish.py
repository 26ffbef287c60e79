"""The debarment list as the public reads it in CSV (the HTML page is hgr.web.debarment)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from hgr.debarment.cases import PUBLIC_COLUMNS
from hgr.spreadsheets import safe_record

__all__ = ["entries_csv"]


def entries_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The published entries as CSV, identifiers joined with ``;``, every text cell safe to
    open in a spreadsheet (hgr.spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PUBLIC_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(safe_record(row | {"identifiers": ";".join(row["identifiers"])}))
    return buffer.getvalue()
