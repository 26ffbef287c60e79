"""A Beacon v2 query, read from a GET query string or a POST body and checked.

Beacon v2.0.0 ``framework/json/requests``: a query carries ``requestParameters`` (for
g_variants, the variant asked about), ``filters`` (ontology, alphanumeric or custom terms,
joined by AND), ``requestedGranularity`` (boolean, count or record), ``pagination`` (skip,
limit) and ``includeResultsetResponses``. The GET form spreads the same parameters over the
query string, with lists comma-separated.

Variant coordinates are the Beacon's: ``start`` is 0-based and inclusive, ``end`` 0-based and
exclusive, so a VCF record at POS p starts at p - 1. One ``start`` with ``alternateBases`` is a
sequence query; one ``start`` and one ``end`` a range query (any variant overlapping it); two of
each a bracket query (variants starting within the first pair and ending within the second).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from hgr.exceptions import UsageError

__all__ = [
    "ENTRY_PATHS",
    "GRANULARITIES",
    "BeaconQuery",
    "Filter",
    "VariantParams",
    "from_body",
    "from_params",
]

Granularity = Literal["boolean", "count", "record"]
GRANULARITIES: tuple[Granularity, ...] = ("boolean", "count", "record")
# Path segment -> entry type id (framework's entry type definitions).
ENTRY_PATHS = {
    "g_variants": "genomicVariant",
    "individuals": "individual",
    "biosamples": "biosample",
    "datasets": "dataset",
    "cohorts": "cohort",
}
INCLUDE = ("HIT", "MISS", "ALL", "NONE")
OPERATORS = ("=", "<", ">", "!", ">=", "<=")
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
BASES = re.compile(r"^[ACGTUNRYSWKMBDHV.\-]*$")
VARIANT_KEYS = (
    "referenceName",
    "start",
    "end",
    "referenceBases",
    "alternateBases",
    "assemblyId",
    "variantType",
    "variantMinLength",
    "variantMaxLength",
)
# Accepted by the specification and refused here: hgr keeps no gene or protein annotation.
UNSUPPORTED_KEYS = ("geneId", "aminoacidChange", "genomicAlleleShortForm", "mateName")
QUERY_KEYS = (
    "requestedGranularity",
    "filters",
    "skip",
    "limit",
    "includeResultsetResponses",
    "testMode",
    "requestedSchema",
)


def _refuse(message: str) -> UsageError:
    return UsageError(message, code="E_BEACON_QUERY")


@dataclass(frozen=True)
class Filter:
    """One filtering term; alphanumeric filters carry an operator and a value."""

    id: str
    operator: str = "="
    value: str | None = None


@dataclass(frozen=True)
class VariantParams:
    """The variant a g_variants query (or an individuals query) asks about."""

    reference_name: str
    start: tuple[int, ...]
    end: tuple[int, ...] = ()
    reference_bases: str | None = None
    alternate_bases: str | None = None
    assembly_id: str | None = None
    variant_type: str | None = None
    min_length: int | None = None
    max_length: int | None = None

    @property
    def kind(self) -> Literal["sequence", "range", "bracket"]:
        if len(self.start) == 2:
            return "bracket"
        return "range" if self.end else "sequence"

    @property
    def span(self) -> int:
        """The bases whose variants the question reads: one for a sequence (one position),
        a range's width, and for a bracket from its lowest start to the furthest of its
        second start and end (every variant starting between its starts is read)."""
        if self.kind == "sequence":
            return 1
        if self.kind == "range":
            return self.end[0] - self.start[0]
        return max(self.start[1], self.end[1]) - self.start[0] + 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"referenceName": self.reference_name, "start": list(self.start)}
        for key, value in (
            ("end", list(self.end) or None),
            ("referenceBases", self.reference_bases),
            ("alternateBases", self.alternate_bases),
            ("assemblyId", self.assembly_id),
            ("variantType", self.variant_type),
            ("variantMinLength", self.min_length),
            ("variantMaxLength", self.max_length),
        ):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class BeaconQuery:
    """A checked query of one entry type."""

    entry: str  # path segment: g_variants, individuals, biosamples, datasets, cohorts
    granularity: Granularity = "boolean"
    filters: tuple[Filter, ...] = ()
    variant: VariantParams | None = None
    skip: int = 0
    limit: int = DEFAULT_LIMIT
    include: str = "HIT"
    test_mode: bool = False
    target: str | None = None  # /{entry}/{id}: one record by id
    received: dict[str, Any] = field(default_factory=dict, compare=False)

    def question(self) -> str:
        """What the query asks, in one canonical string: two queries that ask the same thing
        (whatever their granularity, paging or parameter order) give the same string. The
        disclosure ledger keys its releases by it, so a repeated question gets the answer it
        got before."""
        body = {
            "entry": self.entry,
            "target": self.target,
            "filters": sorted((f.id, f.operator, f.value or "") for f in self.filters),
            "variant": self.variant.as_dict() if self.variant else None,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    def summary(self) -> dict[str, Any]:
        """The ``receivedRequestSummary`` of the response meta."""
        out: dict[str, Any] = {
            "apiVersion": "v2.0.0",
            "requestedSchemas": [],
            "pagination": {"skip": self.skip, "limit": self.limit},
            "requestedGranularity": self.granularity,
            "includeResultsetResponses": self.include,
        }
        if self.filters:
            out["filters"] = [f.id for f in self.filters]
        if self.variant is not None:
            # Keyed by the default model's request parameter set (genomicVariations
            # requestParameters.json), as the framework's summary schema wants objects.
            out["requestParameters"] = {"g_variant": self.variant.as_dict()}
        if self.test_mode:
            out["testMode"] = True
        return out


def _int(name: str, raw: Any, minimum: int = 0) -> int:
    if isinstance(raw, bool):
        raise _refuse(f"{name} must be an integer, not {raw!r}")
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 reads as infinity
        raise _refuse(f"{name} must be an integer, not {raw!r}") from None
    if isinstance(raw, float) and raw != value:
        raise _refuse(f"{name} must be an integer, not {raw!r}")
    if value < minimum:
        raise _refuse(f"{name} must be at least {minimum}, not {value}")
    return value


def _positions(name: str, raw: Any) -> tuple[int, ...]:
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not 1 <= len(items) <= 2:
        raise _refuse(f"{name} takes one or two positions")
    return tuple(_int(name, item.strip() if isinstance(item, str) else item) for item in items)


def _bases(name: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not BASES.match(raw.upper()):
        raise _refuse(f"{name} takes IUPAC bases ([ACGTN...]), not {raw!r}")
    return raw.upper()


def _text(name: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
        raise _refuse(f"{name} must be a short text")
    return raw.strip()


def _variant(params: dict[str, Any]) -> VariantParams | None:
    unsupported = [k for k in UNSUPPORTED_KEYS if k in params]
    if unsupported:
        raise _refuse(
            f"this beacon does not answer {', '.join(unsupported)} queries: ask by "
            "referenceName with start (and end, or alternateBases)"
        )
    if not any(params.get(k) is not None for k in VARIANT_KEYS):
        return None
    name = _text("referenceName", params.get("referenceName"))
    start = _positions("start", params.get("start"))
    end = _positions("end", params.get("end"))
    if name is None or not start:
        raise _refuse("a variant query names referenceName and start")
    variant = VariantParams(
        reference_name=name,
        start=start,
        end=end,
        reference_bases=_bases("referenceBases", params.get("referenceBases")),
        alternate_bases=_bases("alternateBases", params.get("alternateBases")),
        assembly_id=_text("assemblyId", params.get("assemblyId")),
        variant_type=_text("variantType", params.get("variantType")),
        min_length=(
            None
            if params.get("variantMinLength") is None
            else _int("variantMinLength", params["variantMinLength"])
        ),
        max_length=(
            None
            if params.get("variantMaxLength") is None
            else _int("variantMaxLength", params["variantMaxLength"], 1)
        ),
    )
    if len(start) != len(end) and end:
        raise _refuse(
            "start and end take the same number of positions (1 for a range, 2 for a bracket)"
        )
    if len(start) == 2 and not end:
        raise _refuse("a bracket query gives two starts and two ends")
    if variant.kind == "sequence" and variant.alternate_bases is None:
        raise _refuse(
            "a query by start alone names alternateBases (or give an end for a range query)"
        )
    if variant.kind == "range" and end[0] <= start[0]:
        raise _refuse("end must lie after start")
    if variant.kind == "bracket" and (start[0] > start[1] or end[0] > end[1]):
        raise _refuse("a bracket's positions are given low, high")
    return variant


def _filters(raw: Any) -> tuple[Filter, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return tuple(Filter(term.strip()) for term in raw.split(",") if term.strip())
    if not isinstance(raw, list):
        raise _refuse("filters is a list of filtering terms")
    out = []
    for item in raw:
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise _refuse("each filter is an object with an id")
        if "value" in item:
            operator = item.get("operator", "=")
            if operator not in OPERATORS or not isinstance(item["value"], str):
                raise _refuse(
                    f"filter {item['id']}: operator is one of {', '.join(OPERATORS)} "
                    "and value a text"
                )
            out.append(Filter(item["id"], operator, item["value"]))
        else:
            out.append(Filter(item["id"]))
    return tuple(out)


def _granularity(raw: Any) -> Granularity:
    if raw is None:
        return "boolean"
    if raw not in GRANULARITIES:
        raise _refuse(f"requestedGranularity is one of {', '.join(GRANULARITIES)}")
    return cast(Granularity, raw)


def _build(
    entry: str,
    target: str | None,
    params: dict[str, Any],
    query: dict[str, Any],
    received: dict[str, Any],
) -> BeaconQuery:
    variant = _variant(params)
    if variant is not None and entry not in ("g_variants", "individuals", "biosamples"):
        raise _refuse(f"{entry} are not queried by variant")
    include = query.get("includeResultsetResponses", "HIT")
    if include not in INCLUDE:
        raise _refuse(f"includeResultsetResponses is one of {', '.join(INCLUDE)}")
    limit = _int("limit", query.get("limit", DEFAULT_LIMIT))
    if limit > MAX_LIMIT:
        raise _refuse(f"limit is at most {MAX_LIMIT}")
    test_mode = query.get("testMode", False)
    if isinstance(test_mode, str):
        test_mode = test_mode.lower() == "true"
    return BeaconQuery(
        entry=entry,
        granularity=_granularity(query.get("requestedGranularity")),
        filters=_filters(query.get("filters")),
        variant=variant,
        skip=_int("skip", query.get("skip", 0)),
        limit=limit or DEFAULT_LIMIT,
        include=str(include),
        test_mode=bool(test_mode),
        target=target,
        received=received,
    )


def _refuse_nul(value: Any) -> None:
    # PostgreSQL cannot hold a NUL in text, and no term or name contains one.
    if isinstance(value, str) and "\x00" in value:
        raise _refuse("the query may not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    if isinstance(value, list):
        for item in value:
            _refuse_nul(item)


def from_params(entry: str, params: dict[str, str], target: str | None = None) -> BeaconQuery:
    """The query of a GET request's query string."""
    _refuse_nul(params)
    _refuse_nul(target)
    unknown = sorted(set(params) - set(VARIANT_KEYS) - set(UNSUPPORTED_KEYS) - set(QUERY_KEYS))
    if unknown:
        raise _refuse(f"unknown query parameter(s): {', '.join(unknown)}")
    return _build(entry, target, dict(params), dict(params), dict(params))


def from_body(entry: str, body: Any, target: str | None = None) -> BeaconQuery:
    """The query of a POST request's JSON body (beaconRequestBody)."""
    _refuse_nul(body)
    _refuse_nul(target)
    if not isinstance(body, dict):
        raise _refuse("the request body is a JSON object with meta and query")
    query = body.get("query", {})
    if not isinstance(query, dict):
        raise _refuse("query is an object")
    params = query.get("requestParameters", {})
    if isinstance(params, dict) and isinstance(params.get("g_variant"), dict):
        params = params["g_variant"]  # the default model's nesting of the same parameters
    if not isinstance(params, dict):
        raise _refuse("requestParameters is an object")
    unknown = sorted(set(params) - set(VARIANT_KEYS) - set(UNSUPPORTED_KEYS))
    if unknown:
        raise _refuse(f"unknown request parameter(s): {', '.join(unknown)}")
    flat = dict(query)
    pagination = query.get("pagination", {})
    if not isinstance(pagination, dict):
        raise _refuse("pagination is an object with skip and limit")
    flat.update({k: pagination[k] for k in ("skip", "limit") if k in pagination})
    return _build(entry, target, params, flat, body)
