"""``hgr beacon``: the Beacon v2 discovery service's own commands."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from hgr.beacon.attack import (
    QUERY_STEPS,
    default_scenarios,
    run_simulation,
    simulate_population,
)
from hgr.beacon.exposure import datasets, set_exposure
from hgr.cli.common import (
    DatabaseOption,
    HomeOption,
    command_node,
    fail,
    operator,
    progress_bar,
    table,
)
from hgr.cli.common import out as console
from hgr.db import Database, upgrade_schema
from hgr.exceptions import HgrError

__all__ = ["beacon_app"]

beacon_app = typer.Typer(help="The Beacon v2 discovery service.", no_args_is_help=True)

Level = Annotated[str | None, typer.Option(help="none, boolean, count or record.")]


@beacon_app.command("datasets")
def datasets_(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """What each dataset exposes to each tier, and its thresholds."""
    with command_node(home, database_url) as node, node.db.reader() as session:
        found = datasets(session, node.settings.home)
    for d in found:
        e = d.exposure
        console.print(f"{d.id}: {d.donors} donors; anonymous {e.anonymous}, registered "
                      f"{e.registered}, controlled {e.controlled}; k {e.min_carriers}; counts "
                      f"floored at {e.count_floor} and rounded to {e.count_step}, epsilon "
                      f"{e.count_epsilon} each of {e.epsilon_budget}; evidence budget "
                      f"{e.evidence_budget} nats", highlight=False, soft_wrap=True)  # fmt: skip
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
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Set what a dataset exposes to each tier, and its thresholds (the rest stays)."""
    given = {"anonymous": anonymous, "registered": registered, "controlled": controlled,
             "min_carriers": min_carriers, "count_floor": count_floor,
             "count_step": count_step, "count_epsilon": count_epsilon,
             "epsilon_budget": epsilon_budget, "evidence_budget": evidence_budget}  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    with command_node(home, database_url) as node, node.db.transaction() as session:
        after = set_exposure(session, operator(), dataset, dt.datetime.now(dt.UTC), **changes)
    console.print(f"{dataset}: anonymous {after.anonymous}, registered {after.registered}, "
                  f"controlled {after.controlled}, k {after.min_carriers}")  # fmt: skip


@beacon_app.command("attack-sim")
def attack_sim(
    members: Annotated[int, typer.Option(min=20, help="Donors in the simulated beacon.")] = 1_000,
    victims: Annotated[
        int, typer.Option(min=20, help="Members attacked, and as many outsiders.")
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
    power at a 5% false-positive rate, with and without the defences."""
    population = simulate_population(members, victims, variants, seed)
    with tempfile.TemporaryDirectory(prefix="hgr-attack-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'ledger.db'}"
        try:
            upgrade_schema(url)
            db = Database(url)
            try:
                with progress_bar() as progress:
                    report = run_simulation(db, population, default_scenarios(questions),
                                            victims, seed, progress=progress)  # fmt: skip
            finally:
                db.dispose()
        except HgrError as exc:
            fail(exc)
    steps = [n for n in QUERY_STEPS if any(n in c.power for c in report.curves)]
    rows = []
    for curve in report.curves:
        row: dict[str, object] = {"attack": curve.scenario.name}
        row.update({f"n={n:,}": f"{curve.power[n]:.2f}" if n in curve.power else ""
                    for n in steps})  # fmt: skip
        row["max"] = f"{curve.max_power:.2f}"
        row["refused"] = f"{curve.refused:.0%}"
        rows.append(row)
    console.print(table(f"Power at 5% false positives: N = {members:,} donors, "
                        f"{variants:,} alleles, {report.victims} members and as many "
                        "outsiders attacked", rows))  # fmt: skip
    for curve in report.curves:
        console.print(f"{curve.scenario.name}: {curve.scenario.label}")
    console.print(f"utility: {report.utility:.3f} of alleles with at least "
                  f"{report.exposure.min_carriers} carriers shown to a benign client "
                  f"({report.utility_questions:,} random questions)")  # fmt: skip
    if json_out:
        json_out.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    missed = report.shortfalls()
    for line in missed:
        console.print(f"[red]target missed[/red]: {line}")
    if not missed:
        console.print("targets met: power at most 0.10 with defences, at least 0.95 without")
    if check and missed:
        raise typer.Exit(1)
