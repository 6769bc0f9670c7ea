"""Thread scaling of built C libraries by batch size: 1 thread against T, side by side (prints JSON).

Usage: python benchmarks/c_threads.py OUTDIR [...] [--rows 1024,2048,4096,8192,32768] [--threads 2] [--rounds 60]

Each round calls ``predict_bits`` on the same random uint8 rows once on 1 thread and once
on T, back to back; the report gives, per build and batch size, the median microseconds
of each and the median of the rounds' ratios (``speedup``: above 1, T threads are faster).
A small batch starts only the threads it keeps busy (README: C API), so its speedup is 1.0
rather than below it; ``-DLGCC_MIN_THREAD_NS=0`` builds start every thread asked for.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling script c_ab.py
from c_ab import checked_sizes, entry_calls, side_by_side  # noqa: E402


def measure(outdir: Path, rows: int, threads: int, rounds: int) -> dict:
    """Median us of 1 and ``threads`` threads on ``rows`` uint8 rows, and the median ratio."""
    a1, an = side_by_side([entry_calls(outdir, rows, seed=0, threads=t)["bits"] for t in (1, threads)], rounds)
    return {"rows": rows, "us_1_thread": round(float(np.median(a1)) * 1e6, 1),
            f"us_{threads}_threads": round(float(np.median(an)) * 1e6, 1),
            "speedup": round(float(np.median(a1 / an)), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdirs", nargs="+", type=Path, help="folders made by lgcc compile --target c")
    ap.add_argument("--rows", default="1024,2048,4096,8192,32768", help="batch sizes, separated by commas")
    ap.add_argument("--threads", type=int, default=2, help="threads to compare with 1 (default 2)")
    ap.add_argument("--rounds", type=int, default=60, help="calls of each (default 60)")
    args = ap.parse_args(argv)
    if args.threads < 2:
        ap.error("--threads must be at least 2")
    sizes = checked_sizes(ap, args)
    report = {"threads": args.threads, "rounds": args.rounds,
              "builds": {str(d): [measure(d, rows, args.threads, args.rounds) for rows in sizes] for d in args.outdirs}}
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
