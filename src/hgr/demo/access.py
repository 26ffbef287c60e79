"""The demo's governed-access story: a foreign request for a registered pedigree, decided by
the rule packs, reviewed with four eyes, filed, exported encrypted, and followed by a donor's
withdrawal; and the published debarment list turning a request away."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path

from crypt4gh.keys import c4gh
from rich.console import Console
from sqlalchemy import func, select

from hgr.access.export import file_provision, make_export, publish_withdrawals, register_key
from hgr.access.facts import node_facts
from hgr.access.requests import activate, create_request, review, submit
from hgr.audit import Actor
from hgr.auth.roles import Role
from hgr.auth.users import add_user, find_user
from hgr.catalogue.models import CatalogueEntry
from hgr.dates import utc_today, years_after
from hgr.debarment import decide, list_entry, notify, open_case, public_entries
from hgr.debarment.national import publish_national_list, receive_national_list
from hgr.exceptions import ValidationFailed
from hgr.federation.documents import envelope_of
from hgr.node import Node, open_node
from hgr.organisations import (
    Fact,
    add_control,
    add_name,
    find_organisation,
    register_organisation,
)
from hgr.policy import AccessRequest, evaluate
from hgr.policy import Organisation as Party
from hgr.registry import models as m
from hgr.registry.consents import withdraw_consent
from hgr.registry.importer import import_files
from hgr.web.debarment import entries_html

__all__ = ["run_access"]

ACTOR = Actor("demo", "operator")
RECIPIENT_NAME = "Example University of Oxbridge"
RECIPIENT_KEY = "oxbridge-univ"
RECIPIENT_IDS = ["GB-CH:RC000999"]
RECIPIENT = {
    "name": RECIPIENT_NAME,
    "country": "GB",
    "not_for_profit": True,
    "identifiers": RECIPIENT_IDS,
}
REVIEWS = (
    ("dac", Role.ACCESS_COMMITTEE),
    ("ethics", Role.ETHICS_COMMITTEE),
    ("security", Role.SECURITY_REVIEWER),
)


def _request(node: Node, institution: str, family: str) -> AccessRequest:
    """A UK university's request for the family's genotypes, with a Chinese partner, for the
    research its donors consented to."""
    with node.db.reader() as session:
        members = session.scalars(
            select(m.PedigreeMember.donor_id).join(m.Family).where(m.Family.code == family)
        ).all()
        disease = session.scalar(
            select(m.Consent.disease)
            .where(m.Consent.donor_id.in_(members), m.Consent.disease.is_not(None))
            .limit(1)
        )
    purpose = {"duo": "DS", "disease": disease} if disease else {"duo": "HMB"}
    return AccessRequest.model_validate(
        {
            "id": f"DEMO-{family}",
            "action": "provide",
            "purpose": purpose,
            "project": f"Genetic architecture of the condition in family {family}",
            "provider": {"name": institution, "country": "CN"},
            "requester": {"key": RECIPIENT_KEY},
            "domestic_partner": {"key": "example-genetics-inst"},
            "data": {
                "categories": ["genotype_array"],
                "persons": len(members),
                "donors_from": ["CN"],
                "fields": ["sex", "birth_year", "diagnoses"],
            },
            "cohort": {"institution": institution, "families": [family]},
            "ethics_reference": f"{institution}-EC-2015-01",
            "destination_country": "GB",
            "duration_months": 24,
            "ethics_approved": True,
            "written_consent": True,
            "gdpr_basis": "research_safeguards",
        }
    )


def _users(node: Node, institution: str) -> None:
    """The institution's registry officer registers the foreign university and the Chinese
    partner (a request names only registered organisations); the university's researcher and
    the institution's reviewers get their accounts."""
    with node.db.transaction() as session:
        fact = Fact("Companies House and SAMR registration documents", "registry officer")
        register_organisation(
            session, ACTOR, RECIPIENT_KEY, "GB", RECIPIENT_NAME, fact, identifiers=RECIPIENT_IDS
        )
        register_organisation(
            session, ACTOR, "example-genetics-inst", "CN", "Example Institute of Genetics", fact
        )
        add_user(session, ACTOR, "r.smith", Role.RESEARCHER, organisation=RECIPIENT_KEY)
        for kind, role in REVIEWS:
            scope = institution if role is not Role.SECURITY_REVIEWER else ""
            for n in (1, 2):
                add_user(session, ACTOR, f"{kind}{n}", role, scope)


