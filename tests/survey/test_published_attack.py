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

from hgr.privacy import disclosure
from hgr.survey.publish import protect_release, publish, write_tables
from hgr.synth.editions import CATEGORIES, SyntheticNation, synthetic_nation
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


@pytest.mark.parametrize(
    ("donors", "institutions", "provinces"),
    [(300, 8, 3), (12_000, 40, 6)],
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


def test_persons_with_genomes_or_exomes_per_province_are_the_planted_truth() -> None:
    """The 500-person threshold counts persons with whole-genome or whole-exome data: a person
    with two records counts once, and the published column carries those counts."""
    nation = synthetic_nation(12_000, 40, 6, seed=3)
    edition = nation.edition()
    exome, genome = CATEGORIES.index("whole_exome"), CATEGORIES.index("whole_genome")
    people: dict[str, set[int]] = {}
    for record, institution in enumerate(nation.institution):
        if nation.categories[record, exome] or nation.categories[record, genome]:
            province = nation.institutions[institution][1]
            people.setdefault(province, set()).add(int(nation.person[record]))
    sequenced = edition["persons"]["sequenced"]
    assert sequenced["by_province"] == {p: len(s) for p, s in sorted(people.items())}
    assert sequenced["nation"] == len(set().union(*people.values()))
    records = sum(
        f["fields"]["persons_by_data_category"].get(c, 0)
        for f in edition["institutions"].values()
        for c in ("whole_exome", "whole_genome")
    )
    assert sequenced["nation"] < records  # records with both, and people enrolled twice


def test_the_persons_table_publishes_the_persons_with_genomes_or_exomes(tmp_path: Path) -> None:
    edition = synthetic_nation(1_000, 10, 3, seed=3).edition()
    sequenced = edition["persons"]["sequenced"]
    published = publish(edition, "0" * 64, THRESHOLD, INTERVAL)
    folder = tmp_path / "tables"
    write_tables(published, folder)
    header, *rows = (folder / "persons.csv").read_text(encoding="utf-8").splitlines()
    assert header == "unit,persons (persons),whole_genome_or_exome (persons)"
    column = {row.split(",")[0]: row.split(",")[2] for row in rows}
    for province, n in sequenced["by_province"].items():
        assert column[f"province:{province}"] in (str(n), "x")
    assert column["nation"] == str(sequenced["nation"])


def test_a_nation_audited_piece_by_piece_is_still_protected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A component larger than the audit's whole-program size is audited block by block, then
    around each target, with the rest held true, which can find a range narrower than the
    reader's. Such a count is not refused: a change of the hidden counts alone that moves it by
    the interval is the certificate that it is safe. The outsider still narrows nothing."""
    monkeypatch.setattr(disclosure, "LOCAL", 60)
    monkeypatch.setattr(disclosure, "HOOD", 60)
    monkeypatch.setattr(disclosure, "BLOCKS_ABOVE", 30)
    editions = _cycle(synthetic_nation(300, 8, 3, seed=3))
    folders = _publish_all(editions, tmp_path)
    assert attack(editions, folders, INTERVAL, THRESHOLD) == []
