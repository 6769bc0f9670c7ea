"""BLIF: round trips through the simulator, generic covers, and errors with line numbers."""

import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgcc.ir.builder import GraphBuilder
from lgcc.ir.errors import FormatError
from lgcc.ir.formats import blif, blif_fast, blif_parse
from lgcc.ir.formats.blif_netlist import _intern
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
    # Yosys's write_blif of a pipelined design: a flip-flop cell, not hierarchy (was "flatten it first")
    (".model m\n.inputs c a\n.outputs q\n.subckt $_SDFF_PN0_ C=c D=a Q=q R=a\n.end\n",
     r":4: \.subckt \$_SDFF_PN0_: a register \(sequential cell\) is not supported"),
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
    with pytest.raises(FormatError, match=r"bin.blif:1: not UTF-8 text \(byte 0x80\): not a BLIF file"):
        blif.read(tmp_path / "bin.blif")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_latin1_name_is_named_by_line_not_called_binary(tmp_path, bom):
    """A name in another encoding (here Latin-1 'bé'): the line and byte, not "binary data"."""
    path = tmp_path / "latin1.blif"
    path.write_bytes(bom + b".model m\n.inputs a b\xe9\n.outputs y\n.names a b\xe9 y\n11 1\n.end\n")
    with pytest.raises(FormatError, match=r"latin1.blif:2: not UTF-8 text \(byte 0xe9\).*save it as UTF-8") as info:
        blif.read(path)
    assert "binary" not in str(info.value) and "\n" not in str(info.value)
    path.write_bytes(bom + ".model m\n.inputs a bé\n.outputs y\n.names a bé y\n11 1\n.end\n".encode())
    assert blif.read(path).meta["input_names"] == ["a", "bé"]


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


# ---------------------------------------------------------------- the vectorized reader (blif_fast)

def _fast(text: str, where: str = "x.blif"):
    """The fast reader's graph of ``text`` (None: it hands the file to the general reader)."""
    return blif_fast.from_bytes(text.encode("ascii"), where)


def _cover_blocks(text: str) -> tuple[str, list[str], str]:
    """lgcc BLIF text split into the header, one block per .names (line + cubes), and the tail."""
    head, _, body = text.partition("\n.names ")
    body, _, tail = ("\n.names " + body).rpartition("\n.end")
    return head + "\n", [".names " + b + "\n" for b in body.split("\n.names ")[1:]], ".end" + tail


def _to_offset(block: str) -> str:
    """A cover of at most two inputs rewritten as its off-set (value-0 cubes); full covers stay on-set."""
    lines = block.rstrip("\n").split("\n")
    n = len(lines[0].split()) - 2
    rows = {line.split()[0] if n else "" for line in lines[1:]}
    every = {"".join(bits) for bits in np.indices((2,) * n).reshape(n, -1).T.astype(str)} if n else {""}
    if not rows or rows == every:
        return block
    off = sorted(every - rows)
    return "\n".join([lines[0]] + [f"{r} 0" if n else "0" for r in off]) + "\n"


def _same_function(g: Graph, h: Graph) -> None:
    assert h is not None and h.verify() is h
    assert (h.n_inputs, h.n_outputs) == (g.n_inputs, g.n_outputs)
    assert np.array_equal(truth_table(g), truth_table(h))


@settings(max_examples=40, deadline=None)
@given(graphs(max_gates=60), st.integers(0, 2**32 - 1))
def test_fast_reader_round_trips_in_any_cover_order_and_polarity(g, seed):
    g = with_extras(g, seed=1)
    text = blif.to_text(g)
    h = _fast(text)
    _same_function(g, h)
    assert g.head is None and h.head is None or g.head.same_as(h.head)
    assert g.encoding.same_as(h.encoding) and h.meta == g.meta and h.layers is None
    assert h.n_gates <= g.n_gates
    # BLIF allows covers in any order (Kahn's algorithm then orders them) and off-set covers
    head, blocks, tail = _cover_blocks(text)
    rng = np.random.default_rng(seed)
    blocks = [_to_offset(b) if rng.random() < 0.5 else b for b in blocks]
    shuffled = head + "".join(blocks[i] for i in rng.permutation(len(blocks))) + tail
    _same_function(g, _fast(shuffled))
    _same_function(g, blif_parse.from_text(shuffled))


@settings(max_examples=25, deadline=None)
@given(graphs(max_gates=40, head=False))
def test_fast_and_general_readers_agree(g):
    text = blif.to_text(g)
    fast, general = _fast(text), blif_parse.from_text(text)
    _same_function(general, fast)
    assert general.meta == fast.meta


