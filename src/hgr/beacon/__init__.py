"""GA4GH Beacon v2 discovery: the framework documents, queries and their answers, asked of this
node and its peers, through the disclosure control of :mod:`hgr.privacy` (see
docs/beacon.md)."""

from hgr.beacon.framework import (
    API_VERSION,
    BeaconIdentity,
    beacon_map,
    configuration,
    entry_types,
    filtering_terms,
    info,
    service_info,
)

__all__ = [
    "API_VERSION",
    "BeaconIdentity",
    "beacon_map",
    "configuration",
    "entry_types",
    "filtering_terms",
    "info",
    "service_info",
]
