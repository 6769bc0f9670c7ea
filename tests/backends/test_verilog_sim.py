"""The generated testbench, run in Icarus Verilog, proves model.v equal to the reference simulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgcc.backends.verilog import VerilogOptions, render, testbench, write_files
from lgcc.backends.verilog.simulation import run_testbench
from lgcc.ir.graph import Head
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import graphs

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed")


def _write(files: dict[str, str], outdir: Path) -> Path:
    write_files(files, outdir)
    return outdir


def _simulate(graph, outdir: Path, **opts):
    return run_testbench(_write(render(graph, VerilogOptions(**opts)), outdir), opts.get("top", "lgn"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=graphs(max_inputs=8, max_gates=40, max_outputs=8), pipeline=st.sampled_from([0, 1, 2, 3]),
       reset=st.booleans(), outputs=st.sampled_from([None, "scores", "class"]))
def test_random_graphs_pass(tmp_path_factory, graph, pipeline, reset, outputs):
    outputs = outputs if graph.head is not None else None
    res = _simulate(graph, tmp_path_factory.mktemp("v"), pipeline=pipeline, reset=reset and pipeline > 0,
                    outputs=outputs, vectors=64)
    assert res.passed, res.output


@pytest.mark.parametrize("pipeline", [0, 1, 2, 5])
def test_layered_model_pass(tmp_path, pipeline):
    graph = random_layered_graph(24, [60, 60, 40, 30], k=5, tau=2.0, seed=pipeline)
    res = _simulate(graph, tmp_path, pipeline=pipeline, reset=pipeline == 2, vectors=200)
    assert res.passed, res.output
    assert "PASS 200 vectors" in res.output


@pytest.mark.parametrize("pipeline", [0, 3])
def test_negative_and_uneven_offsets_pass(tmp_path, pipeline):
    """Per-class offsets (some negative) make scores two's complement; uneven classes, an empty class."""
    g = random_layered_graph(10, [30, 30, 22], seed=7)
    head = Head(k=4, tau=1.0, bounds=np.array([0, 9, 9, 15, 22]), offsets=np.array([-3, 2, 0, -11]))
    g = g.copy(head=head).verify()
    out = tmp_path / "v"
    res = _simulate(g, out, pipeline=pipeline)
    assert res.passed, res.output
    assert json.loads((out / "model.json").read_text())["score_signed"] is True


def test_chunked_vectors_pass(tmp_path, monkeypatch):
    """vectors.mem made 16 vectors at a time (class = argmax of each chunk's scores, ties included) passes."""
    monkeypatch.setattr(testbench, "CHUNK_VECTORS", 16)
    g = random_layered_graph(10, [30, 30, 22], seed=7)
    g = g.copy(head=Head(k=4, tau=1.0, bounds=np.array([0, 3, 3, 6, 22]), offsets=np.array([0, 1, 0, -13]))).verify()
    res = _simulate(g, tmp_path, pipeline=2, vectors=50)
    assert res.passed, res.output
    assert "PASS 50 vectors" in res.output


@pytest.mark.parametrize("pipeline", [0, 2])
def test_corrupted_vector_fails(tmp_path, pipeline):
    """The testbench can fail: flip one expected bit and it reports the first mismatch."""
    graph = random_layered_graph(12, [30, 20], k=2, seed=3)
    out = _write(render(graph, VerilogOptions(pipeline=pipeline, vectors=40)), tmp_path)
    lines = (out / "vectors.mem").read_text().splitlines()
    row = 1 + 17  # line 0 is a comment; corrupt vector 17's expected result (its top hex digit)
    top_digit = int(lines[row][0], 16)
    lines[row] = format(top_digit ^ 1, "x") + lines[row][1:]
    (out / "vectors.mem").write_text("\n".join(lines) + "\n")
    res = run_testbench(out)
    assert not res.passed
    assert "FAIL vector 17" in res.output


def test_trained_model_pass(trained_graph, tmp_path):
    """A trained digits model (with input encoding): combinational and pipelined."""
    graph = trained_graph.graph
    for pipeline in (0, 3):
        res = _simulate(graph, tmp_path / f"p{pipeline}", pipeline=pipeline, vectors=128)
        assert res.passed, res.output
    meta = json.loads((tmp_path / "p3" / "model.json").read_text())
    assert meta["encoding"]["n_features"] == graph.encoding.n_features
    assert meta["latency_cycles"] >= 1


def test_repeated_outputs_pass(tmp_path):
    """Outputs repeated within a class (and negated copies) enter the popcount with their multiplicity."""
    g = random_layered_graph(8, [16, 16], seed=9)
    last = g.outputs
    outputs = np.concatenate([np.repeat(last[:3], 5), last[3:9], last[:4], np.repeat(last[9:11], 7)])
    neg = np.zeros(outputs.shape, bool)
    neg[15:19] = True
    g = g.copy(outputs=outputs.astype(np.int32), out_neg=neg, head=Head.group_sum(len(outputs), 3)).verify()
    for pipeline in (0, 2):
        res = _simulate(g, tmp_path / f"p{pipeline}", pipeline=pipeline)
        assert res.passed, res.output
