"""Each pass removes what it claims, on small hand-built graphs."""

import numpy as np

from lgcc.ir.gates import NAMES
from lgcc.ir.graph import Graph, Head
from lgcc.ir.passes import get_pass, optimize
from lgcc.ir.passes.prune import live_nodes
from lgcc.ir.simulate import exhaustive_inputs, scores_words, truth_table

OP = {name: i for i, name in enumerate(NAMES)}


def graph(n_inputs, gates, outputs, out_neg=None, **kw):
    """Gates as (name, a, b) node triples."""
    op = [OP[g[0]] for g in gates]
    return Graph.from_arrays(n_inputs, op, [g[1] for g in gates], [g[2] for g in gates], outputs, out_neg,
                             **kw).verify()


def same_function(a, b):
    return np.array_equal(truth_table(a), truth_table(b))


def test_const_fold_removes_constant_gates_and_fixes_users():
    # inputs x=2, y=3; g4 = false; g5 = x | g4 (= x); g6 = g5 & true(node 1) ; g7 = nand(x, x|1)
    g = graph(2, [("false", 2, 3), ("or", 2, 4), ("and", 5, 1), ("or", 3, 1), ("nand", 2, 7)],
              [6, 8, 4])
    out, stats = get_pass("const_fold")(g)
    assert same_function(out, g)
    assert stats.counts["constant_gates"] == 2  # g4 = false, g7 = y | 1
    assert out.n_gates == 3
    assert not np.isin(out.a, [0, 1]).any() and not np.isin(out.b, [0, 1]).any()
    assert out.outputs[2] == 0 and not out.out_neg[2]  # the constant output reads node 0


def test_absorb_removes_wires_and_inverters_and_rewrites_users():
    # g4 = not x; g5 = wire(g4) via "b"; g6 = and(g5, y) == ~x & y; output ~g4
    g = graph(2, [("not_a", 2, 3), ("b", 3, 4), ("and", 5, 3), ("or", 6, 6)], [6, 4, 7], [False, True, False])
    out, stats = get_pass("absorb")(g)
    assert same_function(out, g)
    assert out.n_gates == 1 and out.op[0] == OP["not_a_and_b"] and (out.a[0], out.b[0]) == (2, 3)
    assert stats.counts["absorbed_gates"] == 3  # not x, the wire, or(g6, g6)
    assert out.outputs[1] == 2 and not out.out_neg[1]  # ~(~x) is x


def test_strash_merges_swapped_and_complemented_duplicates():
    g = graph(2, [("and", 2, 3), ("and", 3, 2), ("xor", 2, 3), ("xnor", 3, 2)], [4, 5, 6, 7])
    out, stats = get_pass("strash")(g)
    assert same_function(out, g)
    assert out.n_gates == 2 and stats.counts["merged_gates"] == 2
    assert out.outputs[0] == out.outputs[1] and out.outputs[2] == out.outputs[3]
    assert out.out_neg[2] != out.out_neg[3]


def test_simplify_chains_all_rules_in_one_sweep():
    # and(x, y) twice through inverters of inverters, plus a constant
    g = graph(2, [("not_a", 2, 2), ("not_a", 4, 4), ("and", 5, 3), ("and", 3, 2), ("xor", 6, 7)], [8, 6])
    out, _ = get_pass("simplify")(g)
    assert same_function(out, g)
    assert out.n_gates == 1  # x&y; the xor of equal signals is the constant 0
    assert out.outputs[0] == 0


def test_prune_removes_dead_cones_and_reports_unused_inputs():
    g = graph(3, [("and", 2, 3), ("or", 5, 2), ("xor", 6, 3)], [5])
    out, stats = get_pass("prune")(g)
    assert same_function(out, g)
    assert out.n_gates == 1 and out.n_inputs == 3
    assert stats.counts == {"removed_gates": 2, "unused_inputs": 1} and "unused inputs: 2" in stats.report()
    assert live_nodes(out)[out.first_gate:].all()


def test_prune_keeps_layer_boundaries_consistent():
    g = graph(2, [("and", 2, 3), ("or", 2, 3), ("xor", 4, 5), ("nand", 4, 4)], [6],
              layers=np.array([0, 2, 4]))
    out, _ = get_pass("prune")(g)
    assert out.n_gates == 3 and out.layers.tolist() == [0, 2, 3]


def test_head_folds_constants_and_complements_into_offsets():
    # class 0: x, ~x, const 1, y ; class 1: x & y, const 0 (negated = 1), x & y
    g = graph(2, [("and", 2, 3)], [2, 2, 0, 3, 4, 0, 4], [False, True, True, False, False, True, False],
              head=Head(2, 1.0, np.array([0, 4, 7]), np.array([0, 5])))
    out, stats = get_pass("head")(g)
    assert out.head.offsets.tolist() == [2, 6] and out.head.bounds.tolist() == [0, 1, 3]
    assert stats.counts["constant_outputs"] == 2 and stats.counts["complement_pairs"] == 1
    assert out.outputs.tolist() == [3, 4, 4]
    w = exhaustive_inputs(2)
    assert np.array_equal(scores_words(out, w, 4), scores_words(g, w, 4))


def test_head_sorts_outputs_within_each_class():
    g = graph(3, [], [4, 2, 3, 3, 2], head=Head(2, 1.0, np.array([0, 3, 5]), np.zeros(2, np.int64)))
    out, _ = get_pass("head")(g)
    assert out.outputs.tolist() == [2, 3, 4, 2, 3]


def test_head_without_a_head_is_a_no_op():
    g = graph(1, [], [2])
    out, stats = get_pass("head")(g)
    assert out is g and "no GroupSum head" in stats.report()


