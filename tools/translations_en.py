"""Write src/hgr/locale/en/LC_MESSAGES/hgr.po: English words for the values hgr stores.

    python tools/translations_en.py

English is the source language, so the English catalogue holds only the messages that are not
words: the registry's stored values (``whole_blood``, ``province_approved``), shown to English
readers as words. Every other message is shown as it is written.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[1] / "src" / "hgr" / "locale"

EN = {
    "whole_blood": "whole blood",
    "buffy_coat": "buffy coat",
    "pbmc": "PBMC",
    "dna": "DNA",
    "rna": "RNA",
    "cdna": "cDNA",
    "tissue_frozen": "frozen tissue",
    "tissue_ffpe": "FFPE tissue",
    "cell_line": "cell line",
    "csf": "cerebrospinal fluid",
    "province_approved": "approved by the province",
    "province_rejected": "rejected by the province",
    "data_category": "data category",
    "duo": "DUO term",
}


def main() -> int:
    # A fixed date, so that writing the catalogue again changes nothing.
    written = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    catalog = Catalog(
        locale="en_GB",
        project="hgr",
        version="",
        copyright_holder="hgr",
        msgid_bugs_address="",
        creation_date=written,
        revision_date=written,
        last_translator="hgr",
        language_team="hgr",
        fuzzy=False,
    )
    for msgid, text in sorted(EN.items()):
        catalog.add(msgid, text)
    target = ROOT / "en" / "LC_MESSAGES" / "hgr.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
