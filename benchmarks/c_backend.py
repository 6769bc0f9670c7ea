"""Benchmark of the C backend: compile time and end-to-end classification speed (prints JSON).

Usage: python benchmarks/c_backend.py [--quick] [--sizes 100000,1000000,5000000] [--rows N] [--tiny]

For (a) the 784 -> 6x4000 mnist5k model trained by ``lgcc train --dataset mnist5k``
(``benchmarks/models.py`` caches it; without the cache a random layered 784 -> 6x4000
graph stands in and the JSON says so) and (b) random layered graphs of 100k, 1M and
5M gates it reports: code generation and C compiler seconds, peak RSS, images/s with
rows of uint8 bits in and classes out on 1 and 2 threads, and the share of time spent
packing rows into bit-sliced words (1 - time(pre-sliced input) / time(rows)).  Beside
the uint8 rows it measures rows packed 8 inputs per byte (``numpy.packbits``, the
``_packed`` entries) and the time to merely read the uint8 rows once
(``read_floor_ns_per_row``): for a batch that does not fit in cache, that read alone
bounds the speed.  Model (a) is also measured on a batch of 8192 rows (L3-resident where
the L3 holds 6.4 MB), by batch size from 512 to 65,536 rows (``batch_sweep_ns_per_row``),
and for its thread scaling on 2^18 rows (1 and 2 threads timed back to back in each round:
``thread_speedup`` is best over best, ``thread_speedup_median`` the median of the rounds'
ratios; ``read_floor_thread_speedup``: how much faster 2 threads merely read those rows than 1,
all that 2 threads could gain if reading were the whole cost); ``phase_ns_per_row`` times the steps of each block directly (input: packing or
copying; gates; output: the class head) in a ``-DLGCC_PHASE_TIMES`` build, at 512 rows and
at the main batch; ``features_ns_per_row`` times rows of raw float features beside rows of bits
under three input encodings of (a)'s inputs (in order, a thermometer code, random features), at
512 rows and at the main batch; ``one_row_us`` is the best call on a single row (a whole block is
evaluated).  Each graph is measured in a child process so peak RSS is its own.  Timings
are the best of several runs (``*_cpu``: process CPU time of the same single-thread
calls); on a shared machine they are still noisy, so the JSON carries the load average;
``median`` repeats the main figures with the median call.

``--tiny`` is the smoke test (seconds; the figures mean nothing): (a) is always a random
784 -> 2x400 stand-in, compiled once, with 2048-row batches; pass small ``--sizes`` and
``--rows`` too, e.g. ``--tiny --sizes 20000 --rows 2048 --repeats 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts models.py and c_ab.py
# Sizes of the measurements of (a); --tiny swaps in toy ones.
FULL = {"mnist_widths": [4000] * 6, "use_cache": True, "compile_attempts": 3, "thread_rows": 1 << 18,
        "l3_rows": 8192, "sweep_rows": (512, 2048, 8192, 65536)}
TINY = {"mnist_widths": [400] * 2, "use_cache": False, "compile_attempts": 1, "thread_rows": 2048,
        "l3_rows": 2048, "sweep_rows": (512, 2048)}
TARGETS = {"images_per_s_1_thread": 20e6, "cc_seconds": 0.5, "lgcc_compile_seconds": 2.0,
           "compile_5M_seconds": 60.0, "peak_rss_5M_gb": 4.0, "pack_share": 0.15, "thread_speedup": 1.8}


def _times(fn, repeats: int, clock=time.perf_counter) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return times


def _best(fn, repeats: int, clock=time.perf_counter) -> float:
    return min(_times(fn, repeats, clock))


def _read_floor(x: np.ndarray, repeats: int) -> float:
    """Seconds to merely read ``x`` once (a reduction over its bytes): what no packer can beat."""
    words = x.reshape(-1).view(np.uint64)
    return _best(lambda: np.bitwise_or.reduce(words), repeats)


def _read_scaling(x: np.ndarray, repeats: int) -> dict:
    """How much faster two threads merely read ``x`` than one: what memory gives a memory-bound call.

    Each round reads ``x`` on one thread, then as two halves on two threads at the same time
    (numpy's reduction releases the GIL), back to back, as ``_thread_scaling`` does.  A batch
    smaller than 64 MB is read several times over in each timing, so that handing the halves
    to the threads is a small part of it.
    """
    from concurrent.futures import ThreadPoolExecutor

    from c_ab import side_by_side  # benchmarks/c_ab.py

    words = x.reshape(-1).view(np.uint64)
    halves = (words[: words.size // 2], words[words.size // 2:])
    reads = -(-(64 << 20) // max(x.nbytes, 1))  # reads per timing: at least 64 MB in all

    def read(w):
        for _ in range(reads):
            np.bitwise_or.reduce(w)

    with ThreadPoolExecutor(2) as pool:  # its two threads start in the warm-up call
        ones, twos = side_by_side([lambda: read(words), lambda: list(pool.map(read, halves))], max(repeats, 9))
    return {"read_floor_thread_speedup": float(ones.min() / twos.min()),
            "read_floor_thread_speedup_median": float(np.median(ones / twos))}


def measure_speed(outdir: Path, n_inputs: int, rows: int, repeats: int, thread_rows: int = 0) -> dict:
    """Images/s of the built library in ``outdir`` on random rows, and where the time goes.

    ``*_1_thread`` is wall time, ``*_cpu`` the process CPU time of the same single-thread
    calls (less sensitive to other processes on a shared machine).  ``pack_share`` is
    1 - time(pre-sliced input) / time(uint8 rows); ``read_floor_ns_per_row`` is the time to
    just read the uint8 rows once; ``images_per_s_python_1_thread`` the same rows through
    ``lgcc.runtime`` (the C calls above go through cffi directly).  ``packed`` rows are numpy.packbits rows (8x fewer
    bytes).  Thread scaling is measured on ``thread_rows`` rows (default ``rows``).
    """
    import cffi

    from lgcc.ir.simulate import pack_rows

    meta = json.loads((outdir / "model.json").read_text())
    ffi = cffi.FFI()
    ffi.cdef(meta["cdef"])
    lib = ffi.dlopen(str(outdir / "libmodel.so"))
    p = meta["prefix"]
    x = np.random.default_rng(0).integers(0, 2, (rows, n_inputs), dtype=np.uint8)
    words, packed = pack_rows(x), np.packbits(x, axis=1)
    out = np.empty(64 * words.shape[1], np.int32)  # sliced input classifies all 64 samples of each word
    xb, ob, wb = ffi.from_buffer("uint8_t[]", x), ffi.from_buffer("int32_t[]", out), ffi.from_buffer("uint64_t[]", words)
    pb = ffi.from_buffer("uint8_t[]", packed)
    predict, sliced = getattr(lib, f"{p}_predict_bits"), getattr(lib, f"{p}_predict_sliced")
    predict_packed = getattr(lib, f"{p}_predict_packed")
    predict(xb, rows, ob, 1)  # warm up: page in tables and input
    all1 = _times(lambda: predict(xb, rows, ob, 1), repeats)
    c1 = _best(lambda: predict(xb, rows, ob, 1), repeats, time.process_time)
    alls = _times(lambda: sliced(wb, words.shape[1], ob, 1), repeats)
    allp = _times(lambda: predict_packed(pb, rows, ob, 1), repeats)
    t1, ts, tp = min(all1), min(alls), min(allp)
    m1, ms, mp = (float(np.median(t)) for t in (all1, alls, allp))
    cp = _best(lambda: predict_packed(pb, rows, ob, 1), repeats, time.process_time)
    res = {"rows": rows, "input_mb": round(x.nbytes / 1e6, 1), "images_per_s_1_thread": rows / t1,
           "images_per_s_1_thread_cpu": rows / c1, "images_per_s_sliced_input_1_thread": rows / ts,
           "pack_share": max(0.0, 1 - ts / t1), "read_floor_ns_per_row": _read_floor(x, repeats) / rows * 1e9,
           "ns_per_row_1_thread": t1 / rows * 1e9,
           "images_per_s_packed_1_thread": rows / tp, "images_per_s_packed_1_thread_cpu": rows / cp,
           "pack_share_packed": max(0.0, 1 - ts / tp),
           "median": {"images_per_s_1_thread": rows / m1, "images_per_s_sliced_input_1_thread": rows / ms,
                      "images_per_s_packed_1_thread": rows / mp, "pack_share": max(0.0, 1 - ms / m1),
                      "pack_share_packed": max(0.0, 1 - ms / mp)}}
    # the same rows through the Python runtime (argument checks, cffi), as a Python user calls it
    import lgcc.runtime

    model = lgcc.runtime.load(outdir)
    res["images_per_s_python_1_thread"] = rows / _best(lambda: model.predict(x, threads=1), repeats)
    if meta.get("encoding"):
        feats = np.random.default_rng(1).random((rows, meta["n_features"]), dtype=np.float32)
        fb = ffi.from_buffer("float[]", feats)
        pf = getattr(lib, f"{p}_predict_features")
        res["images_per_s_features_1_thread"] = rows / _best(lambda: pf(fb, rows, ob, 1), repeats)
    n = thread_rows or rows
    xt = np.random.default_rng(2).integers(0, 2, (n, n_inputs), dtype=np.uint8)
    ot = np.empty(n, np.int32)
    xtb, otb = ffi.from_buffer("uint8_t[]", xt), ffi.from_buffer("int32_t[]", ot)
    ptb = ffi.from_buffer("uint8_t[]", np.packbits(xt, axis=1))
    for name, fn, buf in (("", predict, xtb), ("_packed", predict_packed, ptb)):
        res.update(_thread_scaling(lambda threads: fn(buf, n, otb, threads), n, repeats, name))
    res.update(_read_scaling(xt, repeats))
    return res


def _thread_scaling(call, rows: int, repeats: int, name: str) -> dict:
    """1 vs 2 threads, side by side: each round times one call of each, back to back.

    ``thread_speedup`` is best over best; ``thread_speedup_median`` the median of the
    rounds' own ratios, which a burst of load on the shared machine skews least (a
    round it hits is one ratio of many, not the best of one side).
    """
    from c_ab import side_by_side  # benchmarks/c_ab.py

    ones, twos = side_by_side([lambda: call(1), lambda: call(2)], max(repeats, 9))
    ratios = ones / twos
    return {f"thread_rows{name}": rows, f"images_per_s_2_threads{name}": rows / twos.min(),
            f"thread_speedup{name}": ones.min() / twos.min(),
            f"thread_speedup_median{name}": float(np.median(ratios)),
            f"thread_speedup_rounds{name}": len(ratios)}


def bench_graph(graph, outdir: Path, rows: int, repeats: int, thread_rows: int = 0) -> dict:
    """Render + build ``graph`` into ``outdir``, then measure its speed."""
    from lgcc.backends.c import write_library

    t0 = time.perf_counter()
    meta = write_library(graph, outdir)
    res = {"gates": graph.n_gates, "gates_evaluated": meta["gates_evaluated"],
           "instructions": meta["instructions"], "levels": meta["levels"],
           "slots": meta["slots"], "isa": meta["isa"], "codegen_seconds": meta["codegen_seconds"],
           "cc_seconds": meta["cc_seconds"], "compile_seconds": time.perf_counter() - t0,
           "model_c_mb": round((outdir / "model.c").stat().st_size / 1e6, 1)}
    res.update(measure_speed(outdir, graph.n_inputs, rows, repeats, thread_rows))
    return res


def _peak_rss_gb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1e6  # ru_maxrss is in KiB on Linux


def child_random(n_gates: int, rows: int, repeats: int) -> dict:
    """(b) a random layered 784 -> 8 x (n_gates / 8) graph with GroupSum(10)."""
    from lgcc.ir.random import random_layered_graph

    width = n_gates // 8 // 10 * 10
    graph = random_layered_graph(784, [width] * 8, k=10, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        res = {"graph": f"random layered 784 -> 8x{width}", **bench_graph(graph, Path(tmp), rows, repeats)}
    res["peak_rss_gb"] = _peak_rss_gb()
    return res


def _mnist_graph(widths: list[int], use_cache: bool):
    """The trained mnist5k graph if cached (and ``use_cache``), else a random stand-in of ``widths``,
    with a note saying which."""
    note = "--tiny"
    try:
        import models  # benchmarks/models.py (trains and caches the model)

        if use_cache and (models.MNIST5K.exists() or os.environ.get("LGCC_BENCH_TRAIN")):
            return models.mnist5k_6x4000(), "trained: lgcc train --dataset mnist5k (benchmarks/models.py)"
        if use_cache:
            note = "no cached mnist5k model (run python benchmarks/models.py to train it)"
    except ImportError as exc:
        note = f"benchmarks/models.py unavailable ({exc})"
    from lgcc.ir.random import random_layered_graph
    from lgcc.loading import save_graph

    path = Path(tempfile.mkdtemp()) / "standin.lgir"
    save_graph(random_layered_graph(784, widths, k=10, seed=1), path)
    return path, f"STAND-IN random layered 784 -> {len(widths)}x{widths[0]}: {note}"


def child_mnist(rows: int, repeats: int, scale: dict) -> dict:
    """(a) the 784 -> 6x4000 model: the whole ``lgcc compile`` as a user runs it, then speed."""
    from lgcc.loading import load_graph

    model, note = _mnist_graph(scale["mnist_widths"], scale["use_cache"])
    res: dict = {"graph": note, "model_file": str(model)}
    with tempfile.TemporaryDirectory() as tmp:
        walls, cpus = [], []
        for attempt in range(scale["compile_attempts"]):  # best of 3 (--tiny: 1): the machine is shared
            kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "lgcc", "compile", str(model), "--target", "c", "-o",
                                  str(Path(tmp) / f"cli{attempt}")], capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime)
        res["lgcc_compile_seconds"] = min(walls)
        res["lgcc_compile_cpu_seconds"] = min(cpus)  # user + system of the process and its C compiler
        res["lgcc_compile_output"] = (run.stdout + run.stderr).strip()
        graph = load_graph(model, opt_level=1)
        res.update(bench_graph(graph, Path(tmp) / "lib", rows, repeats, thread_rows=scale["thread_rows"]))
        res["l3_resident_batch"] = measure_speed(Path(tmp) / "lib", graph.n_inputs, scale["l3_rows"], 3 * repeats)
        res["batch_sweep_ns_per_row"] = batch_sweep(Path(tmp) / "lib", 3 * repeats, scale["sweep_rows"])
        res["phase_ns_per_row"] = phase_times(graph, Path(tmp) / "phases", (scale["sweep_rows"][0], rows), 3 * repeats)
        res["one_row_us"] = one_row_latency(Path(tmp) / "lib", 200 * repeats)
        res["features_ns_per_row"] = feature_encodings(graph, Path(tmp) / "encodings", (scale["sweep_rows"][0], rows),
                                                       3 * repeats)
        lgir = Path(tmp) / "model_O1.lgir"
        from lgcc.loading import save_graph

        save_graph(graph, lgir)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lgcc", "compile", str(lgir), "-O0", "-o", str(Path(tmp) / "cli2")],
                       capture_output=True, check=True)
        res["lgcc_compile_seconds_from_lgir"] = time.perf_counter() - t0
    res["peak_rss_gb"] = _peak_rss_gb()
    return res


def batch_sweep(outdir: Path, rounds: int, sizes=(512, 2048, 8192, 65536)) -> dict:
    """Best ns per row of each entry point by batch size (benchmarks/c_ab.py, one library): where
    the batch stops fitting in cache."""
    import c_ab  # benchmarks/c_ab.py

    sweep = {}
    for rows in sizes:
        entries = c_ab.measure([outdir], rows, rounds)["ns_per_row"][str(outdir)]
        sweep[str(rows)] = {kind: v["best"] for kind, v in entries.items()}
    return sweep


def one_row_latency(outdir: Path, calls: int) -> dict:
    """Best microseconds of a call on one row, by entry point: a whole block of samples is evaluated
    (512 with AVX-512), so this is the latency floor of classifying one sample at a time."""
    import c_ab  # benchmarks/c_ab.py

    entries = c_ab.entry_calls(outdir, 1, seed=0)
    return {kind: round(_best(call, calls) * 1e6, 2) for kind, call in entries.items()}


def feature_encodings(graph, outdir: Path, sizes, rounds: int) -> dict:
    """Best ns per row of rows of raw float features (``features``) beside rows of bits (``bits``) on
    ``graph``'s gates under three input encodings, by batch size: the C encoder fetches each group of
    16 features as one load (``in_order``: input i reads feature i), as one load and a permute
    (``thermometer``: 8 thresholds per feature, side by side) or with a load per input (``random``:
    inputs on random features of half as many)."""
    import c_ab  # benchmarks/c_ab.py
    from lgcc.backends.c import write_library
    from lgcc.ir.graph import Encoding

    n = graph.n_inputs
    rng = np.random.default_rng(0)
    n_thermo = -(-n // 8)
    encodings = {
        "in_order": Encoding(n, np.arange(n, dtype=np.int32), np.full(n, 0.5, np.float32)),
        "thermometer": Encoding(n_thermo, np.repeat(np.arange(n_thermo, dtype=np.int32), 8)[:n],
                                np.tile(np.linspace(0.1, 0.9, 8, dtype=np.float32), n_thermo)[:n]),
        "random": Encoding(max(1, n // 2), rng.integers(0, max(1, n // 2), n).astype(np.int32),
                           rng.random(n, dtype=np.float32)),
    }
    res = {}
    for name, enc in encodings.items():
        write_library(graph.copy(encoding=enc), outdir / name)
        res[name] = {}
        for rows in sizes:
            entries = c_ab.measure([outdir / name], rows, rounds)["ns_per_row"][str(outdir / name)]
            res[name][str(rows)] = {kind: entries[kind]["best"] for kind in ("bits", "features")}
    return res


def phase_times(graph, outdir: Path, sizes, repeats: int) -> dict:
    """ns per row in each step of the block loop (input: packing or copying it; gates; output: the
    class head) by batch size and input kind, from the fastest of ``repeats`` calls of a
    ``-DLGCC_PHASE_TIMES`` build of ``graph``: where the time goes, measured rather than inferred
    from differences between entry points."""
    import cffi

    import c_ab  # benchmarks/c_ab.py
    from lgcc.backends.c import write_library

    meta = write_library(graph, outdir, extra_flags=("-DLGCC_PHASE_TIMES",))
    ffi = cffi.FFI()
    ffi.cdef(f"extern double {meta['prefix']}_phase_seconds[3];")
    seconds = getattr(ffi.dlopen(str(outdir / "libmodel.so")), f"{meta['prefix']}_phase_seconds")
    res = {}
    for rows in sizes:
        res[str(rows)] = {}
        for kind, call in c_ab.entry_calls(outdir, rows, seed=0).items():
            best = None
            for _ in range(repeats):
                seconds[0:3] = [0.0, 0.0, 0.0]
                call()
                if best is None or sum(seconds) < sum(best):
                    best = list(seconds)
            res[str(rows)][kind] = {step: round(t / rows * 1e9, 2) for step, t in zip(("input", "gates", "output"), best)}
    return res


def _in_child(args: list[str], rows: int, repeats: int, tiny: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--rows", str(rows), "--repeats", str(repeats),
                          *(["--tiny"] if tiny else []), "--child", *args], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout)


def main() -> None:
    """Run every case (each in a child process) and print one JSON document."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 5M-gate graph")
    ap.add_argument("--sizes", default="100000,1000000,5000000", help="gate counts of the random graphs")
    ap.add_argument("--rows", type=int, default=65536, help="batch of rows for the mnist model")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tiny", action="store_true",
                    help="smoke test in seconds: (a) is a random 784 -> 2x400 stand-in, batches of 2048 rows "
                         "(use small --sizes and --rows too)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        res = child_mnist(args.rows, args.repeats, TINY if args.tiny else FULL) if kind == "mnist" else \
            child_random(int(rest[0]), args.rows, args.repeats)
        print(json.dumps(res))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.quick:
        sizes = [s for s in sizes if s < 5_000_000]
    report = {"machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()}, "targets": TARGETS,
              "mnist5k_6x4000": _in_child(["mnist"], args.rows, args.repeats, args.tiny),
              # fewer rows for bigger graphs (each row costs ~ gates), but enough blocks for 2 threads
              "random": {str(n): _in_child(["random", str(n)], 2048 if args.tiny else max(2048, 16384 * 100_000 // n),
                                           args.repeats if n < 1_000_000 else 2, args.tiny) for n in sizes}}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
