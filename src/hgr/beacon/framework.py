"""The Beacon v2 framework's informational documents: info, service-info, configuration, map,
entry types and filtering terms (GA4GH Beacon v2.0.0, ``framework/json/responses``).

They describe this node's beacon; they hold no individual-level data. Filtering terms are the
registry's own vocabulary (sex, diagnoses, phenotypes, populations, regions) and list only terms
that at least :data:`MIN_TERM_DONORS` donors carry: a term held by one donor would tell the
world that such a donor is here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr import __version__
from hgr.registry import models as m

__all__ = [
    "API_VERSION",
    "ENTRY_TYPES",
    "MIN_TERM_DONORS",
    "TERMED_PATHS",
    "BeaconIdentity",
    "beacon_map",
    "configuration",
    "entry_types",
    "error_response",
    "filtering_terms",
    "info",
    "is_beacon_path",
    "service_info",
]

API_VERSION = "v2.0.0"
MIN_TERM_DONORS = 5
SCHEMA_BASE = "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main"
# Sex as the Beacon default model codes it (NCIT), for the registry's values.
SEX_TERMS = {
    "female": ("NCIT:C16576", "female"),
    "male": ("NCIT:C20197", "male"),
    "other": ("NCIT:C45908", "intersex"),
    "unknown": ("NCIT:C17998", "unknown"),
}

# id: (name, ontology term, default model folder, path segment, description)
ENTRY_TYPES = {
    "dataset": (
        "Dataset",
        ("NCIT:C47824", "Data set"),
        "datasets",
        "datasets",
        "A collection of genotypes, samples and donors held by an institution",
    ),
    "cohort": (
        "Cohort",
        ("NCIT:C61512", "Cohort"),
        "cohorts",
        "cohorts",
        "A group of donors studied together",
    ),
    "genomicVariant": (
        "Genomic Variants",
        ("ENSGLOSSARY:0000092", "Variant"),
        "genomicVariations",
        "g_variants",
        "The variants in the genotype stores",
    ),
    "individual": (
        "Individual",
        ("NCIT:C25190", "Person"),
        "individuals",
        "individuals",
        "A donor, known only by a pseudonym",
    ),
    "biosample": (
        "Biological Sample",
        ("NCIT:C70699", "Biospecimen"),
        "biosamples",
        "biosamples",
        "A sample taken from a donor",
    ),
}


class BeaconIdentity:
    """Who the beacon is: its id (a reversed domain), name, organisation and root address."""

    def __init__(
        self, node_name: str, organisation: str, root_url: str, environment: str = "prod"
    ) -> None:
        slug = re.sub(r"[^a-z0-9]+", "-", node_name.lower()).strip("-") or "node"
        self.id = f"org.hgr.{slug}.beacon"
        self.name = f"{node_name} beacon"
        self.organisation = organisation
        self.root_url = root_url.rstrip("/")
        self.environment = environment

    @classmethod
    def for_node(
        cls, name: str, institution_code: str, region_code: str, root_url: str
    ) -> BeaconIdentity:
        """The beacon of the node called ``name``, answering at ``root_url``: its
        organisation is the institution or region the node serves, else the node itself."""
        return cls(name, institution_code or region_code or name, root_url)


def is_beacon_path(path: str) -> bool:
    """Whether an HTTP path is the Beacon's: everything under ``/api`` (hgr's own API lives
    elsewhere), so that even a request that reaches no route is answered as a Beacon."""
    return path == "/api" or path.startswith("/api/")


def error_response(
    beacon_id: str, status: int, message: str, summary: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ``beaconErrorResponse`` (framework ``responses/beaconErrorResponse.json``): the
    response meta, with the request's summary where it was read, and the error's HTTP status
    and message. Every refusal under ``/api`` takes this shape, whatever refused it."""
    received = summary or {
        "apiVersion": API_VERSION,
        "requestedSchemas": [],
        "pagination": {"skip": 0, "limit": 0},
        "requestedGranularity": "boolean",
    }
    return {
        "meta": {
            "beaconId": beacon_id,
            "apiVersion": API_VERSION,
            "returnedSchemas": [],
            "returnedGranularity": "boolean",
            "receivedRequestSummary": received,
        },
        "error": {"errorCode": status, "errorMessage": message},
    }


def _meta(beacon: BeaconIdentity, entity: str = "", schema: str = "") -> dict[str, Any]:
    returned = [{"entityType": entity, "schema": schema}] if entity else []
    return {"beaconId": beacon.id, "apiVersion": API_VERSION, "returnedSchemas": returned}


def info(beacon: BeaconIdentity) -> dict[str, Any]:
    """``GET /api`` and ``/api/info``: the beaconInfoResponse."""
    return {
        "meta": _meta(beacon),
        "response": {
            "id": beacon.id,
            "name": beacon.name,
            "apiVersion": API_VERSION,
            "environment": beacon.environment,
            "organization": {
                "id": beacon.organisation.lower().replace(" ", "-"),
                "name": beacon.organisation,
            },
            "description": "Discovery of human genetic resources held under governed access: "
            "counts and records only as each requester's tier and the rules of "
            "the data's jurisdiction allow.",
            "version": __version__,
        },
    }


