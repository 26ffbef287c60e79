"""``hgr survey``: cycles, returns, editions, packages between nodes, verification, tables."""

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    InstitutionOption,
    JsonOption,
    TokenOption,
    TsvOption,
    UrlOption,
    changing,
    command_node,
    institution_of,
    operator,
    print_issues,
    print_rows,
    reading,
    send_document,
)
from hgr.cli.common import out as console
from hgr.exceptions import FormatError, IntegrityBroken, UsageError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hgr.federation.models import SignedDocument
    from hgr.node import Node
    from hgr.survey.publish import PublishedSurvey


__all__ = ["survey_app"]

survey_app = typer.Typer(
    help="The national survey: cycles, institution returns, provincial and national editions.",
    no_args_is_help=True,
)

CycleOption = Annotated[str, typer.Option("--cycle", help="Code of the survey cycle.")]
DateOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])]


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the {what}: {exc}", code="E_JSON") from exc


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # whole or not at all


@survey_app.command("open")
def open_(
    code: Annotated[str, typer.Argument(help="Code of the new cycle, e.g. 2025.")],
    reference_date: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="The date counts refer to.")
    ],
    kind: Annotated[str, typer.Option(help="five_year (the default) or ad_hoc.")] = "five_year",
    title: Annotated[str, typer.Option(help="Title shown in returns and the report.")] = "",
    dictionary: Annotated[
        Path | None, typer.Option(help="Data dictionary JSON (default: hgr-survey/3).")
    ] = None,
    institution_due: DateOption = None,
    province_due: DateOption = None,
    national_due: DateOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Open a survey cycle and sign its definition as the nation.

    Example: hgr survey open 2025 --reference-date 2025-12-31 --title "Survey of 2025"
    """
    from hgr.survey.cycles import CycleDates, default_dates, open_cycle
    from hgr.survey.dictionary import DEFAULT_DICTIONARY, read_dictionary

    with command_node(home, database_url) as node:
        usual = default_dates(reference_date.date(), kind)
        dates = CycleDates(
            usual.period_start,
            usual.period_end,
            usual.reference_date,
            institution_due.date() if institution_due else usual.institution_due,
            province_due.date() if province_due else usual.province_due,
            national_due.date() if national_due else usual.national_due,
        )
        fields = read_dictionary(dictionary) if dictionary else DEFAULT_DICTIONARY
        with node.db.transaction() as session:
            cycle = open_cycle(
                session,
                node.signer(),
                operator(),
                code,
                dates=dates,
                kind=kind,
                title=title,
                nation=node.settings.survey.nation,
                dictionary=fields,
            )
            console.print(
                f"cycle {cycle.code} open: period {cycle.period_start}..{cycle.period_end}, "
                f"institutions due {cycle.institution_due}, provinces {cycle.province_due}, "
                f"nation {cycle.national_due}; dictionary {fields.version}"
            )


@survey_app.command("draft")
def draft(
    cycle: CycleOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Draft return (JSON) to write.")],
    answers: Annotated[
        Path | None, typer.Option(help="JSON object answering the cycle's form fields.")
    ] = None,
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Count the institution's return from the registry, for the steward to review.

    Example: hgr survey draft --cycle 2025 --answers answers.json --out return-2025.json"""
    from hgr.survey.cycles import cycle_dictionary, get_cycle
    from hgr.survey.returns import draft_return, validate_return

    given = _read_json(answers, "form answers") if answers else {}
    if not isinstance(given, dict):
        raise FormatError(f"{answers}: the answers must be a JSON object", code="E_JSON")
    with reading(home, database_url) as (node, session):
        body = draft_return(session, cycle, institution_of(node, institution), given)
        issues = validate_return(body, cycle_dictionary(get_cycle(session, cycle)), str(out))
    _write_json(out, body)
    fields = body["fields"]
    collections = len(fields["collections"])
    console.print(
        f"{out}: {fields['donors']} donors ({fields['persons']} persons), "
        f"{fields['samples']} samples, {collections} collections"
    )
    if issues:
        print_issues(issues)
    errors = sum(i.severity == "error" for i in issues)
    if errors:
        console.print(f"{errors} error(s) must be corrected before the return can be signed")


