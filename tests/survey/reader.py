"""An outsider's attack on published survey tables: every table of every edition of a cycle,
read as one linear program, with scipy's HiGHS.

Written apart from :mod:`hgr.privacy.disclosure` (its own model, its own solver calls), so that
the test does not grade the library with the library's own arithmetic. The reader knows:

- every published CSV of every edition, and which institution is in which province and kind;
- that an aggregate row is the sum of its institutions, and a ``total`` the sum of its row;
- how tables relate for each institution: the breakdowns of the donors add up to the donor
  records, the materials to the samples; no category counts more donor records than there
  are; donors with a material never exceed its samples;
- that persons never exceed donor records, and the nation's lie between the largest
  province's and the provinces' sum; likewise the persons with whole-genome or whole-exome
  data, who never exceed the persons, nor the donor records with genomes and exomes together;
- that a hidden count is at least 1 (zeros are published);
- which counts a correction left unchanged (the strongest reader: one told what changed).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

SUMS_TO_DONORS = (
    "donors_by_sex",
    "donors_by_age",
    "donors_by_population",
    "donors_by_residence",
)
AT_MOST_DONORS = ("donors_by_material", "persons_by_data_category", "donors_by_disease")


def read_tables(folder: Path) -> dict[str, dict[tuple[str, str], int | None]]:
    """The published CSVs of one edition: table -> (unit, column) -> count or None (hidden)."""
    tables: dict[str, dict[tuple[str, str], int | None]] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        columns = [h.split(" (")[0] for h in rows[0][1:]]
        tables[path.stem] = {
            (row[0], column): None if value == "x" else int(value)
            for row in rows[1:]
            for column, value in zip(columns, row[1:], strict=True)
        }
    return tables


@dataclass
class Finding:
    """A hidden count (or a count of people worked out from two published ones) and the
    range the reader narrows it to."""

    edition: int
    what: tuple[str, ...]
    truth: int
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


class _Program:
    def __init__(self) -> None:
        self.truth: list[int] = []
        self.names: dict[tuple[Any, ...], int] = {}
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def variable(self, name: tuple[Any, ...], truth: int) -> int:
        self.names[name] = len(self.truth)
        self.truth.append(truth)
        return self.names[name]

    def add(self, expression: Mapping[int, float], low: float, high: float) -> None:
        self.rows.append((dict(expression), low, high))

    def guess(self, expression: Mapping[int, float], low: float, high: float) -> None:
        """A relation the reader may guess (one consent per donor record, no person twice at
        one institution): used where the true counts keep it, the strongest reader."""
        value = sum(self.truth[v] * x for v, x in expression.items())
        if low - 1e-9 <= value <= high + 1e-9:
            self.add(expression, low, high)


def attack(
    editions: Sequence[Mapping[str, Any]],
    folders: Sequence[Path],
    interval: float,
    threshold: int,
    exact: bool = False,
    shown: Callable[[int], tuple[float, float]] | None = None,
) -> list[Finding]:
    """Every hidden count of every edition (and every small count of people enrolled twice)
    that the reader of ``folders`` narrows below ``interval`` (every one, with ``exact``).

    ``shown`` reads a perturbed publication (rounded, or with noise from a cell key): a
    published figure then says only that the count lies in a range, and every small count,
    published or not, is a target.
    ``editions`` give the institutions' provinces and kinds, and say which leaf counts a
    correction left unchanged."""
    program = _Program()
    last: dict[tuple[str, str, str], tuple[int, int]] = {}
    targets: list[tuple[int, tuple[str, ...], dict[int, float]]] = []
    for e, (edition, folder) in enumerate(zip(editions, folders, strict=True)):
        published = read_tables(folder)
        institutions = edition["institutions"]
        members: dict[str, list[str]] = defaultdict(list)
        for code, facts in institutions.items():
            members[f"province:{facts['province']}"].append(code)
            members[f"kind:{facts['kind']}"].append(code)
            members["nation"].append(code)

        def leaf(table: str, code: str, column: str, e: int = e) -> int:
            fields = editions[e]["institutions"][code]["fields"]
            value = fields.get(column, 0) if table == "counts" else fields[table].get(column, 0)
            earlier = last.get((table, code, column))
            if earlier is not None and earlier[0] == value:
                return earlier[1]  # told that the correction left it alone
            v = program.variable((e, table, code, column), int(value))
            last[(table, code, column)] = (int(value), v)
            return v

        expressions: dict[tuple[str, str, str], dict[int, float]] = {}
        for table, cells in published.items():
            if table == "persons":
                continue
            categories = sorted({c for _, c in cells if c != "total"})
            for (unit, column), value in cells.items():
                codes = [unit] if unit in institutions else members[unit]
                columns = categories if column == "total" else [column]
                expression: dict[int, float] = defaultdict(float)
                for code in codes:
                    for c in columns:
                        expression[leaf(table, code, c)] += 1.0
                expressions[(table, unit, column)] = expression
                if value is None:
                    program.add(expression, 1.0, np.inf)
                    targets.append((e, (table, unit, column), expression))
                elif shown is not None:
                    program.add(expression, *shown(value))
                    true = sum(program.truth[v] * x for v, x in expression.items())
                    if 0 < true < threshold:
                        targets.append((e, (table, unit, column), expression))
                else:
                    program.add(expression, value, value)
        for code in institutions:
            donors = expressions[("counts", code, "donors")]

            def minus(a: Mapping[int, float], b: Mapping[int, float]) -> dict[int, float]:
                found = defaultdict(float, a)
                for v, x in b.items():
                    found[v] -= x
                return {v: x for v, x in found.items() if x}

            for table in SUMS_TO_DONORS:
                program.add(minus(expressions[(table, code, "total")], donors), 0.0, 0.0)
            samples = expressions[("counts", code, "samples")]
            program.add(minus(expressions[("samples_by_material", code, "total")], samples), 0, 0)
            for (table, unit, column), expression in expressions.items():
                if unit != code:
                    continue
                if table in AT_MOST_DONORS:
                    program.add(minus(expression, donors), -np.inf, 0.0)
                if table == "donors_by_material":
                    same = expressions.get(("samples_by_material", code, column))
                    if same is not None:
                        program.add(minus(expression, same), -np.inf, 0.0)
            for column in ("genotyped_donors", "donors_without_consent"):
                program.add(minus(expressions[("counts", code, column)], donors), -np.inf, 0.0)
            program.add(
                minus(
                    expressions[("counts", code, "families")],
                    expressions[("counts", code, "pedigree_members")],
                ),
                -np.inf,
                0.0,
            )
            consents: dict[int, float] = defaultdict(float)
            for (table, unit, _), expression in expressions.items():
                if table == "consents_by_scope" and unit == code:
                    for v, x in expression.items():
                        consents[v] += x
            withdrawn = expressions[("counts", code, "consents_withdrawn")]
            program.guess(minus(consents, donors), -np.inf, 0.0)
            with_withdrawn = defaultdict(float, consents)
            for v, x in withdrawn.items():
                with_withdrawn[v] += x
            program.guess(minus(with_withdrawn, donors), 0.0, 0.0)
            without = expressions[("counts", code, "donors_without_consent")]
            program.guess(minus(without, withdrawn), 0.0, 0.0)
        persons = published.get("persons", {})
        truth = _persons_truth(edition["persons"])
        person_var: dict[str, int] = {}

        def group(unit: str, column: str, truth: int, e: int = e) -> int:
            earlier = last.get(("persons", unit, column))
            if earlier is not None and earlier[0] == truth:
                return earlier[1]
            v = program.variable((e, column, unit), truth)
            last[("persons", unit, column)] = (truth, v)
            return v

        for (unit, column), value in persons.items():
            if column != "persons":
                continue
            person_var[unit] = group(unit, "persons", truth[unit])
            expression = {person_var[unit]: 1.0}
            if value is None:
                program.add(expression, 1.0, np.inf)
                targets.append((e, ("persons", unit), expression))
            elif shown is not None:
                program.add(expression, *shown(value))
            else:
                program.add(expression, value, value)
            donors = expressions[("counts", unit, "donors")]
            for code in members.get(unit, []):
                own = expressions[("counts", code, "donors")]
                at_least = {person_var[unit]: 1.0}
                for v, x in own.items():
                    at_least[v] = at_least.get(v, 0.0) - x
                program.guess(at_least, 0.0, np.inf)
            twice = dict(donors)
            twice[person_var[unit]] = twice.get(person_var[unit], 0.0) - 1.0
            program.add(twice, 0.0, np.inf)
            if 0 < sum(program.truth[v] * x for v, x in twice.items()) < threshold:
                targets.append((e, ("enrolled more than once", unit), twice))
        # Persons with whole-genome or whole-exome data: no more than the persons, nor than
        # the donor records with genomes and with exomes together; no fewer than either
        # (a guess, true where no one is counted twice).
        sequenced_truth = _persons_truth(edition["persons"].get("sequenced") or {"nation": 0})
        sequenced_var: dict[str, int] = {}
        for (unit, column), value in persons.items():
            if column != "whole_genome_or_exome":
                continue
            v = sequenced_var[unit] = group(unit, column, sequenced_truth.get(unit, 0))
            if value is None:
                program.add({v: 1.0}, 1.0, np.inf)
                targets.append((e, (column, unit), {v: 1.0}))
            elif shown is not None:
                program.add({v: 1.0}, *shown(value))
            else:
                program.add({v: 1.0}, value, value)
            if unit in person_var:
                program.add({person_var[unit]: 1.0, v: -1.0}, 0.0, np.inf)
            records: dict[int, float] = defaultdict(float)
            for category in ("whole_genome", "whole_exome"):
                cell = expressions.get(("persons_by_data_category", unit, category))
                if cell is None:
                    continue
                program.guess({v: 1.0, **{u: -x for u, x in cell.items()}}, 0.0, np.inf)
                for u, x in cell.items():
                    records[u] += x
            records[v] -= 1.0
            program.add(records, 0.0, np.inf)
        for variables, derived in (
            (person_var, "enrolled in several provinces"),
            (sequenced_var, "sequenced in several provinces"),
        ):
            if "nation" not in variables:
                continue
            nation = variables["nation"]
            for prefix in ("province:", "kind:"):
                parts = [v for u, v in variables.items() if u.startswith(prefix)]
                for v in parts:
                    program.add({nation: 1.0, v: -1.0}, 0.0, np.inf)
                overlap = dict.fromkeys(parts, 1.0)
                overlap[nation] = overlap.get(nation, 0.0) - 1.0
                program.add(overlap, 0.0, np.inf)
                value = sum(program.truth[v] * x for v, x in overlap.items())
                if prefix == "province:" and 0 < value < threshold:
                    targets.append((e, (derived,), overlap))
    return _solve(program, targets, interval, exact)


def _persons_truth(counted: Mapping[str, Any]) -> dict[str, int]:
    found = {"nation": int(counted["nation"])}
    found |= {f"province:{p}": int(n) for p, n in counted.get("by_province", {}).items()}
    found |= {f"kind:{k}": int(n) for k, n in counted.get("by_kind", {}).items()}
    return found


def _solve(
    program: _Program,
    targets: list[tuple[int, tuple[str, ...], dict[int, float]]],
    interval: float,
    exact: bool,
) -> list[Finding]:
    """Each target's least and greatest value, on the part of the program linked to it."""
    n = len(program.truth)
    truth = np.array(program.truth, dtype=float)
    # Variables pinned by a published leaf drop out; the rest split into linked parts.
    parent = list(range(n))

    def root(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for expression, _, _ in program.rows:
        first, *others = list(expression) or [None]
        for v in others:
            parent[root(v)] = root(first)
    part_rows: dict[int, list[int]] = defaultdict(list)
    for r, (expression, _, _) in enumerate(program.rows):
        if expression:
            part_rows[root(next(iter(expression)))].append(r)
    by_part: dict[int, list[int]] = defaultdict(list)
    for t, (_, _, expression) in enumerate(targets):
        by_part[root(next(iter(expression)))].append(t)
    findings = []
    for part, mine in by_part.items():
        rows = [program.rows[r] for r in part_rows[part]]
        variables = sorted({v for expression, _, _ in rows for v in expression})
        local = {v: k for k, v in enumerate(variables)}
        r_idx, c_idx, data, low, high = [], [], [], [], []
        for r, (expression, lo, hi) in enumerate(rows):
            for v, x in expression.items():
                r_idx.append(r)
                c_idx.append(local[v])
                data.append(x)
            low.append(lo)
            high.append(hi)
        a = csr_matrix((data, (r_idx, c_idx)), shape=(len(rows), len(variables)))
        equal = np.array(low) == np.array(high)
        a_eq, b_eq = a[equal], np.array(low)[equal]
        upper_rows = np.isfinite(high) & ~equal
        lower_rows = np.isfinite(low) & ~equal
        a_ub = vstack([a[upper_rows], -a[lower_rows]])
        b_ub = np.r_[np.array(high)[upper_rows], -np.array(low)[lower_rows]]
        objectives = []
        for t in mine:
            c = np.zeros(len(variables))
            for v, x in targets[t][2].items():
                c[local[v]] += x
            objectives.append(c)
        values = np.array([c @ truth[variables] for c in objectives])
        seen_low, seen_high = _ranges(a_ub, b_ub, a_eq, b_eq, objectives, values, interval, exact)
        for k, t in enumerate(mine):
            e, what, _ = targets[t]
            finding = Finding(e, what, round(values[k]), seen_low[k], seen_high[k])
            if exact or finding.width < interval - 1e-6:
                findings.append(finding)
    return findings


def _ranges(
    a_ub: Any,
    b_ub: np.ndarray,
    a_eq: Any,
    b_eq: np.ndarray,
    objectives: list[np.ndarray],
    values: np.ndarray,
    interval: float,
    exact: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Each objective's least and greatest value over the program (or enough of the range to
    show it is ``interval`` wide: every solution found is a point the reader cannot rule out)."""
    matrix = csr_matrix(np.array(objectives))
    seen_low, seen_high = values.copy(), values.copy()

    def solve(c: np.ndarray) -> Any:
        return linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
        )

    def see(x: np.ndarray) -> None:
        at = matrix @ x
        np.minimum(seen_low, at, out=seen_low)
        np.maximum(seen_high, at, out=seen_high)

    # Sweeps first: many needy targets pushed up (or down) at once, with random weights, while
    # a sweep still settles a good share of them.
    rng = np.random.default_rng(0)
    while not exact:
        needy = np.flatnonzero(seen_high - seen_low < interval - 1e-6)
        if needy.size < 8:
            break
        before = needy.size
        for sign in (-1.0, 1.0):
            weights = np.zeros(len(objectives))
            weights[needy] = rng.random(needy.size) + 0.5
            found = solve(sign * (weights @ matrix))
            if found.status == 0:
                see(found.x)
        if np.sum(seen_high - seen_low < interval - 1e-6) > 0.9 * before:
            break
    for k in range(len(objectives)):
        c = matrix[k].toarray().ravel()
        for sign in (-1.0, 1.0):
            if not exact and seen_high[k] - seen_low[k] >= interval - 1e-6:
                break
            found = solve(sign * c)
            if found.status == 3:  # unbounded
                if sign < 0:
                    seen_high[k] = np.inf
                else:
                    seen_low[k] = -np.inf
                continue
            assert found.status == 0, found.message  # the truth is feasible
            see(found.x)
            if sign < 0:
                seen_high[k] = max(seen_high[k], -found.fun)
            else:
                seen_low[k] = min(seen_low[k], found.fun)
    return seen_low, seen_high
