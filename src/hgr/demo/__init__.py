"""``hgr demo``: the main story as a pipeline of library calls, on SQLite and local files.

1. synthesise a nation;
2. create a node per institution, per province and one for the nation;
3. register institutions upward (each province knows its institutions, the nation all);
4. each institution imports its own templates, pedigrees and genotype file list, and
   ingests its genotypes (sealed, checked, encoded to VCF Zarr, quality-controlled); it
   checks its declared families against the genotypes, and sends the nation a fingerprint
   of its donors, sealed to the national node's key;
5. the nation links the same people across institutions and counts unique donors;
6. build the catalogue: institutions declare their families followed for a hereditary
   condition (with the genotype verification of step 3 as evidence) and their highland
   cohorts, provinces review the signed declarations, the nation registers what was
   approved and signs its register, and every node takes the protected flags from it;
7. run a survey cycle across the nodes: the nation opens it, institutions return signed
   counts to their provinces, provinces compile signed editions for the nation, one
   institution corrects its return, and the nation compiles its edition (persons counted
   once through the duplicate links) and publishes disclosure-controlled tables and the
   report, with the catalogue's summary;
8. governed access: a UK university asks for a registered pedigree's genotypes; the rule packs
   call for a filing, a backup and a security review; six reviewers approve, two per review;
   the provision is filed, exported encrypted to the recipient with a signed manifest, and a
   donor's later withdrawal is published to the recipient; the nation lists a debarred company
   whose subsidiary is then refused;
9. summarise what was registered where.

Later stages of hgr (the beacon) extend this pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import secrets
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from hgr.audit import Actor
from hgr.auth.passwords import set_password
from hgr.auth.roles import Role
from hgr.auth.users import add_user
from hgr.catalogue import (
    declare_pedigree,
    declare_region,
    draw_entry,
    entries_json,
    register,
    review,
)
from hgr.catalogue import summary as catalogue_summary
from hgr.catalogue.exchange import (
    apply_register,
    receive_declarations,
    receive_review,
    review_package,
    sign_declarations,
    sign_register,
    sign_review,
)
from hgr.catalogue.models import CatalogueEntry
from hgr.config import NodeRole
from hgr.dates import utc_today
from hgr.demo.access import run_access
from hgr.demo.reimport import careless_reimport
from hgr.exceptions import ConfigurationError
from hgr.federation.documents import envelope_of, trust_key
from hgr.genotypes.ingest import ingest
from hgr.genotypes.qc_report import qc_report
from hgr.i18n import LOCALES
from hgr.node import Node, init_node, open_node
from hgr.registry.importer import import_files
from hgr.registry.models import Donor, Family
from hgr.registry.queries import count_summary
from hgr.registry.regions import region_labels
from hgr.relatedness.collection_pedigrees import verify_collection_pedigrees
from hgr.relatedness.fingerprints import fingerprint_collection, seal_fingerprints, select_panel
from hgr.relatedness.identity import link_donors, unique_donors
from hgr.relatedness.pedigree_check import FamilyReport
from hgr.survey.cycles import (
    CycleDates,
    cycle_envelope,
    cycle_facts,
    default_dates,
    get_cycle,
    import_cycle,
    open_cycle,
)
from hgr.survey.editions import (
    compile_nation,
    compile_province,
    completeness,
    package,
    receive_package,
)
from hgr.survey.publish import published_edition, sign_off, write_tables
from hgr.survey.returns import draft_return, receive_return, submit_return
from hgr.survey.verify import verify_survey
from hgr.synth import SynthConfig, synthesise_nation
from hgr.web.report import ReportFiles, render_report

__all__ = ["run_demo"]

PANEL_SITES = 600
HIGHLAND_COHORT = 5  # an institution with this many highland donors declares them
DEMO_ACTOR = Actor("demo", "operator")

MARKER = ".hgr-demo"
INSTITUTION_FILES = (
    "collections.csv",
    "donors.csv",
    "samples.csv",
    "consents.csv",
    "ethics_approvals.csv",
    "families.csv",
    "pedigree.ped",
    "data_files.csv",
)


def _prepare(directory: Path, force: bool) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise ConfigurationError(
                f"{directory} is not empty and holds no earlier demo: choose another directory",
                code="E_DEMO_DIR",
            )
        if not force:
            raise ConfigurationError(
                f"{directory} holds an earlier demo: pass --force to replace it",
                code="E_DEMO_DIR",
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by hgr demo\n", encoding="utf-8")


def _institutions_by_province(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8") as handle:
        grouped: dict[str, list[str]] = {}
        for row in csv.DictReader(handle):
            grouped.setdefault(row["region_code"], []).append(row["code"])
    return grouped


def _cycle_dates() -> tuple[str, CycleDates]:
    """A cycle counted at the end of last year, with its deadlines still ahead."""
    today = utc_today()
    reference = dt.date(today.year - 1, 12, 31)
    usual = default_dates(reference)
    dates = CycleDates(
        usual.period_start,
        usual.period_end,
        reference,
        today + dt.timedelta(days=30),
        today + dt.timedelta(days=60),
        today + dt.timedelta(days=90),
    )
    return str(reference.year), dates


def _answers(control: str) -> dict[str, object]:
    """The form part of a demo return: foreign-controlled institutions cooperate abroad."""
    foreign = control != "domestic"
    return {
        "foreign_cooperation_projects": 1 if foreign else 0,
        "foreign_partners": [{"name": "Example Holdings Inc.", "country": "US"}] if foreign else [],
        "information_provided_abroad": 0,
        "specific_region_resources": False,
    }


def _catalogue(
    directory: Path,
    national: Node,
    nodes: Path,
    by_province: dict[str, list[str]],
    verified: dict[str, dict[str, FamilyReport]],
    console: Console,
) -> dict[str, Any]:
    """The catalogue across the demo's nodes; its summary at the nation."""
    declared = 0
    nation_key = national.verifier()
    for province_code, codes in sorted(by_province.items()):
        province = open_node(nodes / f"province-{province_code}")
        try:
            for code in codes:
                node = open_node(nodes / f"institution-{code}")
                try:
                    with node.db.transaction() as session:
                        families = session.scalars(
                            select(Family.code)
                            .where(Family.condition.is_not(None))
                            .order_by(Family.code)
                        ).all()
                        for family in families:
                            declare_pedigree(
                                session,
                                DEMO_ACTOR,
                                code,
                                family,
                                verification=verified.get(code, {}).get(family),
                                excluded=node.settings.catalogue.excluded,
                            )
                        populations = Counter(session.scalars(select(Donor.population)))
                        if populations["HIGHLAND"] >= HIGHLAND_COHORT:
                            declare_region(
                                session,
                                DEMO_ACTOR,
                                code,
                                "HIGHLAND",
                                province_code,
                                trait="high-altitude adaptation",
                            )
                        if session.scalar(select(CatalogueEntry.id).limit(1)) is None:
                            continue  # nothing to declare
                        signed = sign_declarations(session, node.signer(), DEMO_ACTOR, code)
                        sent = envelope_of(signed).as_dict()
                        declared += len(json.loads(signed.body)["entries"])
                    with province.db.transaction() as session:
                        trust_key(session, DEMO_ACTOR, "institution", code, node.verifier())
                        receive_declarations(session, DEMO_ACTOR, sent)
                finally:
                    node.close()
            # The province approves what meets the criteria and gives reasons for the rest.
            with province.db.transaction() as session:
                entries = session.scalars(
                    select(CatalogueEntry).where(CatalogueEntry.status == "declared")
                ).all()
                if not entries:
                    continue
                for entry in entries:
                    met = bool(entry.evidence.get("criteria_met"))
                    note = "" if met else "the evidence does not meet the criteria"
                    review(session, DEMO_ACTOR, entry, approve=met, note=note)
                sent_review = review_package(
                    session, sign_review(session, province.signer(), DEMO_ACTOR, province_code)
                )
            with national.db.transaction() as session:
                trust_key(session, DEMO_ACTOR, "province", province_code, province.verifier())
                receive_review(session, DEMO_ACTOR, sent_review, nation_key)
        finally:
            province.close()
    with national.db.transaction() as session:
        for entry in session.scalars(
            select(CatalogueEntry).where(CatalogueEntry.status == "province_approved")
        ).all():
            register(session, DEMO_ACTOR, entry)
        register_sent = envelope_of(sign_register(session, national.signer(), DEMO_ACTOR, "CN"))
        entries = session.scalars(select(CatalogueEntry).order_by(CatalogueEntry.id)).all()
        out = directory / "catalogue"
        out.mkdir(exist_ok=True)
        (out / "catalogue.json").write_text(entries_json(entries), encoding="utf-8")
        for entry in entries:
            if entry.pedigree and entry.status == "registered":
                (out / f"{entry.number}.svg").write_text(draw_entry(entry), encoding="utf-8")
        summary = catalogue_summary(session)
    for home in sorted(nodes.glob("institution-*")):
        node = open_node(home)
        try:
            with node.db.transaction() as session:
                trust_key(session, DEMO_ACTOR, "nation", "CN", nation_key)
                apply_register(session, DEMO_ACTOR, register_sent.as_dict(), "CN")
        finally:
            node.close()
    totals = summary["totals"]
    console.print(
        f"{declared} declarations signed by institutions; registered: "
        f"{totals['pedigree']['registered']} important pedigrees, "
        f"{totals['region']['registered']} specific-region resources; not accepted: "
        f"{totals['pedigree']['rejected'] + totals['region']['rejected']}; every institution "
        f"holds the signed register; exported to {out}"
    )
    return summary


