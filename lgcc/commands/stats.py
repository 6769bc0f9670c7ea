"""``lgcc stats``: gates per layer, level and op, depth, input use, outputs per class."""

from __future__ import annotations

import argparse
import json
import sys

from lgcc.ir.dump.stats import format_table, graph_stats
from lgcc.loading import load_graph

NAME = "stats"
HELP = "print statistics of a graph: gates per layer/level/op, depth, used inputs, outputs per class"
EXAMPLES = [
    "lgcc stats model.lgir",
    "lgcc stats model.blif --json > stats.json",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc stats``."""
    parser.add_argument("file", metavar="FILE", help="graph file (.lgir, .blif, .aag, .aig) or checkpoint")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    """Load the graph and print its statistics."""
    stats = graph_stats(load_graph(args.file))
    sys.stdout.write(json.dumps(stats, indent=1) + "\n" if args.json else format_table(stats))
    return 0
