"""Dumps: golden text, determinism, DOT parsed by Graphviz, GraphML read by networkx, selections."""

import io
import json
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lgcc.ir.builder import GraphBuilder
from lgcc.ir.dump import FORMATS, dump, select
from lgcc.ir.dump.select import cone_mask, gate_layers
from lgcc.ir.errors import LgccError
from lgcc.ir.graph import Encoding, Graph
from lgcc.ir.passes.prune import prune
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs, with_extras

GOLDEN = Path(__file__).parent / "golden"


def five_gates():
    """The golden 5-gate graph: 3 inputs, 3 layers, GroupSum(2) over 4 outputs (two negated)."""
    b = GraphBuilder(3)
    x0, x1, x2 = (b.input(i) for i in range(3))
    g0, g1 = b.AND(x0, x1), b.XOR(x1, x2)
    b.end_layer()
    g2, g3 = b.OR(g0, g1), b.gate(2, g1, x0)
    b.end_layer()
    g4 = b.gate(14, g2, g3)
    for out in (g4, g3, g2 ^ 1, x2):
        b.output(out)
    return b.build(k=2, tau=2.0)


def test_golden_text():
    assert dump(five_gates(), "text") == (GOLDEN / "five_gates.txt").read_text()


def test_golden_cone_text():
    assert dump(five_gates(), "text", select(five_gates(), cone=1)) == (GOLDEN / "five_gates_cone1.txt").read_text()


def test_selection_lists_only_the_inputs_it_reads():
    """A cone's text dump lists the inputs (and thresholds) its gates read, not every input of the model."""
    g = five_gates()
    g = g.copy(encoding=Encoding(2, np.array([0, 1, 1], np.int32), np.array([0.5, 1.5, 2.5], np.float32))).verify()
    text = dump(g, "text", select(g, cone=2))  # y2 = ~g2 = ~or(g0, g1): reads x0, x1, x2
    assert "inputs (those the selection reads): x0 x1 x2" in text
    text = dump(g, "text", select(g, cone=3))  # y3 = x2
    assert "\ninputs (those the selection reads): x2\n" in text and "  x2: f1 > 2.5" in text
    assert "  x0:" not in text and "  x1:" not in text
    whole = dump(g, "text")
    assert "\ninputs: x0 x1 x2\n" in whole and "  x0: f0 > 0.5" in whole


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_dumps_are_deterministic(fmt):
    g = with_extras(random_layered_graph(6, [12, 8, 4], k=2, seed=2))
    assert dump(g, fmt) == dump(g.copy(op=g.op.copy(), a=g.a.copy()), fmt)


def test_json_dump_lists_gates_and_outputs():
    d = json.loads(dump(five_gates(), "json"))
    assert d["format"] == "lgcc-dump" and d["n_gates"] == 5
    assert d["gates"][4] == {"name": "g4", "op": 1, "gate": "and", "a": "g2", "b": "g3", "layer": 2}
    assert d["outputs"][0] == {"name": "y0", "source": "g4", "negated": True, "class": 0}
    assert d["head"]["tau"] == 2.0


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' is not installed")
@pytest.mark.parametrize("kw", [{}, {"cone": 0}, {"layers": "1:3"}])
def test_graphviz_parses_the_dot(kw):
    g = with_extras(five_gates()).copy(layers=five_gates().layers)
    g.meta["input_names"][0] = 'odd "name" \\ here'
    text = dump(g, "dot", select(g, **kw))
    r = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "<svg" in r.stdout, r.stderr


def test_dot_marks_ranks_inputs_and_outputs():
    text = dump(five_gates(), "dot")
    assert text.count("rank=same") == 3 and "rank=source" in text and "rank=sink" in text
    assert 'g1 [shape=ellipse, label="g1\\na^b"' in text and "x0 [shape=box" in text
    assert "g4 -> y0 [arrowhead=odot];" in text and 'y3 [shape=doublecircle, label="y3\\nclass 1"];' in text


def test_graphml_reads_back_with_networkx():
    g = five_gates()
    back = nx.read_graphml(io.StringIO(dump(g, "graphml")))
    assert back.number_of_nodes() == 2 + 3 + 5 + 4
    assert back.number_of_edges() == 2 * 5 + 4
    gate = back.nodes[str(g.first_gate + 4)]
    assert gate["gate"] == "and" and gate["name"] == "g4" and gate["kind"] == "gate"
    assert back.nodes["y0"]["negated"] is True
    assert back.has_edge(str(g.first_gate + 4), "y0")


def test_graphml_keeps_a_gate_reading_one_node_twice():
    """xor(x0, x0) is one edge in a DiGraph: its port says it feeds both operands."""
    g = Graph.from_arrays(2, op=[6, 1], a=[2, 2], b=[2, 3], outputs=[4, 5])
    back = nx.read_graphml(io.StringIO(dump(g, "graphml")))
    assert back.edges["2", "4"]["port"] == "ab"
    assert back.edges["2", "5"]["port"] == "a" and back.edges["3", "5"]["port"] == "b"



