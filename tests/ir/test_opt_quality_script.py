"""benchmarks/opt_quality.py, lgcc's -O1/-O2 against ABC, runs at toy size (--tiny) and reports
each pipeline, ABC's side (or why not) and the equivalence checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "opt_quality.py"
METRICS = {"gates", "binary", "aig", "depth", "outputs"}


def test_tiny_run_reports_pipelines_abc_and_checks():
    res = subprocess.run([sys.executable, str(SCRIPT), "--tiny"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert set(report) == {"trained", "trained_like", "random"}  # --tiny: no big graph
    assert report["trained"] == {"skipped": "--tiny"}
    for name in ("trained_like", "random"):
        case = report[name]
        assert case["input"] == {**case["input"], "gates": 240, "outputs": 40}, name  # 784 -> 6x40
        for level in ("O1", "O2"):
            assert set(case[level]) == METRICS | {"seconds", "peak_mb"}, (name, level)
            assert case[level]["seconds"] >= 0 and case[level]["peak_mb"] >= 0
        # random gates include wires, constants and dead cones: -O1 removes some, -O2 never adds
        assert case["O2"]["aig"] <= case["O1"]["aig"] < case["input"]["aig"], name
        assert case["checks"]["O2_equivalent"] is True and case["checks"]["O1_equivalent"] is True, case["checks"]
        assert "10000 vectors" in case["checks"]["O2_scores"], case["checks"]
        abc = case["abc"]
        if "skipped" in abc:
            assert "berkeley-abc" in abc["skipped"]
            continue
        assert abc["best_and"] > 0 and abc["lut6"] > 0 and abc["after_lgcc_O2_and"] > 0
        assert set(abc["abc_pass_after_O2"]) == METRICS | {"note"}
        assert case["O2_aig_vs_abc_best"] == round(case["O2"]["aig"] / abc["best_and"], 3)