def test_fast_reader_in_tiny_blocks(monkeypatch):
    from lgcc.ir.random import random_layered_graph

    g = with_extras(random_layered_graph(40, [60, 30, 8], k=2, seed=4), seed=2)
    text = blif.to_text(g)
    assert ".inputs x0 x1" in text and " \\\n  x" in text  # the interface continues over lines
    monkeypatch.setattr(blif_fast, "_BLOCK", 40)  # every few lines a new block: boundaries everywhere
    bits = random_bits(g, 512, seed=3)
    for variant in (text, text.replace("\n", "\r\n")):
        h = _fast(variant)
        assert h is not None and h.encoding.same_as(g.encoding) and h.meta == g.meta
        assert np.array_equal(simulate(g, bits), simulate(h, bits))


def test_long_names_and_tool_style_netlists_take_the_fast_path():
    # Yosys/ABC style: $-names, names longer than 8 bytes (several uint64 words), constants, a file
    # that ends without a newline (its last names read from the final bytes)
    text = (".model top\n.inputs a b\n.outputs $abc$1234$new_n7_ y_out_with_a_long_name k1\n"
            ".names $false\n.names $true\n1\n.names k1\n 1\n"  # ABC writes a constant's cube as " 1"
            ".names a b $abc$1234$auxiliary_signal_name\n10 1\n01 1\n"
            ".names $abc$1234$auxiliary_signal_name $true $abc$1234$new_n7_\n11 1\n"
            ".names $false a y_out_with_a_long_name\n00 0")
    g = _fast(text)
    assert g is not None and g.meta["output_names"] == ["$abc$1234$new_n7_", "y_out_with_a_long_name", "k1"]
    bits = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    assert simulate(g, bits).astype(int).tolist() == [[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]]  # a ^ b, a, 1
    assert np.array_equal(truth_table(g), truth_table(blif_parse.from_text(text)))


def test_interning_survives_a_hash_collision():
    c = 0x9E3779B97F4A7C15
    keys = np.array([[0, (c + 5) % 2**64], [1, 5], [0, (c + 5) % 2**64]], dtype="<u8")  # rows 0, 1: same hash
    ids = _intern(keys)
    assert ids[0] == ids[2] != ids[1]


@pytest.mark.parametrize("text", [
    GENERIC,  # wide covers, comments, continuations, ignored directives
    ".model m\n.inputs a\n.outputs a b\n.conn a b\n.end\n",
    ".model m\n.inputs a b\n.outputs y\n.names a \\\n b y\n11 1\n.end\n",  # continued .names
    ".model m\n.inputs a b\n.outputs y\n.names a b y\n11  1\n.end\n",  # cube not in the canonical shape
    ".model m\n.inputs a b\n.outputs y\n.names a b y\n# on-set\n11 1\n.end\n",  # comment inside a cover
    ".model m\n.inputs a b\n.outputs y\n.names a\tb y\n11 1\n.end\n",
    ".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1\n.end\n.names a y\n1 1\n",
    ".model m\n.inputs a b c\n.outputs y\n.names a b c y\n111 1\n.end\n",  # three inputs
    ".model m\n.inputs a b\n.outputs y z\n.names a b y\n11 1\n.conn a z\n.end\n",
    ".model m\n.inputs a b\n.outputs y\n.names a  b y\n11 1\n.end\n",
    ".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1\x0c\n.end\n",  # Python splits lines at a form feed
])
def test_other_shapes_go_to_the_general_reader(text):
    assert _fast(text) is None
    try:
        blif.from_text(text)
    except FormatError:
        pass  # the general reader's message (tested above): the fast reader must not guess


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_wide_covers_and_continuations_through_the_general_reader(seed):
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(3, 6))
    bits = np.indices((2,) * n_in).reshape(n_in, -1).T  # exhaustive, input i = column i
    lines, want = [], []
    for o in range(3):
        k = int(rng.integers(3, n_in + 1))
        fanin = rng.choice(n_in, k, replace=False)
        planes = ["".join(rng.choice(list("01-"), k)) for _ in range(int(rng.integers(1, 4)))]
        value = int(rng.integers(0, 2))
        hit = np.zeros(len(bits), dtype=bool)
        for p in planes:
            hit |= np.all([bits[:, f] == int(ch) for f, ch in zip(fanin, p) if ch != "-"], axis=0)
        want.append(hit if value else ~hit)
        names = " ".join(f"i{f}" for f in fanin)
        lines.append(f".names {names} \\\n  y{o}\n" + "".join(f"{p} {value}\n" for p in planes))
    text = f".model w\n.inputs {' '.join(f'i{i}' for i in range(n_in))}\n.outputs y0 y1 y2\n{''.join(lines)}.end\n"
    assert _fast(text) is None
    g = blif.from_text(text)
    assert np.array_equal(simulate(g, bits), np.stack(want, axis=1))