def _survey(
    directory: Path,
    national: Node,
    nodes: Path,
    by_province: dict[str, list[str]],
    institutions_csv: Path,
    catalogue: dict[str, Any],
    console: Console,
) -> tuple[dict[str, Any], list[ReportFiles]]:
    """One survey cycle across the demo's nodes: the national edition's content, the report
    in each language."""
    cycle_code, dates = _cycle_dates()
    survey = national.settings.survey

    def sign_off_as_final(session: Any) -> None:
        sign_off(
            session,
            national.signer(),
            DEMO_ACTOR,
            cycle_code,
            threshold=survey.suppress_below,
            interval=survey.interval,
        )

    with institutions_csv.open(encoding="utf-8") as handle:
        control = {row["code"]: row["control"] for row in csv.DictReader(handle)}
    nation_key = national.verifier()
    with national.db.transaction() as session:
        open_cycle(session, national.signer(), DEMO_ACTOR, cycle_code, dates=dates)
        cycle = cycle_envelope(session, cycle_code)

    def join_cycle(node: Node) -> None:
        with node.db.transaction() as session:
            trust_key(session, DEMO_ACTOR, "nation", "CN", nation_key)
            import_cycle(session, DEMO_ACTOR, cycle, [nation_key])

    def send_return(code: str, province: Node, remarks: str = "") -> None:
        institution = open_node(nodes / f"institution-{code}")
        try:
            with institution.db.transaction() as session:
                answers = _answers(control[code]) | ({"remarks": remarks} if remarks else {})
                body = draft_return(session, cycle_code, code, answers)
                sent = envelope_of(submit_return(session, institution.signer(), DEMO_ACTOR, body))
            with province.db.transaction() as session:
                trust_key(session, DEMO_ACTOR, "institution", code, institution.verifier())
                receive_return(session, DEMO_ACTOR, sent.as_dict())
            # The nation registers each institution's key as it joins: a province vouches for
            # its returns only with those keys.
            with national.db.transaction() as session:
                trust_key(session, DEMO_ACTOR, "institution", code, institution.verifier())
        finally:
            institution.close()

    def send_edition(code: str, province: Node) -> None:
        with province.db.transaction() as session:
            edition = compile_province(session, province.signer(), DEMO_ACTOR, cycle_code, code)
            sent = package(session, edition)
        with national.db.transaction() as session:
            trust_key(session, DEMO_ACTOR, "province", code, province.verifier())
            receive_package(session, DEMO_ACTOR, sent, nation_key)

    provinces = {code: open_node(nodes / f"province-{code}") for code in by_province}
    try:
        for code, institutions in sorted(by_province.items()):
            join_cycle(provinces[code])
            for institution in institutions:
                node = open_node(nodes / f"institution-{institution}")
                join_cycle(node)
                node.close()
                send_return(institution, provinces[code])
            send_edition(code, provinces[code])
        with national.db.transaction() as session:
            first = compile_nation(session, national.signer(), DEMO_ACTOR, cycle_code)
            # Published only once the nation signs the edition off as final.
            sign_off_as_final(session)
        # A correction travels the same way and makes a new version at every level.
        code, institutions = sorted(by_province.items())[0]
        send_return(institutions[0], provinces[code], remarks="corrected after review")
        send_edition(code, provinces[code])
        with national.db.transaction() as session:
            latest = compile_nation(session, national.signer(), DEMO_ACTOR, cycle_code)
            # The correction is protected together with the edition it corrects.
            sign_off_as_final(session)
        for code, province in sorted(provinces.items()):
            with province.db.reader() as session:
                states = Counter(s.state for s in completeness(session, cycle_code, code))
            console.print(f"province {code}: {dict(states)}", highlight=False)
    finally:
        for province in provinces.values():
            province.close()
    with national.db.reader() as session:
        check = verify_survey(session, cycle_code, nation_key)
        published = published_edition(session, cycle_code, national.settings.survey.nation)
    assert published is not None  # signed off above
    content: dict[str, Any] = json.loads(latest.body)
    hidden = sum(len(p.primary) + len(p.secondary) for p in published.tables.values())
    write_tables(published, directory / "survey" / cycle_code)
    with national.db.reader() as session:
        facts = cycle_facts(get_cycle(session, cycle_code))
        labels = region_labels(session)
    reports = [
        render_report(
            published,
            content,
            facts,
            directory / "survey" / cycle_code,
            province_names={c: pair[0 if locale == "en" else 1] for c, pair in labels.items()},
            issuer=national.settings.name,
            catalogue=catalogue,
            locale=locale,
        )
        for locale in LOCALES
    ]
    console.print(
        f"national edition v{latest.version} replaces v{first.version} "
        f"({latest.replaces[:12] if latest.replaces else ''}); survey verify: "
        f"{'ok' if check.ok else check.problems} over {check.documents} documents at the "
        f"nation; {hidden} table cells suppressed below {published.threshold}"
    )
    return content, reports


