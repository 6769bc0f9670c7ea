"""Optimizer quality and speed: lgcc's -O1/-O2 against Berkeley ABC on the same graphs. Prints JSON.

Inputs:

* ``trained``: a 784 -> 6x4000 network trained with ``lgcc train --dataset mnist5k``
  (trained once and cached in ``benchmarks/.cache/``; skipped with a message when
  training is not available);
* ``trained_like``: a random 784 -> 6x4000 network with a trained network's gate
  mix (``lgcc.ir.random.trained_like_graph``);
* ``random``: a random 784 -> 6x4000 layered graph (all 16 gates equally likely);
* ``big``: a 10,000,000-gate random layered graph, -O1 only (time and peak memory).

For each: gates, real 2-input gates and AIG-node equivalent (XOR/XNOR = 3) before
and after each pipeline, time and peak memory (tracemalloc: numpy's allocations);
ABC's ``strash; dc2; resyn2; fraig`` AND count and ``if -K 6`` LUT count on the
same input, and ABC run on lgcc's -O2 result; every class score of -O2 checked
against the input (1,000,000 random vectors, then an ABC ``cec`` proof of the class
scores as adder circuits) and every output bit of -O1 (100,000 vectors, then ``cec``).

Targets (issue 4): trained model -O2 AIG nodes <= 0.9x ABC's best, all class
scores equivalent; -O1 on 10M gates <= 60 s and <= 4 GB.

Usage: python benchmarks/opt_quality.py [--quick] [--skip-big] [--no-train] [--tiny]

``--tiny`` is the smoke test (seconds; the figures mean nothing): 784 -> 6x40 graphs,
no trained model, no big graph, 10,000 random vectors per check.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
TRAINED = CACHE / "mnist5k_6x4000.pt"
ABC_BEST = "strash; dc2; resyn2; fraig"


def trained_graph(allow_train: bool) -> tuple[Any, str]:
    """The lowered trained model, training and caching it first if needed; (graph, note)."""
    from lgcc.loading import load_graph

    if not TRAINED.exists():
        if not allow_train:
            return None, f"no cached model at {TRAINED} (run without --no-train to train it)"
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "lgcc", "train", "--dataset", "mnist5k", "--quiet", "-o", str(TRAINED)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not TRAINED.exists():
            return None, f"training failed ({' '.join(cmd[2:])}): {(proc.stderr or proc.stdout).strip()[-300:]}"
    return load_graph(TRAINED), f"lowered from {TRAINED.name}"


def _measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn()``; return its result, seconds and the peak of numpy/Python allocations (MB)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, round(seconds, 3), round(peak / 2**20, 1)


def pipelines(graph, levels=(1, 2)) -> dict:
    """Metrics before and after each -O level, with time and peak memory."""
    from lgcc.ir.passes import optimize
    from lgcc.ir.passes.metrics import graph_metrics

    res = {"input": graph_metrics(graph)}
    outs = {}
    for level in levels:
        r, secs, peak = _measure(lambda lv=level: optimize(graph, lv))
        outs[level] = r.graph
        res[f"O{level}"] = {**graph_metrics(r.graph), "seconds": secs, "peak_mb": peak}
    return res, outs


def abc_side_by_side(graph, o2) -> dict:
    """ABC's best script and 6-LUT mapping on the input, and ABC run after lgcc -O2."""
    from lgcc.ir.passes import get_pass
    from lgcc.ir.passes.abc_tool import abc_binary, abc_stats
    from lgcc.ir.passes.metrics import graph_metrics

    if abc_binary() is None:
        return {"skipped": "berkeley-abc is not installed"}
    out = {}
    t0 = time.perf_counter()
    out["best_and"] = abc_stats(graph, ABC_BEST).get("and")
    out["best_seconds"] = round(time.perf_counter() - t0, 2)
    out["lut6"] = abc_stats(graph, f"{ABC_BEST}; if -K 6").get("nd")
    out["after_lgcc_O2_and"] = abc_stats(o2, ABC_BEST).get("and")
    out["after_lgcc_O2_lut6"] = abc_stats(o2, f"{ABC_BEST}; if -K 6").get("nd")
    # the 'abc' pass after -O2: ABC, then XOR/XNOR recovered from their ANDs (is it worth adding to -O2?)
    passed, stats = get_pass("abc")(o2)
    out["abc_pass_after_O2"] = {**graph_metrics(passed), "note": stats.report()}
    return out