def test_o1_report_counts_gates_binary_aig_and_depth():
    g = graph(2, [("xor", 2, 3), ("a", 4, 4), ("and", 5, 2)], [6])
    res = optimize(g, 1, report=True)
    assert res.before == {"gates": 3, "binary": 2, "aig": 4, "depth": 3, "outputs": 1}
    last = res.runs[-1].metrics
    assert last == {"gates": 2, "binary": 2, "aig": 4, "depth": 2, "outputs": 1}
    assert "simplify" in res.report() and res.to_json()["passes"][0]["name"] == "simplify"


def test_collapse_recovers_xnor_from_three_ands_and_applies_absorption():
    # t1 = x & ~y, t2 = ~x & y, g = nor(t1, t2) = xnor(x, y); h = x & (x | z) = x
    g = graph(3, [("a_and_not_b", 2, 3), ("not_a_and_b", 2, 3), ("nor", 5, 6), ("or", 2, 4), ("and", 2, 8)],
              [7, 9])
    out, stats = get_pass("collapse")(g)
    assert same_function(out, g)
    assert out.n_gates == 1 and NAMES[out.op[0]] in ("xor", "xnor") and stats.counts["collapsed_gates"] >= 2
    assert out.outputs[1] == 2  # x


def test_collapse_keeps_shared_cones_when_it_would_cost_more():
    # t1, t2 are also outputs: turning and(~t1, ~t2) into xnor would add 2 AIG nodes
    g = graph(2, [("a_and_not_b", 2, 3), ("not_a_and_b", 2, 3), ("nor", 4, 5)], [4, 5, 6])
    out, _ = get_pass("collapse")(g)
    assert same_function(out, g) and out.n_gates == 3


def test_pairs_rewrites_same_support_outputs_to_cheaper_functions():
    # class 0: (x & y) + (x | y) = x + y ; class 1: (x ^ y) + (x & y) = x | y ; class 2: (x & y) + (x & ~y) = x
    gates = [("and", 2, 3), ("or", 2, 3), ("xor", 2, 3), ("and", 3, 2), ("and", 2, 3), ("a_and_not_b", 2, 3)]
    g = graph(2, gates, [4, 5, 6, 7, 8, 9], head=Head(3, 1.0, np.array([0, 2, 4, 6]), np.zeros(3, np.int64)))
    out, stats = get_pass("pairs")(g)
    out, _ = get_pass("prune")(out)
    w = exhaustive_inputs(2)
    assert np.array_equal(scores_words(out, w, 4), scores_words(g, w, 4))
    assert stats.counts["groups_rewritten"] == 3 and stats.counts["aig_saved"] == 2 + 3 + 2
    assert out.n_gates == 1 and NAMES[out.op[0]] in ("or", "nor")
    assert out.head.offsets.tolist() == [0, 0, 0] and out.head.sizes.tolist() == [2, 1, 1]  # x + 0: the 0 is dropped


def test_pairs_leaves_gates_that_other_logic_reads():
    gates = [("and", 2, 3), ("or", 2, 3), ("xor", 4, 5)]
    g = graph(2, gates, [4, 5, 6], head=Head(2, 1.0, np.array([0, 2, 3]), np.zeros(2, np.int64)))
    out, stats = get_pass("pairs")(g)
    assert out is g and stats.counts["groups_rewritten"] == 0


def test_pairs_on_dense_random_heads_keeps_scores_and_finds_rewrites():
    from lgcc.ir.random import random_layered_graph

    rewritten = 0
    for seed in range(10):
        g = random_layered_graph(3, [6, 24], k=4, seed=seed)  # few signals: many outputs share a support
        out, stats = get_pass("pairs")(optimize(g, 1).graph)
        w = exhaustive_inputs(3)
        assert np.array_equal(scores_words(out.verify(), w, 8), scores_words(g, w, 8))
        rewritten += stats.counts["groups_rewritten"]
    assert rewritten > 0


def test_pairs_cost_model_aig_or_gates():
    from lgcc.ir.passes.head_pairs import PairsParams, pair_rewrite

    # (x ^ y) + x = (x | y) + (x & ~y): 3 AIG nodes in 1 gate become 2 AIG nodes in 2 gates
    g = graph(2, [("xor", 2, 3)], [4, 2], head=Head(1, 1.0, np.array([0, 2]), np.zeros(1, np.int64)))
    by_aig, stats = pair_rewrite(g, PairsParams(minimize="aig"))
    assert stats.counts["aig_saved"] == 1 and by_aig.n_gates == 3  # the xor is dead now (prune removes it)
    w = exhaustive_inputs(2)
    assert np.array_equal(scores_words(by_aig, w, 4), scores_words(g, w, 4))
    by_gates, stats = pair_rewrite(g, PairsParams(minimize="gates"))
    assert by_gates is g and stats.counts["groups_rewritten"] == 0


def test_optimize_takes_a_pass_string_and_refuses_a_level_that_is_not_an_int():
    """passes="strash" ran 's', 't', ... ("unknown pass 's'"); level "1" was "unknown optimization level -O1"."""
    import pytest

    from lgcc.ir.errors import LgccError
    from lgcc.ir.random import random_layered_graph

    g = random_layered_graph(6, [12, 6], seed=2)
    by_string = optimize(g, passes="simplify, prune").graph
    assert np.array_equal(truth_table(by_string), truth_table(optimize(g, passes=["simplify", "prune"]).graph))
    with pytest.raises(LgccError, match="optimization level must be an integer in 0 or more, got '1'"):
        optimize(g, level="1")
