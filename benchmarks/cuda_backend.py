"""CUDA backend benchmark (needs a GPU): compiled model vs layer-by-layer packed-bits evaluation.

Prints one JSON object: for a 784 -> 6x4000 -> GroupSum(10) network (the trained mnist5k
model when ``benchmarks/models.py`` has it cached, else a random stand-in of the same shape)
and a 5,000,000-gate random graph: compile seconds (render + nvcc), then images/s at batch
sizes 2^16..2^24 (scores + argmax from packed input words) for

* ``compiled``: ``lgcc compile --target cuda --build`` loaded with ``lgcc.runtime.load_cuda``
  (each execution shape it has: fused / levels / straight), and
* ``layer_by_layer``: the same network one layer at a time with the generic packed-bits
  kernel of lgcc's frontend extension (``cuda_ext.eval_packed``) and ``group_sum_packed``:
  the approach of difflogic's ``PackBitsTensor``.

Target: compiled >= 3x layer_by_layer on the 784 -> 6x4000 model at batch 2^20.

Without a GPU (nvcc still installed) it measures only the compile seconds of both networks,
which need no GPU, and says so (``skipped``).

    python benchmarks/cuda_backend.py [--out result.json] [--max-log2 24] [--budget-s 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lgcc.backends.cuda.build import nvcc_path
from lgcc.backends.cuda.target import compile_target
from lgcc.ir.graph import FIRST_INPUT, Graph
from lgcc.ir.random import random_layered_graph

TARGET_SPEEDUP = 3.0


def trained_or_standin() -> tuple[Graph, str]:
    """The 784 -> 6x4000 model: the trained mnist5k one if benchmarks/models.py has it cached, else random.

    Training it takes minutes, so this benchmark never trains; run ``benchmarks/models.py``'s
    ``mnist5k_6x4000()`` once (or carry ``benchmarks/.cache``) to benchmark the trained model.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import models

        if models.MNIST5K.exists():
            graph, source = models.trained_graph()
            return graph, f"trained: {source}"
        note = "no cached trained model in benchmarks/.cache"
    except Exception as exc:  # noqa: BLE001 - fall back to the stand-in, but say why
        note = f"benchmarks/models.py unusable: {exc}"
    return random_layered_graph(784, [4000] * 6, k=10, seed=0), f"random stand-in of the same shape ({note})"


