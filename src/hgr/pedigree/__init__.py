"""Declared pedigrees: PED/FAM reading and structural validation per family."""

from hgr.pedigree.ped import NO_FAMILY, PedigreeRecord, read_ped
from hgr.pedigree.validate import FamilyCheck, check_pedigrees, generations

__all__ = [
    "NO_FAMILY",
    "FamilyCheck",
    "PedigreeRecord",
    "check_pedigrees",
    "generations",
    "read_ped",
]
