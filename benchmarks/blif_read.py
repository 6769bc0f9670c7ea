"""BLIF reading at scale: the vectorized reader, and side by side the general line-by-line one.

Writes a random layered graph with ``blif.write`` and reads it back in a child
process (so the peak RSS is the reader's alone, not the writer's); prints one
JSON object.  ``--compare`` also times the general reader (``blif_parse``, the
reader before the vectorized one) on the same file, median of 3 each,
alternating.  Target: a 10-million-gate file in well under 60 s.

    python benchmarks/blif_read.py --compare                      # 784 inputs, 2 layers of 100,000 gates
    python benchmarks/blif_read.py --inputs 1000 --layers 100     # 10 million gates (a few GB of memory)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from lgcc.ir.formats import blif, blif_parse
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import simulate_words

TARGET_10M_S = 60.0


def _read(path: str, compare: bool, repeat: int) -> dict:
    """Time the readers on ``path`` and check the result against the general reader (small files)."""
    fast_s, general_s = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        graph = blif.read(path)
        fast_s.append(time.perf_counter() - t0)
        if compare:
            t0 = time.perf_counter()
            with open(path, encoding="utf-8") as f:
                ref = blif_parse.from_text(f.read(), path)
            general_s.append(time.perf_counter() - t0)
    out = {"gates_read": graph.n_gates, "fast_s": round(statistics.median(fast_s), 3)}
    if compare:
        words = np.random.default_rng(0).integers(0, 1 << 63, (graph.n_inputs, 4), dtype=np.uint64)
        out["general_s"] = round(statistics.median(general_s), 3)
        out["speedup"] = round(out["general_s"] / out["fast_s"], 1)
        out["same_outputs"] = bool(np.array_equal(simulate_words(graph, words), simulate_words(ref, words)))
    out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the file, read it in a child process, print JSON (exit 1 if a check fails)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=784)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also time the general reader (slow on big files)")
    ap.add_argument("--read", metavar="PATH", help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args(argv)
    repeat = 3 if args.compare else 1
    if args.read:
        print(json.dumps(_read(args.read, args.compare, repeat)))
        return 0
    graph = random_layered_graph(args.inputs, [args.width] * args.layers, k=args.classes, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.blif")
        t0 = time.perf_counter()
        blif.write(graph, path)
        write_s = time.perf_counter() - t0
        size = os.path.getsize(path)
        del graph
        child = [sys.executable, __file__, "--read", path] + (["--compare"] if args.compare else [])
        run = subprocess.run(child, capture_output=True, text=True, check=False)
    if run.returncode:
        sys.stderr.write(run.stderr)
        return 1
    result = {"gates": args.width * args.layers, "inputs": args.inputs, "blif_bytes": size,
              "write_s": round(write_s, 3), **json.loads(run.stdout), "repeat": repeat, "cpus": os.cpu_count()}
    ok = result.get("same_outputs", True)
    if result["gates"] >= 10_000_000:
        result["target_10m_met"] = result["fast_s"] <= TARGET_10M_S
        ok = ok and result["target_10m_met"]
    print(json.dumps(result, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
