"""Graph invariants: verify() accepts valid graphs and names each corruption."""

import numpy as np
import pytest
from hypothesis import given, settings

from lgcc.ir import Encoding, Graph, GraphError, Head
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs


def small() -> Graph:
    return Graph.from_arrays(2, [1, 6], [2, 2], [3, 4], [4, 5], [False, True],
                             head=Head.group_sum(2, 2, 1.0))


@given(graphs())
@settings(max_examples=50, deadline=None)
def test_random_graphs_verify(g):
    g.verify()
    lv = g.levels()
    assert lv.shape == (g.n_nodes,)
    if g.n_gates:
        ids = np.arange(g.first_gate, g.n_nodes)
        assert np.all(lv[ids] == np.maximum(lv[g.a], lv[g.b]) + 1)


@given(graphs())
@settings(max_examples=50, deadline=None)
def test_waves_only_read_earlier_waves(g):
    w = g.waves()
    assert w[0] == 0 and w[-1] == g.n_gates and np.all(np.diff(w) > 0) | (g.n_gates == 0)
    for s, e in zip(w[:-1], w[1:]):
        assert np.all(np.maximum(g.a[s:e], g.b[s:e]) < g.first_gate + s)


def test_layered_graph_waves_are_layers():
    g = random_layered_graph(10, [7, 5, 4], k=2)
    assert list(g.waves()) == [0, 7, 12, 16]
    assert g.depth() == 3


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(op=np.array([1, 16], np.uint8)), "op 16 is not in 0..15"),
        (dict(a=np.array([2, 5], np.int32)), "operand a=5 is not a node before it"),
        (dict(b=np.array([-1, 4], np.int32)), "operand b=-1"),
        (dict(op=np.array([1, 6], np.int64)), "dtype uint8"),
        (dict(a=np.array([2], np.int32)), "same length"),
        (dict(outputs=np.array([4, 9], np.int32)), "output 1 refers to node 9"),
        (dict(out_neg=np.array([True], bool)), "one flag per output"),
        (dict(head=Head(2, 1.0, np.array([0, 1, 3]), np.zeros(2, np.int64))), "class bounds"),
        (dict(head=Head(2, 0.0, np.array([0, 1, 2]), np.zeros(2, np.int64))), "tau > 0"),
        (dict(head=Head(2, 1.0, np.array([0, 1, 2]), np.zeros(3, np.int64))), "offsets"),
        (dict(encoding=Encoding(3, np.array([0, 3], np.int32), np.zeros(2, np.float32))), "feature indices"),
        (dict(encoding=Encoding(3, np.array([0, 1], np.int32), np.array([0, np.nan], np.float32))), "finite"),
        (dict(layers=np.array([0, 3], np.int64)), "layers"),
        (dict(meta={"x": object()}), "JSON"),
    ],
)
def test_verify_rejects_each_corruption(change, message):
    g = small().copy(**change)
    with pytest.raises(GraphError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        g.verify()


def test_group_sum_needs_divisible_outputs():
    with pytest.raises(GraphError, match="cannot be split"):
        Head.group_sum(5, 2)


def test_encoding_encodes_strictly_greater():
    e = Encoding(2, np.array([0, 0, 1], np.int32), np.array([0.5, 1.0, -1.0], np.float32))
    bits = e.encode(np.array([[1.0, -1.0], [0.75, 0.0]]))
    assert bits.tolist() == [[True, False, False], [True, False, True]]
    with pytest.raises(GraphError, match="shape"):
        e.encode(np.zeros((2, 3)))


def test_to_networkx_view():
    nxg = small().to_networkx()
    assert nxg.nodes[4]["gate"] == "and"
    assert nxg.nodes["y1"]["negated"] is True
    assert nxg.has_edge(4, 5) and nxg.has_edge(5, "y1")


@given(graphs())
@settings(max_examples=40, deadline=None)
def test_fanin_cone_matches_a_per_gate_walk(g):
    want_all = np.zeros(g.n_nodes, bool)
    want_read = np.zeros(g.n_nodes, bool)
    want_all[g.outputs] = want_read[g.outputs] = True
    from lgcc.ir.gates import DEPENDS_A, DEPENDS_B

    for j in range(g.n_gates - 1, -1, -1):
        node = g.first_gate + j
        if want_all[node]:
            want_all[g.a[j]] = want_all[g.b[j]] = True
        if want_read[node]:
            want_read[g.a[j]] |= DEPENDS_A[g.op[j]]
            want_read[g.b[j]] |= DEPENDS_B[g.op[j]]
    assert np.array_equal(g.fanin_cone(g.outputs), want_all)
    assert np.array_equal(g.fanin_cone(g.outputs, read_only=True), want_read)


def test_class_labels_only_when_they_name_each_class():
    from lgcc.ir.random import random_layered_graph

    g = random_layered_graph(6, [8, 6], k=3, seed=0)
    assert g.class_labels() is None  # no training metadata
    named = g.copy(meta={"training": {"classes": ["a", 2, 3.5]}})
    assert named.class_labels() == ["a", 2, 3.5]
    for bad in (["a", "b"], "abc", [["a"], "b", "c"], None):
        assert g.copy(meta={"training": {"classes": bad}}).class_labels() is None
    assert named.copy(head=None).class_labels() is None


def test_a_json_threshold_beyond_float32_is_an_error_not_a_warning():
    """1e39 in a head/encoding comment of BLIF or AIGER printed numpy's overflow warning before the error."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(GraphError, match="field 'threshold' has a bad value"):
            Encoding.from_json({"n_features": 1, "feature": [0], "threshold": [1e39]})


@pytest.mark.parametrize("field, value, message", [
    ("a", [2**32 + 2], r"a\[0\] = 4294967298 does not fit dtype int32"),  # was wrapped to node 2
    ("a", [2.7], r"a\[0\] = 2.7 does not fit dtype int32"),  # was truncated to 2
    ("op", [257], r"op\[0\] = 257 does not fit dtype uint8"),  # was op 1
    ("outputs", [2**32 + 4], r"outputs\[0\] = 4294967300 does not fit"),
    ("out_neg", [2], r"out_neg\[0\] = 2 does not fit dtype bool"),
    ("a", ["x"], "a must hold numbers"),
])
def test_from_arrays_refuses_values_it_would_change(field, value, message):
    args = {"op": [1], "a": [2], "b": [3], "outputs": [4], "out_neg": [False]} | {field: value}
    with pytest.raises(GraphError, match=message):
        Graph.from_arrays(2, args["op"], args["a"], args["b"], args["outputs"], args["out_neg"])


def test_encoding_and_head_arrays_need_their_dtypes():
    """A float64 threshold made the simulator (float64 compare) disagree with every backend (float32)."""
    g = Graph.from_arrays(1, [1], [2], [2], [3])
    with pytest.raises(GraphError, match="encoding: threshold must have dtype float32, got float64"):
        g.copy(encoding=Encoding(1, np.zeros(1, np.int32), np.array([0.1]))).verify()
    with pytest.raises(GraphError, match="encoding: feature must be a 1-D numpy array"):
        g.copy(encoding=Encoding(1, [0], np.float32([0.1]))).verify()
    with pytest.raises(GraphError, match="head: bounds must be a 1-D numpy array"):
        g.copy(head=Head(1, 1.0, [0, 1], np.zeros(1, np.int64))).verify()
