"""benchmarks/c_threads.py, thread scaling by batch size, runs and reports every build and size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lgcc.backends.c import write_library
from lgcc.ir.random import random_layered_graph

pytest.importorskip("cffi", reason="the C runtime needs cffi")
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "c_threads.py"


def test_one_against_two_threads_by_batch_size(tmp_path):
    g = random_layered_graph(12, [40, 20], k=2, seed=5)
    write_library(g, tmp_path / "a", isa="portable", extra_flags=("-O1",))
    res = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a"), "--rows", "70,700", "--rounds", "3"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    runs = report["builds"][str(tmp_path / "a")]
    assert report["threads"] == 2 and [r["rows"] for r in runs] == [70, 700]
    assert all(r["us_1_thread"] > 0 and r["us_2_threads"] > 0 and r["speedup"] > 0 for r in runs)


def test_bad_arguments_are_usage_errors(tmp_path):
    for args, message in ((["--rows", "1,x"], "separated by commas"), (["--threads", "1"], "--threads must be at least 2")):
        bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), *args], capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
    missing = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none")], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and "no model.json" in missing.stderr
