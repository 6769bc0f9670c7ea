"""The reference simulator against a naive per-sample evaluation, and its head semantics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lgcc.ir import Encoding, Graph, GraphError, Head, predict, scores, simulate, simulate_words, truth_table
from lgcc.ir.simulate import encode, exhaustive_inputs, pack_rows, unpack_rows
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs, naive_simulate, random_bits


@given(graphs(), st.integers(1, 200))
@settings(max_examples=60, deadline=None)
def test_simulate_equals_naive(g, n):
    bits = random_bits(g, n, seed=n)
    assert np.array_equal(simulate(g, bits), naive_simulate(g, bits))


@given(graphs(max_inputs=10))
@settings(max_examples=40, deadline=None)
def test_truth_table_equals_naive_on_all_inputs(g):
    n = g.n_inputs
    all_bits = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    want = naive_simulate(g, all_bits)
    got = unpack_rows(truth_table(g), 1 << n)
    assert np.array_equal(got, want)


def test_exhaustive_inputs_enumerates_binary_indices():
    w = exhaustive_inputs(8)
    bits = unpack_rows(w, 256)
    assert np.array_equal(bits, ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(bool))
    with pytest.raises(GraphError, match="at most 20"):
        exhaustive_inputs(21)


@given(st.integers(1, 300), st.integers(1, 9))
@settings(max_examples=30, deadline=None)
def test_pack_unpack_round_trip(n, m):
    bits = np.random.default_rng(n * m).integers(0, 2, (n, m)).astype(bool)
    assert np.array_equal(unpack_rows(pack_rows(bits), n), bits)


def test_chunked_simulation_equals_unchunked():
    g = Graph.from_arrays(2, [6, 1, 7], [2, 2, 4], [3, 4, 5], [6, 5], [False, True])
    words = np.random.default_rng(0).integers(0, 2**63, (2, 37), dtype=np.int64).astype(np.uint64)
    assert np.array_equal(simulate_words(g, words, budget_bytes=8), simulate_words(g, words))


def test_scores_and_predict_with_offsets_and_ties():
    # outputs: x0, x1, x0, ~x1 ; class 0 owns [0:1], class 1 owns [1:4]
    g = Graph.from_arrays(2, [], [], [], [2, 3, 2, 3], [False, False, False, True],
                          head=Head(2, 2.0, np.array([0, 1, 4]), np.array([1, -1])))
    bits = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.uint8)
    s = scores(g, bits)
    assert s.tolist() == [[1, 0], [2, 1], [1, 0], [2, 1]]
    assert predict(g, bits).tolist() == [0, 0, 0, 0]
    tie = Graph.from_arrays(1, [], [], [], [2, 2], head=Head.group_sum(2, 2))
    assert predict(tie, np.array([[1], [0]])).tolist() == [0, 0]


def test_empty_class_scores_only_its_offset():
    g = Graph.from_arrays(1, [], [], [], [2], head=Head(2, 1.0, np.array([0, 0, 1]), np.array([3, 0])))
    assert scores(g, np.array([[1], [0]])).tolist() == [[3, 1], [3, 0]]


def test_input_checks_and_encoding():
    g = Graph.from_arrays(2, [1], [2], [3], [4], head=Head.group_sum(1, 1),
                          encoding=Encoding(1, np.array([0, 0], np.int32), np.array([0.0, 1.0], np.float32)))
    with pytest.raises(GraphError, match=r"shape \(N, 2\)"):
        simulate(g, np.zeros((3, 3), bool))
    with pytest.raises(GraphError, match="dtype"):
        simulate(g, np.zeros((3, 2), np.float32))
    bits = encode(g, np.array([[0.5], [2.0], [-1.0]]))
    assert simulate(g, bits)[:, 0].tolist() == [False, True, False]
    with pytest.raises(GraphError, match="no GroupSum head"):
        scores(g.copy(head=None), bits)
    with pytest.raises(GraphError, match="no input encoding"):
        encode(g.copy(encoding=None), np.zeros((1, 1)))


def test_bits_other_than_0_and_1_are_refused():
    """The runtime refuses them too: a 2 would otherwise be read as its low bit, 0."""
    g = random_layered_graph(4, [6], k=2, seed=0)
    with pytest.raises(GraphError, match="0 or 1"):
        simulate(g, np.full((3, 4), 2, dtype=np.uint8))
