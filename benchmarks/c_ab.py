"""Side-by-side timing of several built C libraries of one model (prints JSON).

Usage: python benchmarks/c_ab.py OUTDIR_A OUTDIR_B [...] [--rows N[,N...]] [--rounds R]

On a shared machine, timings taken minutes apart differ by more than most changes
gain; this script interleaves the calls instead: each round calls every library's
``predict_bits``, ``predict_sliced``, ``predict_packed`` (and ``predict_features``
when the model has an encoding) once, on the same random input, and the report
gives the best and the median ns per row of each over all rounds.  Build the
libraries with ``lgcc compile`` (or ``lgcc.backends.c.write_library``) from the two
versions of the code being compared; they must be the same model.  Several row counts
(``--rows 1024,2048,8192``) show where a batch stops fitting in cache; with one library,
that is a batch-size sweep.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: cffi handles and buffers of every loaded library, kept for the whole run.
_ALIVE: list = []


def entry_calls(outdir: Path, rows: int, seed: int, threads: int = 1) -> dict:
    """name -> zero-argument call of one entry point of the library in ``outdir``, on ``threads`` threads."""
    import cffi

    from lgcc.ir.simulate import pack_rows

    meta = json.loads((outdir / "model.json").read_text())
    ffi = cffi.FFI()
    ffi.cdef(meta["cdef"])
    lib = ffi.dlopen(str(outdir / "libmodel.so"))
    p = meta["prefix"]
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (rows, meta["n_inputs"]), dtype=np.uint8)
    words, packed = pack_rows(x), np.packbits(x, axis=1)
    out = np.empty(64 * words.shape[1], np.int32)  # sliced input classifies all 64 samples of each word
    _ALIVE.extend([ffi, lib, x, words, packed, out])  # the library and the buffers outlive the calls
    xb, wb, pb, ob = (ffi.from_buffer(t, a) for t, a in
                      (("uint8_t[]", x), ("uint64_t[]", words), ("uint8_t[]", packed), ("int32_t[]", out)))
    _ALIVE.extend([xb, wb, pb, ob])
    calls = {"bits": lambda: getattr(lib, f"{p}_predict_bits")(xb, rows, ob, threads),
             "sliced": lambda: getattr(lib, f"{p}_predict_sliced")(wb, words.shape[1], ob, threads),
             "packed": lambda: getattr(lib, f"{p}_predict_packed")(pb, rows, ob, threads)}
    if meta.get("encoding"):
        feats = rng.random((rows, meta["n_features"]), dtype=np.float32)
        fb = ffi.from_buffer("float[]", feats)
        _ALIVE.extend([feats, fb])
        calls["features"] = lambda: getattr(lib, f"{p}_predict_features")(fb, rows, ob, threads)
    return calls


def side_by_side(calls: list[Callable[[], object]], rounds: int) -> list[np.ndarray]:
    """Seconds of every call in every round, the calls timed one after another in each round (after
    one warm-up call each), so a burst of load on a shared machine hits them alike."""
    for call in calls:
        call()
    times = np.empty((rounds, len(calls)))
    for r in range(rounds):
        for i, call in enumerate(calls):
            t0 = time.perf_counter()
            call()
            times[r, i] = time.perf_counter() - t0
    return list(times.T)


def measure(outdirs: list[Path], rows: int, rounds: int) -> dict:
    """Best and median ns per row of every entry point of every build, calls interleaved."""
    keyed = [((str(d), kind), call) for d in outdirs for kind, call in entry_calls(d, rows, seed=0).items()]
    times = side_by_side([call for _, call in keyed], rounds)
    report: dict = {"rows": rows, "rounds": rounds, "ns_per_row": {}}
    for ((name, kind), _), ts in zip(keyed, times):
        ns = ts / rows * 1e9
        report["ns_per_row"].setdefault(name, {})[kind] = {"best": round(float(ns.min()), 2),
                                                            "median": round(float(np.median(ns)), 2)}
    return report


def checked_sizes(ap: argparse.ArgumentParser, args: argparse.Namespace) -> list[int]:
    """The batch sizes of ``args.rows``, after checking them, ``args.rounds`` and ``args.outdirs``
    (a usage error, exit 2, for anything wrong)."""
    try:
        sizes = [int(r) for r in args.rows.split(",")]
    except ValueError:
        ap.error(f"--rows takes row counts separated by commas, got {args.rows!r}")
    if min(sizes) < 1 or args.rounds < 1:
        ap.error("--rows and --rounds must be at least 1")
    for d in args.outdirs:
        if not (d / "model.json").is_file() or not (d / "libmodel.so").is_file():
            ap.error(f"{d}: no model.json and libmodel.so here (build it with lgcc compile --target c)")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdirs", nargs="+", type=Path, help="folders made by lgcc compile --target c")
    ap.add_argument("--rows", default="8192",
                    help="rows per call (default 8192); a comma-separated list measures each batch size "
                         "in turn and reports {'sweep': [one report per size]}")
    ap.add_argument("--rounds", type=int, default=30, help="calls of each entry point (default 30)")
    args = ap.parse_args(argv)
    sizes = checked_sizes(ap, args)
    reports = [measure(args.outdirs, rows, args.rounds) for rows in sizes]
    json.dump(reports[0] if len(reports) == 1 else {"sweep": reports}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
