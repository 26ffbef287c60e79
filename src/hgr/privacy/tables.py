"""Disclosure control for published survey tables: small counts suppressed, and kept hidden.

A published table holds a count per unit (institution, province, institution kind, nation)
and category (material, data category, disease...), with the margins that make it add up:
each aggregate unit is the sum of its institutions, and where the categories split a whole
(samples by material) each row is the sum of its cells. Suppressing a small count is not
enough; a hidden cell must not be recomputable from what is published. This module does what
statistical offices do (Hundepool et al., *Statistical Disclosure Control*, 2012, §4.2-4.3;
tau-Argus's "modular" and "hypercube" methods in spirit):

1. **Primary suppression**: every count with 0 < n < threshold.
2. **Secondary suppression**: an additive relation (total = sum of parts) with exactly one
   hidden cell gives it away, so another cell of the relation is hidden too (the smallest
   non-zero one, which costs the reader least).
3. **Audit**: relations interact (a hidden cell may be alone on no single relation and still
   follow from several together). The hidden cells are solved for with every published
   relation: a cell is recomputable when every solution of the linear system gives it the
   same value (its coordinate vanishes on the system's null space), or when the reader's
   bounds pin it: zeros are published, so a hidden cell is known to be at least 1, and two
   hidden cells summing to 2 are both 1. That is settled by the least and greatest value a
   linear program allows (the "audit" of tau-Argus). Each such cell gets one more partner
   hidden, and steps 2-3 repeat until no hidden cell is recomputable.

One table covers every level at once (institutions, provinces, kinds, nation), so that the
suppression pattern is consistent across levels: the levels are slices of one protected table,
never protected separately.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DEFAULT_THRESHOLD", "Cell", "Protected", "Table", "protect", "recomputable"]

DEFAULT_THRESHOLD = 5
"""Counts below this (and above zero) are not published; settable per node
(``[survey] suppress_below``)."""
TOTAL = "total"

Cell = tuple[str, str]  # (unit, category)


@dataclass
class Table:
    """Counts per leaf unit and category, and the aggregate units built from the leaves.

    ``partition`` says the categories split each unit's total (a ``total`` column is then
    published and is part of the relations); ``groups`` maps each aggregate unit to the leaf
    units it sums.
    """

    name: str
    categories: list[str]
    leaves: dict[str, dict[str, int]]
    groups: dict[str, list[str]]
    partition: bool = False

    @property
    def columns(self) -> list[str]:
        return [*self.categories, TOTAL] if self.partition else list(self.categories)

    @property
    def units(self) -> list[str]:
        return [*self.leaves, *self.groups]

    def values(self) -> dict[Cell, int]:
        """Every cell's true value, aggregates and totals included."""
        found: dict[Cell, int] = {}
        for unit, row in self.leaves.items():
            for c in self.categories:
                found[(unit, c)] = int(row.get(c, 0))
        for group, members in self.groups.items():
            for c in self.categories:
                found[(group, c)] = sum(found[(leaf, c)] for leaf in members)
        if self.partition:
            for unit in self.units:
                found[(unit, TOTAL)] = sum(found[(unit, c)] for c in self.categories)
        return found

    def relations(self) -> list[tuple[Cell, list[Cell]]]:
        """Each published additive relation as (total cell, part cells)."""
        found = [
            ((g, c), [(leaf, c) for leaf in members])
            for g, members in self.groups.items()
            for c in self.columns
        ]
        if self.partition:
            found += [((u, TOTAL), [(u, c) for c in self.categories]) for u in self.units]
        return found


@dataclass
class Protected:
    """A table ready to publish: ``published`` maps each cell to its count or None (hidden)."""

    table: Table
    threshold: int
    published: dict[Cell, int | None]
    primary: set[Cell] = field(default_factory=set)
    secondary: set[Cell] = field(default_factory=set)

    def row(self, unit: str) -> dict[str, int | None]:
        return {c: self.published[(unit, c)] for c in self.table.columns}


