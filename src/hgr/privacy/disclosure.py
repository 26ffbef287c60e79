"""What a reader of published tables can work out, and the suppression that keeps it vague.

Everything a reader knows is one linear model (:class:`Model`): the unknown counts are its
variables; every published cell is a linear expression of them with a known value; the
relations between tables (a breakdown adds up to the donor count, donors with a material never
exceed its samples) are constraints; and the reader knows that a hidden count is at least 1,
because zeros are published. Several releases (editions of one survey cycle) share one model:
a count that did not change between them is one variable, so a correction is read together
with what it corrects.

**The audit** is the attacker's linear program (Hundepool et al., *Statistical Disclosure
Control*, 2012, §4.3.3; tau-Argus's audit): for each hidden cell, its least and greatest value
under everything published. A hidden cell is safe only when that range is at least the
*protection interval* wide: a sliding protection range in tau-Argus's terms (the width of the
range matters, not where the true value sits in it; Hundepool et al. §4.2.3). Derived counts
that are never published as cells (donor records less persons: people enrolled twice) are
audited the same way when they are small.

**Secondary suppression** gives each unsafe cell room to move at the least cost: a linear
program looks for a change of the counts that moves the cell by the protection interval while
every constraint and every earlier release still holds; the published cells that change are
the ones to hide, and each costs its count plus one (the reader loses the most from large,
high-level cells), so a cell or two are hidden where they suffice rather than a column. The
audit runs again until nothing is unsafe.

HiGHS solves the linear programs (through highspy, keeping the basis between the many
programs that differ only in their objective).
"""

from __future__ import annotations

import math
import os
import threading
from collections import defaultdict, deque
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix

__all__ = ["Model", "ProtectionResult", "audit", "protect"]

Key = Hashable
Expression = dict[int, int]  # variable -> coefficient
INF = math.inf
TOLERANCE = 1e-6


@dataclass
class Model:
    """The unknowns behind a set of releases and what links them.

    ``values`` holds each variable's true value (the audit and the suppression know it; a
    reader does not). ``cells`` are the publishable cells, each an expression of variables.
    ``constraints`` are relations every reader knows: ``lower <= expression <= upper``.
    ``derived`` are sensitive expressions that are never published as cells. ``cost`` is what
    hiding a cell loses (default: its count plus one). ``sums`` name the additive relations.
    """

    values: list[int] = field(default_factory=list)
    cells: dict[Key, Expression] = field(default_factory=dict)
    constraints: list[tuple[Expression, float, float]] = field(default_factory=list)
    derived: dict[Key, Expression] = field(default_factory=dict)
    cost: dict[Key, float] = field(default_factory=dict)
    sums: list[tuple[Key, list[Key]]] = field(default_factory=list)
    """Cells that add up to another: (total, parts). Implied by the expressions already;
    listed so that suppression can start from the relations a reader sees first."""

    def variable(self, value: int) -> int:
        """A new unknown whose true value is ``value``; its index."""
        self.values.append(int(value))
        return len(self.values) - 1

    def value(self, expression: Mapping[int, int]) -> int:
        return sum(a * self.values[v] for v, a in expression.items())

    def relation(self, expression: Expression, lower: float, upper: float) -> None:
        """A constraint every reader knows: ``lower <= expression <= upper``. One that the
        true counts break (a return that does not add up, refused by validation but kept in
        an edition) is no knowledge, and is left out."""
        if expression and lower - TOLERANCE <= self.value(expression) <= upper + TOLERANCE:
            self.constraints.append((expression, lower, upper))


@dataclass
class ProtectionResult:
    """The cells hidden among those the caller could choose, and what could not be protected."""

    hidden: set[Key]
    primary: set[Key]
    unprotected: dict[Key, tuple[float, float]]


# --- the attacker's linear program ---------------------------------------------------------


_SOLVER_LOCK = threading.Lock()
_BANNER_SHOWN = False


