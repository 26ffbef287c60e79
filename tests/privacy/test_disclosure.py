"""The disclosure module's search for room (what a neighbourhood holds), and verdicts that do not
depend on the machine."""

from __future__ import annotations

import pytest

from hgr.privacy import disclosure
from hgr.privacy.disclosure import Model
from hgr.survey.publish import protect_release
from hgr.synth.editions import synthetic_nation


def test_a_neighbourhood_holds_the_counts_own_relation_before_a_flood_of_small_ones() -> None:
    """A count of consents withdrawn is bound to its institution's consents by scope (a
    relation of seven unknowns) and to its donors without consent (two). Those donors reach
    fifty more small relations, each of which reaches more. Step 3 needs the seven: the
    change that gives room moves a scope. Taking the smallest relations first, wherever they
    are, fills the neighbourhood with the flood and leaves the scopes out, so no room is found
    (five million donors left eight such counts unprotected)."""
    model = Model()
    withdrawn = model.variable(1)
    scopes = [model.variable(40) for _ in range(5)]
    donors = model.variable(201)
    model.relation({withdrawn: 1, **dict.fromkeys(scopes, 1), donors: -1}, 0.0, 0.0)
    without = model.variable(1)
    model.relation({withdrawn: 1, without: -1}, 0.0, 0.0)
    for _ in range(50):
        near = model.variable(3)
        model.relation({without: 1, near: -1}, -float("inf"), 0.0)
        for _ in range(3):
            model.relation({near: 1, model.variable(5): -1}, -float("inf"), 0.0)
    model.cells["withdrawn"] = {withdrawn: 1}
    index = disclosure._Index(model)
    found = set(disclosure._neighbourhood(index, {withdrawn: 1}, 20).tolist())
    assert set(scopes) <= found
    assert donors in found


def test_the_cells_hidden_do_not_depend_on_the_machines_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Blocks and neighbourhoods are solved side by side on as many threads as the machine
    has. A sign-off must hide the same cells on a laptop and on a server: a national edition
    audited piece by piece (small sizes force the blocks and the neighbourhoods) hides the same
    cells on one thread and on four. (Neighbourhoods taken as many at a time as there are
    threads hide other cells, and fail this.)"""
    monkeypatch.setattr(disclosure, "LOCAL", 60)
    monkeypatch.setattr(disclosure, "HOOD", 60)
    monkeypatch.setattr(disclosure, "BLOCKS_ABOVE", 30)
    edition = synthetic_nation(300, 8, 3, seed=3).edition()
    chosen = {}
    for threads in (1, 4):
        monkeypatch.setattr(disclosure, "THREADS", threads)
        monkeypatch.setattr(disclosure, "_POOL", None)
        chosen[threads] = protect_release(edition, (), 5, 5).suppressed
    assert chosen[1] == chosen[4]
