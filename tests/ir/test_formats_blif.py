"""BLIF: round trips through the simulator, generic covers, and errors with line numbers."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lgcc.ir.builder import GraphBuilder
from lgcc.ir.errors import FormatError
from lgcc.ir.formats import blif
from lgcc.ir.gates import TRUTH
from lgcc.ir.graph import Graph
from lgcc.ir.simulate import simulate, truth_table
from lgcc.ir.testing import graphs, random_bits, with_extras


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(max_gates=50))
def test_round_trip_same_function_and_head(tmp_path, g):
    path = tmp_path / "g.blif"
    g = with_extras(g, seed=3)
    blif.write(g, path)
    h = blif.read(path)
    assert h.n_inputs == g.n_inputs and h.n_outputs == g.n_outputs
    assert np.array_equal(truth_table(g), truth_table(h))
    assert (g.head is None and h.head is None) or g.head.same_as(h.head)
    assert g.encoding.same_as(h.encoding) and h.meta == g.meta
    assert h.n_gates <= g.n_gates  # one gate per .names, simplified further by the builder


def test_every_gate_is_one_names_with_its_truth_table():
    ops = np.arange(16, dtype=np.uint8)
    g = Graph.from_arrays(2, ops, np.full(16, 2), np.full(16, 3), np.arange(4, 20))
    text = blif.to_text(g)
    assert text.count(".names x0 x1 ") == 15 and ".names g0\n" in text
    for op in range(1, 16):
        block = text.split(f".names x0 x1 g{op}\n", 1)[1].split(".names", 1)[0]
        cubes = [line for line in block.splitlines() if line and not line.startswith(".")]
        assert sorted(cubes) == sorted(f"{a}{b} 1" for a in (0, 1) for b in (0, 1) if TRUTH[op, 2 * a + b])
    h = blif.from_text(text)
    assert np.array_equal(truth_table(g), truth_table(h))


def test_constants_and_negated_outputs():
    # gate 0 reads constant 1; outputs: const 0, const 1, not x0, not g0
    g = Graph.from_arrays(2, [1], [1], [3], [0, 1, 2, 4], [False, False, True, True])
    text = blif.to_text(g)
    assert ".names c0\n" in text and ".names c1\n1\n" in text and ".names x0 y2\n0 1\n" in text
    assert ".names c1 x1 g0\n11 1\n" in text
    h = blif.from_text(text)
    assert np.array_equal(truth_table(g), truth_table(h))


def test_writer_is_deterministic_and_names_are_stable():
    g = with_extras(GraphBuilder(3).build())
    assert blif.to_text(g) == blif.to_text(g)
    b = GraphBuilder(3)
    b.output(b.XOR(b.AND(b.input(0), b.input(1)), b.input(2)))
    text = blif.to_text(b.build(), model="m")
    assert ".model m\n.inputs x0 x1 x2\n.outputs y0\n" in text
    assert ".names x0 x1 g0\n11 1\n" in text and ".names x2 g0 g1\n01 1\n10 1\n" in text


GENERIC = """\
# a hand-written netlist in the style of ABC and SIS
.model generic   # trailing comment
.inputs a b \\
        c d
