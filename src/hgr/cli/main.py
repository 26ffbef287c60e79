"""The ``hgr`` command: parse arguments, call one library function, render the result.

Errors print ``error: <message> (<CODE>)`` on stderr and exit with status 1 (2 for usage).
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hgr.auth.roles import Role
from hgr.cli.access import access_app
from hgr.cli.backups import backup_command, restore_command
from hgr.cli.beacon import beacon_app
from hgr.cli.catalogue import catalogue_app
from hgr.cli.common import (
    Commands,
    DatabaseOption,
    HomeOption,
    JsonOption,
    TsvOption,
    XlsxOption,
    changing,
    command_node,
    err,
    operator,
    out,
    print_issues,
    print_record,
    print_rows,
    progress_bar,
    reading,
    table,
    write_new,
)
from hgr.cli.debarment import debarment_app
from hgr.cli.genotypes import genotypes_app
from hgr.cli.organisations import org_app
from hgr.cli.pedigree import pedigree_app
from hgr.cli.policy import policy_app
from hgr.cli.records import history_command, sample_app
from hgr.cli.relate import relate
from hgr.cli.relatedness import relatedness_app
from hgr.cli.survey import survey_app
from hgr.cli.templates import templates_app
from hgr.config import NodeRole
from hgr.exceptions import IntegrityBroken, NotFound, UsageError
from hgr.registry.entity_names import ENTITY_NAMES
from hgr.registry.local_ids import readings

if TYPE_CHECKING:
    from hgr.registry.importer import ImportResult


__all__ = ["app", "main"]

app = typer.Typer(
    cls=Commands,
    name="hgr",
    help="Registry and governance of human genetic resources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
regions_app = typer.Typer(help="Administrative regions.", no_args_is_help=True)
app.add_typer(regions_app, name="regions")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
user_app = typer.Typer(help="People who may use the node's API.", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(genotypes_app, name="genotypes")
app.command()(relate)
app.add_typer(relatedness_app, name="relatedness")
app.add_typer(survey_app, name="survey")
app.add_typer(pedigree_app, name="pedigree")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(policy_app, name="policy")
app.add_typer(debarment_app, name="debarment")
app.add_typer(org_app, name="org")
app.add_typer(access_app, name="access")
app.add_typer(beacon_app, name="beacon")
app.add_typer(sample_app, name="sample")
app.add_typer(templates_app, name="templates")
app.command("history")(history_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} takes NAME=VALUE, not {item!r}", code="E_USAGE")
        pairs[name.strip()] = value.strip()
    return pairs


def _print_version(asked: bool) -> None:
    if asked:
        from hgr import __version__

        out.print(__version__)
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print hgr's version."
        ),
    ] = None,
) -> None:
    """Registry and governance of human genetic resources."""


@app.command()
def version() -> None:
    """Print hgr's version.

    Example: hgr version"""
    from hgr import __version__

    out.print(__version__)


@app.command()
def init(
    home: Annotated[Path, typer.Argument(help="Directory for the new node.")],
    role: Annotated[NodeRole, typer.Option(help="Level in the survey hierarchy.")] = NodeRole.ALL,
    name: Annotated[str, typer.Option(help="Name shown in reports.")] = "hgr node",
    region: Annotated[str, typer.Option(help="Official code of the node's region.")] = "",
    institution: Annotated[str, typer.Option(help="Institution served (institution nodes).")] = "",
    database_url: DatabaseOption = None,
    regions: Annotated[
        Path | None, typer.Option(help="Region list CSV instead of China's provinces.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Rewrite an existing node's settings (the previous node.toml is kept beside "
            "it; the keys are never rewritten).",
        ),
    ] = False,
) -> None:
    """Create a node: data directory, database, keys and region list.

    Example: hgr init /srv/hgr/BJ-H001 --role institution --institution BJ-H001 --region 110000"""
    from hgr.node import init_node

    node = init_node(
        home,
        role=role,
        name=name,
        region_code=region,
        institution_code=institution,
        database_url=database_url or "",
        regions=regions,
        force=force,
    )
    out.print(f"node [bold]{node.settings.name}[/bold] ({role.value}) ready in {home}")
    out.print(f"  database: {node.db.engine.url.render_as_string(hide_password=True)}")
    out.print(f"  keys:     {node.keys.directory} (back them up: donors are matched by them)")
    node.close()


def _render_import(result: "ImportResult") -> None:
    if result.families:
        rows = [
            {
                "family": f.family_id,
                "members": f.members,
                "founders": f.founders,
                "generations": f.depth,
                "errors": f.errors,
                "warnings": f.warnings,
            }
            for f in result.families
        ]
        shown = [r for r in rows if r["errors"] or r["warnings"]] or rows[:20]
        out.print(table(f"Pedigree check ({len(rows)} families)", shown))
    if result.report.warnings:
        err.print(f"{len(result.report.warnings)} warning(s):")
        print_issues(result.report.warnings)
    verb = "would change" if result.dry_run else "changed"
    rows = [{"entity": name, **c.as_dict()} for name, c in result.changes.items()]
    out.print(table(f"What the import {verb}", rows))
    if result.differences:
        shown = [d.as_dict() for d in result.differences]
        out.print(
            table(
                f"Fields of registered records the import {verb}",
                shown,
                ["record", "field", "before", "after"],
            )
        )
    if result.dry_run:
        out.print("dry run: nothing was written")
    elif not result.changed:
        out.print("nothing changed: everything was already registered")
    else:
        out.print(f"import batch {result.batch_id} written")


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Templates, PED/FAM, Phenopackets JSON.")],
    institution: Annotated[
        str | None, typer.Option("--institution", "-i", help="Institution code.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate and report; write nothing.")] = False,
    strict: Annotated[bool, typer.Option(help="Pedigree warnings become errors.")] = False,
    update: Annotated[
        bool, typer.Option(help="Allow changes to registered records (see them with --dry-run).")
    ] = False,
    clear: Annotated[
        list[str] | None,
        typer.Option(help="A column whose empty cells clear the registered value (repeatable)."),
    ] = None,
    donor_key: Annotated[
        str,
        typer.Option(
            help="What names a phenopacket's donor: subject (its subject.id) or id (the "
            "phenopacket's own id, for a collection from many publications whose subject ids "
            "repeat, such as phenopacket-store)."
        ),
    ] = "subject",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Validate files, then register them in one transaction (all or nothing).

    A file that changes registered records is refused until --update is given; run it with
    --dry-run first to see every field it changes. An empty cell never clears a registered
    value unless its column is named with --clear.

    Example: hgr import donors.csv samples.csv consents.csv HD-001.ped --dry-run"""
    from hgr.registry.importer import import_files

    with command_node(home, database_url) as node, progress_bar() as progress:
        result = import_files(
            node.db,
            node.keys,
            paths,
            institution=institution or node.settings.institution_code or None,
            dry_run=dry_run,
            strict=strict,
            update=update,
            clear=frozenset(clear or ()),
            progress=progress,
            actor=operator(),
            donor_key=donor_key,
            grounds="operator of the node's command line",
        )
    _render_import(result)


