"""FPGA cost of a 784 -> 6x4000 LGN through the Verilog backend, against ABC's own LUT mapping.

Prints one JSON object: gates before/after -O2; Yosys 6-LUT count and depth of the
network alone (raw output bits) and with the GroupSum head (popcount + argmax);
flip-flops with --pipeline 2; and ABC's ``if -K 6`` mapping of the same network
(BLIF written by lgcc.ir.formats.blif) side by side.

    python benchmarks/verilog_cost.py                 # trained model from benchmarks/models.py
    python benchmarks/verilog_cost.py --model m.pt    # any checkpoint or graph file
    python benchmarks/verilog_cost.py --stand-in      # random layered stand-in of the same shape
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from lgcc.backends.verilog import VerilogOptions, render, write_files
from lgcc.backends.verilog.yosys import run_flow
from lgcc.ir.gates import IS_BINARY
from lgcc.ir.graph import Graph
from lgcc.ir.random import random_layered_graph

#: ABC scripts compared with Yosys: the plain mapper, and ABC's stronger recipe.
ABC_SCRIPTS = {
    "abc_if_k6": "strash; if -K 6",
    "abc_dch_if_k6_mfs2": "strash; dch -f; if -K 6; mfs2",
}


def _model(args: argparse.Namespace) -> tuple[Graph, str]:
    """The graph to measure and where it came from."""
    if args.model:
        from lgcc.loading import load_graph

        return load_graph(args.model), str(args.model)
    if not args.stand_in:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        try:
            import models  # benchmarks/models.py: trains and caches the benchmark models

            graph, source = models.verilog_benchmark_graph()
            return graph, source
        except (ImportError, AttributeError) as exc:
            print(f"verilog_cost: no trained model available ({exc}); using a random stand-in", file=sys.stderr)
    graph = random_layered_graph(784, [4000] * 6, k=10, seed=0, ops=np.flatnonzero(IS_BINARY))
    return graph, "random_layered_graph(784, [4000]*6, k=10, binary gates) stand-in"


def _optimize(graph: Graph, level: int) -> Graph:
    try:
        from lgcc.ir.passes.manager import optimize
    except ImportError:
        return graph
    return optimize(graph, level=level).graph


def _yosys(graph: Graph, outdir: Path, timeout: float, **opts) -> dict:
    files = render(graph, VerilogOptions(vectors=1, **opts))
    write_files(files, outdir)
    t = time.perf_counter()
    report = run_flow(outdir, timeout=timeout)
    info = json.loads(files["model.json"])
    return {"luts": report["luts"], "flipflops": report["flipflops"], "depth": report["depth"],
            "latency_cycles": info["latency_cycles"], "seconds": round(time.perf_counter() - t, 1)}


def _abc(graph: Graph, outdir: Path, script: str, timeout: float) -> dict:
    binary = shutil.which("berkeley-abc") or shutil.which("yosys-abc") or shutil.which("abc")
    if binary is None:
        return {"error": "ABC not installed"}
    from lgcc.ir.formats import blif

    path = outdir / "network.blif"
    if not path.exists():
        blif.write(graph.copy(head=None), path)
    t = time.perf_counter()
    proc = subprocess.run([binary, "-c", f"read_blif {path.name}; {script}; print_stats"], cwd=outdir,
                          capture_output=True, text=True, timeout=timeout)
    m = re.search(r"nd\s*=\s*(\d+).*?lev\s*=\s*(\d+)", proc.stdout)
    if m is None:
        return {"error": (proc.stdout + proc.stderr).strip()[-300:]}
    return {"script": script, "luts": int(m.group(1)), "depth": int(m.group(2)),
            "seconds": round(time.perf_counter() - t, 1)}


def main() -> None:
    """Measure and print the JSON report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="checkpoint or graph file to measure instead of the benchmark model")
    p.add_argument("--stand-in", action="store_true", help="use the random layered stand-in")
    p.add_argument("-O", "--opt-level", type=int, default=2)
    p.add_argument("--timeout", type=float, default=1800, help="seconds per Yosys/ABC run")
    p.add_argument("--keep", type=Path, help="keep the generated folders here")
    args = p.parse_args()
    graph, source = _model(args)
    t = time.perf_counter()
    opt = _optimize(graph, args.opt_level)
    result = {"model": source, "gates": graph.n_gates, f"gates_O{args.opt_level}": opt.n_gates,
              "optimize_seconds": round(time.perf_counter() - t, 1), "levels": opt.depth(),
              "inputs": opt.n_inputs, "outputs": opt.n_outputs, "classes": opt.head.k if opt.head else None}
    work = args.keep or Path(tempfile.mkdtemp(prefix="lgcc-verilog-cost-"))
    jobs = {
        "yosys_network": lambda: _yosys(opt.copy(head=None), work / "network", args.timeout),
        "yosys_with_head": lambda: _yosys(opt, work / "head", args.timeout, outputs="class"),
        "yosys_pipeline2": lambda: _yosys(opt, work / "pipe2", args.timeout, outputs="class", pipeline=2),
    }
    (work / "abc").mkdir(parents=True, exist_ok=True)
    for name, script in ABC_SCRIPTS.items():
        jobs[name] = lambda s=script: _abc(opt, work / "abc", s, args.timeout)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(fn) for name, fn in jobs.items()}
        result.update({name: f.result() for name, f in futures.items()})
    net = result["yosys_network"]["luts"]
    head = result["yosys_with_head"]["luts"] - net
    abc = result["abc_if_k6"].get("luts")
    result["head_luts"] = head
    result["network_luts_vs_abc_if_k6"] = round(net / abc, 4) if abc else None
    result["targets"] = {"network_within_10pct_of_abc": bool(abc) and net <= 1.10 * abc,
                         "head_smaller_than_network": head < net}
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
