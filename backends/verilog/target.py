"""``lgcc compile MODEL --target verilog -o OUTDIR``: options and writing the rendered files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from lgcc.ir.graph import Graph

from .options import OUTPUT_MODES, VerilogOptions, check_module_name
from .render import render, write_files
from .yosys import format_report, run_flow, yosys_binary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The Verilog target's own options (the common ones belong to ``lgcc compile``)."""
    g = parser.add_argument_group("verilog target")
    g.add_argument("--top", default=None, metavar="NAME",
                   help="name of the top module (default: the --prefix if given, else lgn)")
    g.add_argument("--outputs", choices=OUTPUT_MODES, default=None,
                   help="ports of a model with a GroupSum head: class scores, argmax class, or both "
                        "(default: both; models without a head output their raw bits y)")
    g.add_argument("--pipeline", type=int, default=0, metavar="N",
                   help="register stage every N logic levels, with clk/in_valid/out_valid (default 0: combinational)")
    g.add_argument("--reset", action="store_true", help="add a synchronous reset input rst (pipelined designs)")
    g.add_argument("--vectors", type=int, default=256, metavar="N",
                   help="number of test vectors in vectors.mem (default 256)")
    g.add_argument("--vector-seed", type=int, default=0, metavar="S",
                   help="seed of the random test vectors (default 0)")
    g.add_argument("--report", action="store_true",
                   help="run Yosys on the result and print LUTs, flip-flops and logic depth (Yosys takes "
                        "minutes from ~10,000 gates on: over 5 for 80,000; lgcc verilog-report has --timeout)")


def options_from_args(args: argparse.Namespace) -> VerilogOptions:
    """:class:`VerilogOptions` from parsed arguments (missing attributes take the defaults)."""
    d = VerilogOptions()
    top = next((name for name in (getattr(args, "top", None), getattr(args, "prefix", None)) if name is not None),
               d.top)  # an empty --top is refused by the renderer, not replaced by the default
    if getattr(args, "top", None) is None and getattr(args, "prefix", None) is not None:
        check_module_name(top, "--prefix")  # the module is named after it: say which option is wrong
    return VerilogOptions(top=top, outputs=getattr(args, "outputs", d.outputs),
                          pipeline=getattr(args, "pipeline", d.pipeline), reset=getattr(args, "reset", d.reset),
                          vectors=getattr(args, "vectors", d.vectors),
                          vector_seed=getattr(args, "vector_seed", d.vector_seed))


def compile_target(graph: Graph, outdir: str | Path, args: argparse.Namespace) -> dict[str, Any]:
    """Render the Verilog files of ``graph`` into ``outdir`` (atomically); return a summary.

    With ``args.report`` Yosys maps the design to 6-input LUTs and the figures
    are printed and added to the summary under ``report``.
    """
    if getattr(args, "report", False):
        yosys_binary()  # a missing Yosys fails before any file is written
    files = render(graph, options_from_args(args))
    write_files(files, outdir)
    info = json.loads(cast(str, files["model.json"]))  # only vectors.mem is rendered in pieces
    summary: dict[str, Any] = {
        "target": "verilog", "outdir": str(outdir), "files": sorted(files), "top": info["top"],
        "gates": info["gates"], "levels": info["levels"], "latency_cycles": info["latency_cycles"],
        "flipflops": info["flipflops"],
    }
    if getattr(args, "report", False):
        report = run_flow(outdir)
        sys.stdout.write(format_report(report) + "\n")
        summary["report"] = report
    return summary
