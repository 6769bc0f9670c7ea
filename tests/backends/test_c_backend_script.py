"""benchmarks/c_backend.py, the C backend's speed benchmark, runs at toy size (--tiny) and reports
every figure of the model and of a random graph."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cffi", reason="the benchmark calls the C library through cffi")
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "c_backend.py"
SPEED = ("images_per_s_1_thread", "images_per_s_1_thread_cpu", "images_per_s_sliced_input_1_thread",
         "images_per_s_packed_1_thread", "images_per_s_2_threads", "images_per_s_2_threads_packed",
         "thread_speedup", "thread_speedup_median", "thread_speedup_packed", "thread_speedup_median_packed",
         "read_floor_ns_per_row", "read_floor_thread_speedup", "read_floor_thread_speedup_median",
         "images_per_s_python_1_thread", "codegen_seconds", "cc_seconds", "compile_seconds", "peak_rss_gb")


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _check_speed(case: dict, rows: int) -> None:
    """The figures every measured graph carries: positive speeds and times, shares in [0, 1]."""
    assert "error" not in case, case.get("error")
    bad = {k: case.get(k) for k in SPEED if not _positive(case.get(k))}
    assert not bad, f"not positive numbers: {bad}"
    assert case["rows"] == case["thread_rows"] == case["thread_rows_packed"] == rows
    assert case["thread_speedup_rounds"] >= 9 and case["thread_speedup_rounds_packed"] >= 9
    assert 0 <= case["pack_share"] <= 1 and 0 <= case["pack_share_packed"] <= 1
    assert 0 < case["gates_evaluated"] <= case["gates"]


def test_tiny_run_reports_every_figure():
    res = subprocess.run([sys.executable, str(SCRIPT), "--tiny", "--sizes", "8000", "--rows", "2048",
                          "--repeats", "2"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["machine"]["cpus"] >= 1 and set(report["targets"]) >= {"thread_speedup", "pack_share"}
    model = report["mnist5k_6x4000"]
    _check_speed(model, 2048)
    assert model["graph"].startswith("STAND-IN random layered 784 -> 2x400") and "--tiny" in model["graph"]
    assert _positive(model["lgcc_compile_seconds"]) and _positive(model["lgcc_compile_seconds_from_lgir"])
    assert "lgcc compile:" in model["lgcc_compile_output"] and model["gates"] < 800  # -O1 ran
    assert model["l3_resident_batch"]["rows"] == 2048 and _positive(model["l3_resident_batch"]["thread_speedup"])
    sweep = model["batch_sweep_ns_per_row"]
    assert set(sweep) == {"512", "2048"} and all(_positive(v) for row in sweep.values() for v in row.values())
    phases = model["phase_ns_per_row"]  # per batch size and input kind: the three steps of a block
    assert set(phases) == {"512", "2048"} and all(set(p) == {"bits", "sliced", "packed"} for p in phases.values())
    assert all(set(s) == {"input", "gates", "output"} and all(map(_positive, s.values()))
               for p in phases.values() for s in p.values())
    assert set(model["one_row_us"]) == {"bits", "sliced", "packed"} and all(map(_positive, model["one_row_us"].values()))
    encodings = model["features_ns_per_row"]  # rows of raw features beside rows of bits, by encoding
    assert set(encodings) == {"in_order", "thermometer", "random"}
    assert all(set(by_rows) == {"512", "2048"} and all(set(t) == {"bits", "features"} and all(map(_positive, t.values()))
                                                     for t in by_rows.values()) for by_rows in encodings.values())
    assert set(report["random"]) == {"8000"}
    graph = report["random"]["8000"]
    _check_speed(graph, 2048)
    assert graph["gates"] == 8000 and graph["graph"] == "random layered 784 -> 8x1000"
