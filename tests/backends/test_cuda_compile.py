"""CUDA target: generated code compiles with nvcc for sm_80 and sm_90, is deterministic, and
``compile_target`` writes a complete output folder (compile only; no GPU needed)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from lgcc.backends.cuda import build
from lgcc.backends.cuda.render import CudaOptions, c_string_literal, render
from lgcc.backends.cuda.target import add_arguments, compile_target
from lgcc.ir.errors import LgccError
from lgcc.ir.random import random_layered_graph

ARCH = ["80", "90"]
needs_nvcc = pytest.mark.skipif(build.nvcc_path() is None, reason="nvcc not found: CUDA code not compile-checked")


def _args(**kw) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    ns = parser.parse_args([])
    ns.prefix = None
    for key, value in kw.items():
        setattr(ns, key, value)
    return ns


@needs_nvcc
def test_small_random_graph_compiles_straight_line(tmp_path):
    graph = random_layered_graph(16, [64, 64, 30], k=3, seed=1)
    files = render(graph)
    assert "HAVE_STRAIGHT 1" in files["model.cu"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    build.compile_object(tmp_path, ARCH)
    assert (tmp_path / "model.o").stat().st_size > 0


@needs_nvcc
def test_trained_model_builds_shared_library(trained_graph, tmp_path):
    summary = compile_target(trained_graph.graph, tmp_path / "out", _args(build=True, straight_max_gates=0))
    out = tmp_path / "out"
    assert summary["straight_line"] is False
    assert (out / build.LIBRARY).stat().st_size > 0
    meta = json.loads((out / "model.json").read_text())
    assert meta["library"] == build.LIBRARY and meta["arch"] == ["sm_80", "sm_90"]
    assert meta["head"]["k"] == trained_graph.graph.head.k
    assert meta["encoding"]["n_features"] == trained_graph.graph.encoding.n_features
    assert sorted(p.name for p in out.iterdir()) == sorted([build.LIBRARY, "model.cu", "model.h", "model.json",
                                                            "model_tables.c"])


def test_generation_is_byte_identical():
    graph = random_layered_graph(30, [200, 200, 50], k=5, seed=2)
    first = render(graph, CudaOptions(prefix="m"))
    again = render(graph.copy(op=graph.op.copy(), a=graph.a.copy()), CudaOptions(prefix="m"))
    assert first == again
    assert render(graph, CudaOptions(prefix="m", straight_max_gates=0)) != first


def test_prefix_names_every_symbol():
    graph = random_layered_graph(4, [8], k=2, seed=3)
    files = render(graph, CudaOptions(prefix="digits"))
    assert "int digits_create(int device, digits_model** model);" in files["model.h"]
    assert "DIGITS_OK 0" in files["model.h"]
    assert "digits_tables" in files["model_tables.c"]


def test_string_literal_round_trips_bytes():
    data = bytes(range(256)) * 9
    lit = c_string_literal(data)
    parts = [ln.strip()[1:-1] for ln in lit.splitlines()]
    assert bytes.fromhex("".join(parts).replace("\\x", "")) == data
    assert c_string_literal(b"") == '""'


def test_compile_without_build_writes_sources_only(tmp_path):
    graph = random_layered_graph(10, [20, 10], k=2, seed=4)
    summary = compile_target(graph, tmp_path, _args())
    assert summary["files"] == ["model.cu", "model.h", "model.json", "model_tables.c"]
    assert json.loads((tmp_path / "model.json").read_text())["library"] is None


def test_bad_options_fail_cleanly_and_leave_no_files(tmp_path, monkeypatch):
    graph = random_layered_graph(10, [20, 10], k=2, seed=5)
    with pytest.raises(LgccError, match="C identifier"):
        compile_target(graph, tmp_path / "a", _args(prefix="1bad-name"))
    with pytest.raises(LgccError, match="architecture"):
        compile_target(graph, tmp_path / "b", _args(arch="sm_80,volta"))
    with pytest.raises(LgccError, match="--straight-max-gates must be >= 0"):
        compile_target(graph, tmp_path / "d", _args(straight_max_gates=-1))
    with pytest.raises(LgccError, match="--arch names the GPUs that --build compiles for; add --build"):
        compile_target(graph, tmp_path / "e", _args(arch="sm_90"))  # was accepted and did nothing
    monkeypatch.setattr(build, "nvcc_path", lambda: None)
    with pytest.raises(LgccError, match="nvcc was not found"):
        compile_target(graph, tmp_path / "c", _args(build=True))
    for sub in ("a", "b", "c", "d", "e"):
        assert not (tmp_path / sub).exists() or not any((tmp_path / sub).iterdir())


def test_arch_this_nvcc_does_not_support_is_bad_input(tmp_path, monkeypatch):
    """nvcc's 'Unsupported gpu architecture' is the user's --arch: exit 2 with the fix, not 'nvcc failed' (1)."""
    fake = tmp_path / "nvcc"
    fake.write_text("#!/bin/sh\necho \"nvcc fatal   : Unsupported gpu architecture 'compute_10'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(build, "nvcc_path", lambda: str(fake))
    graph = random_layered_graph(10, [20, 10], k=2, seed=5)
    with pytest.raises(LgccError, match="--arch: this nvcc does not support 'compute_10'; 'nvcc --list-gpu-arch'"):
        compile_target(graph, tmp_path / "out", _args(build=True, arch="sm_10"))
    assert not (tmp_path / "out").exists()


def test_too_many_classes_is_a_clear_error():
    graph = random_layered_graph(8, [1200], k=600, seed=6)
    with pytest.raises(LgccError, match="at most 512 classes"):
        render(graph)


def test_arch_parsing():
    assert build.parse_arch("sm_80, sm_90") == ["80", "90"]
    assert build.parse_arch("90a") == ["90a"]
    flags = build.gencode_flags(["80", "90"])
    assert flags[-1] == "-gencode=arch=compute_90,code=compute_90"
    assert np.all([f.startswith("-gencode") for f in flags])


def test_ptx_is_the_newest_portable_architecture():
    """PTX was of the last one listed: compute_80 for 'sm_90,sm_80', and compute_90a (no use on later GPUs)."""
    assert build.gencode_flags(["90", "80"])[-1] == "-gencode=arch=compute_90,code=compute_90"
    assert build.gencode_flags(["80", "90a"]) == ["-gencode=arch=compute_80,code=sm_80",
                                                  "-gencode=arch=compute_90a,code=sm_90a",
                                                  "-gencode=arch=compute_90,code=compute_90"]
    assert build.parse_arch("sm_100f,sm_90a") == ["100f", "90a"]  # CUDA 12.9+ family targets
    assert build.gencode_flags(build.parse_arch("sm_100f,sm_90a"))[-1] == "-gencode=arch=compute_100,code=compute_100"


def test_cli_compile_target_cuda(tmp_path, capsys):
    from lgcc.cli import main
    from lgcc.loading import save_graph

    save_graph(random_layered_graph(12, [40, 20], k=2, seed=7), tmp_path / "m.lgir")
    rc = main(["compile", str(tmp_path / "m.lgir"), "--target", "cuda", "-o", str(tmp_path / "out"), "-O0",
               "--prefix", "tiny"])
    assert rc == 0 and "target cuda" in capsys.readouterr().out
    meta = json.loads((tmp_path / "out" / "model.json").read_text())
    assert meta["prefix"] == "tiny" and meta["n_gates"] == 60
    assert "int tiny_scores(" in (tmp_path / "out" / "model.h").read_text()


@needs_nvcc
def test_benchmark_measures_compile_seconds_without_a_gpu(tmp_path):
    """benchmarks/cuda_backend.py on a machine without a GPU still measures what needs none: compiling."""
    import subprocess
    import sys
    from pathlib import Path

    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: the benchmark runs in full (scripts/gpu_check.sh)")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "cuda_backend.py"
    r = subprocess.run([sys.executable, str(script), "--big-gates", "2000", "--out", str(tmp_path / "r.json")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["skipped"].endswith("compile seconds only")
    for key in ("mnist_6x4000", "random_5M"):
        assert result[key]["compile_seconds"] > 0 and result[key]["nvcc_seconds"] > 0
    assert result["random_5M"]["gates"] == 2000
