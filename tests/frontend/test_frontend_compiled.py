"""``CompiledLogicNet`` (difflogic's compiled-model API) equals the reference simulator; saves, loads, refuses."""

from __future__ import annotations

import copy
import importlib
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import lgcc
from lgcc.backends.c import COptions, render
from lgcc.frontend.compiled import CompiledLogicNet
from lgcc.frontend.layers import GroupSum, LogicLayer
from lgcc.frontend.lowering import lower
from lgcc.ir.errors import LgccError
from lgcc.ir.passes.manager import optimize

sim = importlib.import_module("lgcc.ir.simulate")


@pytest.fixture(scope="module")
def model():
    gen = torch.Generator().manual_seed(11)
    return torch.nn.Sequential(torch.nn.Flatten(), LogicLayer(24, 90, generator=gen), LogicLayer(90, 60, generator=gen),
                               GroupSum(5, tau=3.0)).eval()


@pytest.fixture(scope="module")
def compiled(model):
    return CompiledLogicNet(model=model, num_bits=64, cpu_compiler="gcc").compile()


@pytest.mark.parametrize("n", [1, 63, 64, 65, 255, 257, 1000])
def test_counts_equal_the_simulator_and_groupsum(model, compiled, n):
    bits = np.random.default_rng(n).integers(0, 2, (n, 24)).astype(bool)
    counts = compiled(torch.from_numpy(bits))
    assert counts.dtype == torch.int32 and counts.shape == (n, 5)
    assert np.array_equal(counts.numpy(), sim.scores(lower(model), bits))
    assert torch.equal(model(torch.from_numpy(bits).float()) * 3.0, counts.float())
    assert np.array_equal(compiled.predict(bits).numpy(), sim.predict(lower(model), bits))
    for bit_count in (8, 32, 64):  # bit-sliced words as they are (regrouped into uint64 words), not unpacked
        packed = lgcc.PackBitsTensor(bits, bit_count=bit_count)
        assert torch.equal(compiled(packed), counts) and torch.equal(compiled.predict(packed), compiled.predict(bits))


@pytest.mark.parametrize("opt_level", [0, 2])
def test_every_optimizer_level_gives_the_same_counts(model, compiled, opt_level):
    bits = ((np.arange(1 << 12)[:, None] >> np.arange(24) % 12) & 1).astype(bool)  # every pattern of 12 bits, twice
    other = CompiledLogicNet(model, threads=2).compile(opt_level=opt_level)
    assert torch.equal(other(bits), compiled(bits))


def test_a_model_with_an_encoding_takes_raw_features(trained_graph):
    net = CompiledLogicNet(trained_graph.model).compile()
    features = trained_graph.features[:300]
    assert net.num_inputs == features.shape[1]
    assert np.array_equal(net(features).numpy(), sim.scores(trained_graph.graph, sim.encode(trained_graph.graph,
                                                                                           features)))


def test_a_checkpoint_path_compiles_too(trained_graph):
    net = CompiledLogicNet(str(trained_graph.checkpoint)).compile()
    assert np.array_equal(net(trained_graph.features[:50]).numpy(),
                          CompiledLogicNet(trained_graph.model).compile()(trained_graph.features[:50]).numpy())


def test_save_and_load_round_trip(model, compiled, tmp_path, capsys):
    lib = tmp_path / "my_model_binary.so"
    CompiledLogicNet(model, verbose=True).compile(save_lib_path=lib, verbose=True)
    assert "Compiling finished in" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["my_model_binary.json", "my_model_binary.so"]
    loaded = lgcc.CompiledLogicNet.load(lib, num_classes=5, num_bits=64)
    bits = np.random.default_rng(0).integers(0, 2, (99, 24)).astype(bool)
    assert torch.equal(loaded(bits), compiled(bits))
    assert "inputs=24, classes=5" in repr(loaded)
    with pytest.raises(LgccError, match="has 5 classes, not 10"):
        CompiledLogicNet.load(lib, num_classes=10, num_bits=64)
    with pytest.raises(LgccError, match="no model to compile"):
        loaded.compile()
    (tmp_path / "my_model_binary.json").unlink()
    with pytest.raises(LgccError, match="keeps it as my_model_binary.json"):
        CompiledLogicNet.load(lib)


