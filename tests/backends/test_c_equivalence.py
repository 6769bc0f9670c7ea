"""C backend == reference simulator: every ISA this machine runs, the batch sizes around
word and block boundaries, hypothesis graphs, offsets, encodings, and the packed-table path."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lgcc.backends.c import toolchain as cbuild
from lgcc.backends.c import tables, write_library
from lgcc.ir.graph import Encoding, Head
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs, random_bits
from lgcc.runtime import RuntimeModelError, load

sim = importlib.import_module("lgcc.ir.simulate")
BATCHES = (1, 63, 64, 65, 255, 257, 1000)
RUNNABLE = cbuild.runnable_isas()
# Small test models compile quickly; every thread asked for starts, so small batches run the threads.
FAST = ("-O1", "-DLGCC_MIN_THREAD_NS=0")


def _offset_graph(seed: int = 3):
    """Layered graph with unequal classes, negated outputs and signed offsets."""
    g = random_layered_graph(19, [90, 70, 45], seed=seed)
    rng = np.random.default_rng(seed)
    head = Head(k=4, tau=2.5, bounds=np.array([0, 5, 20, 20, 45]), offsets=np.array([3, -2, 7, 0]))
    return g.copy(head=head, out_neg=rng.random(g.n_outputs) < 0.4).verify()


@pytest.fixture(scope="module")
def offset_graph():
    return _offset_graph()


@pytest.fixture(scope="module", params=RUNNABLE)
def built(request, offset_graph, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"c_{request.param}")
    write_library(offset_graph, out, isa=request.param, extra_flags=FAST)
    return request.param, load(out)


def test_every_batch_size(built, offset_graph):
    isa, model = built
    assert model.isa == isa
    for n in BATCHES:
        x = random_bits(offset_graph, n, seed=n)
        np.testing.assert_array_equal(model.scores(x), sim.scores(offset_graph, x), err_msg=f"{isa} n={n}")
        np.testing.assert_array_equal(model.predict(x), sim.predict(offset_graph, x), err_msg=f"{isa} n={n}")
        np.testing.assert_array_equal(model.outputs(x), sim.simulate(offset_graph, x), err_msg=f"{isa} n={n}")
        np.testing.assert_array_equal(model.predict_packed(np.packbits(x, axis=1)), sim.predict(offset_graph, x),
                                      err_msg=f"{isa} n={n} packed")


@pytest.fixture(scope="module", params=[(isa, n) for isa in RUNNABLE for n in (19, 100)],
                ids=lambda p: f"{p[0]}-{p[1]}_inputs")
def narrow_and_wide(request, tmp_path_factory):
    """Under 64 inputs (a row's one chunk copied out) and 100 (a whole chunk and an overlapping last one)."""
    isa, n_inputs = request.param
    graph = random_layered_graph(n_inputs, [60, 40], k=4, seed=n_inputs)
    out = tmp_path_factory.mktemp(f"bits_{isa}_{n_inputs}")
    write_library(graph, out, isa=isa, extra_flags=FAST)
    return graph, load(out)


@pytest.mark.parametrize("value", [2, 0x30, 0x7F, 0x80, 0xFF])
def test_bytes_other_than_0_and_1_are_refused(narrow_and_wide, value):
    """The library checks the bytes of rows of bits as it reads them, in every row path (a full
    block, the batch's last partial block) and every byte of a row, on every instruction set."""
    graph, model = narrow_and_wide
    n_in = graph.n_inputs
    rng = np.random.default_rng(value)
    for n, row, col in [(1, 0, 0), (600, 300, n_in - 1), (600, 599, min(63, n_in - 1)), (1000, 999, n_in // 3),
                        (513, 512, n_in - 1), (2048, 1, min(64, n_in - 1))]:
        x = random_bits(graph, n, seed=n + value).astype(np.uint8)
        x[row, col] = value
        with pytest.raises(RuntimeModelError, match="input bits must be 0 or 1"):
            model.predict(x, threads=int(rng.integers(1, 3)))
        x[row, col] = 1
        np.testing.assert_array_equal(model.predict(x), sim.predict(graph, x), err_msg=f"n={n}")


def _builds() -> list[tuple[str, tuple[str, ...]]]:
    """(ISA, extra flags) of every build this machine runs; AVX-512 also without GFNI (its other transpose)."""
    builds = [(isa, ()) for isa in RUNNABLE]
    if "avx512" in RUNNABLE:
        builds.append(("avx512", ("-DLGCC_NO_GFNI",)))
    return builds


@pytest.mark.parametrize("n_inputs", [64, 100, 135])
def test_input_chunk_edges(n_inputs, tmp_path):
    """Rows of whole 64-input chunks, and a partial last chunk (bits and packbits rows, every ISA);
    input rows are prefetched whatever the batch size (normally only for batches beyond cache).
    AVX-512 is also built with -DLGCC_NO_GFNI: the transpose that CPUs without GFNI run."""
    g = random_layered_graph(n_inputs, [60, 40], k=4, seed=n_inputs)
    for isa, flags in _builds():
        out = tmp_path / (isa + "".join(flags))
        write_library(g, out, isa=isa, extra_flags=(*FAST, "-DPREFETCH_MIN_BYTES=1", *flags))
        model = load(out)
        for n in (1, 65, 513):
            x = random_bits(g, n, seed=n)
            want = sim.predict(g, x)
            np.testing.assert_array_equal(model.predict(x), want, err_msg=f"{out.name} n={n}")
            np.testing.assert_array_equal(model.predict_packed(np.packbits(x, axis=1), threads=2), want,
                                          err_msg=f"{out.name} n={n} packed")


@pytest.mark.parametrize("n_outputs", [64, 150])
def test_output_chunk_edges(n_outputs, tmp_path):
    """Raw outputs are unpacked 64 at a time: whole chunks and a partial last one, rows and sliced input."""
    g = random_layered_graph(20, [200, n_outputs], seed=n_outputs)
    g = g.copy(out_neg=np.random.default_rng(1).random(n_outputs) < 0.5).verify()
    for isa, flags in _builds():
        out = tmp_path / (isa + "".join(flags))
        write_library(g, out, isa=isa, extra_flags=(*FAST, *flags))
        model = load(out)
        for n in (1, 65, 513):
            x = random_bits(g, n, seed=n)
            np.testing.assert_array_equal(model.outputs(x, threads=2), sim.simulate(g, x), err_msg=f"{out.name} n={n}")
        words = sim.pack_rows(random_bits(g, 700, seed=3))
        want = sim.simulate_words(g, words)
        np.testing.assert_array_equal(model.outputs_sliced(words), sim.unpack_rows(want, 64 * words.shape[1]),
                                      err_msg=out.name)
        np.testing.assert_array_equal(model.outputs_words(words, threads=2), want, err_msg=out.name)
        np.testing.assert_array_equal(model.outputs_words(words[:, :1]), want[:, :1], err_msg=out.name)


def test_threads_and_sliced_input(built, offset_graph):
    _, model = built
    x = random_bits(offset_graph, 3000, seed=1)
    want = sim.predict(offset_graph, x)
    for threads in (0, 1, 2, 3, 64):
        np.testing.assert_array_equal(model.predict(x, threads=threads), want)
    words = sim.pack_rows(x)
    np.testing.assert_array_equal(model.predict_sliced(words)[:3000], want)


def test_avx512_and_neon_compile(tmp_path, offset_graph):
    """Builds this machine may not run must at least compile (neon needs a cross compiler)."""
    meta = write_library(offset_graph, tmp_path / "avx512", isa="avx512", extra_flags=FAST)
    assert meta["isa"] == "avx512" and (tmp_path / "avx512" / "libmodel.so").exists()
    cross = shutil.which("aarch64-linux-gnu-gcc")
    if cross is None:
        pytest.skip("neon: no aarch64-linux-gnu-gcc cross compiler installed")
    write_library(offset_graph, tmp_path / "neon", isa="neon", cc=cross, extra_flags=FAST)
    assert (tmp_path / "neon" / "libmodel.a").exists()


def test_neon_runs_under_qemu(tmp_path, offset_graph):
    """The neon build of the example program classifies like the simulator on an emulated aarch64."""
    cross, qemu = shutil.which("aarch64-linux-gnu-gcc"), shutil.which("qemu-aarch64")
    if cross is None or qemu is None:
        pytest.skip("neon run: needs aarch64-linux-gnu-gcc and qemu-aarch64 (qemu-user)")
    out = tmp_path / "neon"
    write_library(offset_graph, out, isa="neon", cc=cross, extra_flags=FAST)
    exe = tmp_path / "classify"
    example = Path(__file__).resolve().parents[2] / "examples" / "c" / "classify.c"
    subprocess.run([cross, "-O1", "-std=c99", "-static", f"-I{out}", str(example), str(out / "libmodel.a"),
                    "-lpthread", "-o", str(exe)], check=True, capture_output=True, timeout=300)
    x = random_bits(offset_graph, 257, seed=5)
    samples = tmp_path / "samples.txt"
    samples.write_text("".join("".join("1" if v else "0" for v in row) + "\n" for row in x))
    for threads in ("1", "2"):
        r = subprocess.run([qemu, str(exe), str(samples), threads], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.array(r.stdout.split(), dtype=np.int64), sim.predict(offset_graph, x))


def test_every_compiler_equals_the_simulator(c_compiler, offset_graph, tmp_path):
    """The C takes other paths under Clang (no GCC-only builtins: row masks, transposes and feature
    permutes); each entry point, ISA and batch size, with an encoding, on 1 and 3 threads."""
    rng = np.random.default_rng(7)
    enc = Encoding(15, rng.integers(0, 15, offset_graph.n_inputs).astype(np.int32),
                   rng.normal(size=offset_graph.n_inputs).astype(np.float32))
    g = offset_graph.copy(encoding=enc).verify()
    feats = rng.normal(size=(max(BATCHES), 15)).astype(np.float32)
    x = sim.encode(g, feats)
    want = {"scores": sim.scores(g, x), "predict": sim.predict(g, x), "outputs": sim.simulate(g, x)}
    for isa in RUNNABLE:
        meta = write_library(g, tmp_path / isa, isa=isa, cc=" ".join(c_compiler), extra_flags=FAST)
        assert meta["cc"] == " ".join(c_compiler)
        model = load(tmp_path / isa)
        for n in BATCHES:
            for threads in (1, 3):
                got = {entry: getattr(model, entry)(x[:n], threads=threads) for entry in want}
                got["features"] = model.predict(feats[:n], threads=threads)
                got["packed"] = model.predict_packed(np.packbits(x[:n], axis=1), threads=threads)
                got["sliced"] = model.predict_sliced(sim.pack_rows(x[:n]), threads=threads)[:n]
                for entry, value in got.items():
                    ref = want.get(entry, want["predict"])
                    np.testing.assert_array_equal(value, ref[:n], err_msg=f"{c_compiler[0]} {isa} n={n} {entry}")


def _assert_every_isa_and_batch(g, root: Path, x: np.ndarray, features: np.ndarray | None = None) -> None:
    """Build ``g`` once per runnable ISA and compare each batch size (a call on the same library) with the
    simulator; ``x`` holds ``max(BATCHES)`` rows of bits (``features``: the raw rows they encode)."""
    want = {"scores": sim.scores(g, x), "predict": sim.predict(g, x), "outputs": sim.simulate(g, x)}
    for isa in RUNNABLE:
        write_library(g, root / isa, isa=isa, extra_flags=FAST)
        model = load(root / isa)
        for n in BATCHES:
            for entry, ref in want.items():
                np.testing.assert_array_equal(getattr(model, entry)(x[:n]), ref[:n], err_msg=f"{isa} n={n} {entry}")
            if features is not None:
                np.testing.assert_array_equal(model.predict(features[:n]), want["predict"][:n],
                                              err_msg=f"{isa} n={n} features")


# each example builds every ISA: few examples keep the test at a few seconds
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=graphs(max_inputs=10, max_gates=60, max_outputs=12, head=True))
def test_hypothesis_graphs(g, tmp_path_factory):
    _assert_every_isa_and_batch(g, tmp_path_factory.mktemp("hyp"), random_bits(g, max(BATCHES), seed=0))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=graphs(max_inputs=6, max_gates=30, max_outputs=6, head=False))