def _grant(node: Node, directory: Path, institution: str, family: str, console: Console) -> None:
    _users(node, institution)
    asked = _request(node, institution, family)
    out = directory / "access"
    out.mkdir(exist_ok=True)
    secret, public = out / "recipient.sec", out / "recipient.pub"
    with contextlib.redirect_stderr(io.StringIO()):  # the key tool reports on stderr
        c4gh.generate(str(secret), str(public), None, b"recipient")
    # The same request from a laboratory the institution has not registered: refused, with
    # how to register it, and nothing kept.
    stranger = asked.model_copy(
        update={"requester": Party(name="Example Unregistered Lab", country="GB")}
    )
    try:
        with node.db.transaction() as session:
            create_request(session, ACTOR, find_user(session, "r.smith"), stranger)
    except ValidationFailed as refused:
        console.print(
            f"a request naming an unregistered organisation is refused: "
            f"{refused.message} ({refused.code})",
            highlight=False,
        )
    with node.db.transaction() as session:
        entry = create_request(session, ACTOR, find_user(session, "r.smith"), asked)
        bound = AccessRequest.model_validate(entry.body)
        submit(session, ACTOR, entry, node_facts(session, bound), node.rule_packs())
        fired = [r["rule"] for r in (entry.decision or {}).get("rules", [])]
        console.print(
            f"{entry.number} ({asked.project}): {entry.outcome}; rules "
            f"{', '.join(fired)}; reviews {', '.join(entry.reviews_needed)}, due "
            f"{entry.due_on}",
            highlight=False,
        )
        for kind in entry.reviews_needed:
            for n in (1, 2):  # four eyes
                review(session, ACTOR, entry, find_user(session, f"{kind}{n}"), kind, approve=True)
        backup = out / f"{entry.number}-backup.json"
        backup.write_text(json.dumps(entry.body, indent=2), encoding="utf-8")
        filing = file_provision(session, ACTOR, entry, backup)
        (out / f"{entry.number}-filing.json").write_text(json.dumps(filing.record, indent=2))
        activate(session, ACTOR, entry)
        register_key(session, ACTOR, entry, public)
        made = make_export(
            session,
            ACTOR,
            entry,
            node.keys,
            node.signer(),
            out / "exports",
            node.disease_ontology(),
            node.settings.home,
            node.rule_packs(),
        )
        first = made.package.donors[0]
    console.print(
        f"{entry.status}: filed (backup SHA-256 {filing.backup_sha256[:12]}…); "
        f"export {made.folder} holds {made.released} donor(s), {made.withheld} "
        "withheld by their consent, encrypted to the recipient with a signed "
        "manifest",
        highlight=False,
    )
    with node.db.transaction() as session:
        consent = session.scalars(
            select(m.Consent)
            .join(m.Donor)
            .where(m.Donor.pseudonym == first, m.Consent.status == "active")
        ).first()
        if consent is not None:
            withdraw_consent(
                session, ACTOR, consent, utc_today(), grounds="the donor's written withdrawal"
            )
        notices = publish_withdrawals(session, ACTOR, node.keys)
    console.print(
        f"a donor of the export withdraws: {len(notices)} notice(s) published to the "
        "recipient at GET /access/notices",
        highlight=False,
    )


