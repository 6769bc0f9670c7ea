"""Levels of graphs in any topological order (block sweeps), and renumbering gates by level."""

import numpy as np
import pytest
from hypothesis import given, settings

from lgcc.ir import levels as levels_mod
from lgcc.ir.formats import aiger
from lgcc.ir.graph import Graph
from lgcc.ir.levels import level_bounds, level_groups, node_levels, sort_by_level
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import simulate
from lgcc.ir.testing import graphs, random_bits
from lgcc.loading import load_graph, save_graph


def reference_levels(g: Graph) -> np.ndarray:
    """One gate at a time, in id order."""
    lv = [0] * g.first_gate
    for a, b in zip(g.a.tolist(), g.b.tolist()):
        lv.append(max(lv[a], lv[b]) + 1)
    return np.array(lv, dtype=np.int32)


def reference_cone(g: Graph, roots) -> np.ndarray:
    live = np.zeros(g.n_nodes, dtype=bool)
    live[np.asarray(roots, dtype=np.int64)] = True
    for node in range(g.n_nodes - 1, g.first_gate - 1, -1):
        if live[node]:
            live[g.a[node - g.first_gate]] = live[g.b[node - g.first_gate]] = True
    return live


def aiger_ordered() -> Graph:
    """A graph in AIGER's order (an XOR's three ANDs one after another): runs of a few gates."""
    g = random_layered_graph(30, [400, 400, 200], k=2, seed=3, ops=np.array([6, 9, 1, 7], dtype=np.uint8))
    return aiger.from_bytes(aiger.to_bytes(g, binary=True))


@given(graphs(max_gates=60))
@settings(max_examples=60, deadline=None)
def test_levels_match_one_gate_at_a_time(g):
    assert np.array_equal(g.levels(), reference_levels(g))
    assert np.array_equal(g.fanin_cone(g.outputs), reference_cone(g, g.outputs))


@pytest.mark.parametrize("sweeps", [1, 64])
@given(g=graphs(max_gates=60))
@settings(max_examples=30, deadline=None)
def test_levels_by_sweeps_in_tiny_blocks(g, sweeps):
    """Blocks of 5 gates, every one swept: settled by sweeps, or (one sweep) by the per-run fallback."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(levels_mod, "_BLOCK", 5)
        mp.setattr(levels_mod, "_FEW_RUNS", 0)
        mp.setattr(levels_mod, "_SWEEPS", sweeps)
        assert np.array_equal(node_levels(g.first_gate, g.a, g.b), reference_levels(g))


def test_deep_chain_falls_back_to_runs():
    n = 300  # a chain longer than the sweeps a block tries
    g = Graph.from_arrays(1, np.full(n, 6), np.arange(2, 2 + n), np.full(n, 2), [2 + n]).verify()
    assert np.array_equal(g.levels()[3:], np.arange(1, n + 1))
    assert g.depth() == n


def test_aiger_order_is_settled_by_sweeps(monkeypatch):
    g = aiger_ordered()
    assert g.waves().size > 100  # hundreds of tiny runs: one numpy step each would be a loop per few gates
    full_runs = []
    real_runs = levels_mod.runs

    def spy(dep, start, stop, limit=None):
        full_runs.append(limit is None)
        return real_runs(dep, start, stop, limit)

    monkeypatch.setattr(levels_mod, "runs", spy)
    assert np.array_equal(node_levels(g.first_gate, g.a, g.b), reference_levels(g))
    assert full_runs and not any(full_runs)  # the per-run fallback was never needed
    order, bounds = level_groups(g.levels()[g.first_gate:])
    assert order is not None and bounds.size == g.depth() + 1


@given(graphs(max_gates=60))
@settings(max_examples=40, deadline=None)
def test_sort_by_level_keeps_the_function(g):
    s = sort_by_level(g).verify()
    lv = s.levels()[s.first_gate:]
    assert level_bounds(lv) is not None
    assert np.array_equal(np.sort(lv), np.sort(g.levels()[g.first_gate:]))
    bits = random_bits(g, 50)
    assert np.array_equal(simulate(s, bits), simulate(g, bits))


def test_sort_by_level_leaves_a_sorted_graph_alone():
    g = random_layered_graph(8, [6, 5], k=1)
    assert sort_by_level(g) is g
    assert list(level_bounds(g.levels()[g.first_gate:])) == [0, 6, 11]
    h = aiger_ordered()
    assert sort_by_level(h).layers is None and sort_by_level(h).n_gates == h.n_gates


@pytest.mark.parametrize("ext", [".aig", ".aag", ".blif"])
def test_netlists_load_in_level_order(tmp_path, ext):
    """So every later step (stats, simulation, passes) takes one step per level, not per run."""
    path = tmp_path / f"m{ext}"
    save_graph(random_layered_graph(20, [300, 300], k=2, seed=1), path)
    g = load_graph(path)
    assert level_bounds(g.levels()[g.first_gate:]) is not None
    assert g.waves().size - 1 == g.depth()