@given(graphs(max_gates=30), st.sampled_from([{}, {"cone": 0}, {"layers": ":1"}]), st.integers(1, 5))
@settings(max_examples=40, deadline=None)
def test_graphml_is_the_networkx_view(g, kw, chunk):
    """The GraphML written a chunk at a time reads back as Graph.to_networkx of the selection: same nodes,
    edges and attributes (input names with XML specials and characters XML cannot hold included)."""
    import lgcc.ir.dump.graphml as graphml

    g = g.copy(meta={"input_names": [f'<&"x{i}\x01>' for i in range(g.n_inputs)]})
    if g.n_gates == 0 or g.n_outputs == 0:
        kw = {}
    sel = select(g, **kw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(graphml, "CHUNK", chunk)
        back = nx.read_graphml(io.StringIO(dump(g, "graphml", sel, max_nodes=0)))
    want = g.to_networkx(gates=sel.gates, outputs=sel.outputs)
    for data in want.nodes.values():
        if data["kind"] == "input":
            data["name"] = data["name"].replace("\x01", "\ufffd")
    assert dict(back.nodes(data=True)) == {str(n): d for n, d in want.nodes(data=True)}
    assert {(u, v): d for u, v, d in back.edges(data=True)} == {(str(u), str(v)): d for u, v, d in want.edges(data=True)}
    assert back.graph["selection"] == sel.what

def naive_cone(g, roots):
    seen, stack = set(), [int(r) for r in roots]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n >= g.first_gate:
            stack += [int(g.a[n - g.first_gate]), int(g.b[n - g.first_gate])]
    return seen


@settings(max_examples=60, deadline=None)
@given(graphs(max_gates=60), st.integers(0, 100))
def test_cone_matches_a_naive_search(g, pick):
    o = pick % g.n_outputs
    mask = cone_mask(g, g.outputs[[o]])
    assert set(np.flatnonzero(mask).tolist()) == naive_cone(g, [g.outputs[o]])
    sel = select(g, cone=o)
    assert set((sel.gates + g.first_gate).tolist()) == {n for n in naive_cone(g, [g.outputs[o]]) if n >= g.first_gate}


def test_class_cone_is_the_union_of_its_outputs():
    g = random_layered_graph(8, [20, 20, 8], k=4, seed=1)
    sel = select(g, klass=2)
    want = naive_cone(g, g.outputs[4:6])
    assert sel.outputs.tolist() == [4, 5]
    assert set((sel.gates + g.first_gate).tolist()) == {n for n in want if n >= g.first_gate}


def test_layer_ranges():
    g = random_layered_graph(8, [20, 10, 5], seed=1)
    assert select(g, layers="1:3").gates.tolist() == list(range(20, 35))
    assert select(g, layers="1").gates.tolist() == list(range(20, 30))
    assert select(g, layers=":1").gates.tolist() == list(range(20))
    both = select(g, layers="0:2", cone=0)
    assert both.gates.max() < 30 and "cone of output 0" in both.what


def test_layer_range_shows_only_the_outputs_its_gates_drive():
    """Outputs of gates outside the range would each add a placeholder node and an output node to a DOT dump."""
    g = random_layered_graph(8, [20, 10, 5], k=5, seed=1)
    outs = np.concatenate([g.outputs, [g.first_gate + 3, 2]]).astype(np.int32)  # + a layer-0 gate and input x0
    g = g.copy(outputs=outs, out_neg=np.zeros(outs.size, bool), head=None).verify()
    assert select(g, layers="0:2").outputs.tolist() == [5]
    assert select(g, layers="2").outputs.tolist() == [0, 1, 2, 3, 4]
    assert select(g).outputs.size == 7 and select(g, cone=6).outputs.tolist() == [6]
    text = dump(g, "dot", select(g, layers="0"))
    assert text.count("doublecircle") == 1 and "color=grey" not in text
    no_layers = g.copy(layers=None)
    assert np.array_equal(gate_layers(no_layers), g.levels()[g.first_gate:] - 1)


@pytest.mark.parametrize("kw, match", [
    ({"layers": "3:5"}, "out of range, the graph has 3 layers"),
    ({"layers": "2:1"}, "empty range"),
    ({"layers": "a:b"}, "expected I:J"),
    ({"cone": 99}, "--cone 99: out of range"),
    ({"cone": -1}, "out of range"),
    ({"klass": 7}, "--class 7: out of range"),
    ({"cone": 0, "klass": 0}, "either --cone or --class"),
])
def test_selection_errors(kw, match):
    with pytest.raises(LgccError, match=match):
        select(random_layered_graph(8, [20, 10, 4], k=2, seed=1), **kw)


def test_class_needs_a_head():
    with pytest.raises(LgccError, match="needs a graph with a GroupSum head"):
        select(random_layered_graph(4, [4], seed=1), klass=0)


def test_node_cap_gives_a_clear_message():
    g = random_layered_graph(8, [3000, 3000], seed=1)
    with pytest.raises(LgccError, match="6000 gates, more than --max-nodes 5000; select part"):
        dump(g, "text")
    assert dump(g, "text", select(g, layers="1"))  # a selection under the cap works
    assert dump(g, "json", max_nodes=0)  # 0 lifts the cap
    with pytest.raises(LgccError, match="unknown dump format"):
        dump(g, "svg")


def test_stats_of_the_five_gate_graph():
    from lgcc.ir.dump.stats import format_table, graph_stats

    g = five_gates()
    s = graph_stats(g)
    assert (s["inputs"], s["gates"], s["outputs"], s["depth"]) == (3, 5, 4, 3)
    assert s["gates_per_layer"] == [2, 2, 1] and s["gates_per_level"] == [2, 2, 1]
    assert s["gates_per_op"]["and"] == 2 and s["gates_per_op"]["xor"] == 1 and sum(s["gates_per_op"].values()) == 5
    assert s["aig_cost"] == 1 + 3 + 1 + 1 + 1 and s["binary_gates"] == 5
    assert s["head"]["outputs_per_class"] == [2, 2] and s["negated_outputs"] == 2
    assert s["unused_inputs"] == 0 and s["dead_gates"] == 0
    # an unused input and a dead gate
    h = Graph.from_arrays(3, [1, 6], [2, 2], [3, 3], [5])
    s = graph_stats(h)
    assert s["unused_input_indices"] == [2] and s["live_gates"] == 1 and s["dead_gates"] == 1
    table = format_table(s)
    assert "unused inputs  x2" in table and "gates          2 (1 live, 1 dead, 2 binary)" in table
    # an input read only by a dead gate is unused too, as the prune pass reports it
    h = Graph.from_arrays(3, [1, 6], [2, 3], [3, 4], [5])
    s = graph_stats(h)
    assert s["unused_input_indices"] == [2] and s["dead_gates"] == 1
    assert prune(h)[1].counts["unused_inputs"] == 1
    # a feature whose every threshold bit is unused is not a used feature
    enc = Encoding(3, np.array([0, 1, 2], np.int32), np.zeros(3, np.float32))
    assert graph_stats(h.copy(encoding=enc))["encoding"] == {"features": 3, "features_used": 2}


def test_layers_of_a_graph_without_gates():
    b = GraphBuilder(2)
    b.output(b.input(0))
    with pytest.raises(LgccError, match="has no gates"):
        select(b.build(), layers="0")


@given(graphs(max_gates=30), st.sampled_from(["text", "json"]), st.integers(1, 7))
@settings(max_examples=40, deadline=None)
def test_dumps_in_chunks_are_the_whole_dump(g, fmt, chunk):
    """Text and JSON dumps are written a chunk of gates, then of outputs, at a time (bounded memory) with the
    same bytes."""
    import lgcc.ir.dump.jsondump as jsondump
    import lgcc.ir.dump.text as text
    from lgcc.ir.dump import dump_chunks

    g = g.copy(meta={"note": '\n "gates": [],\n "outputs": [],\n', "input_names": ["a\"b"] * g.n_inputs})
    sel = select(g)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(text, "CHUNK_GATES", chunk)
        mp.setattr(jsondump, "CHUNK_GATES", chunk)
        chunks = list(dump_chunks(g, fmt, sel, max_nodes=0))
    assert len(chunks) >= -(-g.n_gates // chunk) - (-g.n_outputs // chunk)
    assert "".join(chunks) == dump(g, fmt, sel, max_nodes=0)
    if fmt == "json":
        assert "".join(chunks) == json.dumps(jsondump.to_dict(g, sel), indent=1, sort_keys=True) + "\n"
    empty = type(sel)(sel.gates[:0], sel.outputs[:0], "nothing")
    assert json.loads(jsondump.render(g, empty))["gates"] == []


def test_layout_formats_have_a_size_limit_even_without_max_nodes(monkeypatch):
    """DOT and GraphML of millions of gates cannot be laid out by any viewer: a clear error."""
    import importlib

    select_mod = importlib.import_module("lgcc.ir.dump.select")  # the package's 'select' is the function
    g = random_layered_graph(10, [30, 20], k=2, seed=1)
    monkeypatch.setattr(select_mod, "LAYOUT_MAX_NODES", 40)
    for fmt in ("dot", "graphml"):
        with pytest.raises(LgccError, match=f"50 gates, more than a {fmt} dump shows .*--format text or json"):
            dump(g, fmt, max_nodes=0)
        assert dump(g, fmt, select(g, layers="1:2"), max_nodes=0)  # 20 gates: shown
    assert dump(g, "text", max_nodes=0) and dump(g, "json", max_nodes=0)
