"""Training speed of the LogicLayer implementations: samples/s and peak memory, printed as JSON.

Model: 784 -> 4x8000 LogicLayers -> GroupSum(10, tau=10); batch 100 of random
bits; one step = forward + backward + Adam.  Each (implementation, threads)
pair runs in its own subprocess so peak RSS is measured separately.

    python benchmarks/train_speed.py                    # python vs cpu, 1 and 2 threads
    python benchmarks/train_speed.py --impls cpu --threads 1 --steps 50
    python benchmarks/train_speed.py --impls cpu cuda --device cuda   # on a GPU machine

Target (issue 3): ``cpu`` >= 10x ``python`` in samples/s at <= half its peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _rss_mb() -> float:
    """Peak resident set size of this process so far (MiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(impl: str, threads: int, steps: int, device: str, batch: int, width: int, layers: int) -> dict:
    """Time ``steps`` training steps after 2 warm-up steps; return the measurements."""
    import torch

    from lgcc.frontend import GroupSum, LogicLayer

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dims = [784] + [width] * layers
    model = torch.nn.Sequential(*[LogicLayer(i, o, implementation=impl) for i, o in zip(dims[:-1], dims[1:])],
                                GroupSum(10, 10.0)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.randint(0, 2, (batch, 784), device=device).float()
    y = torch.randint(0, 10, (batch,), device=device)
    base_rss = _rss_mb()

    def step() -> None:
        """One forward + backward + Adam step on the fixed batch."""
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t
    peak = _rss_mb()
    return {"implementation": impl, "threads": threads, "device": device, "steps": steps, "batch": batch,
            "samples_per_s": round(steps * batch / seconds, 1), "ms_per_step": round(1000 * seconds / steps, 2),
            "peak_rss_mb": round(peak, 1), "peak_rss_above_model_mb": round(peak - base_rss, 1)}


def main() -> None:
    """Run every (implementation, threads) pair in a subprocess and print one JSON report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impls", nargs="+", default=["python", "cpu"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--steps", type=int, default=0, help="timed steps (default: 5 for python, 30 for others)")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--width", type=int, default=8000)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--device", default="cpu")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        steps = args.steps or (5 if args.impls[0] == "python" else 30)
        print(json.dumps(worker(args.impls[0], args.threads[0], steps, args.device, args.batch, args.width,
                                args.layers)))
        return
    runs = []
    for threads in args.threads:
        for impl in args.impls:
            cmd = [sys.executable, __file__, "--worker", "--impls", impl, "--threads", str(threads),
                   "--steps", str(args.steps), "--device", args.device, "--batch", str(args.batch),
                   "--width", str(args.width), "--layers", str(args.layers)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                runs.append({"implementation": impl, "threads": threads, "error": out.stderr.strip()[-400:]})
                continue
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    report = {"model": f"784 -> {args.layers}x{args.width} -> GroupSum(10)", "batch": args.batch, "runs": runs}
    speed = {(r["implementation"], r["threads"]): r for r in runs if "error" not in r}
    ratios = {}
    for threads in args.threads:
        py, cpu = speed.get(("python", threads)), speed.get(("cpu", threads))
        if py and cpu:
            ratios[f"{threads}_threads"] = {
                "speedup_cpu_over_python": round(cpu["samples_per_s"] / py["samples_per_s"], 1),
                "memory_cpu_over_python": round(cpu["peak_rss_mb"] / py["peak_rss_mb"], 3)}
    report["cpu_vs_python"] = ratios
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