@survey_app.command("submit")
def submit(
    draft_file: Annotated[Path, typer.Argument(help="The reviewed draft return.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Sign the reviewed return with the node's key and keep it (a new version if resubmitted).

    Example: hgr survey submit return-2025.json"""
    from hgr.survey.returns import submit_return

    body = _read_json(draft_file, "draft return")
    if not isinstance(body, dict) or body.get("kind") != "return":
        raise FormatError(f"{draft_file}: not a draft return", code="E_JSON")
    with changing(home, database_url) as (node, session, by):
        document = submit_return(session, node.signer(), by, body, str(draft_file))
        replaced = f", replacing {document.replaces[:12]}" if document.replaces else ""
        console.print(
            f"return of {document.subject} to {document.cycle}: version "
            f"{document.version}{replaced}, sha256 {document.sha256}"
        )


@survey_app.command("status")
def status(
    cycle: CycleOption,
    province: Annotated[str, typer.Option(help="Province code.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
) -> None:
    """Who in the province has returned, who is late, who has failed validation.

    Example: hgr survey status --cycle 2026 --province 110000 --tsv"""
    from hgr.survey.editions import completeness

    with reading(home, database_url) as (node, session):
        found = completeness(session, cycle, province, own=node.verifier())
    rows: list[dict[str, object]] = [
        {
            "institution": s.institution,
            "name": s.name,
            "state": s.state,
            "version": s.version,
            "received": s.received_at.date() if s.received_at else None,
            "problems": len(s.problems),
        }
        for s in found
    ]
    columns = ["institution", "name", "state", "version", "received", "problems"]
    if as_json:  # every problem, not only their number
        for row, s in zip(rows, found, strict=True):
            row["problems"] = list(s.problems)
    title = f"Returns of {province} to {cycle}"
    print_rows(title, rows, columns, as_json=as_json, as_tsv=as_tsv)
    if as_json or as_tsv:
        return
    for s in found:
        for problem in s.problems:
            console.print(f"  {s.institution}: {problem}", highlight=False)


@survey_app.command("compile")
def compile_(
    cycle: CycleOption,
    province: Annotated[
        str | None, typer.Option(help="Compile this province's edition (else the nation's).")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Compile and sign a provincial edition, or the national edition.

    Example: hgr survey compile --cycle 2025 --province 110000"""
    from hgr.survey.editions import compile_nation, compile_province

    with changing(home, database_url) as (node, session, by):
        if province:
            document = compile_province(session, node.signer(), by, cycle, province)
        else:
            document = compile_nation(
                session, node.signer(), by, cycle, node.settings.survey.nation
            )
        console.print(
            f"{document.kind} edition of {document.subject} for {cycle}: version "
            f"{document.version}, sha256 {document.sha256}"
        )


@survey_app.command("sign-off")
def sign_off_(
    cycle: CycleOption,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            help="A province to publish without (it sent no edition); give it once for each.",
        ),
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Sign the latest national edition off as final: the one the node publishes. Refused
    while a province with registered institutions has sent no edition, unless named with
    --without.

    Example: hgr survey sign-off --cycle 2025 --without 540000"""
    from hgr.survey.publish import sign_off

    with changing(home, database_url) as (node, session, by):
        final = sign_off(
            session,
            node.signer(),
            by,
            cycle,
            node.settings.survey.nation,
            without=without or (),
            threshold=node.settings.survey.suppress_below,
            interval=node.settings.survey.interval,
        )
        console.print(
            f"edition {final.cycle} signed off as final (sign-off version {final.version}): "
            "it is now published"
        )


@survey_app.command("export")
def export(
    cycle: CycleOption,
    province: Annotated[str, typer.Option(help="The province whose edition to send.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Package file (JSON) to write.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the province's latest edition with the returns it names, for the nation.

    Example: hgr survey export --cycle 2025 --province 110000 --out 110000-2025.json"""
    from hgr.federation.documents import latest_documents
    from hgr.survey.editions import package

    with reading(home, database_url) as (_node, session):
        edition = latest_documents(session, "province", cycle, [province]).get(province)
        if edition is None:
            raise UsageError(
                f"{province} has no edition for {cycle}: run `hgr survey compile`",
                code="E_SURVEY_NO_EDITIONS",
            )
        sent = package(session, edition)
    _write_json(out, sent)
    console.print(
        f"{out}: edition v{edition.version} of {province} and {len(sent['returns'])} return(s)"
    )


@survey_app.command("receive")
def receive(
    file: Annotated[Path, typer.Argument(help="A package written by `hgr survey export`.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Check and keep a province's package (edition and returns); nothing is kept if any
    signature fails.

    Example: hgr survey receive 110000-2025.json"""
    from hgr.survey.editions import receive_package

    sent = _read_json(file, "package")
    with changing(home, database_url) as (node, session, by):
        document = receive_package(session, by, sent, node.verifier())
        console.print(
            f"kept edition v{document.version} of {document.subject} for {document.cycle}"
        )


@survey_app.command("trust")
def trust(
    level: Annotated[str, typer.Option(help="institution, province or nation.")],
    subject: Annotated[str, typer.Option(help="Code of the institution, province or nation.")],
    key: Annotated[Path, typer.Option(help="The other node's signing.pub (PEM).")],
    signer: Annotated[str, typer.Option(help="The name the other node signs as.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Trust another node's key to sign survey documents for a subject.

    Example: hgr survey trust --level province --subject 110000 --key signing.pub --signer
    hgr/Province-110000"""
    from hgr.crypto import load_verifier
    from hgr.federation.documents import trust_key

    with changing(home, database_url) as (_node, session, by):
        verifier = load_verifier(key, signer)
        added = trust_key(session, by, level, subject, verifier)
    console.print(
        f"{'trusted' if added else 'already trusted'}: {signer} (key "
        f"{verifier.key_id}) for {level} {subject}"
    )


@survey_app.command("verify")
def verify(
    cycle: Annotated[str | None, typer.Option("--cycle", help="Only this cycle.")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Check every survey signature, digest and version chain down to the returns.

    Example: hgr survey verify --cycle 2025"""
    from hgr.survey.verify import verify_survey

    with reading(home, database_url) as (node, session):
        check = verify_survey(session, cycle, node.verifier())
    for problem in check.problems:
        console.print(f"[red]fail[/red] {problem}", highlight=False)
    if not check.ok:
        raise IntegrityBroken(
            f"{len(check.problems)} problem(s) in {check.documents} survey document(s)",
            code="E_SURVEY_VERIFY",
        )
    console.print(f"ok: {check.documents} survey document(s) verify")


def _published(
    session: "Session", node: "Node", cycle: str
) -> "tuple[SignedDocument, dict[str, Any], PublishedSurvey]":
    """The national edition of ``cycle`` signed off as final, its content, and its protected
    tables."""
    from hgr.survey.publish import published_edition, signed_off_edition

    nation = node.settings.survey.nation
    edition = signed_off_edition(session, cycle, nation)
    published = published_edition(session, cycle, nation)
    if edition is None or published is None:
        raise UsageError(
            f"no national edition of {cycle} is signed off: run `hgr survey compile`, then "
            "`hgr survey sign-off`",
            code="E_SURVEY_NO_EDITIONS",
        )
    content = json.loads(edition.body)
    return edition, content, published


@survey_app.command("tables")
def tables(
    cycle: CycleOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the published tables.")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the national edition's tables as published: small counts suppressed.

    Example: hgr survey tables --cycle 2025 --out tables-2025/"""
    from hgr.survey.publish import write_tables

    with reading(home, database_url) as (node, session):
        edition, _, published = _published(session, node, cycle)
    write_tables(published, out)
    console.print(
        f"{out}: {len(published.tables)} tables of edition {edition.sha256[:12]}; "
        f"counts below {published.threshold} and the cells that would reveal them "
        "are shown as x"
    )


@survey_app.command("report")
def report(
    cycle: CycleOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report files.")],
    pdf: Annotated[bool, typer.Option(help="Also lay the report out as PDF.")] = True,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the national survey report (HTML and PDF, in Chinese and in English) from the
    edition signed off as final, with the summary of this node's catalogue.

    Example: hgr survey report --cycle 2025 --out report-2025/ --no-pdf"""
    from hgr.catalogue import summary as catalogue_summary
    from hgr.i18n import LOCALES
    from hgr.registry.regions import region_labels
    from hgr.survey.cycles import cycle_facts, get_cycle
    from hgr.survey.publish import published_edition
    from hgr.web.report import render_report

    with reading(home, database_url) as (node, session):
        _, content, published = _published(session, node, cycle)
        earlier = (content.get("previous") or {}).get("cycle")
        previous = (
            published_edition(session, earlier, node.settings.survey.nation) if earlier else None
        )
        facts = cycle_facts(get_cycle(session, cycle))
        labels = region_labels(session)
        catalogue = catalogue_summary(session)
    for locale in LOCALES:
        names = {code: pair[0 if locale == "en" else 1] for code, pair in labels.items()}
        files = render_report(
            published,
            content,
            facts,
            out,
            province_names=names,
            issuer=node.settings.name,
            pdf=pdf,
            catalogue=catalogue,
            locale=locale,
            previous=previous,
        )
        console.print(f"report: {files.html}" + (f" and {files.pdf}" if files.pdf else ""))


@survey_app.command("fetch")
def fetch(
    cycle: CycleOption,
    source: Annotated[str, typer.Option("--from", help="Address of the node that has it.")],
    token: TokenOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Fetch a cycle's signed definition from another node and keep it (the nation's key must
    be trusted: `hgr survey trust --level nation`).

    Example: hgr survey fetch --cycle 2025 --from https://nation.example.cn:8470"""
    from hgr.federation import get_json
    from hgr.federation.documents import Envelope, trusted_verifiers
    from hgr.survey.cycles import import_cycle

    with command_node(home, database_url) as node:
        sent = Envelope.from_dict(get_json(source, f"/survey/cycles/{cycle}", token), source)
        nation = node.settings.survey.nation
        with node.db.transaction() as session:
            keys = [*trusted_verifiers(session, "nation", nation), node.verifier()]
            kept = import_cycle(session, operator(), sent, keys)
            console.print(f"cycle {kept.code} kept: institutions due {kept.institution_due}")


@survey_app.command("send")
def send(
    cycle: CycleOption,
    to: UrlOption,
    token: TokenOption = None,
    province: Annotated[
        str | None,
        typer.Option(help="Send this province's edition (else the institution's return)."),
    ] = None,
    institution: InstitutionOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Send the latest signed return (or provincial edition and its returns) to another node.

    Example: hgr survey send --cycle 2025 --to https://province-110000.example.cn:8470"""
    from hgr.federation.documents import envelope_of, latest_documents
    from hgr.survey.editions import package

    with command_node(home, database_url) as node:
        with node.db.reader() as session:
            if province:
                edition = latest_documents(session, "province", cycle, [province]).get(province)
                if edition is None:
                    raise UsageError(
                        f"{province} has no edition for {cycle}: run "
                        "`hgr survey compile --province`",
                        code="E_SURVEY_NO_EDITIONS",
                    )
                path, payload = "/survey/packages", package(session, edition)
            else:
                code = institution_of(node, institution)
                sent = latest_documents(session, "return", cycle, [code]).get(code)
                if sent is None:
                    raise UsageError(
                        f"{code} has signed no return for {cycle}: run `hgr survey submit`",
                        code="E_SURVEY_NO_RETURN",
                    )
                path, payload = "/survey/returns", envelope_of(sent).as_dict()
        send_document(to, path, payload, token)