def _highs() -> Any:
    """A silent HiGHS instance. HiGHS prints its banner on the first instance of a process,
    straight to file descriptor 1, which would corrupt a command's JSON output: that one is
    made with standard output pointed at /dev/null."""
    global _BANNER_SHOWN
    import highspy

    with _SOLVER_LOCK:
        if not _BANNER_SHOWN:
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as sink:
                    os.dup2(sink.fileno(), 1)
                    solver = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_SHOWN = True
        else:
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    return solver


class _Program:
    """One linear program over some variables, re-solved for many objectives."""

    def __init__(
        self,
        n: int,
        rows: list[tuple[dict[int, float], float, float]],
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        import highspy

        self.n = n
        self._highspy = highspy
        self.solver = _highs()
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = lower
        lp.col_upper_ = np.where(np.isinf(upper), highspy.kHighsInf, upper)
        inf = highspy.kHighsInf
        lp.row_lower_ = np.array([-inf if lo == -INF else lo for _, lo, _ in rows], dtype=float)
        lp.row_upper_ = np.array([inf if hi == INF else hi for _, _, hi in rows], dtype=float)
        r_idx, c_idx, data = [], [], []
        for r, (expression, _, _) in enumerate(rows):
            for c, a in expression.items():
                r_idx.append(r)
                c_idx.append(c)
                data.append(float(a))
        matrix = csc_matrix((data, (r_idx, c_idx)), shape=(len(rows), n))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self.solver.passModel(lp)
        self._cost = np.zeros(n)

    def optimum(self, objective: np.ndarray, maximize: bool) -> tuple[float, np.ndarray | None]:
        """The optimum of ``objective`` and a point reaching it (None when unbounded)."""
        highspy = self._highspy
        changed = np.flatnonzero(objective != self._cost)
        if changed.size:
            self.solver.changeColsCost(
                changed.size, changed.astype(np.int32), objective[changed].astype(float)
            )
            self._cost = objective.copy()
        sense = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        self.solver.changeObjectiveSense(sense)
        self.solver.run()
        status = self.solver.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            point = np.array(self.solver.getSolution().col_value)
            return float(objective @ point), point
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return (INF if maximize else -INF), None
        raise RuntimeError(f"the disclosure audit's linear program ended with {status}")


def _published_rows(
    model: Model, hidden: Collection[Key]
) -> tuple[list[tuple[Expression, float, float]], dict[int, float]]:
    """Every relation a reader knows, with the variables that the published cells fix alone
    (a published leaf, or a relation whose other variables are all fixed) substituted."""
    rows: list[tuple[Expression, float, float]] = []
    for key, expression in model.cells.items():
        if key in hidden:
            rows.append((expression, 1.0, INF))  # zeros are published: a hidden count is >= 1
        else:
            value = float(model.value(expression))
            rows.append((expression, value, value))
    rows += model.constraints
    known: dict[int, float] = {}
    by_variable: dict[int, list[int]] = defaultdict(list)
    for r, (expression, _, _) in enumerate(rows):
        for v in expression:
            by_variable[v].append(r)
    # Unknowns left in each equation, counted down as variables become known.
    left = [len(e) for e, _, _ in rows]
    queue = deque(r for r, (e, lo, hi) in enumerate(rows) if lo == hi and len(e) == 1)
    while queue:
        r = queue.popleft()
        expression, lo, _ = rows[r]
        unknown = [v for v in expression if v not in known]
        if len(unknown) != 1:
            continue
        (v,) = unknown
        rest = sum(a * known[u] for u, a in expression.items() if u != v)
        known[v] = (lo - rest) / expression[v]
        for other in by_variable[v]:
            left[other] -= 1
            if left[other] == 1 and rows[other][1] == rows[other][2]:
                queue.append(other)
    return rows, known


def _reduce(
    rows: list[tuple[Expression, float, float]], known: Mapping[int, float]
) -> list[tuple[dict[int, float], float, float]]:
    """The rows over the unknown variables (the known ones moved to the bounds)."""
    reduced = []
    for expression, lo, hi in rows:
        rest = sum(a * known[v] for v, a in expression.items() if v in known)
        free = {v: float(a) for v, a in expression.items() if v not in known}
        if free:
            reduced.append((free, lo - rest, hi - rest))
    return reduced


def _components(
    reduced: list[tuple[dict[int, float], float, float]],
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Unknown variables linked through shared rows: variable -> component, component -> rows."""
    parent: dict[int, int] = {}

    def root(v: int) -> int:
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for expression, _, _ in reduced:
        first, *others = expression
        a = root(first)
        for v in others:
            b = root(v)
            if a != b:
                parent[b] = a
    component = {v: root(v) for v in parent}
    rows_of: dict[int, list[int]] = defaultdict(list)
    for r, (expression, _, _) in enumerate(reduced):
        rows_of[component[next(iter(expression))]].append(r)
    return component, rows_of


def audit(
    model: Model,
    hidden: Collection[Key],
    width: float,
    *,
    targets: Iterable[Key] | None = None,
    exact: bool = False,
) -> dict[Key, tuple[float, float]]:
    """The feasible range a reader can work out for each hidden cell and derived expression
    (``targets`` when given): only those narrower than ``width``, unless ``exact`` asks for
    every range exactly."""
    hidden = set(hidden)
    # In a fixed order: the seen ranges, and so the local audit's verdicts, follow the order in
    # which targets are solved, and a set's order changes with each process's hash seed.
    wanted = sorted(set(targets) if targets is not None else {*hidden, *model.derived}, key=repr)
    rows, known = _published_rows(model, hidden)
    reduced = _reduce(rows, known)
    component, rows_of = _components(reduced)
    expressions = {k: model.cells[k] if k in model.cells else model.derived[k] for k in wanted}
    # Each target splits over components; its fixed part is a constant.
    constant: dict[Key, float] = {}
    parts: dict[int, dict[Key, dict[int, float]]] = defaultdict(dict)
    for key, expression in expressions.items():
        constant[key] = 0.0
        for v, a in expression.items():
            if v in known:
                constant[key] += a * known[v]
            elif v in component:
                parts[component[v]].setdefault(key, {})[v] = float(a)
            else:  # on no relation at all
                parts[-1 - v].setdefault(key, {})[v] = float(a)
    low: dict[Key, float] = dict(constant)
    high: dict[Key, float] = dict(constant)
    for comp, mine in parts.items():
        if comp < 0:  # a variable on no relation: known only to be at least 0
            for key, alone in mine.items():
                ((_, coefficient),) = alone.items()
                if coefficient > 0:
                    high[key] = INF
                else:
                    low[key] = -INF
            continue
        ranges = _component_ranges(model, reduced, rows_of[comp], mine, width, exact)
        for key, (lo, hi) in ranges.items():
            low[key] += lo
            high[key] += hi
    found = {key: (low[key], high[key]) for key in wanted}
    if exact:
        return found
    return {key: r for key, r in found.items() if r[1] - r[0] < width - TOLERANCE}


LOCAL = 20_000
"""Unknowns in a program of its own: a larger component is audited piece by piece. Whole
programs of this size still solve in well under a second with HiGHS (a 12,000-donor nation's
three editions, about 5,000 unknowns, audit four times faster whole than piece by piece)."""


def _component_ranges(
    model: Model,
    reduced: list[tuple[dict[int, float], float, float]],
    row_ids: list[int],
    targets: dict[Key, dict[int, float]],
    width: float,
    exact: bool,
) -> dict[Key, tuple[float, float]]:
    """Each target's range within one component of linked unknowns.

    Every solution found is a point the reader cannot rule out: the targets' values there
    widen their seen ranges, so most targets are settled by other targets' programs and only
    the rest get programs of their own (both directions only where one is not enough).

    A component of more than :data:`LOCAL` unknowns (a national table whose every cell is
    linked through its margins) is solved around each target in turn, with the unknowns
    further away held at their true values. That can only narrow what the solver finds, never
    widen it: a range found wide enough is wide enough, and one found too narrow is treated as
    too narrow (more is hidden than strictly needed, never less).
    """
    variables = sorted({v for r in row_ids for v in reduced[r][0]})
    local = {v: n for n, v in enumerate(variables)}
    rows = [({local[v]: a for v, a in reduced[r][0].items()}, *reduced[r][1:]) for r in row_ids]
    n = len(variables)
    keys = list(targets)
    t_rows, t_cols, t_data = [], [], []
    for i, key in enumerate(keys):
        for v, a in targets[key].items():
            t_rows.append(i)
            t_cols.append(local[v])
            t_data.append(a)
    matrix = csr_matrix((t_data, (t_rows, t_cols)), shape=(len(keys), n))
    truth = np.array([model.values[v] for v in variables], dtype=float)
    at_truth = matrix @ truth
    seen_low = at_truth.copy()
    seen_high = at_truth.copy()
    settled_low = np.zeros(len(keys), dtype=bool)
    settled_high = np.zeros(len(keys), dtype=bool)

    def needs(i: int) -> bool:
        if settled_low[i] and settled_high[i]:
            return False
        return exact or seen_high[i] - seen_low[i] < width - TOLERANCE

    def settle(i: int, best: float, maximize: bool) -> None:
        if maximize:
            settled_high[i] = True
            seen_high[i] = max(seen_high[i], best)
        else:
            settled_low[i] = True
            seen_low[i] = min(seen_low[i], best)

    if n <= LOCAL or exact:
        program = _Program(n, rows, np.zeros(n), np.full(n, INF))

        def see(point: np.ndarray) -> None:
            values = matrix @ point
            np.minimum(seen_low, values, out=seen_low)
            np.maximum(seen_high, values, out=seen_high)

        # Sweeping programs first: every needy target pushed up at once, then down at once,
        # with weights drawn afresh each time (fixed seed: the same verdicts every run), while
        # a pair of sweeps still settles a tenth of those left.
        rng = np.random.default_rng(0)
        while True:
            pending = np.array([needs(i) for i in range(len(keys))], dtype=bool)
            before = int(pending.sum())
            if not before:
                break
            for maximize in (True, False):
                drawn = rng.uniform(0.5, 1.5, before)
                weights = np.asarray(drawn @ matrix[pending]).ravel()
                _, point = program.optimum(weights, maximize)
                if point is not None:
                    see(point)
            left = sum(1 for i in range(len(keys)) if needs(i))
            if before < 8 or left > 0.9 * before:
                break
        for i in range(len(keys)):
            for maximize in (True, False):
                if not needs(i):
                    break
                if (settled_high if maximize else settled_low)[i]:
                    continue
                best, point = program.optimum(matrix[i].toarray().ravel(), maximize)
                if point is not None:
                    see(point)
                settle(i, best, maximize)
        return {key: (float(seen_low[i]), float(seen_high[i])) for i, key in enumerate(keys)}

    # Piece by piece: the neighbourhood of each unsettled target, the rest held fixed.
    rows_of: list[list[int]] = [[] for _ in range(n)]
    for r, (expression, _, _) in enumerate(rows):
        for c in expression:
            rows_of[c].append(r)
    by_column = matrix.tocsc()
    targets_of = [
        by_column.indices[by_column.indptr[c] : by_column.indptr[c + 1]] for c in range(n)
    ]
    for i in range(len(keys)):
        if not needs(i):
            continue
        hood = _around(matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]], rows, rows_of)
        program = _restricted(hood, rows, rows_of, truth)
        sub = by_column[:, hood].tocsr()
        inside = np.unique(np.concatenate([targets_of[c] for c in hood]))

        def see_here(point: np.ndarray, sub: csr_matrix = sub, hood: np.ndarray = hood) -> None:
            values = at_truth + sub @ (point - truth[hood])
            np.minimum(seen_low, values, out=seen_low)
            np.maximum(seen_high, values, out=seen_high)

        for maximize in (True, False):
            waiting = [int(t) for t in inside if needs(int(t))]
            if waiting:
                _, point = program.optimum(np.asarray(sub[waiting].sum(axis=0)).ravel(), maximize)
                if point is not None:
                    see_here(point)
        for maximize in (True, False):
            if not needs(i):
                break
            best, point = program.optimum(sub[i].toarray().ravel(), maximize)
            if point is not None:
                see_here(point)
            # The program counts the target's unknowns in the neighbourhood; the rest stay true.
            held = float(np.asarray(sub[i] @ truth[hood]).ravel()[0])
            settle(i, best + float(at_truth[i]) - held, maximize)
    return {key: (float(seen_low[i]), float(seen_high[i])) for i, key in enumerate(keys)}


def _around(
    start: np.ndarray, rows: list[tuple[dict[int, float], float, float]], rows_of: list[list[int]]
) -> np.ndarray:
    """Up to :data:`LOCAL` unknowns nearest ``start`` through shared rows, nearest first."""
    seen: dict[int, None] = dict.fromkeys(int(c) for c in start)
    queue = deque(seen)
    done: set[int] = set()
    while queue and len(seen) < LOCAL:
        c = queue.popleft()
        for r in rows_of[c]:
            if r in done:
                continue
            done.add(r)
            for other in rows[r][0]:
                if other not in seen:
                    seen[other] = None
                    queue.append(other)
    return np.array(sorted(list(seen)[:LOCAL] if len(seen) > LOCAL else seen), dtype=np.int64)


def _restricted(
    hood: np.ndarray,
    rows: list[tuple[dict[int, float], float, float]],
    rows_of: list[list[int]],
    truth: np.ndarray,
) -> _Program:
    """The program over the unknowns ``hood``, every other unknown at its true value."""
    position = {int(c): k for k, c in enumerate(hood)}
    chosen = sorted({r for c in hood for r in rows_of[int(c)]})
    local_rows = []
    for r in chosen:
        expression, lo, hi = rows[r]
        rest = sum(a * truth[c] for c, a in expression.items() if c not in position)
        local_rows.append(
            ({position[c]: a for c, a in expression.items() if c in position}, lo - rest, hi - rest)
        )
    size = len(hood)
    return _Program(size, local_rows, np.zeros(size), np.full(size, INF))


# --- secondary suppression -----------------------------------------------------------------


def protect(
    model: Model,
    choosable: Collection[Key],
    *,
    threshold: int,
    width: float,
    given_hidden: Collection[Key] = (),
    must_hide: Collection[Key] = (),
    neighbourhood: int = 20_000,
) -> ProtectionResult:
    """Choose which of the ``choosable`` cells to hide.

    Cells outside ``choosable`` are already settled: hidden when in ``given_hidden``, published
    otherwise (an earlier release). Primary suppression hides each choosable count with
    ``0 < n < threshold``, and ``must_hide`` (a cell hidden before stays hidden). Secondary
    suppression then hides the cheapest cells that give every hidden cell, and every small
    derived count, a range at least ``width`` wide. A secondary cell that what is known
    fixes exactly is published instead (it tells nothing and gives no room). ``unprotected``
    names what no choice could protect (it is empty when the release is safe).
    """
    choosable = set(choosable)
    given_hidden = set(given_hidden)
    # A cell that an earlier release already published, unchanged (the same unknowns), is
    # public whatever this release does: hiding it would protect nothing.
    public = {
        frozenset(e.items())
        for key, e in model.cells.items()
        if key not in choosable and key not in given_hidden
    }
    choosable = {key for key in choosable if frozenset(model.cells[key].items()) not in public}
    values = {key: model.value(model.cells[key]) for key in choosable}
    primary = {key for key in choosable if 0 < values[key] < threshold}
    hidden = primary | (set(must_hide) & choosable) | given_hidden
    derived = [k for k, e in model.derived.items() if 0 < model.value(e) < threshold]
    index = _Index(model)
    hidden |= _partners(model, index, hidden, choosable, width)
    must_hide = set(must_hide)
    safe: set[Key] = set()  # shown wide enough by a point the audit did not find
    free = set(choosable)  # the cells secondary suppression may still hide
    pinned_before: set[Key] = set()
    while True:
        targets = [k for k in [*hidden, *derived] if k not in safe]
        unsafe = audit(model, hidden, width, targets=targets)
        if not unsafe:
            return ProtectionResult(hidden & choosable, primary, {})
        # A cell hidden only to give others room, whose value the rest of what is known
        # fixes exactly, tells a reader nothing new when published (a province's column that
        # an earlier edition published, with the late province's zero added): it gives no
        # room either, so it is published rather than left as an exposed hidden cell.
        pinned = [k for k, (lo, hi) in unsafe.items() if hi - lo < TOLERANCE and k in choosable]
        pinned = [k for k in pinned if k not in primary and k not in must_hide]
        if pinned:
            exact_ranges = audit(model, hidden, width, targets=pinned, exact=True)
            shown = {k for k in pinned if exact_ranges[k][1] - exact_ranges[k][0] < TOLERANCE}
            # Publishing a count the rest fixes changes no other range: the audit stands.
            hidden -= shown
            # Hidden again only where a later change moves it (more cells hidden around it);
            # once more pinned, it stays published, so that the rounds end.
            free -= shown & pinned_before
            pinned_before |= shown
            unsafe = {k: r for k, r in unsafe.items() if k not in shown}
            if not unsafe:
                return ProtectionResult(hidden & choosable, primary, {})
        added: set[Key] = set()
        stuck: dict[Key, tuple[float, float]] = {}
        moved: set[int] = set()  # variables of the cells hidden in this round
        for key in sorted(unsafe, key=repr):
            expression = model.cells.get(key) or model.derived[key]
            if key in added or not moved.isdisjoint(expression):
                continue  # what was just hidden may be room enough: the next audit tells
            if key in safe:
                continue
            if _wide_around(model, index, key, hidden | added, width, neighbourhood):
                # The audit (local, for a large component) was narrower than the reader's
                # range: a wider neighbourhood shows the range wide enough.
                safe.add(key)
                continue
            extra = _room(model, index, key, hidden | added, free, width, neighbourhood)
            if extra is None:
                stuck[key] = unsafe[key]
            elif not extra:
                # A change of the hidden counts alone moves it by the interval: that point
                # is the certificate that the reader's range is wide enough.
                safe.add(key)
            else:
                added |= extra
                for cell in extra:
                    moved.update(model.cells[cell])
        if stuck and not added - hidden:
            # No cheapest change was found within reach: hide every count that shares an
            # unknown with a stuck cell (its rows and columns), and audit again.
            for key in stuck:
                expression = model.cells.get(key) or model.derived[key]
                for v in expression:
                    added.update(k for k in index.cells_of[v] if k in free and values[k] > 0)
        added -= hidden
        if not added:
            return ProtectionResult(hidden & choosable, primary, stuck)
        hidden |= added


def _partners(
    model: Model, index: _Index, hidden: set[Key], choosable: set[Key], width: float
) -> set[Key]:
    """Partners for the hidden cells of each additive relation, before any program runs.

    On one relation whose total is published, the hidden parts can each move over
    ``sum(value - 1)`` of the hidden parts (each is at least 1): while that falls short of the
    protection interval, the cheapest part that closes the gap is hidden too (the largest
    one when none closes it alone). Relations interact; the audit settles the rest.
    """
    cost = {k: model.cost.get(k, 1.0 + index.value[k]) for k in choosable}
    added: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in model.sums:
            if total in hidden or total in added:
                continue
            shown = [p for p in parts if p not in hidden and p not in added]
            if len(shown) == len(parts):
                continue
            room = sum(index.value[p] - 1 for p in parts if p in hidden or p in added)
            while room < width - TOLERANCE:
                open_ = [p for p in shown if p in choosable and index.value[p] > 1]
                if not open_:
                    break
                enough = [p for p in open_ if index.value[p] - 1 >= width - room]
                pick = (
                    min(enough, key=lambda p: (cost[p], repr(p)))
                    if enough
                    else max(open_, key=lambda p: (index.value[p], repr(p)))
                )
                added.add(pick)
                shown.remove(pick)
                room += index.value[pick] - 1
                changed = True
    return added


class _Index:
    """Which cells and relations each variable appears in (for neighbourhoods), and the true
    value of each."""

    def __init__(self, model: Model) -> None:
        self.cells_of: dict[int, list[Key]] = defaultdict(list)
        self.value: dict[Key, int] = {}
        for key, expression in model.cells.items():
            self.value[key] = model.value(expression)
            for v in expression:
                self.cells_of[v].append(key)
        self.relations_of: dict[int, list[int]] = defaultdict(list)
        self.relation_value: list[int] = []
        for r, (expression, _, _) in enumerate(model.constraints):
            self.relation_value.append(model.value(expression))
            for v in expression:
                self.relations_of[v].append(r)


def _room(
    model: Model,
    index: _Index,
    target: Key,
    hidden: set[Key],
    choosable: set[Key],
    width: float,
    limit: int,
) -> set[Key] | None:
    """The cheapest cells to hide so that ``target`` can move by ``width``: None when no change
    within reach keeps every relation and every settled cell."""
    expression = model.cells.get(target) or model.derived[target]
    # The neighbourhood: variables reached from the target through cells and relations,
    # nearest first. A published national total reaches a whole column; capped at ``limit``.
    for reach in (limit // 40, limit, limit * 10):
        variables = _neighbourhood(model, index, expression, reach)
        found = _cheapest_change(model, index, expression, variables, hidden, choosable, width)
        if found is not None or len(variables) < reach:
            return found
    return None


def _wide_around(
    model: Model, index: _Index, target: Key, hidden: set[Key], width: float, limit: int
) -> bool:
    """Whether ``target``'s range is at least ``width`` in the reader's program restricted to
    its neighbourhood (every unknown further away held at its true value, which can only
    narrow the range: a range found wide enough here is wide enough)."""
    expression = model.cells.get(target) or model.derived[target]
    # One small neighbourhood: a wider one costs as much as finding room (which follows).
    variables = _neighbourhood(model, index, expression, limit // 40)
    rows, _, _ = _change_rows(model, index, variables, hidden, set())
    local = {v: n for n, v in enumerate(variables)}
    truth = np.array([model.values[v] for v in variables], dtype=float)
    program = _Program(len(variables), rows, -truth, np.full(len(variables), INF))
    objective = np.zeros(len(variables))
    for v, a in expression.items():
        objective[local[v]] += a
    try:
        high, _ = program.optimum(objective, maximize=True)
        low, _ = program.optimum(objective, maximize=False)
    except RuntimeError:
        return False
    return high - low >= width - TOLERANCE


def _change_rows(
    model: Model, index: _Index, variables: list[int], hidden: set[Key], choosable: set[Key]
) -> tuple[list[tuple[dict[int, float], float, float]], list[Key], list[float]]:
    """The rows of a program in the change ``d`` of ``variables`` (the rest unchanged): every
    relation holds, each hidden cell stays at least 1, a cell of ``choosable`` may move at a
    cost (a slack column each: the movers and their costs are returned), every other cell
    stays as published."""
    local = {v: n for n, v in enumerate(variables)}
    n = len(variables)
    rows: list[tuple[dict[int, float], float, float]] = []
    costs: list[float] = []
    movers: list[Key] = []
    touched_cells: dict[Key, None] = {}
    touched_relations: dict[int, None] = {}
    for v in variables:
        touched_cells.update(dict.fromkeys(index.cells_of[v]))
        touched_relations.update(dict.fromkeys(index.relations_of[v]))
    for r in touched_relations:
        expression, lo, hi = model.constraints[r]
        value = index.relation_value[r]
        inside = {local[v]: float(a) for v, a in expression.items() if v in local}
        rows.append((inside, lo - value, hi - value))
    for key in touched_cells:
        expression = model.cells[key]
        value = index.value[key]
        inside = {local[v]: float(a) for v, a in expression.items() if v in local}
        if key in hidden:
            rows.append((inside, 1.0 - value, INF))
        elif key in choosable and value > 0:
            # |change| <= s: one slack column per cell that may be hidden at a cost.
            s = n + len(movers)
            movers.append(key)
            costs.append(model.cost.get(key, 1.0 + value))
            rows.append(({**inside, s: -1.0}, -INF, 0.0))
            rows.append(({**inside, s: 1.0}, 0.0, INF))
        else:
            rows.append((inside, 0.0, 0.0))  # settled, or a zero: it cannot move
    return rows, movers, costs


def _neighbourhood(model: Model, index: _Index, start: Expression, limit: int) -> list[int]:
    seen: dict[int, None] = dict.fromkeys(start)
    queue = deque(start)
    visited_cells: set[Key] = set()
    visited_relations: set[int] = set()
    while queue and len(seen) < limit:
        v = queue.popleft()
        linked: list[Expression] = []
        for key in index.cells_of[v]:
            if key not in visited_cells:
                visited_cells.add(key)
                linked.append(model.cells[key])
        for r in index.relations_of[v]:
            if r not in visited_relations:
                visited_relations.add(r)
                linked.append(model.constraints[r][0])
        for expression in linked:
            for u in expression:
                if u not in seen:
                    seen[u] = None
                    queue.append(u)
    return list(seen)[: max(limit, len(start))]


def _cheapest_change(
    model: Model,
    index: _Index,
    target: Expression,
    variables: list[int],
    hidden: set[Key],
    choosable: set[Key],
    width: float,
) -> set[Key] | None:
    """A linear program in the change ``d`` of the variables: ``target`` moves by ``width``
    (up, or down where the count allows), every relation and settled cell holds, each hidden
    cell stays at least 1, published zeros stay zero; the cost is what the published cells
    that move lose. The cells that move are returned."""
    local = {v: n for n, v in enumerate(variables)}
    n = len(variables)
    truth = np.array([model.values[v] for v in variables], dtype=float)
    rows, movers, costs = _change_rows(model, index, variables, hidden, choosable)
    t_inside = {local[v]: float(a) for v, a in target.items() if v in local}
    value = model.value(target)
    columns = n + len(movers)
    lower = np.r_[-truth, np.zeros(len(movers))]
    upper = np.full(columns, INF)
    objective = np.r_[np.zeros(n), np.array(costs)]
    best: tuple[float, set[Key]] | None = None
    for sign in (1.0, -1.0):
        if sign < 0 and value - width < 0:
            continue  # cannot fall that far
        bound = (width, INF) if sign > 0 else (-INF, -width)
        program = _Program(columns, [*rows, (t_inside, *bound)], lower, upper)
        try:
            cost, point = program.optimum(objective, maximize=False)
        except RuntimeError:
            continue  # infeasible in this direction
        if point is None:
            continue
        moved = {movers[k] for k in range(len(movers)) if point[n + k] > TOLERANCE}
        if best is None or cost < best[0]:
            best = (cost, moved)
    return None if best is None else best[1]
