"""benchmarks/c_ab.py, the side-by-side timer of C builds, runs and reports every entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lgcc.backends.c import write_library
from lgcc.ir.graph import Encoding
from lgcc.ir.random import random_layered_graph

pytest.importorskip("cffi", reason="the C runtime needs cffi")
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "c_ab.py"


def test_two_builds_side_by_side(tmp_path):
    enc = Encoding(6, np.arange(12, dtype=np.int32) // 2, np.tile(np.float32([0.3, 0.7]), 6))
    g = random_layered_graph(12, [40, 20], k=2, seed=5).copy(encoding=enc).verify()
    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        write_library(g, d, isa="portable", extra_flags=("-O1",))
    res = subprocess.run([sys.executable, str(SCRIPT), *map(str, dirs), "--rows", "70", "--rounds", "2"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["rows"] == 70 and set(report["ns_per_row"]) == {str(d) for d in dirs}
    for entries in report["ns_per_row"].values():
        assert set(entries) == {"bits", "sliced", "packed", "features"}
        assert all(v["best"] > 0 and v["median"] >= v["best"] for v in entries.values())


def test_batch_size_sweep(tmp_path):
    write_library(random_layered_graph(12, [30], k=2, seed=1), tmp_path / "a", isa="portable", extra_flags=("-O1",))
    res = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a"), "--rows", "1,70", "--rounds", "2"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    sweep = json.loads(res.stdout)["sweep"]
    assert [r["rows"] for r in sweep] == [1, 70]
    assert all(set(r["ns_per_row"][str(tmp_path / "a")]) == {"bits", "sliced", "packed"} for r in sweep)
    bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a"), "--rows", "1,x"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "comma" in bad.stderr


def test_missing_build_is_a_usage_error(tmp_path):
    res = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "no model.json" in res.stderr
