"""``hgr beacon``: the Beacon v2 discovery service's own commands."""

import json
import secrets
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Annotated

import typer

from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    JsonOption,
    TsvOption,
    changing,
    print_rows,
    progress_bar,
    reading,
    table,
)
from hgr.cli.common import out as console
from hgr.dates import utc_now
from hgr.exceptions import UsageError

__all__ = ["beacon_app"]

beacon_app = typer.Typer(help="The Beacon v2 discovery service.", no_args_is_help=True)

Level = Annotated[str | None, typer.Option(help="none, boolean, count or record.")]

# The ledger's two kinds of line under one header: a release's fields, then those of a
# year's spending that a release lacks.
_LEDGER_COLUMNS = [
    "entry",
    "dataset",
    "released_at",
    "slice",
    "variants",
    "donors",
    "rho",
    "requester",
    "year",
    "holder",
    "spent",
    "budget",
]


@beacon_app.command("datasets")
def datasets_(
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """What each dataset exposes to each tier, and its thresholds.

    Example: hgr beacon datasets --tsv > exposure.tsv"""
    from hgr.privacy.exposure import Exposure, datasets

    with reading(home, database_url) as (node, session):
        found = datasets(session, node.settings.home)
    if as_json or as_tsv:
        rows = [{"dataset": d.id, "donors": d.donors, **asdict(d.exposure)} for d in found]
        columns = ["dataset", "donors", *(f.name for f in fields(Exposure))]
        print_rows("Beacon datasets", rows, columns, as_json=as_json, as_tsv=as_tsv)
        return
    for d in found:
        e = d.exposure
        console.print(
            f"{d.id}: {d.donors} donors; anonymous {e.anonymous}, registered "
            f"{e.registered}, controlled {e.controlled}; k {e.min_carriers}; counts "
            f"floored at {e.count_floor} and rounded to {e.count_step}, epsilon "
            f"{e.count_epsilon} each of {e.epsilon_budget}; evidence budget "
            f"{e.evidence_budget} nats; frequencies with noise {e.frequency_sd}, rho "
            f"{e.frequency_rho} a year ({e.frequency_rho_per_organisation} per "
            f"organisation), slices of at least {e.frequency_min_donors} donors",
            highlight=False,
            soft_wrap=True,
        )
    if not found:
        console.print("no datasets")


@beacon_app.command("exposure")
def exposure(
    dataset: Annotated[str, typer.Argument(help="INSTITUTION:COLLECTION.")],
    anonymous: Level = None,
    registered: Level = None,
    controlled: Level = None,
    min_carriers: Annotated[int | None, typer.Option(help="Hide alleles below k.")] = None,
    count_floor: Annotated[int | None, typer.Option()] = None,
    count_step: Annotated[int | None, typer.Option()] = None,
    count_epsilon: Annotated[float | None, typer.Option(help="Per released count.")] = None,
    epsilon_budget: Annotated[float | None, typer.Option(help="Per holder.")] = None,
    evidence_budget: Annotated[float | None, typer.Option(help="Nats per donor.")] = None,
    frequency_sd: Annotated[
        float | None, typer.Option(help="Noise (sd) on each released frequency.")
    ] = None,
    frequency_rho: Annotated[
        float | None, typer.Option(help="zCDP rho a year for frequency releases.")
    ] = None,
    frequency_rho_per_organisation: Annotated[
        float | None, typer.Option(help="Of which one organisation may spend.")
    ] = None,
    frequency_min_donors: Annotated[
        int | None, typer.Option(help="Smallest slice whose frequencies are released.")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Set what a dataset exposes to each tier, and its thresholds (the rest stays).

    Example: hgr beacon exposure BJ-H001:COL-HD --anonymous none --min-carriers 10"""
    from hgr.privacy.exposure import set_exposure

    given = {
        "anonymous": anonymous,
        "registered": registered,
        "controlled": controlled,
        "min_carriers": min_carriers,
        "count_floor": count_floor,
        "count_step": count_step,
        "count_epsilon": count_epsilon,
        "epsilon_budget": epsilon_budget,
        "evidence_budget": evidence_budget,
        "frequency_sd": frequency_sd,
        "frequency_rho": frequency_rho,
        "frequency_rho_per_organisation": frequency_rho_per_organisation,
        "frequency_min_donors": frequency_min_donors,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    with changing(home, database_url) as (_node, session, by):
        after = set_exposure(session, by, dataset, utc_now(), **changes)
    console.print(
        f"{dataset}: anonymous {after.anonymous}, registered {after.registered}, "
        f"controlled {after.controlled}, k {after.min_carriers}"
    )


@beacon_app.command("frequency-ledger")
def frequency_ledger(
    dataset: Annotated[
        str | None, typer.Argument(help="INSTITUTION:COLLECTION (default: all).")
    ] = None,
    as_json: JsonOption = False,
    as_tsv: TsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The allele-frequency releases made to collaborators, and the privacy (zCDP rho) each
    year's releases have spent, per dataset and per organisation.

    With --json or --tsv both are one listing: a line's entry field says which it is
    (release or spent), and it has only that kind's fields.

    Example: hgr beacon frequency-ledger BJ-H001:COL-HD --json"""
    from hgr.beacon.frequencies import frequency_ledger as frequency_ledger_of

    with reading(home, database_url) as (_node, session):
        ledger = frequency_ledger_of(session, dataset)
    if as_json or as_tsv:
        rows = [{"entry": "release", **asdict(e)} for e in ledger.releases] + [
            {"entry": "spent", **asdict(s)} for s in ledger.spent
        ]
        print_rows("Frequency ledger", rows, _LEDGER_COLUMNS, as_json=as_json, as_tsv=as_tsv)
        return
    for entry in ledger.releases:
        console.print(
            f"{entry.released_at:%Y-%m-%d %H:%M} {entry.dataset} {entry.slice}: "
            f"{entry.variants:,} variants over ~{entry.donors} donors, rho "
            f"{entry.rho:.4g}, for {entry.requester}",
            highlight=False,
            soft_wrap=True,
        )
    for spent in ledger.spent:
        console.print(
            f"{spent.dataset} {spent.year} {spent.holder}: rho {spent.spent:.4g} of "
            f"{spent.budget:g} spent",
            highlight=False,
            soft_wrap=True,
        )
    if not ledger.releases and not ledger.spent:
        console.print("no frequency releases")


@beacon_app.command("attack-sim")
def attack_sim(
    members: Annotated[int, typer.Option(min=20, help="Donors in the simulated beacon.")] = 1_000,
    victims: Annotated[
        int,
        typer.Option(
            min=20,
            help="Members attacked, and as many outsiders. 300 reads power to about ±0.03; "
            "judge the 0.10 target with every member (--victims 1000, about an hour).",
        ),
    ] = 300,
    variants: Annotated[int, typer.Option(min=1_000, help="Alleles simulated.")] = 200_000,
    questions: Annotated[
        int, typer.Option(min=10, help="Questions per victim for the colluding accounts.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 7,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="A database to keep the ledger in while the "
            "attacks run (nothing is kept); default: a temporary SQLite file.",
        ),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
    check: Annotated[
        bool, typer.Option(help="Exit with status 1 when a target is missed.")
    ] = False,
) -> None:
    """Attack the beacon's defences with simulated membership-inference attackers
    (Shringarpure–Bustamante, an informed attacker, colluding accounts) and print their
    power at a 5% false-positive rate, with and without the defences.

    Example: hgr beacon attack-sim --victims 1000 --json figures.json --check"""
    from hgr.attacks.membership import (
        MID_CARRIERS,
        QUERY_STEPS,
        UPDATE_SIZES,
        default_scenarios,
        run_simulation,
        simulate_population,
        update_diff,
        update_shortfalls,
    )
    from hgr.db import Database, upgrade_schema

    population = simulate_population(members, victims, variants, seed)
    with tempfile.TemporaryDirectory(prefix="hgr-attack-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'ledger.db'}"
        upgrade_schema(url)
        db = Database(url)
        # A throwaway database of simulated donors: a key of its own seals its rows.
        db.seal_with(secrets.token_bytes(32))
        try:
            with progress_bar() as progress:
                report = run_simulation(
                    db, population, default_scenarios(questions), victims, seed, progress=progress
                )
            diffs = [
                update_diff(db, population, added, seed, defended=defended)
                for added in UPDATE_SIZES
                for defended in (False, True)
            ]
        finally:
            db.dispose()
    steps = [n for n in QUERY_STEPS if any(n in c.power for c in report.curves)]
    rows = []
    for curve in report.curves:
        row: dict[str, object] = {"attack": curve.scenario.name}
        row.update({f"n={n:,}": f"{curve.power[n]:.2f}" if n in curve.power else "" for n in steps})
        row["max"] = f"{curve.max_power:.2f}"
        row["refused"] = f"{curve.refused:.0%}"
        rows.append(row)
    console.print(
        table(
            f"Power at 5% false positives: N = {members:,} donors, "
            f"{variants:,} alleles, {report.victims} members and as many "
            "outsiders attacked",
            rows,
        )
    )
    for curve in report.curves:
        console.print(f"{curve.scenario.name}: {curve.scenario.label}")
    console.print(
        f"utility: {report.utility:.3f} of alleles with at least "
        f"{report.exposure.min_carriers} carriers shown to a benign client "
        f"({report.utility_questions:,} random questions); "
        f"{report.utility_mid:.3f} of those with {MID_CARRIERS[0]} to {MID_CARRIERS[1]}"
    )
    console.print(
        table(
            "Utility after a sweep: what the same benign questions are shown",
            [
                {
                    "sweep": kind,
                    "alleles decided": f"{decided:,}",
                    "utility": f"{utility:.3f}",
                    f"{MID_CARRIERS[0]}-{MID_CARRIERS[1]} carriers": f"{mid:.3f}",
                }
                for kind, (decided, utility, mid) in report.sweeps.items()
            ],
        )
    )
    console.print(
        table(
            "Attacker D, update diff: the newcomers' rare alleles revealed by "
            "answers that changed from no to yes",
            [
                {
                    "added": d.added,
                    "beacon": "defended" if d.defended else "undefended",
                    "singletons": d.singletons,
                    "revealed": f"{d.revealed_singletons:.2f}",
                    "doubletons": d.doubletons,
                    "revealed ": f"{d.revealed_doubletons:.2f}",
                    "answers changed": d.changed,
                }
                for d in diffs
            ],
        )
    )
    if json_out:
        figures = {**report.as_dict(), "update_diff": [vars(d) for d in diffs]}
        json_out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    missed = report.shortfalls() + update_shortfalls(diffs)
    for line in missed:
        console.print(f"[red]target missed[/red]: {line}")
    if not missed:
        console.print("targets met: power at most 0.10 with defences, at least 0.95 without")
    if check and missed:
        raise typer.Exit(1)


@beacon_app.command("tracing-sim")
def tracing_sim(
    members: Annotated[int, typer.Option(min=100, help="Donors in the released slice.")] = 1_000,
    victims: Annotated[
        int,
        typer.Option(min=20, help="Members attacked, and as many outsiders (at most --members)."),
    ] = 1_000,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 7,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
    check: Annotated[
        bool, typer.Option(help="Exit with status 1 when a target is missed.")
    ] = False,
) -> None:
    """Attack released allele frequencies (Homer, likelihood ratio, inner product) with and
    without differential privacy, and print each attack's power at 5% false positives.

    Example: hgr beacon tracing-sim --members 1000 --json tracing.json --check"""
    from hgr.attacks.tracing import ATTACKS, trace
    from hgr.attacks.tracing import default_scenarios as tracing_scenarios
    from hgr.attacks.tracing import shortfalls as tracing_shortfalls

    if victims > members:
        raise UsageError("--victims cannot exceed --members", code="E_USAGE")
    results = []
    for scenario in tracing_scenarios(members):
        result = trace(members, victims, scenario.variants, scenario.frequency_sd, seed=seed)
        results.append((scenario, result))
    rows = [
        {
            "release": s.name,
            "variants": f"{s.variants:,}",
            "noise sd": f"{s.frequency_sd:.3g}" if s.frequency_sd else "none",
            "rho": f"{r.rho:.2f}" if s.frequency_sd else "-",
            **{a: f"{r.power[a]:.2f}" for a in ATTACKS},
            "bound": f"{r.bound:.2f}",
            "within 0.01": f"{r.released_within_001:.2f}",
        }
        for s, r in results
    ]
    console.print(
        table(
            f"Power at 5% false positives: {members:,} donors, {victims} members "
            "and as many outsiders attacked",
            rows,
        )
    )
    if json_out:
        figures = [
            {
                "release": s.name,
                "variants": s.variants,
                "frequency_sd": s.frequency_sd,
                "rho": r.rho if s.frequency_sd else None,
                "power": r.power,
                "bound": r.bound,
                "within_0.01": r.released_within_001,
            }
            for s, r in results
        ]
        json_out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    missed = tracing_shortfalls(results)
    for line in missed:
        console.print(f"[red]target missed[/red]: {line}")
    if not missed:
        console.print(
            "targets met: private releases under their bound and at most 0.10 on "
            "average; plain ones traced"
        )
    if check and missed:
        raise typer.Exit(1)
