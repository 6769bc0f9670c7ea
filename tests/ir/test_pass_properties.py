"""Every pass on hypothesis random graphs (planted constants, wires, inverters, duplicates, dead cones).

Each pass must keep the function (head rewrites: every class score) on exhaustive
inputs, leave a valid graph, be idempotent, and -O2 applied twice changes nothing.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lgcc.ir.equiv import check_equivalence
from lgcc.ir.graph import Graph
from lgcc.ir.passes import get_pass, optimize
from lgcc.ir.passes.manager import same_graph
from lgcc.ir.simulate import exhaustive_inputs, scores_words, truth_table
from lgcc.ir.testing import graphs

BIT_PASSES = ["const_fold", "absorb", "strash", "simplify", "prune", "collapse"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def all_scores(g: Graph) -> np.ndarray:
    return scores_words(g, exhaustive_inputs(g.n_inputs), 1 << g.n_inputs)


@pytest.mark.parametrize("name", BIT_PASSES)
@SETTINGS
@given(g=graphs(max_inputs=7, max_gates=50))
def test_bit_pass_keeps_function_and_is_idempotent(name, g):
    out, stats = get_pass(name)(g)
    out.verify()
    assert np.array_equal(truth_table(out), truth_table(g))
    assert out.n_gates <= g.n_gates and out.n_inputs == g.n_inputs
    assert out.head is g.head and out.encoding is g.encoding
    assert isinstance(stats.report(), str)
    again, _ = get_pass(name)(out)
    assert same_graph(again, out)


@pytest.mark.parametrize("name", ["head", "pairs"])
@SETTINGS
@given(g=graphs(max_inputs=7, max_gates=50, head=True))
def test_head_pass_keeps_every_class_score(name, g):
    out, _ = get_pass(name)(g)
    out.verify()
    assert np.array_equal(all_scores(out), all_scores(g))
    again, _ = get_pass(name)(out)
    assert same_graph(again, out)


@SETTINGS
@given(g=graphs(max_inputs=7, max_gates=50))
def test_pipelines_keep_function_and_reach_a_fixed_point(g):
    for level in (0, 1, 2):
        out = optimize(g, level).graph.verify()
        if level < 2 or g.head is None:
            assert np.array_equal(truth_table(out), truth_table(g))
        if g.head is not None:
            assert np.array_equal(all_scores(out), all_scores(g))
        assert check_equivalence(g, out).equivalent
        assert same_graph(optimize(out, level).graph, out)


@SETTINGS
@given(g=graphs(max_inputs=7, max_gates=50))
def test_rebuilt_graphs_are_level_ordered_and_simplified(g):
    from lgcc.ir.gates import IS_BINARY, TRUTH

    out = optimize(g, 1).graph
    if out.n_gates:
        lv = out.levels()[out.first_gate:]
        assert np.all(np.diff(lv) >= 0)  # ordered by level: the waves are the levels
        assert np.array_equal(out.layers, out.waves())
        assert IS_BINARY[out.op].all() and (TRUTH[out.op, 0] == 0).all()
        assert np.all(out.a < out.b) and np.all(out.a >= out.first_gate - out.n_inputs)
