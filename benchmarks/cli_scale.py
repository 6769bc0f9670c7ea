"""Every user-facing ``lgcc`` command on a big random graph: seconds and peak RSS of each.

Builds a random layered graph of ``--gates`` two-input gates (1000 inputs, ``--layers``
layers, 10 classes), writes it as .lgir, .blif, .aag and .aig, then runs each command in a child
process (``python -m lgcc ...``) and measures its wall time and peak resident memory
(``wait4``: the child and what it ran, e.g. the C compiler; the inputs are written by
another child, so this process stays small: a child's peak counts the memory of the
process that started it).  Prints one JSON object (and each path as it ends on stderr):
``paths`` maps each path's name to ``{"s", "peak_rss_mb", "rc"}``, or to ``{"skipped": why}``
when a tool it needs is absent (cc, nvcc, berkeley-abc, yosys) or, for Yosys and ABC's
resynthesis, over the size they handle in minutes.  A path that fails or runs past ``--timeout`` (its whole process
group is killed) keeps its ``rc`` and the last line it printed on stderr.  With
``--workdir`` the inputs are kept and reused by the next run of the same shape.
Target (2-core machine): every path roughly linear, <= 60 s and <= 4 GB at 10M gates
(measured: all but ``verify_abc``, ABC's own proof, which took 150 s and 4 GB).

    python benchmarks/cli_scale.py                          # 1,000,000 gates
    python benchmarks/cli_scale.py --gates 100000 --only 'dump|convert'
    python benchmarks/cli_scale.py --gates 10000000 --layers 100 --timeout 300
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FORMATS = ("lgir", "blif", "aag", "aig")
#: The ten gates that read both operands: a random graph of them stays big after -O1 (with
#: constants and wires among the ops, -O1 folds a 1M-gate graph to ~150k and the backends see little).
TWO_INPUT_OPS = (1, 2, 4, 6, 7, 8, 9, 11, 13, 14)
_YOSYS_SLOW = "Yosys synthesis: 80 s for 15,000 gates here, over 300 s for 80,000"
#: Gate counts above which a path is not run, and why.
SIZE_LIMITS = {
    "compile_verilog_report": (20_000, _YOSYS_SLOW),
    "verilog_report": (20_000, _YOSYS_SLOW),
    "opt_abc": (150_000, "ABC's strash; dc2; resyn2; fraig: 100 s for 100,000 gates here (the pass stops at 600 s)"),
}


def _commands(src: dict[str, Path], out: Path) -> dict[str, list[str]]:
    """Each path's argument list (after ``lgcc``); outputs go under ``out``."""
    lgir = str(src["lgir"])
    cmds = {
        "stats": ["stats", lgir],
        "stats_json": ["stats", lgir, "--json"],
        "stats_aig": ["stats", str(src["aig"])],  # gates in AIGER's order, not by level
        "dump_refused": ["dump", lgir],  # the default --max-nodes refuses a big graph: must be quick
        "dump_text_all": ["dump", lgir, "--max-nodes", "0", "-o", str(out / "all.txt")],
        "dump_json_all": ["dump", lgir, "--format", "json", "--max-nodes", "0", "-o", str(out / "all.json")],
        "dump_dot_cone": ["dump", lgir, "--format", "dot", "--cone", "0", "-o", str(out / "cone.dot")],
        "dump_graphml_cone": ["dump", lgir, "--format", "graphml", "--cone", "0", "-o", str(out / "cone.graphml")],
        "dump_json_cone": ["dump", lgir, "--format", "json", "--cone", "0", "-o", str(out / "cone.json")],
        "dump_text_class": ["dump", lgir, "--class", "3", "--max-nodes", "0", "-o", str(out / "class.txt")],
        "dump_text_layers": ["dump", lgir, "--layers", "0:1", "--max-nodes", "0", "-o", str(out / "layer0.txt")],
        "dump_dot_class_layers": ["dump", lgir, "--format", "dot", "--class", "3", "--layers", "1:2",
                                  "--max-nodes", "0", "-o", str(out / "class_layer.dot")],
    }
    for a in FORMATS:
        for b in FORMATS:
            if a != b:
                cmds[f"convert_{a}_{b}"] = ["convert", str(src[a]), "-o", str(out / f"conv_{a}.{b}")]
    cmds.update({
        "opt_O1": ["opt", lgir, "-O1", "-o", str(out / "o1.lgir")],
        "opt_O2_report_json": ["opt", lgir, "-O2", "--report", "--json", "-o", str(out / "o2.lgir")],
        "opt_abc": ["opt", lgir, "--passes", "abc", "-o", str(out / "abc.lgir")],
        "verify_sim": ["verify", lgir, str(src["aig"]), "--vectors", "4096", "--no-abc"],
        "verify_131072": ["verify", lgir, str(src["aig"]), "--vectors", "131072", "--no-abc"],
        "verify_abc": ["verify", lgir, str(src["aig"]), "--vectors", "4096", "--abc-timeout", "120"],
        "compile_c": ["compile", lgir, "--target", "c", "-o", str(out / "c")],
        "compile_verilog": ["compile", lgir, "--target", "verilog", "-o", str(out / "v")],
        "compile_verilog_pipeline": ["compile", lgir, "--target", "verilog", "--pipeline", "2", "-o",
                                     str(out / "vp")],
        "compile_verilog_report": ["compile", lgir, "--target", "verilog", "--report", "-o", str(out / "vr")],
        "verilog_report": ["verilog-report", str(out / "v"), "--timeout", "600"],
        "compile_cuda": ["compile", lgir, "--target", "cuda", "-o", str(out / "cu")],
        "compile_cuda_build": ["compile", lgir, "--target", "cuda", "--build", "--arch", "sm_80",
                               "-o", str(out / "cub")],
    })
    return cmds


