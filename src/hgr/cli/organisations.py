"""``hgr org``: the organisation registry (names, identifiers, control) and what the node
computes from it (foreign party, controllers, the debarment list's finding)."""

import json
from typing import Annotated

import typer

from hgr.cli.common import DatabaseOption, HomeOption, changing, reading
from hgr.cli.common import out as console
from hgr.dates import utc_today

__all__ = ["org_app"]

org_app = typer.Typer(
    help="The organisation registry: who the node deals with, their identifiers and names, "
    "and who holds or controls them; each fact with its source and verifying officer.",
    no_args_is_help=True,
)

KeyArgument = Annotated[str, typer.Argument(help="The organisation's registry key.")]
SourceOption = Annotated[
    str, typer.Option(help="Where the fact comes from (a register, a filing, a document).")
]
VerifiedOption = Annotated[str, typer.Option(help="The officer who verified the fact.")]


@org_app.command("add")
def add(
    key: KeyArgument,
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code of establishment.")],
    name: Annotated[str, typer.Option(help="Its name.")],
    source: SourceOption,
    verified_by: VerifiedOption,
    language: Annotated[str, typer.Option(help="The name's language (en, zh…).")] = "en",
    identifier: Annotated[
        list[str] | None, typer.Option(help="SCHEME:VALUE (USCC:…, CH:…, LEI:…); repeat.")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register an organisation.

    Example: hgr org add ex-lab --country CN --name "Example Lab" --identifier
    USCC:91110000MA00000009 --source SAMR --verified-by li"""
    from hgr.organisations import Fact, register_organisation

    with changing(home, database_url) as (_node, session, by):
        register_organisation(
            session,
            by,
            key,
            country,
            name,
            Fact(source, verified_by),
            language=language,
            identifiers=identifier or [],
        )
    console.print(f"{key}: registered")


@org_app.command("name")
def name_(
    key: KeyArgument,
    name: Annotated[str, typer.Argument(help="The name.")],
    source: SourceOption,
    verified_by: VerifiedOption,
    language: Annotated[str, typer.Option(help="The name's language.")] = "en",
    former: Annotated[bool, typer.Option(help="A name it no longer uses.")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add a name in another language, or a former name.

    Example: hgr org name ex-lab 示例实验室 --language zh --source SAMR --verified-by li"""
    from hgr.organisations import Fact, add_name, find_organisation

    with changing(home, database_url) as (_node, session, by):
        add_name(
            session,
            by,
            find_organisation(session, key),
            name,
            Fact(source, verified_by),
            language=language,
            former=former,
        )
    console.print(f"{key}: name added")


@org_app.command("identifier")
def identifier_(
    key: KeyArgument,
    identifier: Annotated[str, typer.Argument(help="SCHEME:VALUE.")],
    source: SourceOption,
    verified_by: VerifiedOption,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add a legal identifier.

    Example: hgr org identifier ex-lab LEI:5493001KJTIIGC8Y1R12 --source GLEIF --verified-by li"""
    from hgr.organisations import Fact, add_identifier, find_organisation

    with changing(home, database_url) as (_node, session, by):
        add_identifier(
            session, by, find_organisation(session, key), identifier, Fact(source, verified_by)
        )
    console.print(f"{key}: identifier added")


@org_app.command("control")
def control(
    controller: Annotated[str, typer.Argument(help="The key of the holder or controller.")],
    controlled: Annotated[str, typer.Argument(help="The key of the organisation held.")],
    source: SourceOption,
    verified_by: VerifiedOption,
    equity: Annotated[float | None, typer.Option(help="Percent of the equity held.")] = None,
    votes: Annotated[float | None, typer.Option(help="Percent of the votes held.")] = None,
    agreement: Annotated[bool, typer.Option(help="Control by agreement.")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Record a holding of equity or votes, or control by agreement (one per command).

    Example: hgr org control ex-holdings ex-lab --equity 100 --source "Companies House"
    --verified-by li"""
    from hgr.organisations import Fact, add_control

    given: list[tuple[str, float | None]] = [
        (k, v) for k, v in (("equity", equity), ("votes", votes)) if v is not None
    ]
    if agreement:
        given.append(("agreement", None))
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --equity PCT, --votes PCT, --agreement")
    kind, share = given[0]
    with changing(home, database_url) as (_node, session, by):
        add_control(session, by, controller, controlled, kind, share, Fact(source, verified_by))
    console.print(f"{controller} → {controlled}: {kind}" + (f" {share:g}%" if share else ""))


@org_app.command("show")
def show(key: KeyArgument, home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """An organisation with what the node computes from the registry (JSON).

    Example: hgr org show ex-lab"""
    from hgr.organisations.profile import organisation_profile

    with reading(home, database_url) as (_node, session):
        shown = organisation_profile(session, key, utc_today())
    console.print_json(json.dumps(shown, ensure_ascii=False))
