"""The simulator's memory-saving row reuse gives the same answers as one row per node."""

import importlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs, naive_simulate, random_bits

simulate = importlib.import_module("lgcc.ir.simulate")  # the module (the package re-exports the function)


@settings(max_examples=60, deadline=None)
@given(graphs(max_gates=60), st.integers(1, 5))
def test_row_reuse_matches_one_row_per_node(g, n_words):
    x = np.random.default_rng(n_words).integers(0, 1 << 63, (g.n_inputs, n_words), dtype=np.uint64)
    roomy = simulate.simulate_words(g, x, budget_bytes=1 << 30)
    tight = simulate.simulate_words(g, x, budget_bytes=8)  # forces the liveness plan, one word per chunk
    assert np.array_equal(roomy, tight)
    bits = random_bits(g, 70, seed=n_words)
    assert np.array_equal(simulate.unpack_rows(simulate.simulate_words(g, simulate.pack_rows(bits), budget_bytes=8),
                                               70), naive_simulate(g, bits))


def test_row_reuse_keeps_the_table_small_for_layered_graphs():
    g = random_layered_graph(16, [200] * 20, seed=3)
    row, rows = simulate._row_plan(g, g.waves())
    assert rows < 3 * 200 + g.first_gate  # about two layers live, not 20
    assert np.unique(row[g.outputs]).size == g.n_outputs  # outputs never share a row
    x = np.random.default_rng(0).integers(0, 1 << 63, (16, 8), dtype=np.uint64)
    assert np.array_equal(simulate.simulate_words(g, x, budget_bytes=8 * 8 * rows),
                          simulate.simulate_words(g, x, budget_bytes=1 << 30))