def test_graphs_without_head(g, tmp_path_factory):
    out = tmp_path_factory.mktemp("nohead")
    write_library(g, out, isa="portable", extra_flags=FAST)
    model = load(out)
    x = random_bits(g, 65, seed=2)
    np.testing.assert_array_equal(model.outputs(x), sim.simulate(g, x))
    with pytest.raises(Exception, match="no GroupSum head"):
        model.predict(x)


def test_encoded_features(tmp_path):
    """Raw float features: bit = x[feature] > threshold (strict), applied inside the library."""
    g = random_layered_graph(45, [60, 40], k=4, seed=5)
    rng = np.random.default_rng(5)
    # a run of 35 consecutive features (compared a vector at a time), then scattered ones
    feature = np.concatenate((np.arange(5, 40), rng.integers(0, 40, 10))).astype(np.int32)
    enc = Encoding(40, feature, rng.normal(size=45).astype(np.float32))
    g = g.copy(encoding=enc).verify()
    write_library(g, tmp_path, isa=RUNNABLE[-1], extra_flags=FAST)
    model = load(tmp_path)
    x = rng.normal(size=(300, 40)).astype(np.float32)
    x[:50, feature[:30]] = enc.threshold[:30]  # exact ties: not above the threshold
    bits = sim.encode(g, x)
    np.testing.assert_array_equal(model.scores(x), sim.scores(g, bits))
    np.testing.assert_array_equal(model.predict(x.astype(np.float64)), sim.predict(g, bits))
    np.testing.assert_array_equal(model.predict(bits), sim.predict(g, bits))


