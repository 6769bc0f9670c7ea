"""Inference through difflogic's API in lgcc: samples/s of a model in eval mode, printed as JSON.

Three ways to run the same discrete network, timed side by side (interleaved rounds, median
and best of each):

* ``float``: ``model(x.float())`` in eval mode, what a torch user does first;
* ``packbits``: ``model(PackBitsTensor(x))``, packing included;
* ``compiled`` (CPU only): ``CompiledLogicNet(model).compile()`` then ``compiled(x)``; its
  compile seconds are reported separately.

Model: 784 -> LAYERS x WIDTH random LogicLayers -> GroupSum(10); a batch of random bits.

    python benchmarks/inference_api.py                       # 784 -> 6x4000, 8,192 rows, 1 thread
    python benchmarks/inference_api.py --rows 65536 --rounds 3
    python benchmarks/inference_api.py --device cuda          # float and packbits on a GPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8192, help="batch size (default 8192)")
    parser.add_argument("--width", type=int, default=4000, help="gates per layer (default 4000)")
    parser.add_argument("--layers", type=int, default=6, help="LogicLayers (default 6)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each way (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch and library threads (default 1)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args(argv)

    import torch

    from lgcc.frontend import CompiledLogicNet, GroupSum, LogicLayer, PackBitsTensor

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    dims = [784] + [args.width] * args.layers
    model = torch.nn.Sequential(*[LogicLayer(i, o, generator=gen) for i, o in zip(dims, dims[1:])],
                                GroupSum(10, tau=1.0)).eval().to(args.device)
    bits = torch.randint(0, 2, (args.rows, 784), generator=gen).bool()
    x = bits.to(args.device)

    def sync() -> None:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    ways = {"float": lambda: model(x.float()), "packbits": lambda: model(PackBitsTensor(x, 64))}
    result: dict = {"model": f"784 -> {args.layers}x{args.width} random LogicLayers -> GroupSum(10)",
                    "rows": args.rows, "threads": args.threads, "device": args.device}
    if args.device == "cpu":
        t0 = time.perf_counter()
        compiled = CompiledLogicNet(model, threads=args.threads).compile()
        result["compiled_compile_seconds"] = round(time.perf_counter() - t0, 3)
        result["compiled_isa"] = compiled.lib.isa
        ways["compiled"] = lambda: compiled(bits)
    want = None
    for name, run in ways.items():  # warm up, and check that all agree
        counts = run().to("cpu").to(torch.int64)
        want = counts if want is None else want
        if not torch.equal(counts, want):
            raise SystemExit(f"inference_api: '{name}' disagrees with 'float'")
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    with torch.no_grad():
        for _ in range(args.rounds):
            for name, run in ways.items():
                sync()
                t0 = time.perf_counter()
                run()
                sync()
                seconds[name].append(time.perf_counter() - t0)
    for name, times in seconds.items():
        result[f"{name}_samples_per_s_median"] = round(args.rows / statistics.median(times))
        result[f"{name}_samples_per_s_best"] = round(args.rows / min(times))
    result["packbits_over_float_median"] = round(statistics.median(seconds["float"])
                                                 / statistics.median(seconds["packbits"]), 2)
    if "compiled" in seconds:
        result["compiled_over_packbits_median"] = round(statistics.median(seconds["packbits"])
                                                        / statistics.median(seconds["compiled"]), 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