def layers_of(graph: Graph) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Per layer (a, b, ops) relative to the previous layer, for the generic layer kernel."""
    if graph.layers is None:
        raise ValueError("layer-by-layer needs graph.layers")
    out, prev_start, prev_n = [], FIRST_INPUT, graph.n_inputs
    for s, e in zip(graph.layers[:-1], graph.layers[1:]):
        a = graph.a[s:e].astype(np.int64) - prev_start
        b = graph.b[s:e].astype(np.int64) - prev_start
        if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= prev_n):
            raise ValueError("layer-by-layer needs every gate to read the previous layer only")
        out.append((torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda(),
                    torch.from_numpy(graph.op[s:e].copy()).cuda()))
        prev_start, prev_n = graph.first_gate + int(s), int(e - s)
    return out


def layer_by_layer(ext, layers, k: int, words: torch.Tensor, n: int, chunk_words: int):
    """Scores and classes with one generic kernel launch per layer (chunked to bound memory)."""
    classes = torch.empty(n, dtype=torch.int64, device="cuda")
    for w0 in range(0, words.shape[1], chunk_words):
        x = words[:, w0:w0 + chunk_words]
        for a, b, ops in layers:
            x = ext.eval_packed(x, a, b, ops)
        m = min(n - 64 * w0, 64 * x.shape[1])
        classes[64 * w0:64 * w0 + m] = ext.group_sum_packed(x, k, m).argmax(1)
    return classes


def timed(fn, repeat: int = 3) -> float:
    """Median seconds of ``fn`` on the GPU after one warm-up (one timed run when a run takes > 0.5 s)."""
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    if time.perf_counter() - t0 > 0.5:
        repeat = 1
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    return float(np.median(times))


def optimized(graph: Graph) -> tuple[Graph, str]:
    """The graph after ``-O1`` (what ``lgcc compile`` does by default), when the optimizer exists."""
    try:
        from lgcc.ir.passes.manager import optimize
    except ImportError:
        return graph, "-O0 (optimizer not installed)"
    return optimize(graph, level=1).graph, "-O1"


def compile_network(name: str, graph: Graph, workdir: Path, optimize: bool) -> dict:
    """Compile ``graph`` (optionally at -O1) into ``workdir / name`` with nvcc: the seconds and shape (no GPU needed)."""
    res: dict = {"gates": graph.n_gates, "inputs": graph.n_inputs, "outputs": graph.n_outputs}
    t0 = time.perf_counter()
    compiled, res["opt"] = optimized(graph) if optimize else (graph, "-O0")
    res["compiled_gates"] = compiled.n_gates
    summary = compile_target(compiled, workdir / name, argparse.Namespace(prefix=None, arch="sm_90", build=True,
                                                                        straight_max_gates=2000))
    res["compile_seconds"] = round(time.perf_counter() - t0, 2)
    res["nvcc_seconds"] = summary.get("nvcc_seconds")
    res["levels"], res["slots"] = summary["levels"], summary["slots"]
    return res


def bench_network(name: str, graph: Graph, sizes: list[int], workdir: Path, budget_s: float,
                  optimize: bool) -> dict:
    """Compile (optionally at -O1), check agreement, and time both approaches on ``graph``."""
    from lgcc.frontend import cuda_ext
    from lgcc.runtime import load_cuda

    res = compile_network(name, graph, workdir, optimize)
    model = load_cuda(workdir / name)
    ext = cuda_ext.load()
    layers = layers_of(graph)
    widest = max([graph.n_inputs] + [int(e - s) for s, e in zip(graph.layers[:-1], graph.layers[1:])])
    chunk = max(1, min(1 << 18, (8 << 30) // (16 * widest)))  # two layer buffers within 8 GiB
    modes = [m for m in ("straight", "fused", "levels") if _has_mode(model, m)]
    res["modes"], res["runs"] = modes, []
    start = time.perf_counter()
    for n in sizes:
        if time.perf_counter() - start > budget_s:
            res["runs"].append({"batch": n, "skipped": f"time budget of {budget_s:.0f} s spent"})
            continue
        words = torch.randint(-2**63, 2**63 - 1, (graph.n_inputs, (n + 63) // 64), dtype=torch.int64, device="cuda")
        row: dict = {"batch": n}
        base_classes = layer_by_layer(ext, layers, graph.head.k, words, n, chunk) if n <= 1 << 20 else None
        row["layer_by_layer_images_per_s"] = n / timed(lambda: layer_by_layer(ext, layers, graph.head.k, words, n, chunk))
        for mode in modes:
            model.set_mode(mode)
            if n <= 1 << 20:  # agreement check on the smaller batches only (time)
                row[f"agree_{mode}"] = bool(torch.equal(model.predict(words, n_samples=n), base_classes))
            row[f"compiled_{mode}_images_per_s"] = n / timed(lambda: model.run(words, n_samples=n))
        best = max(row[f"compiled_{m}_images_per_s"] for m in modes)
        row["compiled_images_per_s"] = best
        row["speedup"] = round(best / row["layer_by_layer_images_per_s"], 2)
        res["runs"].append(row)
        del words
        torch.cuda.empty_cache()
    model.set_mode("auto")
    res["auto_mode"] = model.mode()
    return res


def _big_graph(gates: int) -> Graph:
    """The big random network: 784 inputs, 10 layers of ``gates // 10``."""
    return random_layered_graph(784, [max(10, gates // 10)] * 10, k=10, seed=1)


def _has_mode(model, mode: str) -> bool:
    try:
        model.set_mode(mode)
        return True
    except Exception:  # noqa: BLE001 - the library says which shapes it was compiled with
        return False


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON (exit 1 if the 3x target at 2^20 is missed)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    ap.add_argument("--min-log2", type=int, default=16)
    ap.add_argument("--max-log2", type=int, default=24)
    ap.add_argument("--big-gates", type=int, default=5_000_000, help="gates of the big random graph (0: skip)")
    ap.add_argument("--budget-s", type=float, default=150.0, help="time limit per network for the timed runs")
    args = ap.parse_args(argv)
    result: dict = {"benchmark": "cuda_backend"}
    if not torch.cuda.is_available():
        result["skipped"] = "no CUDA GPU visible to torch"
        if nvcc_path():  # compiling needs no GPU: measure that much
            result["skipped"] += ": compile seconds only"
            with tempfile.TemporaryDirectory() as tmp:
                graph, origin = trained_or_standin()
                result["mnist_6x4000"] = {"model": origin, **compile_network("mnist", graph, Path(tmp), True)}
                if args.big_gates:
                    result["random_5M"] = compile_network("big", _big_graph(args.big_gates), Path(tmp), False)
    else:
        result["device"] = torch.cuda.get_device_name()
        sizes = [1 << e for e in range(args.min_log2, args.max_log2 + 1)]
        with tempfile.TemporaryDirectory() as tmp:
            graph, origin = trained_or_standin()
            try:
                layers_of(graph)
            except ValueError as exc:  # the generic layer kernel needs a strictly layered network
                graph, origin = random_layered_graph(784, [4000] * 6, k=10, seed=0), f"random stand-in ({exc})"
            result["mnist_6x4000"] = {"model": origin,
                                      **bench_network("mnist", graph, sizes, Path(tmp), args.budget_s, True)}
            if args.out:  # partial result, in case a caller's time limit stops the big graph
                args.out.write_text(json.dumps(result, indent=1) + "\n")
            if args.big_gates:
                result["random_5M"] = bench_network("big", _big_graph(args.big_gates), sizes[::2], Path(tmp),
                                                    args.budget_s, False)
        at = [r for r in result["mnist_6x4000"]["runs"] if r.get("batch") == 1 << 20 and "speedup" in r]
        result["target"] = {"speedup_at_2^20": TARGET_SPEEDUP,
                            "measured": at[0]["speedup"] if at else None,
                            "met": bool(at and at[0]["speedup"] >= TARGET_SPEEDUP)}
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result.get("skipped") or result["target"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
