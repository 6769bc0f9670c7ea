"""Verilator lints model.v clean; Yosys reads and synthesizes it; verilog-report prints its cost."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lgcc.backends.verilog import VerilogOptions, render, write_files
from lgcc.backends.verilog import yosys as yosys_mod
from lgcc.cli import main
from lgcc.ir.errors import LgccError, WorkFailed
from lgcc.ir.graph import Head
from lgcc.ir.random import random_layered_graph

CONFIGS = [
    {},
    {"pipeline": 1},
    {"pipeline": 2, "reset": True, "outputs": "class"},
    {"pipeline": 3, "outputs": "scores", "top": "digits"},
]


def _write(graph, outdir: Path, **opts) -> Path:
    write_files(render(graph, VerilogOptions(**opts)), outdir)
    return outdir


def _graphs():
    layered = random_layered_graph(16, [40, 40, 30], k=3, seed=2)
    signed = layered.copy(head=Head(3, 1.0, np.array([0, 10, 20, 30]), np.array([-4, 0, 5])))
    headless = random_layered_graph(9, [20, 20, 7], seed=4)  # raw outputs; some inputs unused
    return [layered, signed, headless]


@pytest.mark.skipif(shutil.which("verilator") is None, reason="Verilator not installed")
def test_verilator_lint_clean(tmp_path):
    for gi, graph in enumerate(_graphs()):
        for ci, opts in enumerate(CONFIGS):
            if graph.head is None:
                opts = {k: v for k, v in opts.items() if k != "outputs"}
            out = _write(graph, tmp_path / f"g{gi}c{ci}", **opts)
            top = opts.get("top", "lgn")
            proc = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", top, "model.v"],
                                  cwd=out, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0 and "%Warning" not in proc.stderr, (gi, opts, proc.stderr)


@pytest.mark.skipif(shutil.which("yosys") is None, reason="Yosys not installed")
def test_yosys_synthesizes_and_reports(tmp_path, capsys):
    graph = random_layered_graph(16, [40, 40, 30], k=3, seed=2)
    comb = yosys_mod.run_flow(_write(graph, tmp_path / "comb"))
    assert comb["luts"] > 0 and comb["flipflops"] == 0 and comb["depth"] >= 1
    out = _write(graph, tmp_path / "pipe", pipeline=2)
    assert main(["verilog-report", str(out), "--json"]) == 0
    piped = json.loads(capsys.readouterr().out)
    assert piped["flipflops"] > 0 and piped["luts"] > 0
    assert piped["depth"] < comb["depth"]  # registers cut the longest path
    assert main(["verilog-report", str(out), "--flow", "ice40"]) == 0
    assert "ice40:" in capsys.readouterr().out
    # the logs are listed in model.json, so compiling into the folder again removes them (no stale report)
    assert {"synth.log", "stat.json", "synth_ice40.log", "stat_ice40.json"} <= set(json.loads(
        (out / "model.json").read_text())["files"]) and (out / "synth.log").exists()
    _write(graph, out, pipeline=2)
    assert not (out / "synth.log").exists() and not (out / "stat_ice40.json").exists()


@pytest.mark.skipif(shutil.which("yosys") is None, reason="Yosys not installed")
@pytest.mark.parametrize("flow", ["xilinx", "ice40"])
def test_device_flow_depth_is_register_to_register(tmp_path, flow):
    """Device flows map flip-flops to FD*/SRL*/SB_DFF* cells, which ``ltp -noff`` alone does not know:
    the reported depth must stop at them, so registers every level make it shorter, not longer."""
    graph = random_layered_graph(8, [16, 16, 16, 16, 16, 16], k=2, seed=5)
    comb = yosys_mod.run_flow(_write(graph, tmp_path / "comb"), flow)
    piped = yosys_mod.run_flow(_write(graph, tmp_path / "pipe", pipeline=1), flow)
    assert piped["flipflops"] > 0
    assert piped["depth"] < comb["depth"], (comb, piped)


def test_report_errors(tmp_path, monkeypatch, capsys):
    assert main(["verilog-report", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
    _write(random_layered_graph(4, [4], seed=0), tmp_path)
    monkeypatch.setattr(yosys_mod.shutil, "which", lambda name: None)
    with pytest.raises(LgccError, match="yosys is not installed"):
        yosys_mod.run_flow(tmp_path)


def test_a_failed_or_killed_synthesis_leaves_its_log_listed(tmp_path, monkeypatch):
    """The log of a Yosys run that failed or was killed was not in model.json, so no later compile removed it."""
    graph = random_layered_graph(4, [6, 4], k=2, seed=1)
    out = _write(graph, tmp_path / "v")
    fake = tmp_path / "yosys"
    fake.write_text("#!/bin/sh\necho 'half a log' > \"$3\"\necho 'ERROR: out of memory' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(yosys_mod, "yosys_binary", lambda: str(fake))
    with pytest.raises(WorkFailed, match="ERROR: out of memory"):
        yosys_mod.run_flow(out)
    assert "synth.log" in json.loads((out / "model.json").read_text())["files"]
    _write(graph, out)
    assert not (out / "synth.log").exists()
