"""The optional ``abc`` pass (skipped when berkeley-abc is not installed)."""

import numpy as np
import pytest
from hypothesis import given, settings

from lgcc.ir.builder import GraphBuilder
from lgcc.ir.equiv import check_equivalence
from lgcc.ir.passes import get_pass, optimize
from lgcc.ir.passes.abc_opt import AbcParams, abc_pass
from lgcc.ir.passes.abc_tool import abc_binary, abc_stats
from lgcc.ir.passes.metrics import graph_metrics
from lgcc.ir.random import trained_like_graph
from lgcc.ir.simulate import truth_table
from lgcc.ir.testing import graphs


def test_abc_pass_is_skipped_with_a_note_without_abc(monkeypatch):
    import lgcc.ir.passes.abc_opt as mod

    monkeypatch.setattr(mod, "abc_binary", lambda: None)
    g = trained_like_graph(8, [20, 10], k=2, seed=0)
    out, stats = get_pass("abc")(g)
    assert out is g and "not installed" in stats.report()
    assert optimize(g, passes=["abc", "prune"]).skipped() == ["abc: skipped: berkeley-abc is not installed"]


@pytest.mark.parametrize("command", [["opt", "--passes", "abc,prune"], ["compile", "--passes", "abc", "-t", "verilog"]])
def test_a_pass_asked_for_by_name_says_when_it_is_skipped(monkeypatch, tmp_path, capsys, command):
    """`--passes abc` without ABC installed still works, and says on stderr that abc did not run."""
    import lgcc.ir.passes.abc_opt as mod
    from lgcc.cli import main
    from lgcc.loading import save_graph

    monkeypatch.setattr(mod, "abc_binary", lambda: None)
    save_graph(trained_like_graph(8, [20, 10], k=2, seed=0), tmp_path / "m.lgir")
    out = tmp_path / ("o.lgir" if command[0] == "opt" else "rtl")
    assert main([command[0], str(tmp_path / "m.lgir"), *command[1:], "-o", str(out)]) == 0
    assert f"lgcc {command[0]}: abc: skipped: berkeley-abc is not installed" in capsys.readouterr().err


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
def test_abc_pass_removes_shared_factor_redundancy():
    """(x&y)&(x&z) = x&y&z and (x|y)&(x|z) = x|(y&z): 6 AND nodes that -O2 leaves (each gate reads
    distinct signals, the shared factor x sits one level down) and ABC re-factors (3 with y&z shared)."""
    b = GraphBuilder(n_inputs=3)
    x, y, z = (b.input(i) for i in range(3))
    b.output(b.AND(b.AND(x, y), b.AND(x, z)))
    b.output(b.AND(b.OR(x, y), b.OR(x, z)))
    g = optimize(b.build(), 2).graph
    assert graph_metrics(g)["aig"] == 6  # the native passes keep all of it
    out, stats = abc_pass(g, AbcParams())
    assert stats.counts["aig_after"] < stats.counts["aig_before"] == 6, stats.report()
    assert graph_metrics(out.verify())["aig"] == stats.counts["aig_after"]  # the smaller result is returned
    assert np.array_equal(truth_table(out), truth_table(g))
    assert check_equivalence(g, out).equivalent


@pytest.mark.skipif(abc_binary() is None, reason="berkeley-abc is not installed")
@settings(max_examples=15, deadline=None)
@given(g=graphs(max_inputs=7, max_gates=40))
def test_abc_pass_keeps_function_on_random_graphs(g):
    out, _ = abc_pass(g, AbcParams())
    assert np.array_equal(truth_table(out.verify()), truth_table(g))
    assert out.n_inputs == g.n_inputs and out.n_outputs == g.n_outputs


@pytest.mark.skipif(abc_binary() is None, reason="berkeley-abc is not installed")
def test_abc_pass_on_a_graph_without_gates():
    """A graph of no gates (and no outputs) made ABC fail an internal assertion: 'Abc_NtkCheckNames'."""
    from lgcc.ir.graph import Graph

    for g in (Graph.from_arrays(0, [], [], [], []), Graph.from_arrays(2, [], [], [], [2, 3], [False, True])):
        assert np.array_equal(optimize(g, passes=["abc"]).graph.outputs, g.outputs)
