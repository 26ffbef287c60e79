"""Governed access: consent matching, and (as it lands) requests, reviews and export."""

from hgr.access.consent import ConsentMatch, ProposedUse, Release, eligible_donors, match_consent
from hgr.access.ontology import DiseaseOntology, read_obo

__all__ = [
    "ConsentMatch",
    "DiseaseOntology",
    "ProposedUse",
    "Release",
    "eligible_donors",
    "match_consent",
    "read_obo",
]
