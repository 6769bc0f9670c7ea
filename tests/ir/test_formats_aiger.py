"""AIGER (.aag/.aig): every gate as ANDs, round trips, hand-written files and bad input."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgcc.ir.errors import FormatError
from lgcc.ir.formats import aiger
from lgcc.ir.formats.aiger_encode import decode_deltas, encode_deltas
from lgcc.ir.gates import AIG_COST
from lgcc.ir.graph import Graph
from lgcc.ir.simulate import simulate, truth_table
from lgcc.ir.testing import graphs, with_extras


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(max_gates=50))
def test_round_trip_ascii_and_binary(tmp_path, g):
    g = with_extras(g, seed=5)
    for ext in (".aag", ".aig"):
        path = tmp_path / f"g{ext}"
        aiger.write(g, path)
        h = aiger.read(path)
        assert h.n_inputs == g.n_inputs and h.n_outputs == g.n_outputs
        assert np.array_equal(truth_table(g), truth_table(h)), ext
        assert (g.head is None and h.head is None) or g.head.same_as(h.head)
        assert g.encoding.same_as(h.encoding) and h.meta == g.meta


def test_each_gate_costs_its_aig_cost_and_is_exact():
    ops = np.arange(16, dtype=np.uint8)
    g = Graph.from_arrays(2, ops, np.full(16, 2), np.full(16, 3), np.arange(4, 20))
    ands, outs = aiger.to_aig(g)
    assert ands.shape[0] == AIG_COST.sum()
    assert np.all(ands[:, 0] > ands[:, 1]) and np.all(ands[:, 1] >= ands[:, 2])
    assert np.all(np.diff(ands[:, 0]) > 0)
    assert np.array_equal(truth_table(aiger.from_bytes(aiger.to_bytes(g, binary=True))), truth_table(g))


def test_chains_of_wires_and_inverters_resolve():
    # g0 = x0 & x1; g1..g40 alternate "not a" and "a" of the previous gate
    n = 41
    op = np.array([1] + [12, 3] * 20, dtype=np.uint8)
    a = np.array([2] + list(range(4, 4 + n - 1)))
    g = Graph.from_arrays(2, op, a, np.full(n, 3), [4 + n - 1, 4 + n - 2])
    ands, _ = aiger.to_aig(g)
    assert ands.shape[0] == 1
    assert np.array_equal(truth_table(aiger.from_bytes(aiger.to_bytes(g, binary=False))), truth_table(g))


def test_ascii_text_is_stable():
    g = Graph.from_arrays(2, [6], [2], [3], [4, 2], [False, True])
    text = aiger.to_bytes(g, binary=False).decode()
    assert text.startswith("aag 5 2 0 2 3\n2\n4\n11\n3\n")
    assert "i0 x0\ni1 x1\no0 y0\no1 y1\nc\n" in text
    assert aiger.to_bytes(g, binary=False) == aiger.to_bytes(g, binary=False)


def test_varint_deltas_round_trip():
    rng = np.random.default_rng(0)
    rhs1 = rng.integers(0, 1 << 30, 500)
    rhs0 = rhs1 + rng.integers(0, 1 << 28, 500) * rng.integers(0, 2, 500)
    lhs = rhs0 + 1 + rng.integers(0, 1 << 31, 500) * rng.integers(0, 2, 500)
    ands = np.stack([lhs, rhs0, rhs1], axis=1)
    data = encode_deltas(ands) + b"i0 trailing ascii\n"
    deltas, end = decode_deltas(data, 0, 500, "x")
    assert np.array_equal(deltas[:, 0], lhs - rhs0) and np.array_equal(deltas[:, 1], rhs0 - rhs1)
    assert data[end:] == b"i0 trailing ascii\n"
    assert encode_deltas(np.array([[300, 2, 0]])) == bytes([0xAA, 0x02, 0x02])  # 298 = 0b10_0101010


def test_out_of_order_ascii_is_sorted():
    text = b"aag 5 2 0 1 3\n2\n4\n10\n10 9 7\n6 2 4\n8 3 5\nc\nhand written\n"
    g = aiger.from_bytes(text)
    bits = np.indices((2, 2)).reshape(2, -1).T
    assert simulate(g, bits)[:, 0].tolist() == [False, True, True, False]  # x0 xor x1
    assert "input_names" not in g.meta


def test_symbols_become_names():
    g = aiger.from_bytes(b"aag 3 2 0 1 1\n2\n4\n6\n6 2 4\ni0 alpha\ni1 beta\no0 out\n")
    assert g.meta == {"input_names": ["alpha", "beta"], "output_names": ["out"]}


def _read_with_peak(text: str):
    """The graph of AIGER ``text`` and the peak bytes Python allocated reading it."""
    tracemalloc.start()
    try:
        g = aiger.from_bytes(text.encode())
        return g, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_many_inputs_without_symbols_build_no_name_lists():
    """A binary header declares inputs without listing them: 10^6 of them in 20 bytes must cost only the
    graph's arrays (~40 bytes per input), not a Python list of default names (~72 in all, 100x slower)."""
    n = 1_000_000
    g, peak = _read_with_peak(f"aig {n} {n} 0 1 0\n2\n")
    assert g.n_inputs == n and g.meta == {}
    assert peak < 56 * n, peak


