"""The alternatives to suppression, attacked as suppression is.

OpenSAFELY rounds every count to the midpoint of its band of six (midpoint-6: 1-6 is shown
as 3, 7-12 as 9), and the ONS and the ABS add to every count a small noise drawn from its
records' cell key (at most ``D`` either way, a count of 1 or more never shown as 0). Both
publish every cell; a reader then knows each count only to a band, but the bands of the
totals and of the other tables narrow those of the small counts. docs/survey.md compares the
modes with the figures these attacks give.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path

from hgr.survey.publish import publish, write_tables
from hgr.synth.editions import synthetic_nation
from tests.survey.reader import attack

INTERVAL = THRESHOLD = 5
NOISE = 2  # the largest cell-key noise either way


def midpoint6(count: int) -> int:
    """OpenSAFELY's midpoint-6 rounding: the middle of the count's band of six."""
    return 0 if count == 0 else 6 * math.ceil(count / 6) - 3


def cell_key(cell: object, count: int) -> int:
    """The count with a noise of at most NOISE either way, the same whenever the same cell is
    published (the cell key stands in for the sum of its records' keys)."""
    if count == 0:
        return 0
    key = int(hashlib.sha256(repr(cell).encode()).hexdigest(), 16) % 1000 / 1000
    return count + max(1 - count, math.floor(key * (2 * NOISE + 1)) - NOISE)


def _narrowed(
    tmp_path: Path,
    perturb: Callable[[object, int], int],
    shown: Callable[[int], tuple[float, float]],
    editions_read: int,
    exact: bool,
) -> tuple[int, int]:
    """Small counts narrowed below the interval by a reader of the first ``editions_read``
    perturbed editions of a cycle of three, and the small counts it looked at (all of them
    when ``exact``)."""
    nation = synthetic_nation(300, 8, 3, seed=3)
    late = frozenset({nation.institutions[-1][1]})
    corrected = nation.corrected()
    editions = [nation.edition(without=late), corrected.edition(without=late)]
    editions.append(corrected.edition())
    editions = editions[:editions_read]
    folders = []
    for n, edition in enumerate(editions):
        published = publish(edition, f"{n:064d}", THRESHOLD, INTERVAL, suppressed={})
        for name, table in published.tables.items():
            for cell, value in list(table.published.items()):
                assert value is not None
                table.published[cell] = perturb((name, *cell), value)
        published.persons = {
            u: perturb(("persons", u), v) for u, v in published.persons.items() if v is not None
        }
        published.sequenced = {
            u: perturb(("sequenced", u), v) for u, v in published.sequenced.items() if v is not None
        }
        folders.append(tmp_path / f"edition-{n}")
        write_tables(published, folders[-1])
    found = attack(editions, folders, INTERVAL, THRESHOLD, exact=exact, shown=shown)
    return sum(f.width < INTERVAL - 1e-6 for f in found), len(found)


def test_midpoint_rounding_leaves_small_counts_narrower_than_the_interval(tmp_path: Path) -> None:
    # A band of six is five wide alone; the totals' bands narrow it.
    narrowed, _ = _narrowed(
        tmp_path,
        lambda _, n: midpoint6(n),
        lambda p: (0, 0) if p == 0 else (p - 2, p + 3),
        editions_read=3,
        exact=False,
    )
    assert narrowed > 0


def test_cell_key_noise_leaves_every_small_count_narrower(tmp_path: Path) -> None:
    # Noise of at most 2 either way, above 0: a small count is known within 4 at most.
    narrowed, small = _narrowed(
        tmp_path,
        cell_key,
        lambda p: (0, 0) if p == 0 else (max(1, p - NOISE), p + NOISE),
        editions_read=1,
        exact=True,
    )
    assert small > 0
    assert narrowed == small
