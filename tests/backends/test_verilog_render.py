"""Rendering: golden text for a 5-gate graph, determinism, options, writing through compile_target,
vectors.mem made in chunks."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lgcc.backends.verilog import VerilogOptions, render, testbench, write_files
from lgcc.backends.verilog.head import plan_head
from lgcc.backends.verilog.module import build_module
from lgcc.backends.verilog.options import SIGNAL_NAME
from lgcc.backends.verilog.target import add_arguments, compile_target
from lgcc.ir.errors import LgccError
from lgcc.ir.graph import Graph, Head
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import predict, scores, simulate

GOLDEN = Path(__file__).parent / "golden"


def five_gate_graph() -> Graph:
    """3 inputs, 5 gates (and, xor, or, nand, a&~b), 4 outputs (one negated) in 2 classes."""
    return Graph.from_arrays(3, op=[1, 6, 7, 14, 2], a=[2, 3, 5, 6, 7], b=[3, 4, 2, 7, 4],
                             outputs=[5, 6, 8, 9], out_neg=[False, True, False, False],
                             head=Head.group_sum(4, 2, tau=1.0)).verify()


@pytest.mark.parametrize("name,opts", [("verilog_5gate.v", {}),
                                       ("verilog_5gate_pipe1.v", {"pipeline": 1, "reset": True})])
def test_golden(name, opts):
    text = render(five_gate_graph(), VerilogOptions(**opts))["model.v"]
    path = GOLDEN / name
    if os.environ.get("LGCC_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"model.v changed; review and regenerate with LGCC_UPDATE_GOLDEN=1 ({path})"


_DIGEST = """
import hashlib, sys
from lgcc.backends.verilog import VerilogOptions, render, testbench, write_files
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import predict, scores, simulate
g = random_layered_graph(20, [50, 50, 40], k=4, seed=11)
files = render(g, VerilogOptions(pipeline=2))
sys.stdout.write(hashlib.sha256(repr(sorted((k, "".join(v)) for k, v in files.items())).encode()).hexdigest())
"""


def test_byte_identical_across_runs():
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", _DIGEST], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        digests.add(proc.stdout)
    g = random_layered_graph(20, [50, 50, 40], k=4, seed=11)
    files = render(g, VerilogOptions(pipeline=2))
    digests.add(hashlib.sha256(repr(sorted((k, "".join(v)) for k, v in files.items())).encode()).hexdigest())
    assert len(digests) == 1


def test_one_assign_per_live_gate_and_model_json():
    g = random_layered_graph(12, [30, 30, 20], k=4, seed=5)
    files = render(g, VerilogOptions(pipeline=3))
    info = json.loads(files["model.json"])
    gate_lines = [ln for ln in files["model.v"].splitlines() if ln.startswith("assign g")]
    assert len(gate_lines) == info["gates"] <= g.n_gates
    assert info["top"] == "lgn" and info["lgcc_version"]
    assert info["latency_cycles"] == -(-(info["levels"] + info["head_levels"]) // 3)
    assert f"Latency: {info['latency_cycles']} clock cycles" in files["model.v"]
    ports = {p["name"]: p["width"] for p in info["ports"]}
    assert ports["x"] == 12 and ports["class_id"] == 2 and ports["scores"] == 4 * info["score_width"]
    assert {"clk", "in_valid", "out_valid"} <= set(ports)


def test_popcount_tree_is_balanced_and_lut_sized():
    g = random_layered_graph(8, [400], k=2, seed=0)
    plan = plan_head(g, start_level=1, with_argmax=True)
    counts = [c for c in plan.cells if c.kind == "count"]
    assert counts and all(3 <= len(c.inputs) <= 6 for c in counts)
    # 200 bits per class: a compressor tree needs a handful of rounds, not ~200 serial adders
    assert plan.popcount_level <= 12


@pytest.mark.parametrize("opts,match", [
    ({"top": "module"}, "not a usable Verilog module name"),
    ({"top": "9lives"}, "not a usable"),
    ({"pipeline": -1}, "--pipeline"),
    ({"vectors": 0}, "--vectors"),
    ({"vectors": 99_999_999_999}, "--vectors must be between 1 and"),
    ({"vector_seed": -3}, "--vector-seed must be >= 0"),
    ({"reset": True}, "--reset needs a pipelined design"),
    ({"top": "clk"}, "one of its own signals"),
    ({"top": "g12"}, "one of its own signals"),
])
def test_bad_options(opts, match):
    with pytest.raises(LgccError, match=match):
        render(five_gate_graph(), VerilogOptions(**opts))


#: Port names, and the names listed by wire/reg declarations, in model.v.
_PORT = re.compile(r"^ +(?:input|output) wire (?:\[\d+:\d+\] )?(\w+),?$", re.M)
_DECLARED = re.compile(r"^(?:wire|reg) (?:\[\d+:\d+\] )?([^;]+);$", re.M)


def test_signal_name_pattern_covers_every_declared_name():
    """SIGNAL_NAME (names a --top may not take) matches every port and signal the renderer declares:
    pipelined, with counters, comparators and a signed head, and headless with delayed inputs."""
    g = random_layered_graph(12, [40, 30, 28], seed=7)
    headed = g.copy(head=Head(k=4, tau=1.0, bounds=np.array([0, 9, 9, 15, 28]), offsets=np.array([-3, 2, 0, -11])))
    # input x0 as an output is read late, through delayed copies
    headless = g.copy(outputs=np.append(g.outputs, 2).astype(np.int32), out_neg=np.zeros(g.n_outputs + 1, bool))
    names = set()
    for graph in (headed.verify(), headless.verify()):
        for pipeline in (0, 1):
            text = render(graph, VerilogOptions(pipeline=pipeline, reset=pipeline > 0))["model.v"]
            names.update(_PORT.findall(text))
            names.update(n.strip() for listed in _DECLARED.findall(text) for n in listed.split(","))
    assert {"x", "y", "scores", "class_id", "clk", "rst", "in_valid", "out_valid", "valid_d1"} <= names
    assert any(n.startswith("pc") and "_t" in n for n in names) and any(n.startswith("mi") for n in names)
    assert any(n.startswith("x") and "_d" in n for n in names) and any(n.startswith("s") and "_d" in n for n in names)
    assert [n for n in names if not SIGNAL_NAME.match(n)] == []


def test_outputs_need_a_head():
    g = random_layered_graph(4, [6, 3], seed=1)
    with pytest.raises(LgccError, match="needs a model with a GroupSum head"):
        render(g, VerilogOptions(outputs="class"))
    assert "output wire [2:0] y" in render(g)["model.v"]


def test_internal_entry_points_refuse_what_render_resolves():
    """plan_head without a head and build_module with unresolved outputs fail clearly, not deep inside."""
    with pytest.raises(ValueError, match="no GroupSum head"):
        plan_head(random_layered_graph(4, [6, 3], seed=1), start_level=1, with_argmax=True)
    with pytest.raises(ValueError, match="validated options"):
        build_module(five_gate_graph(), VerilogOptions())


def test_compile_target_writes_files(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--pipeline", "2", "--top", "digits", "--vectors", "32"])
    summary = compile_target(random_layered_graph(10, [20, 20], k=2, seed=3), tmp_path / "out", args)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(summary["files"])
    assert {"model.v", "tb_model.v", "vectors.mem", "Makefile", "synth.ys", "synth_xilinx.ys", "synth_ice40.ys",
            "model.json"} <= set(names)
    assert summary["top"] == "digits" and summary["latency_cycles"] >= 1
    assert len((tmp_path / "out" / "vectors.mem").read_text().splitlines()) == 33


def test_failed_render_leaves_no_files(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(LgccError):
        compile_target(five_gate_graph(), tmp_path / "out", parser.parse_args(["--top", "wire"]))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_report_without_yosys_fails_before_writing(tmp_path, monkeypatch):
    import lgcc.backends.verilog.yosys as yosys

    monkeypatch.setattr(yosys.shutil, "which", lambda name: None)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(LgccError, match="yosys is not installed"):
        compile_target(five_gate_graph(), tmp_path / "out", parser.parse_args(["--report"]))
    assert not (tmp_path / "out").exists()


def test_cli_compile(tmp_path, capsys):
    """``lgcc compile --target verilog`` through the real CLI, with ``--report`` running Yosys."""
    from lgcc.cli import main

    pytest.importorskip("lgcc.ir.formats.lgir")
    from lgcc.loading import save_graph

    model = tmp_path / "m.lgir"
    save_graph(random_layered_graph(10, [20, 20], k=2, seed=3), model)
    out = tmp_path / "out"
    argv = ["compile", str(model), "--target", "verilog", "-o", str(out), "--pipeline", "1", "--prefix", "digits"]
    report = shutil.which("yosys") is not None
    assert main(argv + (["--report"] if report else [])) == 0
    info = json.loads((out / "model.json").read_text())
    assert info["latency_cycles"] >= 1 and info["top"] == "digits"
    if report:
        printed = capsys.readouterr().out
        assert "generic:" in printed and " LUTs, " in printed and "lgcc compile:" in printed
    assert main(["compile", str(model), "--target", "verilog", "-o", str(tmp_path / "bad"), "--top", "end"]) == 2
    assert "not a usable Verilog module name" in capsys.readouterr().err


def _reference_vectors_mem(graph: Graph, files: dict, n: int, seed: int) -> str:
    """vectors.mem made the unchunked way: every vector drawn at once, scores and class simulated
    separately, each line a Python int in hex: the oracle of the chunked writer."""
    info = json.loads(files["model.json"])
    bits = np.random.default_rng(seed).integers(0, 2, (n, graph.n_inputs)).astype(bool)
    bits[0] = False
    bits[1:2] = True
    fields = [(bits.astype(np.int64), 1)]  # (values per vector, bits per value), least significant first
    if info["outputs"] == "y":
        fields.append((simulate(graph, bits).astype(np.int64), 1))
    if info["outputs"] in ("scores", "both"):
        fields.append((scores(graph, bits), info["score_width"]))
    if info["outputs"] in ("class", "both"):
        fields.append((predict(graph, bits)[:, None], info["class_width"]))
    lines = []
    for r in range(n):
        value = width = 0
        for values, w in fields:
            for v in values[r].tolist():
                value |= (v & ((1 << w) - 1)) << width
                width += w
        lines.append(format(value, f"0{-(-width // 4)}x") + "\n")
    head = (f"// {n} vectors for {info['top']}, seed {seed}: "
            f"{{expected result ({width - graph.n_inputs} bits), x ({graph.n_inputs} bits)}} in hex\n")
    return head + "".join(lines)


def _signed_ties_graph() -> Graph:
    """Negative offsets (two's complement scores), an empty class and small classes: ties in most vectors."""
    g = random_layered_graph(10, [30, 30, 22], seed=7)
    head = Head(k=4, tau=1.0, bounds=np.array([0, 3, 3, 6, 22]), offsets=np.array([0, 1, 0, -13]))
    return g.copy(head=head).verify()


_CHUNK = 64


@pytest.mark.parametrize("n", [1, 2, _CHUNK - 1, _CHUNK, _CHUNK + 1, 2 * _CHUNK + 1])
@pytest.mark.parametrize("outputs", ["both", "scores", "class", "y"])
def test_chunked_vectors_mem_equals_unchunked(monkeypatch, tmp_path, outputs, n):
    """vectors.mem made _CHUNK vectors at a time is byte for byte the unchunked file, around the seams."""
    monkeypatch.setattr(testbench, "CHUNK_VECTORS", _CHUNK)
    graph = random_layered_graph(9, [30, 17], seed=2) if outputs == "y" else _signed_ties_graph()
    files = render(graph, VerilogOptions(outputs=None if outputs == "y" else outputs, vectors=n, vector_seed=4))
    pieces = list(files["vectors.mem"])
    assert len(pieces) == 1 + -(-n // _CHUNK)  # the header, then one piece per chunk
    assert "".join(pieces) == _reference_vectors_mem(graph, files, n, seed=4)
    assert "".join(files["vectors.mem"]) == "".join(pieces)  # iterating again makes the same text
    write_files(files, tmp_path)
    assert (tmp_path / "vectors.mem").read_text() == "".join(pieces)


def test_chunks_shrink_for_wide_models():
    """A vector of a wide model costs more, so its chunks hold fewer vectors (never none)."""
    small = random_layered_graph(8, [20], k=2, seed=0)
    wide = random_layered_graph(784, [300], k=10, seed=0)
    sizes = [testbench.chunk_vectors(g, build_module(g, VerilogOptions().validated(g))[1])
             for g in (small, wide)]
    assert sizes[0] == testbench.CHUNK_VECTORS
    assert 1 <= sizes[1] <= testbench.CHUNK_BYTES // (8 * 784)


def test_vectors_mem_memory_is_bounded_by_the_chunk(monkeypatch):
    """Peak memory of rendering and making vectors.mem does not grow with the number of vectors."""
    monkeypatch.setattr(testbench, "CHUNK_VECTORS", 256)
    graph = random_layered_graph(64, [200, 100], k=4, seed=1)

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            for _ in render(graph, VerilogOptions(vectors=n))["vectors.mem"]:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(256)  # the first render fills caches (templates, imports)
    one_chunk = peak(256)
    assert peak(256 * 64) < 2 * one_chunk  # ~0.2 MB each; unchunked, the int64 draw alone is 8 MB


def test_interrupted_write_leaves_outdir_as_it_was(tmp_path, monkeypatch):
    """Stopped while vectors.mem is half written (Ctrl-C after its first chunk): no file changes."""
    monkeypatch.setattr(testbench, "CHUNK_VECTORS", 16)
    out = tmp_path / "out"
    out.mkdir()
    (out / "vectors.mem").write_text("old\n")
    real = testbench.expected_bits
    chunks: list[int] = []

    def interrupted(graph, info, bits):
        if chunks:
            raise KeyboardInterrupt
        chunks.append(len(bits))
        return real(graph, info, bits)

    monkeypatch.setattr(testbench, "expected_bits", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_files(render(five_gate_graph(), VerilogOptions(vectors=100)), out)
    assert chunks == [16]
    assert [p.name for p in out.iterdir()] == ["vectors.mem"]
    assert (out / "vectors.mem").read_text() == "old\n"