@pytest.mark.parametrize("data, match", [
    (b"hello\n", "not an AIGER file"),
    (b"", "not an AIGER file"),
    (b"aag 1 x 0 0 0\n", "bad AIGER header"),
    (b"aag 1 1 0\n", "need M I L O A"),
    (b"aag 2 1 1 1 0\n2\n4 2\n4\n", "latches"),
    (b"aag 1 1 0 1 0 1\n2\n2\n2\n", "1.9"),
    (b"aag 3 1 0 1 1\n2\n6\n", "truncated"),
    (b"aag 3 1 0 1 2\n2\n6\n6 4 2\n4 6 2\n", "cycle"),
    (b"aag 3 1 0 1 1\n2\n6\n6 8 2\n", "exceeds the header"),
    (b"aag 3 1 0 1 1\n2\n6\n6 4 2\n", "never defined"),
    (b"aag 2 1 0 1 1\n2\n4\n2 2 2\n", "defined twice"),
    (b"aag 2 1 0 1 0\n2\nx\n", "bad literal"),
    (b"aig 3 1 0 1 2\n6\n\x02", "truncated"),
    (b"aig 3 1 0 1 2\n6\n\x09\x01\x02\x01", "negative literal"),
    (b"aag 1 1 0 1 0\n2\n2\ni5 nope\n", "missing"),
    (b"aig 4000000000 4000000000 0 0 0\n", "promises more than the file holds"),
    (b"aag 200000000 0 0 0 100000000\n", "promises more than the file holds"),
    (b"aag 1 1 0 1 0\n2\n2\n?? junk\n", "unexpected data"),
])
def test_bad_files(data, match):
    with pytest.raises(FormatError, match=match) as info:
        aiger.from_bytes(data, "f.aag")
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        aiger.read(tmp_path / "none.aig")


def test_file_cut_inside_the_lgcc_comment_is_an_error():
    from lgcc.ir.random import random_layered_graph

    data = aiger.to_bytes(with_extras(random_layered_graph(6, [10, 6], k=2, seed=2), seed=1), binary=True)
    assert aiger.from_bytes(data).head is not None
    with pytest.raises(FormatError, match="truncated or corrupt"):
        aiger.from_bytes(data[:-20], "cut.aig")  # else the head and encoding would silently vanish


def test_ascii_literals_are_formatted_and_parsed_vectorized():
    """.aag bodies of millions of ANDs are written and read with numpy, not a Python string per number."""
    from lgcc.ir.formats import aiger_encode

    rng = np.random.default_rng(0)
    rows = rng.integers(0, 10 ** rng.integers(1, 19, (500, 3)), (500, 3))
    rows[0] = [0, 9, 10 ** 18 - 1]
    text = "".join(" ".join(map(str, r)) + "\n" for r in rows.tolist()).encode()
    assert aiger_encode.int_lines(rows) == text
    assert aiger_encode.int_lines(np.zeros((0, 3), dtype=np.int64)) == b""
    data = b"head\n" + text + b"i0 x\n"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(aiger_encode, "_LINES_CHUNK", 7)  # several steps, and the newline search window grows
        values, end = aiger_encode.parse_int_lines(data, 5, 500, 3, "f.aag")
    assert np.array_equal(values, rows) and data[end:] == b"i0 x\n"