CONSOLE_PORTS = {"institution": 8470, "nation": 8471}
"""Where ``hgr demo --serve`` serves the first institution's node and the national node."""


@dataclass(frozen=True)
class DemoNodes:
    """The nodes a person can click through after the demo: the first institution's (where
    a steward signs in) and the nation's (the public debarment list)."""

    institution: Path
    nation: Path


def _console_sign_ins(
    directory: Path, home: Path, code: str, nation: Path, console: Console
) -> None:
    """Give the first institution a steward who signs in to the console with a password, and
    say where the console is and who may sign in."""
    password = secrets.token_urlsafe(12)  # a fresh one each run, shown once and kept below
    node = open_node(home)
    try:
        with node.db.transaction() as session:
            add_user(session, DEMO_ACTOR, "steward", Role.INSTITUTION_STEWARD, code)
            set_password(session, DEMO_ACTOR, "steward", password)
    finally:
        node.close()
    sign_ins = directory / "console-sign-ins.txt"
    sign_ins.write_text(f"steward of {code}: steward / {password}\n", encoding="utf-8")
    sign_ins.chmod(0o600)
    institution_url = f"http://127.0.0.1:{CONSOLE_PORTS['institution']}/console/"
    nation_url = f"http://127.0.0.1:{CONSOLE_PORTS['nation']}/console/"
    console.print(
        f"the steward of {code}:  {institution_url}  sign in as steward, password {password}\n"
        f"the public:          {nation_url}  (no sign-in: the landing page and the "
        "debarment list)\n"
        f"serve both:          hgr demo {directory} --serve, or "
        f"hgr serve --home {home} --port {CONSOLE_PORTS['institution']} and "
        f"hgr serve --home {nation} --port {CONSOLE_PORTS['nation']}\n"
        f"the sign-ins are kept in {sign_ins}"
    )