def _debarment(national: Node, directory: Path, console: Console) -> None:
    today = utc_today()
    opened = today - dt.timedelta(days=40)
    with national.db.transaction() as session:
        case = open_case(
            session,
            ACTOR,
            organisation="Example Sequencing Holdings Ltd",
            country="HK",
            identifiers=["HK-CR:0000001"],
            regime="cn-art43",
            ground="HGR Reg. Art. 41: human genetic resources provided abroad",
            mandatory=True,
            today=opened,
        )
        notify(session, ACTOR, case, today=opened)
        decide(
            session,
            ACTOR,
            case,
            debar=True,
            today=opened + dt.timedelta(days=20),
            reasons="Exome data of 2,300 persons was sent abroad without approval, filing "
            "or security review.",
            expected_end=years_after(opened, 3),
        )
        list_entry(session, ACTOR, case, today=today)
        # The registry knows the Shenzhen lab and that the listed company holds all of it.
        fact = Fact("Hong Kong Companies Registry and SAMR filings", "national officer")
        register_organisation(
            session,
            ACTOR,
            "example-seq-hk",
            "HK",
            "Example Sequencing Holdings Ltd",
            fact,
            identifiers=["HK-CR:0000001"],
        )
        register_organisation(
            session,
            ACTOR,
            "example-shenzhen-lab",
            "CN",
            "Example Shenzhen Lab",
            fact,
            identifiers=["USCC:91440300MA5EXAMPLE"],
        )
        add_name(
            session,
            ACTOR,
            find_organisation(session, "example-shenzhen-lab"),
            "示例深圳实验室有限公司",
            fact,
            language="zh",
        )
        add_control(session, ACTOR, "example-seq-hk", "example-shenzhen-lab", "equity", 100.0, fact)
        rows = public_entries(session)
    page = directory / "debarment" / "debarment.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text(
        entries_html(rows, issuer=national.settings.name, today=today), encoding="utf-8"
    )
    # The subsidiary asks under its Chinese name, declaring no identifier at all.
    subsidiary = {"name": "示例深圳实验室有限公司", "country": "CN"}
    asked = AccessRequest.model_validate(
        {
            "id": "DEMO-DEBARRED",
            "action": "use",
            "purpose": {"duo": "HMB"},
            "project": "x",
            "provider": {"name": "Any hospital", "country": "CN"},
            "requester": subsidiary,
            "data": {"categories": ["genotype_array"], "persons": 10, "donors_from": ["CN"]},
            "destination_country": "CN",
            "duration_months": 12,
            "ethics_approved": True,
            "written_consent": True,
        }
    )
    with national.db.reader() as session:
        facts = node_facts(session, asked)
    decision = evaluate(asked, facts, national.rule_packs())
    console.print(
        f"debarment list: {case.number} listed; the lab it holds asks for data under "
        f"its Chinese name with no identifier: {decision.outcome} "
        f"({', '.join(f.rule.id for f in decision.fired)}, found through the "
        f"organisation registry: {facts.debarment_reference}); public page {page}",
        highlight=False,
    )


PANEL = 540  # whole genomes: past the Implementing Rules' 500-person security-review threshold


def _sequence_panel(node: Node, directory: Path, institution: str, population: str) -> None:
    """The institution registers a whole-genome reference panel of its population: ``PANEL``
    donors, each with a DNA sample in a collection of whole genomes and a broad consent."""
    folder = directory / "access" / "panel"
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"{institution}-WGS-{n:04d}" for n in range(1, PANEL + 1)]
    files = {
        "collections.csv": [
            "collection_id,name,material_types,data_categories,disease_focus,"
            "target_size,duo_codes,description",
            f"{institution}-WGS,Population reference panel,dna,"
            f"biological_samples;whole_genome,,{PANEL},GRU,",
        ],
        "donors.csv": [
            "donor_id,sex,birth_year,residence_region,population,vital_status,phenotypes,diagnoses"
        ]
        + [
            f"{d},{('female', 'male')[n % 2]},{1950 + n % 50},,{population},alive,,"
            for n, d in enumerate(ids)
        ],
        "samples.csv": [
            "sample_id,donor_id,material_type,collection_id,collection_date,storage_status"
        ]
        + [f"{d}-S1,{d},dna,{institution}-WGS,2024-03-01,available" for d in ids],
        "consents.csv": [
            "donor_id,document_version,document_sha256,signed_on,permission,"
            "disease,modifiers,countries,time_limit,status,withdrawn_on"
        ]
        + [f"{d},WGS-v1,{'ab' * 32},2024-03-01,GRU,,,,,active," for d in ids],
    }
    for name, lines in files.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_files(node.db, node.keys, [folder / n for n in files], institution=institution)