def test_deepcopy_pickle_and_torch_save_carry_the_library(model, compiled, tmp_path):
    """A copy calls its own library: no C compiler, and the files it came from may be gone."""
    bits = np.random.default_rng(2).integers(0, 2, (70, 24)).astype(bool)
    lib = tmp_path / "m.so"
    CompiledLogicNet(model).compile(save_lib_path=lib)
    loaded = CompiledLogicNet.load(lib, num_classes=5)
    buffer = io.BytesIO()
    torch.save({"compiled": compiled, "loaded": loaded}, buffer)
    lib.unlink()
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=False)
    for copied in (copy.deepcopy(compiled), pickle.loads(pickle.dumps(loaded)), saved["compiled"], saved["loaded"]):
        assert copied.lib is not None and copied.lib is not compiled.lib and torch.equal(copied(bits), compiled(bits))
    assert copy.deepcopy(compiled).get_c_code() == compiled.get_c_code()
    with pytest.raises(LgccError, match="call .compile"):
        copy.deepcopy(CompiledLogicNet(model))(bits)


def test_a_library_built_by_difflogic_is_refused_not_called(tmp_path):
    """difflogic's library has no metadata and no input count: calling it on a guess could read past the rows."""
    source = tmp_path / "difflogic.c"
    source.write_text("#include <stdbool.h>\n#include <stddef.h>\n"
                      "void apply_logic_gate_net(bool const *inp, int *out, size_t len) { (void)inp; (void)out; "
                      "(void)len; }\n")
    lib = tmp_path / "my_model_binary.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(source)], check=True)
    with pytest.raises(LgccError, match="built by difflogic's CompiledLogicNet.*compile the trained model with lgcc"):
        CompiledLogicNet.load(lib, num_classes=10, num_bits=64)


def test_get_c_code_is_what_lgcc_compile_renders(model, compiled):
    files = render(optimize(lower(model), level=1).graph, COptions())
    assert compiled.get_c_code() == files["model.c"] and compiled.get_c_code("model.h") == files["model.h"]
    assert CompiledLogicNet(model).get_c_code() == files["model.c"]  # before compile: -O1, deterministic
    with pytest.raises(LgccError, match="choose from model.c, model.h, model.json"):
        compiled.get_c_code("model.cpp")


@pytest.mark.parametrize("kwargs, message", [
    ({"device": "cuda"}, "compiles for the CPU"),
    ({"num_bits": 12}, "num_bits must be one of 8, 16, 32, 64"),
    ({"isa": "mmx"}, "unknown isa 'mmx'"),
    ({"threads": 0}, "threads must be an integer in 1..256, got 0"),
    ({"threads": True}, "threads must be an integer in 1..256, got True"),  # was gcc's "'True' undeclared"
    ({"threads": 300}, "threads must be an integer in 1..256, got 300"),  # was refused only at compile()
    ({"cpu_compiler": ""}, "must name a C compiler"),
])
def test_bad_options_are_one_line_errors(model, kwargs, message):
    with pytest.raises(LgccError, match=message):
        CompiledLogicNet(model, **kwargs)


def test_misuse_is_a_one_line_error_and_leaves_no_file(model, compiled, tmp_path):
    net = CompiledLogicNet(model)
    with pytest.raises(LgccError, match="call .compile"):
        net(np.zeros((2, 24), dtype=bool))
    with pytest.raises(LgccError, match="optimizer level: 0, 1 or 2, got 3"):
        net.compile(opt_level=3)
    with pytest.raises(LgccError, match="does not exist"):
        net.compile(save_lib_path=tmp_path / "missing" / "m.so")
    with pytest.raises(LgccError, match="name the library file"):
        net.compile(save_lib_path=tmp_path / "m.json")
    with pytest.raises(LgccError, match="C compiler 'no-such-cc' not found"):
        CompiledLogicNet(model, cpu_compiler="no-such-cc").compile(save_lib_path=tmp_path / "m.so")
    assert os.listdir(tmp_path) == []
    with pytest.raises(LgccError, match="holds 23 input bits per sample, the model reads 24"):
        compiled(lgcc.PackBitsTensor(np.zeros((3, 23), dtype=bool)))
    headless = torch.nn.Sequential(LogicLayer(4, 8)).eval()
    with pytest.raises(LgccError, match="ends in a GroupSum"):
        CompiledLogicNet(headless)
    with pytest.raises(LgccError, match="shape"):
        CompiledLogicNet(model).compile()(np.zeros((3, 23), dtype=bool))


def test_the_inference_benchmark_runs_at_toy_size():
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "inference_api.py"
    res = subprocess.run([sys.executable, str(script), "--rows", "300", "--width", "60", "--layers", "2",
                          "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["rows"] == 300 and out["compiled_compile_seconds"] > 0
    assert all(out[f"{way}_samples_per_s_median"] > 0 for way in ("float", "packbits", "compiled"))