@pytest.mark.parametrize("text, match", [
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n", r"x.blif:6: signal 'y' is driven twice "
     r"\(also at line 4\)"),
    (".model m\n.inputs a\n.outputs y\n.names a t y\n11 1\n.end\n", r"x.blif:4: signal 't' is used but never driven"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y2\n1 1\n.outputs z\n", r"output 'z' is never driven"),
    (".model m\n.inputs a\n.outputs y\n.names a t y\n11 1\n.names y t\n1 1\n", r"cycle through signal '[ty]'"),
    (".model m\n.inputs a\n.outputs y\n.names a u y\n11 1\n.names t u\n1 1\n.names u t\n0 1\n",
     r"x.blif:[68]: combinational cycle through signal '[tu]'"),
    (".model m\n.inputs a\n.outputs y\n.names a a\n1 1\n", r"x.blif:4: primary input 'a' is also driven"),
    (".model m\n.inputs a a\n.outputs y\n.names a y\n1 1\n", r"an input is listed twice"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n0 0\n", r"x.blif:4: .names mixes"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.latch a q 0\n", r"x.blif:6: \.latch: latches"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.end\n.model n\n", r"x.blif:7: a second .model"),
])
def test_fast_reader_reports_errors_itself(text, match):
    with pytest.raises(FormatError, match=match) as info:
        _fast(text)
    assert "\n" not in str(info.value)
    with pytest.raises(FormatError, match=match):
        blif_parse.from_text(text, "x.blif")


def test_dead_logic_may_read_undriven_signals_and_loop():
    text = (".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1\n.names nowhere dead\n1 1\n"
            ".names p q\n1 1\n.names q p\n1 1\n.end\n")
    g, ref = _fast(text), blif_parse.from_text(text)
    assert g is not None and g.n_gates == 1
    assert np.array_equal(truth_table(g), truth_table(ref))


def test_byte_order_mark_takes_the_fast_path():
    data = b"\xef\xbb\xbf.model m\r\n.inputs a b\r\n.outputs y\r\n.names a b y\r\n11 1\r\n.end\r\n"
    g = blif_fast.from_bytes(data, "win.blif")
    assert g is not None and simulate(g, np.array([[0, 0], [1, 0], [0, 1], [1, 1]]))[:, 0].tolist() == [
        False, False, False, True]


@pytest.mark.skipif(not (shutil.which("berkeley-abc") or shutil.which("yosys")), reason="neither ABC nor Yosys")
def test_what_abc_and_yosys_write_takes_the_fast_path(tmp_path):
    from lgcc.ir.random import random_layered_graph

    g = random_layered_graph(12, [40, 30, 8], seed=5)
    blif.write(g, tmp_path / "g.blif")
    scripts = {"abc.blif": ["berkeley-abc", "-c", "read g.blif; strash; rewrite; write_blif abc.blif"],
               "yosys.blif": ["yosys", "-q", "-p", "read_blif g.blif; hierarchy -top g; write_blif yosys.blif"]}
    for out, cmd in scripts.items():
        if shutil.which(cmd[0]):
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
            assert run.returncode == 0, run.stdout + run.stderr
            h = blif_fast.from_bytes((tmp_path / out).read_bytes(), out)
            _same_function(g, h)


@given(graphs(max_gates=30), st.integers(1, 6))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_blif_is_written_in_chunks(tmp_path, g, chunk):
    """Millions of gates are written a chunk at a time (bounded memory), with the same text."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blif, "CHUNK_GATES", chunk)
        pieces = list(blif.text_chunks(g, model="m"))
        blif.write(g, tmp_path / "m.blif")
    assert len(pieces) >= (g.n_gates + chunk - 1) // chunk
    assert "".join(pieces) == (tmp_path / "m.blif").read_text() == blif.to_text(g, model="m")
    names = blif.node_signal_names(g)
    assert names[:2] == ["c0", "c1"] and len(names) == g.n_nodes
    assert blif.node_signal_names(g, g.a) == [names[n] for n in g.a.tolist()]