@pytest.mark.parametrize("body, match", [
    (b"2\n4 6\n", "expected 1 literal"),  # the right total, spread over the wrong lines
    (b"-2\n", "negative literal"),
    (b"1234567890123456789\n", "more than 18 digits"),
    (b"2\r\n4\n", None),  # CR LF line ends are blanks
])
def test_ascii_literal_lines(body, match):
    from lgcc.ir.formats.aiger_encode import parse_int_lines

    if match is None:
        assert parse_int_lines(body, 0, 2, 1, "f.aag")[0].tolist() == [[2], [4]]
    else:
        with pytest.raises(FormatError, match=match):
            parse_int_lines(body, 0, 2 if body.count(b"\n") > 1 else 1, 1, "f.aag")


_ONE_WIRE = b"aag 1 1 0 1 0\n2\n2\nc\nlgcc "


@pytest.mark.parametrize("note, match", [
    (b'{"head": {"k": 1, "tau": 1, "bounds": [0, 1], "offsets": [99999999999999999999999]}}', "field 'offsets'"),
    (b'{"head": {"k": 1, "tau": 1, "bounds": [0, 1], "offsets": [9223372036854775807]}}', "offsets"),
    (b'{"head": {"k": 1, "bounds": [0, 1], "offsets": [0]}}', "missing field 'tau'"),
    (b'{"encoding": {"n_features": 1, "feature": [0], "threshold": ["x"]}}', "field 'threshold'"),
    (b'{"meta": 5}', "'meta' is not a JSON object"),
    (b'{"meta": ' + b"[" * 100000 + b"]" * 100000 + b"}", "not valid JSON"),
])
def test_bad_lgcc_comment_is_one_line(note, match):
    """The head/encoding comment is checked field by field (no OverflowError/RecursionError from deep inside)."""
    with pytest.raises(FormatError, match=match) as info:
        aiger.from_bytes(_ONE_WIRE + note + b"\n", "f.aag")
    assert "\n" not in str(info.value)


def test_file_cut_inside_the_symbol_table_is_an_error():
    """The lgcc comment comes after the symbols: a cut there must not silently drop the head."""
    from lgcc.ir.random import random_layered_graph

    data = aiger.to_bytes(with_extras(random_layered_graph(6, [10, 6], k=2, seed=2), seed=1), binary=True)
    cut = data.index(b"o3 ") + 4  # inside the output symbols, mid-line
    with pytest.raises(FormatError, match="last line is cut short"):
        aiger.from_bytes(data[:cut], "cut.aig")
    assert aiger.from_bytes(data[:-1]).head is not None  # only the final newline missing: still whole


