"""``lgcc opt``: run an optimization pipeline (or a list of passes) on a graph file."""

from __future__ import annotations

import argparse
import json
import sys

from lgcc.ir.errors import LgccError
from lgcc.ir.passes.manager import PIPELINES, FixedPoint, Step, command_line_choice, optimize
from lgcc.ir.passes.registry import all_passes
from lgcc.loading import check_graph_output, load_graph, save_graph

NAME = "opt"
HELP = "optimize a graph: -O0/-O1/-O2 pipelines or any list of passes, with a per-pass report"
EXAMPLES = [
    "lgcc opt model.lgir -o model.opt.lgir -O2 --report",
    "lgcc opt model.blif -o model.opt.blif --passes simplify,prune,head,prune --report --json",
    "lgcc opt --list-passes",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc opt``."""
    parser.add_argument("input", metavar="IN", nargs="?", help="graph file (.lgir, .blif, .aag, .aig) or checkpoint")
    parser.add_argument("-o", "--output", metavar="OUT", help="where to write the optimized graph (format by extension)")
    parser.add_argument("-O", "--opt-level", type=int, default=None, choices=sorted(PIPELINES), metavar="N",
                        help="optimization level 0, 1 or 2 (default 1)")
    parser.add_argument("--passes", metavar="A,B,C", help="run these passes in order instead of a -O pipeline")
    parser.add_argument("--report", action="store_true",
                        help="print gates, 2-input gates, AIG nodes, depth and time after every pass")
    parser.add_argument("--json", action="store_true", help="with --report: print the report as JSON")
    parser.add_argument("--list-passes", action="store_true", help="list the passes and pipelines, then exit")


def _describe(step: Step) -> str:
    return f"fixed point of [{', '.join(step.passes)}]" if isinstance(step, FixedPoint) else str(step)


def list_passes() -> str:
    """The text of ``--list-passes``."""
    lines = ["passes:"]
    lines += [f"  {p.name:<11} {p.summary}" for p in all_passes()]
    lines.append("pipelines:")
    lines += [f"  -O{lv}: {', '.join(_describe(s) for s in steps) or '(nothing)'}" for lv, steps in PIPELINES.items()]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Load, optimize, write, report."""
    if args.list_passes:
        sys.stdout.write(list_passes())
        return 0
    if not args.input:
        raise LgccError("missing input graph (usage: lgcc opt IN -o OUT)")
    if args.json and not args.report:
        raise LgccError("--json goes with --report (lgcc opt IN --report --json)")
    if not args.output and not args.report:
        raise LgccError("nothing to do: give -o OUT to write the result and/or --report")
    if args.output is not None:  # fail before the work, not after it
        check_graph_output(args.output)
    level, passes = command_line_choice(args.opt_level, args.passes)
    graph = load_graph(args.input)
    result = optimize(graph, level=level, passes=passes, report=args.report)
    for line in result.skipped():
        sys.stderr.write(f"lgcc opt: {line}\n")
    if args.output:
        save_graph(result.graph, args.output)
    if args.report:
        sys.stdout.write(json.dumps(result.to_json(), indent=1) + "\n" if args.json else result.report() + "\n")
    return 0