@app.command("list")
def list_(
    entity: Annotated[str, typer.Argument(help=f"One of: {', '.join(ENTITY_NAMES)}.")],
    institution: Annotated[str | None, typer.Option("--institution", "-i")] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", "-w", help="Filter NAME=VALUE (repeatable), e.g. sex=female."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    xlsx: XlsxOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List registered records of one entity, in natural-key order.

    Examples:

        hgr list donors --where sex=female --limit 100

        hgr list samples --tsv > samples.tsv

        hgr list consents --limit 10000 --xlsx consents.xlsx
    """
    from hgr.registry.queries import list_entities

    with command_node(home, database_url) as node:
        filters = _pairs(where or [], "--where")
        if institution:
            filters["institution"] = institution
        own = filters.get("institution") or node.settings.institution_code or None
        with node.db.reader() as session:
            for reading in readings(filters, own, node.keys.pseudonymiser.pseudonym):
                spec, rows, total, exact = list_entities(
                    session, entity, filters=reading, limit=limit, offset=offset
                )
                if total > 0:  # the first reading that holds any, whatever the page
                    break
    of = f"{total}" if exact else f"more than {total}"
    title = f"{entity}: {offset + 1}-{offset + len(rows)} of {of}" if rows else f"{entity}: none"
    if xlsx is not None:
        from hgr.spreadsheets import rows_workbook

        columns = spec.list_columns or (list(rows[0]) if rows else [])
        write_new(xlsx, rows_workbook(entity, rows, columns))
        err.print(f"{len(rows)} {entity} written to {xlsx}")
    print_rows(title, rows, spec.list_columns, as_json=as_json, as_tsv=as_tsv)


@app.command()
def show(
    entity: Annotated[str, typer.Argument(help=f"One of: {', '.join(ENTITY_NAMES)}.")],
    key: Annotated[
        list[str],
        typer.Argument(help="The record's natural key (code, pseudonym, reference …)."),
    ],
    institution: Annotated[str | None, typer.Option("--institution", "-i")] = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Show one record in full.

    Keys with several parts are given in order: `show samples S-1`, `show consents PSEUDONYM
    VERSION`, `show members FAMILY PSEUDONYM`; add --institution when several institutions
    hold a record with that key. A donor is named by its pseudonym or by the institution's
    own id (the node's institution, or --institution).

    Examples:

        hgr show donors DLC-003

        hgr show consents DLC-003 v2 --institution BJ-H001 --json
    """
    from hgr.registry.queries import ENTITIES, show_entity

    with command_node(home, database_url) as node:
        spec = ENTITIES.get(entity)
        parts = [p for p in (spec.key if spec else ()) if p != "institution"]
        if spec and len(key) > len(parts):
            raise NotFound(f"{entity} records are named by {' '.join(parts)}", code="E_KEY")
        named = dict(zip(parts, key, strict=False))
        if institution:
            named["institution"] = institution
        own = institution or node.settings.institution_code or None
        tried = readings(named, own, node.keys.pseudonymiser.pseudonym)
        with node.db.reader() as session:
            for n, reading in enumerate(tried, start=1):
                try:
                    detail = show_entity(session, entity, reading)
                    break
                except NotFound as exc:
                    if n < len(tried):
                        continue
                    if exc.code != "E_NOT_FOUND" or tried == [named]:
                        raise
                    # The message would name the pseudonym computed from the id typed.
                    shown = ", ".join(f"{k}={v}" for k, v in named.items())
                    raise NotFound(f"no {entity} record with {shown}", code="E_NOT_FOUND") from None
    print_record(detail, as_json=as_json, as_tsv=as_tsv)


@app.command()
def summary(
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """What is registered, per institution.

    Example: hgr summary --tsv > summary.tsv"""
    from hgr.registry.queries import count_summary

    with reading(home, database_url) as (node, session):
        rows = count_summary(session)
    print_rows(f"Registered on {node.settings.name}", rows, as_json=as_json, as_tsv=as_tsv)


@regions_app.command("load")
def regions_load(
    path: Annotated[Path, typer.Argument(help="CSV: country,code,name,name_local,level,...")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Load another country's region list.

    Example: hgr regions load gb-regions.csv"""
    from hgr.registry.regions import load_regions

    with command_node(home, database_url) as node:
        added = load_regions(node.db, path, operator())
    out.print(f"{added} new region(s) loaded from {path}")


@audit_app.command("checkpoint")
def audit_checkpoint(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Integrate pending events and print the signed checkpoint (keep it: it is your witness).

    Example: hgr audit checkpoint > witness/2026-06-01.note"""
    from hgr.audit import checkpoint

    with command_node(home, database_url) as node, node.db.transaction() as session:
        head = checkpoint(session, node.signer(), head_file=node.settings.audit_head_file)
    sys.stdout.write(head.note())


@audit_app.command("verify")
def audit_verify(
    witness: Annotated[
        Path | None, typer.Option(help="A checkpoint kept earlier; the log must still extend it.")
    ] = None,
    records: Annotated[
        bool,
        typer.Option(
            "--records",
            help="Also check the seal of every sealed row (accounts, donors, samples, consents).",
        ),
    ] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Recompute the log from its events and check every hash and signature.

    Example: hgr audit verify --witness witness/2026-06-01.note --records"""
    from hgr.audit import parse_checkpoint, verify_log
    from hgr.audit.heads import read_head
    from hgr.audit.records import unsealed_rows
    from hgr.auth.seals import unsealed_accounts

    with command_node(home, database_url) as node:
        try:
            text = witness.read_text(encoding="utf-8") if witness else None
        except OSError as exc:
            raise UsageError(f"cannot read {witness}: {exc.strerror}", code="E_NO_FILE") from exc
        witnessed = parse_checkpoint(text) if text is not None else None
        try:
            kept, unreadable = read_head(node.settings.audit_head_file, node.verifier()), None
        except IntegrityBroken as exc:
            kept, unreadable = None, str(exc)
        with node.db.reader() as session:
            report = verify_log(session, node.verifier(), witnessed=witnessed, kept=kept)
            if records:
                key = node.keys.record_key()
                report.problems.extend(unsealed_accounts(session, key))
                report.problems.extend(unsealed_rows(session, key))
        if unreadable:
            report.problems.append(unreadable)
        out.print(
            f"{report.events} events, {report.leaves} in the tree, {report.pending} pending, "
            f"{report.checkpoints} signed checkpoints"
        )
        if not report.ok:
            for problem in report.problems:
                err.print(f"  [red]problem[/red] {problem}", highlight=False)
            raise IntegrityBroken(
                f"the audit log fails verification ({len(report.problems)} problem(s))",
                code="E_AUDIT_TAMPERED",
            )
    out.print("the audit log verifies")


@audit_app.command("reseal")
def audit_reseal(
    yes: Annotated[bool, typer.Option("--yes", help="Seal them (else only list them).")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Seal the rows that carry no seal: users, tokens, donors, samples, consents made before
    seals existed.

    Read the list first: a row inserted in SQL has no seal either, and sealing it would bless
    it. A row whose seal is present but wrong is never resealed: it stays reported.

    Examples:

        hgr audit reseal

        hgr audit reseal --yes
    """
    from hgr.auth.seals import reseal

    with changing(home, database_url) as (node, session, by):
        accounts, counts = reseal(session, by, node.keys.record_key(), write=yes)
    for row in accounts:
        out.print(row)
    for name, count in counts.items():
        out.print(f"{name}: {count} row(s)")
    found = len(accounts) + sum(counts.values())
    if not found:
        out.print("every sealed row carries its seal")
    elif not yes:
        out.print(f"{found} row(s) carry no seal: check them, then run again with --yes")
    else:
        out.print(f"{found} row(s) sealed")


@audit_app.command("witness")
def audit_witness(
    url: Annotated[str, typer.Argument(help="The peer node's address (https://...).")],
    key: Annotated[Path, typer.Option(help="The peer's public signing key (its signing.pub).")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Witness a peer's audit log: fetch its head, check it extends the last one kept, co-sign.

    The co-signed note is printed; the head is kept under <home>/witness/. A peer whose log
    was rewritten or cut is refused (E_WITNESS_INCONSISTENT).

    Example: hgr audit witness https://sh-h002.example.cn:8470 --key peers/sh-h002/signing.pub"""
    import base64

    from hgr.audit import parse_checkpoint
    from hgr.audit.heads import read_head
    from hgr.audit.witness import check_step, cosigned_note, keep, kept_head_file
    from hgr.crypto.signing import load_verifier
    from hgr.federation.client import get_json

    with command_node(home, database_url) as node:
        answer = get_json(url, "/audit/checkpoint")
        fetched = parse_checkpoint(str(answer.get("note", "")) if isinstance(answer, dict) else "")
        peer = load_verifier(key, fetched.origin)
        directory = node.settings.home / "witness"
        kept = read_head(kept_head_file(directory, peer), peer)
        proof: list[bytes] = []
        if kept is not None and 0 < kept.size < fetched.size:
            answer = get_json(
                url, f"/audit/proofs/consistency?first={kept.size}&second={fetched.size}"
            )
            try:
                proof = [base64.b64decode(p, validate=True) for p in answer["proof"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise UsageError(f"{url} answered no consistency proof", code="E_REMOTE") from exc
        check_step(kept, fetched, proof, peer)
        keep(directory, fetched, peer)
        note = cosigned_note(fetched, node.signer())
    sys.stdout.write(note)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the user does.")],
    scope: Annotated[
        str, typer.Option(help="Institution code or province code, as the role requires.")
    ] = "",
    oidc_subject: Annotated[
        str,
        typer.Option(help="The user's `sub` at the configured OIDC issuer, if they sign in there."),
    ] = "",
    organisation: Annotated[
        str,
        typer.Option(help="The organisation they work for: its registry key (hgr org add)."),
    ] = "",
    country: Annotated[
        str, typer.Option(help="The organisation's country (ISO 3166-1 alpha-2, e.g. CN).")
    ] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register a user with one role at one scope.

    Example: hgr user add li --role institution_steward --scope BJ-H001"""
    from hgr.auth.users import add_user

    with changing(home, database_url) as (_node, session, by):
        add_user(
            session,
            by,
            name,
            role,
            scope,
            oidc_subject=oidc_subject,
            organisation=organisation,
            country=country,
        )
    out.print(f"user {name} added as {role.value}" + (f" of {scope}" if scope else ""))


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The user who will sign in to the console.")],
    second_factor: Annotated[
        bool,
        typer.Option(
            "--second-factor",
            help="Give them a TOTP second factor (always given to officers and committee members).",
        ),
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Set a user's password for the console, and enrol a second factor where one is needed.

    Example: hgr user password li --second-factor
    """
    from hgr.auth.passwords import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with changing(home, database_url) as (_node, session, by):
        enrol = set_password(session, by, name, password, second_factor=second_factor)
    out.print(f"console password set for {name}")
    if enrol:
        out.print(
            "Add this to an authenticator app now (it is not shown again):\n" + enrol,
            markup=False,
        )


@user_app.command("unlock")
def user_unlock(
    name: Annotated[str, typer.Argument(help="The user whose console sign-in is locked.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Lift the 15-minute lock that five failed console sign-ins put on a user.

    Example: hgr user unlock li
    """
    from hgr.auth.passwords import unlock

    with changing(home, database_url) as (_node, session, by):
        was_locked = unlock(session, by, name)
    out.print(f"{name} unlocked" if was_locked else f"{name} was not locked")


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Disable a user at once, and revoke every token they hold.

    Example: hgr user disable li --reason "left the institution"
    """
    from hgr.auth.users import disable_user

    with changing(home, database_url) as (_node, session, by):
        revoked = disable_user(session, by, name, reason=reason)
    out.print(f"user {name} disabled; {revoked} token(s) revoked")


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
) -> None:
    """Every API token, newest first, with whether it still works (never its secret).

    Example: hgr token list --user alice --json"""
    from hgr.auth.users import list_tokens

    with reading(home, database_url) as (_node, session):
        rows = list_tokens(session, user)
    listed = [
        {
            "token": r.token_id,
            "user": r.user,
            "role": r.role,
            "label": r.label,
            "created": f"{r.created_at:%Y-%m-%d %H:%M}",
            "expires": f"{r.expires_at:%Y-%m-%d}",
            "status": r.status,
        }
        for r in rows
    ]
    print_rows("API tokens", listed, as_json=as_json, as_tsv=as_tsv)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The user the token acts for.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="Days until it expires.")] = 90,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Issue a personal API token; it is printed once and cannot be shown again.

    Example: hgr token create li --days 30 --label "nightly listing" > li.token"""
    from hgr.auth.users import create_token

    with changing(home, database_url) as (_node, session, by):
        issued = create_token(session, by, name, days=days, label=label)
    err.print(f"token {issued.token_id} for {name}, expires {issued.expires_at:%Y-%m-%d}:")
    sys.stdout.write(issued.value + "\n")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (the part after hgr_).")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Revoke a token at once.

    Example: hgr token revoke 3f9c2a1b7d4e6f80"""
    from hgr.auth.users import revoke_token

    with changing(home, database_url) as (_node, session, by):
        revoke_token(session, by, token_id)
    out.print(f"token {token_id} revoked")


@app.command("serve")
def serve_(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535)] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Server processes sharing the port.")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Serve the node's HTTP API (refuses unsafe configurations).

    Example: hgr serve --port 8470 --workers 4"""
    from dataclasses import replace

    from hgr.api.serve import serve
    from hgr.config import load_settings

    settings = load_settings(home, database_url=database_url)
    service = replace(
        settings.service,
        host=host or settings.service.host,
        port=port or settings.service.port,
        workers=workers or settings.service.workers,
    )
    settings = replace(settings, service=service)
    err.print(f"serving {settings.name} on {service.host}:{service.port}")
    serve(settings)


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the synthetic nation to.")],
    donors: Annotated[int, typer.Option(min=100, max=1_000_000)] = 300,
    seed: Annotated[int, typer.Option()] = 1,
    genotypes: Annotated[bool, typer.Option(help="Simulate genotypes with msprime.")] = True,
    sites_per_chromosome: Annotated[int, typer.Option(min=10, max=100_000)] = 200,
) -> None:
    """Write a seeded synthetic nation: templates, PED and VCF per institution, and truth.

    Example: hgr synth nation/ --donors 1000 --seed 7"""
    from hgr.synth import SynthConfig, synthesise_nation

    config = SynthConfig(
        donors=donors, seed=seed, genotypes=genotypes, sites_per_chromosome=sites_per_chromosome
    )
    with progress_bar() as progress:
        nation = synthesise_nation(out_dir, config, progress)
    out.print(
        f"synthetic nation in {out_dir}: {nation.donors} donors at {nation.institutions} "
        f"institutions in {nation.provinces} provinces, {nation.families} families, "
        f"{nation.duplicates} people enrolled twice"
    )


@app.command("synth-cohort")
def synth_cohort(
    out_file: Annotated[Path, typer.Argument(help="The bgzipped VCF to write (.vcf.gz).")],
    samples: Annotated[int, typer.Option(min=1, max=1_000_000)] = 5_000,
    variants: Annotated[int, typer.Option(min=22, max=10_000_000)] = 100_000,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Write a seeded VCF of unrelated people (msprime), for benchmarks and scale tests.

    Example: hgr synth-cohort cohort.vcf.gz --samples 2000 --variants 500000"""
    from hgr.synth.genotypes import write_cohort_vcf

    write_cohort_vcf(out_file, samples, variants, seed)
    out.print(f"{out_file}: {samples:,} samples, about {variants:,} variants (GRCh38)")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Where the demo builds its nodes.")],
    force: Annotated[bool, typer.Option(help="Replace an earlier demo in the directory.")] = False,
    donors: Annotated[int, typer.Option(min=100, max=100_000)] = 300,
    serve: Annotated[
        bool,
        typer.Option(
            help="Then keep the first institution's node and the nation's serving the web "
            "console, to click through (Ctrl-C stops them)."
        ),
    ] = False,
) -> None:
    """Run the whole story: synthesise, create nodes, import, summarise.

    Example: hgr demo demo/ --donors 500 --serve"""
    from hgr.demo import CONSOLE_PORTS, run_demo

    nodes = run_demo(directory, donors=donors, force=force, console=out)
    if serve:
        from hgr.api.serve import serve_nodes

        out.print("serving the console until Ctrl-C")
        serve_nodes(
            [
                (nodes.institution, CONSOLE_PORTS["institution"]),
                (nodes.nation, CONSOLE_PORTS["nation"]),
            ]
        )


def main() -> None:
    app()
