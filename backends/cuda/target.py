"""``lgcc compile MODEL --target cuda``: write model.cu/.h/_tables.c and model.json, optionally build.

The common options (MODEL, -o, -O, --passes, --prefix) belong to ``lgcc compile``; this
module adds only the CUDA ones.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from lgcc.ir.errors import LgccError
from lgcc.ir.fileio import atomic_dir, listed_files
from lgcc.ir.graph import Graph

from .build import DEFAULT_ARCH, LIBRARY, build_library, parse_arch
from .render import STRAIGHT_MAX_GATES, CudaOptions, render_scheduled
from .schedule import schedule

FORMAT = "lgcc-cuda"
VERSION = 1
DEFAULT_PREFIX = "lgcc_model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """CUDA-specific options of ``lgcc compile``."""
    group = parser.add_argument_group("cuda target")
    group.add_argument("--arch", default=DEFAULT_ARCH,
                       help=f"GPU architectures for --build, comma-separated (default {DEFAULT_ARCH})")
    group.add_argument("--build", action="store_true",
                       help=f"also run nvcc to build {LIBRARY} (loadable with lgcc.runtime.load_cuda)")
    group.add_argument("--straight-max-gates", type=int, default=STRAIGHT_MAX_GATES, metavar="N",
                       help="generate straight-line kernels for models up to this many gates "
                            f"(default {STRAIGHT_MAX_GATES}; larger ones use gate tables only; nvcc time "
                            "grows faster than the gates: 6 s for 2,000, 107 s for 20,000 on 2 cores)")


def model_json(graph: Graph, prefix: str, straight: bool, n_slots: int, depth: int,
               library: str | None, arch: list[str]) -> dict[str, Any]:
    """The self-description ``load_cuda`` reads back."""
    return {
        "format": FORMAT, "version": VERSION, "prefix": prefix,
        "n_inputs": graph.n_inputs, "n_outputs": graph.n_outputs, "n_gates": graph.n_gates,
        "depth": depth, "n_slots": n_slots, "straight": straight,
        "head": graph.head.to_json() if graph.head is not None else None,
        "class_labels": graph.class_labels(),
        "encoding": graph.encoding.to_json() if graph.encoding is not None else None,
        "library": library, "arch": arch,
    }


def compile_target(graph: Graph, outdir: str | Path, args: argparse.Namespace) -> dict[str, Any]:
    """Render (and with ``--build`` compile) ``graph`` into ``outdir``; return a summary."""
    prefix = getattr(args, "prefix", None) or DEFAULT_PREFIX
    arch = parse_arch(getattr(args, "arch", DEFAULT_ARCH))
    if getattr(args, "arch", DEFAULT_ARCH) != DEFAULT_ARCH and not getattr(args, "build", False):
        raise LgccError("--arch names the GPUs that --build compiles for; add --build (or leave --arch out)")
    limit = getattr(args, "straight_max_gates", STRAIGHT_MAX_GATES)
    if limit < 0:
        raise LgccError(f"--straight-max-gates must be >= 0 (0: gate tables only), got {limit}")
    start = time.perf_counter()
    graph.verify()
    sched = schedule(graph)
    files = render_scheduled(graph, sched, CudaOptions(prefix=prefix, straight_max_gates=limit))
    render_s = time.perf_counter() - start
    straight = graph.n_gates <= limit
    build = bool(getattr(args, "build", False))
    summary: dict[str, Any] = {"target": "cuda", "gates": graph.n_gates, "levels": sched.depth,
                               "classes": graph.head.k if graph.head is not None else None,
                               "slots": sched.n_slots, "straight_line": straight,
                               "render_seconds": round(render_s, 3)}
    with atomic_dir(outdir, replace_listed=True) as stage:
        for name, text in files.items():
            (stage / name).write_text(text)
        if build:
            summary["nvcc_seconds"] = round(build_library(stage, arch), 3)
        meta = model_json(graph, prefix, straight, sched.n_slots, sched.depth,
                          LIBRARY if build else None, [f"sm_{a}" for a in arch]) | {"files": listed_files(stage)}
        (stage / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
        summary["files"] = meta["files"]
    summary["outdir"] = str(outdir)
    return summary
