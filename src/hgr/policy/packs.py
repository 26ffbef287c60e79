"""Rule packs: the law of a jurisdiction as versioned YAML that a deployment can edit.

A pack names itself (``pack``, ``version``, ``title``, ``jurisdiction``), says when it applies
(``applies_when``, a condition), names the sets its conditions use (``sets``), lists the
exemptions that put a request outside it (``exemptions``) and its ``rules``. A rule has an
``id`` (the rule id of regulations.md), a ``citation``, a plain-language ``reason``, the
``check`` mark of regulations.md (✅ read in the official text, 🟡 secondary sources, ⚠️ not
verified), an ``outcome``, a condition ``when`` and the ``obligations`` it creates.

The packs shipped with hgr are in ``hgr/policy/packs``; a deployment's folder (``[policy]
packs`` in node.toml, or ``--packs``) replaces a shipped pack of the same name and may add
more. Every pack is checked whole on loading, and a pack with any error is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hgr.exceptions import ValidationFailed
from hgr.issues import Issue, Origin, Severity
from hgr.policy.conditions import check
from hgr.policy.request import FACT_TYPES

__all__ = ["OUTCOMES", "Obligation", "Pack", "Rule", "load_packs", "read_pack"]

# Least to most restrictive (regulations.md §0.3).
OUTCOMES = ("allow", "notify", "approval", "security_review", "prohibited")
CHECK_MARKS = ("✅", "🟡", "⚠️")


@dataclass(frozen=True)
class Obligation:
    """What a rule requires of the parties: a filing, a backup, a report within N months…"""

    kind: str
    text: str
    due_months: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    citation: str
    reason: str
    check: str
    outcome: str
    when: Mapping[str, Any]
    obligations: tuple[Obligation, ...] = ()


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    title: str
    jurisdiction: str
    applies_when: Mapping[str, Any]
    sets: Mapping[str, tuple[str, ...]]
    exemptions: tuple[Rule, ...]
    rules: tuple[Rule, ...]
    source: str


def _problems(raw: Any, where: str) -> list[str]:
    """Everything wrong with a pack's parsed YAML."""
    if not isinstance(raw, Mapping):
        return [f"{where}: a pack is a mapping"]
    required = ("pack", "version", "title", "jurisdiction", "applies_when", "rules")
    problems = [f"{where}: missing {k}" for k in required if k not in raw]
    unknown = set(raw) - {
        "pack",
        "version",
        "title",
        "jurisdiction",
        "applies_when",
        "sets",
        "exemptions",
        "rules",
        "notes",
    }
    problems += [f"{where}: unknown key {k!r}" for k in sorted(unknown)]
    if problems:
        return problems
    sets = raw.get("sets") or {}
    if not isinstance(sets, Mapping) or any(
        not isinstance(v, list) or not all(isinstance(x, str) for x in v) for v in sets.values()
    ):
        return [
            f"{where}: sets map names to lists of strings (quote codes that YAML reads "
            'as booleans, such as "NO" for Norway)'
        ]
    problems += check(raw["applies_when"], FACT_TYPES, sets, f"{where}/applies_when")
    seen: set[str] = set()
    for part in ("exemptions", "rules"):
        entries = raw.get(part) or []
        if not isinstance(entries, list):
            problems.append(f"{where}: {part} is a list")
            continue
        for n, rule in enumerate(entries):
            at = f"{where}/{part}/{n}"
            if not isinstance(rule, Mapping):
                problems.append(f"{at}: a rule is a mapping")
                continue
            at = f"{where}/{part}/{rule.get('id', n)}"
            for key in ("id", "citation", "reason", "check", "when"):
                if not rule.get(key):
                    problems.append(f"{at}: missing {key}")
            if rule.get("id") in seen:
                problems.append(f"{at}: the id is used twice")
            seen.add(str(rule.get("id")))
            if rule.get("check") not in CHECK_MARKS:
                problems.append(f"{at}: check is one of {' '.join(CHECK_MARKS)}")
            if part == "rules" and rule.get("outcome") not in OUTCOMES:
                problems.append(f"{at}: outcome is one of {', '.join(OUTCOMES)}")
            for m, obligation in enumerate(rule.get("obligations") or []):
                if (
                    not isinstance(obligation, Mapping)
                    or not obligation.get("kind")
                    or not (obligation.get("text"))
                ):
                    problems.append(f"{at}/obligations/{m}: an obligation has kind and text")
            if "when" in rule:
                problems += check(rule["when"], FACT_TYPES, sets, f"{at}/when")
    return problems


def _rule(raw: Mapping[str, Any], outcome: str | None = None) -> Rule:
    obligations = tuple(
        Obligation(str(o["kind"]), str(o["text"]), o.get("due_months"))
        for o in raw.get("obligations") or []
    )
    return Rule(
        id=str(raw["id"]),
        citation=str(raw["citation"]),
        reason=str(raw["reason"]).strip(),
        check=str(raw["check"]),
        outcome=outcome or str(raw["outcome"]),
        when=raw["when"],
        obligations=obligations,
    )


def read_pack(text: str, source: str) -> Pack:
    """A pack from its YAML text; ValidationFailed listing every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{source}: not YAML: {exc}", [], code="E_POLICY_PACK") from None
    problems = _problems(raw, "pack")
    if problems:
        issues = [
            Issue(
                "E_POLICY_PACK",
                Severity.ERROR,
                Origin(source),
                p,
                "correct the pack (docs/policy.md describes the format)",
            )
            for p in problems
        ]
        raise ValidationFailed(
            f"{source}: {len(problems)} problem(s) in the rule pack", issues, code="E_POLICY_PACK"
        )
    return Pack(
        id=str(raw["pack"]),
        version=str(raw["version"]),
        title=str(raw["title"]),
        jurisdiction=str(raw["jurisdiction"]),
        applies_when=raw["applies_when"],
        sets={k: tuple(v) for k, v in (raw.get("sets") or {}).items()},
        exemptions=tuple(_rule(r, "allow") for r in raw.get("exemptions") or []),
        rules=tuple(_rule(r) for r in raw["rules"]),
        source=source,
    )


def load_packs(folder: Path | None = None) -> list[Pack]:
    """The shipped packs, with those of ``folder`` replacing them by name or added."""
    packs: dict[str, Pack] = {}
    shipped = resources.files("hgr.policy") / "packs"
    for item in sorted(shipped.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".yaml"):
            pack = read_pack(item.read_text(encoding="utf-8"), f"hgr/policy/packs/{item.name}")
            packs[pack.id] = pack
    if folder is not None:
        if not folder.is_dir():
            raise ValidationFailed(
                f"{folder}: no such folder of rule packs", [], code="E_POLICY_PACK"
            )
        for path in sorted(folder.glob("*.yaml")):
            pack = read_pack(path.read_text(encoding="utf-8"), str(path))
            packs[pack.id] = pack
    return list(packs.values())


def rule_ids(packs: Sequence[Pack]) -> list[str]:
    """Every rule and exemption id of ``packs``, in order."""
    return [r.id for p in packs for r in (*p.exemptions, *p.rules)]
