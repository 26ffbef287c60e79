"""The published debarment list: cases, control relations and the lookup every request uses."""

from hgr.debarment.cases import (
    LIFECYCLE,
    REGIMES,
    add_control,
    decide,
    find_case,
    list_entry,
    notify,
    open_case,
    public_entries,
    remove,
    represent,
    resume,
    suspend,
)
from hgr.debarment.publish import entries_csv

__all__ = [
    "LIFECYCLE",
    "REGIMES",
    "add_control",
    "decide",
    "entries_csv",
    "find_case",
    "list_entry",
    "notify",
    "open_case",
    "public_entries",
    "remove",
    "represent",
    "resume",
    "suspend",
]
