"""``hgr backup`` and ``hgr restore``: a consistent copy of a node, and the node rebuilt from
it and verified (hgr.backup)."""

from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import DatabaseOption, HomeOption, command_node, err, out
from hgr.exceptions import IntegrityBroken

__all__ = ["backup_command", "restore_command"]


def backup_command(
    destination: Annotated[Path, typer.Argument(help="A new folder for the backup.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Back the node up: its database (a consistent copy), genotype stores, settings and audit
    heads. The keys are left out on purpose: keep the key folder apart (docs/security.md).

    Example: hgr backup /mnt/backup/hgr-2026-06-01"""
    from hgr.backup import backup

    with command_node(home, database_url) as node:
        manifest = backup(node, destination)
    out.print(
        f"backed up {len(manifest.files)} file(s) of {manifest.node} to {destination} "
        f"(audit log at {manifest.audit_size} events); the keys are not in it: keep "
        f"{node.settings.keys_dir} apart"
    )


def restore_command(
    source: Annotated[Path, typer.Argument(help="The backup folder.")],
    home: Annotated[Path, typer.Argument(help="A new folder for the rebuilt node.")],
    keys: Annotated[Path, typer.Option(help="The node's key folder, kept apart from backups.")],
    database_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL database to restore into (default: the backed-up one)."),
    ] = None,
) -> None:
    """Rebuild a node from a backup and its keys, then verify it as `hgr audit verify
    --records` does.

    Example: hgr restore /mnt/backup/hgr-2026-06-01 /srv/hgr/restored --keys /secure/hgr-keys"""
    from hgr.backup import restore

    report = restore(source, home, keys, database_url=database_url)
    out.print(f"restored {report.files} file(s) into {home}; {report.events} audit events")
    if report.problems:
        for problem in report.problems:
            err.print(f"  [red]problem[/red] {problem}", highlight=False)
        raise IntegrityBroken(
            f"the restored node fails verification ({len(report.problems)} problem(s))",
            code="E_AUDIT_TAMPERED",
        )
    out.print("the restored node verifies")
