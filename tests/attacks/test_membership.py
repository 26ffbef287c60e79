"""The membership-inference attack simulation (security.md §1.7, T1–T3), at CI size: the
attacks must have teeth against an undefended beacon and fail against the defended one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from hgr.attacks.membership import (
    Scenario,
    UpdateDiff,
    power_at,
    run_simulation,
    simulate_population,
    update_diff,
    update_shortfalls,
)
from hgr.attacks.membership import _log_ratios as log_ratios
from hgr.cli.main import app
from hgr.db import Database
from tests.conftest import table_counts


def test_power_is_read_at_five_percent_false_positives() -> None:
    outsiders = np.arange(100, dtype=float)  # the 5 highest: 95..99
    assert power_at(np.full(50, 99.5), outsiders) == 1.0
    assert power_at(np.full(50, 94.5), outsiders) == 1.0  # above all but 5% of outsiders
    assert power_at(np.full(50, 93.5), outsiders) == 0.0  # would catch 6% of outsiders
    assert power_at(np.full(50, -1.0), outsiders) == 1.0  # low scores betray members too
    same = np.random.default_rng(1).normal(size=2_000)
    other = np.random.default_rng(2).normal(size=2_000)
    assert power_at(same, other) < 0.08


def test_simulated_population_follows_the_spectrum() -> None:
    population = simulate_population(members=400, outsiders=100, variants=20_000, seed=3)
    carriers = np.diff(population.allele_start)
    expected = 400 * (1 - (1 - population.frequencies) ** 2)
    assert carriers.sum() == pytest.approx(expected.sum(), rel=0.02)
    # The two indexes agree: person 7 carries allele j iff 7 is among j's carriers.
    for allele in population.carried_by(7)[:50]:
        assert 7 in population.carriers_of(int(allele))
    assert population.outsiders == 100
    assert len(population.carried_by(450)) > 0  # outsiders carry alleles too


def test_attacker_ratios_are_finite_and_informative() -> None:
    population = simulate_population(members=1_000, outsiders=10, variants=5_000, seed=4)
    for k in (1, 5):
        on_yes, on_no, kl = log_ratios(population, k)
        assert np.isfinite(on_yes).all()
        assert np.isfinite(on_no).all()
        assert (kl >= -1e-9).all()
    # Against k = 5 the most telling alleles are those expected near k carriers, not the
    # common ones.
    _, _, kl = log_ratios(population, 5)
    top = population.frequencies[np.argsort(-kl)[:20]]
    assert (2 * 1_000 * top < 10).all()


# CI size (security.md T1–T3): 1,000 donors, 50,000 alleles, 100 members and 100 outsiders.
# Each victim's questions are rolled back before the next victim's, so the scenarios of one
# simulation are independent: they run in two tests, which a parallel run spreads.
CI_POPULATION = {"members": 1_000, "outsiders": 100, "variants": 50_000, "seed": 11}


def test_attacks_have_teeth_without_defences_and_fail_with_them(sqlite_db: Database) -> None:
    """The defended beacon answers through the same code path and ledger."""
    population = simulate_population(**CI_POPULATION)
    scenarios = [
        Scenario("undefended-informed", "informed", defended=False, questions=100),
        Scenario("defended-informed", "informed", defended=True, questions=1_000),
    ]
    report = run_simulation(
        sqlite_db, population, scenarios, victims=100, seed=5, utility_questions=3_000
    )
    assert report.curve("undefended-informed").max_power >= 0.95
    one = report.curve("defended-informed")
    assert one.max_power <= 0.10, one.power
    assert report.shortfalls() == []
    # A benign client still sees most alleles the beacon may show.
    assert report.utility > 0.8
    assert not math.isnan(report.utility)
    # One question deciding every allele (a whole contig's range, before ranges paid for
    # their width) spends the budgets for everyone: the same benign questions are shown
    # far fewer of the alleles the budgets decide. A sweeper spending an anonymous address's
    # day decides a tenth of them, and costs the benign client much less.
    fresh = report.sweeps["none"]
    whole = report.sweeps["one question, every allele"]
    day = report.sweeps["one anonymous address's day"]
    assert whole[0] == CI_POPULATION["variants"]
    assert day[0] == 200 // 10 * 10_000 // 40
    assert whole[2] < fresh[2] / 2
    assert whole[2] < day[2] <= fresh[2]
    sqlite_db.dispose()


def test_colluding_accounts_fail_against_the_defences(sqlite_db: Database) -> None:
    """Ten accounts of ten organisations pool their daily caps: 10,000 questions a victim."""
    population = simulate_population(**CI_POPULATION)
    sybil = Scenario("defended-sybil", "informed", defended=True, accounts=10, questions=10_000)
    report = run_simulation(
        sqlite_db, population, [sybil], victims=100, seed=5, utility_questions=1, sweeps_too=False
    )
    curve = report.curve("defended-sybil")
    assert curve.max_power <= 0.10, curve.power
    assert set(curve.power) >= {5, 100, 1_000}  # every victim's alleles were asked about
    assert report.shortfalls() == []
    sqlite_db.dispose()


def test_the_simulation_leaves_the_database_as_it_found_it(db: Database) -> None:
    before = table_counts(db)
    population = simulate_population(members=200, outsiders=20, variants=3_000, seed=2)
    report = run_simulation(
        db,
        population,
        [Scenario("d", "informed", defended=True, accounts=2, questions=200)],
        victims=20,
        seed=3,
        utility_questions=500,
    )
    assert report.curve("d").power
    assert table_counts(db) == before


def test_the_command_prints_power_curves(tmp_path: object) -> None:
    result = CliRunner().invoke(
        app,
        [
            "beacon",
            "attack-sim",
            "--members",
            "200",
            "--victims",
            "20",
            "--variants",
            "2000",
            "--questions",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Power at 5% false positives" in result.output
    assert "utility" in result.output
    assert "Attacker D, update diff" in result.output


def test_update_diff_reveals_singletons_only_without_defences(sqlite_db: Database) -> None:
    """security.md T4 at CI size: an update of 1, 2 or 5 donors to a beacon of 1,000, diffed
    over every allele the newcomers carry. On SQLite, as the other attacks at CI size: the
    ledger's code is the same on both databases, and PostgreSQL triples the time."""
    db = sqlite_db
    before = table_counts(db)
    population = simulate_population(members=1_000, outsiders=10, variants=50_000, seed=11)
    diffs = [
        update_diff(db, population, added, seed=3, defended=defended)
        for added in (1, 2, 5)
        for defended in (False, True)
    ]
    for diff in diffs:
        assert diff.singletons > 0
        if diff.defended:
            assert diff.revealed_singletons == 0.0
            assert diff.revealed_doubletons == 0.0
            assert diff.changed == 0  # decide-once: no answer moves with the update
        else:
            assert diff.revealed_singletons == 1.0  # the attack has teeth
    assert update_shortfalls(diffs) == []
    assert table_counts(db) == before
    db.dispose()


def test_update_shortfalls_name_what_is_missed() -> None:
    leaky = UpdateDiff(1, True, 3, 10, 1 / 3, 0.0, 1)
    weak = UpdateDiff(1, False, 3, 10, 0.5, 0.0, 2)
    missed = update_shortfalls([leaky, weak])
    assert len(missed) == 2
    assert "0.33 of the newcomers' singletons revealed with defences" in missed[0]
    assert "too weak" in missed[1]
