"""benchmarks/machine.py, the probe of what the machine's cores give, runs and reports every figure."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "machine.py"


@pytest.mark.skipif(shutil.which("cc") is None, reason="the probe is C")
def test_quick_run_reports_every_figure():
    res = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["rounds"] == 5 and report["buffer_mb"] == 64
    for key in ("compute_scaling", "read_gbps_1_thread", "read_gbps_2_threads", "read_scaling", "thread_start_us",
                "thread_start_join_us"):
        assert isinstance(report[key], float) and math.isfinite(report[key]) and report[key] > 0, key
    assert report["thread_start_us"] <= report["thread_start_join_us"]
