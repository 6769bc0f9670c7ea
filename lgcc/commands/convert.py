"""``lgcc convert``: between .lgir, BLIF and AIGER (ASCII .aag / binary .aig), by extension."""

from __future__ import annotations

import argparse
from lgcc.loading import check_graph_output, load_graph, save_graph

NAME = "convert"
HELP = "convert a graph between .lgir, .blif, .aag and .aig (chosen by the file extensions)"
EXAMPLES = [
    "lgcc convert model.lgir -o model.blif",
    "lgcc convert model.lgir -o model.aig && berkeley-abc -c 'read model.aig; print_stats'",
    "lgcc convert abc_output.blif -o model.lgir",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc convert``."""
    parser.add_argument("input", metavar="IN", help="graph file (.lgir, .blif, .aag, .aig) or checkpoint")
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="output file; its extension picks the format")


def run(args: argparse.Namespace) -> int:
    """Check the output format first (fail before reading a big input), then read and write."""
    check_graph_output(args.output)
    save_graph(load_graph(args.input), args.output)
    return 0
