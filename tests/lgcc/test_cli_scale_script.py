"""benchmarks/cli_scale.py, the timer of every command on a big graph, runs and reports each path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "cli_scale.py"


def test_paths_report_seconds_memory_or_why_skipped(tmp_path):
    only = "^(stats_aig|dump_json_all|convert_aag_blif|verify_sim|verilog_report)$"
    cmd = [sys.executable, str(SCRIPT), "--gates", "30000", "--layers", "3", "--inputs", "50",
           "--only", only, "--workdir", str(tmp_path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["gates"] == 30000 and set(report["paths"]) == set(only[2:-2].split("|"))
    for name in ("stats_aig", "dump_json_all", "convert_aag_blif", "verify_sim"):
        path = report["paths"][name]
        assert path["rc"] == 0 and path["s"] > 0 and path["peak_rss_mb"] > 0, (name, path)
    assert "Yosys" in report["paths"]["verilog_report"]["skipped"]  # over its size limit
    assert json.loads((tmp_path / "out" / "all.json").read_text())["n_gates"] == 30000
