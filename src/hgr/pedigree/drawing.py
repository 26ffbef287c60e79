"""Pedigree drawings as SVG, in the standard notation.

The symbols follow the NSGC standardized human pedigree nomenclature (Bennett et al., J Genet
Counsel 2008;17:424-433): a square for a male, a circle for a female, a diamond when sex is
unknown; filled when affected, a question mark when affection is unknown; a diagonal slash
through a deceased person; an arrow with "P" at the proband's lower left. Generations are rows
numbered I, II, III…, and each person is numbered within the row (II-3). Partners are joined by
a mating line, from which a line of descent drops to the sibship line over their children.

Layout: each person's generation is one more than their parents' (a partner who married in
takes their partner's). Within a generation a couple's children sit together under them, in
the order given, and partners who married in sit beside their partner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from hgr.exceptions import ValidationFailed
from hgr.issues import N_, Issue, Origin, Severity
from hgr.vocabulary import AffectedStatus, Sex

__all__ = ["DrawnPerson", "draw_pedigree"]

SIZE = 30  # symbol width, px
GAP_X = 24  # between neighbouring symbols
GAP_Y = 90  # between generation rows
MARGIN = 60
INK = "#1d2733"  # lines, symbols and text
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(frozen=True)
class DrawnPerson:
    """One person as the drawing needs them."""

    id: str
    sex: Sex
    father: str | None = None
    mother: str | None = None
    affected: AffectedStatus = AffectedStatus.UNKNOWN
    deceased: bool = False
    proband: bool = False


def _generations(people: dict[str, DrawnPerson]) -> dict[str, int]:
    """Generation of each person (0 = top row)."""
    generation = dict.fromkeys(people, 0)
    partners: dict[str, set[str]] = defaultdict(set)
    for p in people.values():
        if p.father and p.mother:
            partners[p.father].add(p.mother)
            partners[p.mother].add(p.father)
    for _ in range(2 * len(people) + 1):  # longest chain of descent bounds the passes
        changed = False
        for p in people.values():
            parents = [generation[x] for x in (p.father, p.mother) if x]
            if parents and generation[p.id] < max(parents) + 1:
                generation[p.id] = max(parents) + 1
                changed = True
        for pid, others in partners.items():
            # A partner without parents here married in: they share their partner's row.
            if not people[pid].father and not people[pid].mother:
                deepest = max(generation[o] for o in others)
                if generation[pid] < deepest:
                    generation[pid] = deepest
                    changed = True
        if not changed:
            return generation
    raise AssertionError("checked acyclic before layout")


def _check(people: Sequence[DrawnPerson]) -> dict[str, DrawnPerson]:
    issues: list[Issue] = []
    by_id: dict[str, DrawnPerson] = {}
    for p in people:
        if p.id in by_id:
            issues.append(
                Issue(
                    "E_PED_DUPLICATE",
                    Severity.ERROR,
                    Origin("pedigree"),
                    N_("%(p)s appears twice", p=p.id),
                    N_("give each person once"),
                )
            )
        by_id[p.id] = p
    for p in people:
        for role, parent in (("father", p.father), ("mother", p.mother)):
            if parent and parent not in by_id:
                issues.append(
                    Issue(
                        "E_PED_PARENT",
                        Severity.ERROR,
                        Origin("pedigree"),
                        N_(
                            "%(p)s's %(role)s %(parent)s is not in the family",
                            p=p.id,
                            role=role,
                            parent=parent,
                        ),
                        N_("add the parent, or leave the parent blank"),
                    )
                )
    if issues:
        raise ValidationFailed("the pedigree cannot be drawn", issues, code="E_PEDIGREE")
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(pid: str) -> None:
        # Depth-first over both parents: meeting a person already on the path is a cycle.
        state[pid] = 1
        for parent in (by_id[pid].father, by_id[pid].mother):
            if parent is None or state.get(parent) == 2:
                continue
            if state.get(parent) == 1:
                raise ValidationFailed(
                    "the pedigree cannot be drawn",
                    [
                        Issue(
                            "E_PED_CYCLE",
                            Severity.ERROR,
                            Origin("pedigree"),
                            N_("%(parent)s is their own ancestor", parent=parent),
                            N_("correct the parents"),
                        )
                    ],
                    code="E_PEDIGREE",
                )
            visit(parent)
        state[pid] = 2

    for p in people:
        if p.id not in state:
            visit(p.id)
    return by_id


def _order(people: dict[str, DrawnPerson], generation: dict[str, int]) -> list[list[str]]:
    """People of each generation, left to right."""
    children: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for p in people.values():
        if p.father or p.mother:
            children[(p.father, p.mother)].append(p.id)
    partners: dict[str, list[str]] = defaultdict(list)
    for father, mother in children:
        if father and mother:
            partners[father].append(mother)
            partners[mother].append(father)
    rows: list[list[str]] = [[] for _ in range(max(generation.values()) + 1)]
    placed: set[str] = set()

    def place(pid: str) -> None:
        if pid in placed:
            return
        placed.add(pid)
        rows[generation[pid]].append(pid)
        for other in partners[pid]:
            if other not in placed and generation[other] == generation[pid]:
                placed.add(other)
                rows[generation[other]].append(other)
        couples = [(pid, o) for o in partners[pid]] + [(pid, None)]
        for a, b in couples:
            for key in ((a, b), (b, a)):
                for child in children.get(key, []):
                    place(child)

    founders = [p.id for p in people.values() if not p.father and not p.mother]
    for pid in sorted(founders, key=lambda x: generation[x]):
        place(pid)
    for pid in people:  # anyone left (a parent given alone): still drawn
        place(pid)
    return rows


def _positions(
    rows: list[list[str]],
    people: dict[str, DrawnPerson],
) -> dict[str, tuple[float, float]]:
    """Centre of each symbol; children's rows are shifted under their parents where room."""
    step = SIZE + GAP_X
    where: dict[str, tuple[float, float]] = {}
    for g, row in enumerate(rows):
        y = MARGIN + g * GAP_Y + SIZE / 2
        x = MARGIN + SIZE / 2 + 40
        for pid in row:
            p = people[pid]
            parents = [where[q][0] for q in (p.father, p.mother) if q and q in where]
            wanted = sum(parents) / len(parents) if parents else x
            x = max(x, wanted - step / 2 if len(parents) == 2 else x)
            where[pid] = (x, y)
            x += step
    return where


