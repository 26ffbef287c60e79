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

import heapq
import itertools
import math
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, hstack, identity, vstack

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
    blocks: dict[int, Hashable] = field(default_factory=dict)
    """The block each unknown belongs to (an institution's province and kind), where there is
    one: a large audit solves each block's unknowns on their own first (see :func:`audit`)."""

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
    # The simplex solves alone: parallelism comes from solving programs side by side.
    solver.setOptionValue("threads", 1)
    return solver


def _matrix(
    rows: Sequence[tuple[Mapping[int, float], float, float]], n: int
) -> tuple[csr_matrix, np.ndarray, np.ndarray]:
    """``rows`` as a sparse matrix over ``n`` columns, with each row's lower and upper bound."""
    r_idx: list[int] = []
    c_idx: list[int] = []
    data: list[float] = []
    for r, (expression, _, _) in enumerate(rows):
        r_idx.extend([r] * len(expression))
        c_idx.extend(expression)
        data.extend(expression.values())
    matrix = csr_matrix((data, (r_idx, c_idx)), shape=(len(rows), n), dtype=float)
    lower = np.array([lo for _, lo, _ in rows], dtype=float)
    upper = np.array([hi for _, _, hi in rows], dtype=float)
    return matrix, lower, upper


class _Program:
    """One linear program over some variables, re-solved for many objectives."""

    def __init__(
        self,
        matrix: csr_matrix | csc_matrix,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        import highspy

        n = matrix.shape[1]
        self.n = n
        self._highspy = highspy
        self.solver = _highs()
        inf = highspy.kHighsInf
        columns = csc_matrix(matrix)
        columns.sort_indices()
        # The array form of passModel: filling a HighsLp's fields copies element by element
        # (six times slower on the many small programs of a national audit).
        status = self.solver.passModel(
            n,
            matrix.shape[0],
            columns.nnz,
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            np.zeros(n),
            np.asarray(lower, dtype=float),
            np.where(np.isinf(upper), inf, upper).astype(float),
            np.where(np.isinf(row_lower), -inf, row_lower).astype(float),
            np.where(np.isinf(row_upper), inf, row_upper).astype(float),
            columns.indptr[:-1].astype(np.int32),  # each column's start
            columns.indices.astype(np.int32),
            columns.data.astype(float),
            np.zeros(n, dtype=np.int32),  # every column continuous
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError(f"the disclosure audit's linear program was refused: {status}")
        self._cost = np.zeros(n)
        self._solved = False

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
        if not self._solved:
            # Only the objective changes from here on, so the last optimal basis stays
            # primal feasible: the primal simplex starts from it (tens of iterations), where
            # HiGHS's default dual simplex, having lost dual feasibility, starts nearly afresh
            # (thousands: 50 times slower on a national table's program).
            self.solver.setOptionValue("simplex_strategy", 4)
            self._solved = True
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


def _published(index: _Index, hidden: Collection[Key]) -> tuple[csr_matrix, np.ndarray, np.ndarray]:
    """Every relation a reader knows, one row each over the variables: each published cell at
    its value, each hidden cell at least 1 (zeros are published), and every constraint."""
    is_hidden = np.array([k in hidden for k in index.keys], dtype=bool)
    lower = np.where(is_hidden, 1.0, index.cell_value)
    upper = np.where(is_hidden, INF, index.cell_value)
    return (
        index.links,
        np.r_[lower, index.relation_lower],
        np.r_[upper, index.relation_upper],
    )


def _fixed(matrix: csr_matrix, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The variables that the equalities fix on their own (a published leaf, or an equality
    whose other variables are all fixed), as a mask. A fixed variable is at its true value:
    every relation kept in the model holds at the true values, within :data:`TOLERANCE`
    (:meth:`Model.relation`)."""
    equal = matrix[lower == upper]
    equal.eliminate_zeros()
    by_variable = equal.tocsc()
    fixed = np.zeros(matrix.shape[1], dtype=bool)
    used = np.zeros(equal.shape[0], dtype=bool)
    left = np.diff(equal.indptr)  # unknowns left in each equality
    while True:
        rows = np.flatnonzero((left == 1) & ~used)
        if not rows.size:
            return fixed
        used[rows] = True
        reached = equal[rows].indices
        new = np.unique(reached[~fixed[reached]])
        fixed[new] = True
        touched = by_variable[:, new].indices
        left -= np.bincount(touched, minlength=equal.shape[0])


class _Reader:
    """What a reader can still work out, split into independent pieces: the rows over the
    variables the published cells do not fix, and the components of unknowns linked through
    shared rows."""

    def __init__(self, index: _Index, hidden: Collection[Key]) -> None:
        from scipy.sparse.csgraph import connected_components

        matrix, lower, upper = _published(index, hidden)
        self.fixed = _fixed(matrix, lower, upper)
        self.unknown = np.flatnonzero(~self.fixed)
        shift = matrix @ np.where(self.fixed, index.truth, 0.0)
        rows = matrix[:, self.unknown].tocsr()
        kept = np.flatnonzero(np.diff(rows.indptr))
        self.rows = rows[kept]
        self.lower = lower[kept] - shift[kept]
        self.upper = upper[kept] - shift[kept]
        # Rows and unknowns as one bipartite graph: its components are the pieces.
        r, n = self.rows.shape
        coo = self.rows.tocoo()
        graph = csr_matrix(
            (np.ones(coo.nnz), (coo.row, r + coo.col)), shape=(r + n, r + n), dtype=float
        )
        self.components, labels = connected_components(graph, directed=True, connection="weak")
        self.row_label = labels[:r]
        self.label = labels[r:]
        """Each unknown's component (positions in :attr:`unknown`)."""
        self.alone = np.diff(self.rows.tocsc().indptr) == 0
        """Unknowns on no row at all: a reader knows only that they are at least 0."""


def audit(
    model: Model,
    hidden: Collection[Key],
    width: float,
    *,
    targets: Iterable[Key] | None = None,
    whole: bool = False,
    index: _Index | None = None,
) -> dict[Key, tuple[float, float]]:
    """The feasible range a reader can work out for each hidden cell and derived expression
    (``targets`` when given) that is narrower than ``width``. With ``whole``, each component
    is solved in one program, never piece by piece, so every range reported is the reader's
    own, not a narrower one. ``index`` is the model's :class:`_Index`, where one is at hand."""
    hidden = set(hidden)
    index = _Index(model) if index is None else index
    # In a fixed order: the seen ranges, and so the local audit's verdicts, follow the order in
    # which targets are solved, and a set's order changes with each process's hash seed.
    wanted = sorted(set(targets) if targets is not None else {*hidden, *model.derived}, key=repr)
    if not wanted:
        return {}
    reader = _Reader(index, hidden)
    cells = [k for k in wanted if k in index.row]
    derived = [k for k in wanted if k not in index.row]
    stacked = vstack(
        [
            index.cells[[index.row[k] for k in cells]],
            _matrix([(model.derived[k], 0.0, 0.0) for k in derived], index.cells.shape[1])[0],
        ],
        format="csr",
    )
    at = {k: i for i, k in enumerate(cells + derived)}
    aims = stacked[[at[k] for k in wanted]]  # one row per target, in wanted's order
    # Each target splits over components; its fixed part is a constant.
    constant = aims @ np.where(reader.fixed, index.truth, 0.0)
    low, high = constant.copy(), constant.copy()
    parts = aims[:, reader.unknown].tocoo()
    alone = reader.alone[parts.col]
    low[parts.row[alone & (parts.data < 0)]] = -INF
    high[parts.row[alone & (parts.data > 0)]] = INF
    linked = ~alone
    by_component: dict[int, list[int]] = defaultdict(list)
    for t, c in zip(
        parts.row[linked].tolist(), reader.label[parts.col[linked]].tolist(), strict=True
    ):
        by_component[c].append(t)
    row_order = np.argsort(reader.row_label, kind="stable")
    row_bounds = np.searchsorted(reader.row_label[row_order], np.arange(reader.components + 1))
    column_order = np.argsort(reader.label, kind="stable")
    column_bounds = np.searchsorted(reader.label[column_order], np.arange(reader.components + 1))
    truth = index.truth[reader.unknown]
    for c in sorted(by_component):
        mine = np.unique(by_component[c])
        columns = column_order[column_bounds[c] : column_bounds[c + 1]]  # ascending
        rows = row_order[row_bounds[c] : row_bounds[c + 1]]
        program_rows = _Rows(
            reader.rows[rows][:, columns],
            reader.lower[rows],
            reader.upper[rows],
            truth[columns],
        )
        lo, hi = _component_ranges(
            model.blocks,
            reader.unknown[columns],
            program_rows,
            aims[mine][:, reader.unknown[columns]].tocsr(),
            width,
            whole,
        )
        low[mine] += lo
        high[mine] += hi
    found = {key: (float(low[i]), float(high[i])) for i, key in enumerate(wanted)}
    return {key: r for key, r in found.items() if r[1] - r[0] < width - TOLERANCE}


LOCAL = 20_000
"""Unknowns in a program of its own: a larger component is audited piece by piece, around each
target still open after the blocks' pass. Whole programs of this size still solve in well under
a second with HiGHS (a 12,000-donor nation's three editions, about 5,000 unknowns, audit four
times faster whole than piece by piece)."""
HOOD = 1_000
"""Unknowns around a target in a component audited piece by piece."""
BLOCKS_ABOVE = 300
"""A component of more unknowns is first audited block by block (:attr:`Model.blocks`)."""


class _Ranges:
    """The least and greatest value seen so far of each target, over every point found that the
    reader cannot rule out (the truth first), and which targets' own programs have been solved
    to the end."""

    def __init__(self, at_truth: np.ndarray, width: float) -> None:
        self.low = at_truth.copy()
        self.high = at_truth.copy()
        self.settled = {True: np.zeros(len(at_truth), dtype=bool)}
        self.settled[False] = np.zeros(len(at_truth), dtype=bool)
        self.width = width

    def needs(self, i: int) -> bool:
        if self.settled[True][i] and self.settled[False][i]:
            return False
        return bool(self.high[i] - self.low[i] < self.width - TOLERANCE)

    def see(self, values: np.ndarray) -> None:
        np.minimum(self.low, values, out=self.low)
        np.maximum(self.high, values, out=self.high)

    def settle(self, i: int, best: float, maximize: bool) -> None:
        self.settled[maximize][i] = True
        if maximize:
            self.high[i] = max(self.high[i], best)
        else:
            self.low[i] = min(self.low[i], best)

    def copy(self) -> _Ranges:
        """A copy that programs solved elsewhere can widen on its own (see :meth:`merge`)."""
        other = _Ranges(self.low, self.width)
        other.high = self.high.copy()
        other.settled = {way: done.copy() for way, done in self.settled.items()}
        return other

    def merge(self, other: _Ranges) -> None:
        """Take in what a copy found: the widest seen, and every settled bound (a bound only
        ever widens, so the order of merges does not matter)."""
        np.minimum(self.low, other.low, out=self.low)
        np.maximum(self.high, other.high, out=self.high)
        for way, done in other.settled.items():
            self.settled[way] |= done


THREADS = max(1, min(8, len(os.sched_getaffinity(0))))
"""Programs solved at once (HiGHS releases the interpreter's lock while it solves)."""
HOODS_AT_ONCE = 8
"""Neighbourhoods solved together, each from the ranges as they stood before: a fixed number,
so that the verdicts do not depend on the machine's cores."""
_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _pool() -> ThreadPoolExecutor:
    """The threads that solve programs side by side (made again in a forked process, which
    inherits the pool but not its threads)."""
    global _POOL
    with _SOLVER_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(THREADS, thread_name_prefix="hgr-audit"))
        return _POOL[1]


def _each_on_a_copy(ranges: _Ranges, tasks: Sequence[Callable[[_Ranges], None]]) -> None:
    """Run ``tasks`` side by side, each widening its own copy of ``ranges`` as they stand
    now, and merge the copies when all are done."""
    copies = [ranges.copy() for _ in tasks]
    pairs = zip(tasks, copies, strict=True)
    if len(tasks) == 1 or THREADS == 1:
        for task, mine in pairs:
            task(mine)
    else:
        list(_pool().map(lambda pair: pair[0](pair[1]), pairs))
    for mine in copies:
        ranges.merge(mine)


def _solve(
    program: _Program,
    sub: csr_matrix,
    offset: np.ndarray,
    ranges: _Ranges,
    sweep: list[int],
    each: list[int],
    final: bool,
) -> None:
    """Widen ``ranges`` with the points of one program over some unknowns (a target's value at
    a point is ``offset + sub @ point``).

    Sweeping programs first: every open target of ``sweep`` pushed up at once, then down at
    once, with weights drawn afresh each time (fixed seed: the same verdicts every run), while a
    pair of sweeps still settles a tenth of those left. Then each open target of ``each`` gets
    programs of its own (both directions only where one is not enough); with ``final``, their
    optima are the targets' bounds and settle them.
    """
    rng = np.random.default_rng(0)

    def see(point: np.ndarray | None) -> None:
        if point is not None:
            ranges.see(offset + sub @ point)

    while True:
        pending = [i for i in sweep if ranges.needs(i)]
        if not pending:
            break
        for maximize in (True, False):
            drawn = rng.uniform(0.5, 1.5, len(pending))
            see(program.optimum(np.asarray(drawn @ sub[pending]).ravel(), maximize)[1])
        left = sum(1 for i in pending if ranges.needs(i))
        if len(pending) < 8 or left > 0.9 * len(pending):
            break
    for i in each:
        for maximize in (True, False):
            if not ranges.needs(i):
                break
            if ranges.settled[maximize][i]:
                continue
            best, point = program.optimum(sub[i].toarray().ravel(), maximize)
            see(point)
            if final:
                ranges.settle(i, best + float(offset[i]), maximize)


def _component_ranges(
    blocks: Mapping[int, Hashable],
    variables: np.ndarray,
    program_rows: _Rows,
    matrix: csr_matrix,
    width: float,
    whole: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest value of each target (a row of ``matrix`` over ``variables``)
    within one component of linked unknowns.

    Every solution found is a point the reader cannot rule out: the targets' values there
    widen their seen ranges, so most targets are settled by other targets' programs and only
    the rest get programs of their own.

    A large component (a national table whose every cell is linked through its margins) is
    first solved block by block (:attr:`Model.blocks`: an institution's province and kind),
    each block's unknowns on their own with every other unknown held at its true value. That
    can only narrow what the solver finds, never widen it: a range found wide enough in a block
    is wide enough. The targets left open are then solved in the whole component's program; in
    one of more than :data:`LOCAL` unknowns, around each target, :data:`HOODS_AT_ONCE` at a
    time, where a range found too narrow is treated as too narrow (more is hidden than strictly
    needed, never less).
    """
    n = len(variables)
    truth = program_rows.truth
    at_truth = matrix @ truth
    ranges = _Ranges(at_truth, width)
    everyone = list(range(matrix.shape[0]))
    by_column = matrix.tocsc()
    if n > BLOCKS_ABOVE and not whole and blocks:
        # A block's own targets move only in its program, and the rest only widen: the blocks
        # are solved side by side, in any order, with the same verdicts.
        def block_task(block: np.ndarray, inside: list[int]) -> Callable[[_Ranges], None]:
            def task(mine: _Ranges) -> None:
                sub = by_column[:, block].tocsr()
                offset = at_truth - sub @ truth[block]
                _solve(program_rows.restricted(block), sub, offset, mine, inside, inside, False)

            return task

        tasks = [block_task(block, inside) for block, inside in _blocks(blocks, variables, matrix)]
        for start in range(0, len(tasks), 4 * THREADS):
            _each_on_a_copy(ranges, tasks[start : start + 4 * THREADS])
    if n <= LOCAL or whole:
        program = _Program(
            program_rows.matrix,
            program_rows.lower,
            program_rows.upper,
            np.zeros(n),
            np.full(n, INF),
        )
        _solve(program, matrix, np.zeros(len(everyone)), ranges, everyone, everyone, True)
        return ranges.low, ranges.high

    # Piece by piece: the neighbourhood of each open target, the rest held fixed, a few
    # neighbourhoods at a time.
    def hood_task(i: int) -> Callable[[_Ranges], None]:
        def task(mine: _Ranges) -> None:
            hood = program_rows.around(matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]])
            sub = by_column[:, hood].tocsr()
            inside = np.flatnonzero(sub.getnnz(axis=1)).tolist()  # targets with unknowns here
            # The target's own optima in its neighbourhood settle it: further away, it is held.
            offset = at_truth - sub @ truth[hood]
            _solve(program_rows.restricted(hood), sub, offset, mine, inside, [i], True)

        return task

    waiting = iter(everyone)
    while True:
        batch = list(itertools.islice((i for i in waiting if ranges.needs(i)), HOODS_AT_ONCE))
        if not batch:
            return ranges.low, ranges.high
        _each_on_a_copy(ranges, [hood_task(i) for i in batch])


class _Rows:
    """A component's relations over its unknowns, and the programs over some of them with the
    rest held at their true values."""

    def __init__(
        self, matrix: csr_matrix, lower: np.ndarray, upper: np.ndarray, truth: np.ndarray
    ) -> None:
        self.matrix, self.lower, self.upper = matrix, lower, upper
        # Sorted now, once: scipy sorts a matrix's indices in place when it first needs them,
        # which threads reading the same matrix must not do at once.
        self.matrix.sort_indices()
        self.columns = self.matrix.tocsc()
        self.truth = truth

    def restricted(self, hood: np.ndarray) -> _Program:
        """The program over the unknowns ``hood``, every other unknown at its true value."""
        touching = self.columns[:, hood]
        chosen = np.unique(touching.indices)
        rows = self.matrix[chosen]
        inside = touching[chosen]
        rest = rows @ self.truth - inside @ self.truth[hood]
        size = len(hood)
        return _Program(
            inside,
            self.lower[chosen] - rest,
            self.upper[chosen] - rest,
            np.zeros(size),
            np.full(size, INF),
        )

    def around(self, start: np.ndarray) -> np.ndarray:
        """Up to :data:`HOOD` unknowns nearest ``start`` through shared rows, nearest first
        (and at one distance, those of the shortest rows first)."""
        chosen = np.zeros(self.matrix.shape[1], dtype=bool)
        done = np.zeros(self.matrix.shape[0], dtype=bool)
        frontier = np.unique(start)
        chosen[frontier] = True
        found = [frontier]
        count = frontier.size
        lengths = np.diff(self.matrix.indptr)
        while count < HOOD and frontier.size:
            rows = np.unique(self.columns[:, frontier].indices)
            rows = rows[~done[rows]]
            done[rows] = True
            rows = rows[np.argsort(lengths[rows], kind="stable")]
            reached = self.matrix[rows].indices
            _, first = np.unique(reached, return_index=True)
            reached = reached[np.sort(first)]
            frontier = reached[~chosen[reached]][: HOOD - count]
            chosen[frontier] = True
            found.append(frontier)
            count += frontier.size
        return np.sort(np.concatenate(found)).astype(np.int64)


def _blocks(
    blocks: Mapping[int, Hashable], variables: np.ndarray, matrix: csr_matrix
) -> list[tuple[np.ndarray, list[int]]]:
    """The component's unknowns by block (local indices), each with the targets whose unknowns
    all lie in it."""
    members: dict[Hashable, list[int]] = defaultdict(list)
    for c, v in enumerate(variables.tolist()):
        if v in blocks:
            members[blocks[v]].append(c)
    block_of = {c: label for label, columns in members.items() for c in columns}
    inside: dict[Hashable, list[int]] = defaultdict(list)
    for i in range(matrix.shape[0]):
        columns = matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]
        labels = {block_of.get(int(c)) for c in columns}
        if len(labels) == 1 and None not in labels:
            inside[labels.pop()].append(i)
    return [(np.array(members[label], dtype=np.int64), found) for label, found in inside.items()]


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
    index = _Index(model)
    values = {key: index.value[key] for key in choosable}
    primary = {key for key in choosable if 0 < values[key] < threshold}
    hidden = primary | (set(must_hide) & choosable) | given_hidden
    derived = [k for k, e in model.derived.items() if 0 < model.value(e) < threshold]
    hidden |= _partners(model, index, hidden, choosable, width)
    must_hide = set(must_hide)
    safe: set[Key] = set()  # shown wide enough by a point the audit did not find
    free = set(choosable)  # the cells secondary suppression may still hide
    pinned_before: set[Key] = set()
    while True:
        targets = [k for k in [*hidden, *derived] if k not in safe]
        unsafe = audit(model, hidden, width, targets=targets, index=index)
        # A range found wide enough was seen at points the reader cannot rule out, and hiding
        # more keeps every such point possible (publishing a pinned cell too: every point
        # has it at its value): it stays wide enough, and only the rest are audited again.
        safe.update(k for k in targets if k not in unsafe)
        if not unsafe:
            return ProtectionResult(hidden & choosable, primary, {})
        # A cell hidden only to give others room, whose value the rest of what is known
        # fixes exactly, tells a reader nothing new when published (a province's column that
        # an earlier edition published, with the late province's zero added): it gives no
        # room either, so it is published rather than left as an exposed hidden cell.
        pinned = [k for k, (lo, hi) in unsafe.items() if hi - lo < TOLERANCE and k in choosable]
        pinned = [k for k in pinned if k not in primary and k not in must_hide]
        if pinned:
            # In the whole program: a count fixed around it may still move further away. A
            # sweep shows most that move at once; the rest are solved each on its own.
            shown = set(
                audit(model, hidden, 2 * TOLERANCE, targets=pinned, whole=True, index=index)
            )
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
            if key in safe:
                continue
            if not moved.isdisjoint(model.cells.get(key) or model.derived[key]):
                continue  # what was just hidden may be room enough: the next audit tells
            if _wide_around(model, index, key, hidden | added, width):
                # The audit (around it, for a large component) was narrower than the
                # reader's range, or it cannot move by the whole interval one way but its
                # range is wide enough (a count of 3 that can be 1 or 6): the points found
                # are the certificate.
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
                # The change found is a point the reader cannot rule out once ``extra`` is
                # hidden: the certificate that the range is then wide enough.
                safe.add(key)
                added |= extra
                for cell in extra:
                    moved.update(model.cells[cell])
        if stuck and not added - hidden:
            # No cheapest change was found within reach: hide every count that shares an
            # unknown with a stuck cell (its rows and columns), and audit again.
            for key in stuck:
                expression = model.cells.get(key) or model.derived[key]
                for v in expression:
                    added.update(k for k in index.cells_with(v) if k in free and values[k] > 0)
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
    """Every cell and relation of the model as a row of a sparse matrix over its variables (for
    neighbourhoods and programs of change), with their true values."""

    def __init__(self, model: Model) -> None:
        self.keys = list(model.cells)
        self.row = {k: r for r, k in enumerate(self.keys)}
        n = len(model.values)
        self.truth = truth = np.array(model.values, dtype=float)
        self.cells, _, _ = _matrix([(model.cells[k], 0.0, 0.0) for k in self.keys], n)
        self.cell_value = self.cells @ truth
        counts = np.rint(self.cell_value).astype(np.int64).tolist()
        self.value: dict[Key, int] = dict(zip(self.keys, counts, strict=True))
        self.cost = np.array(
            [model.cost.get(k, 1.0 + self.value[k]) for k in self.keys], dtype=float
        )
        self.relations, self.relation_lower, self.relation_upper = _matrix(model.constraints, n)
        self.relation_value = self.relations @ truth
        self.cells_by_variable = self.cells.tocsc()
        self.relations_by_variable = self.relations.tocsc()
        self.links = vstack([self.cells, self.relations], format="csr")
        """Cells and relations, one row each: what links the variables."""
        self.links_by_variable = self.links.tocsc()

    def cells_with(self, v: int) -> list[Key]:
        """The cells whose expression holds variable ``v``."""
        found = self.cells_by_variable.indices[
            self.cells_by_variable.indptr[v] : self.cells_by_variable.indptr[v + 1]
        ]
        return [self.keys[c] for c in found.tolist()]


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
    # smallest first, growing fourfold while no change is found in it, up to ``limit / 2``
    # (a program's time grows faster than its size).
    for reach in (limit // 40, limit // 10, limit // 2):
        variables = _neighbourhood(index, expression, reach)
        found = _cheapest_change(model, index, expression, variables, hidden, choosable, width)
        if found is not None or len(variables) < reach:
            return found
    return None


def _wide_around(
    model: Model,
    index: _Index,
    target: Key,
    hidden: set[Key],
    width: float,
    limit: int = 500,
) -> bool:
    """Whether ``target``'s range is at least ``width`` in the reader's program restricted to
    its neighbourhood (every unknown further away held at its true value, which can only
    narrow the range: a range found wide enough here is wide enough)."""
    expression = model.cells.get(target) or model.derived[target]
    variables = _neighbourhood(index, expression, limit)
    matrix, lower, upper, _, _ = _change_rows(index, variables, hidden, set())
    truth = index.truth[variables]
    program = _Program(matrix, lower, upper, -truth, np.full(len(variables), INF))
    local = {int(v): c for c, v in enumerate(variables)}
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
    index: _Index, variables: np.ndarray, hidden: set[Key], choosable: set[Key]
) -> tuple[csr_matrix, np.ndarray, np.ndarray, list[Key], np.ndarray]:
    """The rows of a program in the change ``d`` of ``variables`` (the rest unchanged), with
    their bounds: every relation holds, each hidden cell stays at least 1, a cell of
    ``choosable`` may move at a cost (a slack column each: the movers and their costs are
    returned), every other cell stays as published."""
    # Column slices: their row indices are the relations and cells the variables are in.
    relations = index.relations_by_variable[:, variables]
    touched = np.unique(relations.indices)
    r_rows = relations.tocsr()[touched]
    r_lower = index.relation_lower[touched] - index.relation_value[touched]
    r_upper = index.relation_upper[touched] - index.relation_value[touched]
    cells = index.cells_by_variable[:, variables]
    touched = np.unique(cells.indices)
    c_rows = cells.tocsr()[touched]
    value = index.cell_value[touched]
    keys = [index.keys[c] for c in touched.tolist()]
    is_hidden = np.array([k in hidden for k in keys], dtype=bool)
    # A cell that may be hidden at a cost moves by at most its slack s: |change| <= s. Once
    # hidden it is at least 1 to the reader, so the change keeps it there.
    moves = np.array([k in choosable for k in keys], dtype=bool) & ~is_hidden & (value > 0)
    settled = ~is_hidden & ~moves  # settled, or a zero: it cannot move
    m = int(moves.sum())
    slack = identity(m, format="csr")

    def wide(rows: csr_matrix) -> csr_matrix:
        return hstack([rows, csr_matrix((rows.shape[0], m))])

    moving = c_rows[moves]
    matrix = vstack(
        [
            wide(r_rows),
            wide(c_rows[is_hidden]),
            wide(c_rows[settled]),
            hstack([moving, -slack]),
            hstack([moving, slack]),
            wide(moving),
        ],
        format="csr",
    )
    zeros = np.zeros(int(settled.sum()))
    lower = np.r_[
        r_lower, 1.0 - value[is_hidden], zeros, np.full(m, -INF), np.zeros(m), 1.0 - value[moves]
    ]
    upper = np.r_[
        r_upper,
        np.full(int(is_hidden.sum()), INF),
        zeros,
        np.zeros(m),
        np.full(m, INF),
        np.full(m, INF),
    ]
    movers = [k for k, move in zip(keys, moves, strict=True) if move]
    return matrix, lower, upper, movers, index.cost[touched[moves]]


def _neighbourhood(index: _Index, start: Expression, limit: int) -> np.ndarray:
    """Up to ``limit`` variables reached from ``start`` through cells and relations, nearest
    and smallest first: a relation's priority is its distance from ``start`` (in relations
    crossed) plus half the log of its size. An institution's own rows and its province's
    column come before a national column of thousands, and before a flood of small relations
    reached through many others."""
    links, by_variable = index.links, index.links_by_variable
    weight = 0.5 * np.log2(np.maximum(np.diff(links.indptr), 1))
    visited = np.zeros(links.shape[0], dtype=bool)
    chosen = np.zeros(links.shape[1], dtype=bool)
    # The rows reached at once enter as one batch, sorted by weight (and by row within a
    # weight); the heap holds each batch's next row: (priority, batch, position, distance).
    # Ties fall to the earlier batch, then the earlier row, as if each row were pushed alone,
    # at a fraction of the heap's work (a national row reaches thousands that are never used).
    batches: list[np.ndarray] = []
    heap: list[tuple[float, int, int, int]] = []
    indices, starts = by_variable.indices, by_variable.indptr

    def link(variables: np.ndarray, distance: int) -> None:
        rows = np.concatenate([indices[starts[v] : starts[v + 1]] for v in variables.tolist()])
        rows = np.unique(rows[~visited[rows]])
        if not rows.size:
            return
        visited[rows] = True
        rows = rows[np.argsort(weight[rows], kind="stable")]
        heapq.heappush(heap, (distance + float(weight[rows[0]]), len(batches), 0, distance))
        batches.append(rows)

    first = np.array(list(start), dtype=np.int64)
    chosen[first] = True
    found = [first]
    count = first.size
    link(first, 1)
    while heap and count < limit:
        _, batch, position, distance = heapq.heappop(heap)
        rows = batches[batch]
        r = rows[position]
        if position + 1 < rows.size:
            after = distance + float(weight[rows[position + 1]])
            heapq.heappush(heap, (after, batch, position + 1, distance))
        members = links.indices[links.indptr[r] : links.indptr[r + 1]]
        new = members[~chosen[members]][: limit - count]
        if new.size:
            chosen[new] = True
            found.append(new)
            count += new.size
            link(new, distance + 1)
    return np.concatenate(found).astype(np.int64)


def _cheapest_change(
    model: Model,
    index: _Index,
    target: Expression,
    variables: np.ndarray,
    hidden: set[Key],
    choosable: set[Key],
    width: float,
) -> set[Key] | None:
    """A linear program in the change ``d`` of the variables: ``target`` moves by ``width``
    (up, or down where the count allows), every relation and settled cell holds, each hidden
    cell stays at least 1, published zeros stay zero; the cost is what the published cells
    that move lose. The cells that move are returned."""
    n = len(variables)
    truth = index.truth[variables]
    matrix, row_lower, row_upper, movers, costs = _change_rows(index, variables, hidden, choosable)
    local = {int(v): c for c, v in enumerate(variables)}
    t_inside = {local[v]: float(a) for v, a in target.items() if v in local}
    aim, _, _ = _matrix([(t_inside, 0.0, 0.0)], matrix.shape[1])
    value = model.value(target)
    columns = n + len(movers)
    lower = np.r_[-truth, np.zeros(len(movers))]
    upper = np.full(columns, INF)
    objective = np.r_[np.zeros(n), costs]
    best: tuple[float, set[Key]] | None = None
    for sign in (1.0, -1.0):
        if sign < 0 and value - width < 0:
            continue  # cannot fall that far
        bound = (width, INF) if sign > 0 else (-INF, -width)
        program = _Program(
            vstack([matrix, aim], format="csr"),
            np.r_[row_lower, bound[0]],
            np.r_[row_upper, bound[1]],
            lower,
            upper,
        )
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
