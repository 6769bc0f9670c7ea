"""The simplifying builder: every gate over every literal pair is built correctly and minimally."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lgcc.ir import FALSE, TRUE, GraphBuilder, GraphError, gates, truth_table


def lits(b: GraphBuilder) -> list[int]:
    return [FALSE, TRUE, b.input(0), b.input(0) ^ 1, b.input(1), b.input(1) ^ 1]


def value(literal: int, x: int, y: int) -> int:
    node, neg = literal >> 1, literal & 1
    base = {0: 0, 2: x, 3: y}[node]
    return base ^ neg


@pytest.mark.parametrize("op", range(16))
def test_gate_over_all_literal_pairs_is_exact(op):
    for x, y in itertools.product(range(6), repeat=2):
        b = GraphBuilder(2)
        L = lits(b)
        out = b.gate(op, L[x], L[y])
        b.output(out)
        g = b.build()
        tt = int(truth_table(g)[0, 0])
        for xv, yv in itertools.product((0, 1), repeat=2):
            want = int(gates.eval_bits(op, value(L[x], xv, yv), value(L[y], xv, yv)))
            assert (tt >> (xv + 2 * yv)) & 1 == want, (op, x, y)
        # only a real 2-input function of two different inputs may create a gate
        real = gates.IS_BINARY[op] and {L[x] >> 1, L[y] >> 1} == {2, 3}
        assert g.n_gates == (1 if real else 0)


def test_hash_consing_and_canonical_order():
    b = GraphBuilder(3)
    x, y, z = (b.input(i) for i in range(3))
    g1 = b.AND(x, y)
    assert b.AND(y, x) == g1
    assert b.gate(gates.NEG_OUT[1], x, y) == g1 ^ 1  # nand is the negated literal of and
    assert b.OR(x ^ 1, y ^ 1) == g1 ^ 1  # De Morgan through absorption
    assert b.XOR(x, z) != g1
    g = b.build()
    assert g.n_gates == 2
    assert np.all(g.a < g.b)
    assert np.all(gates.TRUTH[g.op, 0] == 0)


def test_layers_and_errors():
    b = GraphBuilder(2)
    b.output(b.AND(b.input(0), b.input(1)))
    b.end_layer()
    b.output(b.XOR(b.input(0), b.input(1)))
    g = b.build(k=2, tau=3.0)
    assert g.layers.tolist() == [0, 1, 2] and g.head.tau == 3.0
    with pytest.raises(GraphError):
        b.input(2)
    with pytest.raises(GraphError):
        b.gate(16, 0, 0)


@given(st.integers(1, 6), st.lists(st.tuples(st.integers(0, 15), st.integers(0, 10**6), st.integers(0, 10**6)),
                                   min_size=1, max_size=30))
@settings(max_examples=60, deadline=None)
def test_builder_matches_naive_evaluation(n, ops):
    b = GraphBuilder(n)
    pool = [FALSE, TRUE] + [b.input(i) for i in range(n)]
    ref = [lambda v: 0, lambda v: 1] + [lambda v, i=i: (v >> i) & 1 for i in range(n)]
    for op, i, j in ops:
        x, y = pool[i % len(pool)], pool[j % len(pool)]
        fx, fy = ref[i % len(pool)], ref[j % len(pool)]
        pool.append(b.gate(op, x, y))
        ref.append(lambda v, op=op, fx=fx, fy=fy: int(gates.eval_bits(op, fx(v), fy(v))))
    for lit_, _ in zip(pool, ref):
        b.output(lit_)
    g = b.build()
    tt = truth_table(g)
    for v in range(1 << n):
        got = [(int(tt[o, v // 64]) >> (v % 64)) & 1 for o in range(g.n_outputs)]
        assert got == [f(v) for f in ref]
