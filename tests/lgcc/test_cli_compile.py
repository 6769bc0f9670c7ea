"""``lgcc compile``: the command line around the targets (C target end to end)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import numpy as np
import pytest

from lgcc.cli import main
from lgcc.ir.passes.manager import optimize
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import random_bits
from lgcc.loading import load_graph, save_graph
from lgcc.runtime import load

sim = importlib.import_module("lgcc.ir.simulate")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "m.lgir"
    save_graph(random_layered_graph(20, [60, 40, 30], k=3, seed=8), path)
    return path


def test_isa_this_machine_cannot_run_is_noted(model_file, tmp_path, capsys, monkeypatch):
    """A cross build succeeds, with a note that it will not run here (no silent SIGILL later)."""
    target = importlib.import_module("lgcc.backends.c.target")
    monkeypatch.setattr(target, "machine_runs", lambda isa: isa != "sse2")
    assert main(["compile", str(model_file), "--target", "c", "-o", str(tmp_path / "x"), "--isa", "sse2"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "note: built for sse2, which this machine cannot run" in err
    assert main(["compile", str(model_file), "--target", "c", "-o", str(tmp_path / "p"), "--isa", "portable"]) == 0
    assert "note" not in capsys.readouterr().err


def test_compile_c_end_to_end(model_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compile", str(model_file), "--target", "c", "-o", str(out), "-O0", "--isa", "portable",
                 "--prefix", "m8", "--threads", "2"]) == 0
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and "target c" in line and "isa=portable" in line
    assert sorted(p.name for p in out.iterdir()) == ["libmodel.a", "libmodel.so", "model.c", "model.h", "model.json"]
    assert "int m8_predict_bits(" in (out / "model.h").read_text()
    g = random_layered_graph(20, [60, 40, 30], k=3, seed=8)
    x = random_bits(g, 300, seed=1)
    np.testing.assert_array_equal(load(out).predict(x), sim.predict(g, x))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained checkpoint: its random gates include wires, inverters and constants for -O1 to remove."""
    torch = pytest.importorskip("torch")
    import lgcc
    from lgcc.frontend import GroupSum, LogicLayer

    torch.manual_seed(0)
    model = torch.nn.Sequential(LogicLayer(20, 200), LogicLayer(200, 120), GroupSum(k=3, tau=4.0))
    return lgcc.save(model, tmp_path_factory.mktemp("ckpt") / "random.pt")


# the graph's gate count as each target records it in model.json
GATES_KEY = {"c": "gates", "verilog": "graph_gates", "cuda": "n_gates"}


def _compiled_gates(model, out, target: str, *options: str) -> int:
    """Compile ``model`` for ``target``; the gate count its model.json records."""
    assert main(["compile", str(model), "--target", target, "-o", str(out), *options]) == 0
    return json.loads((out / "model.json").read_text())[GATES_KEY[target]]


@pytest.mark.parametrize("target", sorted(GATES_KEY))
def test_compile_optimizes_by_default(checkpoint, tmp_path, capsys, target):
    """Without -O a checkpoint is compiled at -O1 (the pipeline's result, gate for gate); -O0 keeps every gate."""
    lowered = load_graph(checkpoint)
    assert _compiled_gates(checkpoint, tmp_path / "O0", target, "-O0") == lowered.n_gates
    default = _compiled_gates(checkpoint, tmp_path / "default", target)
    assert default == optimize(lowered, level=1).graph.n_gates < lowered.n_gates
    if target == "c":
        x = random_bits(lowered, 200, seed=2)
        np.testing.assert_array_equal(load(tmp_path / "default").scores(x), sim.scores(lowered, x))


