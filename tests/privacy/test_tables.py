"""Disclosure control: an attacker who solves the published relations exactly recovers nothing."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from hgr.privacy.tables import TOTAL, Cell, Protected, Table, protect


def attack(protected: Protected) -> dict[Cell, Fraction]:
    """Every hidden cell an attacker can pin down from the published cells and margins.

    Independent of the library's SVD: exact Gauss-Jordan elimination over the rationals. A
    hidden cell is recovered when some combination of the relations involves it alone.
    """
    table, published = protected.table, protected.published
    hidden = sorted(c for c, v in published.items() if v is None)
    column = {c: n for n, c in enumerate(hidden)}
    rows: list[list[Fraction]] = []
    for total, parts in table.relations():
        row = [Fraction(0)] * (len(hidden) + 1)
        for cell, sign in [(total, 1), *((p, -1) for p in parts)]:
            value = published[cell]
            if value is None:
                row[column[cell]] += sign
            else:
                row[-1] -= sign * value  # move the known part to the right-hand side
        if any(row[:-1]):
            rows.append(row)
    pivot_row = 0
    pivots: list[int] = []
    for col in range(len(hidden)):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        lead = rows[pivot_row][col]
        rows[pivot_row] = [x / lead for x in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivots.append(col)
        pivot_row += 1
    recovered = {}
    for r, col in enumerate(pivots):
        if sum(1 for x in rows[r][:-1] if x != 0) == 1:
            recovered[hidden[col]] = rows[r][-1]
    return recovered | bounds_attack(hidden, rows)


def bounds_attack(hidden: list[Cell], rows: list[list[Fraction]]) -> dict[Cell, Fraction]:
    """Cells pinned by what a reader also knows: a hidden count is at least 1 (zeros are
    published). Each cell's least and greatest value under the relations, by linear programs."""
    if not rows:
        return {}
    matrix = np.array([[float(x) for x in row[:-1]] for row in rows])
    rhs = np.array([float(row[-1]) for row in rows])
    pinned = {}
    for j, cell in enumerate(hidden):
        objective = np.zeros(len(hidden))
        objective[j] = 1
        low = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=(1, None), method="highs")
        high = linprog(-objective, A_eq=matrix, b_eq=rhs, bounds=(1, None), method="highs")
        assert low.status == 0, "the published table admits its own true values"
        if high.status == 0 and round(-high.fun - low.fun, 6) == 0:
            pinned[cell] = Fraction(round(low.fun))
    return pinned


def nation(
    leaves: dict[str, dict[str, int]], provinces: dict[str, list[str]], partition: bool = True
) -> Table:
    categories = sorted({c for row in leaves.values() for c in row})
    groups = {f"province:{p}": members for p, members in provinces.items()}
    kinds: dict[str, list[str]] = {}
    for n, leaf in enumerate(sorted(leaves)):
        kinds.setdefault(f"kind:{'hospital' if n % 2 else 'biobank'}", []).append(leaf)
    groups.update(kinds)
    groups["nation"] = sorted(leaves)
    return Table("samples_by_material", categories, leaves, groups, partition)


def test_the_attacker_recovers_what_primary_suppression_alone_leaves() -> None:
    table = nation(
        {"A": {"dna": 3, "blood": 40}, "B": {"dna": 20, "blood": 31}}, {"11": ["A", "B"]}
    )
    values = table.values()
    alone = Protected(table, 5, {c: None if c == ("A", "dna") else v for c, v in values.items()})
    assert attack(alone) == {("A", "dna"): 3}
    # Two hidden ones summing to 2 are both 1: the bounds give them away.
    ones = nation(
        {"A": {"dna": 1, "blood": 1, "rna": 30}, "B": {"dna": 9, "blood": 9, "rna": 9}},
        {"11": ["A", "B"]},
    )
    hidden = {("A", "dna"), ("A", "blood")}
    pair = Protected(ones, 5, {c: None if c in hidden else v for c, v in ones.values().items()})
    assert attack(pair) == {("A", "dna"): 1, ("A", "blood"): 1}


def test_a_lone_small_cell_gets_a_partner_in_every_relation() -> None:
    table = nation(
        {
            "A": {"dna": 3, "blood": 40},
            "B": {"dna": 20, "blood": 31},
            "C": {"dna": 12, "blood": 9},
            "D": {"dna": 30, "blood": 25},
        },
        {"11": ["A", "B"], "31": ["C", "D"]},
    )
    protected = protect(table, threshold=5)
    assert protected.primary == {("A", "dna")}
    assert protected.published[("A", "dna")] is None
    assert protected.secondary, "a lone hidden cell would be given away by its row total"
    assert attack(protected) == {}
    assert protected.published[("nation", TOTAL)] == 170  # nothing more is hidden than needed


def test_two_small_cells_under_crossing_province_and_kind_margins_stay_hidden() -> None:
    # Two provinces of two institutions, with kind margins crossing them; A's and D's DNA are
    # small. The attacker has every margin and still recovers neither.
    table = nation(
        {
            "A": {"dna": 2, "blood": 50, "saliva": 7},
            "B": {"dna": 9, "blood": 8, "saliva": 60},
            "C": {"dna": 40, "blood": 6, "saliva": 8},
            "D": {"dna": 3, "blood": 70, "saliva": 9},
        },
        {"11": ["A", "B"], "31": ["C", "D"]},
    )
    protected = protect(table, threshold=5)
    assert attack(protected) == {}
    assert {("A", "dna"), ("D", "dna")} <= set(protected.primary)


counts = st.integers(min_value=0, max_value=40)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(counts, min_size=3, max_size=3), min_size=2, max_size=7),
    st.integers(min_value=1, max_value=3),
    st.booleans(),
    st.integers(min_value=2, max_value=10),
)
def test_no_hidden_cell_can_be_recovered(
    rows: list[list[int]], n_provinces: int, partition: bool, threshold: int
) -> None:
    leaves = {
        f"I{n}": dict(zip(("dna", "blood", "saliva"), row, strict=True))
        for n, row in enumerate(rows)
    }
    provinces: dict[str, list[str]] = {}
    for n, leaf in enumerate(leaves):
        provinces.setdefault(f"P{n % n_provinces}", []).append(leaf)
    table = nation(leaves, provinces, partition)
    protected = protect(table, threshold)
    values = table.values()
    for cell, value in protected.published.items():
        if 0 < values[cell] < threshold:
            assert value is None, f"{cell} = {values[cell]} is published"
        elif value is not None:
            assert value == values[cell]
    assert attack(protected) == {}
