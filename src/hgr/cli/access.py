"""``hgr access``: access requests from submission through review to the end of their use."""

import json
from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import DatabaseOption, HomeOption, changing, reading
from hgr.cli.common import out as console

__all__ = ["access_app"]

access_app = typer.Typer(
    help="Access requests: decided by the rule packs, reviewed by two people per review.",
    no_args_is_help=True,
)

NumberArgument = Annotated[str, typer.Argument(help="The request number, e.g. REQ-2026-00001.")]


@access_app.command("submit")
def submit(
    request: Annotated[Path, typer.Argument(help="The request, as YAML (docs/policy.md).")],
    requester: Annotated[str, typer.Option(help="The user the request is made by.")],
    for_party: Annotated[
        bool,
        typer.Option(
            "--for-party",
            help="File for a party other than the user's own organisation (an "
            "officer's filing; the audit log records it).",
        ),
    ] = False,
    facts: Annotated[
        Path | None, typer.Option(help="What the node records elsewhere (earlier US transfers).")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Submit a request: the policy engine decides, and it is refused or sent to its reviews.

    Example: hgr access submit request.yaml --requester alice --facts node-facts.yaml"""
    from hgr.access.facts import node_facts
    from hgr.access.requests import create_request
    from hgr.access.requests import submit as submit_request
    from hgr.auth.users import find_user
    from hgr.policy import AccessRequest, NodeFacts, read_model

    with changing(home, database_url) as (node, session, by):
        asked = read_model(AccessRequest, request)
        given = read_model(NodeFacts, facts) if facts else NodeFacts()
        node.outbound_list(session, asked.action)
        entry = create_request(
            session, by, find_user(session, requester), asked, for_party=for_party
        )
        known = node_facts(session, AccessRequest.model_validate(entry.body), given)
        submit_request(session, by, entry, known, node.rule_packs())
        line = f"{entry.number}: {entry.status} ({entry.outcome})"
        if entry.reviews_needed:
            line += f"; reviews: {', '.join(entry.reviews_needed)}; due {entry.due_on}"
        else:
            line += f"; {entry.note}"
    console.print(line)


@access_app.command("review")
def review_(
    number: NumberArgument,
    kind: Annotated[str, typer.Option(help="dac, ethics or security.")],
    reviewer: Annotated[str, typer.Option(help="The reviewing user.")],
    approve: Annotated[bool, typer.Option("--approve/--reject")],
    note: Annotated[str, typer.Option(help="Reasons (required to reject).")] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """One reviewer's decision; the request is approved when every review has two approvals.

    Example: hgr access review REQ-2026-00001 --kind dac --reviewer wang --approve"""
    from hgr.access.requests import find_request, review
    from hgr.auth.users import find_user

    with changing(home, database_url) as (_node, session, by):
        entry = review(
            session,
            by,
            find_request(session, number),
            find_user(session, reviewer),
            kind,
            approve=approve,
            note=note,
        )
        console.print(f"{number}: {entry.status}")


@access_app.command("show")
def show(
    number: NumberArgument, home: HomeOption = None, database_url: DatabaseOption = None
) -> None:
    """A request's status, decision, reviews and deadline, as JSON.

    Example: hgr access show REQ-2026-00001"""
    from hgr.access.requests import find_request, review_state

    with reading(home, database_url) as (_node, session):
        entry = find_request(session, number)
        state = review_state(session, entry)
        shown = {
            "number": entry.number,
            "requester": entry.requester,
            "status": entry.status,
            "outcome": entry.outcome,
            "decision": entry.decision,
            "reviews": {
                "needed": entry.reviews_needed,
                "approvals": state.approvals,
                "missing": state.missing,
            },
            "due_on": str(entry.due_on) if entry.due_on else None,
            "overdue": state.overdue,
            "active_from": str(entry.active_from) if entry.active_from else None,
            "expires_on": str(entry.expires_on) if entry.expires_on else None,
            "note": entry.note,
        }
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@access_app.command("activate")
def activate_(
    number: NumberArgument, home: HomeOption = None, database_url: DatabaseOption = None
) -> None:
    """Start an approved request's use, for the months it asked.

    Example: hgr access activate REQ-2026-00001"""
    from hgr.access.requests import activate, find_request

    with changing(home, database_url) as (_node, session, by):
        entry = activate(session, by, find_request(session, number))
        console.print(f"{number}: active until {entry.expires_on}")


@access_app.command("end")
def end_(
    number: NumberArgument,
    how: Annotated[str, typer.Option(help="expire, revoke or close.")],
    note: Annotated[str, typer.Option(help="Reasons (required to revoke).")] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """End a request's use.

    Example: hgr access end REQ-2026-00001 --how revoke --note "data kept past the agreed term"
    """
    from hgr.access.requests import end, find_request

    with changing(home, database_url) as (_node, session, by):
        entry = end(session, by, find_request(session, number), how, note)
        console.print(f"{number}: {entry.status}")


@access_app.command("key")
def key(
    number: NumberArgument,
    public_key: Annotated[Path, typer.Option(help="The recipient's Crypt4GH public key.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register the key the request's exports are encrypted to.

    Example: hgr access key REQ-2026-00001 --public-key recipient.c4gh.pub"""
    from hgr.access.export import register_key
    from hgr.access.requests import find_request

    with changing(home, database_url) as (_node, session, by):
        register_key(session, by, find_request(session, number), public_key)
    console.print(f"{number}: recipient key registered")


@access_app.command("file")
def file(
    number: NumberArgument,
    backup: Annotated[
        Path, typer.Option(help="The information backup deposited with the authority.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the filing as JSON.")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Make the filing record of an outbound provision (recipient, data, legal basis, the
    backup's SHA-256) before it starts.

    Example: hgr access file REQ-2026-00001 --backup backup-REQ-2026-00001.zip --out filing.json"""
    from hgr.access.export import file_provision
    from hgr.access.requests import find_request

    with changing(home, database_url) as (_node, session, by):
        filing = file_provision(session, by, find_request(session, number), backup)
        text = json.dumps(filing.record, indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    console.print(f"{number}: filed, backup SHA-256 {filing.backup_sha256}")


@access_app.command("export")
def export(
    number: NumberArgument,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the package into.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Make an export package of an active request: consented donors only, requested fields
    only, encrypted to the recipient's key, with a signed manifest.

    Example: hgr access export REQ-2026-00001 --out exports/"""
    from hgr.access.export import make_export, publish_withdrawals
    from hgr.access.requests import find_request

    with changing(home, database_url) as (node, session, by):
        publish_withdrawals(session, by, node.keys)
        made = make_export(
            session,
            by,
            find_request(session, number),
            node.keys,
            node.signer(),
            out,
            node.disease_ontology(),
            node.settings.home,
            node.rule_packs(),
        )
    console.print(f"{made.folder}: {made.released} donor(s) released, {made.withheld} withheld")


@access_app.command("withdrawals")
def withdrawals(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Publish a notice to the recipients of every exported donor who has withdrawn since.

    Example: hgr access withdrawals --home /srv/hgr/BJ-H001"""
    from hgr.access.export import publish_withdrawals

    with changing(home, database_url) as (node, session, by):
        notices = publish_withdrawals(session, by, node.keys)
    console.print(f"{len(notices)} withdrawal notice(s) published")
