"""Published count tables: a count per unit and category, with the margins that add them up.

A published table holds a count per unit (institution, province, institution kind, nation)
and category (material, data category, disease...): each aggregate unit is the sum of its
institutions, and where the categories split a whole (samples by material) each row has a
total. One table covers every level at once, so that one suppression pattern serves every
level: the levels are slices of one protected table, never protected separately.

The tables enter the reader's model (:mod:`hgr.privacy.disclosure`) with :func:`add_table`,
where they are protected together with each other and with earlier releases; :func:`protect`
protects a table on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

from hgr.privacy.disclosure import Model
from hgr.privacy.disclosure import protect as protect_cells

__all__ = [
    "DEFAULT_THRESHOLD",
    "Cell",
    "Protected",
    "Shared",
    "Table",
    "add_table",
    "protect",
    "protected",
]

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


Shared = dict[tuple[str, str, str], tuple[int, int]]
"""Leaf cells already in a model, by (table, leaf, category): (true value, variable). A count
that did not change since an earlier release is the same unknown in both (the reader who
compares the releases treats it so)."""


def add_table(
    model: Model,
    table: Table,
    release: Hashable,
    shared: Shared | None = None,
    cost: Callable[[Cell, int], float] | None = None,
    blocks: Mapping[str, Hashable] | None = None,
) -> dict[Cell, Hashable]:
    """Put ``table``, as published in ``release``, into the reader's ``model``: a variable
    per leaf cell (reused from ``shared`` when unchanged), a model cell per published cell.
    ``blocks`` gives a leaf's cells their block in the model (:attr:`Model.blocks`).
    The model keys, ``(release, table, unit, column)``, by table cell."""
    shared = {} if shared is None else shared
    values = table.values()
    variable: dict[Cell, int] = {}
    for leaf, row in table.leaves.items():
        for c in table.categories:
            value = int(row.get(c, 0))
            earlier = shared.get((table.name, leaf, c))
            if earlier is not None and earlier[0] == value:
                variable[(leaf, c)] = earlier[1]
            else:
                variable[(leaf, c)] = model.variable(value)
                shared[(table.name, leaf, c)] = (value, variable[(leaf, c)])
                if blocks is not None and leaf in blocks:
                    model.blocks[variable[(leaf, c)]] = blocks[leaf]
    keys: dict[Cell, Hashable] = {}
    for unit in table.units:
        members = table.groups.get(unit, [unit])
        for column in table.columns:
            categories = table.categories if column == TOTAL else [column]
            expression = {variable[(leaf, c)]: 1 for leaf in members for c in categories}
            key = (release, table.name, unit, column)
            model.cells[key] = expression
            if cost is not None:
                model.cost[key] = cost((unit, column), values[(unit, column)])
            keys[(unit, column)] = key
    model.sums += [(keys[t], [keys[p] for p in parts]) for t, parts in table.relations()]
    return keys


def protected(
    table: Table, threshold: int, keys: Mapping[Cell, Hashable], hidden: set[Hashable]
) -> Protected:
    """``table`` as published with the model cells ``hidden``."""
    values = table.values()
    published = {c: None if keys[c] in hidden else v for c, v in values.items()}
    primary = {c for c, v in values.items() if 0 < v < threshold}
    secondary = {c for c in values if keys[c] in hidden} - primary
    return Protected(table, threshold, published, primary, secondary)


def protect(
    table: Table,
    threshold: int = DEFAULT_THRESHOLD,
    hidden: set[Cell] | None = None,
    width: int | None = None,
) -> Protected:
    """Suppress ``table``'s small counts and every cell that would narrow one down, on its
    own: each hidden cell's range, under the table's relations, at least ``width`` wide
    (default: the threshold). ``hidden`` forces cells to stay hidden."""
    model = Model()
    keys = add_table(model, table, 0)
    result = protect_cells(
        model,
        set(keys.values()),
        threshold=threshold,
        width=threshold if width is None else width,
        must_hide={keys[c] for c in hidden or ()},
    )
    return protected(table, threshold, keys, result.hidden)