def test_packed_tables(tmp_path, offset_graph, monkeypatch):
    """Large tables are emitted as string literals; force that path on a small graph."""
    monkeypatch.setattr(tables, "PACK_THRESHOLD", 0)
    write_library(offset_graph, tmp_path, isa="portable", extra_flags=FAST)
    assert '} gate_tab __attribute__((aligned(64))) = { "' in (tmp_path / "model.c").read_text()
    model = load(tmp_path)
    x = random_bits(offset_graph, 200, seed=9)
    np.testing.assert_array_equal(model.scores(x), sim.scores(offset_graph, x))


@pytest.mark.parametrize("isa", sorted({"portable", RUNNABLE[-1]}))
def test_unscaled_slot_tables(tmp_path, offset_graph, monkeypatch, isa):
    """Slot references are stored times 8 while that fits 16 bits, else plain: force the plain path."""
    render_mod = importlib.import_module("lgcc.backends.c.render")
    monkeypatch.setattr(render_mod, "slot_scale", lambda n_slots: 1)
    write_library(offset_graph, tmp_path, isa=isa, extra_flags=FAST)
    assert "#define SLOT_SCALE 1" in (tmp_path / "model.c").read_text()
    model = load(tmp_path)
    x = random_bits(offset_graph, 300, seed=10)
    np.testing.assert_array_equal(model.scores(x), sim.scores(offset_graph, x))
    np.testing.assert_array_equal(model.outputs(x), sim.simulate(offset_graph, x))