@pytest.mark.parametrize("extra, message", [
    (["--cc", "no-such-compiler-xyz"], "not found"),
    (["--cc", "'gcc"], "cannot split it into a command (No closing quotation); check the quotes"),
    (["--cc", "false"], "exit status 1, no message"),
    (["--cc", ""], "--cc must name a C compiler"),
    (["--cc", "true"], "reported success but wrote no model1.o; is it a C compiler?"),
    (["--prefix", "1bad"], "--prefix '1bad' is not a C identifier: letters, digits and '_', not starting with a digit"),
    (["--target", "cuda", "--prefix", "1bad"], "--prefix '1bad' is not a C identifier"),
    (["--prefix", "_x"], "--prefix '_x' starts with '_': C reserves such names"),
    (["--passes", ","], "--passes"),
    (["-O", "-1"], "-O"),
    (["--threads", "0"], "--threads must be between 1 and 256"),
    (["--threads", str(2 ** 64)], "--threads must be between 1 and 256"),  # once wrapped to 0 in C: a crash
    (["--prefix", ""], "--prefix must not be empty"),
    (["--pipeline", "2"], "--pipeline is an option of --target verilog, not of --target c"),
    (["--target", "verilog", "--isa", "avx2"], "--isa is an option of --target c"),
    (["--target", "verilog", "--top", ""], "--top ''"),
    (["--target", "verilog", "--prefix", "module"], "--prefix 'module' is not a usable Verilog module name"),
])
def test_errors_leave_no_output(model_file, tmp_path, capsys, extra, message):
    out = tmp_path / "never"
    assert main(["compile", str(model_file), "-o", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lgcc: error:") and message in err and err.count("\n") == 1
    assert not out.exists(), "a failed compile left its output folder behind"


def test_empty_output_is_refused(model_file, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compile", str(model_file), "-o", ""]) == 2  # not: write into the current folder
    assert "-o/--output must name a folder" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


def test_output_that_is_a_file(model_file, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("keep me")
    assert main(["compile", str(model_file), "-o", str(out)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err and out.read_text() == "keep me"


def test_failed_build_keeps_an_existing_folder(model_file, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["compile", str(model_file), "-o", str(out), "--cc", "no-such-compiler-xyz"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_compile_replaces_the_earlier_output_in_its_folder(model_file, tmp_path, capsys):
    """C over Verilog over C into one folder: each time the folder holds that target's files (and
    model.json lists them), not a mix of two outputs; a file of the user's stays."""
    import json

    out = tmp_path / "out"
    expect = {"c": ["libmodel.a", "libmodel.so", "model.c", "model.h", "model.json"],
              "verilog": ["Makefile", "model.json", "model.v", "synth.ys", "synth_ice40.ys", "synth_xilinx.ys",
                          "tb_model.v", "vectors.mem"]}
    for i, target in enumerate(("c", "verilog", "c")):
        assert main(["compile", str(model_file), "-t", target, "-o", str(out), "--isa" if target == "c" else "-O",
                     "portable" if target == "c" else "1"]) == 0
        if i == 0:
            (out / "notes.txt").write_text("mine")
        assert sorted(p.name for p in out.iterdir()) == sorted([*expect[target], "notes.txt"]), target
        assert json.loads((out / "model.json").read_text())["files"] == expect[target]


def test_folder_in_the_way_leaves_no_partial_output(model_file, tmp_path, capsys):
    """A folder named like an output file is found before any file moves in (was: .so/.a moved, then a crash)."""
    out = tmp_path / "mine"
    (out / "model.c").mkdir(parents=True)
    assert main(["compile", str(model_file), "-o", str(out), "--isa", "portable"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.c: is a folder where the output writes a file" in err
    assert [p.name for p in out.iterdir()] == ["model.c"]


def test_missing_model(tmp_path, capsys):
    assert main(["compile", str(tmp_path / "nope.lgir"), "-o", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_missing_target_module(model_file, tmp_path, capsys, monkeypatch):
    import lgcc.backends

    monkeypatch.setitem(lgcc.backends.TARGETS, "verilog", "lgcc.backends.nothing_here.target")
    assert main(["compile", str(model_file), "--target", "verilog", "-o", str(tmp_path / "o")]) == 2
    assert "not available" in capsys.readouterr().err


def test_help_lists_target_options():
    res = subprocess.run([sys.executable, "-m", "lgcc", "compile", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "--isa" in res.stdout and "--prefix" in res.stdout
    # the --prefix help names each target's real default
    text = " ".join(res.stdout.split())
    for target in ("c", "cuda"):
        default = importlib.import_module(f"lgcc.backends.{target}.target").DEFAULT_PREFIX
        assert f"{default} for {target}" in text
