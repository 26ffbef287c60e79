"""GA4GH Beacon v2 discovery: the framework's informational endpoints (more as they land)."""

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
