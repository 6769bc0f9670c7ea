"""``lgcc verilog-report OUTDIR``: synthesize generated Verilog with Yosys and print its FPGA cost."""

from __future__ import annotations

import argparse
import json
import sys

from lgcc.backends.verilog.yosys import FLOWS, format_report, run_flow
from lgcc.ir.errors import LgccError

NAME = "verilog-report"
HELP = "run Yosys on the output of 'lgcc compile --target verilog' and print LUTs, flip-flops, logic depth"
EXAMPLES = [
    "lgcc verilog-report build/verilog",
    "lgcc verilog-report build/verilog --flow xilinx --json",
    "lgcc verilog-report build/verilog --flow all",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc verilog-report``."""
    parser.add_argument("outdir", metavar="OUTDIR", help="folder written by 'lgcc compile --target verilog'")
    parser.add_argument("--flow", choices=[*FLOWS, "all"], default="generic",
                        help="generic 6-input LUTs (synth.ys, default), xilinx, ice40, or all of them")
    parser.add_argument("--json", action="store_true", help="print JSON (with cell counts by type)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds per flow (synthesis takes minutes from ~10,000 gates on: "
                             "over 5 for 80,000)")


def run(args: argparse.Namespace) -> int:
    """Run the selected Yosys flows and print their figures."""
    if args.timeout is not None and not args.timeout > 0:
        raise LgccError(f"--timeout must be > 0 seconds, got {args.timeout}")
    flows = list(FLOWS) if args.flow == "all" else [args.flow]
    reports = [run_flow(args.outdir, flow, timeout=args.timeout) for flow in flows]
    if args.json:
        sys.stdout.write(json.dumps(reports[0] if len(reports) == 1 else reports, indent=1) + "\n")
    else:
        sys.stdout.write("".join(format_report(r) + "\n" for r in reports))
    return 0
