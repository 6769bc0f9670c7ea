"""lgcc.runtime: loading compiled C models and calling them from numpy and torch."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import warnings

import numpy as np
import pytest

from lgcc.backends.c import write_library
from lgcc.ir import Encoding
from lgcc.ir.errors import LgccError
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import random_bits
from lgcc.runtime import CompiledModel, RuntimeModelError, load

sim = importlib.import_module("lgcc.ir.simulate")


@pytest.fixture(scope="module")
def graph():
    return random_layered_graph(17, [64, 48, 30], k=3, tau=4.0, seed=2)


@pytest.fixture(scope="module")
def outdir(graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("rt")
    write_library(graph, out, isa="auto", extra_flags=("-O1", "-DLGCC_MIN_THREAD_NS=0"))  # small batches: all threads
    return out


@pytest.fixture(scope="module")
def model(outdir):
    return load(outdir)


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    """A model that takes 3 raw features (thermometer-coded into 6 bits), and its graph."""
    g = random_layered_graph(6, [12, 6], k=2, seed=3)
    g = g.copy(encoding=Encoding(3, np.repeat(np.arange(3, dtype=np.int32), 2),
                                 np.tile(np.array([0.5, 1.5], np.float32), 3)))
    out = tmp_path_factory.mktemp("encoded")
    write_library(g, out, isa="portable", extra_flags=("-O1",))
    return g, load(out)


def test_load_folder_or_library(outdir, model):
    assert isinstance(model, CompiledModel)
    lib = load(outdir / "libmodel.so")
    assert (lib.n_inputs, lib.n_classes, lib.n_outputs, lib.tau) == (17, 3, 30, 4.0)
    assert "inputs=17" in repr(model)


def test_dtypes_and_batches(model, graph):
    x = random_bits(graph, 130, seed=4)
    want = sim.scores(graph, x)
    for arr in (x, x.astype(np.uint8), x.astype(np.int64), np.asfortranarray(x)):
        np.testing.assert_array_equal(model.scores(arr), want)
    np.testing.assert_array_equal(model.predict(x[::2]), sim.predict(graph, x[::2]))  # non-contiguous
    assert model.predict(np.zeros((0, 17), bool)).shape == (0,)
    assert model.scores(np.zeros((0, 17), bool)).shape == (0, 3)
    assert model.predict([[0, 1] * 8 + [1]]).shape == (1,)


def test_torch_tensors(model, graph):
    torch = pytest.importorskip("torch")
    x = random_bits(graph, 77, seed=6)
    np.testing.assert_array_equal(model.predict(torch.from_numpy(x)), sim.predict(graph, x))
    np.testing.assert_array_equal(model.scores(torch.from_numpy(x.astype(np.uint8))), sim.scores(graph, x))


def test_bool_rows_holding_other_bytes_are_true(model, graph):
    """A bool array viewed from bytes (0 and 2 here) is read as numpy and the simulator read it, every
    byte but 0 True; the library's check of _bits rows made it 'input bits must be 0 or 1', with a
    hint for integer arrays."""
    x = random_bits(graph, 600, seed=8)
    raw = x.astype(np.uint8) * np.uint8(2)
    raw[0, 0], raw[1, :] = 255, 1
    want = sim.scores(graph, raw.view(bool))
    np.testing.assert_array_equal(want, sim.scores(graph, raw != 0))
    for threads in (1, 2):
        np.testing.assert_array_equal(model.scores(raw.view(bool), threads=threads), want)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(model.predict(torch.from_numpy(raw).view(torch.bool)), sim.predict(graph, raw != 0))
    with pytest.raises(RuntimeModelError, match="0 or 1"):  # the same bytes as integers are refused
        model.predict(raw)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((3, 5), bool), "shape"),
    (np.zeros(17, bool), "2-D"),
    (np.zeros((2, 3, 17), bool), "2-D"),
    (np.full((2, 17), 2, np.uint8), "0 or 1"),
    (np.full((2, 17), -1, np.int8), "0 or 1"),
    (np.zeros((2, 17), np.float32), "no input encoding"),
    (np.zeros((2, 17), np.complex64), "dtype"),
    (np.array([["a"] * 17]), "dtype"),
])
def test_bad_inputs_raise(model, bad, match):
    with pytest.raises(RuntimeModelError, match=match):
        model.predict(bad)
    assert issubclass(RuntimeModelError, LgccError)


BITS_17 = "bits (N, 17) as bool/uint8"
BOTH = "features (N, 3) as floats, or bits (N, 6) as bool/uint8"


@pytest.mark.parametrize("encoded_model, bad, message", [
    (False, np.zeros((2, 17, 1), bool), f"expected a 2-D batch of {BITS_17}; got shape (2, 17, 1) (flatten each "
                                        "sample: x.reshape(len(x), -1))"),
    (False, np.zeros(17, bool), f"expected a 2-D batch of {BITS_17}; got shape (17,) (use x[None] for one sample)"),
    (False, np.zeros((2, 5), np.uint8), f"expected {BITS_17}; got uint8 of shape (2, 5)"),
    (False, np.zeros((2, 17), np.float32), "no input encoding: pass 0/1 bits (N, 17) as bool or uint8, not floats"),
    (False, np.zeros((2, 17), np.complex64), f"unsupported dtype complex64: pass {BITS_17}"),  # said 'or features'
    # a feature-encoded model names both: images (N, 8, 8) of digits were told '(N, 256)', the bits alone
    (True, np.zeros((2, 3, 1), np.float32), f"expected a 2-D batch of {BOTH}; got shape (2, 3, 1) (flatten"),
    (True, np.zeros((2, 4), np.float32), f"expected {BOTH}; got float32 of shape (2, 4)"),
    (True, np.zeros((2, 6), np.float64), f"expected {BOTH}; got float64 of shape (2, 6); bits must be bool/uint8"),
    (True, np.zeros((2, 4), bool), f"expected {BOTH}; got bool of shape (2, 4)"),
    (True, np.zeros((2, 3), np.int64), f"expected {BOTH}; got int64 of shape (2, 3); integer arrays are read as "
                                       "bits: pass raw features as floats"),
    (True, np.zeros((2, 3), np.complex64), f"unsupported dtype complex64: pass {BOTH}"),
])
def test_input_errors_say_what_the_model_takes(model, encoded, encoded_model, bad, message):
    with pytest.raises(RuntimeModelError, match=re.escape(message)):
        (encoded[1] if encoded_model else model).predict(bad)


@pytest.mark.parametrize("threads", [-1, 1.5, "2", True, 2 ** 31, 2 ** 40])
def test_bad_threads(model, graph, threads):
    with pytest.raises(RuntimeModelError, match=r"threads must be an integer from 0 to 2147483647 \(0: the library"):
        model.predict(random_bits(graph, 3), threads=threads)


def test_sliced_words_checked(model):
    for bad in (np.zeros((17, 2), np.uint32), np.zeros((17, 2), np.int32), np.zeros((17, 2), np.float64),
                np.zeros((17, 2), ">i8"), np.zeros((3, 2), np.uint64), np.zeros((3, 2), np.int64)):
        with pytest.raises(RuntimeModelError, match="expected uint64 or int64 words of shape") as err:
            model.predict_sliced(bad)
        assert str(err.value).endswith(f"got {bad.dtype} {bad.shape}") and "\n" not in str(err.value)


@pytest.mark.parametrize("source", ["numpy", "torch"])
def test_int64_words_are_read_as_uint64(model, graph, source):
    """int64 words (numpy, or torch, which has no usable uint64) are the same bits: viewed, not copied."""
    words = np.random.default_rng(8).integers(0, 2 ** 64, (17, 3), dtype=np.uint64)
    signed = words.view(np.int64)
    assert (signed < 0).any()  # the top bit is data too
    if source == "torch":
        signed = pytest.importorskip("torch").from_numpy(signed)
    assert np.shares_memory(model._sliced(signed), words)
    want = sim.simulate_words(graph, words)
    np.testing.assert_array_equal(model.predict_sliced(signed), sim.predict(graph, sim.unpack_rows(words, 64 * 3)))
    np.testing.assert_array_equal(model.scores_sliced(signed), sim.scores(graph, sim.unpack_rows(words, 64 * 3)))
    np.testing.assert_array_equal(model.outputs_words(signed), want)
    np.testing.assert_array_equal(model.outputs_sliced(signed), sim.unpack_rows(want, 64 * 3))


def test_packed_rows_checked(model, graph):
    x = random_bits(graph, 70, seed=4)
    np.testing.assert_array_equal(model.predict_packed(np.packbits(x, axis=1)), model.predict(x))
    for bad in (np.packbits(x, axis=1).astype(np.int16), np.zeros((3, 1), np.uint8), np.zeros(9, np.uint8)):
        with pytest.raises(RuntimeModelError, match="packed uint8 rows"):
            model.predict_packed(bad)


def test_bad_libraries(outdir, tmp_path):
    with pytest.raises(RuntimeModelError, match="no such library"):
        load(tmp_path)
    copy = tmp_path / "m"
    shutil.copytree(outdir, copy)
    meta = json.loads((copy / "model.json").read_text())
    (copy / "model.json").write_text(json.dumps({**meta, "abi_version": 999}))
    with pytest.raises(RuntimeModelError, match="recompile"):
        load(copy)
    (copy / "model.json").write_text("{not json")
    with pytest.raises(RuntimeModelError, match="not a model.json"):
        load(copy)
    (copy / "model.json").unlink()
    with pytest.raises(RuntimeModelError, match="missing"):
        load(copy)
    other = "neon" if meta["isa"] != "neon" else "avx512"
    copy2 = tmp_path / "n"
    shutil.copytree(outdir, copy2)
    (copy2 / "model.json").write_text(json.dumps({**meta, "isa": other}))
    with pytest.raises(RuntimeModelError, match="cannot run"):
        load(copy2)
    (copy2 / "model.json").write_text(json.dumps({**meta, "prefix": "1x"}))
    with pytest.raises(RuntimeModelError, match="prefix '1x' cannot name C symbols"):
        load(copy2)
    (tmp_path / "model.pt").write_text("a checkpoint, not a library")
    with pytest.raises(RuntimeModelError, match="not a compiled model"):
        load(tmp_path / "model.pt")
    junk = tmp_path / "j"
    junk.mkdir()
    (junk / "libmodel.so").write_text("not a library")
    (junk / "model.json").write_text(json.dumps({**meta, "isa": "portable"}))
    with pytest.raises(RuntimeModelError, match="not an ELF shared library; rebuild it"):
        load(junk)
    (junk / "model.json").write_text("[1, 2]")
    with pytest.raises(RuntimeModelError, match="not a model.json"):
        load(junk)


@pytest.mark.parametrize("edit, message", [
    (lambda m: {**m, "prefix": "other"}, r"symbols of prefix 'other' missing"),
    (lambda m: {**m, "prefix": 5}, r"prefix 5 cannot name C symbols \(model.json was modified\)"),
    # were accepted, handing out wrong labels
    (lambda m: {**m, "class_labels": [0]},
     r"class_labels names 1 classes, the model has 3 \(model.json was modified\)"),
    (lambda m: {**m, "class_labels": "abc"},
     r"class_labels 'abc' is not a list of one label \(text or number\) per class"),
    (lambda m: {**m, "class_labels": [[0], 1, 2]}, r"class_labels \[\[0\], 1, 2\] is not a list of one label"),
])
def test_edited_model_json_is_refused(outdir, tmp_path, edit, message):
    copy = tmp_path / "m"
    shutil.copytree(outdir, copy)
    meta = json.loads((copy / "model.json").read_text())
    (copy / "model.json").write_text(json.dumps(edit(meta)))
    with pytest.raises(RuntimeModelError, match=message):
        load(copy)
    (copy / "model.json").write_text(json.dumps({**meta, "class_labels": ["cat", 2, 0.5]}))  # what the writer emits
    assert load(copy).class_labels == ["cat", 2, 0.5]


def test_declarations_in_model_json_are_not_trusted(encoded, tmp_path):
    """The cdef was read from model.json: float features declared double made predict raise a TypeError
    (and any other edit would pass memory the wrong way).  The runtime renders its own."""
    _, model = encoded
    copy = tmp_path / "m"
    shutil.copytree(model.path.parent, copy)
    meta = json.loads((copy / "model.json").read_text())
    edited = meta["cdef"].replace("const float *features", "const double *features")
    assert edited != meta["cdef"]
    x = np.random.default_rng(0).uniform(0, 2, size=(70, 3)).astype(np.float32)
    for doc in ({**meta, "cdef": edited}, {k: v for k, v in meta.items() if k != "cdef"}):
        (copy / "model.json").write_text(json.dumps(doc))
        assert np.array_equal(load(copy).predict(x), model.predict(x))


def test_truncated_library_is_an_error_not_a_crash(outdir, tmp_path):
    """dlopen of a library cut short killed the process with SIGBUS; now it is one line."""
    import subprocess
    import sys

    copy = tmp_path / "cut"
    shutil.copytree(outdir, copy)
    data = (copy / "libmodel.so").read_bytes()
    (copy / "libmodel.so").write_bytes(data[:len(data) // 3])
    code = ("import lgcc.runtime as rt\n"
            "try:\n    rt.load(%r)\nexcept rt.RuntimeModelError as e:\n    print(e)" % str(copy))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-300:]
    assert "libmodel.so: truncated" in res.stdout and "rebuild it (lgcc compile --target c)" in res.stdout


def test_library_of_another_model_is_refused(outdir, tmp_path):
    other = tmp_path / "other"
    write_library(random_layered_graph(9, [12, 6], k=3, seed=1), other, isa="portable", extra_flags=("-O1",))
    mixed = tmp_path / "mixed"
    shutil.copytree(outdir, mixed)
    shutil.copy(other / "libmodel.so", mixed / "libmodel.so")
    with pytest.raises(RuntimeModelError, match="does not belong to model.json .n_inputs 9 vs 17"):
        load(mixed)


def test_unreadable_array_likes_raise(model):
    with pytest.raises(RuntimeModelError, match="cannot read the input as an array"):
        model.predict([[0, 1], [1]])  # ragged: numpy's ValueError before
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeModelError, match="pass a dense CPU tensor"):
        model.predict(torch.zeros((2, 17), dtype=torch.uint8).to_sparse())  # torch's TypeError before


def test_head_less_model(tmp_path):
    g = random_layered_graph(9, [20, 10], seed=1)
    write_library(g, tmp_path, isa="portable", extra_flags=("-O1",))
    m = load(tmp_path)
    x = random_bits(g, 100, seed=1)
    np.testing.assert_array_equal(m.outputs(x), sim.simulate(g, x))
    with pytest.raises(RuntimeModelError, match="no GroupSum head"):
        m.scores(x)


def test_integer_features_get_a_hint(tmp_path, encoded):
    g, m = encoded
    x = np.array([[0, 1, 2], [2, 2, 0]])
    np.testing.assert_array_equal(m.predict(x.astype(np.float32)), sim.predict(g, g.encoding.encode(x)))
    with pytest.raises(RuntimeModelError, match="pass raw features as floats"):
        m.predict(x)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(m.predict(torch.tensor(x, dtype=torch.bfloat16)), m.predict(x.astype(np.float32)))
    g1 = g.copy(encoding=Encoding(6, np.arange(6, dtype=np.int32), np.full(6, 0.5, np.float32)))
    write_library(g1, tmp_path / "one_bit", isa="portable", extra_flags=("-O1",))
    pixels = np.array([[0, 255, 3, 0, 1, 9]], np.uint8)  # as many features as input bits, e.g. mnist5k
    with pytest.raises(RuntimeModelError, match="0 or 1; integer arrays are read as bits"):
        load(tmp_path / "one_bit").predict(pixels)


def test_model_compiled_again_into_its_folder_loads_anew(tmp_path, monkeypatch):
    """dlopen returned the library it held under the same name: a model compiled again into the
    folder of a model still loaded gave the old model's results.  Both now give their own."""
    a, b = (random_layered_graph(10, [40, 20], k=2, seed=s) for s in (1, 2))
    x = random_bits(a, 200, seed=3)
    assert not np.array_equal(sim.simulate(a, x), sim.simulate(b, x))
    write_library(a, tmp_path, isa="portable", extra_flags=("-O1",))
    old = load(tmp_path)
    write_library(b, tmp_path, isa="portable", extra_flags=("-O1",))
    new = load(tmp_path)
    np.testing.assert_array_equal(new.outputs(x), sim.simulate(b, x))
    np.testing.assert_array_equal(old.outputs(x), sim.simulate(a, x))
    np.testing.assert_array_equal(load(tmp_path / "libmodel.so").outputs(x), sim.simulate(b, x))

    def no_temporary_folder(**kwargs):
        raise PermissionError("read-only /tmp")

    monkeypatch.setattr("tempfile.mkdtemp", no_temporary_folder)
    np.testing.assert_array_equal(load(tmp_path).outputs(x), sim.simulate(b, x))  # no symlink: the path itself


def test_float64_features_beyond_float32_range_give_no_warning(tmp_path):
    """float64 features are read as float32: values past its range become infinities, which
    compare with the (finite) thresholds as the values do; the cast warned 'overflow' before."""
    g = random_layered_graph(4, [12, 6], k=2, seed=5)
    g = g.copy(encoding=Encoding(2, np.array([0, 0, 1, 1], np.int32), np.array([-1, 1, -1, 1], np.float32))).verify()
    write_library(g, tmp_path, isa="portable", extra_flags=("-O1",))
    x = np.array([[1e300, -1e300], [-1e40, 1e40], [0.0, 0.5]])
    want = sim.predict(g, np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(load(tmp_path).predict(x), want)