.outputs f g h k
.default_input_arrival 0 0
.names a b c d f
1-1- 1
-11- 1
0--1 1
.names a b g   # off-set cover: g = not (a and b)
11 0
.names h
1
.names $false
.names $false k
1 1
.end
"""


def test_generic_covers():
    g = blif.from_text(GENERIC)
    assert g.meta["input_names"] == ["a", "b", "c", "d"] and g.meta["output_names"] == ["f", "g", "h", "k"]
    bits = random_bits(g, 64, seed=1).astype(int)
    bits = np.unique(np.concatenate([bits, np.indices((2,) * 4).reshape(4, -1).T]), axis=0)
    a, b, c, d = bits.T
    want = np.stack([(a & c) | (b & c) | ((1 - a) & d), 1 - (a & b), np.ones_like(a), np.zeros_like(a)], axis=1)
    assert np.array_equal(simulate(g, bits).astype(int), want)


def test_conn_and_output_that_is_an_input():
    g = blif.from_text(".model m\n.inputs a\n.outputs a b\n.conn a b\n.end\n")
    assert simulate(g, np.array([[0], [1]])).tolist() == [[False, False], [True, True]]


def test_covers_may_come_in_any_order():
    text = ".model m\n.inputs a b\n.outputs y\n.names t b y\n11 1\n.names a t\n0 1\n.end\n"
    g = blif.from_text(text)
    assert simulate(g, np.array([[0, 1], [1, 1]])).tolist() == [[True], [False]]


@pytest.mark.parametrize("text, match", [
    (".model m\n.inputs a\n.outputs q\n.latch a q 0\n.end\n", r":4: \.latch: latches"),
    (".model m\n.inputs a\n.outputs y\n.subckt and2 A=a Y=y\n.end\n", r":4: \.subckt: subcircuits"),
    (".model m\n.inputs a b\n.outputs y\n.names a b y\n1x 1\n.end\n", r":5: bad cube"),
    (".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1 1\n", r":5: bad cube"),
    (".model m\n.inputs a\n.outputs y\n11 1\n", r":4: cube line"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n0 0\n", r":4: .names mixes"),
    (".model m\n.inputs a\n.outputs y\n.frobnicate\n", r":4: unknown BLIF directive"),
    (".model m\n.inputs a\n.outputs y\n.names a t y\n11 1\n.end\n", r":4: signal 't' is used but never driven"),
    (".model m\n.inputs a\n.outputs y\n.end\n", r"output 'y' is never driven"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n", r":6: signal 'y' is driven twice"),
    (".model m\n.inputs a\n.outputs y\n.names a t y\n11 1\n.names y t\n1 1\n", r"cycle through signal"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.end\n.model n\n", r":7: a second .model"),
    (".model m\n.inputs a\n.outputs y\n.names a \\\n", r"ends inside a '\\' continuation"),
    (".model m\n.inputs a\n.outputs y\n.names a a\n1 1\n", r"primary input 'a' is also driven"),
    ("hello world\n", r"cube line"),
    ("", r"not a BLIF file"),
])
def test_errors_name_the_line(text, match):
    with pytest.raises(FormatError, match=match) as info:
        blif.from_text(text, "x.blif")
    assert "\n" not in str(info.value)


def test_graph_without_outputs_round_trips():
    g = Graph.from_arrays(2, [6], [2], [3], [])
    h = blif.from_text(blif.to_text(g))
    assert (h.n_inputs, h.n_outputs) == (2, 0)


def test_files(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        blif.read(tmp_path / "missing.blif")
    (tmp_path / "bin.blif").write_bytes(b"\x80\x81\xff\x00")
    with pytest.raises(FormatError, match="binary data"):
        blif.read(tmp_path / "bin.blif")


def test_foreign_annotation_that_does_not_fit_is_an_error():
    text = '# lgcc {"head": {"k": 3, "tau": 1.0, "bounds": [0, 1, 2, 3], "offsets": [0, 0, 0]}}\n' \
           ".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.end\n"
    with pytest.raises(FormatError, match="does not match the netlist"):
        blif.from_text(text)


def test_lgcc_blif_cut_short_is_an_error():
    from lgcc.ir.random import random_layered_graph

    text = blif.to_text(with_extras(random_layered_graph(6, [10, 6], k=2, seed=2), seed=1))
    assert text.rstrip().endswith(".end")
    with pytest.raises(FormatError, match="truncated"):
        blif.from_text(text[:text.rindex("\n1") + 1], "cut.blif")  # last cover lost its cube: a constant 0
    with pytest.raises(FormatError, match="truncated or corrupt"):
        blif.from_text(text[:text.index("# lgcc {") + 30], "cut.blif")
    assert blif.from_text(text.replace(".end\n", "").replace("# lgcc {", "# other {")).n_outputs == 6


def test_byte_order_mark_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "win.blif"
    path.write_bytes(b"\xef\xbb\xbf.model m\r\n.inputs a b\r\n.outputs y\r\n.names a b y\r\n11 1\r\n.end\r\n")
    g = blif.read(path)
    assert (g.n_inputs, g.n_outputs) == (2, 1)
    assert simulate(g, np.array([[0, 0], [1, 0], [0, 1], [1, 1]]))[:, 0].tolist() == [False, False, False, True]