def checks(graph, outs, vectors: int = 1_000_000) -> dict:
    """Class scores of -O2 (``vectors`` random vectors) and -O1 per bit (a tenth of them), each
    then proved by ABC cec where installed (the summaries say whether it was)."""
    from lgcc.ir.equiv import check_equivalence

    o2 = check_equivalence(graph, outs[2], vectors=vectors)
    o1 = check_equivalence(graph, outs[1], vectors=vectors // 10)
    return {"O2_scores": o2.summary(), "O2_equivalent": o2.equivalent,
            "O1_bits": o1.summary(), "O1_equivalent": o1.equivalent}


def quality(name: str, graph, note: str = "", vectors: int = 1_000_000) -> dict:
    """Everything measured for one input graph."""
    res, outs = pipelines(graph)
    res["abc"] = abc_side_by_side(graph, outs[2])
    best = res["abc"].get("best_and")
    if best:
        res["O2_aig_vs_abc_best"] = round(res["O2"]["aig"] / best, 3)
        res["O2_binary_gates_vs_abc_best"] = round(res["O2"]["binary"] / best, 3)
    res["checks"] = checks(graph, outs, vectors)
    if note:
        res["note"] = note
    return res


def _big_child(n_gates: int, queue) -> None:
    from lgcc.ir.random import random_layered_graph

    layers = 10
    graph = random_layered_graph(784, [n_gates // layers] * layers, k=10, seed=0)
    res, _ = pipelines(graph, levels=(1,))
    res["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    queue.put(res)


def big(n_gates: int) -> dict:
    """-O1 on a huge random layered graph, in a fresh process so its peak memory is its own."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_big_child, args=(n_gates, queue))
    proc.start()
    res = queue.get()
    proc.join()
    res["targets_met"] = res["O1"]["seconds"] <= 60 and res["max_rss_mb"] <= 4096
    return res


def main() -> int:
    """Run the benchmark and print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller graphs (1x1000-wide layers, 1M-gate big graph)")
    ap.add_argument("--skip-big", action="store_true", help="skip the 10M-gate -O1 measurement")
    ap.add_argument("--no-train", action="store_true", help="do not train the model when it is not cached")
    ap.add_argument("--tiny", action="store_true",
                    help="smoke test in seconds: 784 -> 6x40 graphs, no trained model, no big graph, 10,000 vectors")
    args = ap.parse_args()

    from lgcc.ir.random import random_layered_graph, trained_like_graph

    width = 40 if args.tiny else 1000 if args.quick else 4000
    vectors = 10_000 if args.tiny else 1_000_000
    report: dict = {}
    graph, note = (None, "--tiny") if args.tiny else trained_graph(not args.no_train)
    if graph is None:
        report["trained"] = {"skipped": note}
    else:
        report["trained"] = quality("trained", graph, note)
        ratio = report["trained"].get("O2_aig_vs_abc_best")
        report["trained"]["targets_met"] = bool(ratio is not None and ratio <= 0.9
                                                and report["trained"]["checks"]["O2_equivalent"])
    report["trained_like"] = quality("trained_like", trained_like_graph(784, [width] * 6, k=10, seed=1),
                                     vectors=vectors)
    report["random"] = quality("random", random_layered_graph(784, [width] * 6, k=10, seed=2), vectors=vectors)
    if not (args.skip_big or args.tiny):
        report["big"] = big(1_000_000 if args.quick else 10_000_000)
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
