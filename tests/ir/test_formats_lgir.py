"""The .lgir format: exact round trips and one clear error for every kind of bad file."""

import json
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgcc.ir.errors import FormatError
from lgcc.ir.formats import lgir
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs, with_extras

FIELDS = ("op", "a", "b", "outputs", "out_neg")


def assert_identical(g, h):
    assert g.n_inputs == h.n_inputs
    for name in FIELDS:
        x, y = getattr(g, name), getattr(h, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert (g.head is None and h.head is None) or g.head.same_as(h.head)
    assert (g.encoding is None and h.encoding is None) or g.encoding.same_as(h.encoding)
    assert (g.layers is None and h.layers is None) or np.array_equal(g.layers, h.layers)
    assert g.meta == h.meta


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(max_gates=60))
def test_round_trip_is_exact(tmp_path, g):
    path = tmp_path / "g.lgir"
    lgir.write(g, path)
    assert_identical(g, lgir.read(path))
    extra = with_extras(g, seed=g.n_gates)
    lgir.write(extra, path)
    assert_identical(extra, lgir.read(path))


def test_empty_graph_round_trips(tmp_path):
    g = random_layered_graph(0, [], k=None)
    lgir.write(g, tmp_path / "e.lgir")
    assert_identical(g, lgir.read(tmp_path / "e.lgir"))


def test_header_records_versions(tmp_path):
    lgir.write(random_layered_graph(4, [6, 2], k=2), tmp_path / "g.lgir")
    with zipfile.ZipFile(tmp_path / "g.lgir") as zf:
        assert zf.namelist()[0] == lgir.HEADER
        header = json.loads(zf.read(lgir.HEADER))
    assert header["magic"] == lgir.MAGIC and header["format_version"] == lgir.FORMAT_VERSION
    assert header["lgcc_version"]


def test_writing_is_deterministic(tmp_path, monkeypatch):
    g = with_extras(random_layered_graph(5, [8, 4], k=2))
    lgir.write(g, tmp_path / "1.lgir")
    later = time.time() + 3600  # zip members carry a timestamp: an hour later must not change a byte
    monkeypatch.setattr(time, "time", lambda: later)
    lgir.write(g, tmp_path / "2.lgir")
    assert (tmp_path / "1.lgir").read_bytes() == (tmp_path / "2.lgir").read_bytes()


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.lgir"
    lgir.write(with_extras(random_layered_graph(6, [10, 10, 4], k=2)), path)
    return path


