"""The generated CUDA code, run on the CPU against a stand-in CUDA runtime, equals the simulator.

Without a GPU this is how the kernels and the C API are checked (level tables, slot reuse,
gate decoding, the fused shared-memory kernel with its barriers, per-level launches and
workspace chunking, straight-line code, bit-sliced head counters, argmax, packing):
``model.cu`` is compiled with ``-DLGCC_FAKE_CUDA`` and called through its real API.
"""

from __future__ import annotations

import importlib
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lgcc.backends.cuda.emulate import build_emulator
from lgcc.backends.cuda.render import CudaOptions, render
from lgcc.backends.cuda.schedule import PIECE, head_pieces, schedule
from lgcc.ir.graph import Graph, Head
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs

sim = importlib.import_module("lgcc.ir.simulate")

pytestmark = pytest.mark.skipif(not (shutil.which("g++") and shutil.which("gcc")), reason="needs gcc and g++")


def _emulator(graph: Graph, tmp_path, prefix: str = "lgcc_model"):
    files = render(graph, CudaOptions(prefix=prefix))
    k = graph.head.k if graph.head is not None else 0
    return build_emulator(files, tmp_path, prefix, graph.n_inputs, graph.n_outputs, k)


ALL_MODES = ("straight", "fused", "levels")


def _check(graph: Graph, emu, bits: np.ndarray, modes=ALL_MODES) -> None:
    n = bits.shape[0]
    words = emu.pack_rows(bits)
    assert np.array_equal(words, sim.pack_rows(bits))
    expect = sim.unpack_rows(sim.simulate_words(graph, words), n)
    for mode in modes:
        emu.set_mode(mode)
        for ws_words in (None, 2):  # the full workspace, and one that forces chunks of 2 words
            out = emu.outputs(words, ws_words)
            assert np.array_equal(sim.unpack_rows(out, n), expect), f"outputs differ in mode {mode}"
            if graph.head is not None:
                scores, classes = emu.scores(words, n, ws_words)
                assert np.array_equal(scores, sim.scores(graph, bits)), f"scores differ in mode {mode}"
                assert np.array_equal(classes, sim.predict(graph, bits)), f"classes differ in mode {mode}"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(max_inputs=10, max_gates=60, max_outputs=12))
def test_random_graphs_equal_reference(tmp_path_factory, graph):
    emu = _emulator(graph, tmp_path_factory.mktemp("emu"))
    bits = np.random.default_rng(0).integers(0, 2, (200, graph.n_inputs)).astype(np.uint8)
    _check(graph, emu, bits)


def test_layered_graph_uneven_head_and_offsets(tmp_path):
    base = random_layered_graph(24, [300, 250, 260], seed=3)
    bounds = np.array([0, 1, 150, 150, 230, 260], dtype=np.int64)  # an empty class and a 149-output one
    head = Head(5, 2.0, bounds, np.array([3, -2, 7, 0, 40], dtype=np.int64))
    graph = base.copy(head=head, out_neg=np.arange(260) % 3 == 0).verify()
    emu = _emulator(graph, tmp_path, prefix="uneven")
    rng = np.random.default_rng(1)
    for n in (1, 31, 32, 33, 64, 65, 700):
        _check(graph, emu, rng.integers(0, 2, (n, 24)).astype(np.uint8))


def test_table_mode_on_a_model_above_the_straight_threshold(tmp_path):
    graph = random_layered_graph(64, [1500, 1500, 1000], k=10, seed=4)
    files = render(graph, CudaOptions(straight_max_gates=100))
    assert "HAVE_STRAIGHT 0" in files["model.cu"]
    emu = build_emulator(files, tmp_path, "lgcc_model", 64, 1000, 10)
    assert emu.mode() == "fused"
    with pytest.raises(Exception, match="error code 5"):
        emu.set_mode("straight")
    bits = np.random.default_rng(2).integers(0, 2, (130, 64)).astype(np.uint8)
    _check(graph, emu, bits, modes=("fused", "levels"))


def test_trained_model_features_to_classes(trained_graph, tmp_path):
    graph = trained_graph.graph
    emu = _emulator(graph, tmp_path)
    words = emu.pack_features(trained_graph.features)
    assert np.array_equal(words, sim.pack_rows(trained_graph.bits))
    _check(graph, emu, trained_graph.bits.astype(np.uint8))