def run_demo(
    directory: Path, *, donors: int = 300, force: bool = False, console: Console
) -> DemoNodes:
    """Run the demo in ``directory`` and print what happened; returns the nodes to serve."""
    _prepare(directory, force)
    nation_dir = directory / "synthetic-nation"
    console.rule("1. Synthesise a nation")
    summary = synthesise_nation(nation_dir, SynthConfig(donors=donors, seed=2026))
    console.print(
        f"{summary.donors} donors, {summary.institutions} institutions, {summary.provinces} "
        f"provinces, {summary.families} families, {summary.duplicates} people enrolled twice"
    )

    console.rule("2. Create the nodes")
    institutions_csv = nation_dir / "institutions.csv"
    by_province = _institutions_by_province(institutions_csv)
    nodes = directory / "nodes"
    national = init_node(nodes / "nation", role=NodeRole.NATION, name="National authority")
    import_files(national.db, national.keys, [institutions_csv])
    console.print(f"nation      {nodes / 'nation'}")
    for province, codes in sorted(by_province.items()):
        node = init_node(
            nodes / f"province-{province}",
            role=NodeRole.PROVINCE,
            name=f"Province {province}",
            region_code=province,
        )
        import_files(node.db, node.keys, [institutions_csv])
        node.close()
        console.print(f"province    {nodes / f'province-{province}'} ({len(codes)} institutions)")

    console.rule("3. Each institution imports what it holds")
    # The federation's fingerprint panel: common SNPs drawn from one cohort's genotypes.
    first_vcf = next(iter(sorted(nation_dir.glob("institutions/*/genotypes.vcf.gz"))))
    panel = select_panel(first_vcf, PANEL_SITES)
    national_key = nodes / "nation" / "keys" / "node.c4gh.pub"
    fingerprints: list[Path] = []
    registered: list[tuple[str, str]] = []  # (institution, pseudonym), as survey returns list
    verified: dict[str, dict[str, FamilyReport]] = {}  # institution -> family -> verification
    table = Table(
        "institution",
        "donors",
        "samples",
        "families",
        "pedigree warnings",
        "genotyped",
        "variants",
        "QC flags",
        "families flagged",
    )
    for codes in by_province.values():
        for code in codes:
            node = init_node(
                nodes / f"institution-{code}",
                role=NodeRole.INSTITUTION,
                name=code,
                institution_code=code,
            )
            folder = nation_dir / "institutions" / code
            files = [folder / name for name in INSTITUTION_FILES if (folder / name).exists()]
            import_files(node.db, node.keys, [institutions_csv])
            result = import_files(node.db, node.keys, files, institution=code)
            changes = result.changes
            genotyped, variants, flagged, families_flagged = "0", "0", "0", "0"
            if (folder / "genotypes.vcf.gz").exists():
                stored = ingest(
                    node.db,
                    node.settings.home,
                    node.keys,
                    [folder / "genotypes.vcf.gz"],
                    institution=code,
                    collection=f"{code}-POP",
                )
                qc = qc_report(node.db, institution=code, collection=f"{code}-POP")
                genotyped, variants = str(stored.samples), str(stored.variants)
                flagged = str(len(qc.flagged))
                checked = verify_collection_pedigrees(
                    node.db, node.settings.home, institution=code, collection=f"{code}-POP"
                )
                families_flagged = f"{sum(not f.ok for f in checked.families)}/" + str(
                    len(checked.families)
                )
                verified[code] = {f.family: f for f in checked.families}
                prints = fingerprint_collection(
                    node.db, node.settings.home, panel, institution=code, collection=f"{code}-POP"
                )
                sealed = directory / "fingerprints" / f"{code}.c4gh"
                sealed.parent.mkdir(exist_ok=True)
                seal_fingerprints(prints, national_key, sealed, node.keys)
                fingerprints.append(sealed)
            with node.db.reader() as session:
                registered += [(code, p) for p in session.scalars(select(Donor.pseudonym))]
            table.add_row(
                code,
                str(changes["donors"].inserted),
                str(changes["samples"].inserted),
                str(changes["families"].inserted) if "families" in changes else "0",
                str(len(result.report.warnings)),
                genotyped,
                variants,
                flagged,
                families_flagged,
            )
            node.close()
    console.print(table)
    console.print(f"institution nodes in {nodes}/institution-<CODE>")

    console.rule("3b. A careless re-import changes nothing unseen")
    first = next(iter(next(iter(by_province.values()))))
    steward_node = open_node(nodes / f"institution-{first}")
    try:
        careless_reimport(
            steward_node,
            nation_dir / "institutions" / first / "donors.csv",
            directory / "reimport",
            first,
            DEMO_ACTOR,
            console,
        )
    finally:
        steward_node.close()

    console.rule("4. The same person at two institutions")
    linked = link_donors(
        national.db, national.keys, fingerprints, actor=DEMO_ACTOR, grounds="hgr demo"
    )
    with national.db.reader() as session:
        people = unique_donors(session, registered)
    console.print(
        f"{linked.fingerprints} fingerprints ({len(panel.sites)} SNPs each, sealed to the "
        f"nation) compared: {linked.candidates} candidate pairs, {linked.duplicates} duplicates "
        f"linked; {len(registered)} donor records are {people} people"
    )

    console.rule("5. The catalogue of important pedigrees and specific-region resources")
    catalogue = _catalogue(directory, national, nodes, by_province, verified, console)

    console.rule("6. The national survey")
    edition, reports = _survey(
        directory, national, nodes, by_province, institutions_csv, catalogue, console
    )
    truth = summary.donors - summary.duplicates
    console.print(
        f"national edition v{edition['version']}: {edition['totals']['donors']} donor records, "
        f"{edition['totals']['persons']} persons (synthetic truth: {truth} people)"
    )

    console.rule("7. Governed access and the debarment list")
    run_access(directory, nodes, national, console)

    console.rule("8. What the national registry knows")
    with national.db.reader() as session:
        rows = count_summary(session)
    national.close()
    foreign = [r["institution"] for r in rows if r["control"] != "domestic"]
    console.print(
        f"{len(rows)} institutions registered nationally; foreign-controlled: "
        f"{', '.join(foreign) or 'none'}"
    )
    console.rule("Where to look")
    console.print(f"synthetic files:   {nation_dir}")
    console.print(f"survey tables (as published): {reports[0].html.parent}")
    console.print(f"catalogue (JSON, registered pedigrees as SVG): {directory / 'catalogue'}")
    console.print(f"access (filing, encrypted export, recipient key): {directory / 'access'}")
    console.print(f"debarment list (public page): {directory / 'debarment' / 'debarment.html'}")
    console.print(f"truth (duplicates, relatives, planted errors): {nation_dir / 'truth'}")
    console.print(
        f"try:  hgr summary --home {nodes / f'institution-{first}'}\n"
        f"      hgr list families --home {nodes / f'institution-{first}'}\n"
        f"      hgr genotypes qc -c {first}-POP --home {nodes / f'institution-{first}'}\n"
        f"      hgr relatedness pedigree -c {first}-POP -o {directory / first} "
        f"--home {nodes / f'institution-{first}'}\n"
        f"      hgr list institutions --home {nodes / 'nation'}\n"
        f"      hgr survey verify --home {nodes / 'nation'}\n"
        f"      hgr catalogue list --home {nodes / 'nation'}"
    )
    console.rule("The national survey report")
    for report in reports:
        for path in (report.html, report.pdf):
            if path is not None:
                console.print(str(path), highlight=False, soft_wrap=True)
    console.rule("The web console")
    home = nodes / f"institution-{first}"
    _console_sign_ins(directory, home, first, nodes / "nation", console)
    return DemoNodes(home, nodes / "nation")
