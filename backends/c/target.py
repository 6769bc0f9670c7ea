"""``lgcc compile MODEL --target c -o OUTDIR``: the C target's options, rendering and building.

OUTDIR receives ``model.h``, ``model.c``, ``libmodel.so``, ``libmodel.a`` and
``model.json``; everything is built in a staging folder and moved in only when
the C compiler succeeded, so a failed build leaves OUTDIR as it was.
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

from .toolchain import ISAS, build, machine_runs
from .render import COptions, render

#: Prefix of the C symbols when ``--prefix`` is not given.
DEFAULT_PREFIX = "lgcc"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The C target's own options (the common ones belong to ``lgcc compile``)."""
    g = parser.add_argument_group("c target")
    g.add_argument("--isa", choices=ISAS, default="auto",
                   help="vector instructions: auto (best this machine and compiler run), portable (uint64), "
                        "sse2, avx2, avx512, neon (default: auto)")
    g.add_argument("--cc", metavar="CMD", default=None,
                   help="C compiler command (default: $CC, else the first of cc, gcc, clang); "
                        "e.g. --cc aarch64-linux-gnu-gcc --isa neon")
    g.add_argument("--threads", type=int, default=1, metavar="N",
                   help="threads a call uses when it passes n_threads=0 (default 1)")


def options_from_args(args: argparse.Namespace) -> COptions:
    """:class:`COptions` from parsed arguments (missing attributes take the defaults)."""
    prefix, threads = getattr(args, "prefix", None), getattr(args, "threads", None)
    # only a missing option takes the default: '--threads 0' and '--prefix ""' reach the checks
    return COptions(prefix=DEFAULT_PREFIX if prefix is None else prefix,
                    default_threads=1 if threads is None else threads)


def write_library(graph: Graph, outdir: str | Path, options: COptions | None = None, isa: str = "auto",
                  cc: str | None = None, extra_flags: tuple[str, ...] = (), static: bool = True) -> dict[str, Any]:
    """Render and build the C library of ``graph`` into ``outdir`` (atomically).

    Returns the final ``model.json`` contents plus ``codegen_seconds`` and
    ``cc_seconds``.  ``static=False`` skips ``libmodel.a`` (and the need for ``ar``).
    Load the result with :func:`lgcc.runtime.load`.
    ``graph`` is compiled as given, not optimized (``lgcc compile`` runs ``-O1`` first; from
    Python: ``lgcc.ir.passes.optimize(graph, level=1).graph``).
    """
    t0 = time.perf_counter()
    files = render(graph, options or COptions())
    codegen_s = time.perf_counter() - t0
    with atomic_dir(outdir, replace_listed=True) as stage:
        for name, text in files.items():
            (stage / name).write_text(text)
        info = build(stage, isa=isa, cc=cc, extra_flags=extra_flags, static=static)
        meta = json.loads(files["model.json"])
        meta.update(isa=info["isa"], cc=info["cc"], cflags=info["cflags"], files=listed_files(stage))
        (stage / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return {**meta, "codegen_seconds": codegen_s, "cc_seconds": info["seconds"]}


def compile_target(graph: Graph, outdir: str | Path, args: argparse.Namespace) -> dict[str, Any]:
    """``lgcc compile --target c``: render and build into ``outdir``; return a summary."""
    if getattr(args, "cc", None) == "":  # else it would silently mean $CC or cc
        raise LgccError("--cc must name a C compiler (it is empty; leave it out for $CC, else cc)")
    meta = write_library(graph, outdir, options_from_args(args), isa=getattr(args, "isa", "auto"),
                         cc=getattr(args, "cc", None))
    notes = [] if machine_runs(meta["isa"]) else [
        f"built for {meta['isa']}, which this machine cannot run (a cross build): lgcc.runtime.load and "
        "programs linking it here would fail; use --isa auto for this machine"]
    return {"target": "c", "outdir": str(outdir), "notes": notes,
            "files": meta["files"],
            "isa": meta["isa"], "gates": meta["gates_evaluated"], "levels": meta["levels"],
            "classes": meta["classes"], "codegen_seconds": meta["codegen_seconds"],
            "cc_seconds": meta["cc_seconds"]}
