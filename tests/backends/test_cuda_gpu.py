"""Compiled CUDA models equal the reference simulator on a GPU (pytest marker ``gpu``)."""

from __future__ import annotations

import argparse
import importlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lgcc.backends.cuda import build  # noqa: E402
from lgcc.backends.cuda.target import compile_target  # noqa: E402
from lgcc.ir.errors import LgccError  # noqa: E402
from lgcc.ir.graph import Graph, Head  # noqa: E402
from lgcc.ir.random import random_layered_graph  # noqa: E402
from lgcc.runtime import load_cuda  # noqa: E402

sim = importlib.import_module("lgcc.ir.simulate")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible to torch"),
    pytest.mark.skipif(build.nvcc_path() is None, reason="nvcc not found"),
]
BATCHES = (1, 31, 32, 33, 1000, 100000)
MODES = ("straight", "fused", "levels")


def _build(graph: Graph, outdir, **kw):
    args = argparse.Namespace(prefix=kw.get("prefix"), arch=kw.get("arch", "sm_80,sm_90"), build=True,
                              straight_max_gates=kw.get("straight_max_gates", 2000))
    compile_target(graph, outdir, args)
    return load_cuda(outdir)


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    base = random_layered_graph(40, [500, 400, 300], seed=11)
    bounds = np.array([0, 1, 150, 150, 230, 300], dtype=np.int64)
    head = Head(5, 2.0, bounds, np.array([3, -2, 7, 0, 40], dtype=np.int64))
    graph = base.copy(head=head, out_neg=np.arange(300) % 3 == 0).verify()
    return graph, _build(graph, tmp_path_factory.mktemp("layered"), prefix="layered")


@pytest.fixture(scope="module")
def trained(trained_graph, tmp_path_factory):
    return trained_graph, _build(trained_graph.graph, tmp_path_factory.mktemp("trained"))


def _rows(n, n_inputs, seed):
    return np.random.default_rng(seed).integers(0, 2, (n, n_inputs)).astype(bool)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", BATCHES)
def test_layered_graph_scores_classes_outputs(layered, mode, n):
    graph, model = layered
    model.set_mode(mode)
    bits = _rows(n, graph.n_inputs, n)
    scores, classes = model(torch.from_numpy(bits).cuda())
    assert np.array_equal(scores.cpu().numpy(), sim.scores(graph, bits))
    assert np.array_equal(classes.cpu().numpy(), sim.predict(graph, bits))
    out = model.outputs(torch.from_numpy(bits.astype(np.uint8)).cuda())
    expect = sim.simulate_words(graph, sim.pack_rows(bits))
    assert np.array_equal(sim.unpack_rows(out.cpu().numpy().view(np.uint64), n), sim.unpack_rows(expect, n))


@pytest.mark.parametrize("n", BATCHES)
def test_trained_model_from_features_bits_and_words(trained, n):
    tm, model = trained
    idx = np.arange(n) % tm.features.shape[0]
    feats, bits = tm.features[idx], tm.bits[idx]
    expect = sim.predict(tm.graph, bits)
    for mode in MODES:
        model.set_mode(mode)
        assert np.array_equal(model.predict(torch.from_numpy(feats).cuda()).cpu().numpy(), expect)
        assert np.array_equal(model.predict(torch.from_numpy(bits).cuda()).cpu().numpy(), expect)
        words = torch.from_numpy(sim.pack_rows(bits).view(np.int64)).cuda()
        assert np.array_equal(model.scores(words, n_samples=n).cpu().numpy(), sim.scores(tm.graph, bits))


def test_trained_model_matches_torch_eval(trained):
    tm, model = trained
    model.set_mode("auto")
    pred = model.predict(torch.from_numpy(tm.features).cuda()).cpu().numpy()
    with torch.no_grad():
        ref = tm.model(torch.from_numpy(tm.features)).argmax(1).numpy()
    assert np.array_equal(pred, ref)


def test_float64_features_are_read_as_float32(trained):
    tm, model = trained
    model.set_mode("auto")
    x = torch.from_numpy(tm.features).cuda()
    assert torch.equal(model.predict(x.double()), model.predict(x))


def test_graph_without_head_constants_and_input_outputs(tmp_path):
    g = random_layered_graph(12, [30, 20], seed=12)
    outputs = np.concatenate([g.outputs, [0, 1, 2, 5]]).astype(np.int32)
    graph = g.copy(outputs=outputs, out_neg=np.arange(outputs.shape[0]) % 2 == 1, head=None).verify()
    model = _build(graph, tmp_path, straight_max_gates=0)
    bits = _rows(777, 12, 3)
    out = model.outputs(torch.from_numpy(bits).cuda())
    assert np.array_equal(sim.unpack_rows(out.cpu().numpy().view(np.uint64), 777), sim.simulate(graph, bits))
    with pytest.raises(LgccError, match="no GroupSum head"):
        model.predict(torch.from_numpy(bits).cuda())


def test_runs_on_the_callers_stream(layered):
    graph, model = layered
    model.set_mode("auto")
    bits = _rows(5000, graph.n_inputs, 7)
    x = torch.from_numpy(bits).cuda()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        classes = model.predict(x)
    stream.synchronize()
    assert np.array_equal(classes.cpu().numpy(), sim.predict(graph, bits))


def test_clear_errors(layered):
    graph, model = layered
    with pytest.raises(LgccError, match="move it to the GPU"):
        model.predict(torch.zeros(3, graph.n_inputs, dtype=torch.bool))
    with pytest.raises(LgccError, match="rows of 40 input bits"):
        model.predict(torch.zeros(3, 7, dtype=torch.bool, device="cuda"))
    with pytest.raises(LgccError, match="no input encoding"):
        model.predict(torch.zeros(3, 40, dtype=torch.float32, device="cuda"))
    with pytest.raises(LgccError, match="mode must be one of"):
        model.set_mode("warp")


def test_tune_picks_the_fastest_available_shape(layered):
    graph, model = layered
    times = model.tune(n_samples=4096, repeat=1)
    assert set(times) <= set(MODES) and "levels" in times and "straight" in times
    assert model.mode() == min(times, key=times.get)
    bits = _rows(100, graph.n_inputs, 9)
    assert np.array_equal(model.predict(torch.from_numpy(bits).cuda()).cpu().numpy(), sim.predict(graph, bits))
