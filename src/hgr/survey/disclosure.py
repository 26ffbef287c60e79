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
   follow from several together). The hidden cells are solved for exactly, with every
   published relation: a cell is recomputable when every solution of the linear system gives
   it the same value, i.e. when its coordinate vanishes on the system's null space. Each such
   cell gets one more partner hidden, and steps 2-3 repeat until no hidden cell is
   recomputable.

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
        found = [((g, c), [(leaf, c) for leaf in members])
                 for g, members in self.groups.items() for c in self.columns]  # fmt: skip
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


def protect(table: Table, threshold: int = DEFAULT_THRESHOLD,
            hidden: set[Cell] | None = None) -> Protected:  # fmt: skip
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
        return min(open_, key=lambda c: (values[c], c[0] in table.groups, c[1] == TOTAL,
                                          order[c]))  # fmt: skip

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
        # Step 3: hide one more partner next to each exposed cell (one per exposed cell and
        # pass, so that a large table needs few solves). When every cell of its own
        # relations is hidden already, its value follows through other relations (a kind
        # margin beside a province one), so the partner is sought among all relations that
        # hold a hidden cell.
        added: set[Cell] = set()
        for cell in sorted(exposed, key=order.__getitem__):
            related = [c for n in by_cell[cell] for c in (relations[n][0], *relations[n][1])]
            if added & set(related):
                continue  # the partner hidden for a neighbour may free this one too
            extra = partner(related)
            if extra is not None:
                suppressed.add(extra)
                added.add(extra)
        if not added:
            extra = partner([c for total, parts in relations for c in (total, *parts)
                             if any(x in suppressed for x in (total, *parts))])  # fmt: skip
            if extra is None:
                break  # everything related is hidden: a homogeneous system pins no count
            suppressed.add(extra)
    published = {cell: (None if cell in suppressed else v) for cell, v in values.items()}
    return Protected(table, threshold, published, primary, suppressed - primary)


def recomputable(table: Table, suppressed: set[Cell]) -> set[Cell]:
    """The hidden cells whose value follows from the published cells and relations."""
    if not suppressed:
        return set()
    cells = sorted(suppressed)
    index = {cell: n for n, cell in enumerate(cells)}
    rows = []
    for total, parts in table.relations():
        coefficients = {total: 1.0, **dict.fromkeys(parts, -1.0)}
        touched = {c: a for c, a in coefficients.items() if c in index}
        if touched:
            rows.append(touched)
    # Components of hidden cells linked by shared relations are solved one at a time.
    parent = list(range(len(cells)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for row in rows:
        members = [index[c] for c in row]
        for other in members[1:]:
            parent[root(other)] = root(members[0])
    components: dict[int, list[int]] = defaultdict(list)
    for n in range(len(cells)):
        components[root(n)].append(n)
    exposed: set[Cell] = set()
    for members in components.values():
        local = {n: k for k, n in enumerate(members)}
        matrix = np.array(
            [[row.get(cells[n], 0.0) for n in members] for row in rows
             if index[next(iter(row))] in local],
            dtype=float,
        ).reshape(-1, len(members))  # fmt: skip
        if matrix.shape[0] == 0:
            continue  # on no relation: nothing to solve with
        _, singular, vt = np.linalg.svd(matrix)
        rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
        null = vt[rank:]
        for n in members:
            if null.shape[0] == 0 or np.abs(null[:, local[n]]).max() < 1e-9:
                exposed.add(cells[n])
    return exposed
