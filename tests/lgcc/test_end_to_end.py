"""The user's three jobs end to end, through the CLI as a user runs it:
train a checkpoint, compile it into a C library and into Verilog, inspect it, and
check that every artifact classifies exactly like the trained PyTorch model."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import lgcc
import lgcc.runtime


def lgcc_cli(*args, cwd=None):
    r = subprocess.run([sys.executable, "-m", "lgcc", *map(str, args)], capture_output=True, text=True,
                       timeout=600, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "iris.pt"
    lgcc_cli("train", "--dataset", "iris", "--layers", "2", "--width", "60", "--steps", "60",
             "--threads", "1", "--quiet", "-o", path)
    return path


@pytest.fixture(scope="module")
def features():
    from sklearn.datasets import load_iris

    return load_iris().data.astype(np.float32)


def torch_predictions(checkpoint, x):
    model = lgcc.load(checkpoint)
    with torch.no_grad():
        return model(torch.as_tensor(x)).argmax(dim=1).numpy()


def test_checkpoint_to_c_library_matches_pytorch(checkpoint, features, tmp_path):
    out = tmp_path / "c"
    lgcc_cli("compile", checkpoint, "--target", "c", "-o", out)
    meta = json.loads((out / "model.json").read_text())
    enc = meta["encoding"]  # a C user can encode features into bits (or packed bits) with it
    assert meta["classes"] == 3 and enc["n_features"] == meta["n_features"] == features.shape[1]
    compiled = lgcc.runtime.load(out)
    want = torch_predictions(checkpoint, features)
    assert np.array_equal(compiled.predict(features), want)
    bits = np.asarray(features, np.float32)[:, enc["feature"]] > np.float32(enc["threshold"])
    assert np.array_equal(compiled.predict(bits), want)
    assert np.array_equal(compiled.predict(features, threads=2), want)


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")
def test_checkpoint_to_verilog_passes_its_testbench(checkpoint, tmp_path):
    out = tmp_path / "v"
    lgcc_cli("compile", checkpoint, "--target", "verilog", "-O", "2", "--pipeline", "2", "-o", out)
    r = subprocess.run(["make", "-s"], cwd=out, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "PASS" in r.stdout and "FAIL" not in r.stdout, r.stdout + r.stderr


def test_inspect_and_optimize_the_checkpoint(checkpoint, tmp_path):
    stats = json.loads(lgcc_cli("stats", checkpoint, "--json").stdout)
    assert stats
    lgcc_cli("opt", checkpoint, "-O", "2", "-o", tmp_path / "opt.lgir")
    lgcc_cli("verify", checkpoint, tmp_path / "opt.lgir")
    dot = lgcc_cli("dump", tmp_path / "opt.lgir", "--format", "dot", "--class", "0").stdout
    assert dot.startswith("digraph")