def service_info(beacon: BeaconIdentity) -> dict[str, Any]:
    """``GET /api/service-info``: GA4GH service-info 1.0.0."""
    return {
        "id": beacon.id,
        "name": beacon.name,
        "type": {"group": "org.ga4gh", "artifact": "beacon", "version": API_VERSION},
        "organization": {"name": beacon.organisation, "url": beacon.root_url or "https://"},
        "version": __version__,
        "environment": beacon.environment,
    }


def _definition(key: str) -> dict[str, Any]:
    name, (term, label), folder, _path, description = ENTRY_TYPES[key]
    return {
        "id": key,
        "name": name,
        "description": description,
        "ontologyTermForThisType": {"id": term, "label": label},
        "partOfSpecification": f"Beacon {API_VERSION}",
        "defaultSchema": {
            "id": f"ga4gh-beacon-{key}-{API_VERSION}",
            "name": f"Default schema for {name}",
            "referenceToSchemaDefinition": (
                f"{SCHEMA_BASE}/models/json/beacon-v2-default-model/{folder}/defaultSchema.json"
            ),
            "schemaVersion": API_VERSION,
        },
    }


def entry_types(beacon: BeaconIdentity) -> dict[str, Any]:
    """``GET /api/entry_types``."""
    return {
        "meta": _meta(beacon),
        "response": {"entryTypes": {k: _definition(k) for k in ENTRY_TYPES}},
    }


def configuration(beacon: BeaconIdentity) -> dict[str, Any]:
    """``GET /api/configuration``: maturity, security levels and entry types."""
    production = {"prod": "PROD", "test": "TEST"}.get(beacon.environment, "DEV")
    return {
        "meta": _meta(beacon),
        "response": {
            "$schema": f"{SCHEMA_BASE}/framework/json/configuration/beaconConfigurationSchema.json",
            "maturityAttributes": {"productionStatus": production},
            # Anonymous callers get booleans; registered callers counts; records need a grant.
            "securityAttributes": {
                "defaultGranularity": "boolean",
                "securityLevels": ["PUBLIC", "REGISTERED", "CONTROLLED"],
            },
            "entryTypes": {k: _definition(k) for k in ENTRY_TYPES},
        },
    }


def beacon_map(beacon: BeaconIdentity) -> dict[str, Any]:
    """``GET /api/map``: where each entry type's endpoints are."""
    root = f"{beacon.root_url}/api"
    sets = {}
    for key, (_name, _term, _folder, path, _description) in ENTRY_TYPES.items():
        sets[key] = {
            "entryType": key,
            "rootUrl": f"{root}/{path}",
            "singleEntryUrl": f"{root}/{path}/{{id}}",
            "filteringTermsUrl": f"{root}/{path}/filtering_terms",
        }
    return {
        "meta": _meta(beacon),
        "response": {
            "$schema": f"{SCHEMA_BASE}/framework/json/configuration/beaconMapSchema.json",
            "endpointSets": sets,
        },
    }


def _common(session: Session, column: Any, join: Any | None = None) -> list[tuple[str, str]]:
    """(term, label) pairs carried by at least MIN_TERM_DONORS donors."""
    query = select(column[0], func.max(column[1]))
    if join is not None:
        query = query.select_from(join)
    rows = session.execute(
        query.group_by(column[0])
        .having(func.count(func.distinct(column[2])) >= MIN_TERM_DONORS)
        .order_by(column[0])
    ).all()
    return [(str(term), str(label or term)) for term, label in rows if term]


# The entry types a registry term filters: a biosample query selects the samples of the
# donors its terms match (hgr.beacon.entries). Variants, datasets and cohorts take no terms.
TERM_SCOPES = ["individual", "biosample"]
TERMED_PATHS = ("individuals", "biosamples")


def filtering_terms(
    session: Session, beacon: BeaconIdentity, entry: str | None = None
) -> dict[str, Any]:
    """``GET /api/filtering_terms``, or one entry type's ``GET /api/<entry>/filtering_terms``
    (the map's ``filteringTermsUrl``): the terms a query may filter on, each held by enough
    donors to say nothing about any one of them."""
    if entry is not None and entry not in TERMED_PATHS:
        return {"meta": _meta(beacon), "response": {"filteringTerms": []}}
    D, Dx, Ph = m.Donor, m.DonorDiagnosis, m.DonorPhenotype
    terms: list[dict[str, Any]] = []

    def add(rows: Iterable[tuple[str, str]], kind: str) -> None:
        for term, label in rows:
            entry = {"type": kind, "id": term, "scopes": list(TERM_SCOPES)}
            if kind != "alphanumeric":
                entry["label"] = label
            terms.append(entry)

    sexes = session.execute(
        select(D.sex).group_by(D.sex).having(func.count(D.id) >= MIN_TERM_DONORS).order_by(D.sex)
    ).scalars()
    add((SEX_TERMS[str(s)] for s in sexes), "ontologyTerm")
    add(_common(session, (Dx.term_id, Dx.label, Dx.donor_id)), "ontologyTerm")
    add(_common(session, (Ph.term_id, Ph.label, Ph.donor_id)), "ontologyTerm")
    populations = _common(session, (D.population, D.population, D.id))
    add(((f"population:{p}", label) for p, label in populations), "custom")
    R = m.Region
    regions = _common(
        session,
        (R.code, R.name, D.id),
        D.__table__.join(R.__table__, R.id == D.residence_region_id),
    )
    add(((f"region:{code}", name) for code, name in regions), "custom")
    return {"meta": _meta(beacon), "response": {"filteringTerms": terms}}