def _symbol(p: DrawnPerson, x: float, y: float) -> str:
    half = SIZE / 2
    fill = INK if p.affected is AffectedStatus.AFFECTED else "#ffffff"
    style = f'fill="{fill}" stroke="{INK}" stroke-width="2"'
    if p.sex is Sex.MALE:
        shape = f'<rect x="{x - half}" y="{y - half}" width="{SIZE}" height="{SIZE}" {style}/>'
    elif p.sex is Sex.FEMALE:
        shape = f'<circle cx="{x}" cy="{y}" r="{half}" {style}/>'
    else:
        points = f"{x},{y - half - 3} {x + half + 3},{y} {x},{y + half + 3} {x - half - 3},{y}"
        shape = f'<polygon points="{points}" {style}/>'
    parts = [shape]
    if p.affected is AffectedStatus.UNKNOWN:
        parts.append(
            f'<text x="{x}" y="{y + 5}" text-anchor="middle" class="q" font-size="14" '
            f'fill="{INK}">?</text>'
        )
    if p.deceased:
        parts.append(
            f'<line x1="{x - half - 6}" y1="{y + half + 6}" x2="{x + half + 6}" '
            f'y2="{y - half - 6}" class="deceased" stroke="{INK}" stroke-width="2"/>'
        )
    if p.proband:
        tip_x, tip_y = x - half - 2, y + half + 2
        parts.append(
            f'<g class="proband" stroke="{INK}" stroke-width="1.5" fill="{INK}">'
            f'<line x1="{tip_x - 16}" y1="{tip_y + 16}" x2="{tip_x}" '
            f'y2="{tip_y}"/><polygon points="{tip_x},{tip_y} {tip_x - 8},{tip_y + 2} '
            f'{tip_x - 2},{tip_y + 8}"/><text x="{tip_x - 24}" y="{tip_y + 24}" '
            'stroke="none">P</text></g>'
        )
    return "".join(parts)


