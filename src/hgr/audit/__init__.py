"""The tamper-evident audit log (RFC 6962/9162 Merkle tree with signed checkpoints)."""

from hgr.audit.heads import checkpoint
from hgr.audit.log import (
    SYSTEM,
    Actor,
    Checkpoint,
    VerifyReport,
    consistency,
    inclusion,
    integrate,
    latest_checkpoint,
    parse_checkpoint,
    record,
    tree_size,
    verify_log,
)

__all__ = [
    "SYSTEM",
    "Actor",
    "Checkpoint",
    "VerifyReport",
    "checkpoint",
    "consistency",
    "inclusion",
    "integrate",
    "latest_checkpoint",
    "parse_checkpoint",
    "record",
    "tree_size",
    "verify_log",
]
