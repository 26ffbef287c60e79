"""The catalogue of important genetic pedigrees and specific-region resources."""

from hgr.catalogue.entries import (
    declare_pedigree,
    declare_region,
    draw_entry,
    entries_csv,
    entries_json,
    find_entry,
    is_protected,
    register,
    review,
    summary,
)

__all__ = [
    "declare_pedigree",
    "declare_region",
    "draw_entry",
    "entries_csv",
    "entries_json",
    "find_entry",
    "is_protected",
    "register",
    "review",
    "summary",
]