def _more_rows(x: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``x`` then resampled rows of it with noise added, ``n`` rows in all (the test set is smaller than 1000)."""
    rng = np.random.default_rng(seed)
    extra = x[rng.integers(0, len(x), max(0, n - len(x)))]
    return np.concatenate((x, extra + rng.normal(0, x.std(), extra.shape).astype(x.dtype)))[:n]


def test_trained_model(trained_graph, tmp_path):
    """A trained, lowered model (encoding + GroupSum), every ISA and batch size: bits and raw features."""
    g = trained_graph.graph
    feats = _more_rows(np.asarray(trained_graph.features, dtype=np.float32), max(BATCHES))
    _assert_every_isa_and_batch(g, tmp_path, sim.encode(g, feats), feats)


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """(graph, model) with 784 inputs: 9,001 rows of bits are 7 MB, past the prefetching threshold
    (and 20,000 rows of bit-sliced words 1.6 MB, past theirs)."""
    g = random_layered_graph(784, [120, 40], k=4, seed=8)
    out = tmp_path_factory.mktemp("c_wide")
    write_library(g, out, isa="auto", extra_flags=FAST)
    return g, load(out)


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_threads_claim_chunks_of_a_big_batch(wide, threads):
    """Threads take chunks of blocks as they go (several chunks per thread here, and the next
    chunk's rows are prefetched across chunk boundaries): every row is classified."""
    g, model = wide
    x = random_bits(g, 9001, seed=threads)
    want = sim.predict(g, x)
    np.testing.assert_array_equal(model.predict(x, threads=threads), want)
    np.testing.assert_array_equal(model.predict_packed(np.packbits(x, axis=1), threads=threads), want)
    x = random_bits(g, 20000, seed=threads)
    got = model.predict_sliced(sim.pack_rows(x), threads=threads)[:20000]
    np.testing.assert_array_equal(got, sim.predict(g, x))
