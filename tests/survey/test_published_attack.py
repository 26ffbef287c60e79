"""Published survey tables that no combination of releases can undo.

A cycle publishes three editions of one synthetic nation, each signed off in turn: the first
without a late province, a one-donor correction, then the late province. An outsider holding
every published CSV of all three (:mod:`tests.survey.reader`) narrows no hidden count, and no
small count of people enrolled twice, to a range narrower than the protection interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hgr.survey.publish import protect_release, publish, write_tables
from hgr.synth.editions import SyntheticNation, synthetic_nation
from tests.survey.reader import attack

THRESHOLD = 5
INTERVAL = 5


def _cycle(nation: SyntheticNation) -> list[dict[str, Any]]:
    """The editions a cycle publishes: before a late province, corrected, then complete."""
    late = frozenset({nation.institutions[-1][1]})
    corrected = nation.corrected()
    return [nation.edition(without=late), corrected.edition(without=late), corrected.edition()]


def _publish_all(editions: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Sign each edition off in turn (protected with those before it) and write its CSVs."""
    earlier: list[tuple[dict[str, Any], dict[str, list[list[str]]]]] = []
    folders = []
    for n, edition in enumerate(editions):
        release = protect_release(edition, earlier, THRESHOLD, INTERVAL)
        assert release.unprotected == []
        earlier.append((edition, release.suppressed))
        published = publish(edition, f"{n:064d}", THRESHOLD, INTERVAL, release.suppressed)
        folders.append(folder / f"edition-{n}")
        write_tables(published, folders[-1])
    return folders


STUCK = pytest.mark.xfail(
    run=False,
    reason=(
        "the late province's edition of this nation leaves 37 counts (two universities' donor "
        "records and their breakdowns' totals) that the room-finding program cannot free: "
        "sign-off refuses it (E_SURVEY_UNPROTECTED); issue 30 stays open until it does"
    ),
)


@pytest.mark.parametrize(
    ("donors", "institutions", "provinces"),
    [(300, 8, 3), pytest.param(12_000, 40, 6, marks=STUCK)],
)
def test_no_hidden_count_is_narrowed_by_every_edition_together(
    tmp_path: Path, donors: int, institutions: int, provinces: int
) -> None:
    editions = _cycle(synthetic_nation(donors, institutions, provinces, seed=3))
    folders = _publish_all(editions, tmp_path)
    found = attack(editions, folders, INTERVAL, THRESHOLD)
    assert found == [], "\n".join(
        f"edition {f.edition} {f.what}: {f.truth} in [{f.low:g}, {f.high:g}]" for f in found[:20]
    )


def test_the_reader_recovers_what_each_table_alone_would_hide(tmp_path: Path) -> None:
    """The attack is not toothless: with each edition protected alone, as if no earlier one
    had been published, the three editions together give hidden counts away."""
    editions = _cycle(synthetic_nation(300, 8, 3, seed=3))
    folders = []
    for n, edition in enumerate(editions):
        published = publish(edition, f"{n:064d}", THRESHOLD, INTERVAL)
        folders.append(tmp_path / f"edition-{n}")
        write_tables(published, folders[-1])
    found = attack(editions, folders, INTERVAL, THRESHOLD)
    assert found, "the editions protected one by one should leak across editions"
    assert all(f.low <= f.truth <= f.high for f in found)


def test_persons_per_province_are_the_planted_truth() -> None:
    nation = synthetic_nation(12_000, 40, 6, seed=3)
    edition = nation.edition()
    people: dict[str, set[int]] = {}
    for record, institution in enumerate(nation.institution):
        province = nation.institutions[institution][1]
        people.setdefault(province, set()).add(int(nation.person[record]))
    assert edition["persons"]["by_province"] == {p: len(s) for p, s in sorted(people.items())}
    assert edition["persons"]["nation"] == len(set(nation.person.tolist()))
    assert sum(len(s) for s in people.values()) > edition["persons"]["nation"]  # overlap
