"""Validation against the official Beacon v2 JSON Schemas in ../shared/data/beacon-v2."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import shared

GITHUB = "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/"
VRS = "https://w3id.org/ga4gh/schema/vrs/1.3/vrs.json"
# The default model refers to GA4GH VRS 1.3, which is not among the shared files. This stand-in
# holds the VRS 1.3 definitions the model names, with the shape VRS 1.3 gives the ones hgr's
# records use (a SequenceLocation with a SequenceInterval of Numbers) and, for the variation
# kinds hgr does not emit, only their ``type`` discriminator, so that the default model's
# ``oneOf`` between VRS variations and its LegacyVariation still decides.
_NUMBER = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {"type": {"const": "Number"}, "value": {"type": "integer"}},
}
VRS_STAND_IN = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "definitions": {
        "MolecularVariation": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": ["Allele", "Haplotype"]}},
        },
        "SystemicVariation": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": ["CopyNumberCount", "CopyNumberChange"]}},
        },
        "Location": {
            "type": "object",
            "required": ["type", "sequence_id", "interval"],
            "properties": {
                "type": {"const": "SequenceLocation"},
                "sequence_id": {"type": "string", "pattern": r"^\w[^:]*:.+$"},
                "interval": {
                    "type": "object",
                    "required": ["type", "start", "end"],
                    "properties": {
                        "type": {"const": "SequenceInterval"},
                        "start": _NUMBER,
                        "end": _NUMBER,
                    },
                },
            },
        },
    },
}


@cache
def _registry() -> Registry:
    root = shared("beacon-v2")
    resources = []
    for path in root.rglob("*.json"):
        try:
            contents = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(contents, dict):
            resource = Resource.from_contents(contents, default_specification=DRAFT202012)
            resources.append((path.as_uri(), resource))
            # The schemas also name each other by their published address.
            resources.append((GITHUB + path.relative_to(root).as_posix(), resource))
    resources.append((VRS, Resource.from_contents(VRS_STAND_IN)))
    return Registry().with_resources(resources)


def problems(document: Any, schema: str) -> list[str]:
    """Every way ``document`` fails the schema at ``schema`` (a path in the beacon-v2 folder)."""
    uri = shared("beacon-v2", *schema.split("/")).as_uri()
    validator = jsonschema.Draft202012Validator({"$ref": uri}, registry=_registry())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]