def test_schedule_reuses_slots_and_orders_levels():
    graph = random_layered_graph(100, [400] * 5, k=4, seed=5)
    sched = schedule(graph)
    assert sched.depth == 5
    assert list(sched.level_starts) == [0, 400, 800, 1200, 1600, 2000]
    assert sched.n_slots <= 2 + 100 + 2 * 400  # two layers live at a time, not all 2000 gates
    dst = sched.gates[:, 2] >> 4
    for lv in range(sched.depth):  # no gate overwrites a value read in its own level
        s, e = sched.level_starts[lv], sched.level_starts[lv + 1]
        assert not set(dst[s:e]) & (set(sched.gates[s:e, 0]) | set(sched.gates[s:e, 1]))


def test_head_pieces_cover_each_class_in_runs_of_at_most_64():
    bounds = np.array([0, 0, 64, 65, 300], dtype=np.int64)
    p = head_pieces(bounds)
    assert (p[:, 2] - p[:, 1] <= PIECE).all() and (p[:, 2] > p[:, 1]).all()
    for c in range(4):
        rows = p[p[:, 0] == c]
        covered = np.concatenate([np.arange(lo, hi) for _, lo, hi in rows]) if len(rows) else np.zeros(0)
        assert np.array_equal(covered, np.arange(bounds[c], bounds[c + 1]))


def test_head_with_more_pieces_than_one_round(tmp_path):
    graph = random_layered_graph(32, [300, 17000], k=4, seed=8)  # 268 pieces of <= 64 outputs
    assert schedule(graph).pieces.shape[0] > 256
    files = render(graph, CudaOptions(straight_max_gates=0))
    emu = build_emulator(files, tmp_path, "lgcc_model", 32, 17000, 4)
    bits = np.random.default_rng(3).integers(0, 2, (100, 32)).astype(np.uint8)
    _check(graph, emu, bits, modes=("fused", "levels"))


def test_calls_give_back_the_callers_current_device(tmp_path):
    """Every API call used to cudaSetDevice(model's device) and leave it: torch's next allocation on
    'cuda' then went to the model's GPU.  The stand-in has two devices to show it."""
    graph = random_layered_graph(8, [40, 12], k=3, seed=10)
    files = render(graph, CudaOptions(straight_max_gates=0))
    emu = build_emulator(files, tmp_path, "lgcc_model", 8, 12, 3, device=1)
    assert emu.current_device() == 0
    bits = np.random.default_rng(4).integers(0, 2, (70, 8)).astype(np.uint8)
    for mode in ("fused", "levels"):
        emu.set_mode(mode)
        words = emu.pack_rows(bits)
        scores, _ = emu.scores(words, 70)
        emu.outputs(words)
        assert np.array_equal(scores, sim.scores(graph, bits))
        assert emu.current_device() == 0, mode


def test_loader_refuses_a_model_json_of_another_model(tmp_path, monkeypatch):
    """Two models of the default prefix: load_cuda took the shapes of whichever model.json lay beside the
    library, and the kernels then read and wrote past the caller's arrays.  The library (here its
    CPU build, which loads without a GPU) now says what it was built for."""
    import json
    import shutil as sh

    torch = pytest.importorskip("torch")
    from lgcc.backends.cuda.target import model_json
    from lgcc.ir.errors import LgccError
    from lgcc.runtime import load_cuda

    built = random_layered_graph(8, [40, 12], k=3, seed=11)
    other = random_layered_graph(10, [40, 12], k=4, seed=12)
    _emulator(built, tmp_path / "emu")
    out = tmp_path / "out"
    out.mkdir()
    sh.copy(tmp_path / "emu" / "libemulate.so", out / "libmodel_cuda.so")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for graph in (built, other):
        meta = model_json(graph, "lgcc_model", True, 0, 2, "libmodel_cuda.so", ["sm_90"])
        (out / "model.json").write_text(json.dumps(meta))
        if graph is built:
            assert load_cuda(out).n_inputs == 8
        else:
            with pytest.raises(LgccError, match=r"says 10 inputs \(the library has 8\), 4 classes \(the library "
                                                r"has 3\); compile the model again"):
                load_cuda(out)
