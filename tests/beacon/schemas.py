"""Validation against the official Beacon v2 JSON Schemas in ../shared/data/beacon-v2."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import shared


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
    return Registry().with_resources(resources)


def problems(document: Any, schema: str) -> list[str]:
    """Every way ``document`` fails the schema at ``schema`` (a path in the beacon-v2 folder)."""
    uri = shared("beacon-v2", *schema.split("/")).as_uri()
    validator = jsonschema.Draft202012Validator({"$ref": uri}, registry=_registry())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]  # fmt: skip
