"""The optional ``abc`` pass (skipped when berkeley-abc is not installed)."""

import numpy as np
import pytest
from hypothesis import given, settings

from lgcc.ir.equiv import check_equivalence
from lgcc.ir.passes import get_pass, optimize
from lgcc.ir.passes.abc_opt import AbcParams, abc_pass
from lgcc.ir.passes.abc_tool import abc_binary, abc_stats
from lgcc.ir.random import trained_like_graph
from lgcc.ir.simulate import truth_table
from lgcc.ir.testing import graphs


def test_abc_pass_is_skipped_with_a_note_without_abc(monkeypatch):
    import lgcc.ir.passes.abc_opt as mod

    monkeypatch.setattr(mod, "abc_binary", lambda: None)
    g = trained_like_graph(8, [20, 10], k=2, seed=0)
    out, stats = get_pass("abc")(g)
    assert out is g and "not installed" in stats.report()


@pytest.mark.skipif(abc_binary() is None, reason="berkeley-abc is not installed")
def test_abc_pass_keeps_function_head_and_never_grows():
    g = optimize(trained_like_graph(12, [120, 120, 60], k=3, seed=3), 1).graph
    out, stats = abc_pass(g, AbcParams())
    out.verify()
    assert np.array_equal(truth_table(out), truth_table(g))
    assert out.head is g.head
    assert stats.counts["aig_after"] <= stats.counts["aig_before"]
    assert check_equivalence(g, out).equivalent
    assert abc_stats(g, "strash")["and"] == stats.counts["aig_before"]  # our AIG-node count is ABC's


@pytest.mark.skipif(abc_binary() is None, reason="berkeley-abc is not installed")
@settings(max_examples=15, deadline=None)
@given(g=graphs(max_inputs=7, max_gates=40))
def test_abc_pass_keeps_function_on_random_graphs(g):
    out, _ = abc_pass(g, AbcParams())
    assert np.array_equal(truth_table(out.verify()), truth_table(g))
    assert out.n_inputs == g.n_inputs and out.n_outputs == g.n_outputs