def _under_declared(node: Node, directory: Path, institution: str, console: Console) -> None:
    """A request that declares fewer persons, and a lesser kind of data, than an export of its
    cohort releases, decided on what the node counts."""
    with node.db.reader() as session:
        population = (
            session.scalar(
                select(m.Donor.population)
                .join(m.Institution)
                .where(m.Institution.code == institution, m.Donor.population.is_not(None))
                .group_by(m.Donor.population)
                .order_by(func.count().desc())
                .limit(1)
            )
            or "Han"
        )
    _sequence_panel(node, directory, institution, population)
    console.print(
        f"{institution} registers a whole-genome reference panel of {PANEL} {population} donors",
        highlight=False,
    )
    asked = AccessRequest.model_validate(
        {
            "id": "DEMO-UNDER-DECLARED",
            "action": "provide",
            "purpose": {"duo": "GRU"},
            "project": "Population reference panel",
            "requester": RECIPIENT,
            "provider": {"name": institution, "country": "CN"},
            "domestic_partner": {"name": "Example Institute of Genetics", "country": "CN"},
            "data": {"categories": ["genotype_array"], "persons": 10, "donors_from": ["CN"]},
            "cohort": {"institution": institution, "populations": [population]},
            "ethics_reference": f"{institution}-EC-2015-01",
            "destination_country": "GB",
            "duration_months": 24,
            "ethics_approved": True,
            "written_consent": True,
            "gdpr_basis": "research_safeguards",
        }
    )
    with node.db.reader() as session:
        facts = node_facts(session, asked)
    decision = evaluate(asked, facts, node.rule_packs())
    console.print(
        f"an under-declared request ({population} arrays abroad, 10 persons): "
        f"{decision.outcome} ({', '.join(f.rule.id for f in decision.fired)}); "
        f"{'; '.join(decision.counted)}",
        highlight=False,
    )


def run_access(directory: Path, nodes: Path, national: Node, console: Console) -> None:
    """The governed-access story across the demo's nodes: the debarment list (listed, signed
    and fetched by the institution), then a foreign request through the institution."""
    with national.db.reader() as session:
        registered = session.execute(
            select(CatalogueEntry.institution, CatalogueEntry.subject)
            .where(CatalogueEntry.kind == "pedigree", CatalogueEntry.status == "registered")
            .order_by(CatalogueEntry.id)
            .limit(1)
        ).first()
    _debarment(national, directory, console)
    if registered is not None:
        node = open_node(nodes / f"institution-{registered[0]}")
        try:
            _fetch_list(national, node, console)
            _grant(node, directory, registered[0], registered[1], console)
            _under_declared(node, directory, registered[0], console)
        finally:
            node.close()


def _fetch_list(national: Node, node: Node, console: Console) -> None:
    """The nation signs its list; the institution checks it against the nation's key and
    applies it, as it must before deciding anything outbound (hgr.debarment.national)."""
    with national.db.transaction() as session:
        kept = publish_national_list(
            session, national.signer(), ACTOR, national.settings.survey.nation
        )
        sent = envelope_of(kept).as_dict()
    with node.db.transaction() as session:
        receive_national_list(session, ACTOR, sent)
    with node.db.reader() as session:
        copy = node.outbound_list(session, "provide")
    if copy is not None:
        console.print(f"{node.settings.name} applies {copy.describe()}", highlight=False)