def protect(
    table: Table, threshold: int = DEFAULT_THRESHOLD, hidden: set[Cell] | None = None
) -> Protected:
    """Suppress ``table``'s small counts and every cell that would give one away.

    ``hidden`` forces cells to stay hidden (a pattern already published elsewhere).
    """
    values = table.values()
    relations = table.relations()
    primary = {cell for cell, v in values.items() if 0 < v < threshold}
    suppressed = set(primary) | set(hidden or ())
    by_cell: dict[Cell, list[int]] = defaultdict(list)
    for n, (total, parts) in enumerate(relations):
        for cell in (total, *parts):
            by_cell[cell].append(n)
    order = {cell: n for n, cell in enumerate(values)}

    def partner(cells: Sequence[Cell]) -> Cell | None:
        # The cheapest cell to hide beside a lone hidden one: smallest non-zero count,
        # leaves and categories before aggregates and totals, then table order.
        open_ = [c for c in cells if c not in suppressed and values[c] > 0]
        if not open_:
            return None
        # A partner of 1 adds no room to move (hidden cells are known to be at least 1).
        return min(
            open_,
            key=lambda c: (values[c] < 2, values[c], c[0] in table.groups, c[1] == TOTAL, order[c]),
        )

    while True:
        changed = True
        while changed:  # step 2: no relation may hold exactly one hidden cell
            changed = False
            for total, parts in relations:
                cells = [total, *parts]
                if sum(c in suppressed for c in cells) == 1:
                    extra = partner(cells)
                    if extra is not None:
                        suppressed.add(extra)
                        changed = True
        exposed = recomputable(table, suppressed)
        if not exposed:
            break
        # Step 3: give each exposed cell room to move. The cheapest way is a direction in
        # which it can change while every relation still holds (a "hypercube" through the
        # cell: with provinces and institution kinds crossing, it runs through several
        # institutions and categories); hiding that direction's cells frees it.
        added: set[Cell] = set()
        for cell in sorted(exposed, key=order.__getitem__):
            if cell in added:
                continue
            added |= _free_direction(cell, relations, values, suppressed) - suppressed
        if not added:
            break  # no direction exists: everything related is hidden already
        suppressed |= added
    published = {cell: (None if cell in suppressed else v) for cell, v in values.items()}
    return Protected(table, threshold, published, primary, suppressed - primary)