def _needs(name: str) -> str | None:
    """The executable a path needs, if any."""
    if name == "compile_c":
        return os.environ.get("CC", "cc")
    if name == "compile_cuda_build":
        return "nvcc"
    if name in ("compile_verilog_report", "verilog_report"):
        return "yosys"
    if name in ("verify_abc", "opt_abc"):
        return "berkeley-abc" if shutil.which("berkeley-abc") else "abc"
    return None


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have ended just now
        os.killpg(pid, signal.SIGKILL)


def run_child(argv: list[str], timeout: float) -> dict:
    """Run ``argv``; its seconds, peak RSS (MB, descendants included), exit code, and last stderr line on failure."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        # a session of its own, so that a timeout also stops what the command started (cc, Yosys, ABC)
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: keep Popen from waiting again
        seconds = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    res = {"s": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024), "rc": proc.returncode}
    if proc.returncode:
        res["error"] = "timed out" if seconds >= timeout else _last_line(stderr)
    return res


def write_inputs(work: Path, gates: int, layers: int, inputs: int) -> None:
    """Write the random graph in every format under ``work``; print its gate count (a child process)."""
    import numpy as np

    from lgcc.ir.random import random_layered_graph
    from lgcc.loading import save_graph

    width = max(10, gates // layers // 10 * 10)  # a multiple of the 10 classes
    graph = random_layered_graph(inputs, [width] * layers, k=10, seed=1, ops=np.array(TWO_INPUT_OPS, dtype=np.uint8))
    for fmt in FORMATS:
        save_graph(graph, work / f"model.{fmt}")
    print(graph.n_gates)


def main(argv: list[str] | None = None) -> int:
    """Build the inputs, run every selected path, print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gates", type=int, default=1_000_000, help="gates of the random graph (default 1,000,000)")
    ap.add_argument("--layers", type=int, default=10, help="layers (default 10)")
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--only", metavar="REGEX", help="run only the paths whose name matches")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per command (default 600)")
    ap.add_argument("--workdir", help="keep inputs and outputs here (default: a temporary folder)")
    ap.add_argument("--write-inputs", metavar="DIR", help=argparse.SUPPRESS)  # the child that writes them
    args = ap.parse_args(argv)
    if args.write_inputs:
        write_inputs(Path(args.write_inputs), args.gates, args.layers, args.inputs)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        out = work / "out"
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        shape = {"gates": args.gates, "layers": args.layers, "inputs": args.inputs}
        marker = work / "inputs.json"  # a --workdir keeps the inputs for the next run of the same shape
        if marker.exists() and json.loads(marker.read_text())["shape"] == shape:
            n_gates = json.loads(marker.read_text())["n_gates"]
        else:
            child = [sys.executable, __file__, "--write-inputs", str(work), "--gates", str(args.gates),
                     "--layers", str(args.layers), "--inputs", str(args.inputs)]
            n_gates = int(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
            marker.write_text(json.dumps({"shape": shape, "n_gates": n_gates}))
        write_s = time.perf_counter() - t0
        src = {fmt: work / f"model.{fmt}" for fmt in FORMATS}
        paths: dict[str, dict] = {}
        for name, cmd in _commands(src, out).items():
            if args.only and not re.search(args.only, name):
                continue
            tool = _needs(name)
            limit = SIZE_LIMITS.get(name)
            if tool and not shutil.which(tool):
                paths[name] = {"skipped": f"{tool} not found"}
            elif limit and n_gates > limit[0]:
                paths[name] = {"skipped": f"over {limit[0]:,} gates: {limit[1]}"}
            else:
                paths[name] = run_child([sys.executable, "-m", "lgcc", *cmd], args.timeout)
            print(f"{name}: {paths[name]}", file=sys.stderr, flush=True)
    result = {"gates": n_gates, "inputs": args.inputs, "layers": args.layers, "write_inputs_s": round(write_s, 2),
              "cpus": os.cpu_count(), "paths": paths}
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
