"""``hgr debarment``: the debarment process, control relations, checks and the published list."""

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    JsonOption,
    TsvOption,
    changing,
    print_record,
    print_rows,
    reading,
)
from hgr.cli.common import out as console
from hgr.dates import utc_now, utc_today
from hgr.exceptions import FormatError, UsageError

__all__ = ["debarment_app"]

debarment_app = typer.Typer(
    help="The debarment list: investigation, notice, representations, decision, standstill, "
    "listing and removal; control relations; the published list.",
    no_args_is_help=True,
)

CaseArgument = Annotated[str, typer.Argument(help="The case number, e.g. DEB-2026-0001.")]


@debarment_app.command("open")
def open_(
    organisation: Annotated[str, typer.Option(help="The organisation's name.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code.")],
    identifier: Annotated[list[str], typer.Option(help="USCC, LEI, company number… (repeat).")],
    ground: Annotated[str, typer.Option(help="The ground: the paragraph or article breached.")],
    mandatory: Annotated[bool, typer.Option("--mandatory/--discretionary")],
    regime: Annotated[str, typer.Option(help="hgr, uk or cn-art43.")] = "hgr",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Open an investigation into an organisation.

    Example: hgr debarment open --organisation "Example Holdings plc" --country GB --identifier
    CH:00000001 --ground "Sch. 6 para 35: national security" --mandatory --regime uk"""
    from hgr.debarment import open_case

    with changing(home, database_url) as (_node, session, by):
        entry = open_case(
            session,
            by,
            organisation=organisation,
            country=country,
            identifiers=identifier,
            regime=regime,
            ground=ground,
            mandatory=mandatory,
        )
        console.print(f"{entry.number}: investigation of {entry.organisation} opened")


@debarment_app.command("notify")
def notify_(
    case: CaseArgument, home: HomeOption = None, database_url: DatabaseOption = None
) -> None:
    """Record the notice sent to the organisation (grounds, how to make representations).

    Example: hgr debarment notify DEB-2026-0001"""
    from hgr.debarment import find_case, notify

    with changing(home, database_url) as (_node, session, by):
        entry = notify(session, by, find_case(session, case))
        console.print(f"{case}: {entry.status} on {entry.notice_on}")


@debarment_app.command("represent")
def represent_(
    case: CaseArgument,
    text: Annotated[str, typer.Argument(help="The organisation's representations.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Record the organisation's representations.

    Example: hgr debarment represent DEB-2026-0001 "The samples never left the country."
    """
    from hgr.debarment import find_case, represent

    with changing(home, database_url) as (_node, session, by):
        entry = represent(session, by, find_case(session, case), text)
        console.print(f"{case}: {len(entry.representations)} representation(s) recorded")


@debarment_app.command("decide")
def decide_(
    case: CaseArgument,
    debar: Annotated[bool, typer.Option("--debar/--clear", help="The decision.")],
    reasons: Annotated[str, typer.Option(help="The reasons, as published.")],
    until: Annotated[
        str | None, typer.Option(help="Expected end, YYYY-MM-DD (at most five years).")
    ] = None,
    permanent: Annotated[bool, typer.Option(help="A permanent ban (HGR Reg. Art. 43).")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Decide the case: debarment (then a standstill of 8 working days) or clearance.

    Example: hgr debarment decide DEB-2026-0001 --debar --until 2028-12-31
    --reasons "Genomes were passed to an excluded party."
    """
    from hgr.debarment import decide, find_case

    end = dt.date.fromisoformat(until) if until else None
    with changing(home, database_url) as (_node, session, by):
        entry = decide(
            session,
            by,
            find_case(session, case),
            debar=debar,
            reasons=reasons,
            expected_end=end,
            permanent=permanent,
        )
        after = f"; standstill until {entry.standstill_ends}" if entry.standstill_ends else ""
        console.print(f"{case}: {entry.status}{after}")


@debarment_app.command("enter")
def enter(case: CaseArgument, home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Enter the organisation on the published list, once the standstill has ended.

    Example: hgr debarment enter DEB-2026-0001"""
    from hgr.debarment import find_case, list_entry

    with changing(home, database_url) as (_node, session, by):
        entry = list_entry(session, by, find_case(session, case))
        until = "permanently" if entry.permanent else f"until {entry.expected_end}"
        console.print(f"{case}: listed {until}")


@debarment_app.command("suspend")
def suspend_(
    case: CaseArgument,
    note: Annotated[str, typer.Option(help="The proceedings.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Suspend entry while proceedings brought in the standstill run (s.63).

    Example: hgr debarment suspend DEB-2026-0001 --note "judicial review filed"
    """
    from hgr.debarment import find_case, suspend

    with changing(home, database_url) as (_node, session, by):
        console.print(f"{case}: {suspend(session, by, find_case(session, case), note).status}")


@debarment_app.command("resume")
def resume_(
    case: CaseArgument,
    note: Annotated[str, typer.Option(help="The outcome.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Resume the standstill after proceedings that left the decision standing.

    Example: hgr debarment resume DEB-2026-0001 --note "judicial review dismissed"
    """
    from hgr.debarment import find_case, resume

    with changing(home, database_url) as (_node, session, by):
        console.print(f"{case}: {resume(session, by, find_case(session, case), note).status}")


@debarment_app.command("remove")
def remove_(
    case: CaseArgument,
    note: Annotated[str, typer.Option(help="The reasons.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Remove an entry: appeal allowed, decision quashed, or self-cleansing shown (ss.64-65).

    Example: hgr debarment remove DEB-2026-0001 --note "appeal allowed"
    """
    from hgr.debarment import find_case, remove

    with changing(home, database_url) as (_node, session, by):
        console.print(f"{case}: {remove(session, by, find_case(session, case), note).status}")


@debarment_app.command("control")
def control(
    controller: Annotated[str, typer.Argument(help="Identifier of the controlling organisation.")],
    controlled: Annotated[str, typer.Argument(help="Identifier of the controlled organisation.")],
    basis: Annotated[str, typer.Option(help="Shareholding, voting rights, agreement…")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Record that one organisation controls another, so the list reaches it.

    Example: hgr debarment control CH:00000001 CH:00000002 --basis "100% of shares"
    """
    from hgr.debarment import add_control

    with changing(home, database_url) as (_node, session, by):
        added = add_control(session, by, controller, controlled, basis)
    console.print(f"{controller} controls {controlled}" + ("" if added else " (already known)"))


@debarment_app.command("check")
def check(
    identifier: Annotated[
        list[str] | None, typer.Argument(help="The organisation's identifiers (SCHEME:VALUE).")
    ] = None,
    name: Annotated[str, typer.Option(help="Its name, in any language or form.")] = "",
    key: Annotated[str, typer.Option(help="Its key in the organisation registry.")] = "",
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """What the list says of an organisation, as a request's party is screened: by its registry
    identity, every identifier and normalised name, and every organisation that controls it;
    names close to a listed one are shown for a person to compare.

    Example: hgr debarment check USCC:91110000MA00000009 --name "Example Lab" --json"""
    from hgr.organisations import find_organisation, screen_party

    if not (identifier or name.strip() or key.strip()):
        raise UsageError("name the organisation: its identifiers, --name or --key", code="E_USAGE")
    with reading(home, database_url) as (_node, session):
        if key.strip():
            find_organisation(session, key.strip())  # an unknown key says how to register it
        found = screen_party(session, identifier or [], name, utc_today(), key=key.strip() or None)
    if as_json or as_tsv:
        # A TSV cell holds text, not an object: there a near miss is "name ~ listed (entry, score)".
        near: list[object] = [
            asdict(n) if as_json else f"{n.name} ~ {n.listed} ({n.entry}, {n.score:g})"
            for n in found.near_misses
        ]
        finding = {
            "level": found.level,
            "cn_ban": found.cn_ban,
            "entries": list(found.entries),
            "near_misses": near,
        }
        print_record(finding, as_json=as_json, as_tsv=as_tsv)
        return
    console.print(
        f"{found.level}" + (f": {', '.join(found.entries)}" if found.entries else ""),
        highlight=False,
    )
    for near_miss in found.near_misses:
        console.print(
            f"near miss, for a person to compare: {near_miss.name!r} ~ {near_miss.listed!r} "
            f"({near_miss.entry}, {near_miss.score:g})",
            highlight=False,
        )


@debarment_app.command("cases")
def cases(
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
) -> None:
    """Every case and where it stands (the published list shows only entries in force).

    Example: hgr debarment cases --json"""
    from hgr.debarment.cases import all_cases

    with reading(home, database_url) as (_node, session):
        entries = all_cases(session)
        rows = [
            {
                "number": e.number,
                "organisation": e.organisation,
                "regime": e.regime,
                "mandatory": e.mandatory,
                "status": e.status,
                "until": "permanent" if e.permanent else e.expected_end,
            }
            for e in entries
        ]
    print_rows("Debarment cases", rows, as_json=as_json, as_tsv=as_tsv)


@debarment_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .json, .csv or .html.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the published list (entries in force) as JSON, CSV or the public HTML page.

    Example: hgr debarment export --out debarment.html"""
    from hgr.debarment import entries_csv, public_entries
    from hgr.web.debarment import entries_html

    with reading(home, database_url) as (node, session):
        rows = public_entries(session)
        suffix = out.suffix.lower()
        if suffix == ".csv":
            text = entries_csv(rows)
        elif suffix in (".html", ".htm"):
            text = entries_html(rows, issuer=node.settings.name, today=utc_today())
        else:
            text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    console.print(f"{out}: {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} in force")


@debarment_app.command("publish")
def publish_(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Sign the next version of the national list, for every node to fetch (the nation).

    Example: hgr debarment publish --home /srv/hgr/nation"""
    from hgr.debarment.national import publish_national_list

    with changing(home, database_url) as (node, session, by):
        kept = publish_national_list(session, node.signer(), by, node.settings.survey.nation)
        console.print(
            f"national debarment list version {kept.version} signed "
            f"({kept.sha256[:12]}…): served at GET /debarment/national"
        )


@debarment_app.command("fetch")
def fetch(
    source: Annotated[str, typer.Argument(help="The national node's address, or a file.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Fetch the nation's signed list, check it against the nation's trusted key, and apply
    it alongside this node's own.

    Example: hgr debarment fetch https://nation.example.cn:8470"""
    from hgr.debarment.national import held_list, receive_national_list
    from hgr.federation import get_json

    path = Path(source)
    if path.is_file():
        try:
            sent = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise FormatError(
                f"{source}: not a JSON document: {exc}", code="E_LIST_FORMAT"
            ) from exc
    else:
        sent = get_json(source, "/debarment/national")
    with changing(home, database_url) as (_node, session, by):
        kept = receive_national_list(session, by, sent)
        found = held_list(session, str(json.loads(kept.body)["subject"]))
    assert found is not None
    console.print(f"applying {found[0].describe()}")


@debarment_app.command("status")
def status(
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Which version of the national list this node applies, and how old it is.

    Example: hgr debarment status --json"""
    from hgr.debarment.national import held_list

    with reading(home, database_url) as (node, session):
        nation = node.settings.survey.nation
        found = held_list(session, nation)
        limit = node.settings.access.debarment_list_max_days
    kept = found[0] if found else None
    age = kept.age_days(utc_now()) if kept else None
    if as_json or as_tsv:
        held = {
            "nation": nation,
            "held": kept is not None,
            "version": kept.version if kept else None,
            "issued_at": kept.issued_at.isoformat() if kept else None,
            "sha256": kept.sha256 if kept else None,
            "entries": kept.entries if kept else None,
            "age_days": round(age, 2) if age is not None else None,
            "max_days": limit,
            "current": age is not None and age <= limit,
        }
        print_record(held, as_json=as_json, as_tsv=as_tsv)
        return
    if kept is None or age is None:
        console.print(
            f"no national debarment list of {nation} is held: fetch it (hgr debarment fetch URL)"
        )
        return
    verdict = "current" if age <= limit else f"stale: older than {limit} days"
    console.print(f"applying {kept.describe()}; {age:.1f} days old ({verdict})")