def _free_direction(
    cell: Cell,
    relations: list[tuple[Cell, list[Cell]]],
    values: dict[Cell, int],
    suppressed: set[Cell],
) -> set[Cell]:
    """The cells of the cheapest change that moves ``cell`` by one and keeps every relation.

    A linear program in the changes (split into rises and falls): hidden cells cost almost
    nothing to involve, an open cell costs its count plus one (what the reader loses), a
    fall on a count of 1 costs a lot (a hidden count cannot fall below 1), and a published
    zero cannot change.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    movable = [c for c in values if values[c] > 0 or c in suppressed]
    index = {c: n for n, c in enumerate(movable)}
    if cell not in index:
        return set()
    n = len(movable)
    rows, cols, data = [], [], []
    for r, (total, parts) in enumerate(relations):
        for c, a in ((total, 1.0), *((p, -1.0) for p in parts)):
            if c in index:
                rows += [r, r]
                cols += [index[c], n + index[c]]
                data += [a, -a]
    rows += [len(relations), len(relations)]
    cols += [index[cell], n + index[cell]]
    data += [1.0, -1.0]
    matrix = coo_matrix((data, (rows, cols)), shape=(len(relations) + 1, 2 * n)).tocsr()
    rhs = np.zeros(len(relations) + 1)
    rhs[-1] = 1.0
    weight = np.array([1e-3 if c in suppressed else 1.0 + values[c] for c in movable])
    fall = weight + np.array([1e3 if values[c] == 1 else 0.0 for c in movable])
    found = linprog(np.r_[weight, fall], A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
    if found.status != 0:
        return set()
    change = found.x[:n] + found.x[n:]
    return {movable[k] for k in np.flatnonzero(change > 1e-7)}


def recomputable(table: Table, suppressed: set[Cell]) -> set[Cell]:
    """The hidden cells whose value follows from what is published.

    The reader knows every published cell, every relation, and that a hidden cell is at least
    1 (zeros are published). A hidden cell is recomputable when the relations alone fix it
    (its coordinate vanishes on the null space of the hidden cells' system), or when, with
    those bounds, its least and greatest possible values meet (two linear programs).
    """
    if not suppressed:
        return set()
    values = table.values()
    exposed: set[Cell] = set()
    for cells, matrix, rhs in _systems(table, suppressed, values):
        if matrix.shape[0] == 0:
            continue  # on no relation: nothing to solve with
        # x_j is fixed by the relations exactly when e_j lies in the matrix's row space:
        # its projection onto an orthonormal basis of that space (thin SVD) has length 1.
        _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
        rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
        projection = (vt[:rank] ** 2).sum(axis=0)
        fixed = [n for n in range(len(cells)) if projection[n] > 1 - 1e-9]
        exposed.update(cells[n] for n in fixed)
        if fixed:
            continue  # hide partners for these first; bounds are checked on the next pass
        exposed.update(cells[n] for n in _pinned_by_bounds(matrix, rhs))
    return exposed


def _pinned_by_bounds(matrix: np.ndarray, rhs: np.ndarray) -> list[int]:
    """Columns whose minimum and maximum meet under ``matrix @ x == rhs, x >= 1``.

    Called once the relations alone fix no column. Then if some solution keeps every column
    strictly above 1, every column can move both ways along the null space: none is pinned,
    which one linear program shows (largest common margin ``t`` above the bound).
    """
    from scipy.optimize import linprog

    rows, n = matrix.shape
    # Variables (x, t): maximise t subject to matrix @ x == rhs, x - t >= 1, 0 <= t <= 1.
    margin = linprog(
        np.r_[np.zeros(n), -1.0],
        A_ub=np.c_[-np.eye(n), np.ones(n)],
        b_ub=-np.ones(n),
        A_eq=np.c_[matrix, np.zeros(rows)],
        b_eq=rhs,
        bounds=[(None, None)] * n + [(0, 1)],
        method="highs",
    )
    if margin.status == 0 and -margin.fun > 1e-6:
        return []
    # No common margin: then some columns cannot leave 1 at all (were each able to, the
    # average of the solutions showing it would be a common margin). Find them by raising
    # as many columns above 1 as possible, again on those still stuck, until none moves.
    stuck = list(range(n))
    while stuck:
        k = len(stuck)
        # Variables (x, s): maximise the sum of s over the stuck columns, x_j - s_j >= 1.
        lift = np.zeros((k, n))
        lift[np.arange(k), stuck] = -1.0
        raised = linprog(
            np.r_[np.zeros(n), -np.ones(k)],
            A_ub=np.c_[lift, np.eye(k)],
            b_ub=-np.ones(k),
            A_eq=np.c_[matrix, np.zeros((rows, k))],
            b_eq=rhs,
            bounds=[(1, None)] * n + [(0, 1)] * k,
            method="highs",
        )
        if raised.status != 0:
            return []  # infeasible only by rounding
        moved = {stuck[i] for i in range(k) if raised.x[n + i] > 1e-6}
        if not moved:
            break
        stuck = [j for j in stuck if j not in moved]
    return stuck


System = tuple[list[Cell], np.ndarray, np.ndarray]


def _systems(table: Table, suppressed: set[Cell], values: dict[Cell, int]) -> list[System]:
    """The linear system of each group of hidden cells linked by shared relations:
    (cells, coefficients, right-hand side with the published cells moved across)."""
    cells = sorted(suppressed)
    index = {cell: n for n, cell in enumerate(cells)}
    rows: list[tuple[dict[Cell, float], float]] = []
    for total, parts in table.relations():
        coefficients = {total: 1.0, **dict.fromkeys(parts, -1.0)}
        hidden = {c: a for c, a in coefficients.items() if c in index}
        if hidden:
            known = sum(a * values[c] for c, a in coefficients.items() if c not in index)
            rows.append((hidden, -known))
    parent = list(range(len(cells)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for hidden, _ in rows:
        members = [index[c] for c in hidden]
        for other in members[1:]:
            parent[root(other)] = root(members[0])
    groups: dict[int, list[int]] = defaultdict(list)
    for n in range(len(cells)):
        groups[root(n)].append(n)
    systems = []
    for members in groups.values():
        local = {n: k for k, n in enumerate(members)}
        mine = [(h, b) for h, b in rows if index[next(iter(h))] in local]
        matrix = np.zeros((len(mine), len(members)))
        for r, (hidden, _) in enumerate(mine):
            for cell, a in hidden.items():
                matrix[r, local[index[cell]]] = a
        rhs = np.array([b for _, b in mine], dtype=float)
        systems.append(([cells[n] for n in members], matrix, rhs))
    return systems