def rewrite(src, dst, change):
    """Copy a .lgir archive, letting ``change(name, data) -> data`` edit members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, change(name, zin.read(name)))
    return dst


def npy_bytes(arr):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def header_with(**changes):
    def change(name, data):
        if name != lgir.HEADER:
            return data
        return json.dumps({**json.loads(data), **changes}).encode()
    return change


def array_replaced(member, arr):
    return lambda name, data: npy_bytes(arr) if name == member else data


def expect_one_line(path, match):
    with pytest.raises(FormatError, match=match) as info:
        lgir.read(path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    expect_one_line(tmp_path / "nope.lgir", "no such file")


def test_truncated_file(good, tmp_path):
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        bad = tmp_path / f"cut{cut}.lgir"
        bad.write_bytes(data[:cut])
        expect_one_line(bad, "truncated|not an .lgir")


def test_flipped_byte_fails_crc(good, tmp_path):
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("a.npy")
    data[info.header_offset + 30 + len("a.npy") + 200] ^= 0xFF  # inside a.npy's stored data
    bad = tmp_path / "flip.lgir"
    bad.write_bytes(bytes(data))
    expect_one_line(bad, "lgir")


def test_foreign_files(tmp_path):
    text = tmp_path / "t.lgir"
    text.write_text("hello, I am a text file\n")
    expect_one_line(text, "not an .lgir file")
    npz = tmp_path / "n.lgir"
    with open(npz, "wb") as f:
        np.savez(f, op=np.zeros(3, np.uint8))
    expect_one_line(npz, "not an .lgir file")


def test_torch_checkpoint_is_foreign(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.lgir"
    torch.save({"weights": torch.zeros(3)}, path)
    expect_one_line(path, "not an .lgir file")


def test_newer_format_version(good, tmp_path):
    bad = rewrite(good, tmp_path / "new.lgir", header_with(format_version=lgir.FORMAT_VERSION + 1))
    expect_one_line(bad, "newer lgcc.*upgrade")


def test_bad_magic_and_header(good, tmp_path):
    expect_one_line(rewrite(good, tmp_path / "m.lgir", header_with(magic="nope")), "bad magic")
    garbage = rewrite(good, tmp_path / "j.lgir", lambda n, d: b"{not json" if n == lgir.HEADER else d)
    expect_one_line(garbage, "not JSON")
    expect_one_line(rewrite(good, tmp_path / "v.lgir", header_with(format_version="1")), "format_version")


def test_corrupt_arrays_fail_verify(good, tmp_path):
    g = lgir.read(good)
    a = g.a.copy()
    a[-1] = g.n_nodes + 5  # operand after its gate
    expect_one_line(rewrite(good, tmp_path / "a.lgir", array_replaced("a.npy", a)), "corrupt.*operand")
    expect_one_line(rewrite(good, tmp_path / "d.lgir", array_replaced("op.npy", g.op.astype(np.int64))),
                    "corrupt.*dtype")
    short = rewrite(good, tmp_path / "s.lgir", array_replaced("outputs.npy", g.outputs[:-1]))
    expect_one_line(short, "corrupt")
    two_d = rewrite(good, tmp_path / "2.lgir", array_replaced("b.npy", g.b.reshape(1, -1)))
    expect_one_line(two_d, "1-D")
    expect_one_line(rewrite(good, tmp_path / "h.lgir", header_with(head={"k": 2})), "corrupt")


def test_pickled_arrays_are_refused(good, tmp_path):
    objs = np.array([{"evil": 1}] * 3, dtype=object)
    expect_one_line(rewrite(good, tmp_path / "p.lgir", array_replaced("op.npy", objs)), "corrupt")


def test_missing_member(good, tmp_path):
    def drop(src, dst):
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
            for name in zin.namelist():
                if name != "b.npy":
                    zout.writestr(name, zin.read(name))
        return dst
    expect_one_line(drop(good, tmp_path / "m.lgir"), "'b' is missing")


def test_lying_array_header_is_refused_before_allocating(good, tmp_path):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": (10**13,)})
    bogus = buf.getvalue() + b"\0" * 16
    expect_one_line(rewrite(good, tmp_path / "big.lgir", lambda n, d: bogus if n == "op.npy" else d),
                    "larger than its member")
    not_npy = rewrite(good, tmp_path / "raw.lgir", lambda n, d: b"raw bytes" if n == "op.npy" else d)
    expect_one_line(not_npy, "corrupt")


@pytest.mark.parametrize("change, match", [
    (header_with(head={"k": 2, "tau": 1.0, "bounds": [0, 2, 4], "offsets": [10**30, 0]}), "field 'offsets'"),
    (header_with(head={"k": 2, "tau": 1.0, "bounds": [0, 2, 4], "offsets": [2**63 - 1, 0]}), "offsets"),
    (header_with(head={"k": 2, "tau": 1.0, "bounds": [0, 2, 4], "offsets": [2**31 - 2, 0]}), "fit in 32 bits"),
    (header_with(head={"tau": 1.0}), "head: missing field 'k'"),
    (header_with(head=[1, 2]), "head: missing field 'k'"),
    (header_with(head={"k": 2, "tau": "x", "bounds": [0, 2, 4], "offsets": [0, 0]}), "field 'tau'"),
    (header_with(encoding="x"), "'encoding' must be a JSON object"),
    (header_with(encoding={"n_features": 10**12}), "n_features must be in 1.."),
    (header_with(n_inputs="6"), "'n_inputs' must be a non-negative 64-bit integer"),
    (header_with(n_inputs=10**400), r"'n_inputs' must be a non-negative 64-bit integer, got '10{39}'$"),
    (lambda n, d: d.replace(b'"n_inputs": 6', b'"n_inputs": ' + b"9" * 5000) if n == lgir.HEADER else d,
     "corrupt .lgir header .a number of thousands of digits.$"),
    (header_with(n_inputs=2**31), "more nodes than int32 ids"),
    (lambda n, d: (b'{"magic": "lgcc-ir", "format_version": 1, "meta": ' + b"[" * 100000 + b"]" * 100000 + b"}"
                   if n == lgir.HEADER else d), "nested too deeply"),
])
def test_tampered_header_is_one_line(good, tmp_path, change, match):
    """Header fields of the wrong type or range: named, never a Python error from deep inside."""
    expect_one_line(rewrite(good, tmp_path / "t.lgir", change), match)


def test_array_dtypes_are_named_with_byte_order(good, tmp_path):
    g = lgir.read(good)
    big = rewrite(good, tmp_path / "big.lgir", array_replaced("a.npy", g.a.astype(">i4")))
    expect_one_line(big, r"array 'a' has dtype >i4, expected <i4")
    wide = rewrite(good, tmp_path / "w.lgir", array_replaced("enc_feature.npy", g.encoding.feature.astype(np.int64)))
    assert np.array_equal(lgir.read(wide).encoding.feature, g.encoding.feature)  # converted: nothing is lost
    lossy = g.encoding.threshold.astype(np.float64) + 1e-12
    expect_one_line(rewrite(good, tmp_path / "f.lgir", array_replaced("enc_threshold.npy", lossy)),
                    "'enc_threshold' does not fit dtype <f4")


def test_unreadable_file_is_not_called_truncated(good, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(zipfile, "ZipFile", refuse)
    with pytest.raises(FormatError, match=r"good.lgir: cannot read it \(Permission denied\)") as info:
        lgir.read(good)
    assert "truncated" not in str(info.value)


def npy_with_header(text: bytes, body: bytes = b"\0" * 64) -> bytes:
    """A version 1.0 ``.npy`` member whose header dictionary text is ``text`` (padded as numpy pads)."""
    pad = -(10 + len(text) + 1) % 64
    header = text + b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + body


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("text, match", [
    (b"{'descr': '<i4', 'fortran_order': False, 'shape': (60, }", "EOF in multi-line statement"),
    (b"{'descr': '<i4', 'fortran_order': False, 'shape': (60,), '''}", "EOF in multi-line string"),
    (b"{}\n    1\n  2", "indentation"),
    (b"{[1]: 2}", "unhashable"),
    (b"{'shape': " + b"-" * 9000 + b"1}", "nested too deeply"),
    (b"{'descr': '<i4', 'fortran_order': False, 'shape': (" + b"9" * 5000 + b",)}", "Cannot parse header"),
    (b"{'descr': '<i4', 'fortran_order': False, 'shape': (60,)\0" + b"\r\xe2\x80\xa8" * 2000 + b"}", "parse"),
], ids=["bracket", "string", "indent", "unhashable", "deep", "long-int", "line-breaks"])
def test_malformed_npy_header_is_one_short_line(good, tmp_path, text, match):
    """numpy's header parser raises TokenError, SyntaxError, TypeError or MemoryError besides ValueError,
    and quotes the whole header (up to 10 kB): one line of bounded length, no warning."""
    bad = rewrite(good, tmp_path / "h.lgir", lambda n, d: npy_with_header(text) if n == "a.npy" else d)
    with pytest.raises(FormatError, match=f"array 'a': bad .npy header: .*{match}") as info:
        lgir.read(bad)
    assert len(str(info.value).splitlines()) == 1 and len(str(info.value)) < len(str(bad)) + 200


@pytest.mark.filterwarnings("error")
def test_python2_npy_header_is_read_without_a_warning(good, tmp_path):
    g = lgir.read(good)
    text = f"{{'descr': '<i4', 'fortran_order': False, 'shape': ({g.n_gates}L,), }}".encode()
    old = rewrite(good, tmp_path / "py2.lgir", lambda n, d: npy_with_header(text, g.a.tobytes()) if n == "a.npy" else d)
    assert np.array_equal(lgir.read(old).a, g.a)
    negative = text.replace(f"({g.n_gates}L".encode(), b"(-4")
    expect_one_line(rewrite(good, tmp_path / "n.lgir", lambda n, d: npy_with_header(negative) if n == "a.npy" else d),
                    "array 'a' has a negative length")


@pytest.mark.filterwarnings("error")
@given(value=st.floats(min_value=3.5e38, allow_infinity=False), sign=st.sampled_from([1.0, -1.0]),
       index=st.integers(0, 5))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_thresholds_beyond_float32_range_are_one_line_without_warning(good, tmp_path, value, sign, index):
    """float64 thresholds are converted when nothing is lost; past float32's range numpy would warn."""
    thresholds = lgir.read(good).encoding.threshold.astype(np.float64)
    thresholds[index] = sign * value
    bad = rewrite(good, tmp_path / "f.lgir", array_replaced("enc_threshold.npy", thresholds))
    expect_one_line(bad, "array 'enc_threshold' holds .*, beyond float32 range")
