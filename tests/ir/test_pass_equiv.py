"""The equivalence checker: exhaustive, random, per bit or per class score, counterexamples, ABC cec."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lgcc.ir.equiv import check_equivalence
from lgcc.ir.passes import optimize
from lgcc.ir.passes.abc_tool import abc_binary
from lgcc.ir.random import random_layered_graph, trained_like_graph
from lgcc.ir.score_circuit import score_circuits, score_range
from lgcc.ir.testing import graphs
from lgcc.ir.simulate import scores, simulate

needs_abc = pytest.mark.skipif(abc_binary() is None, reason="berkeley-abc is not installed")


def exhaustive_rows(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=bool).reshape(-1, n)


def mutate(g, gate):
    op = g.op.copy()
    op[gate] = 15 - op[gate]  # the complement: an output gate then differs on every input
    return g.copy(op=op)


def test_exhaustive_finds_a_real_counterexample():
    g = random_layered_graph(8, [30, 30, 12], k=3, seed=3)
    bad = mutate(g, g.n_gates - 1)
    res = check_equivalence(g, bad)
    assert not res.equivalent and res.method == "exhaustive" and res.proved
    cex = res.counterexample[None, :]
    assert (simulate(g, cex) != simulate(bad, cex)).any()
    assert "NOT equivalent" in res.summary()


def test_exhaustive_proves_optimized_graphs():
    g = trained_like_graph(10, [40, 40, 20], k=4, seed=1)
    res = check_equivalence(g, optimize(g, 1).graph)
    assert res.equivalent and res.proved and res.compared == "bits" and res.vectors == 1024


def test_head_rewrites_are_compared_by_class_score():
    g = trained_like_graph(10, [40, 40, 20], k=4, seed=2)
    out = optimize(g, 2).graph
    assert not out.head.same_as(g.head)
    res = check_equivalence(g, out)
    assert res.equivalent and res.compared == "scores"
    # breaking one class's offset is caught, with a counterexample
    broken = out.copy(head=type(out.head)(out.head.k, out.head.tau, out.head.bounds, out.head.offsets + [1, 0, 0, 0]))
    res = check_equivalence(g, broken)
    assert not res.equivalent and res.compared == "scores"
    cex = res.counterexample[None, :]
    assert (scores(g, cex) != scores(broken, cex)).any()


def test_reordered_outputs_with_the_same_head_are_score_equivalent():
    g = random_layered_graph(6, [20, 8], k=2, seed=4)
    perm = np.array([1, 0, 2, 3, 4, 5, 6, 7])  # swap two outputs of class 0
    out = g.copy(outputs=g.outputs[perm], out_neg=g.out_neg[perm])
    res = check_equivalence(g, out)
    assert res.equivalent and res.compared == "scores" and "output bits differ" in res.detail


def test_random_simulation_for_many_inputs():
    g = random_layered_graph(40, [60, 60, 20], seed=5)
    res = check_equivalence(g, optimize(g, 1).graph, vectors=20_000, use_abc=False)
    assert res.equivalent and res.method == "random" and res.vectors == 20_000 and not res.proved
    res = check_equivalence(g, mutate(g, g.n_gates - 1), vectors=20_000, use_abc=False)
    assert not res.equivalent and res.counterexample.shape == (40,)


def test_interface_mismatch_is_not_equivalent():
    a = random_layered_graph(6, [10, 4], seed=1)
    assert not check_equivalence(a, random_layered_graph(7, [10, 4], seed=1)).equivalent
    res = check_equivalence(a, random_layered_graph(6, [10, 5], seed=1))
    assert not res.equivalent and "outputs differ" in res.detail


def test_different_input_encodings_are_not_equivalent():
    """The same logic behind other thresholds was "equivalent ... proved", yet predicted other classes."""
    from lgcc.ir import Encoding

    g = random_layered_graph(6, [10, 4], k=2, seed=1)
    enc = Encoding(3, np.repeat(np.arange(3, dtype=np.int32), 2), np.tile(np.float32([0.5, 1.5]), 3))
    a = g.copy(encoding=enc)
    b = g.copy(encoding=Encoding(3, enc.feature, enc.threshold * 100))
    assert check_equivalence(a, a.copy(encoding=Encoding(3, enc.feature, enc.threshold.copy()))).equivalent
    for other in (b, g):
        res = check_equivalence(a, other)
        assert not res.equivalent and "input encodings (feature thresholds) differ" in res.detail
    assert check_equivalence(a.copy(encoding=None), b.copy(encoding=None)).equivalent  # what --bits compares


@needs_abc
def test_abc_cec_proves_o1_on_a_trained_like_model():
    g = trained_like_graph(64, [400, 400, 400, 200], k=10, seed=7)
    out = optimize(g, 1).graph
    assert out.n_gates < g.n_gates / 2
    res = check_equivalence(g, out, vectors=4096)
    assert res.equivalent and res.method == "abc-cec" and res.proved


@needs_abc
def test_abc_cec_refutes_a_difference_simulation_can_miss():
    from lgcc.ir.builder import GraphBuilder

    b = GraphBuilder(30)
    x = [b.input(i) for i in range(30)]
    acc = x[0]
    for v in x[1:]:
        acc = b.AND(acc, v)  # true on one input vector out of 2**30
    b.output(acc)
    g = b.build()
    zero = g.copy(op=np.zeros(0, np.uint8), a=np.zeros(0, np.int32), b=np.zeros(0, np.int32),
                  outputs=np.array([0], np.int32), out_neg=np.array([False]), layers=None)
    res = check_equivalence(g, zero, vectors=1000)
    assert not res.equivalent and res.method == "abc-cec"
    assert res.counterexample.all()  # the one input vector where the AND of all inputs is 1


@needs_abc
def test_abc_cec_on_a_trained_model_before_and_after(trained_graph):
    g = trained_graph.graph
    o1 = optimize(g, 1).graph
    res = check_equivalence(g, o1, vectors=4096)
    assert res.equivalent and res.method == "abc-cec" and res.proved
    o2 = optimize(g, 2).graph
    assert o2.n_gates <= o1.n_gates and not o2.head.same_as(g.head)
    res = check_equivalence(g, o2, vectors=50_000)
    assert res.equivalent and res.compared == "scores" and res.method == "abc-cec" and res.proved
    assert np.array_equal(scores(o2, trained_graph.bits), scores(g, trained_graph.bits))


def _and_of_inputs(n: int, extra: bool):
    """Outputs [AND of all n inputs, input 0] (or just [input 0]) in one class: scores differ on one vector."""
    from lgcc.ir.builder import GraphBuilder
    from lgcc.ir.graph import Head

    b = GraphBuilder(n)
    x = [b.input(i) for i in range(n)]
    acc = x[0]
    for v in x[1:]:
        acc = b.AND(acc, v)
    if extra:
        b.output(acc)
    b.output(x[0])
    g = b.build()
    return g.copy(head=Head(1, 1.0, np.array([0, g.n_outputs]), np.array([0])))


@needs_abc
def test_abc_cec_refutes_a_score_difference_simulation_can_miss():
    """Class scores get a proof too: the AND of 30 inputs dropped from a class, as if it were constant 0."""
    g, dropped = _and_of_inputs(30, True), _and_of_inputs(30, False)
    res = check_equivalence(g, dropped, vectors=1000, use_abc=False)
    assert res.equivalent and res.compared == "scores" and not res.proved  # random vectors miss it
    res = check_equivalence(g, dropped, vectors=1000)
    assert not res.equivalent and res.compared == "scores" and res.method == "abc-cec" and res.proved
    assert res.counterexample.all()  # the one vector where the scores differ (2 vs 1)


@needs_abc
def test_abc_cec_proves_head_rewrites_with_many_inputs():
    g = trained_like_graph(40, [200, 200, 100], k=5, seed=3)
    out = optimize(g, 2).graph
    assert not out.head.same_as(g.head)
    res = check_equivalence(g, out, vectors=4096)
    assert res.equivalent and res.compared == "scores" and res.method == "abc-cec" and res.proved
    assert "proved" in res.summary()


@settings(max_examples=40, deadline=None)
@given(graphs(max_inputs=7, max_gates=40, max_outputs=12, head=True), st.integers(0, 2**32 - 1))
def test_score_circuits_compute_the_class_scores(g, seed):
    """Each circuit's outputs are its graph's class scores (+ bias) in binary, on every input vector,
    for head rewrites, negated and constant outputs, negative offsets and emptied classes."""
    rng = np.random.default_rng(seed)
    head = g.head
    other = optimize(g, 2).graph
    other = other.copy(head=type(head)(head.k, head.tau, other.head.bounds,
                                       other.head.offsets - rng.integers(0, 4, head.k)))
    circuits = score_circuits(g, other)
    bias, width = score_range(g, other)
    x = exhaustive_rows(g.n_inputs)
    for graph, circuit in zip((g, other), circuits):
        circuit.verify()
        bits = simulate(circuit, x).reshape(len(x), head.k, width)
        assert np.array_equal((bits * (1 << np.arange(width))).sum(axis=2) - bias, scores(graph, x))


def test_progress_reports_every_chunk(monkeypatch):
    """progress(done, total) after each simulated chunk, ending at total; the default stays 1,000,000."""
    import lgcc.ir.equiv as equiv

    assert equiv.DEFAULT_VECTORS == 1_000_000  # the floor for the default check
    g = random_layered_graph(40, [60, 30], k=2, seed=1)
    monkeypatch.setattr(equiv, "_BIT_CHUNK_WORDS", 4)
    seen: list[tuple[int, int]] = []
    res = check_equivalence(g, g, vectors=64 * 4 * 5 - 10, use_abc=False, progress=lambda d, t: seen.append((d, t)))
    assert res.equivalent and seen == [(i, 5) for i in range(1, 6)]


def test_bit_comparison_chunks_are_sized_by_the_outputs(monkeypatch):
    """Many outputs: fewer words per chunk, so the output words of a chunk stay within the budget."""
    import lgcc.ir.equiv as equiv

    g = random_layered_graph(40, [60, 60, 48], seed=5)
    widths = []
    real = equiv.simulate_words

    def spy(graph, words):
        widths.append(words.shape[1])
        return real(graph, words)

    monkeypatch.setattr(equiv, "simulate_words", spy)
    monkeypatch.setattr(equiv, "_BIT_CHUNK_BYTES", 8 * 48 * 3)  # three words of 48 outputs
    res = check_equivalence(g, optimize(g, 1).graph, vectors=1000, use_abc=False)
    assert res.equivalent and res.vectors == 1000 and max(widths) == 3 and sum(widths) == 2 * 16
    assert not check_equivalence(g, mutate(g, g.n_gates - 1), vectors=1000, use_abc=False).equivalent


def test_abc_past_its_time_limit_leaves_the_simulation_verdict(monkeypatch):
    """ABC overruns its own -T on hard miters; stopped, it proves nothing and says so."""
    import lgcc.ir.passes.abc_tool as abc_tool

    def too_slow(commands, timeout=600.0):
        raise abc_tool.AbcTimeout(f"ABC did not finish within {timeout:.0f} s")

    monkeypatch.setattr(abc_tool, "abc_binary", lambda: "berkeley-abc")
    monkeypatch.setattr(abc_tool, "run_abc", too_slow)
    g = trained_like_graph(30, [60, 30], k=3, seed=2)
    res = check_equivalence(g, optimize(g, 2).graph, vectors=2000, abc_timeout=7)
    assert res.equivalent and not res.proved and res.method == "random"
    assert "ABC cec undecided within 7 s (--abc-timeout): no proof" in res.summary()


def test_a_seed_numpy_cannot_take_is_one_line():
    """seed=-1 on more than 20 inputs was numpy's ValueError from deep in the simulation."""
    from lgcc.ir.errors import LgccError

    g = random_layered_graph(24, [8], seed=1)
    with pytest.raises(LgccError, match="seed must be an integer in 0 or more, got -1"):
        check_equivalence(g, g, seed=-1)
