"""The small declarative language of rule conditions, as written in the YAML rule packs.

A condition is a mapping with exactly one form (regulations.md §0.2 writes its conditions in
the same spirit):

* ``{all: [C, ...]}``, ``{any: [C, ...]}``, ``{not: C}``: combinations;
* ``{fact: NAME, is: VALUE}``: the fact equals VALUE (true, false, a string or a number);
* ``{fact: NAME, in: [V, ...]}`` or ``{fact: NAME, in_set: SET}``: the fact is one of the
  values, or a member of one of the pack's named sets (countries of concern, the EEA...);
* ``{fact: NAME, gt | gte | lt | lte: N}``: numeric comparison;
* ``{fact: NAME, has: VALUE}``, ``{fact: NAME, has_any: [V, ...]}``,
  ``{fact: NAME, has_any_in_set: SET}``: the fact is a list that holds the value, or any of
  them; ``{fact: NAME, only_in_set: SET}``: a non-empty list all of whose values are in SET.

Conditions are checked when a pack is loaded (:func:`check`): every fact must be one the
engine knows, every set one the pack defines, so a typo in a pack is an error at load, not a
rule that silently never fires. Evaluation is a pure function of the facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["check", "holds"]

COMBINATIONS = ("all", "any", "not")
SCALAR_TESTS = ("is", "in", "in_set", "gt", "gte", "lt", "lte")
LIST_TESTS = ("has", "has_any", "has_any_in_set", "only_in_set")
TESTS = SCALAR_TESTS + LIST_TESTS


def check(
    condition: Any, known: Mapping[str, type], sets: Mapping[str, Sequence[str]], where: str
) -> list[str]:
    """What is wrong with ``condition`` (empty when nothing is). ``known`` maps each fact the
    engine provides to its type (bool, int, str or list)."""
    if not isinstance(condition, Mapping):
        return [f"{where}: a condition is a mapping, not {type(condition).__name__}"]
    combination = [k for k in COMBINATIONS if k in condition]
    if combination:
        if len(condition) != 1:
            return [f"{where}: {combination[0]} stands alone in its mapping"]
        inner = condition[combination[0]]
        if combination[0] == "not":
            return check(inner, known, sets, f"{where}/not")
        if not isinstance(inner, list) or not inner:
            return [f"{where}: {combination[0]} takes a non-empty list of conditions"]
        return [
            p
            for n, c in enumerate(inner)
            for p in check(c, known, sets, f"{where}/{combination[0]}/{n}")
        ]
    fact = condition.get("fact")
    tests = [k for k in condition if k != "fact"]
    if "fact" not in condition:
        return [
            f"{where}: a condition is all, any, not or a test of a fact, not "
            f"{', '.join(map(str, condition)) or 'an empty mapping'}"
        ]
    if fact not in known:
        return [f"{where}: unknown fact {fact!r} (known: {', '.join(sorted(known))})"]
    if len(tests) != 1 or tests[0] not in TESTS:
        return [f"{where}: a fact takes exactly one test of {', '.join(TESTS)}"]
    test, value = tests[0], condition[tests[0]]
    kind = known[str(fact)]
    if (test in LIST_TESTS) != (kind is list):
        return [f"{where}: {test} does not apply to {fact} ({kind.__name__})"]
    if test in ("in_set", "has_any_in_set", "only_in_set") and value not in sets:
        return [f"{where}: unknown set {value!r} (the pack defines: {', '.join(sets) or 'none'})"]
    if test in ("in", "has_any") and not isinstance(value, list):
        return [f"{where}: {test} takes a list"]
    if test in ("gt", "gte", "lt", "lte") and (
        kind is not int or isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return [f"{where}: {test} compares a number fact with a number"]
    if test == "is" and kind in (bool, int, str) and not _typed(value, kind):
        return [f"{where}: {fact} is {kind.__name__}, not {value!r}"]
    return []


def _typed(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def holds(
    condition: Mapping[str, Any], facts: Mapping[str, Any], sets: Mapping[str, Sequence[str]]
) -> bool:
    """Whether ``condition`` (already checked) holds for ``facts``."""
    if "all" in condition:
        return all(holds(c, facts, sets) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, facts, sets) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], facts, sets)
    value = facts[condition["fact"]]
    test, operand = next((k, v) for k, v in condition.items() if k != "fact")
    if test == "is":
        return bool(value == operand)
    if test == "in":
        return value in operand
    if test == "in_set":
        return value in sets[operand]
    if test == "gt":
        return bool(value > operand)
    if test == "gte":
        return bool(value >= operand)
    if test == "lt":
        return bool(value < operand)
    if test == "lte":
        return bool(value <= operand)
    if test == "has":
        return operand in value
    if test == "has_any":
        return any(v in value for v in operand)
    if test == "only_in_set":
        return bool(value) and all(v in sets[operand] for v in value)
    return any(v in value for v in sets[operand])  # has_any_in_set