def draw_pedigree(people: Sequence[DrawnPerson], title: str = "") -> str:
    """The family as an SVG document.

    Raises ValidationFailed when a parent is missing from the family, an id repeats, or a
    person would be their own ancestor.
    """
    by_id = _check(people)
    if not by_id:
        raise ValidationFailed(
            "the pedigree cannot be drawn",
            [
                Issue(
                    "E_PED_EMPTY",
                    Severity.ERROR,
                    Origin("pedigree"),
                    N_("the family has no members"),
                    N_("give at least one person"),
                )
            ],
            code="E_PEDIGREE",
        )
    generation = _generations(by_id)
    rows = _order(by_id, generation)
    where = _positions(rows, by_id)
    half = SIZE / 2
    lines: list[str] = []
    sibships: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for p in by_id.values():
        if p.father or p.mother:
            sibships[(p.father, p.mother)].append(p.id)
    for (father, mother), kids in sibships.items():
        parents = [where[q] for q in (father, mother) if q]
        if len(parents) == 2:
            (x1, y1), (x2, _) = sorted(parents)
            lines.append(f'<line x1="{x1 + half}" y1="{y1}" x2="{x2 - half}" y2="{y1}"/>')
            top = ((x1 + x2) / 2, y1)
        else:
            top = (parents[0][0], parents[0][1] + half)
        kid_x = [where[k][0] for k in kids]
        bar_y = where[kids[0]][1] - half - GAP_Y / 3
        lines.append(f'<line x1="{top[0]}" y1="{top[1]}" x2="{top[0]}" y2="{bar_y}"/>')
        lines.append(
            f'<line x1="{min([*kid_x, top[0]])}" y1="{bar_y}" '
            f'x2="{max([*kid_x, top[0]])}" y2="{bar_y}"/>'
        )
        for k in kids:
            x, y = where[k]
            lines.append(f'<line x1="{x}" y1="{bar_y}" x2="{x}" y2="{y - half}"/>')
    symbols, labels = [], []
    for g, row in enumerate(rows):
        y = MARGIN + g * GAP_Y + half
        numeral = ROMAN[g] if g < len(ROMAN) else str(g + 1)
        labels.append(
            f'<text x="{MARGIN / 2}" y="{y + 4}" class="gen" font-weight="bold" '
            f'font-size="12">{numeral}</text>'
        )
        for n, pid in enumerate(row, start=1):
            x, _ = where[pid]
            symbols.append(_symbol(by_id[pid], x, y))
            labels.append(
                f'<text x="{x}" y="{y + half + 14}" text-anchor="middle">{numeral}-{n}</text>'
            )
            labels.append(
                f'<text x="{x}" y="{y + half + 26}" text-anchor="middle" class="id" '
                f'fill="#4a5663" font-size="8">'
                f"{escape(pid)}</text>"
            )
    width = max(x for x, _ in where.values()) + MARGIN + SIZE
    height = MARGIN * 2 + (len(rows) - 1) * GAP_Y + SIZE + 20
    heading = (
        f'<text x="{MARGIN / 2}" y="24" class="title" font-size="13" font-weight="bold">'
        f"{escape(title)}</text>"
        if title
        else ""
    )
    # Presentation attributes, not a <style> element: the drawing is also put inline in the
    # console's pages, whose Content-Security-Policy refuses inline style.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
        f'font-size="10" role="img" aria-label="{escape(title or "pedigree")}">'
        f"<title>{escape(title or 'pedigree')}</title>"
        f'<g class="lines" stroke="{INK}" stroke-width="1.5">{"".join(lines)}</g>'
        f'<g class="people">{"".join(symbols)}</g>'
        f'<g class="labels">{heading}{"".join(labels)}</g></svg>'
    )