def _sparse_aag(g: Graph, seed: int) -> bytes:
    """``g`` as ASCII AIGER with its variables spread over 1..10^15 in a random order, M the largest."""
    text = aiger.to_bytes(g, binary=False)
    head, _, rest = text.partition(b"\n")
    m, ni, _, no, na = map(int, head.split()[1:])
    body = rest.split(b"\n")
    rows = [np.array(line.split(), dtype=np.int64) for line in body[:ni + no + na]]
    rng = np.random.default_rng(seed)
    new_var = np.zeros(m + 1, dtype=np.int64)
    new_var[1:] = rng.choice(10**15, size=m, replace=False) + 1
    lines = [" ".join(str(2 * new_var[v // 2] + (v & 1)) for v in row.tolist()).encode() for row in rows]
    top = int(new_var.max(initial=0))
    return b"\n".join([f"aag {top} {ni} 0 {no} {na}".encode(), *lines, *body[ni + no + na:]])


@settings(max_examples=30, deadline=None)
@given(graphs(max_gates=40), st.integers(0, 2**32 - 1))
def test_sparse_variable_numbers_read_like_dense_ones(g, seed):
    """ASCII AIGER may number its variables anywhere up to M: the same graph, whatever the numbers."""
    g = with_extras(g, seed=3)
    h = aiger.from_bytes(_sparse_aag(g, seed))
    assert np.array_equal(truth_table(g), truth_table(h))
    assert h.meta == g.meta and g.encoding.same_as(h.encoding)


def test_tiny_file_with_a_huge_variable_takes_little_memory():
    """Arrays indexed by variable were sized by the largest literal: 47 bytes took 430 MB, 2*10^9 ~48 GB."""
    for top in (5 * 10**6, 10**17):
        g, peak = _read_with_peak(f"aag {top} 1 0 1 1\n2\n{2 * top}\n{2 * top} 2 2\n")
        assert (g.n_inputs, g.n_gates, g.n_outputs) == (1, 1, 1)
        assert peak < 1 << 20, (top, peak)


@pytest.mark.parametrize("data, match", [
    (b"aag 99999999 1 0 1 1\n2\n200000000\n200000000 2 2\n", r"maximum M=99999999 \(.* 2M\+1 = 199999999\)"),
    (b"aag 90000000 1 0 1 2\n2\n80000000\n80000000 2 2\n80000000 2 3\n", "variable 40000000 is defined twice"),
    (b"aag 90000000 1 0 1 2\n2\n80000000\n80000000 90000000 2\n90000000 80000000 2\n", "cycle .* variable 4"),
    (b"aag 90000000 1 0 1 1\n2\n80000000\n80000000 70000000 2\n", "never defined"),
])
def test_sparse_variables_errors_name_the_file_numbers(data, match):
    """Renumbered variables are named in messages by their numbers in the file."""
    with pytest.raises(FormatError, match=match):
        aiger.from_bytes(data, "f.aag")


def _assert_same_graph(g, h):
    for name in ("op", "a", "b", "outputs", "out_neg"):
        assert np.array_equal(getattr(g, name), getattr(h, name)), name
    assert g.meta == h.meta and (g.encoding is h.encoding is None or g.encoding.same_as(h.encoding))
    assert (g.head is None and h.head is None) or g.head.same_as(h.head)


@settings(max_examples=20, deadline=None)
@given(graphs(max_gates=30))
def test_crlf_line_ends_read_like_lf(g):
    """A file saved with Windows line ends reads as the LF file: header, body, symbols and comment."""
    text = aiger.to_bytes(with_extras(g, seed=4), binary=False)
    for lf in (text, text[:text.index(b"\nc\n") + 1]):  # with the lgcc comment; ending in the symbols
        _assert_same_graph(aiger.from_bytes(lf), aiger.from_bytes(lf.replace(b"\n", b"\r\n")))
    data = aiger.to_bytes(with_extras(g, seed=4), binary=True)
    end, first = _binary_body_end(data), data.index(b"\n")
    crlf = data[:first] + b"\r" + data[first:end] + data[end:].replace(b"\n", b"\r\n")  # header, symbols
    _assert_same_graph(aiger.from_bytes(data), aiger.from_bytes(crlf))


def _binary_body_end(data: bytes) -> int:
    """Offset of the symbol table in a binary AIGER file."""
    _, ni, _, no, na = map(int, data[:data.index(b"\n")].split()[1:])
    pos = data.index(b"\n") + 1
    for _ in range(no):
        pos = data.index(b"\n", pos) + 1
    return decode_deltas(data, pos, na, "x")[1]


def test_crlf_in_echoed_text_stays_on_one_line():
    """CR is a line break to str.splitlines (what the CLI's one-line error uses): it must not cut the quote."""
    with pytest.raises(FormatError, match=r"unexpected data after the AIGER body: '\?\? ju\\rnk'$") as info:
        aiger.from_bytes(b"aag 1 1 0 1 0\n2\n2\n?? ju\rnk\n", "f.aag")
    assert len(str(info.value).splitlines()) == 1
    with pytest.raises(FormatError, match=r"bad AIGER header 'aag 1 9{54}'\.\.\.$") as info:
        aiger.from_bytes(b"aag 1 " + b"9" * 5000 + b" 0 0 0\n", "f.aag")
    assert len(str(info.value)) < 100
