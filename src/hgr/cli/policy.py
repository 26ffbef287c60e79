"""``hgr policy``: decide a request under the rule packs, and list the rules."""

import json
from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    JsonOption,
    TsvOption,
    print_rows,
    reading,
)

__all__ = ["policy_app"]

policy_app = typer.Typer(
    help="The policy engine: jurisdiction-aware decisions on requests, from YAML rule packs.",
    no_args_is_help=True,
)

PacksOption = Annotated[
    Path | None,
    typer.Option("--packs", help="A folder of rule packs that replace or add to the shipped ones."),
]


@policy_app.command("evaluate")
def evaluate_(
    request: Annotated[Path, typer.Argument(help="The request, as YAML (docs/policy.md).")],
    facts: Annotated[
        Path | None, typer.Option(help="What the node knows of it (catalogue, debarment), YAML.")
    ] = None,
    packs: PacksOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Print the decision on a request as JSON: outcome, every rule that fired with its citation
    and reason, and the obligations.

    With a node (``--home`` or HGR_HOME), the catalogue's protected flags and the debarment
    list's finding come from the node, and its own rule packs are used; a facts file then adds
    only what the node does not record (earlier US transactions, NIST attestation).

    Example: hgr policy evaluate examples/policy/foreign-wgs-request.yaml --facts
    examples/policy/node-facts.yaml"""
    from hgr.access.facts import node_facts
    from hgr.policy import AccessRequest, NodeFacts, evaluate, load_packs, read_model

    asked = read_model(AccessRequest, request)
    given = read_model(NodeFacts, facts) if facts else NodeFacts()
    if home is None and database_url is None:
        decision = evaluate(asked, given, load_packs(packs))
    else:
        with reading(home, database_url) as (node, session):
            known = node_facts(session, asked, given)
            decision = evaluate(asked, known, load_packs(packs) if packs else node.rule_packs())
    typer.echo(json.dumps(decision.as_dict(), indent=2, ensure_ascii=False))


@policy_app.command("rules")
def rules(
    packs: PacksOption = None, as_json: JsonOption = False, as_tsv: TsvOption = False
) -> None:
    """Every pack and rule, with its outcome, citation and verification mark.

    Example: hgr policy rules --tsv"""
    from hgr.policy import load_packs

    loaded = load_packs(packs)
    rows = [
        {
            "pack": f"{p.id} {p.version}",
            "rule": r.id,
            "outcome": r.outcome,
            "check": r.check,
            "citation": r.citation,
        }
        for p in loaded
        for r in (*p.exemptions, *p.rules)
    ]
    columns = ["pack", "rule", "outcome", "check", "citation"]
    print_rows("Rule packs", rows, columns, as_json=as_json, as_tsv=as_tsv)
